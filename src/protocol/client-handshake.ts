// The client's opening handshake (RFC 6455 §4.1), sans-I/O: the key, the headers to send,
// and the checks on the server's response, written once for every client (src/node over
// net/tls or an http.Agent, src/web over WHATWG streams). The transports own the bytes,
// the HTTP parser and the timers. The error messages are ws@8's: code written for ws
// matches on them, and a server author sees the same words from either client.

import type { DeflateParams, PerMessageDeflateOptions } from './deflate.js';
import { acceptKeyFor } from './handshake.js';
import { isToken, listHasToken, type ResponseHead } from './http.js';
import { acceptServerExtensions, deflateOffer } from './permessage-deflate.js';
import { toBase64 } from './sha1.js';

/** A fresh Sec-WebSocket-Key: 16 random bytes in base64 (§4.1, item 7). */
export function createClientKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/** Why a response that is not a 101 fails the handshake (a Node client finds that before any 101 check). */
export function unexpectedResponseMessage(status: number): string {
  return `Unexpected server response: ${status}`;
}

/**
 * The path and query a URL asks for, as the request line carries it: never empty, and
 * never the fragment (which both clients refuse in the URL anyway).
 */
export function requestPath(url: URL): string {
  return (url.pathname || '/') + url.search;
}

/**
 * The URL with http: mapped to ws: and https: to wss: (ws and WHATWG's WebSocket both
 * accept those); a copy when the scheme changes, so a caller's URL object is never rewritten.
 */
export function withWebSocketScheme(url: URL): URL {
  const scheme = url.protocol === 'http:' ? 'ws:' : url.protocol === 'https:' ? 'wss:' : undefined;
  if (scheme === undefined) return url;
  const mapped = new URL(url);
  mapped.protocol = scheme;
  return mapped;
}

export interface ClientHandshakeOptions {
  /** Subprotocols to offer, in order of preference. */
  protocols?: readonly string[];
  /** permessage-deflate to offer: its options (`true`: all defaults); undefined offers no extension. */
  perMessageDeflate?: PerMessageDeflateOptions | true;
  /** 13 (the default) or 8: the Sec-WebSocket-Version sent; 8 also calls the origin header Sec-WebSocket-Origin. */
  version?: 8 | 13;
  /** The Origin header, if any. */
  origin?: string;
  /**
   * What joins the offered subprotocols: ws sends `a,b` (the default), browsers `a, b`.
   * Servers read both; each client keeps the form it always sent.
   */
  protocolSeparator?: string;
}

/** Where the request goes: what the web client needs to write the request head itself. */
export interface RequestTarget {
  /** The Host header's value: the host, with :port unless it is the scheme's default. */
  host: string;
  /** Path and query, starting with '/' (requestPath()). */
  path: string;
}

/** What the server agreed to. */
export interface ClientHandshakeResult {
  /** The subprotocol the server chose ('' for none). */
  protocol: string;
  /** The server's Sec-WebSocket-Extensions value ('' for none). */
  extensions: string;
  /** permessage-deflate as agreed, when it was. */
  deflate: DeflateParams | undefined;
}

/**
 * One attempt at the client handshake (a redirect starts a new one, with a new key):
 * `headers()` or `requestHead()` say what to send, `accept()` checks what came back.
 */
export class ClientHandshake {
  /** This attempt's Sec-WebSocket-Key. */
  readonly key = createClientKey();
  readonly protocols: readonly string[];
  /** The Sec-WebSocket-Extensions value offered, if any. */
  readonly extensionOffer: string | undefined;
  readonly #deflate: PerMessageDeflateOptions | true | undefined;
  readonly #headers: Record<string, string>;

  /** @throws SyntaxError for bad subprotocols, TypeError/RangeError for bad permessage-deflate options. */
  constructor(options: ClientHandshakeOptions = {}) {
    const protocols = options.protocols ?? [];
    checkClientProtocols(protocols);
    this.protocols = [...protocols]; // what accept() compares with stays what was sent
    this.#deflate = options.perMessageDeflate;
    this.extensionOffer = this.#deflate === undefined ? undefined : deflateOffer(this.#deflate);
    const version = options.version ?? 13;
    // ws's names and order: a server that logs or fingerprints requests sees the same head.
    const headers: Record<string, string> = {
      'Sec-WebSocket-Version': String(version),
      'Sec-WebSocket-Key': this.key,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
    };
    if (this.extensionOffer !== undefined) headers['Sec-WebSocket-Extensions'] = this.extensionOffer;
    if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(options.protocolSeparator ?? ',');
    if (options.origin) headers[version < 13 ? 'Sec-WebSocket-Origin' : 'Origin'] = options.origin;
    this.#headers = headers;
  }

  /** The handshake's own request headers (a fresh object: the Node client merges the caller's into it). */
  headers(): Record<string, string> {
    return { ...this.#headers };
  }

  /**
   * The whole request head: request line, Host, the handshake's headers, then `extra` as given.
   * @throws TypeError when a header name is not a token or a value holds a line break.
   */
  requestHead(target: RequestTarget, extra: Readonly<Record<string, string>> = {}): string {
    let head = `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}\r\n`;
    for (const [name, value] of [...Object.entries(this.#headers), ...Object.entries(extra)]) {
      if (!isToken(name) || /[\r\n]/.test(value)) throw new TypeError(`Invalid request header ${JSON.stringify(name)}`);
      head += `${name}: ${value}\r\n`;
    }
    return head + '\r\n';
  }

  /**
   * Checks the server's response (§4.1: status, Upgrade, Connection, Sec-WebSocket-Accept,
   * then the subprotocol and the extensions against what was offered).
   * `headers` are lower-cased, repeated ones joined with ', ' (as ResponseHeadParser gives them).
   * @throws Error saying what was wrong, in ws's words; the connection must be failed.
   */
  accept(response: Pick<ResponseHead, 'statusCode' | 'headers'>): ClientHandshakeResult {
    const { headers } = response;
    if (response.statusCode !== 101) throw new Error(unexpectedResponseMessage(response.statusCode));
    if (!listHasToken(headers['upgrade'], 'websocket')) throw new Error('Invalid Upgrade header');
    if (!listHasToken(headers['connection'], 'upgrade')) throw new Error('Invalid Connection header');
    if (headers['sec-websocket-accept'] !== acceptKeyFor(this.key)) throw new Error('Invalid Sec-WebSocket-Accept header');
    const protocol = this.#acceptProtocol(headers['sec-websocket-protocol']);
    const extensions = headers['sec-websocket-extensions'];
    if (extensions === undefined) return { protocol, extensions: '', deflate: undefined };
    return { protocol, extensions, deflate: acceptServerExtensions(extensions, this.#deflate) };
  }

  #acceptProtocol(chosen: string | undefined): string {
    if (chosen === undefined) {
      if (this.protocols.length > 0) throw new Error('Server sent no subprotocol');
      return '';
    }
    if (this.protocols.length === 0) throw new Error('Server sent a subprotocol but none was requested');
    if (!this.protocols.includes(chosen)) throw new Error('Server sent an invalid subprotocol');
    return chosen;
  }
}

/**
 * Checks the subprotocols a client is asked to offer: tokens, no duplicates.
 * @throws SyntaxError with ws's message (the web client turns it into a DOMException).
 */
export function checkClientProtocols(protocols: readonly unknown[]): void {
  const seen = new Set<string>();
  for (const p of protocols) {
    if (typeof p !== 'string' || !isToken(p) || seen.has(p)) throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    seen.add(p);
  }
}
