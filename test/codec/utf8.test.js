// UTF-8 validation of text messages. Vectors are generated from the encoding rules
// (test/helpers/utf8.js), each checked against node:buffer isUtf8 as the oracle, and
// the decoder must agree and fail fast: at the byte that makes the text invalid.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import {
  OP,
  frame,
  text,
  cont,
  concat,
  bytes,
  hex,
  chop,
  splitAt,
  collect,
  decode,
  forEachBackend,
  keyFor,
  mulberry32,
  randInt,
} from '../helpers/wire.js';
import { encodeCp, firstBadIndex, BOUNDARY_CPS, mixedUtf8, randomUtf8 } from '../helpers/utf8.js';

const u8 = (...b) => Uint8Array.from(b.flat());
const ctx = (v) => concat(bytes('ab'), v, bytes('cd')); // embed a vector in valid text

// ---- vector generation ------------------------------------------------------------------
const VALID = [];
const INVALID = [];
const add = (list, name, b) => list.push({ name, bytes: b });

for (const cp of [...BOUNDARY_CPS, 0xfdd0, 0xfdef, 0x1fffe, 0x1ffff, 0xdffff]) {
  add(VALID, `U+${cp.toString(16)}`, encodeCp(cp));
  add(VALID, `U+${cp.toString(16)} in context`, ctx(encodeCp(cp)));
}
add(VALID, 'empty', new Uint8Array(0));
add(VALID, 'all boundary code points in a row', concat(BOUNDARY_CPS.map((c) => encodeCp(c))));
add(VALID, 'mixed 1-4 byte text', mixedUtf8(200));

// overlongs: a code point encoded with more bytes than its shortest form
/** @type {Array<[number, number[]]>} */
const OVERLONG = [
  [2, [0x0, 0x2f, 0x7f]],
  [3, [0x0, 0x2f, 0x7f, 0x80, 0x7ff]],
  [4, [0x0, 0x2f, 0x7f, 0x7ff, 0x800, 0xffff]],
  [5, [0x0, 0x2f, 0xffff, 0x10ffff]],
  [6, [0x0, 0x2f, 0x10ffff]],
];
for (const [n, cps] of OVERLONG) {
  for (const cp of cps) {
    const e = encodeCp(cp, n);
    add(INVALID, `overlong ${n}-byte U+${cp.toString(16)} (${hex(e)})`, e);
    add(INVALID, `overlong ${n}-byte U+${cp.toString(16)} in context`, ctx(e));
  }
}
// surrogates, every one of them, as 3-byte sequences
for (let cp = 0xd800; cp <= 0xdfff; cp++) add(INVALID, `surrogate U+${cp.toString(16)}`, encodeCp(cp, 3));
add(INVALID, 'CESU-8 surrogate pair for U+10437', u8(0xed, 0xa0, 0x81, 0xed, 0xb0, 0xb7));
add(INVALID, 'surrogate in context', ctx(encodeCp(0xdabc, 3)));
// beyond U+10FFFF
for (const cp of [0x110000, 0x110001, 0x13ffff, 0x140000, 0x1fffff]) add(INVALID, `U+${cp.toString(16)} (4-byte form)`, encodeCp(cp, 4));
for (const cp of [0x200000, 0x3ffffff]) add(INVALID, `U+${cp.toString(16)} (5-byte form)`, encodeCp(cp, 5));
for (const cp of [0x4000000, 0x7fffffff]) add(INVALID, `U+${cp.toString(16)} (6-byte form)`, encodeCp(cp, 6));
// leads that never start a sequence
for (let b = 0xf5; b <= 0xff; b++) {
  add(INVALID, `lead 0x${b.toString(16)} alone`, u8(b));
  add(INVALID, `lead 0x${b.toString(16)} + 3 continuations`, ctx(u8(b, 0x80, 0x80, 0x80)));
}
for (const b of [0xc0, 0xc1]) {
  for (const c of [0x80, 0x81, 0xaf, 0xbf]) add(INVALID, `C0/C1 lead ${hex(u8(b, c))}`, u8(b, c));
  add(INVALID, `C0/C1 lead 0x${b.toString(16)} in context`, ctx(u8(b, 0xbf)));
}
// lone continuation bytes
for (let c = 0x80; c <= 0xbf; c++) {
  add(INVALID, `lone continuation 0x${c.toString(16)}`, u8(c));
  add(INVALID, `continuation 0x${c.toString(16)} after ASCII`, u8(0x61, c));
}
add(INVALID, 'extra continuation after a 2-byte char', u8(0xc3, 0xa9, 0x80));
add(INVALID, 'extra continuation after a 4-byte char', u8(0xf0, 0x9f, 0x98, 0x80, 0x80));
// truncated sequences at every cut, at the end of the message and followed by something
for (const cp of [0x80, 0x7ff, 0x800, 0xffff, 0x20ac, 0x10000, 0x1f600, 0x10ffff]) {
  const e = encodeCp(cp);
  for (let k = 1; k < e.length; k++) {
    const t = e.subarray(0, k);
    add(INVALID, `U+${cp.toString(16)} cut to ${k} byte(s) at the end`, t);
    add(INVALID, `U+${cp.toString(16)} cut to ${k} byte(s) at the end, after text`, concat(bytes('ab'), t));
    add(INVALID, `U+${cp.toString(16)} cut to ${k} byte(s), then ASCII`, ctx(t));
    add(INVALID, `U+${cp.toString(16)} cut to ${k} byte(s), then a new lead`, concat(t, encodeCp(0xe9)));
  }
}
// bad second bytes after the restricted leads E0, ED, F0, F4
add(INVALID, 'E0 followed by 9F (overlong range)', u8(0xe0, 0x9f, 0x80));
add(INVALID, 'ED followed by A0 (surrogate range)', u8(0xed, 0xa0, 0x80));
add(INVALID, 'F0 followed by 8F (overlong range)', u8(0xf0, 0x8f, 0x80, 0x80));
add(INVALID, 'F4 followed by 90 (beyond U+10FFFF)', u8(0xf4, 0x90, 0x80, 0x80));
add(VALID, 'E0 A0 80 (U+800)', u8(0xe0, 0xa0, 0x80));
add(VALID, 'ED 9F BF (U+D7FF)', u8(0xed, 0x9f, 0xbf));
add(VALID, 'F0 90 80 80 (U+10000)', u8(0xf0, 0x90, 0x80, 0x80));
add(VALID, 'F4 8F BF BF (U+10FFFF)', u8(0xf4, 0x8f, 0xbf, 0xbf));

describe('vector generator agrees with node:buffer isUtf8', () => {
  test('every VALID vector is valid for isUtf8 and the reference', () => {
    for (const v of VALID) {
      assert.equal(isUtf8(v.bytes), true, v.name);
      assert.equal(firstBadIndex(v.bytes), -1, v.name);
    }
  });
  test('every INVALID vector is invalid for isUtf8 and the reference', () => {
    for (const v of INVALID) {
      assert.equal(isUtf8(v.bytes), false, v.name);
      assert.notEqual(firstBadIndex(v.bytes), -1, v.name);
    }
  });
  test('reference agrees with isUtf8 on all 2-byte inputs and a 4-byte sample', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const v = u8(a, b);
        assert.equal(firstBadIndex(v) === -1, isUtf8(v), hex(v));
      }
    }
    for (let a = 0xc0; a < 0x100; a++) {
      for (let b = 0; b < 256; b++) {
        for (const c of [0x00, 0x80, 0xbf, 0xc0]) {
          const v = u8(a, b, c, 0x80);
          assert.equal(firstBadIndex(v) === -1, isUtf8(v), hex(v));
        }
      }
    }
  });
});

// ---- decoder ------------------------------------------------------------------------------

/**
 * Decode one text message per payload with decoders that are renewed after each error.
 * @param {Uint8Array[]} payloads
 * @param {{ role: string, backend: import('wscodec/codec').Backend, fragmentAt?: number }} options
 */
function verdicts(payloads, { role, backend, fragmentAt }) {
  const m = keyFor(role);
  const out = [];
  let rec = null;
  for (const p of payloads) {
    if (!rec || rec.dec.error) rec = collect({ role, backend });
    const before = rec.events.length;
    let stream;
    if (fragmentAt === undefined || p.length < 2) stream = text(p, m);
    else {
      const j = Math.min(fragmentAt, p.length);
      stream = concat(text(p.subarray(0, j), m, { fin: false }), cont(p.subarray(j), m));
    }
    rec.push(stream);
    const evs = rec.events.slice(before);
    assert.equal(evs.length, 1, `one event for ${hex(p)}: ${JSON.stringify(evs)}`);
    if (evs[0][0] === 'message') {
      assert.deepEqual(evs[0], ['message', hex(p), false, false]);
      out.push(true);
    } else {
      assert.deepEqual(evs[0], ['error', 1007, 'WS_ERR_INVALID_UTF8'], `for ${hex(p)}`);
      out.push(false);
    }
  }
  return out;
}

forEachBackend((backend) => {
  for (const role of ['server', 'client']) {
    describe(`${role}`, () => {
      test('every generated vector: decoder agrees with isUtf8 (single frame)', () => {
        const all = [...VALID, ...INVALID];
        const got = verdicts(
          all.map((v) => v.bytes),
          { role, backend },
        );
        all.forEach((v, i) => assert.equal(got[i], isUtf8(v.bytes), v.name));
      });

      test('every generated vector: decoder agrees with isUtf8 (two fragments, cut after byte 1)', () => {
        const all = [...VALID, ...INVALID];
        const got = verdicts(
          all.map((v) => v.bytes),
          { role, backend, fragmentAt: 1 },
        );
        all.forEach((v, i) => assert.equal(got[i], isUtf8(v.bytes), v.name));
      });

      test('all 65 536 two-byte messages agree with isUtf8', () => {
        const payloads = [];
        for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) payloads.push(u8(a, b));
        const got = verdicts(payloads, { role, backend });
        payloads.forEach((p, i) => {
          if (got[i] !== isUtf8(p)) assert.fail(`${hex(p)}: decoder ${got[i]}, isUtf8 ${!got[i]}`);
        });
      });

      test('3- and 4-byte messages over every lead and second byte agree with isUtf8', () => {
        const payloads = [];
        for (let a = 0xe0; a < 0x100; a++) {
          for (let b = 0; b < 256; b++) {
            for (const c of [0x80, 0xbf, 0x41, 0xc0]) {
              payloads.push(u8(a, b, c));
              if (a >= 0xf0) payloads.push(u8(a, b, c, 0x80), u8(a, b, c, 0xbf));
            }
          }
        }
        const got = verdicts(payloads, { role, backend });
        payloads.forEach((p, i) => {
          if (got[i] !== isUtf8(p)) assert.fail(`${hex(p)}: decoder ${got[i]}, isUtf8 ${!got[i]}`);
        });
      });

      test('fail fast: error reported during the push of the first bad byte (single frame, byte by byte)', () => {
        const m = keyFor(role);
        for (const v of INVALID) {
          const k = firstBadIndex(v.bytes);
          const f = text(v.bytes, m);
          const h = f.length - v.bytes.length;
          const rec = decode(f, { role, backend }, 'bytewise');
          assert.deepEqual(rec.events, [['error', 1007, 'WS_ERR_INVALID_UTF8']], v.name);
          // k === length: truncated at the end → the last byte of the frame completes the message
          const expectedAt = k < v.bytes.length ? h + k : f.length - 1;
          assert.equal(rec.state.errorPush, expectedAt, `${v.name}: error at byte ${rec.state.errorPush}, bad byte at ${expectedAt}`);
        }
      });

      test('fail fast across fragments: every fragment cut, byte by byte, error at the bad byte', () => {
        const m = keyFor(role);
        for (const v of INVALID) {
          if (v.name.startsWith('surrogate U+') && (parseInt(v.name.slice(12), 16) & 0x3f) !== 0) continue; // sample surrogates
          const p = v.bytes;
          const k = firstBadIndex(p);
          for (let j = 0; j <= p.length; j++) {
            const f1 = text(p.subarray(0, j), m, { fin: false });
            const f2 = cont(p.subarray(j), m);
            const h1 = f1.length - j;
            const h2 = f2.length - (p.length - j);
            const stream = concat(f1, f2);
            let expectedAt;
            if (k === p.length) expectedAt = stream.length - 1;
            else if (k < j) expectedAt = h1 + k;
            else expectedAt = f1.length + h2 + (k - j);
            const rec = decode(stream, { role, backend }, 'bytewise');
            assert.deepEqual(rec.events, [['error', 1007, 'WS_ERR_INVALID_UTF8']], `${v.name}, cut ${j}`);
            assert.equal(
              rec.state.errorPush,
              expectedAt,
              `${v.name}, cut ${j}: error at byte ${rec.state.errorPush}, bad byte at ${expectedAt}`,
            );
          }
        }
      });

      test('fail fast: bad byte arrives alone in a push, frame and message still incomplete', () => {
        const m = keyFor(role);
        /** @type {Array<[string, Uint8Array]>} */
        const cases = [
          ['lone continuation', concat(bytes('hello '), u8(0x80), bytes(' world'))],
          ['overlong', concat(bytes('x'), u8(0xc0, 0xaf), bytes('yz'))],
          ['surrogate', concat(mixedUtf8(30), u8(0xed, 0xb0, 0x80), bytes('tail'))],
          ['E2 82 then ASCII', concat(u8(0xe2, 0x82), bytes('A more'))],
          ['F5 lead', concat(mixedUtf8(10), u8(0xf5, 0x80, 0x80, 0x80))],
        ];
        for (const [name, p] of cases) {
          const k = firstBadIndex(p);
          assert.ok(k >= 0 && k < p.length - 1, name);
          const f = text(p, m);
          const h = f.length - p.length;
          const rec = collect({ role, backend });
          rec.push(f.slice(0, h + k));
          assert.deepEqual(rec.events, [], `${name}: nothing before the bad byte`);
          rec.push(f.slice(h + k, h + k + 1));
          assert.deepEqual(rec.events, [['error', 1007, 'WS_ERR_INVALID_UTF8']], `${name}: error with the bad byte`);
          rec.push(f.slice(h + k + 1));
          assert.equal(rec.events.length, 1);
        }
      });

      test('fail fast in a large single frame pushed in 4 KiB chunks', () => {
        const m = keyFor(role);
        const rng = mulberry32(1234);
        const p = randomUtf8(rng, 100000);
        let bad = 50000;
        while ((p[bad] & 0xc0) === 0x80) bad++; // put the bad byte at a character start
        p[bad] = 0xff;
        const f = text(p, m);
        const h = f.length - p.length;
        const rec = collect({ role, backend });
        const chunks = chop(f, 4096);
        const expectChunk = Math.floor((h + bad) / 4096);
        for (let i = 0; i < chunks.length; i++) {
          rec.push(chunks[i]);
          if (i < expectChunk) assert.deepEqual(rec.events, [], `no error before chunk ${expectChunk} (at ${i})`);
          else assert.deepEqual(rec.events, [['error', 1007, 'WS_ERR_INVALID_UTF8']], `error during chunk ${expectChunk} (at ${i})`);
        }
      });

      test('fail fast in a non-final fragment: the message is never completed', () => {
        const m = keyFor(role);
        const rec = collect({ role, backend });
        rec.push(text(concat(bytes('ok '), u8(0xc3)), m, { fin: false }));
        assert.deepEqual(rec.events, []);
        rec.push(cont(u8(0x28), m, { fin: false }).slice(0, m ? 7 : 3)); // header + the bad byte only
        assert.deepEqual(rec.events, [['error', 1007, 'WS_ERR_INVALID_UTF8']]);
      });

      test('valid text split across fragments and pushes at every pair of positions', () => {
        const m = keyFor(role);
        const v = concat(encodeCp(0x10ffff), mixedUtf8(14), encodeCp(0x800), encodeCp(0x80), encodeCp(0x10000));
        assert.ok(isUtf8(v));
        for (let j = 0; j <= v.length; j++) {
          const stream = concat(text(v.subarray(0, j), m, { fin: false }), cont(v.subarray(j), m));
          for (let cut = 0; cut <= stream.length; cut++) {
            const rec = decode(stream, { role, backend }, splitAt(stream, [cut]));
            assert.deepEqual(rec.events, [['message', hex(v), false, false]], `fragment cut ${j}, push cut ${cut}`);
          }
        }
      });

      test('valid text in three fragments at every pair of cuts, byte by byte', () => {
        const m = keyFor(role);
        const v = concat(encodeCp(0x1f600), encodeCp(0x20ac), encodeCp(0xe9), encodeCp(0x10ffff));
        for (let a = 0; a <= v.length; a++) {
          for (let b = a; b <= v.length; b++) {
            const stream = concat(
              text(v.subarray(0, a), m, { fin: false }),
              cont(v.subarray(a, b), m, { fin: false }),
              cont(v.subarray(b), m),
            );
            const rec = decode(stream, { role, backend }, 'bytewise');
            assert.deepEqual(rec.events, [['message', hex(v), false, false]], `cuts ${a}, ${b}`);
          }
        }
      });

      test('random valid UTF-8 in random fragments and pushes', () => {
        const m = keyFor(role);
        const rng = mulberry32(777);
        for (let i = 0; i < 200; i++) {
          const v = randomUtf8(rng, randInt(rng, 0, 300));
          const cuts = [];
          for (let c = randInt(rng, 0, 4); c > 0; c--) cuts.push(randInt(rng, 0, v.length));
          cuts.sort((x, y) => x - y);
          const pieces = splitAt(v, cuts);
          const stream = concat(
            pieces.map((pc, n) => frame({ opcode: n === 0 ? OP.TEXT : OP.CONT, payload: pc, mask: m, fin: n === pieces.length - 1 })),
          );
          const pushCuts = [];
          for (let c = randInt(rng, 0, 8); c > 0; c--) pushCuts.push(randInt(rng, 0, stream.length));
          const rec = decode(stream, { role, backend }, splitAt(stream, pushCuts));
          assert.deepEqual(rec.events, [['message', hex(v), false, false]], `iteration ${i}`);
        }
      });

      test('skipUtf8Validation delivers invalid text unchanged', () => {
        const m = keyFor(role);
        const bad = u8(0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xe2, 0x82);
        const stream = concat(text(bad, m), text(u8(0xf4), m, { fin: false }), cont(u8(0x90, 0x80), m));
        for (const feed of ['whole', 'bytewise']) {
          const rec = decode(stream, { role, backend, skipUtf8Validation: true }, feed);
          assert.deepEqual(rec.events, [
            ['message', hex(bad), false, false],
            ['message', 'f49080', false, false],
          ]);
        }
      });

      test('text message ending mid-code-point fails at the final fragment, not before', () => {
        const m = keyFor(role);
        const rec = collect({ role, backend });
        rec.push(text(u8(0x61, 0xe2), m, { fin: false }));
        rec.push(cont(u8(0x82), m, { fin: false }));
        rec.push(cont(new Uint8Array(0), m, { fin: false }));
        assert.deepEqual(rec.events, [], 'an unfinished code point at a fragment end is fine');
        const last = cont(new Uint8Array(0), m);
        rec.push(last.slice(0, last.length - 1));
        assert.deepEqual(rec.events, []);
        rec.push(last.slice(last.length - 1));
        assert.deepEqual(rec.events, [['error', 1007, 'WS_ERR_INVALID_UTF8']]);
      });
    });
  }
});
