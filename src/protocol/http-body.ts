// The body of a response that is not an upgrade, sans-I/O: how it is framed (RFC 9112
// §6.3) and an incremental decoder that finds its bytes and its end in whatever chunks
// arrive. The client reads such a response when a server refuses the handshake, and
// hands its body to an 'unexpected-response' listener as Node's http client would; the
// faults are llhttp's (codes and messages), since ws's users meet those.

import { HttpParseError, isToken, MAX_HEAD_BYTES, type ResponseHead } from './http.js';

export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  /** Until the connection ends (no Content-Length, or a Transfer-Encoding that is not chunked). */
  | { kind: 'close' };

/** How `head`'s body is framed; a Content-Length llhttp would refuse throws an HttpParseError. */
export function bodyFraming(head: ResponseHead): BodyFraming {
  const status = head.statusCode;
  // These never have a body, whatever their headers say (a 304's Content-Length is the
  // length of the representation it did not send).
  if (status < 200 || status === 204 || status === 304) return { kind: 'none' };
  let length: string | undefined;
  for (let i = 0; i < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i].toLowerCase() !== 'content-length') continue;
    if (length !== undefined) throw new HttpParseError('HPE_UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length');
    length = head.rawHeaders[i + 1];
  }
  const coding = head.headers['transfer-encoding'];
  if (coding !== undefined) {
    // A message with both could be framed two ways; that ambiguity is request smuggling.
    if (length !== undefined)
      throw new HttpParseError('HPE_INVALID_CONTENT_LENGTH', "Content-Length can't be present with Transfer-Encoding");
    const codings = coding.split(',');
    // Chunked only frames the body when it is the last coding applied.
    return codings[codings.length - 1].trim().toLowerCase() === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  }
  if (length === undefined) return { kind: 'close' };
  if (length === '') throw new HttpParseError('HPE_INVALID_CONTENT_LENGTH', 'Empty Content-Length');
  for (let i = 0; i < length.length; i++) {
    const c = length.charCodeAt(i);
    if (c < 48 || c > 57) throw new HttpParseError('HPE_INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length');
  }
  const value = Number(length);
  if (!Number.isSafeInteger(value)) throw new HttpParseError('HPE_INVALID_CONTENT_LENGTH', 'Content-Length overflow');
  return value === 0 ? { kind: 'none' } : { kind: 'length', length: value };
}

const enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  Done,
}

const CR = 13;
const LF = 10;

/**
 * Finds a body's bytes in the chunks pushed to it. `push` calls `onData` with views into
 * the chunk (body bytes only, in order) and throws an HttpParseError at the first byte
 * chunked framing does not allow, after delivering the data before it, as llhttp does.
 * `done` is true once the body is complete; bytes after it are not the body's.
 */
export class BodyDecoder {
  done: boolean;
  /** Chunked trailer fields as name/value pairs, as IncomingMessage.rawTrailers. */
  readonly rawTrailers: string[] = [];
  private remaining: number;
  private state = Chunk.Size;
  private sizeDigits = 0;
  private line = '';
  private trailerBytes = 0;

  constructor(private readonly framing: BodyFraming) {
    this.done = framing.kind === 'none';
    this.remaining = framing.kind === 'length' ? framing.length : 0;
  }

  push(chunk: Uint8Array, onData: (bytes: Uint8Array) => void): void {
    if (this.done || chunk.length === 0) return;
    switch (this.framing.kind) {
      case 'close':
        onData(chunk);
        return;
      case 'length': {
        const take = Math.min(this.remaining, chunk.length);
        this.remaining -= take;
        if (this.remaining === 0) this.done = true;
        onData(take === chunk.length ? chunk : chunk.subarray(0, take));
        return;
      }
      case 'chunked':
        this.pushChunked(chunk, onData);
    }
  }

  /** The connection ended: true when that completes the body (only a close-delimited one). */
  finish(): boolean {
    if (!this.done && this.framing.kind === 'close') this.done = true;
    return this.done;
  }

  private pushChunked(chunk: Uint8Array, onData: (bytes: Uint8Array) => void): void {
    let i = 0;
    while (i < chunk.length && this.state !== Chunk.Done) {
      if (this.state === Chunk.Data) {
        const take = Math.min(this.remaining, chunk.length - i);
        onData(chunk.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = Chunk.DataCr;
        continue;
      }
      this.step(chunk[i++]);
    }
    if (this.state === Chunk.Done) this.done = true;
  }

  private step(c: number): void {
    switch (this.state) {
      case Chunk.Size: {
        const digit = hexValue(c);
        if (digit >= 0) {
          // More than 2^53 is no body anyone sends; llhttp stops at 2^64.
          if (++this.sizeDigits > 13) throw new HttpParseError('HPE_INVALID_CHUNK_SIZE', 'Chunk size overflow');
          this.remaining = this.remaining * 16 + digit;
        } else if (this.sizeDigits > 0 && c === CR) {
          this.state = Chunk.SizeLf;
        } else if (this.sizeDigits > 0 && c === 59 /* ; */) {
          this.state = Chunk.Extension;
        } else if (this.sizeDigits > 0 && c === LF) {
          throw new HttpParseError('HPE_CR_EXPECTED', 'Missing expected CR after chunk size');
        } else {
          throw new HttpParseError('HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
        }
        return;
      }
      case Chunk.Extension:
        // Extensions mean nothing to us; only their bytes are checked.
        if (c === CR) this.state = Chunk.SizeLf;
        else if ((c < 32 && c !== 9) || c === 127) throw new HttpParseError('HPE_STRICT', 'Invalid character in chunk extensions');
        return;
      case Chunk.SizeLf:
        if (c !== LF) throw new HttpParseError('HPE_STRICT', 'Expected LF after chunk size');
        this.sizeDigits = 0;
        this.state = this.remaining === 0 ? Chunk.Trailer : Chunk.Data;
        return;
      case Chunk.DataCr:
        if (c === LF) throw new HttpParseError('HPE_CR_EXPECTED', 'Missing expected CR after chunk data');
        if (c !== CR) throw new HttpParseError('HPE_STRICT', 'Expected LF after chunk data');
        this.state = Chunk.DataLf;
        return;
      case Chunk.DataLf:
        if (c !== LF) throw new HttpParseError('HPE_STRICT', 'Expected LF after chunk data');
        this.state = Chunk.Size;
        return;
      case Chunk.Trailer:
        if (++this.trailerBytes > MAX_HEAD_BYTES) throw new HttpParseError('HPE_HEADER_OVERFLOW', 'Header overflow');
        if (c === CR) this.state = Chunk.TrailerLf;
        else this.line += String.fromCharCode(c); // latin1, as header bytes are read
        return;
      case Chunk.TrailerLf:
        if (c !== LF) throw new HttpParseError('HPE_STRICT', 'Expected LF after header value');
        if (this.line === '') {
          this.state = Chunk.Done;
          return;
        }
        this.trailer(this.line);
        this.line = '';
        this.state = Chunk.Trailer;
    }
  }

  private trailer(line: string): void {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon <= 0 || !isToken(name)) throw new HttpParseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header token');
    this.rawTrailers.push(name, line.slice(colon + 1).trim());
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
