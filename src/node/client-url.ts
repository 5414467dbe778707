// Where a client connects, read from its URL the way ws@8 reads it: ws:, wss:, http:,
// https: and ws+unix: (`ws+unix:/path/to.sock:/request/path`), with ws's error messages,
// since code and tests written for ws match on them.

import { unescape } from 'node:querystring';
import { requestPath, withWebSocketScheme } from '../protocol/client-handshake.js';

export interface ClientTarget {
  /** The URL as the WebSocket reports it (`url`): http(s) turned into ws(s). */
  url: URL;
  secure: boolean;
  /** A ws+unix: URL: the connection goes to `socketPath`. */
  ipc: boolean;
  /** Host name, IPv6 without brackets ('' for ws+unix:). */
  host: string;
  /** As ws hands it on: the URL's port as a string, or the scheme's default as a number. */
  port: string | number;
  defaultPort: number;
  /** Request target: path and query. */
  path: string;
  socketPath: string | undefined;
  /** `user:password` from the URL's userinfo (percent-decoded), if it has one. */
  auth: string | undefined;
}

/**
 * Parses a client URL, a relative one (a redirect's Location) against `base`; a bad one
 * throws the SyntaxError ws throws.
 */
export function parseClientUrl(address: string | URL, base?: URL): ClientTarget {
  let url: URL;
  if (address instanceof URL) {
    url = address;
  } else {
    try {
      url = new URL(address, base);
    } catch {
      throw new SyntaxError(`Invalid URL: ${address}`);
    }
  }
  url = withWebSocketScheme(url);
  const secure = url.protocol === 'wss:';
  const ipc = url.protocol === 'ws+unix:';
  if (url.protocol !== 'ws:' && !secure && !ipc) {
    throw new SyntaxError('The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"');
  }
  if (ipc && !url.pathname) throw new SyntaxError("The URL's pathname is empty");
  if (url.hash) throw new SyntaxError('The URL contains a fragment identifier');

  const defaultPort = secure ? 443 : 80;
  let path = requestPath(url);
  let socketPath: string | undefined;
  if (ipc) {
    // The socket path ends at the first ':'; what follows is the request path.
    const colon = path.indexOf(':');
    socketPath = colon < 0 ? path : path.slice(0, colon);
    path = colon < 0 ? '/' : path.slice(colon + 1) || '/';
  }
  return {
    url,
    secure,
    ipc,
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port || defaultPort,
    defaultPort,
    path,
    socketPath,
    auth: url.username || url.password ? `${unescape(url.username)}:${unescape(url.password)}` : undefined,
  };
}

/**
 * The Host header Node's http.request would send: IPv6 in brackets, the port unless it
 * is the default; 'localhost' for a Unix socket.
 */
export function hostHeader(host: string, port: string | number, defaultPort: number): string {
  let value = host || 'localhost';
  if (value.includes(':') && !value.startsWith('[')) value = `[${value}]`;
  return Number(port) !== defaultPort ? `${value}:${port}` : value;
}
