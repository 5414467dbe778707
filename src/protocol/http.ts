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
  101: 'Switching Protocols', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 426: 'Upgrade Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
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
  return responseHead(status, [
    ['Connection', 'close'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(new TextEncoder().encode(body).length)],
    ...extra,
  ]) + body;
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
 * Collects bytes until a response head is complete. `push` returns the parsed head and
 * whatever followed it (the first WebSocket bytes), or null while incomplete; a
 * malformed or oversized head throws.
 */
export class ResponseHeadParser {
  private buffered: Uint8Array = new Uint8Array(0);

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
      if (joined.length > MAX_HEAD_BYTES) throw new Error('The HTTP response head is too large');
      this.buffered = joined;
      return null;
    }
    if (end > MAX_HEAD_BYTES) throw new Error('The HTTP response head is too large');
    this.buffered = new Uint8Array(0);
    return { head: parseResponseHead(joined.subarray(0, end)), rest: joined.subarray(end + 4) };
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
  const firstSpace = status.indexOf(' ');
  const version = status.slice(0, firstSpace);
  if (firstSpace < 0 || !version.startsWith('HTTP/1.')) throw new Error(`Invalid HTTP status line: ${JSON.stringify(status.slice(0, 80))}`);
  const secondSpace = status.indexOf(' ', firstSpace + 1);
  const codeText = status.slice(firstSpace + 1, secondSpace < 0 ? undefined : secondSpace);
  if (codeText.length !== 3 || !/^[0-9]{3}$/.test(codeText)) throw new Error(`Invalid HTTP status code ${JSON.stringify(codeText)}`);
  if (lines.length - 1 > MAX_HEADERS) throw new Error('Too many HTTP response headers');
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon <= 0 || !isToken(name)) throw new Error(`Invalid HTTP header line: ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    rawHeaders.push(name, value);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return {
    httpVersion: version.slice(5),
    statusCode: Number(codeText),
    statusMessage: secondSpace < 0 ? '' : status.slice(secondSpace + 1),
    headers,
    rawHeaders,
  };
}
