// The bits of HTTP/1.1 the handshake needs, sans-I/O: header lists, tokens, response
// heads to write, and an incremental parser for a response head (the client reads the
// server's 101 straight off the byte stream, so it works over any transport).

export type Headers = Record<string, string | string[] | undefined>;

/** The first value of a header (Node joins most repeated headers with ', ' already). */
export function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Splits a comma-separated header into trimmed, non-empty items (linear, no regex). */
export function headerList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const items: string[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item !== '') items.push(item);
  }
  return items;
}

/** Whether a comma list contains a token, compared case-insensitively. */
export function listHasToken(value: string | undefined, token: string): boolean {
  const wanted = token.toLowerCase();
  return headerList(value).some((item) => item.toLowerCase() === wanted);
}

// RFC 7230 tchar.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Whether a UTF-16 code unit is an RFC 7230 token character. */
export const isTchar = (c: number): boolean => c < 128 && TCHAR[c] === 1;

/** True when `s` is a non-empty RFC 7230 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

const STATUS_TEXT: Record<number, string> = {
  101: 'Switching Protocols',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}

/** A complete HTTP response head: status line, headers, blank line. */
export function responseHead(status: number, headers: Array<[string, string]>, reason = statusText(status)): string {
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return head + '\r\n';
}

/** A short plain-text error response that closes the connection. */
export function errorResponse(status: number, message: string, extra: Array<[string, string]> = []): string {
  const body = message || statusText(status);
  return (
    responseHead(status, [
      ['Connection', 'close'],
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(new TextEncoder().encode(body).length)],
      ...extra,
    ]) + body
  );
}

export interface ResponseHead {
  httpVersion: string;
  statusCode: number;
  statusMessage: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  rawHeaders: string[];
}

/** Largest response head accepted; anything bigger is not a WebSocket server talking. */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 100;

/**
 * A response that is not HTTP. `code` is the one Node's llhttp gives the same fault
 * (HPE_INVALID_CONSTANT, HPE_INVALID_VERSION, HPE_INVALID_STATUS,
 * HPE_INVALID_HEADER_TOKEN, HPE_HEADER_OVERFLOW), so code written for ws's client,
 * which reads the response with Node's parser, sees the codes it knows.
 */
export class HttpParseError extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(`Parse Error: ${reason}`);
  }
}

/**
 * Collects bytes until a response head is complete. `push` returns the parsed head and
 * whatever followed it (the first WebSocket bytes), or null while incomplete; a
 * malformed or oversized head throws an HttpParseError. The status line is checked as
 * its bytes arrive: a peer that is not an HTTP server (an SSH banner, a stray service)
 * fails at its first wrong byte instead of leaving the client waiting for a blank line
 * that never comes.
 */
export class ResponseHeadParser {
  private buffered: Uint8Array = new Uint8Array(0);
  /** Bytes of the status line already checked; -1 once it is complete. */
  private statusChecked = 0;

  push(chunk: Uint8Array): { head: ResponseHead; rest: Uint8Array } | null {
    const searchFrom = Math.max(0, this.buffered.length - 3);
    // Usually the whole head is in the first chunk: only a split head is copied together.
    let joined: Uint8Array = chunk;
    if (this.buffered.length > 0) {
      joined = new Uint8Array(this.buffered.length + chunk.length);
      joined.set(this.buffered);
      joined.set(chunk, this.buffered.length);
    }
    const end = findHeadEnd(joined, searchFrom);
    if (end < 0) {
      this.checkStatusLine(joined);
      if (joined.length > MAX_HEAD_BYTES) throw new HttpParseError('HPE_HEADER_OVERFLOW', 'Header overflow');
      this.buffered = joined;
      return null;
    }
    if (end > MAX_HEAD_BYTES) throw new HttpParseError('HPE_HEADER_OVERFLOW', 'Header overflow');
    this.buffered = new Uint8Array(0);
    this.statusChecked = 0;
    return { head: parseResponseHead(joined.subarray(0, end)), rest: joined.subarray(end + 4) };
  }

  /** Checks the status-line bytes that arrived since the last call (each byte once). */
  private checkStatusLine(bytes: Uint8Array): void {
    let i = this.statusChecked;
    if (i < 0) return;
    for (; i < bytes.length; i++) {
      if (bytes[i] === 13) {
        if (i < 12) statusLineByte(i, 13); // throws: the line ended early
        this.statusChecked = -1;
        return;
      }
      statusLineByte(i, bytes[i]);
    }
    this.statusChecked = i;
  }
}

const HTTP_SLASH = [72, 84, 84, 80, 47]; // 'HTTP/'
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Throws unless byte `c` can stand at offset `i` of `HTTP/1.<d> <ddd>[ <reason>]`.
 * The reason phrase may hold tabs, spaces, visible ASCII and obs-text, not controls.
 */
function statusLineByte(i: number, c: number): void {
  if (i < 5) {
    if (c !== HTTP_SLASH[i]) throw new HttpParseError('HPE_INVALID_CONSTANT', 'Expected HTTP/');
  } else if (i < 9) {
    const ok = i === 5 ? c === 49 : i === 6 ? c === 46 : i === 7 ? isDigit(c) : c === 32;
    if (!ok) throw new HttpParseError('HPE_INVALID_VERSION', 'Invalid HTTP version (expected HTTP/1.x)');
  } else if (i < 12) {
    if (!isDigit(c)) throw new HttpParseError('HPE_INVALID_STATUS', 'Invalid status code');
  } else if (i === 12) {
    if (c !== 32) throw new HttpParseError('HPE_INVALID_STATUS', 'Invalid response status');
  } else if ((c < 32 && c !== 9) || c === 127) {
    throw new HttpParseError('HPE_INVALID_STATUS', 'Invalid response status');
  }
}

function findHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function parseResponseHead(bytes: Uint8Array): ResponseHead {
  // latin1: header bytes are octets; nothing here needs UTF-8.
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  const lines = text.split('\r\n');
  const status = lines[0];
  for (let i = 0; i < status.length; i++) statusLineByte(i, status.charCodeAt(i));
  if (status.length < 12) statusLineByte(status.length, 13); // throws: too short
  if (lines.length - 1 > MAX_HEADERS) throw new HttpParseError('HPE_HEADER_OVERFLOW', 'Too many HTTP response headers');
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon <= 0 || !isToken(name)) throw new HttpParseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header token');
    const value = line.slice(colon + 1).trim();
    rawHeaders.push(name, value);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return {
    httpVersion: status.slice(5, 8),
    statusCode: Number(status.slice(9, 12)),
    statusMessage: status.slice(13),
    headers,
    rawHeaders,
  };
}
