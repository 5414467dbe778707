// Shared codec vectors: deterministic byte streams and the events a FrameDecoder must
// report for them, plus fixed encodeFrame inputs. Pure ESM whose only imports are the
// import-free test helpers (frames.js, prng.js), so the same file runs in Node, in
// Chromium (served as is) and in workerd; suites there run the vectors against every
// backend and compare the JSON-able results across runtimes. Frames are built by the
// tests' independent builder, never by the codec.
//
// Exports (kept stable; other suites import them):
//   codecVectors(options?)            → [{ name, role, options, chunks, expected }]
//   runVector(codec, vector, backend) → events (JSON-able)
//   encodeVectors(codec)              → [{ name, length, digest, hex? , head?, error? }]
//   eventsMatchExpected(events, expected) → null | a description of the first difference
//   digest(bytes), toHex(bytes)

import { OP, frame } from '../helpers/frames.js';
import { mulberry32 } from '../helpers/prng.js';

// ---------------------------------------------------------------------------------
// Bytes

const utf8 = new TextEncoder();

/** FNV-1a in two 32-bit lanes (different offset bases): 16 hex digits, pure JS. */
export function digest(bytes) {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < bytes.length; i++) {
    const x = bytes[i];
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x ^ 0xa5, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

function asBytes(x) {
  if (x === undefined) return new Uint8Array(0);
  if (typeof x === 'string') return utf8.encode(x);
  if (x instanceof Uint8Array) return x;
  if (Array.isArray(x)) return Uint8Array.from(x);
  throw new TypeError('vectors: unsupported payload');
}

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `n` patterned bytes (all 256 values occur), different per seed. */
function binaryPayload(n, seed) {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// 1-, 2-, 3- and 4-byte characters, so a chunk or fragment boundary lands inside each kind.
const TEXT_PIECES = ['a', 'é', 'Z', '€', ' ', '😀', 'q', 'ж', '☃', '7'].map((c) => utf8.encode(c));

/** Exactly `n` bytes of valid UTF-8 mixing 1–4 byte characters. */
function textPayload(n, seed) {
  const out = new Uint8Array(n);
  let o = 0;
  let i = seed % TEXT_PIECES.length;
  while (o < n) {
    let piece = TEXT_PIECES[i++ % TEXT_PIECES.length];
    if (piece.length > n - o) piece = TEXT_PIECES[0];
    out.set(piece, o);
    o += piece.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Frames

/** Mask keys for the server role (frames from a client are masked): varied, one all-zero. */
const KEYS = [
  [0x37, 0xfa, 0x21, 0x3d],
  [0x00, 0x00, 0x00, 0x00],
  [0xff, 0x01, 0x80, 0x7f],
  [0x12, 0x34, 0x56, 0x78],
  [0xa5, 0x5a, 0xc3, 0x3c],
];

/**
 * Builds one byte stream for a role: frames are masked for 'server' (it receives client
 * frames) and unmasked for 'client', unless a frame says otherwise (mask: null / a key).
 */
class Stream {
  constructor(role) {
    this.role = role;
    this.parts = [];
    this.expected = [];
    this.k = 0;
  }
  key(o) {
    if ('mask' in o) return o.mask;
    return this.role === 'server' ? KEYS[this.k++ % KEYS.length] : null;
  }
  frame(o) {
    const bytes = frame({ ...o, mask: this.key(o) });
    this.parts.push(bytes);
    return bytes;
  }
  raw(bytes) {
    this.parts.push(bytes);
    return this;
  }
  expect(ev) {
    this.expected.push(ev);
    return this;
  }
  message(opcode, payload, fragments = [payload.length], extra = {}) {
    // fragments: sizes of the frames the payload is split into (summing to its length).
    let o = 0;
    fragments.forEach((size, i) => {
      this.frame({
        ...extra,
        opcode: i === 0 ? opcode : OP.CONT,
        payload: payload.subarray(o, o + size),
        fin: i === fragments.length - 1,
        rsv1: i === 0 && extra.rsv1,
      });
      o += size;
    });
    return this.expect(messageEvent(payload, opcode === OP.BINARY, !!extra.rsv1));
  }
  text(p, fragments, extra) {
    const b = asBytes(p);
    return this.message(OP.TEXT, b, fragments, extra);
  }
  binary(p, fragments, extra) {
    const b = asBytes(p);
    return this.message(OP.BINARY, b, fragments, extra);
  }
  /** @param {string | Uint8Array | number[]} [p] */
  ping(p = '') {
    const b = asBytes(p);
    this.frame({ opcode: OP.PING, payload: b });
    return this.expect({ type: 'ping', hex: toHex(b) });
  }
  /** @param {string | Uint8Array | number[]} [p] */
  pong(p = '') {
    const b = asBytes(p);
    this.frame({ opcode: OP.PONG, payload: b });
    return this.expect({ type: 'pong', hex: toHex(b) });
  }
  close(code, reason = '') {
    const payload = code === undefined ? new Uint8Array(0) : concat([Uint8Array.of(code >>> 8, code & 0xff), asBytes(reason)]);
    this.frame({ opcode: OP.CLOSE, payload });
    return this.expect({ type: 'close', code: code ?? 1005, reason });
  }
  error(closeCode, code) {
    return this.expect({ type: 'error', closeCode, code });
  }
  bytes() {
    return concat(this.parts);
  }
}

function messageEvent(payload, binary, compressed) {
  return { type: 'message', binary, compressed, length: payload.length, digest: digest(payload) };
}

// ---------------------------------------------------------------------------------
// Chunkings (each returns fresh copies; runVector copies again before pushing)

const whole = (u8) => [u8.slice()];
const pieces = (u8, size) => {
  const out = [];
  for (let i = 0; i < u8.length; i += size) out.push(u8.slice(i, i + size));
  return out;
};
const cutAt = (u8, cuts) => {
  const out = [];
  let o = 0;
  for (const c of cuts) {
    out.push(u8.slice(o, c));
    o = c;
  }
  out.push(u8.slice(o));
  return out;
};
const seeded = (u8, seed, max) => {
  const rnd = mulberry32(seed);
  const out = [];
  for (let i = 0; i < u8.length;) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(u8.slice(i, i + n));
    i += n;
  }
  return out;
};

// ---------------------------------------------------------------------------------
// The vectors

const SIZES = [0, 1, 125, 126, 65535, 65536, 200000];

/**
 * Every vector: { name, role, options, chunks, expected }. `options` are FrameDecoder
 * options (never callbacks or backend); `expected` is the event list a correct decoder
 * reports (see runVector; error events there also carry `at`, the push index).
 * `{ large: false }` leaves out the vectors over 64 KiB, for quick runs.
 */
export function codecVectors({ large = true } = {}) {
  const out = [];
  const add = (name, role, options, s, chunker = whole) => {
    out.push({ name: `${role}/${name}`, role, options, chunks: chunker(s.bytes()), expected: s.expected.slice() });
  };

  for (const role of ['server', 'client']) {
    const other = role === 'server' ? null : KEYS[0]; // the key that breaks the role's masking rule
    const S = () => new Stream(role);

    // Sizes: each length form (7-bit, 16-bit, 64-bit) at its edges.
    for (const n of SIZES) {
      if (!large && n > 65536) continue;
      add(`text-${n}`, role, {}, S().text(textPayload(n, n)));
      add(`binary-${n}`, role, {}, S().binary(binaryPayload(n, n + 1)));
    }
    {
      const s = S();
      for (const n of SIZES) {
        if (!large && n > 65536) continue;
        s.text(textPayload(n, n + 2)).binary(binaryPayload(n, n + 3));
      }
      add('all-sizes-one-chunk', role, {}, s);
      add('all-sizes-random-chunks', role, {}, s, (u8) => seeded(u8, 7, 3000));
    }
    add('binary-65536-in-7-byte-pieces', role, {}, S().binary(binaryPayload(65536, 9)), (u8) => pieces(u8, 7));
    add('text-300-bytewise', role, {}, S().text(textPayload(300, 5)), (u8) => pieces(u8, 1));

    // A header split at every position, after a small frame in the same chunk (the
    // spill path mid-chunk), for each length form.
    for (const n of [5, 126, 65536]) {
      const s = S().ping('x');
      const first = s.bytes().length;
      s.binary(binaryPayload(n, n + 11)).pong('after');
      const headerLength = (n <= 125 ? 2 : n <= 0xffff ? 4 : 10) + (role === 'server' ? 4 : 0);
      for (let cut = 1; cut < headerLength; cut++) {
        add(`header-split-${n}-at-${cut}`, role, {}, s, (u8) => cutAt(u8, [first + cut]));
      }
      add(`header-split-${n}-with-empty-chunks`, role, {}, s, (u8) => {
        const [a, b] = cutAt(u8, [first + 1]);
        return [new Uint8Array(0), a, new Uint8Array(0), b, new Uint8Array(0)];
      });
    }

    // Many small frames in one chunk, and the same bytes one at a time.
    {
      const s = S();
      const rnd = mulberry32(3);
      for (let i = 0; i < 120; i++) {
        const n = Math.floor(rnd() * 40);
        if (i % 7 === 3) s.ping(binaryPayload(n % 20, i));
        else if (i % 2) s.text(textPayload(n, i));
        else s.binary(binaryPayload(n, i));
      }
      add('many-small-one-chunk', role, {}, s);
      add('many-small-bytewise', role, {}, s, (u8) => pieces(u8, 1));
      add('many-small-in-3-byte-pieces', role, {}, s, (u8) => pieces(u8, 3));
    }

    // Fragmented messages with control frames between the fragments; the text is split
    // inside a character at a fragment boundary.
    {
      const s = S();
      const hello = utf8.encode('Hello, wörld! ☃');
      s.frame({ opcode: OP.TEXT, payload: hello.subarray(0, 9), fin: false });
      s.ping('p1');
      s.frame({ opcode: OP.CONT, payload: hello.subarray(9, 16), fin: false });
      s.pong('');
      s.frame({ opcode: OP.CONT, payload: hello.subarray(16), fin: true });
      s.expect(messageEvent(hello, false, false));
      s.text('next');
      add('fragmented-text-with-ping-pong', role, {}, s);
      add('fragmented-text-with-ping-pong-bytewise', role, {}, s, (u8) => pieces(u8, 1));
    }
    {
      const s = S();
      const big = binaryPayload(71000, 21);
      s.frame({ opcode: OP.BINARY, payload: big.subarray(0, 0), fin: false });
      s.frame({ opcode: OP.CONT, payload: big.subarray(0, 1000), fin: false });
      s.ping(binaryPayload(125, 4));
      s.frame({ opcode: OP.CONT, payload: big.subarray(1000, 1000), fin: false });
      s.pong('pong');
      s.frame({ opcode: OP.CONT, payload: big.subarray(1000), fin: true });
      s.expect(messageEvent(big, true, false));
      add('fragmented-binary-empty-fragments', role, {}, s);
      add('fragmented-binary-random-chunks', role, {}, s, (u8) => seeded(u8, 11, 700));
    }
    add('fragmented-text-many', role, {}, S().text(textPayload(3000, 8), [1, 2, 3, 500, 0, 1000, 1494]), (u8) => seeded(u8, 12, 64));

    // Close frames.
    add(
      'close-1000-reason',
      role,
      {},
      S()
        .text('before')
        .close(1000, 'bye')
        .raw(frame({ opcode: OP.TEXT, payload: 'after', mask: role === 'server' ? KEYS[0] : null })),
    );
    add('close-empty', role, {}, S().close());
    add('close-utf8-reason-bytewise', role, {}, S().close(4000, 'ça va ☃ 😀'), (u8) => pieces(u8, 1));
    add('close-1001-123-byte-reason', role, {}, S().close(1001, 'r'.repeat(123)));
    {
      const s = S().text('kept');
      s.frame({ opcode: OP.CLOSE, payload: [0x03, 0xed] }); // 1005 may not be sent
      add('close-code-1005-on-wire', role, {}, s.error(1002, 'WS_ERR_INVALID_CLOSE_CODE'));
    }
    add(
      'close-code-999',
      role,
      {},
      (() => {
        const s = S();
        s.frame({ opcode: OP.CLOSE, payload: [0x03, 0xe7] });
        return s.error(1002, 'WS_ERR_INVALID_CLOSE_CODE');
      })(),
    );
    add(
      'close-1-byte-payload',
      role,
      {},
      (() => {
        const s = S();
        s.frame({ opcode: OP.CLOSE, payload: [0x03] });
        return s.error(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
      })(),
    );
    add(
      'close-bad-utf8-reason',
      role,
      {},
      (() => {
        const s = S();
        s.frame({ opcode: OP.CLOSE, payload: [0x03, 0xe8, 0x61, 0xff] });
        return s.error(1007, 'WS_ERR_INVALID_UTF8');
      })(),
    );

    // Invalid UTF-8: refused, and what was complete before it is still delivered.
    {
      const s = S().text('ok');
      s.frame({ opcode: OP.TEXT, payload: [0x61, 0xff, 0x62] });
      s.text('never');
      s.expected.pop();
      add('invalid-utf8-single-frame', role, {}, s.error(1007, 'WS_ERR_INVALID_UTF8'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.TEXT, payload: [0x61, 0xe2, 0x82] }); // ends inside a character
      add('invalid-utf8-truncated-character', role, {}, s.error(1007, 'WS_ERR_INVALID_UTF8'));
    }
    {
      // Fail fast: the first fragment's bad bytes fail the decoder at that push, though
      // the message never completes.
      const s = S();
      s.frame({ opcode: OP.TEXT, payload: [0x6f, 0x6b, 0xc0, 0xaf], fin: false }); // overlong '/'
      const firstLength = s.bytes().length;
      s.frame({ opcode: OP.PING, payload: 'not delivered' });
      s.frame({ opcode: OP.CONT, payload: 'x', fin: true });
      s.expect({ type: 'error', closeCode: 1007, code: 'WS_ERR_INVALID_UTF8', at: 0 });
      add('invalid-utf8-fail-fast-fragment', role, {}, s, (u8) => cutAt(u8, [firstLength]));
    }
    {
      // Fail fast inside one big frame: a surrogate (ED A0 80) 10 000 bytes in, the frame
      // arriving in 1000-byte pieces: the error comes with the piece holding it.
      const payload = textPayload(200000, 1).slice();
      const at = 10000;
      payload.set([0x61, 0xed, 0xa0, 0x80], at - 1);
      const s = S();
      s.frame({ opcode: OP.TEXT, payload });
      const headerLength = 10 + (role === 'server' ? 4 : 0); // the 64-bit length form
      s.expect({ type: 'error', closeCode: 1007, code: 'WS_ERR_INVALID_UTF8', at: Math.floor((headerLength + at + 1) / 1000) });
      if (large) add('invalid-utf8-fail-fast-big-frame', role, {}, s, (u8) => pieces(u8, 1000));
    }
    {
      const s = S().text('a\u00e9');
      s.frame({ opcode: OP.TEXT, payload: [0xce], fin: false });
      s.frame({ opcode: OP.CONT, payload: [0xbb], fin: false }); // completes 'λ' across fragments
      s.frame({ opcode: OP.CONT, payload: [0xe2, 0x82], fin: true }); // but ends inside '€'
      add('invalid-utf8-fragmented-ends-inside-character', role, {}, s.error(1007, 'WS_ERR_INVALID_UTF8'));
    }
    {
      const s = S();
      const bad = Uint8Array.of(0x61, 0xff, 0xfe);
      s.frame({ opcode: OP.TEXT, payload: bad });
      s.expect(messageEvent(bad, false, false));
      add('skip-utf8-validation', role, { skipUtf8Validation: true }, s);
    }

    // Bad opcodes, RSV bits, masking that breaks the role's rule.
    for (const opcode of [3, 7, 11, 15]) {
      const s = S().text('first');
      s.frame({ opcode, payload: 'x' });
      add(`bad-opcode-${opcode}`, role, {}, s.error(1002, 'WS_ERR_INVALID_OPCODE'));
    }
    for (const [bit, code] of [
      ['rsv2', 'WS_ERR_UNEXPECTED_RSV_2_3'],
      ['rsv3', 'WS_ERR_UNEXPECTED_RSV_2_3'],
      ['rsv1', 'WS_ERR_UNEXPECTED_RSV_1'],
    ]) {
      const s = S().binary([1, 2]);
      s.frame({ opcode: OP.BINARY, payload: [3], [bit]: true });
      add(`${bit}-set`, role, {}, s.error(1002, code));
    }
    {
      // RSV1 allowed (deflate negotiated): the message is flagged compressed and, being
      // compressed, not UTF-8 checked here.
      const s = S();
      s.text(Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), undefined, { rsv1: true });
      s.binary(binaryPayload(300, 2), [100, 200], { rsv1: true });
      s.text('plain');
      add('rsv1-allowed', role, { allowRsv1: true }, s);
    }
    {
      const s = S();
      s.frame({ opcode: OP.BINARY, payload: [1], fin: false });
      s.frame({ opcode: OP.CONT, payload: [2], rsv1: true });
      add('rsv1-on-continuation', role, { allowRsv1: true }, s.error(1002, 'WS_ERR_UNEXPECTED_RSV_1'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.PING, payload: 'p', rsv1: true });
      add('rsv1-on-control', role, { allowRsv1: true }, s.error(1002, 'WS_ERR_UNEXPECTED_RSV_1'));
    }
    {
      const s = S().text('fine');
      s.frame({ opcode: OP.TEXT, payload: 'wrong mask', mask: other });
      add('wrong-masking-for-role', role, {}, s.error(1002, role === 'server' ? 'WS_ERR_EXPECTED_MASK' : 'WS_ERR_UNEXPECTED_MASK'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.PING, payload: 'p', fin: false });
      add('control-not-fin', role, {}, s.error(1002, 'WS_ERR_EXPECTED_FIN'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.PING, payload: binaryPayload(126, 1) });
      add('control-126-bytes', role, {}, s.error(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.CONT, payload: 'orphan' });
      add('continuation-without-message', role, {}, s.error(1002, 'WS_ERR_INVALID_OPCODE'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.TEXT, payload: 'a', fin: false });
      s.frame({ opcode: OP.BINARY, payload: 'b' });
      add('new-message-inside-fragmented', role, {}, s.error(1002, 'WS_ERR_INVALID_OPCODE'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.BINARY, payload: [1], lenForm: 64, extLen: [0x80, 0, 0, 0, 0, 0, 0, 1] });
      add('length-64-msb-set', role, {}, s.error(1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'));
    }

    // Size limits → 1009; many tiny fragments → 1008.
    add('max-payload-exact', role, { maxPayload: 1000 }, S().binary(binaryPayload(1000, 3)).text(textPayload(1000, 4), [400, 600]));
    {
      const s = S().binary(binaryPayload(1000, 3));
      s.frame({ opcode: OP.BINARY, payload: binaryPayload(1001, 3) });
      add('max-payload-exceeded', role, { maxPayload: 1000 }, s.error(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
    }
    {
      const s = S();
      s.frame({ opcode: OP.TEXT, payload: 'a'.repeat(600), fin: false });
      s.ping('between');
      s.frame({ opcode: OP.CONT, payload: 'b'.repeat(600) });
      add('max-payload-exceeded-fragmented', role, { maxPayload: 1000 }, s.error(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'), (u8) =>
        seeded(u8, 5, 200),
      );
    }
    {
      // Only a header announcing 1 TiB: refused from the header alone.
      const s = S();
      s.raw(frame({ opcode: OP.BINARY, len: 2 ** 40, mask: role === 'server' ? KEYS[3] : null }));
      add('max-payload-declared-1tib', role, {}, s.error(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
    }
    {
      const s = S();
      for (let i = 0; i < 5; i++) s.frame({ opcode: i === 0 ? OP.BINARY : OP.CONT, payload: [i], fin: false });
      add('too-many-fragments', role, { maxFragments: 4 }, s.error(1008, 'WS_ERR_TOO_MANY_FRAGMENTS'));
    }

    // Zero-copy delivery: the same events, views valid during the callback.
    {
      const s = S()
        .text(textPayload(2000, 3), [700, 1300])
        .binary(binaryPayload(130, 4))
        .ping('z')
        .binary(binaryPayload(70000, 5))
        .close(1000, 'zc');
      add('zero-copy-mixed', role, { zeroCopy: true }, s, (u8) => seeded(u8, 13, 5000));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Running a vector

/**
 * Decodes `vector` with `codec.FrameDecoder` on `backendObject` (a Backend from
 * codec.getBackend; undefined: the active one). Chunks are copied first: the decoder
 * owns what it is pushed and may unmask it in place. Events:
 *   { type: 'message', binary, compressed, length, digest }
 *   { type: 'ping' | 'pong', hex }
 *   { type: 'close', code, reason }
 *   { type: 'error', closeCode, code, at }   at: index of the push that failed
 *   { type: 'thrown', name, message }        push() threw (it never should)
 */
export function runVector(codec, vector, backendObject) {
  const events = [];
  let at = -1;
  const handlers = {
    onMessage(data, isBinary, compressed) {
      events.push({ type: 'message', binary: isBinary, compressed: !!compressed, length: data.length, digest: digest(data) });
    },
    onPing(data) {
      events.push({ type: 'ping', hex: toHex(data) });
    },
    onPong(data) {
      events.push({ type: 'pong', hex: toHex(data) });
    },
    onClose(code, reason) {
      events.push({ type: 'close', code, reason });
    },
    onError(err) {
      events.push({ type: 'error', closeCode: err.closeCode, code: err.code, at });
    },
  };
  const options = { role: vector.role, ...vector.options };
  if (backendObject !== undefined) options.backend = backendObject;
  const decoder = new codec.FrameDecoder(options, handlers);
  try {
    for (at = 0; at < vector.chunks.length; at++) decoder.push(vector.chunks[at].slice());
  } catch (err) {
    events.push({ type: 'thrown', name: err && err.name, message: String(err && err.message) });
  }
  return events;
}

/**
 * Compares runVector's events with a vector's `expected`; an expected error without
 * `at` matches any push. Returns null when they match, else what differs.
 */
export function eventsMatchExpected(events, expected) {
  const n = Math.max(events.length, expected.length);
  for (let i = 0; i < n; i++) {
    const got = events[i];
    const want = expected[i];
    if (!got || !want) return `event ${i}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    const g = want.type === 'error' && !('at' in want) ? { ...got, at: undefined } : got;
    const w = want.type === 'error' && !('at' in want) ? { ...want, at: undefined } : want;
    if (
      JSON.stringify(g, Object.keys(w).sort()) !== JSON.stringify(w, Object.keys(w).sort()) ||
      Object.keys(got).length !== Object.keys(want).length + (want.type === 'error' && !('at' in want) ? 1 : 0)
    ) {
      return `event ${i}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------
// Encoding

/**
 * encodeFrame over a fixed list of inputs with fixed mask keys (never `mask: true`,
 * whose key is random). Each result: { name, length, digest, hex (up to 4 KiB) or head
 * (the first 32 bytes) } or { name, error } for inputs encodeFrame must refuse.
 * @returns {{ name: string, parts?: number, length?: number, digest?: string, hex?: string, head?: string,
 *   inputChanged?: boolean, error?: string }[]}
 */
export function encodeVectors(codec) {
  const { Opcode } = codec;
  const k1 = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
  const k2 = Uint8Array.of(1, 2, 3, 4);
  const k0 = Uint8Array.of(0, 0, 0, 0);
  const closePayload = (code, reason) => concat([Uint8Array.of(code >>> 8, code & 0xff), utf8.encode(reason)]);
  const cases = [
    ['text-empty', Opcode.Text, ''],
    ['text-hello', Opcode.Text, 'Hello'],
    ['text-hello-masked', Opcode.Text, 'Hello', { mask: k1 }],
    ['text-unicode-masked', Opcode.Text, 'ça ☃ 😀', { mask: k2 }],
    ['text-bytes-masked-zero-key', Opcode.Text, utf8.encode('zero key'), { mask: k0 }],
    ['text-fin-false', Opcode.Text, 'part', { fin: false }],
    ['continuation', Opcode.Continuation, 'rest'],
    ['text-rsv1', Opcode.Text, Uint8Array.of(0xf2, 0x48, 0x05, 0x00), { rsv1: true }],
    ['ping', Opcode.Ping, 'ping', { mask: k1 }],
    ['ping-125', Opcode.Ping, binaryPayload(125, 1)],
    ['pong-empty', Opcode.Pong, new Uint8Array(0)],
    ['close-1000-bye', Opcode.Close, closePayload(1000, 'bye')],
    ['close-4000-masked', Opcode.Close, closePayload(4000, 'ça va'), { mask: k2 }],
    ['close-empty', Opcode.Close, new Uint8Array(0)],
  ];
  for (const n of [125, 126, 1023, 1024, 65535, 65536, 70000]) {
    cases.push([`binary-${n}`, Opcode.Binary, binaryPayload(n, n)]);
    cases.push([`binary-${n}-masked`, Opcode.Binary, binaryPayload(n, n), { mask: n % 2 ? k1 : k2 }]);
  }
  cases.push(['text-65536-masked', Opcode.Text, textPayload(65536, 3), { mask: k1 }]);
  // Refused inputs: the error's constructor name is what is compared.
  cases.push(['error-control-126', Opcode.Ping, binaryPayload(126, 2)]);
  cases.push(['error-control-fragmented', Opcode.Close, new Uint8Array(0), { fin: false }]);
  cases.push(['error-opcode-3', 3, 'x']);
  cases.push(['error-mask-3-bytes', Opcode.Binary, 'x', { mask: Uint8Array.of(1, 2, 3) }]);

  return cases.map(([name, opcode, payload, options]) => {
    // Copies: encodeFrame must not change its inputs, and that is checked too.
    const input = typeof payload === 'string' ? payload : payload.slice();
    const key = options && options.mask instanceof Uint8Array ? options.mask.slice() : undefined;
    let parts;
    try {
      parts = codec.encodeFrame(opcode, input, key ? { ...options, mask: key } : options);
    } catch (err) {
      return { name, error: err && err.name };
    }
    const bytes = concat(parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
    const result = { name, parts: parts.length, length: bytes.length, digest: digest(bytes) };
    if (bytes.length <= 4096) result.hex = toHex(bytes);
    else result.head = toHex(bytes.subarray(0, 32));
    if (typeof payload !== 'string' && digest(input) !== digest(payload)) result.inputChanged = true;
    return result;
  });
}
