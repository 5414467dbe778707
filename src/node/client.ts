// The client side of the opening handshake, following ws@8's initAsClient step for step
// so that its options, events, states and errors are the same. The request goes out over
// net/tls or any Duplex from createConnection, and the 101 is read straight off the
// stream (client-request.ts); only when an http.Agent is given (proxy agents) does it go
// through Node's http client, because an agent only works with a real ClientRequest.

import type { Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import { IncomingMessage, request as httpRequest, type Agent as HttpAgent, type ClientRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import net, { isIP, type LookupFunction, type NetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { type ConnectionOptions as TlsOptions } from 'node:tls';
import { checkClientProtocols, ClientHandshake, unexpectedResponseMessage } from '../protocol/client-handshake.js';
import type { ResponseHead } from '../protocol/http.js';
import type { PerMessageDeflateOptions } from '../protocol/deflate.js';
import { HandshakeRequest, type HandshakeResponse, type HeaderValue, type OpenStream } from './client-request.js';
import type { ClientResponse } from './client-response.js';
import { redirectCredentials, startRedirects, type RedirectState } from './client-redirect.js';
import { hostHeader, parseClientUrl, type ClientTarget } from './client-url.js';
import { deflateOptions, type NegotiatedDeflate } from './deflate-setup.js';
// The WebSocket this handshake drives, seen through its handle (no import of websocket.ts,
// which imports this module).
import { kInternals, type InternalSocket as WebSocket } from './websocket-internals.js';

/** What finishRequest, 'redirect' and 'unexpected-response' are given as the request. */
export type HandshakeClientRequest = HandshakeRequest | ClientRequest;

export interface ClientOptions extends TlsOptions {
  /** Fail if the server has not answered within this many ms. */
  handshakeTimeout?: number;
  /** Extra request headers (ours win for the handshake's own: Upgrade, Sec-WebSocket-*). */
  headers?: Record<string, HeaderValue>;
  origin?: string;
  /** true (the default, as in ws) offers permessage-deflate; false offers nothing. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  maxPayload?: number;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  closeTimeout?: number;
  /** Fills the 4-byte mask key of each frame sent (ws's option; default: random keys from a CSPRNG pool). */
  generateMask?: (key: Uint8Array) => void;
  /** 13 (the default) or 8, as in ws (8 only changes the version header and Origin's name). */
  protocolVersion?: number;
  /** Sends the upgrade request through this agent (proxy agents), with Node's http client. */
  agent?: HttpAgent;
  /** `user:password` for Basic auth; the URL's userinfo wins over it. */
  auth?: string;
  /** Follow 3xx responses with a Location (default false), at most maxRedirects (10) times. */
  followRedirects?: boolean;
  maxRedirects?: number;
  /** Called instead of ending the request: it may change headers, and must call request.end(). */
  finishRequest?: (request: HandshakeClientRequest, websocket: WebSocket) => void;
  /** Opens the byte stream instead of net/tls (any Duplex works); gets the options object ws passes. */
  createConnection?: (options: ConnectOptions, oncreate: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined | void;
  /** net.connect options, passed through as ws passes them. */
  family?: number;
  localAddress?: string;
  localPort?: number;
  hints?: number;
  lookup?: LookupFunction;
  defaultPort?: number;
  /** false: no Host header (as http.request's setHost). */
  setHost?: boolean;
}

/** The options object createConnection gets: the caller's options with the target filled in, as ws builds it. */
export interface ConnectOptions extends Omit<ClientOptions, 'host' | 'port' | 'path' | 'headers' | 'timeout'> {
  host: string;
  /** The URL's port as a string, or the scheme's default port as a number (as in ws). */
  port: string | number;
  defaultPort: number;
  /** The Unix socket path for ws+unix: (net.connect reads `path` as one), otherwise undefined. */
  path: string | undefined;
  socketPath: string | undefined;
  method: 'GET';
  headers: Record<string, HeaderValue | undefined>;
  timeout: number | undefined;
  auth: string | undefined;
}

const PROTOCOL_VERSIONS = [8, 13];

/** Checks the options and URL, starts the handshake and returns the URL the WebSocket reports. */
export function connectAsClient(ws: WebSocket, address: string | URL, protocols: string[], options: ClientOptions): string {
  const version = options.protocolVersion ?? 13;
  if (!PROTOCOL_VERSIONS.includes(version)) {
    throw new RangeError(`Unsupported protocol version: ${version} (supported versions: ${PROTOCOL_VERSIONS.join(', ')})`);
  }
  const target = parseClientUrl(address);
  checkClientProtocols(protocols);
  startRequest(ws, target, protocols, options, null);
  return target.url.href;
}

/** One request of the handshake: the first, or one per redirect followed. */
function startRequest(
  ws: WebSocket,
  target: ClientTarget,
  protocols: string[],
  options: ClientOptions,
  redirects: RedirectState<ClientOptions> | null,
): void {
  ws[kInternals].url = target.url.href; // `url` follows redirects, as in ws
  const version = options.protocolVersion ?? 13;
  const deflate = deflateOptions(options.perMessageDeflate ?? true);
  // connectAsClient let only 8 and 13 through.
  const handshake = new ClientHandshake({ protocols, perMessageDeflate: deflate, version: version as 8 | 13, origin: options.origin });
  // As in ws: the caller's headers, then the handshake's over them, the version as the
  // number ws hands on to createConnection and finishRequest (its place stays the same).
  const headers: Record<string, HeaderValue | undefined> = { ...options.headers, ...handshake.headers(), 'Sec-WebSocket-Version': version };
  let auth = target.auth ?? options.auth;
  if (options.followRedirects) {
    redirects ??= startRedirects(target, options);
    auth = redirectCredentials(redirects, target, headers, auth, ws.listenerCount('redirect') === 0);
  }

  const connectOptions: ConnectOptions = {
    protocolVersion: version,
    perMessageDeflate: true,
    followRedirects: false,
    maxRedirects: 10,
    ...options,
    // Node's http client names a missing host 'localhost' and hands createConnection
    // `path` only as the Unix socket path (net.connect reads it as one).
    host: target.ipc ? 'localhost' : target.host,
    port: target.port,
    defaultPort: options.defaultPort ?? target.defaultPort,
    path: target.socketPath,
    socketPath: target.socketPath,
    method: 'GET',
    headers,
    timeout: options.handshakeTimeout,
    auth,
  };
  const connect = options.createConnection ?? (target.secure ? connectTls : connectNet);
  const request: HandshakeClientRequest = options.agent
    ? (target.secure ? httpsRequest : httpRequest)({
        ...connectOptions,
        hostname: undefined, // http.request would prefer it to host
        host: target.host,
        path: target.path,
        createConnection: connect,
        agent: options.agent,
      } as RequestOptions)
    : new HandshakeRequest(
        {
          path: target.path,
          protocol: target.secure ? 'https:' : 'http:',
          host: connectOptions.host,
          hostHeader: options.setHost === false ? null : hostHeader(target.host, target.port, connectOptions.defaultPort),
          headers,
          auth,
        },
        ((oncreate) => connect(connectOptions, oncreate)) as OpenStream,
      );
  const events = request as EventEmitter;

  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let upgraded: Duplex | null = null;
  /** A non-upgrade response came and was handed to 'unexpected-response'. */
  let answered = false;
  /** Stops the handshake timeout's watch on an unexpected response's body. */
  let unwatchBody: (() => void) | null = null;
  /** This request is over (opened, failed, or replaced by a redirect): later events are not the WebSocket's. */
  const settle = () => {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    unwatchBody?.();
    ws[kInternals].abortHandshake = null;
  };
  // ws's abortHandshake: readyState is CLOSING at once, 'error' and 'close' follow on the
  // next tick, so a close() or terminate() while connecting never emits synchronously.
  // The request is aborted, not just destroyed, so it emits 'abort' as ws's does.
  const abort = (message: string) => {
    if (settled) return;
    settle();
    request.abort();
    dropRequest(request);
    if (upgraded !== null) discard(upgraded);
    ws[kInternals].failHandshake(new Error(message), true);
  };

  events.on('error', (err: Error) => {
    if (settled) return; // an aborted request's own teardown
    settle();
    // After a response only its connection goes: destroying the request would discard
    // the body data the listener has yet to read (ws leaves the request alone).
    if (answered && request.socket) discard(request.socket);
    else if (!answered) dropRequest(request);
    ws[kInternals].failHandshake(err);
  });

  events.on('response', (res: ClientResponse | IncomingMessage) => {
    if (settled) return;
    const status = res.statusCode ?? 0;
    const location = headerOf(res, 'location');
    if (location && redirects !== null && status >= 300 && status < 400) {
      if (++redirects.count > (options.maxRedirects ?? 10)) {
        abort('Maximum redirects exceeded');
        return;
      }
      settle();
      dropRequest(request);
      let next: ClientTarget;
      try {
        next = parseClientUrl(location, target.url);
      } catch (err) {
        ws[kInternals].failHandshake(err instanceof SyntaxError ? err : new SyntaxError(`Invalid URL: ${location}`));
        return;
      }
      startRequest(ws, next, protocols, redirects.options, redirects);
      return;
    }
    if (ws.listenerCount('unexpected-response') === 0) {
      abort(unexpectedResponseMessage(status));
      return;
    }
    answered = true;
    if (timer !== undefined) unwatchBody = watchBody(res);
    // As in ws, the listener owns what follows and the WebSocket stays CONNECTING: it
    // fails when the user ends it (close()/terminate() call `abort`), when the request
    // errs (a socket error, bad body framing, req.destroy(err): the 'error' handler above),
    // or when the timeout finds the body stalled. An aborted request or a connection the
    // server closed changes nothing until then, as in ws.
    ws.emit('unexpected-response', request, res);
  });

  /**
   * ws's handshake timeout is the socket's idle timeout, and Node's http client drops it
   * once the response has ended: so a body left unread (or stalled) still fails the
   * handshake with 'Opening handshake has timed out', and one read to its end never does.
   */
  const watchBody = (res: ClientResponse | IncomingMessage): (() => void) => {
    const socket = res.socket;
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => abort('Opening handshake has timed out'), options.handshakeTimeout);
    };
    // An extra 'data' listener does not change the socket's flow: paused stays paused.
    socket?.on('data', idle);
    const unwatch = () => {
      clearTimeout(timer);
      timer = undefined;
      socket?.removeListener('data', idle);
      socket?.removeListener('close', unwatch);
      res.removeListener('end', unwatch);
      res.removeListener('close', unwatch);
    };
    // A closed socket has no idle timeout left to fire, even with the body unread.
    socket?.once('close', unwatch);
    res.once('end', unwatch);
    res.once('close', unwatch);
    idle();
    return unwatch;
  };

  events.on('upgrade', (res: HandshakeResponse | IncomingMessage, socket: Duplex, head: Buffer) => {
    if (settled) {
      discard(socket);
      return;
    }
    upgraded = socket;
    // As in ws, before the response is checked and while CONNECTING: a listener that
    // calls close() or terminate() aborts the connection and 'open' never comes.
    ws.emit('upgrade', res);
    if (settled) return;
    settle();
    let protocol: string;
    let negotiated: NegotiatedDeflate | undefined;
    try {
      const agreed = handshake.accept(responseHead(res));
      protocol = agreed.protocol;
      // accept() agrees to permessage-deflate only when it was offered, so `deflate` is set.
      negotiated = agreed.deflate && { params: agreed.deflate, extensions: agreed.extensions, options: deflate! };
    } catch (err) {
      discard(socket);
      ws[kInternals].failHandshake(err as Error, true);
      return;
    }
    ws[kInternals].setSocket(socket, {
      role: 'client',
      maxPayload: options.maxPayload ?? 100 * 1024 * 1024,
      skipUTF8Validation: options.skipUTF8Validation,
      autoPong: options.autoPong,
      generateMask: options.generateMask,
      closeTimeout: options.closeTimeout,
      deflate: negotiated,
      protocol,
    });
    ws.emit('open');
    ws[kInternals].receiveHead(head);
  });

  if (options.handshakeTimeout !== undefined && options.handshakeTimeout > 0) {
    timer = setTimeout(() => abort('Opening handshake has timed out'), options.handshakeTimeout);
  }
  ws[kInternals].abortHandshake = abort;
  if (redirects !== null && redirects.count > 0) ws.emit('redirect', target.url.href, request);
  if (options.finishRequest) options.finishRequest(request, ws);
  else request.end();
}

function connectNet(options: ConnectOptions): Duplex {
  // Looked up on the module at call time, as ws does: tests and instrumentation patch net.connect / tls.connect.
  return net.connect(options as NetConnectOpts);
}

// As ws: an explicit servername wins ('' turns SNI off); otherwise the host, unless it is
// an IP address (SNI carries names only).
function connectTls(options: ConnectOptions): Duplex {
  const servername = options.servername || options.servername === '' ? options.servername : isIP(options.host) ? '' : options.host;
  return tls.connect({ ...(options as TlsOptions), path: undefined, servername });
}

/** Tears down a request that is no longer wanted, socket included (ClientRequest keeps an answered one's). */
function dropRequest(request: HandshakeClientRequest): void {
  request.destroy();
  if (request.socket) discard(request.socket);
}

/** Destroys a socket nobody reads any more; a late error from it is nobody's to handle. */
function discard(socket: Duplex): void {
  socket.on('error', () => {});
  socket.destroy();
}

function headerOf(res: HandshakeResponse | ClientResponse | IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The protocol layer's view of a response from either request kind. */
function responseHead(res: HandshakeResponse | IncomingMessage): ResponseHead {
  if (!(res instanceof IncomingMessage)) return res;
  const headers: Record<string, string> = {};
  for (const name of Object.keys(res.headers)) headers[name] = headerOf(res, name)!;
  return {
    httpVersion: res.httpVersion,
    statusCode: res.statusCode ?? 0,
    statusMessage: res.statusMessage ?? '',
    headers,
    rawHeaders: res.rawHeaders,
  };
}
