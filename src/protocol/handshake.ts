// The opening handshake (RFC 6455 §4), sans-I/O: what a server checks in an upgrade
// request and writes back, and the accept key both sides compute. The client's side is
// client-handshake.ts. The transports own sockets, timers and the HTTP parser; this file
// owns the rules.

import { errorResponse, headerList, headerValue, isToken, listHasToken, type Headers } from './http.js';
import { sha1, toBase64 } from './sha1.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
// 16 bytes in base64 are 22 significant characters and '=='.
const KEY_SHAPE = /^[A-Za-z0-9+/]{22}==$/;

/** Sec-WebSocket-Accept for a key (§4.2.2 step 5.4). */
export function acceptKeyFor(key: string): string {
  return toBase64(sha1(new TextEncoder().encode(key + GUID)));
}

/** A refused handshake: the HTTP status to answer with, and why. */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(
    message: string,
    readonly status: number,
    readonly headers: Array<[string, string]> = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The complete HTTP response to write before closing the socket. */
  response(): string {
    return errorResponse(this.status, this.message, this.headers);
  }
}

export interface UpgradeRequest {
  method?: string;
  httpVersion?: string;
  headers: Headers;
  /** Name/value pairs as received (Node's req.rawHeaders), to count headers. */
  rawHeaders?: string[];
}

/** What a valid upgrade request asks for. */
export interface UpgradeOffer {
  key: string;
  /** Subprotocols offered, in the client's order (no duplicates). */
  protocols: string[];
  /** The raw Sec-WebSocket-Extensions value, if any. */
  extensions: string | undefined;
  origin: string | undefined;
}

export interface UpgradeRules {
  /** Requests with more header lines than this get 431 (default 100). */
  maxHeaders?: number;
}

/** Checks an upgrade request (§4.2.1); a bad one throws a HandshakeError with its status. */
export function readUpgradeRequest(req: UpgradeRequest, rules: UpgradeRules = {}): UpgradeOffer {
  const { headers } = req;
  // The checks and their messages follow ws, in ws's order (a client switching servers
  // sees the same answer), plus the RFC's Connection and Host requirements.
  if (req.method !== undefined && req.method !== 'GET') {
    throw new HandshakeError('Invalid HTTP method', 405, [['Allow', 'GET']]);
  }
  if (req.httpVersion !== undefined && !/^(1\.[1-9]|[2-9]\.\d)$/.test(req.httpVersion)) {
    throw new HandshakeError('The upgrade request must be HTTP/1.1 or later', 400);
  }
  const maxHeaders = rules.maxHeaders ?? 100;
  if (req.rawHeaders !== undefined && req.rawHeaders.length / 2 > maxHeaders) {
    throw new HandshakeError(`More than ${maxHeaders} request headers`, 431);
  }
  if (!listHasToken(headerValue(headers, 'upgrade'), 'websocket')) {
    throw new HandshakeError('Invalid Upgrade header', 400);
  }
  if (!listHasToken(headerValue(headers, 'connection'), 'upgrade')) {
    throw new HandshakeError('Invalid Connection header', 400);
  }
  const key = headerValue(headers, 'sec-websocket-key');
  if (key === undefined || !KEY_SHAPE.test(key)) {
    throw new HandshakeError('Missing or invalid Sec-WebSocket-Key header', 400);
  }
  // 400 as in ws and in RFC 6455 §4.4's own example; the header names the versions we
  // speak. 8 (hybi-08 to -12) frames exactly as 13 does, and ws accepts it too.
  const version = headerValue(headers, 'sec-websocket-version');
  if (version !== '13' && version !== '8') {
    throw new HandshakeError('Missing or invalid Sec-WebSocket-Version header', 400, [['Sec-WebSocket-Version', '13, 8']]);
  }
  if (!headerValue(headers, 'host')) throw new HandshakeError('Missing Host header', 400);
  return {
    key,
    protocols: parseProtocols(headerValue(headers, 'sec-websocket-protocol')),
    extensions: headerValue(headers, 'sec-websocket-extensions'),
    origin: headerValue(headers, 'origin') ?? headerValue(headers, 'sec-websocket-origin'),
  };
}

function parseProtocols(value: string | undefined): string[] {
  const protocols = headerList(value);
  const seen = new Set<string>();
  // ws's words for all of these: an invalid, duplicated or empty list.
  const invalid = () => new HandshakeError('Invalid Sec-WebSocket-Protocol header', 400);
  for (const protocol of protocols) {
    if (!isToken(protocol) || seen.has(protocol)) throw invalid();
    seen.add(protocol);
  }
  if (value !== undefined && protocols.length === 0) throw invalid();
  return protocols;
}

/** The lines of a 101 response (status line first, no trailing blank line), as ws's 'headers' event shows them. */
export function acceptResponseLines(key: string, protocol?: string, extensions?: string): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKeyFor(key)}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return lines;
}
