// Test-side wire tools: the shared frame builder and PRNG (re-exported from frames.js and
// prng.js), chunking helpers, an event recorder around FrameDecoder and a per-backend
// `describe`. Nothing here imports from src/.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import * as codec from 'wscodec/codec';
import { randInt } from './prng.js';

export { codec };
export * from './frames.js';
export * from './prng.js';

/** @typedef {import('wscodec/codec').FrameDecoderOptions} FrameDecoderOptions */
/**
 * FrameDecoder options, all optional (role defaults to 'server'); `backend` may also be a
 * name, `hooks` run after recording. `role` is any string, as tests loop over
 * ['server', 'client']: FrameDecoder itself rejects a wrong one.
 * @typedef {Partial<Omit<FrameDecoderOptions, 'backend' | 'role'>> & {
 *   role?: string,
 *   backend?: import('wscodec/codec').Backend | import('wscodec/codec').BackendName,
 *   hooks?: Pick<FrameDecoderOptions, 'onMessage' | 'onPing' | 'onPong' | 'onClose' | 'onError'>,
 * }} CollectOptions
 */
/**
 * How decode() pushes the bytes: the name of a FEEDS entry ('whole', 'bytewise'), the
 * chunks themselves, or a function making them.
 * @typedef {string | Uint8Array[] | ((u8: Uint8Array) => Uint8Array[])} Feed
 */

export function hex(u8) {
  if (!(u8 instanceof Uint8Array)) return `<not a Uint8Array: ${Object.prototype.toString.call(u8)}>`;
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
}

export function fromHex(s) {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

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
  for (const c of sorted) {
    out.push(u8.slice(o, c));
    o = c;
  }
  out.push(u8.slice(o));
  return out;
}

/** Random cut into pieces of 1..max bytes (copies). */
export function randomChop(rng, u8, max = 16) {
  const sizes = [];
  let n = 0;
  while (n < u8.length) {
    const s = randInt(rng, 1, max);
    sizes.push(s);
    n += s;
  }
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
 * @param {CollectOptions} [options]
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
  const opts = /** @type {FrameDecoderOptions} */ ({
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
  });
  if (backend !== undefined) opts.backend = typeof backend === 'string' ? codec.getBackend(backend) : backend;
  const dec = new codec.FrameDecoder(opts);
  return {
    dec,
    events,
    kept,
    errors,
    state,
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
 * @param {Uint8Array} u8
 * @param {CollectOptions} options
 * @param {Feed} [feed]
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
