// Test-side wire tools: an independent RFC 6455 frame builder (deliberately able to
// build frames the library must reject), chunking helpers, an event recorder around
// FrameDecoder and a per-backend `describe`. Nothing here imports from src/.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import * as codec from 'wscodec/codec';

export { codec };

export const OP = Object.freeze({
  CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa,
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
  for (const p of flat) { out.set(p, o); o += p.length; }
  return out;
}

export function hex(u8) {
  if (!(u8 instanceof Uint8Array)) return `<not a Uint8Array: ${Object.prototype.toString.call(u8)}>`;
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
}

export function fromHex(s) {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
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
  return concat([code >> 8 & 0xff, code & 0xff], bytes(reason));
}
export const close = (code, reason, m, o = {}) =>
  frame({ opcode: OP.CLOSE, payload: closePayload(code, reason), mask: m, ...o });

/** The key to use for a role: servers receive masked frames, clients unmasked. */
export const keyFor = (role, key = KEY) => (role === 'server' ? key : undefined);

/**
 * Split bytes into pushes. `spec` is a number (fixed piece size) or an array of
 * sizes used in order (0 = an empty push), the rest going in a final piece.
 * Every piece is a fresh copy: push() takes ownership of what it is given.
 */
export function chop(u8, spec) {
  const out = [];
  if (typeof spec === 'number') {
    if (spec <= 0) throw new RangeError('piece size must be > 0');
    for (let i = 0; i < u8.length; i += spec) out.push(u8.slice(i, i + spec));
    if (u8.length === 0) out.push(new Uint8Array(0));
    return out;
  }
  let o = 0;
  for (const s of spec) {
    if (o >= u8.length && s !== 0) break;
    out.push(u8.slice(o, o + s));
    o += s;
  }
  if (o < u8.length) out.push(u8.slice(o));
  return out;
}

/** Split bytes at the given cut positions (copies). */
export function splitAt(u8, cuts) {
  const sorted = [...cuts].sort((a, b) => a - b);
  const out = [];
  let o = 0;
  for (const c of sorted) { out.push(u8.slice(o, c)); o = c; }
  out.push(u8.slice(o));
  return out;
}

/** Deterministic PRNG (mulberry32). Returns a function → [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function rng() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const randInt = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1)); // inclusive
export function randBytes(rng, n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng() * 256) | 0;
  return out;
}
/** Random cut into pieces of 1..max bytes (copies). */
export function randomChop(rng, u8, max = 16) {
  const sizes = [];
  let n = 0;
  while (n < u8.length) { const s = randInt(rng, 1, max); sizes.push(s); n += s; }
  return chop(u8, sizes);
}

/**
 * Socket chunks are usually views into bigger (pooled) buffers at arbitrary offsets.
 * Returns the chunks re-placed as views at random byteOffsets inside larger buffers
 * filled with a sentinel, and `untouched()`: whether every byte outside the views is
 * still the sentinel (the decoder owns a chunk, not the memory around it).
 * Some chunks become Node Buffers from the shared allocation pool.
 */
export function misalign(rng, chunks) {
  const placed = [];
  const hosts = [];
  for (const c of chunks) {
    if (c.length > 0 && c.length < 2048 && rng() < 0.2) {
      placed.push(Buffer.from(c)); // pooled: byteOffset is whatever the pool is at
      continue;
    }
    const off = (rng() * 13) | 0;
    const host = new Uint8Array(off + c.length + 11).fill(0xa5);
    host.set(c, off);
    placed.push(host.subarray(off, off + c.length));
    hosts.push([host, off, c.length]);
  }
  return {
    chunks: placed,
    untouched() {
      for (const [host, off, n] of hosts) {
        for (let i = 0; i < off; i++) if (host[i] !== 0xa5) return false;
        for (let i = off + n; i < host.length; i++) if (host[i] !== 0xa5) return false;
      }
      return true;
    },
  };
}

/**
 * A FrameDecoder that records everything as plain, deep-equal-comparable arrays:
 *   ['message', hex, isBinary, compressed] ['ping', hex] ['pong', hex]
 *   ['close', code, reason] ['error', closeCode, code]
 * `hooks` (onMessage, onPing, onPong, onClose, onError) run after recording.
 * `backend` may be a Backend object or a backend name.
 */
export function collect(options = {}) {
  const { hooks = {}, backend, ...rest } = options;
  const events = [];
  const kept = []; // [Uint8Array, hex-at-delivery] for the default (owned-copy) mode
  const errors = [];
  const state = { pushIndex: -1, errorPush: -1, eventPushes: [] };
  const zeroCopy = !!rest.zeroCopy;
  const record = (ev, data) => {
    events.push(ev);
    state.eventPushes.push(state.pushIndex);
    if (data !== undefined && !zeroCopy && data instanceof Uint8Array) kept.push([data, ev[1]]);
  };
  const opts = {
    role: 'server',
    ...rest,
    onMessage(data, isBinary, compressed) {
      record(['message', hex(data), isBinary, compressed], data);
      if (hooks.onMessage) hooks.onMessage(data, isBinary, compressed);
    },
    onPing(data) {
      record(['ping', hex(data)], data);
      if (hooks.onPing) hooks.onPing(data);
    },
    onPong(data) {
      record(['pong', hex(data)], data);
      if (hooks.onPong) hooks.onPong(data);
    },
    onClose(code, reason) {
      record(['close', code, reason]);
      if (hooks.onClose) hooks.onClose(code, reason);
    },
    onError(err) {
      errors.push(err);
      if (state.errorPush < 0) state.errorPush = state.pushIndex;
      record(['error', err && err.closeCode, err && err.code]);
      if (hooks.onError) hooks.onError(err);
    },
  };
  if (backend !== undefined) opts.backend = typeof backend === 'string' ? codec.getBackend(backend) : backend;
  const dec = new codec.FrameDecoder(opts);
  return {
    dec, events, kept, errors, state,
    /** Push each chunk in turn (arrays of chunks are flattened). */
    push(...chunks) {
      for (const c of chunks.flat()) {
        state.pushIndex++;
        dec.push(c);
      }
    },
    /** Delivered buffers must still hold what they held at delivery (default mode). */
    verifyKept() {
      for (const [data, h] of kept) assert.equal(hex(data), h, 'a delivered buffer changed after delivery');
    },
    /** Error bookkeeping invariants: at most one onError, last event, === dec.error. */
    verifyErrors() {
      assert.ok(errors.length <= 1, `onError called ${errors.length} times`);
      if (errors.length === 1) {
        const err = errors[0];
        assert.ok(err instanceof codec.ProtocolError, 'error is a ProtocolError');
        assert.ok(err instanceof Error, 'ProtocolError extends Error');
        assert.equal(typeof err.closeCode, 'number');
        assert.equal(typeof err.code, 'string');
        assert.equal(dec.error, err, 'dec.error is the error given to onError');
        assert.equal(events[events.length - 1][0], 'error', 'nothing is delivered after an error');
      } else {
        assert.equal(dec.error, undefined, 'dec.error is undefined without an error');
      }
      const ci = events.findIndex((e) => e[0] === 'close');
      if (ci >= 0) {
        assert.equal(ci, events.length - 1, 'nothing is delivered after a close frame');
        assert.equal(dec.closed, true, 'dec.closed after a close frame');
      }
    },
  };
}

/** Feed modes used across suites. */
export const FEEDS = {
  whole: (u8) => [u8.slice()],
  bytewise: (u8) => chop(u8, 1),
};

/**
 * Decode `u8` with a fresh recorder, fed as `feed` ('whole' | 'bytewise' | array of
 * chunks | function). Checks the generic invariants and returns the recorder.
 */
export function decode(u8, options, feed = 'whole') {
  const rec = collect(options);
  const chunks = typeof feed === 'string' ? FEEDS[feed](u8) : typeof feed === 'function' ? feed(u8) : feed;
  rec.push(chunks);
  rec.verifyKept();
  rec.verifyErrors();
  return rec;
}

/** Register one `describe` per available backend: fn(backendObject, name). */
export function forEachBackend(fn, title = 'backend') {
  const names = codec.availableBackends();
  assert.ok(Array.isArray(names) && names.length > 0, 'availableBackends() returns names');
  for (const name of names) {
    describe(`${title}: ${name}`, () => fn(codec.getBackend(name), name));
  }
}
