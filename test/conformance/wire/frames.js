// The harness's own RFC 6455 frame tools. They share no code with wscodec on purpose:
// a conformance verdict is only worth something if the judge does not reuse the
// code under judgement. The writer can build any frame, legal or not; the reader is
// strict and reports every rule the peer breaks instead of guessing what was meant.
import { randomFillSync } from 'node:crypto';

export const OP = Object.freeze({ CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 });

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/**
 * string → UTF-8, Uint8Array → itself, number[] → bytes.
 * @param {string | Uint8Array | number[] | null} [data]
 */
export function toBytes(data) {
  if (data === undefined || data === null) return EMPTY;
  if (typeof data === 'string') return utf8.encode(data);
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return Uint8Array.from(data);
  throw new TypeError('toBytes: unsupported payload');
}

/**
 * One frame as buildFrame takes it.
 * @typedef {object} FrameSpec
 * @property {number} opcode
 * @property {string | Uint8Array | number[] | null} [payload]
 * @property {boolean} [fin]
 * @property {boolean} [rsv1]
 * @property {boolean} [rsv2]
 * @property {boolean} [rsv3]
 * @property {boolean | Uint8Array | null} [mask]
 * @property {'minimal' | 7 | 16 | 64} [lengthForm]
 * @property {number | bigint} [declaredLength]
 */

export function randomMaskKey() {
  const key = new Uint8Array(4);
  randomFillSync(key);
  return key;
}

/**
 * Builds one frame with full control over every header field.
 * - `mask`: a 4-byte key, `true` for a random key, or false/null for none.
 * - `lengthForm`: 'minimal' (default), 7, 16 or 64 — which length encoding to use,
 *   so non-minimal encodings can be sent on purpose.
 * - `declaredLength`: a length (number or BigInt) to write instead of the payload's
 *   real length, for lying headers.
 * @param {FrameSpec} spec
 */
export function buildFrame({
  opcode,
  payload,
  fin = true,
  rsv1 = false,
  rsv2 = false,
  rsv3 = false,
  mask = false,
  lengthForm = 'minimal',
  declaredLength,
}) {
  const body = toBytes(payload);
  const length = declaredLength ?? body.length;
  const big = BigInt(length);
  let form = lengthForm;
  if (form === 'minimal') form = big < 126n ? 7 : big < 65536n ? 16 : 64;
  const key = mask === true ? randomMaskKey() : mask || null;
  const headerLength = 2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (key ? 4 : 0);
  const out = new Uint8Array(headerLength + body.length);
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (rsv3 ? 0x10 : 0) | (opcode & 0x0f);
  const maskBit = key ? 0x80 : 0;
  let at = 2;
  if (form === 7) {
    out[1] = maskBit | Number(big & 0x7fn);
  } else if (form === 16) {
    out[1] = maskBit | 126;
    out[2] = Number((big >> 8n) & 0xffn);
    out[3] = Number(big & 0xffn);
    at = 4;
  } else {
    out[1] = maskBit | 127;
    for (let i = 0; i < 8; i++) out[2 + i] = Number((big >> BigInt(8 * (7 - i))) & 0xffn);
    at = 10;
  }
  if (key) {
    out.set(key, at);
    at += 4;
    for (let i = 0; i < body.length; i++) out[at + i] = body[i] ^ key[i & 3];
  } else {
    out.set(body, at);
  }
  return out;
}

/**
 * A close frame payload: code (2 bytes, big-endian) then the reason's bytes.
 * @param {number} [code]
 * @param {string | Uint8Array} [reason]
 */
export function closePayload(code, reason = '') {
  if (code === undefined) return EMPTY;
  const text = toBytes(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = (code >> 8) & 0xff;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/**
 * Incremental, strict frame reader. `push(chunk)` returns the complete frames
 * (payloads unmasked) and stops at the first rule the peer breaks, which it keeps in
 * `violation`. `peerIsClient`: the peer must mask every frame (and a server must not).
 */
export class FrameReader {
  constructor({ peerIsClient, allowRsv1 = false }) {
    this.peerIsClient = peerIsClient;
    this.allowRsv1 = allowRsv1;
    this.violation = null;
    this.chunks = [];
    this.buffered = 0;
  }

  push(chunk) {
    if (this.violation) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  /** Joins buffered chunks so the first `n` bytes are contiguous. */
  head(n) {
    if (this.chunks[0].length < n) {
      const all = Buffer.concat(this.chunks);
      this.chunks = [all];
    }
    return this.chunks[0];
  }

  take(n) {
    const first = this.head(n);
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  next() {
    if (this.buffered < 2) return null;
    const h = this.head(Math.min(this.buffered, 14));
    const fin = (h[0] & 0x80) !== 0;
    const rsv1 = (h[0] & 0x40) !== 0;
    const rsv23 = h[0] & 0x30;
    const opcode = h[0] & 0x0f;
    const masked = (h[1] & 0x80) !== 0;
    const len7 = h[1] & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const headerLength = 2 + extra + (masked ? 4 : 0);
    if (this.buffered < headerLength) return null;
    let length = len7;
    if (len7 === 126) {
      length = (h[2] << 8) | h[3];
      if (length < 126) return this.fail('a 16-bit length used for a payload under 126 bytes');
    } else if (len7 === 127) {
      if (h[2] & 0x80) return this.fail('the top bit of a 64-bit length is set');
      let big = 0n;
      for (let i = 0; i < 8; i++) big = (big << 8n) | BigInt(h[2 + i]);
      if (big < 65536n) return this.fail('a 64-bit length used for a payload under 65536 bytes');
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return this.fail('a frame too large to read');
      length = Number(big);
    }
    if (masked !== this.peerIsClient) {
      return this.fail(this.peerIsClient ? 'an unmasked frame from a client' : 'a masked frame from a server');
    }
    if (rsv23) return this.fail('RSV2/RSV3 set with no extension that defines them');
    if (rsv1 && !this.allowRsv1) return this.fail('RSV1 set with no extension negotiated');
    if ((opcode > 2 && opcode < 8) || opcode > 10) return this.fail(`reserved opcode ${opcode}`);
    if (opcode >= 8) {
      if (!fin) return this.fail('a fragmented control frame');
      if (length > 125) return this.fail('a control frame longer than 125 bytes');
      if (rsv1) return this.fail('RSV1 on a control frame');
    }
    if (this.buffered < headerLength + length) return null;
    const header = this.take(headerLength);
    const key = masked ? header.slice(headerLength - 4, headerLength) : null;
    const payload = Uint8Array.from(length > 0 ? this.take(length) : EMPTY);
    if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    return { fin, rsv1, opcode, payload, masked };
  }

  fail(reason) {
    this.violation = reason;
    this.chunks = [];
    this.buffered = 0;
    return null;
  }
}
