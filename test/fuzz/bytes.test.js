// Property: whatever bytes arrive, however they are split, push() never throws and every
// backend reports the same events as every other backend and every other chunking.
// Inputs are random bytes, and "mostly valid" streams: generated frames with random
// header fields (opcode, FIN, RSV, mask, 7/16/64-bit lengths, declared length off by a
// little), then a few byte mutations, so the decoder gets deep before it fails.
//
// Replay a failure: WSCODEC_FC_SEED=<seed printed by fast-check> node --test test/fuzz/bytes.test.js
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { frame, concat, closePayload, KEY } from '../helpers/wire.js';
import { optionsArb, cutsArb, pieceArb, feedsFor, decodeEverywhere, fcParams, BACKENDS, dog, SEED } from './harness.js';

after(() => dog.stop());

const INTERESTING = [0x00, 0x01, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x88, 0x89, 0x8a, 0xfe, 0xff];

const keyArb = fc.oneof(fc.constant(KEY), fc.uint8Array({ minLength: 4, maxLength: 4 }));

/** Payloads: short random, UTF-8 text, close-shaped, and >125 bytes (16-bit length form). */
const payloadArb = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new TextEncoder().encode(s)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(1000, 1001, 1005, 1006, 1011, 2999, 3000, 4999, 5000), fc.string({ maxLength: 20 }))
      .map(([code, reason]) => closePayload(code, reason)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 400 }) },
);

/**
 * A header tweak: usually none, sometimes one field set wrong (this is what makes a
 * stream "mostly" valid: the frames around it are fine).
 */
const tweakArb = fc.oneof(
  { weight: 80, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ opcode: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 1, arbitrary: fc.record({ flipFin: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ rsv: fc.integer({ min: 1, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ flipMask: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ lengthDelta: fc.integer({ min: -3, max: 3 }) }) },
);

const closeArb = fc
  .tuple(fc.constantFrom(1000, 1001, 1005, 1006, 1011, 2999, 3000, 4999, 5000), fc.string({ unit: 'binary', maxLength: 30 }))
  .map(([code, reason]) => closePayload(code, reason).subarray(0, 125));
// A close ends the stream (nothing after it is decoded), so it is the rarer control frame.
const controlArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      opcode: fc.constantFrom(9, 10),
      payload: fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 125 })),
      tweak: tweakArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      opcode: fc.constant(8),
      payload: fc.oneof({ weight: 4, arbitrary: closeArb }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }) }),
      tweak: tweakArb,
    }),
  },
);

/** Text payloads: mostly valid UTF-8 (so text messages get delivered), sometimes anything. */
const textArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((x) => new TextEncoder().encode(x)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 50, maxLength: 300 }).map((x) => new TextEncoder().encode(x)) },
  { weight: 1, arbitrary: payloadArb },
);
/**
 * A data message cut into fragments, with control frames between some of them. Binary
 * messages carry `payload`, text ones `text`; each frame may get a header tweak.
 */
const messageArb = fc.record({
  opcode: fc.constantFrom(1, 2),
  payload: payloadArb,
  text: textArb,
  cuts: fc.array(fc.nat(), { maxLength: 3 }),
  rsv1: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  between: fc.array(controlArb, { maxLength: 2 }),
  tweaks: fc.array(tweakArb, { minLength: 4, maxLength: 4 }),
});

const itemsArb = fc.array(fc.oneof({ weight: 3, arbitrary: messageArb }, { weight: 1, arbitrary: controlArb }), {
  minLength: 1,
  maxLength: 8,
});
const lenFormArb = fc.constantFrom(undefined, undefined, undefined, 16, 64);

/** One frame; `tweak` (or null) bends one header field. */
function buildFrame(f, role, key, lenFormPick, tweak) {
  const t = tweak ?? {};
  const masked = (role === 'server') !== !!t.flipMask;
  const len = Math.max(0, f.payload.length + (t.lengthDelta ?? 0));
  // A non-minimal form is legal on the wire; a form too small for the length is not expressible.
  const lenForm = lenFormPick === 16 && len > 0xffff ? 64 : lenFormPick;
  const rsv = t.rsv ?? (f.rsv1 ? 4 : 0);
  return frame({
    opcode: t.opcode ?? f.opcode,
    fin: f.fin !== !!t.flipFin,
    rsv1: !!(rsv & 4),
    rsv2: !!(rsv & 2),
    rsv3: !!(rsv & 1),
    payload: f.payload,
    mask: masked ? key : undefined,
    len,
    lenForm,
  });
}

function buildStream(items, role, key, lenForm) {
  const out = [];
  // Control frames must use the 7-bit form (a 126/127 length byte is an error for them).
  const control = (c) => out.push(buildFrame({ ...c, fin: true }, role, key, undefined, c.tweak));
  for (let it of items) {
    if (!('cuts' in it)) {
      control(it);
      continue;
    }
    if (it.opcode === 1) it = { ...it, payload: it.text };
    const at = [...new Set(it.cuts.map((c) => c % (it.payload.length + 1)))].sort((a, b) => a - b);
    const bounds = [0, ...at, it.payload.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const last = i + 2 === bounds.length;
      out.push(
        buildFrame(
          {
            opcode: i === 0 ? it.opcode : 0,
            fin: last,
            rsv1: i === 0 && it.rsv1,
            payload: it.payload.subarray(bounds[i], bounds[i + 1]),
          },
          role,
          key,
          lenForm,
          it.tweaks[i],
        ),
      );
      if (!last && it.between[i]) control(it.between[i]);
    }
  }
  return concat(out);
}

/** Byte edits applied after building; positions wrap around the stream length. */
const mutationArb = fc.record({
  kind: fc.constantFrom('xor', 'set', 'insert', 'delete'),
  at: fc.nat(),
  value: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
});

/** Half the streams stay as built (they still carry the odd header tweak). */
const mutationsArb = fc.oneof(fc.constant([]), fc.array(mutationArb, { minLength: 1, maxLength: 3 }));

function mutate(stream, mutations) {
  let s = stream;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    if (m.kind === 'insert') s = concat(s.subarray(0, at), [m.value], s.subarray(at));
    else if (at === s.length) continue;
    else if (m.kind === 'delete') s = concat(s.subarray(0, at), s.subarray(at + 1));
    else if (m.kind === 'xor') s[at] ^= 1 << (m.value & 7);
    else s[at] = m.value;
  }
  return s;
}

test('the differential covers native, wasm and js', () => {
  assert.deepEqual([...BACKENDS].sort(), ['js', 'native', 'wasm']);
});

test('random bytes: no throw, same events on every backend and chunking', () => {
  fc.assert(
    fc.property(optionsArb, fc.uint8Array({ maxLength: 300 }), cutsArb, pieceArb, (options, stream, cuts, piece) => {
      decodeEverywhere(stream, options, feedsFor(stream, cuts, piece));
    }),
    fcParams(2000),
  );
});

test('random bytes behind a valid frame: no throw, same events everywhere', () => {
  // Pure noise almost always fails on byte 0; a valid first frame moves the noise inward.
  fc.assert(
    fc.property(
      optionsArb,
      payloadArb,
      keyArb,
      lenFormArb,
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      cutsArb,
      pieceArb,
      (options, payload, key, lenForm, noise, cuts, piece) => {
        const stream = concat(
          buildFrame({ opcode: 9, fin: true, payload: payload.subarray(0, 125) }, options.role, key, lenForm, null),
          noise,
        );
        decodeEverywhere(stream, options, feedsFor(stream, cuts, piece));
      },
    ),
    fcParams(1500),
  );
});

// Collects what the mostly-valid property reached, to prove it gets past the first frame.
const reached = { runs: 0, messages: 0, errors: new Set(), closes: 0, clean: 0 };

test('mostly valid streams, mutated: no throw, same events everywhere', () => {
  fc.assert(
    fc.property(
      optionsArb,
      itemsArb,
      keyArb,
      lenFormArb,
      mutationsArb,
      cutsArb,
      pieceArb,
      (options, items, key, lenForm, mutations, cuts, piece) => {
        const stream = mutate(buildStream(items, options.role, key, lenForm), mutations);
        const { events } = decodeEverywhere(stream, options, feedsFor(stream, cuts, piece));
        reached.runs++;
        for (const e of events) {
          if (e[0] === 'message') reached.messages++;
          else if (e[0] === 'close') reached.closes++;
          else if (e[0] === 'error') reached.errors.add(e[2]);
        }
        if (!events.some((e) => e[0] === 'error')) reached.clean++;
      },
    ),
    fcParams(4000),
  );
});

test('the mostly-valid generator reaches messages, closes, clean streams and many error kinds', (t) => {
  t.diagnostic(`seed ${SEED}; ${JSON.stringify({ ...reached, errors: [...reached.errors] })}`);
  assert.ok(reached.runs > 0);
  assert.ok(reached.messages > reached.runs / 4, 'messages are delivered');
  assert.ok(reached.closes > 0, 'some close frames decode');
  assert.ok(reached.clean > reached.runs / 10, 'some streams decode without error');
  assert.ok(reached.errors.size >= 6, `error kinds seen: ${[...reached.errors].join(', ')}`);
});

test('thousands of tiny frames in one push (more than one frame table): same events everywhere', () => {
  // The scan kernels stop at 4096 table entries and the decoder rescans; cross that edge.
  fc.assert(
    fc.property(
      fc.constantFrom('server', 'client'),
      fc.integer({ min: 4090, max: 4200 }),
      fc.nat(),
      fc.boolean(),
      cutsArb,
      (role, n, breakAt, zeroCopy, cuts) => {
        const key = role === 'server' ? KEY : undefined;
        const parts = [];
        for (let i = 0; i < n; i++) parts.push(frame({ opcode: i % 7 === 0 ? 9 : 10, payload: i % 3 ? [i & 0xff] : [], mask: key }));
        // Somewhere in the run, a frame that must fail (reserved opcode): everything before it still arrives.
        parts.splice(breakAt % (n + 1), 0, frame({ opcode: 3, payload: [], mask: key }));
        const stream = concat(parts);
        const { events } = decodeEverywhere(stream, { role, zeroCopy }, feedsFor(stream, cuts, 0));
        assert.equal(events.length, (breakAt % (n + 1)) + 1);
        assert.deepEqual(events.at(-1), ['error', 1002, 'WS_ERR_INVALID_OPCODE']);
      },
    ),
    fcParams(15),
  );
});
