// The shared test wire builder: an independent RFC 6455 frame writer, deliberately able
// to build frames the library must reject (wrong MASK bit, non-minimal or lying lengths,
// reserved bits and opcodes). Tests, benchmarks and the fuzzer build their bytes here and
// never with the codec under test. No imports and no Buffer, so browsers and workerd load
// it as is. The conformance harness keeps its own writer on purpose (test/conformance/wire/).

export const OP = Object.freeze({
  CONT: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
});

/** A fixed, asymmetric mask key used by most tests. */
export const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

const utf8enc = new TextEncoder();

/** string → UTF-8 bytes, number[] → bytes, Uint8Array → the same bytes (copied). */
export function bytes(x) {
  if (x === undefined || x === null) return new Uint8Array(0);
  if (typeof x === 'string') return utf8enc.encode(x);
  if (x instanceof Uint8Array) return Uint8Array.from(x);
  if (Array.isArray(x)) return Uint8Array.from(x);
  throw new TypeError(`bytes(): unsupported ${Object.prototype.toString.call(x)}`);
}

/** Concatenate any nesting of Uint8Array / number[] / arrays of those. */
export function concat(...parts) {
  const flat = [];
  const walk = (p) => {
    if (p instanceof Uint8Array) flat.push(p);
    else if (Array.isArray(p) && (p.length === 0 || typeof p[0] === 'number')) flat.push(Uint8Array.from(p));
    else if (Array.isArray(p)) p.forEach(walk);
    else throw new TypeError('concat(): unsupported part');
  };
  parts.forEach(walk);
  let n = 0;
  for (const p of flat) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of flat) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reference XOR masking, the dumbest correct version. */
export function xorMask(payload, key) {
  const out = new Uint8Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i] ^ key[i & 3];
  return out;
}

/**
 * Build the header of a frame.
 * @param {object} o
 *   opcode (0..15), fin = true, rsv1/rsv2/rsv3 = false,
 *   mask: falsy (unmasked) or a 4-byte key; maskBit overrides the MASK bit alone
 *     (so a key can be written without the bit, or the bit without a key: key: null)
 *   len: declared payload length (number or bigint), default = payload length
 *   lenForm: 7 | 16 | 64 (default: the minimal one for len)
 *   extLen: raw bytes written as the extended length instead of computing them
 */
export function header(o) {
  const payloadLen = o.payload === undefined ? 0 : bytes(o.payload).length;
  const len = BigInt(o.len ?? payloadLen);
  const form = o.lenForm ?? (len <= 125n ? 7 : len <= 0xffffn ? 16 : 64);
  const fin = o.fin ?? true;
  const key = o.mask ? Uint8Array.from(o.mask) : null;
  const maskBit = o.maskBit ?? !!key;
  const b0 = (fin ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | (o.rsv2 ? 0x20 : 0) | (o.rsv3 ? 0x10 : 0) | (o.opcode & 0x0f);
  const out = [b0];
  const mb = maskBit ? 0x80 : 0;
  if (form === 7) {
    if (len > 127n) throw new RangeError('7-bit form cannot carry ' + len);
    out.push(mb | Number(len));
  } else if (form === 16) {
    out.push(mb | 126);
    if (o.extLen) out.push(...o.extLen);
    else {
      if (len > 0xffffn) throw new RangeError('16-bit form cannot carry ' + len);
      out.push(Number(len >> 8n) & 0xff, Number(len) & 0xff);
    }
  } else if (form === 64) {
    out.push(mb | 127);
    if (o.extLen) out.push(...o.extLen);
    else for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((len >> s) & 0xffn));
  } else throw new RangeError('lenForm must be 7, 16 or 64');
  if (key) out.push(...key);
  return Uint8Array.from(out);
}

/** Header + (masked) payload. See header() for options; payload: string | bytes. */
export function frame(o) {
  const payload = bytes(o.payload);
  const h = header({ ...o, payload });
  const body = o.mask ? xorMask(payload, o.mask) : payload;
  return concat(h, body);
}

/** Index just after the header (incl. mask key) of a frame built by frame()/header(). */
export function headerLength(o) {
  return header(o).length;
}

/** Index (within the frame) of the last byte of the length field. */
export function lengthFieldEnd(o) {
  const h = header(o);
  return h.length - (o.mask ? 4 : 0) - 1;
}

// Shorthands. `m` is a mask key or undefined/false; extra options pass through.
export const text = (p, m, o = {}) => frame({ opcode: OP.TEXT, payload: p, mask: m, ...o });
export const binary = (p, m, o = {}) => frame({ opcode: OP.BINARY, payload: p, mask: m, ...o });
export const cont = (p, m, o = {}) => frame({ opcode: OP.CONT, payload: p, mask: m, ...o });
export const ping = (p, m, o = {}) => frame({ opcode: OP.PING, payload: p, mask: m, ...o });
export const pong = (p, m, o = {}) => frame({ opcode: OP.PONG, payload: p, mask: m, ...o });
export function closePayload(code, reason = '') {
  if (code === undefined) return new Uint8Array(0);
  return concat([(code >> 8) & 0xff, code & 0xff], bytes(reason));
}
export const close = (code, reason, m, o = {}) => frame({ opcode: OP.CLOSE, payload: closePayload(code, reason), mask: m, ...o });

/** The key to use for a role: servers receive masked frames, clients unmasked. */
export const keyFor = (role, key = KEY) => (role === 'server' ? key : undefined);
