// followRedirects, as ws@8 does it (which matches curl 7.77): a 3xx with a Location is
// followed up to maxRedirects times; credentials go only where the first request went.
// Without a 'redirect' listener, a hop to another host (or from wss: to plain ws:) drops
// Authorization and Cookie (and the Host header when the host differs) and the URL's
// userinfo; with one, the listener decides and nothing is dropped.

import { Buffer } from 'node:buffer';
import type { ClientTarget } from './client-url.js';
import type { HeaderValue } from './client-request.js';

export interface RedirectState<Options extends { headers?: Record<string, HeaderValue> }> {
  /** Redirects followed so far. */
  count: number;
  readonly originalIpc: boolean;
  readonly originalSecure: boolean;
  /** host:port, or the socket path of a ws+unix: URL. */
  readonly originalHostOrSocketPath: string;
  /** The options later hops use: the caller's, with header names lower-cased so they can be dropped by name. */
  readonly options: Options & { headers: Record<string, HeaderValue> };
}

/** The state for a connection that follows redirects, made from its first target. */
export function startRedirects<Options extends { headers?: Record<string, HeaderValue> }>(
  target: ClientTarget,
  options: Options,
): RedirectState<Options> {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    count: 0,
    originalIpc: target.ipc,
    originalSecure: target.secure,
    originalHostOrSocketPath: target.ipc ? target.socketPath! : target.url.host,
    options: { ...options, headers },
  };
}

/**
 * Applies the credential rules to one hop's request headers (changed in place) and
 * returns the Basic-auth userinfo to use. `dropAllowed` is false when the application
 * listens for 'redirect' (ws leaves the headers alone then).
 */
export function redirectCredentials<Options extends { headers?: Record<string, HeaderValue> }>(
  state: RedirectState<Options>,
  target: ClientTarget,
  headers: Record<string, HeaderValue | undefined>,
  auth: string | undefined,
  dropAllowed: boolean,
): string | undefined {
  if (state.count > 0 && dropAllowed) {
    const sameHost = target.ipc
      ? state.originalIpc && target.socketPath === state.originalHostOrSocketPath
      : !state.originalIpc && target.url.host === state.originalHostOrSocketPath;
    if (!sameHost || (state.originalSecure && !target.secure)) {
      delete headers.authorization;
      delete headers.cookie;
      if (!sameHost) delete headers.host;
      auth = undefined;
    }
  }
  // The first Authorization wins: later hops send the first URL's userinfo, not their own.
  if (auth !== undefined && state.options.headers.authorization === undefined) {
    state.options.headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  }
  return auth;
}
