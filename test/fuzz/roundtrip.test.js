// Property: what encodeFrame sends, FrameDecoder receives, exactly. Arbitrary messages
// (unicode text, binary, empty), cut into arbitrary fragments (text cut mid-character
// too) with pings/pongs between fragments, masked with arbitrary keys (server role) or
// unmasked (client role), optionally ending in a close frame and ignored trailing bytes,
// fed at arbitrary split points: every backend yields exactly the events sent.
//
// Replay a failure: WSCODEC_FC_SEED=<seed printed by fast-check> node --test test/fuzz/roundtrip.test.js
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { codec, concat, hex } from '../helpers/wire.js';
import { cutsArb, pieceArb, feedsFor, decodeEverywhere, fcParams, dog } from './harness.js';

after(() => dog.stop());

const { encodeFrame, encodeClosePayload, Opcode } = codec;
const utf8 = new TextEncoder();

/** A server receives masked frames: an explicit key (all-zero included) or a fresh random one. */
const maskArb = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.constant(true));

const controlArb = fc.record({
  opcode: fc.constantFrom(Opcode.Ping, Opcode.Pong),
  payload: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 125 })),
  mask: maskArb,
});

/** Binary sizes across the 7-bit and 16-bit length forms (the 64-bit form has its own property). */
const binaryArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 700 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
);

const messageArb = fc.record({
  binary: fc.boolean(),
  text: fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.constant('')),
  bytes: binaryArb,
  compressed: fc.boolean(), // only honoured when the decoder allows RSV1
  cuts: fc.oneof(fc.constant([]), fc.array(fc.nat(), { minLength: 1, maxLength: 4 })),
  masks: fc.array(maskArb, { minLength: 5, maxLength: 5 }),
  between: fc.array(fc.option(controlArb), { minLength: 4, maxLength: 4 }),
});

const closeArb = fc.record({
  code: fc.oneof(fc.integer({ min: 1000, max: 1003 }), fc.integer({ min: 1007, max: 1014 }), fc.integer({ min: 3000, max: 4999 })),
  // ≤ 30 code points of ≤ 4 bytes each: always within the 123-byte limit
  reason: fc.string({ unit: 'binary', maxLength: 30 }),
  empty: fc.boolean(),
  mask: maskArb,
  trailer: fc.uint8Array({ maxLength: 20 }), // bytes after a close are never decoded
});

const sessionArb = fc.record({
  role: fc.constantFrom('server', 'client'),
  allowRsv1: fc.boolean(),
  zeroCopy: fc.boolean(),
  items: fc.array(fc.oneof({ weight: 3, arbitrary: messageArb }, { weight: 1, arbitrary: controlArb }), { maxLength: 6 }),
  close: fc.option(closeArb),
});

const controlEvent = (c) => [c.opcode === Opcode.Ping ? 'ping' : 'pong', hex(c.payload)];

/** Encodes a session; returns the wire bytes and the events the decoder must report. */
function encodeSession(s) {
  const masked = s.role === 'server';
  const wire = [];
  const expected = [];
  const send = (opcode, payload, options, mask) => wire.push(...encodeFrame(opcode, payload, { ...options, mask: masked ? mask : false }));
  const sendControl = (c) => {
    send(c.opcode, c.payload, {}, c.mask);
    expected.push(controlEvent(c));
  };
  for (const it of s.items) {
    if (!('binary' in it)) {
      sendControl(it);
      continue;
    }
    const bytes = it.binary ? it.bytes : utf8.encode(it.text);
    const compressed = s.allowRsv1 && it.compressed;
    const opcode = it.binary ? Opcode.Binary : Opcode.Text;
    // Byte cuts: a text fragment may end in the middle of a character.
    const at = [...new Set(it.cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    if (at.length === 0 && !it.binary) {
      send(opcode, it.text, { rsv1: compressed }, it.masks[0]); // the string path of encodeFrame
    } else {
      const bounds = [0, ...at, bytes.length];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const fin = i + 2 === bounds.length;
        send(
          i === 0 ? opcode : Opcode.Continuation,
          bytes.subarray(bounds[i], bounds[i + 1]),
          { fin, rsv1: i === 0 && compressed },
          it.masks[i],
        );
        if (!fin && it.between[i]) sendControl(it.between[i]);
      }
    }
    expected.push(['message', hex(bytes), it.binary, compressed]);
  }
  if (s.close) {
    const c = s.close;
    send(Opcode.Close, c.empty ? encodeClosePayload() : encodeClosePayload(c.code, c.reason), {}, c.mask);
    expected.push(c.empty ? ['close', 1005, ''] : ['close', c.code, c.reason]);
    wire.push(c.trailer);
  }
  return { stream: concat(wire), expected };
}

/** Options the decoder runs with: limits at their defaults, so every valid session decodes. */
const decoderOptions = (s) => ({ role: s.role, allowRsv1: s.allowRsv1, zeroCopy: s.zeroCopy });

test('encodeFrame → FrameDecoder: exactly the events sent, on every backend and chunking', () => {
  fc.assert(
    fc.property(sessionArb, cutsArb, pieceArb, (s, cuts, piece) => {
      const { stream, expected } = encodeSession(s);
      const { events, closed } = decodeEverywhere(stream, decoderOptions(s), feedsFor(stream, cuts, piece));
      assert.deepEqual(events, expected);
      assert.equal(closed, !!s.close);
    }),
    fcParams(5000),
  );
});

test('64-bit length form: messages over 64 KiB round-trip, fragmented or not', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('server', 'client'),
      fc.integer({ min: 65_536, max: 70_000 }),
      fc.array(fc.nat(), { maxLength: 2 }),
      fc.option(controlArb),
      maskArb,
      fc.boolean(),
      cutsArb,
      (role, size, cuts, control, mask, zeroCopy, streamCuts) => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 31 + size) & 0xff;
        const s = {
          role,
          allowRsv1: false,
          zeroCopy,
          close: null,
          items: [{ binary: true, bytes, compressed: false, cuts, masks: Array(5).fill(mask), between: [control, control, null, null] }],
        };
        const { stream, expected } = encodeSession(s);
        const { events } = decodeEverywhere(stream, decoderOptions(s), feedsFor(stream, streamCuts, 0));
        assert.deepEqual(events, expected);
      },
    ),
    fcParams(60),
  );
});

test('a stream over 1 MiB (more than one wasm staging window) round-trips', () => {
  // The wasm backend stages at most 1 MiB per window; frames and headers straddle that edge.
  fc.assert(
    fc.property(
      fc.constantFrom('server', 'client'),
      fc.integer({ min: (1 << 20) - 40, max: (1 << 20) + 40 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 3 }),
      (role, size, cuts, zeroCopy, streamCuts) => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (i ^ (i >>> 8)) & 0xff;
        const ping = { opcode: Opcode.Ping, payload: Uint8Array.of(1, 2, 3), mask: true };
        const s = {
          role,
          allowRsv1: false,
          zeroCopy,
          close: null,
          items: [
            ping,
            { binary: true, bytes, compressed: false, cuts, masks: Array(5).fill(true), between: [ping, ping, ping, null] },
            ping,
          ],
        };
        const { stream, expected } = encodeSession(s);
        const { events } = decodeEverywhere(stream, decoderOptions(s), feedsFor(stream, streamCuts, 0));
        assert.deepEqual(events, expected);
      },
    ),
    fcParams(10),
  );
});
