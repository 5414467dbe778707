#!/usr/bin/env node
// Mutation fuzzer for FrameDecoder: a differential check of every backend (native, wasm,
// js) and several chunkings of the same bytes, both roles, on mutated valid streams.
//
//   npm run fuzz -- [--minutes N | --seconds N] [--inputs N] [--seed S] [--findings-dir DIR]
//   npm run fuzz -- --replay fuzz/findings/<file>.json     (decode a finding again, print every result)
//
// Without --minutes/--seconds the run lasts 60 s; --inputs caps the count as well.
// Every input is derived from (seed, input index), so a finding reproduces exactly; each
// is written to fuzz/findings/<timestamp>-<n>.json with the input's hex, options, the
// chunkings ({ sizes of the pushes, shift: null, or chunks as views at odd offsets }), the
// seed and the event sequences that differ. Exit code 1 if anything was found.
//
// The fuzzing runs in a worker thread; the main thread is the watchdog. A decode that
// never returns blocks its thread, so only another thread can notice, report the input
// (regenerated from its index) and end the run.
//
// Test-only flags: --self-test-plant-bug (one backend misreports isBinary),
// --self-test-plant-hang (one decode spins forever), --hang-ms N (watchdog limit).
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as codec from 'wscodec/codec'; // the built package (dist/); loads native and wasm first

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_FINDING_FILES = 25; // per run: a systematic bug should not fill the disk
const ROLES = ['server', 'client'];

// ---- randomness -------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = (rng, arr) => arr[Math.floor(rng() * arr.length)];
const chance = (rng, p) => rng() < p;
const randBytes = (rng, n) => Uint8Array.from({ length: n }, () => (rng() * 256) | 0);
/** Input i's own seed: inputs are independent, so the watchdog can rebuild any one of them. */
const inputSeed = (seed, i) => (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b) ^ 0x5bd1e995) >>> 0;

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
const utf8 = (s) => new TextEncoder().encode(s);

// ---- an independent frame builder (it must be able to build frames the decoder rejects) -----

/** opcode, fin, rsv (3 bits), payload, key (4 bytes or null), form (7|16|64|auto), len (declared). */
function frame({ op, fin = true, rsv = 0, payload = new Uint8Array(0), key = null, form, len = payload.length }) {
  const f = form ?? (len <= 125 ? 7 : len <= 0xffff ? 16 : 64);
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | op];
  const m = key ? 0x80 : 0;
  if (f === 7) head.push(m | Math.min(len, 127));
  else if (f === 16) head.push(m | 126, (len >>> 8) & 0xff, len & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  if (!key) return concat([Uint8Array.from(head), payload]);
  const body = payload.map((b, i) => b ^ key[i & 3]);
  return concat([Uint8Array.from(head), key, body]);
}

// ---- the seed corpus: valid streams of every kind, per role ------------------------------------

const EDGE_TEXTS = ['', 'hello', 'κόσμε', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{10ffff}', '\ufeffBOM',
  '\ufffd', 'a\u0000b', '👍🏽', 'e\u0301', '日本語テキスト'.repeat(20)];
const BAD_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc2]];
const CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999, /* invalid: */ 999, 1004, 1005, 1006, 1015, 2999, 5000];

function randomText(rng) {
  if (chance(rng, 0.5)) return utf8(pick(rng, EDGE_TEXTS));
  let s = '';
  for (let n = int(rng, 0, 60); n > 0; n--) {
    const cp = pick(rng, [() => int(rng, 0x20, 0x7e), () => int(rng, 0x80, 0x7ff), () => int(rng, 0x800, 0xd7ff), () => int(rng, 0x10000, 0x10ffff)])();
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
    frames.push(frame({ op, payload: randBytes(rng, chance(rng, 0.2) ? 125 : int(rng, 0, 20)), key: key() }));
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
      frames.push(frame({ op: i === 0 ? (binary ? 2 : 1) : 0, fin, rsv: i === 0 && compressed ? 4 : 0, payload: piece, key: key(), form: form(piece.length) }));
      if (!fin && chance(rng, 0.4)) control();
    }
  };
  const close = () => {
    const r = rng();
    let payload;
    if (r < 0.15) payload = new Uint8Array(0); // no status: reported as 1005
    else if (r < 0.2) payload = Uint8Array.of(0x03); // a 1-byte close payload is an error
    else {
      const code = pick(rng, CLOSE_CODES);
      // Cutting the reason at 123 bytes may split a character: an invalid reason now and then.
      payload = concat([Uint8Array.of(code >> 8, code & 0xff), randomText(rng).subarray(0, 123)]);
    }
    frames.push(frame({ op: 8, payload, key: key() }));
  };
  if (shape === 'opcodes') {
    // Every opcode once, reserved ones included (each stream fails at its first reserved one).
    for (let op = 0; op < 16; op++) frames.push(frame({ op, payload: randBytes(rng, int(rng, 0, 3)), key: key() }));
  } else if (shape === 'many') {
    // More frames than one scan's table holds (4096): the decoder must rescan.
    for (let n = int(rng, 4090, 4300); n > 0; n--) frames.push(frame({ op: pick(rng, [9, 10]), payload: randBytes(rng, int(rng, 0, 2)), key: key() }));
  } else if (shape === 'huge') {
    // Over 1 MiB: the wasm backend stages at most 1 MiB at a time.
    control();
    frames.push(frame({ op: 2, payload: randBytes(rng, int(rng, (1 << 20) - 64, (1 << 20) + 64)), key: key() }));
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
 */
const SHAPES = [['mixed', 300, 0.963], ['opcodes', 20, 0.03], ['many', 6, 0.005], ['huge', 3, 0.002]];

function buildCorpus(seed) {
  const rng = prng(seed ^ 0xc0ffee);
  const corpus = {};
  for (const [shape, count] of SHAPES) {
    corpus[shape] = [];
    for (let i = 0; i < count; i++) for (const role of ROLES) corpus[shape].push({ role, shape, ...corpusStream(rng, role, shape) });
  }
  return corpus;
}

function pickBase(rng, corpus) {
  let r = rng();
  for (const [shape, , p] of SHAPES) {
    if (r < p) return pick(rng, corpus[shape]);
    r -= p;
  }
  return pick(rng, corpus.mixed);
}

// ---- mutations ----------------------------------------------------------------------------

const INTERESTING = [0x00, 0x7e, 0x7f, 0x80, 0xff];

/** Where frames start, walking headers leniently: mutations aim at headers half the time. */
function frameStarts(b) {
  const starts = [];
  let p = 0;
  while (p + 2 <= b.length && starts.length < 64) {
    starts.push(p);
    let len = b[p + 1] & 0x7f;
    let h = 2;
    if (len === 126) { len = (b[p + 2] << 8) | b[p + 3]; h = 4; }
    else if (len === 127) { len = b[p + 6] * 2 ** 24 + ((b[p + 7] << 16) | (b[p + 8] << 8) | b[p + 9]); h = 10; }
    p += h + (b[p + 1] & 0x80 ? 4 : 0) + len;
  }
  return starts.length ? starts : [0];
}

function position(rng, b, starts) {
  if (b.length === 0) return 0;
  return chance(rng, 0.5) ? Math.min(b.length - 1, pick(rng, starts) + int(rng, 0, 1)) : int(rng, 0, b.length - 1);
}

const MUTATIONS = {
  bitflip(rng, b, starts) { if (b.length) b[position(rng, b, starts)] ^= 1 << int(rng, 0, 7); return b; },
  interesting(rng, b, starts) { if (b.length) b[position(rng, b, starts)] = pick(rng, INTERESTING); return b; },
  length(rng, b, starts) {
    // Rewrite a frame's length field in place (the payload stays: the stream misframes).
    const p = pick(rng, starts);
    if (p + 1 >= b.length) return b;
    const field = b[p + 1] & 0x7f;
    if (field < 126 || chance(rng, 0.3)) b[p + 1] = (b[p + 1] & 0x80) | pick(rng, [0, 1, 125, 126, 127, int(rng, 0, 127)]);
    else {
      const ext = field === 126 ? 2 : 8;
      const v = pick(rng, [[0], [0xff], [0x7f, 0xff], [0x80], [0, 1], [0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff], [0, 0, 0, 1, 0, 0, 0, 0]]);
      for (let i = 0; i < ext && p + 2 + i < b.length; i++) b[p + 2 + i] = v[i] ?? 0;
    }
    return b;
  },
  truncate: (rng, b) => b.slice(0, int(rng, 0, b.length)),
  splice: (rng, b, starts, other) => concat([b.subarray(0, int(rng, 0, b.length)), other.subarray(int(rng, 0, other.length))]),
  duplicate(rng, b) {
    const a = int(rng, 0, b.length);
    const e = Math.min(b.length, a + int(rng, 1, 64));
    const at = int(rng, 0, b.length);
    return concat([b.subarray(0, at), b.subarray(a, e), b.subarray(at)]);
  },
  remove(rng, b) {
    const a = int(rng, 0, b.length);
    return concat([b.subarray(0, a), b.subarray(Math.min(b.length, a + int(rng, 1, 16)))]);
  },
  insert(rng, b) {
    const at = int(rng, 0, b.length);
    return concat([b.subarray(0, at), randBytes(rng, int(rng, 1, 16)), b.subarray(at)]);
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

// ---- one input: bytes, options and chunkings, all from (seed, index) -----------------------------

/**
 * A chunking: push sizes, and `shift`: null for fresh arrays, or 0..15 to hand each
 * chunk over as a view at an odd offset inside a bigger buffer, like a socket's pooled
 * reads (chunk i sits at (shift + 3i) mod 16).
 */
function chunking(rng, length) {
  const max = pick(rng, length <= 4096 ? [1, 2, 3, 7, 16, 64, 300, 5000] : [64, 300, 5000, 70_000, 300_000]);
  const sizes = [];
  for (let n = 0; n < length;) {
    if (chance(rng, 0.03)) sizes.push(0); // an empty push is legal and must change nothing
    const s = Math.min(length - n, max === 1 ? 1 : int(rng, 1, max));
    sizes.push(s);
    n += s;
  }
  return { sizes, shift: chance(rng, 0.5) ? int(rng, 0, 15) : null };
}

function makeInput(corpus, seed, index) {
  const rng = prng(inputSeed(seed, index));
  const base = pickBase(rng, corpus);
  let bytes = base.bytes.slice();
  const mutations = [];
  for (let n = int(rng, 1, 4); n > 0; n--) {
    const name = pick(rng, MUTATION_NAMES);
    mutations.push(name);
    bytes = MUTATIONS[name](rng, bytes, frameStarts(bytes), pick(rng, corpus.mixed).bytes);
  }
  const options = {
    allowRsv1: base.rsv1 ? chance(rng, 0.8) : chance(rng, 0.2),
    maxPayload: pick(rng, [undefined, undefined, undefined, 0, 1, 20, 125, 300, 1000, 70_000]),
    maxFragments: pick(rng, [undefined, undefined, undefined, 1, 2, 5]),
    zeroCopy: chance(rng, 0.5),
    skipUtf8Validation: chance(rng, 0.1),
  };
  const chunkings = [{ sizes: [bytes.length], shift: null }];
  for (let n = int(rng, 1, 2); n > 0; n--) chunkings.push(chunking(rng, bytes.length));
  return { index, base: `${base.shape} stream for ${base.role}`, mutations, bytes, options, chunkings };
}

// ---- decoding and the differential check ----------------------------------------------------------

/** Small payloads as hex, big ones as length + hash: events stay cheap to compare and to print. */
const digest = (d) => (d.length <= 64 ? hex(d) : `${d.length}:${createHash('sha256').update(d).digest('hex').slice(0, 16)}`);

/** The error pairs the decoder is documented to produce (src/codec/errors.ts, close.ts). */
const KNOWN_ERRORS = {
  1002: ['WS_ERR_EXPECTED_MASK', 'WS_ERR_UNEXPECTED_MASK', 'WS_ERR_UNEXPECTED_RSV_2_3', 'WS_ERR_UNEXPECTED_RSV_1', 'WS_ERR_INVALID_OPCODE',
    'WS_ERR_EXPECTED_FIN', 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 'WS_ERR_INVALID_CLOSE_CODE'],
  1007: ['WS_ERR_INVALID_UTF8'],
  1008: ['WS_ERR_TOO_MANY_FRAGMENTS'],
  1009: ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
};

/**
 * Decodes with one backend and one chunking. Returns { events, closed } or { problem }:
 * a throw out of push, or a broken invariant (two errors, an event after an error or a
 * close, an error pair that is not documented).
 */
function decodeOnce(bytes, options, role, backend, { sizes, shift }, plantBug) {
  const events = [];
  const record = (e) => events.push(e);
  const dec = new codec.FrameDecoder({
    ...options, role, backend,
    // Digests are taken inside the callbacks: zero-copy views die when they return.
    onMessage: (d, isBinary, compressed) => record(['message', digest(d), plantBug ? !isBinary : isBinary, compressed]),
    onPing: (d) => record(['ping', digest(d)]),
    onPong: (d) => record(['pong', digest(d)]),
    onClose: (code, reason) => record(['close', code, reason]),
    onError: (err) => record(['error', err?.closeCode, err?.code]),
  });
  const hosts = [];
  let o = 0;
  try {
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i];
      let chunk = bytes.slice(o, o + n); // a copy each: push() owns (and may unmask) its chunk
      if (shift !== null) {
        const at = (shift + 3 * i) % 16;
        const host = new Uint8Array(n + 32).fill(0xa5);
        host.set(chunk, at);
        chunk = host.subarray(at, at + n);
        hosts.push([host, at, n]);
      }
      dec.push(chunk);
      o += n;
    }
  } catch (err) {
    return { problem: `push threw: ${err?.stack ?? err}`, events };
  }
  // The decoder owns a chunk, not the memory around it.
  const clean = (host, from, to) => host.subarray(from, to).every((x) => x === 0xa5);
  for (const [host, at, n] of hosts) {
    if (!clean(host, 0, at) || !clean(host, at + n, host.length)) return { problem: 'the decoder wrote outside the chunk it was given', events };
  }
  const last = events.length - 1;
  const errors = events.filter((e) => e[0] === 'error');
  const closeAt = events.findIndex((e) => e[0] === 'close');
  if (errors.length > 1) return { problem: 'more than one error', events };
  if (errors.length === 1 && events[last][0] !== 'error') return { problem: 'an event after the error', events };
  if (closeAt >= 0 && closeAt !== last) return { problem: 'an event after the close', events };
  if (errors.length === 1 && !(KNOWN_ERRORS[errors[0][1]] ?? []).includes(errors[0][2])) return { problem: `undocumented error pair ${errors[0][1]} ${errors[0][2]}`, events };
  if ((dec.error === undefined) !== (errors.length === 0)) return { problem: 'dec.error does not match onError', events };
  return { events, closed: dec.closed };
}

/**
 * Runs one input everywhere. `mark(role, backend, chunking)` tells the watchdog where it is.
 * Returns { signatures, findings: [...], messages }.
 */
function runInput(input, backends, mark, plant) {
  const findings = [];
  const signatures = [];
  let messages = 0; // role runs that got as far as delivering a message: a depth proxy
  for (let r = 0; r < ROLES.length; r++) {
    const role = ROLES[r];
    let ref;
    let refLabel;
    for (let b = 0; b < backends.length; b++) {
      for (let c = 0; c < input.chunkings.length; c++) {
        mark(r, b, c);
        if (plant.hang && input.index === 3 && b === backends.length - 1) for (;;); // the watchdog must catch this
        const label = `${backends[b].name} / chunking ${c}`;
        const got = decodeOnce(input.bytes, input.options, role, backends[b], input.chunkings[c], plant.bug && b === 1);
        if (got.problem) {
          findings.push({ kind: 'invariant', role, where: label, problem: got.problem, events: got.events });
          continue;
        }
        if (ref === undefined) { ref = got; refLabel = label; continue; }
        if (JSON.stringify(got) !== JSON.stringify(ref)) {
          findings.push({ kind: 'disagreement', role, reference: refLabel, where: label, referenceResult: ref, result: got });
        }
      }
    }
    if (ref) {
      const err = ref.events.find((e) => e[0] === 'error');
      const kinds = [...new Set(ref.events.map((e) => e[0]))].sort().join('+') || 'nothing';
      signatures.push(`${role}|${kinds}|${err ? err[2] : ref.closed ? 'closed' : 'open'}`);
      if (kinds.includes('message')) messages++;
    }
  }
  return { signatures, findings, messages };
}

function writeFinding(dir, n, seed, input, finding) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${n}.json`);
  const repro = {
    seed, inputIndex: input.index, reproduce: `node scripts/fuzz.js --replay ${file}`,
    ...finding, hex: hex(input.bytes), length: input.bytes.length, options: input.options,
    chunkings: input.chunkings, mutations: input.mutations, base: input.base,
  };
  writeFileSync(file, JSON.stringify(repro, null, 1));
  return file;
}

// ---- the worker: the fuzz loop ----------------------------------------------------------------------

function fuzzWorker({ seed, maxInputs, deadline, findingsDir, plant, state }) {
  const backends = codec.availableBackends().map((n) => codec.getBackend(n));
  const corpus = buildCorpus(seed);
  const stats = { inputs: 0, perBackend: Object.fromEntries(backends.map((b) => [b.name, 0])), signatures: new Set(), errorCodes: new Set(), withMessage: 0, slowest: { ms: 0, input: -1, length: 0 }, findings: 0, distinct: new Set(), files: [] };
  const snapshot = () => ({ ...stats, signatures: stats.signatures.size, errorCodes: [...stats.errorCodes].sort(), distinct: stats.distinct.size, backends: backends.map((b) => b.name) });
  const mark = (r, b, c) => { Atomics.store(state, 2, r); Atomics.store(state, 3, b); Atomics.store(state, 4, c); };
  let lastReport = Date.now();
  for (let i = 0; i < maxInputs && Date.now() < deadline; i++) {
    const input = makeInput(corpus, seed, i);
    Atomics.store(state, 1, i);
    Atomics.add(state, 0, 1); // generation: odd while an input runs, so the watchdog can time it
    const t0 = performance.now();
    const { signatures, findings, messages } = runInput(input, backends, mark, plant);
    const ms = performance.now() - t0;
    Atomics.add(state, 0, 1);
    stats.withMessage += messages;
    if (ms > stats.slowest.ms) stats.slowest = { ms: Math.round(ms), input: i, length: input.bytes.length };
    stats.inputs++;
    for (const b of backends) stats.perBackend[b.name]++;
    for (const s of signatures) {
      stats.signatures.add(s);
      const outcome = s.split('|')[2];
      if (outcome.startsWith('WS_')) stats.errorCodes.add(outcome);
    }
    if (findings.length) {
      stats.findings++;
      for (const f of findings) {
        // One file per kind of difference, not per input: a systematic bug repeats endlessly.
        const key = `${f.kind}|${f.role}|${f.where}|${f.problem ?? ''}`;
        if (stats.distinct.has(key)) continue;
        stats.distinct.add(key);
        if (stats.files.length < MAX_FINDING_FILES) stats.files.push(writeFinding(findingsDir, stats.files.length + 1, seed, input, f));
      }
    }
    if (Date.now() - lastReport >= 1000) { parentPort.postMessage({ type: 'stats', stats: snapshot() }); lastReport = Date.now(); }
  }
  parentPort.postMessage({ type: 'done', stats: snapshot() });
}

// ---- the main thread: arguments, watchdog, progress, summary ----------------------------------------

/** --replay FILE: decode a finding's input again on every backend and chunking, print what each reports. */
function replay(file) {
  const f = JSON.parse(readFileSync(file, 'utf8'));
  const bytes = Uint8Array.from(Buffer.from(f.hex, 'hex'));
  const backends = codec.availableBackends().map((n) => codec.getBackend(n));
  let differs = false;
  for (const role of f.role ? [f.role] : ROLES) {
    let ref;
    for (const backend of backends) {
      f.chunkings.forEach((chunks, c) => {
        const got = decodeOnce(bytes, f.options, role, backend, chunks, false);
        const text = JSON.stringify(got);
        ref ??= text;
        differs ||= text !== ref || !!got.problem;
        console.log(`${role} ${backend.name} / chunking ${c}: ${text}`);
      });
    }
  }
  console.log(differs ? 'replay: the backends or chunkings still disagree (or an invariant broke)' : 'replay: everything agrees');
  process.exit(differs ? 1 : 0);
}

function parseArgs(argv) {
  const o = { seconds: undefined, inputs: Infinity, seed: undefined, findingsDir: join(ROOT, 'fuzz', 'findings'), plantBug: false, plantHang: false, hangMs: 20_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--minutes') o.seconds = number() * 60;
    else if (a === '--seconds') o.seconds = number();
    else if (a === '--inputs') o.inputs = Math.floor(number());
    else if (a === '--seed') o.seed = number() >>> 0;
    else if (a === '--findings-dir') o.findingsDir = resolve(value());
    else if (a === '--hang-ms') o.hangMs = number();
    else if (a === '--replay') o.replay = value();
    else if (a === '--self-test-plant-bug') o.plantBug = true;
    else if (a === '--self-test-plant-hang') o.plantHang = true;
    else throw new Error(`unknown argument ${a}; usage: npm run fuzz -- [--minutes N | --seconds N] [--inputs N] [--seed S] [--findings-dir DIR] | --replay FILE`);
  }
  o.seconds ??= 60;
  o.seed ??= (Math.random() * 2 ** 32) >>> 0;
  return o;
}

function summary(stats, elapsed, seed, hangs, hangMs) {
  const findings = stats.findings + hangs;
  const lines = [
    'fuzz summary',
    `  seed:               ${seed}`,
    `  inputs executed:    ${stats.inputs} in ${elapsed.toFixed(1)} s (${(stats.inputs / elapsed).toFixed(1)} inputs/s)`,
    `  inputs per backend: ${Object.entries(stats.perBackend).map(([k, v]) => `${k}=${v}`).join(' ')} (each: ${ROLES.length} roles × every chunking)`,
    `  error codes seen:   ${stats.errorCodes.length} (${stats.errorCodes.join(', ')})`,
    `  signatures:         ${stats.signatures} distinct (role, event kinds, outcome); ${stats.withMessage} of ${stats.inputs * ROLES.length} role runs delivered a message`,
    `  slowest input:      #${stats.slowest?.input} (${stats.slowest?.length} bytes) took ${stats.slowest?.ms} ms; the watchdog allows ${hangMs} ms`,
    `  findings:           ${findings} inputs${hangs ? ` (incl. ${hangs} hang)` : ''}, ${stats.distinct + hangs} distinct, files: ${stats.files.length}`,
  ];
  for (const f of stats.files) lines.push(`    ${f}`);
  console.log(lines.join('\n'));
  console.log(`summary-json: ${JSON.stringify({ seed, inputs: stats.inputs, seconds: +elapsed.toFixed(2), perBackend: stats.perBackend, errorCodes: stats.errorCodes, signatures: stats.signatures, findings, files: stats.files })}`);
  return findings;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  if (args.replay) replay(args.replay);
  const { seed } = args;
  const state = new Int32Array(new SharedArrayBuffer(20)); // [generation, input index, role, backend, chunking]
  const started = Date.now();
  console.log(`fuzz: seed ${seed}, up to ${args.seconds} s${Number.isFinite(args.inputs) ? `, up to ${args.inputs} inputs` : ''}, backends ${codec.availableBackends().join(', ')}; findings → ${args.findingsDir}`);
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { seed, maxInputs: args.inputs, deadline: started + args.seconds * 1000, findingsDir: args.findingsDir, plant: { bug: args.plantBug, hang: args.plantHang }, state },
  });
  let stats = { inputs: 0, perBackend: {}, signatures: 0, errorCodes: [], withMessage: 0, findings: 0, distinct: 0, files: [] };
  let seen = -1;
  let since = Date.now();
  let lastProgress = Date.now();
  const finish = (hangs) => {
    const found = summary(stats, (Date.now() - started) / 1000, seed, hangs, args.hangMs);
    process.exit(found > 0 ? 1 : 0);
  };
  const tick = setInterval(() => {
    const generation = Atomics.load(state, 0);
    if (generation !== seen || generation % 2 === 0) { seen = generation; since = Date.now(); }
    else if (Date.now() - since > args.hangMs) {
      clearInterval(tick);
      // Rebuild the stuck input from its index: the worker cannot tell us anything now.
      const input = makeInput(buildCorpus(seed), seed, Atomics.load(state, 1));
      const backend = codec.availableBackends()[Atomics.load(state, 3)];
      const file = writeFinding(args.findingsDir, 'hang', seed, input, {
        kind: 'hang', role: ROLES[Atomics.load(state, 2)], where: `${backend} / chunking ${Atomics.load(state, 4)}`, problem: `no result after ${args.hangMs} ms`,
      });
      console.log(`fuzz: HANG on input #${input.index} (${backend}); reproducer: ${file}`);
      stats.files = [...stats.files, file];
      // terminate() stops JS and wasm; a loop inside native code would not stop, so do not wait long.
      Promise.race([worker.terminate(), new Promise((r) => setTimeout(r, 3000))]).then(() => finish(1));
      return;
    }
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      const t = (Date.now() - started) / 1000;
      console.log(`fuzz: ${t.toFixed(0)} s, ${stats.inputs} inputs (${(stats.inputs / t).toFixed(0)}/s), ${stats.signatures} signatures, ${stats.errorCodes.length} error codes, ${stats.findings} findings`);
    }
  }, 200);
  worker.on('message', (m) => {
    stats = m.stats;
    if (m.type === 'done') { clearInterval(tick); finish(0); }
  });
  worker.on('error', (err) => {
    clearInterval(tick);
    console.error(`fuzz: the worker crashed: ${err?.stack ?? err}`);
    summary(stats, (Date.now() - started) / 1000, seed, 0, args.hangMs);
    process.exit(2);
  });
}

if (isMainThread) await main();
else fuzzWorker(workerData);
