// Differential fuzzing: seeded streams of valid and mutated frames, each decoded by
// every backend under several chunkings (whole, random, one byte per push). All runs
// must produce identical events; valid streams must produce exactly the events the
// generator built them from.
//
// Reproduce a failure with the printed case seed:
//   WSCODEC_FUZZ_CASE=<caseSeed> node --test test/codec/differential.test.js
// Change the run: WSCODEC_FUZZ_SEED=<n> WSCODEC_FUZZ_N=<cases>
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  OP,
  frame,
  header,
  concat,
  hex,
  bytes,
  chop,
  collect,
  codec,
  mulberry32,
  randInt,
  randBytes,
  randomChop,
  closePayload,
  misalign,
} from '../helpers/wire.js';
import { randomUtf8, encodeCp } from '../helpers/utf8.js';
import { KNOWN_ERRORS } from '../../scripts/fuzz/differential.js';

const SEED = Number(process.env.WSCODEC_FUZZ_SEED ?? 0x5eed1e55) >>> 0;
const N = Number(process.env.WSCODEC_FUZZ_N ?? 5000);
const ONLY = process.env.WSCODEC_FUZZ_CASE === undefined ? undefined : Number(process.env.WSCODEC_FUZZ_CASE) >>> 0;
const BATCHES = 6;
const BYTEWISE_MAX = 1500; // streams up to this size are also fed one byte per push

const VALID_CLOSE = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3500, 4000, 4999];
const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82, 0x41],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

const pick = (rng, arr) => arr[Math.floor(rng() * arr.length)];
const chance = (rng, p) => rng() < p;

// ---- generator -------------------------------------------------------------------------

function genOptions(rng) {
  const o = { role: chance(rng, 0.5) ? 'server' : 'client' };
  if (chance(rng, 0.25)) o.allowRsv1 = true;
  const r = rng();
  if (r < 0.15) o.maxPayload = randInt(rng, 1, 300);
  else if (r < 0.25) o.maxPayload = 0;
  else if (r < 0.35) o.maxPayload = 1000;
  if (chance(rng, 0.3)) o.maxFragments = randInt(rng, 1, 5);
  if (chance(rng, 0.1)) o.skipUtf8Validation = true;
  if (chance(rng, 0.2)) o.zeroCopy = true;
  return o;
}

function genSize(rng) {
  const r = rng();
  if (r < 0.4) return randInt(rng, 0, 10);
  if (r < 0.7) return randInt(rng, 0, 125);
  if (r < 0.9) return randInt(rng, 126, 1000);
  if (r < 0.97) return randInt(rng, 1000, 3000);
  return randInt(rng, 65530, 66000);
}

/** Generate a valid stream: { frames: [{o, b}], expected: events }. */
function genValid(rng, opts) {
  const frames = [];
  const expected = [];
  const key = () => (opts.role === 'server' ? randBytes(rng, 4) : undefined);
  const lenForm = (n) => {
    if (!chance(rng, 0.15)) return undefined;
    return n <= 0xffff && chance(rng, 0.5) ? 16 : 64;
  };
  const push = (o) => frames.push({ o, b: frame(o) });
  const limit = opts.maxPayload > 0 ? opts.maxPayload : Infinity;
  const control = () => {
    const op = chance(rng, 0.5) ? OP.PING : OP.PONG;
    // maxPayload bounds messages only: control frames may exceed it (as in ws)
    const p = randBytes(rng, chance(rng, 0.2) ? 125 : randInt(rng, 0, 20));
    push({ opcode: op, payload: p, mask: key() });
    expected.push([op === OP.PING ? 'ping' : 'pong', hex(p)]);
  };
  const items = randInt(rng, 1, 8);
  for (let it = 0; it < items; it++) {
    if (chance(rng, 0.3)) {
      control();
      continue;
    }
    const isBinary = chance(rng, 0.5);
    const compressed = !!opts.allowRsv1 && chance(rng, 0.3);
    const size = Math.min(genSize(rng), limit);
    const raw = isBinary || compressed || (opts.skipUtf8Validation && chance(rng, 0.5));
    const payload = raw ? randBytes(rng, size) : randomUtf8(rng, size);
    let nfrag = chance(rng, 0.6) ? 1 : randInt(rng, 2, 6);
    nfrag = Math.min(nfrag, opts.maxFragments ?? 1024);
    const cuts = [];
    for (let i = 1; i < nfrag; i++) cuts.push(randInt(rng, 0, size));
    cuts.sort((a, b) => a - b);
    let prev = 0;
    for (let i = 0; i < nfrag; i++) {
      const end = i === nfrag - 1 ? size : cuts[i];
      const piece = payload.subarray(prev, end);
      prev = end;
      push({
        opcode: i === 0 ? (isBinary ? OP.BINARY : OP.TEXT) : OP.CONT,
        fin: i === nfrag - 1,
        rsv1: i === 0 && compressed,
        payload: piece,
        mask: key(),
        lenForm: lenForm(piece.length),
      });
      if (i < nfrag - 1 && chance(rng, 0.3)) control();
    }
    expected.push(['message', hex(payload), isBinary, compressed]);
  }
  if (chance(rng, 0.15)) {
    if (chance(rng, 0.2)) {
      push({ opcode: OP.CLOSE, payload: new Uint8Array(0), mask: key() });
      expected.push(['close', 1005, '']);
    } else {
      const code = pick(rng, VALID_CLOSE);
      const reason = randomUtf8(rng, randInt(rng, 0, chance(rng, 0.2) ? 123 : 10));
      push({ opcode: OP.CLOSE, payload: concat(closePayload(code), reason), mask: key() });
      expected.push(['close', code, new TextDecoder().decode(reason)]);
    }
    if (chance(rng, 0.5)) frames.push({ o: null, b: randBytes(rng, randInt(rng, 1, 40)) }); // ignored trailer
  }
  return { frames, expected };
}

/** A frame that is invalid in some way (for some options). */
function genBadFrame(rng, opts) {
  const m = opts.role === 'server' ? randBytes(rng, 4) : undefined;
  const wrong = opts.role === 'server' ? undefined : randBytes(rng, 4);
  switch (randInt(rng, 0, 16)) {
    case 0:
      return frame({ opcode: pick(rng, [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: randBytes(rng, 3), mask: m });
    case 1:
      return frame({ opcode: OP.TEXT, payload: 'x', mask: m, rsv2: chance(rng, 0.5), rsv3: true });
    case 2:
      return frame({ opcode: pick(rng, [OP.PING, OP.PONG, OP.CLOSE]), payload: closePayload(1000), mask: m, fin: false });
    case 3:
      return frame({ opcode: OP.PING, payload: randBytes(rng, randInt(rng, 126, 300)), mask: m });
    case 4:
      return frame({ opcode: OP.CLOSE, payload: [0x03], mask: m });
    case 5:
      return frame({ opcode: OP.CLOSE, payload: closePayload(pick(rng, [0, 999, 1004, 1005, 1006, 1015, 2999, 5000])), mask: m });
    case 6:
      return frame({ opcode: OP.CLOSE, payload: concat(closePayload(1000), pick(rng, INVALID_UTF8)), mask: m });
    case 7:
      return frame({ opcode: OP.BINARY, payload: 'x', mask: wrong });
    case 8:
      return frame({ opcode: OP.CONT, payload: 'c', mask: m });
    case 9:
      return header({ opcode: OP.BINARY, lenForm: 64, extLen: [0x80 | randInt(rng, 0, 127), 0, 0, 0, 0, 0, 0, 1], mask: m });
    case 10:
      return frame({
        opcode: OP.TEXT,
        payload: concat(randomUtf8(rng, randInt(rng, 0, 20)), pick(rng, INVALID_UTF8), bytes('zz')),
        mask: m,
      });
    case 11:
      return header({ opcode: OP.BINARY, len: (opts.maxPayload > 0 ? opts.maxPayload : 100 * 1024 * 1024) + randInt(rng, 1, 5), mask: m });
    case 12: {
      const n = (opts.maxFragments ?? 1024) + 1;
      const parts = [];
      for (let i = 0; i < n; i++)
        parts.push(frame({ opcode: i === 0 ? OP.BINARY : OP.CONT, fin: i === n - 1, payload: [i & 0xff], mask: m }));
      return concat(parts);
    }
    case 13:
      return frame({ opcode: OP.TEXT, payload: 'x', mask: m, rsv1: true }); // bad unless allowRsv1
    case 14:
      return frame({ opcode: OP.PING, payload: 'x', mask: m, rsv1: true });
    case 15:
      return concat(frame({ opcode: OP.TEXT, payload: 'a', mask: m, fin: false }), frame({ opcode: OP.BINARY, payload: 'b', mask: m }));
    default:
      return frame({ opcode: OP.TEXT, payload: concat(randomUtf8(rng, 5), encodeCp(randInt(rng, 0xd800, 0xdfff), 3)), mask: m });
  }
}

function mutate(rng, opts, frames) {
  const kind = randInt(rng, 0, 6);
  let stream = concat(frames.map((f) => f.b));
  const starts = [];
  let off = 0;
  for (const f of frames) {
    starts.push(off);
    off += f.b.length;
  }
  switch (kind) {
    case 0: {
      // bit flips, half of them in a frame's first two bytes
      const n = randInt(rng, 1, 3);
      for (let i = 0; i < n && stream.length; i++) {
        const pos = chance(rng, 0.5)
          ? Math.min(stream.length - 1, pick(rng, starts) + randInt(rng, 0, 1))
          : randInt(rng, 0, stream.length - 1);
        stream[pos] ^= 1 << randInt(rng, 0, 7);
      }
      return [stream, 'bit flip'];
    }
    case 1:
      return [stream.slice(0, randInt(rng, 0, stream.length)), 'truncation'];
    case 2: {
      // random byte
      if (stream.length) stream[randInt(rng, 0, stream.length - 1)] = randInt(rng, 0, 255);
      return [stream, 'byte replaced'];
    }
    case 3: {
      // insert an invalid frame at a frame boundary
      const i = randInt(rng, 0, frames.length);
      const bad = genBadFrame(rng, opts);
      return [
        concat(
          frames.slice(0, i).map((f) => f.b),
          bad,
          frames.slice(i).map((f) => f.b),
        ),
        'bad frame inserted',
      ];
    }
    case 4: {
      // declared length off by a little
      const candidates = frames.filter((f) => f.o);
      if (!candidates.length) return [stream, 'none'];
      const f = pick(rng, candidates);
      const actual = bytes(f.o.payload).length;
      const len = Math.max(0, actual + pick(rng, [-3, -2, -1, 1, 2, 3, 200]));
      // keep a non-minimal form when it still fits; otherwise header() picks the minimal one
      const o = { ...f.o, len, lenForm: f.o.lenForm === 16 && len > 0xffff ? 64 : f.o.lenForm };
      const idx = frames.indexOf(f);
      return [
        concat(
          frames.slice(0, idx).map((x) => x.b),
          frame(o),
          frames.slice(idx + 1).map((x) => x.b),
        ),
        'declared length changed',
      ];
    }
    case 5:
      return [concat(stream, randBytes(rng, randInt(rng, 1, 30))), 'garbage appended'];
    default: {
      // bytes of a text payload replaced by invalid UTF-8 (re-masking the frame)
      const texts = frames.filter((f) => f.o && (f.o.opcode === OP.TEXT || f.o.opcode === OP.CONT) && bytes(f.o.payload).length > 0);
      if (!texts.length) return [concat(stream, genBadFrame(rng, opts)), 'bad frame appended'];
      const f = pick(rng, texts);
      const p = bytes(f.o.payload);
      const bad = pick(rng, INVALID_UTF8);
      const at = randInt(rng, 0, p.length - 1);
      for (let i = 0; i < bad.length && at + i < p.length; i++) p[at + i] = bad[i];
      const idx = frames.indexOf(f);
      return [
        concat(
          frames.slice(0, idx).map((x) => x.b),
          frame({ ...f.o, payload: p }),
          frames.slice(idx + 1).map((x) => x.b),
        ),
        'bad UTF-8 in text',
      ];
    }
  }
}

function genCase(caseSeed) {
  const rng = mulberry32(caseSeed);
  const opts = genOptions(rng);
  const { frames, expected } = genValid(rng, opts);
  if (chance(rng, 0.5)) return { opts, stream: concat(frames.map((f) => f.b)), expected, what: 'valid', rng };
  const [stream, what] = /** @type {[Uint8Array, string]} */ (mutate(rng, opts, frames));
  return { opts, stream, expected: null, what, rng };
}

// ---- runner --------------------------------------------------------------------------------

function run(stream, opts, backend, chunks) {
  const rec = collect({ ...opts, backend });
  rec.push(chunks);
  rec.verifyKept();
  rec.verifyErrors();
  for (const e of rec.events) {
    if (e[0] === 'error') {
      assert.ok((KNOWN_ERRORS[e[1]] ?? []).includes(e[2]), `unexpected error pair ${e[1]} ${e[2]}`);
    }
  }
  return { events: rec.events, closed: rec.dec.closed, error: rec.dec.error ? [rec.dec.error.closeCode, rec.dec.error.code] : null };
}

function checkCase(caseSeed, stats) {
  const c = genCase(caseSeed);
  const names = codec.availableBackends();
  const describeCase = () =>
    `caseSeed=${caseSeed} (WSCODEC_FUZZ_CASE=${caseSeed}) ${c.what}; options ${JSON.stringify(c.opts)}; ` +
    `stream ${c.stream.length} bytes: ${hex(c.stream.subarray(0, 300))}${c.stream.length > 300 ? '…' : ''}`;
  let ref;
  let refLabel;
  /** @type {Array<[string, Uint8Array[]]>} */
  const feeds = [['whole', [c.stream.slice()]]];
  const rng = c.rng;
  // tiny random pieces only for small streams: per-push cost dominates otherwise
  for (const max of c.stream.length <= 20000 ? [3, 64, 4096] : [64, 4096]) {
    feeds.push([max === 3 ? `random ≤${max}` : `random ≤${max}, unaligned views`, randomChop(rng, c.stream, max)]);
  }
  if (c.stream.length <= BYTEWISE_MAX) feeds.push(['bytewise', chop(c.stream, 1)]);
  const placeRng = mulberry32(caseSeed ^ 0x0a11ce);
  for (const name of names) {
    const backend = codec.getBackend(name);
    for (const [label, chunks] of feeds) {
      let got;
      const unaligned = label.includes('unaligned') ? misalign(placeRng, chunks) : null;
      const copy = unaligned ? unaligned.chunks : chunks.map((x) => x.slice());
      try {
        got = run(c.stream, c.opts, backend, copy);
        if (unaligned) assert.ok(unaligned.untouched(), 'the decoder wrote outside the chunk views it was given');
      } catch (e) {
        e.message = `[${name} / ${label}] ${describeCase()}\n${e.message}`;
        throw e;
      }
      if (!ref) {
        ref = got;
        refLabel = `${name} / ${label}`;
        if (c.expected) {
          assert.deepEqual(got.events, c.expected, `valid stream decoded wrongly [${refLabel}] ${describeCase()}`);
        }
      } else {
        assert.deepEqual(
          got,
          ref,
          `[${name} / ${label}] differs from [${refLabel}]: chunk sizes ${chunks
            .map((x) => x.length)
            .join(',')
            .slice(0, 300)}; ${describeCase()}`,
        );
      }
    }
  }
  stats.cases++;
  if (c.expected) stats.valid++;
  if (ref.error) stats.errors.set(ref.error.join(' '), (stats.errors.get(ref.error.join(' ')) ?? 0) + 1);
  if (ref.closed) stats.closed++;
  stats.messages += ref.events.filter((e) => e[0] === 'message').length;
}

const caseSeed = (i) => (Math.imul(i + 1, 0x9e3779b1) ^ SEED) >>> 0;

describe(`differential: ${codec.availableBackends().join(' vs ')} (seed ${SEED}, ${N} streams)`, () => {
  const stats = { cases: 0, valid: 0, closed: 0, messages: 0, errors: new Map() };

  test('the differential covers every available backend', () => {
    const names = codec.availableBackends();
    assert.ok(names.includes('js') && names.includes('wasm'), `backends: ${names}`);
  });

  if (ONLY !== undefined) {
    test(`single case ${ONLY}`, () => checkCase(ONLY, stats));
    return;
  }

  const per = Math.ceil(N / BATCHES);
  for (let b = 0; b < BATCHES; b++) {
    const from = b * per;
    const to = Math.min(N, from + per);
    test(`streams ${from}..${to - 1}`, () => {
      for (let i = from; i < to; i++) checkCase(caseSeed(i), stats);
    });
  }

  test('the generator exercised valid streams, closes and a wide range of errors', (t) => {
    t.diagnostic(`cases ${stats.cases}, valid ${stats.valid}, closed ${stats.closed}, messages ${stats.messages}`);
    t.diagnostic(`errors: ${[...stats.errors].map(([k, v]) => `${k}×${v}`).join(', ')}`);
    assert.equal(stats.cases, N);
    assert.ok(stats.valid > N / 4, 'enough valid streams');
    assert.ok(stats.closed > N / 50, 'enough closes');
    const codes = new Set([...stats.errors.keys()].map((k) => k.split(' ')[1]));
    for (const code of [
      'WS_ERR_INVALID_OPCODE',
      'WS_ERR_INVALID_UTF8',
      'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      'WS_ERR_TOO_MANY_FRAGMENTS',
      'WS_ERR_INVALID_CLOSE_CODE',
      'WS_ERR_EXPECTED_FIN',
    ]) {
      assert.ok(codes.has(code), `some stream failed with ${code}; seen: ${[...codes].join(', ')}`);
    }
  });
});
