// The fuzzer's raw material: seeded randomness and the seed corpus (frames from the tests'
// independent builder, test/helpers/frames.js), so every input rebuilds from (seed, index).

import { frame } from '../../test/helpers/frames.js';
import { mulberry32, randBytes, randInt as int } from '../../test/helpers/prng.js';

export const ROLES = ['server', 'client'];

// ---- randomness: the tests' seeded PRNG (mulberry32, the same sequence on every machine) ------

export { mulberry32, int, randBytes };
export const pick = (rng, arr) => arr[Math.floor(rng() * arr.length)];
export const chance = (rng, p) => rng() < p;
/** Input i's own seed: inputs are independent, so the watchdog can rebuild any one of them. */
export const inputSeed = (seed, i) => (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b) ^ 0x5bd1e995) >>> 0;

export function concat(parts) {
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
export const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
const utf8 = (s) => new TextEncoder().encode(s);

// ---- the seed corpus: valid streams of every kind, per role ------------------------------------

const EDGE_TEXTS = [
  '',
  'hello',
  'κόσμε',
  '\u0080',
  '\u07ff',
  '\u0800',
  '\uffff',
  '\u{10000}',
  '\u{10ffff}',
  '\ufeffBOM',
  '\ufffd',
  'a\u0000b',
  '👍🏽',
  'e\u0301',
  '日本語テキスト'.repeat(20),
];
const BAD_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc2],
];
const CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999, /* invalid: */ 999, 1004, 1005, 1006, 1015, 2999, 5000];

function randomText(rng) {
  if (chance(rng, 0.5)) return utf8(pick(rng, EDGE_TEXTS));
  let s = '';
  for (let n = int(rng, 0, 60); n > 0; n--) {
    const cp = pick(rng, [
      () => int(rng, 0x20, 0x7e),
      () => int(rng, 0x80, 0x7ff),
      () => int(rng, 0x800, 0xd7ff),
      () => int(rng, 0x10000, 0x10ffff),
    ])();
    s += String.fromCodePoint(cp);
  }
  const bytes = utf8(s);
  // Now and then an invalid sequence somewhere: the decoder must find it at any split.
  return chance(rng, 0.08) ? concat([bytes, Uint8Array.from(pick(rng, BAD_UTF8)), utf8('z')]) : bytes;
}

function payloadSize(rng) {
  const r = rng();
  if (r < 0.55) return int(rng, 0, 20);
  if (r < 0.8) return int(rng, 21, 125);
  if (r < 0.97) return int(rng, 126, 2000);
  return int(rng, 65_536, 70_000); // the 64-bit form with a payload that needs it
}

/**
 * One corpus stream for `role` of the given shape; returns { bytes, rsv1 } (rsv1: it is
 * only valid with allowRsv1).
 */
function corpusStream(rng, role, shape) {
  const key = () => (role === 'server' ? (chance(rng, 0.1) ? new Uint8Array(4) : randBytes(rng, 4)) : null);
  // Non-minimal length forms are legal on the wire: all three forms for small payloads too.
  const form = (n) => (chance(rng, 0.8) ? undefined : n <= 0xffff && chance(rng, 0.5) ? 16 : 64);
  const frames = [];
  let rsv1 = false;
  const control = () => {
    const op = pick(rng, [9, 9, 10]);
    frames.push(frame({ opcode: op, payload: randBytes(rng, chance(rng, 0.2) ? 125 : int(rng, 0, 20)), mask: key() }));
  };
  const message = () => {
    const binary = chance(rng, 0.5);
    const compressed = chance(rng, 0.15);
    rsv1 ||= compressed;
    const payload = binary ? randBytes(rng, payloadSize(rng)) : randomText(rng);
    const cuts = chance(rng, 0.6) ? [] : Array.from({ length: int(rng, 1, 5) }, () => int(rng, 0, payload.length)).sort((a, b) => a - b);
    const bounds = [0, ...cuts, payload.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const piece = payload.subarray(bounds[i], bounds[i + 1]); // text is cut mid-character too
      const fin = i + 2 === bounds.length;
      frames.push(
        frame({
          opcode: i === 0 ? (binary ? 2 : 1) : 0,
          fin,
          rsv1: i === 0 && compressed,
          payload: piece,
          mask: key(),
          lenForm: form(piece.length),
        }),
      );
      if (!fin && chance(rng, 0.4)) control();
    }
  };
  const close = () => {
    const r = rng();
    let payload;
    if (r < 0.15)
      payload = new Uint8Array(0); // no status: reported as 1005
    else if (r < 0.2)
      payload = Uint8Array.of(0x03); // a 1-byte close payload is an error
    else {
      const code = pick(rng, CLOSE_CODES);
      // Cutting the reason at 123 bytes may split a character: an invalid reason now and then.
      payload = concat([Uint8Array.of(code >> 8, code & 0xff), randomText(rng).subarray(0, 123)]);
    }
    frames.push(frame({ opcode: 8, payload, mask: key() }));
  };
  if (shape === 'opcodes') {
    // Every opcode once, reserved ones included (each stream fails at its first reserved one).
    for (let op = 0; op < 16; op++) frames.push(frame({ opcode: op, payload: randBytes(rng, int(rng, 0, 3)), mask: key() }));
  } else if (shape === 'many') {
    // More frames than one scan's table holds (4096): the decoder must rescan.
    for (let n = int(rng, 4090, 4300); n > 0; n--)
      frames.push(frame({ opcode: pick(rng, [9, 10]), payload: randBytes(rng, int(rng, 0, 2)), mask: key() }));
  } else if (shape === 'huge') {
    // Over 1 MiB: the wasm backend stages at most 1 MiB at a time.
    control();
    frames.push(frame({ opcode: 2, payload: randBytes(rng, int(rng, (1 << 20) - 64, (1 << 20) + 64)), mask: key() }));
    control();
  } else {
    for (let n = int(rng, 1, 8); n > 0; n--) (chance(rng, 0.3) ? control : message)();
    if (chance(rng, 0.25)) close();
  }
  return { bytes: concat(frames), rsv1 };
}

/**
 * Corpus streams by shape, with how often an input starts from each: the big shapes
 * are costly (a 1 MiB input takes ~100× a typical one), so they are picked rarely.
 * @type {Array<[string, number, number]>} shape, streams per role, pick probability
 */
const SHAPES = [
  ['mixed', 300, 0.963],
  ['opcodes', 20, 0.03],
  ['many', 6, 0.005],
  ['huge', 3, 0.002],
];

export function buildCorpus(seed) {
  const rng = mulberry32(seed ^ 0xc0ffee);
  const corpus = {};
  for (const [shape, count] of SHAPES) {
    corpus[shape] = [];
    for (let i = 0; i < count; i++) for (const role of ROLES) corpus[shape].push({ role, shape, ...corpusStream(rng, role, shape) });
  }
  return corpus;
}

export function pickBase(rng, corpus) {
  let r = rng();
  for (const [shape, , p] of SHAPES) {
    if (r < p) return pick(rng, corpus[shape]);
    r -= p;
  }
  return pick(rng, corpus.mixed);
}
