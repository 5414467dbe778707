// Fragment assembly, interleaved control frames, per-message limits, delivery
// ownership, close semantics, nothing-after-close/error, callback exceptions and
// reentrant push().
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  OP,
  KEY,
  text,
  binary,
  cont,
  ping,
  pong,
  close,
  frame,
  header,
  concat,
  bytes,
  hex,
  chop,
  collect,
  decode,
  forEachBackend,
  mulberry32,
  randBytes,
  randomChop,
  keyFor,
  misalign,
} from '../helpers/wire.js';
import { mixedUtf8 } from '../helpers/utf8.js';

const K = KEY;
const err = (closeCode, code) => ['error', closeCode, code];
const msg = (payload, isBinary = false, compressed = false) => ['message', hex(bytes(payload)), isBinary, compressed];

/** Build a fragmented message from payload pieces (first frame gets `opcode`). */
function fragmented(opcode, pieces, m, extra = {}) {
  return concat(
    pieces.map((p, i) =>
      frame({
        opcode: i === 0 ? opcode : OP.CONT,
        payload: p,
        mask: m,
        fin: i === pieces.length - 1,
        ...(i === 0 ? extra : {}),
      }),
    ),
  );
}

/**
 * Every feed used for "any chunking gives identical events".
 * @returns {Array<[string, import('../helpers/wire.js').Feed]>}
 */
function feeds(seed) {
  const rng = mulberry32(seed);
  return [
    ['whole', 'whole'],
    ['bytewise', 'bytewise'],
    ['random chunks', (u8) => randomChop(rng, u8, 7)],
    ['with empty pushes', (u8) => chop(u8, [0, 1, 0, 2, 0, 3, 0, 5, 0, 8, 0, 13])],
  ];
}

forEachBackend((backend) => {
  /** @type {(stream: Uint8Array, opts?: import('../helpers/wire.js').CollectOptions, feed?: import('../helpers/wire.js').Feed) => ReturnType<typeof decode>} */
  const run = (stream, opts = {}, feed = 'whole') => decode(stream, { backend, ...opts }, feed);

  describe('fragmentation', () => {
    /** @type {Array<[string, Array<string | number[]>]>} */
    const texts = [
      ['2 fragments', ['Hello, ', 'world']],
      ['10 fragments', 'abcdefghij'.split('')],
      ['empty first fragment', ['', 'rest']],
      ['empty middle fragment', ['a', '', 'b']],
      ['empty last fragment', ['all of it', '']],
      ['all fragments empty', ['', '', '']],
      ['code points split across fragments', [[0xf0, 0x9f], [0x98], [0x80, 0xe2], [0x82, 0xac, 0xc3], [0xa9]]],
    ];
    for (const role of ['server', 'client']) {
      for (const [name, pieces] of texts) {
        for (const [fname, feed] of feeds(name.length)) {
          test(`${role}: text in ${name} [${fname}]`, () => {
            const whole = concat(pieces.map(bytes));
            const rec = run(fragmented(OP.TEXT, pieces, keyFor(role)), { role }, feed);
            assert.deepEqual(rec.events, [msg(whole)]);
          });
        }
      }
      test(`${role}: binary in 5 fragments incl. an empty one, every feed`, () => {
        const pieces = [[0], [1, 2], [], [3, 4, 5], [255]];
        for (const [, feed] of feeds(5)) {
          const rec = run(fragmented(OP.BINARY, pieces, keyFor(role)), { role }, feed);
          assert.deepEqual(rec.events, [msg([0, 1, 2, 3, 4, 5, 255], true)]);
        }
      });
    }

    test('valid text cut into two fragments at every byte position', () => {
      const whole = mixedUtf8(40);
      for (let cut = 0; cut <= whole.length; cut++) {
        const stream = fragmented(OP.TEXT, [whole.subarray(0, cut), whole.subarray(cut)], K);
        const rec = run(stream);
        assert.deepEqual(rec.events, [msg(whole)], `cut at ${cut}`);
      }
    });

    test('consecutive fragmented messages each start fresh', () => {
      const stream = concat(
        fragmented(OP.TEXT, ['a', 'b'], K),
        fragmented(OP.BINARY, [[1], [2], [3]], K),
        text('c', K),
        fragmented(OP.TEXT, [[0xe2], [0x82, 0xac]], K),
      );
      for (const [fname, feed] of feeds(9)) {
        const rec = run(stream, {}, feed);
        assert.deepEqual(rec.events, [msg('ab'), msg([1, 2, 3], true), msg('c'), msg('€')], fname);
      }
    });

    test('large fragments (3 × 100 000 bytes) reassemble', () => {
      const rng = mulberry32(7);
      const parts = [randBytes(rng, 100000), randBytes(rng, 100000), randBytes(rng, 100000)];
      const stream = fragmented(OP.BINARY, parts, K);
      for (const feed of ['whole', (u8) => chop(u8, 4093)]) {
        const rec = run(stream, {}, feed);
        assert.deepEqual(rec.events, [msg(concat(parts), true)]);
      }
    });
  });

  describe('interleaved control frames', () => {
    const stream = concat(
      text('one ', K, { fin: false }),
      ping('a', K),
      pong('', K),
      cont('two ', K, { fin: false }),
      ping(new Uint8Array(125).fill(0xaa), K),
      cont('three', K),
      ping('b', K),
    );
    const expected = [['ping', hex(bytes('a'))], ['pong', ''], ['ping', 'aa'.repeat(125)], msg('one two three'), ['ping', hex(bytes('b'))]];
    for (const [fname, feed] of feeds(3)) {
      test(`ping/pong between fragments are delivered immediately [${fname}]`, () => {
        assert.deepEqual(run(stream, {}, feed).events, expected);
      });
    }

    test('a ping between fragments is delivered before the message completes', () => {
      const rec = collect({ backend });
      rec.push(text('x', K, { fin: false }), ping('now', K));
      assert.deepEqual(rec.events, [['ping', hex(bytes('now'))]]);
      rec.push(cont('y', K));
      assert.deepEqual(rec.events, [['ping', hex(bytes('now'))], msg('xy')]);
    });

    test('a close frame in the middle of a fragmented message: close delivered, partial message dropped', () => {
      const s = concat(text('part', K, { fin: false }), close(1000, 'bye', K), cont('rest', K));
      for (const [fname, feed] of feeds(4)) {
        const rec = run(s, {}, feed);
        assert.deepEqual(rec.events, [['close', 1000, 'bye']], fname);
        assert.equal(rec.dec.closed, true);
      }
    });
  });

  describe('maxPayload across fragments', () => {
    test('sum exactly maxPayload is delivered; one more byte → 1009', () => {
      const ok = fragmented(
        OP.BINARY,
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9, 10],
        ],
        K,
      );
      const bad = fragmented(
        OP.BINARY,
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9, 10, 11],
        ],
        K,
      );
      for (const feed of ['whole', 'bytewise']) {
        assert.deepEqual(run(ok, { maxPayload: 10 }, feed).events, [msg([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true)]);
        assert.deepEqual(run(bad, { maxPayload: 10 }, feed).events, [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')]);
      }
    });

    test('1009 is reported when the overflowing fragment header arrives, controls before it delivered', () => {
      const rec = collect({ backend, maxPayload: 100 });
      rec.push(binary(new Uint8Array(60), K, { fin: false }), ping('p', K), cont(new Uint8Array(30), K, { fin: false }));
      assert.deepEqual(rec.events, [['ping', hex(bytes('p'))]]);
      rec.push(header({ opcode: OP.CONT, len: 11, mask: K }));
      assert.deepEqual(rec.events, [['ping', hex(bytes('p'))], err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')]);
    });

    test('the limit is per message, not per connection', () => {
      const s = concat(
        fragmented(OP.TEXT, ['12345', '67890'], K),
        binary(new Uint8Array(10), K),
        fragmented(OP.BINARY, [[1], new Uint8Array(9)], K),
      );
      const rec = run(s, { maxPayload: 10 }, 'bytewise');
      assert.deepEqual(rec.events, [msg('1234567890'), msg(new Uint8Array(10), true), msg(concat([1], new Uint8Array(9)), true)]);
    });

    test('maxPayload limits messages, not control frames (as in ws): a 125-byte ping with maxPayload 10', () => {
      const s = concat(ping(new Uint8Array(125).fill(1), K), text('a', K, { fin: false }), pong(new Uint8Array(50), K), cont('b', K));
      const rec = run(s, { maxPayload: 10 });
      assert.deepEqual(rec.events, [['ping', '01'.repeat(125)], ['pong', '00'.repeat(50)], msg('ab')]);
      const c = run(close(1000, 'a reason longer than maxPayload', K), { maxPayload: 10 });
      assert.deepEqual(c.events, [['close', 1000, 'a reason longer than maxPayload']]);
    });

    test('a message of exactly a large maxPayload, in uneven fragments and chunks', () => {
      const rng = mulberry32(12);
      const payload = randBytes(rng, 100000);
      const stream = fragmented(OP.BINARY, [payload.subarray(0, 1), payload.subarray(1, 40001), payload.subarray(40001)], K);
      for (const feed of ['whole', (u8) => randomChop(rng, u8, 5000), (u8) => chop(u8, 65536)]) {
        assert.deepEqual(run(stream, { maxPayload: 100000 }, feed).events, [msg(payload, true)]);
      }
      const over = fragmented(OP.BINARY, [payload.subarray(0, 1), payload.subarray(1, 40001), concat(payload.subarray(40001), [0])], K);
      assert.deepEqual(run(over, { maxPayload: 100000 }, (u8) => chop(u8, 4096)).events, [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')]);
    });

    test('a 3 MiB single frame arriving in 100 KiB pieces (buffer grows as bytes arrive)', () => {
      const rng = mulberry32(13);
      const payload = randBytes(rng, 3 * 1024 * 1024);
      for (const role of ['server', 'client']) {
        const rec = run(binary(payload, keyFor(role)), { role }, (u8) => chop(u8, 100 * 1024));
        assert.deepEqual(rec.events, [msg(payload, true)], role);
      }
    });

    test('maxPayload 0 means no (practical) limit: 1 MiB in fragments', () => {
      const rng = mulberry32(11);
      const parts = [randBytes(rng, 512 * 1024), randBytes(rng, 512 * 1024)];
      const rec = run(fragmented(OP.BINARY, parts, K), { maxPayload: 0 }, (u8) => chop(u8, 65536));
      assert.deepEqual(rec.events, [msg(concat(parts), true)]);
    });
  });

  describe('fragment cap', () => {
    const smallMessage = (n, size = 1, m = K) =>
      fragmented(
        OP.BINARY,
        Array.from({ length: n }, (_, i) => new Uint8Array(size).fill(i & 0xff)),
        m,
      );

    test('default maxFragments is 1024: 1024 small fragments are fine', () => {
      const rec = run(smallMessage(1024), {}, (u8) => chop(u8, 1000));
      assert.equal(rec.events.length, 1);
      assert.equal(rec.events[0][0], 'message');
      assert.equal(rec.events[0][1].length, 2 * 1024);
    });

    test('default maxFragments is 1024: 1025 small fragments → 1008 WS_ERR_TOO_MANY_FRAGMENTS', () => {
      const rec = run(smallMessage(1025), {}, (u8) => chop(u8, 1000));
      assert.deepEqual(rec.events, [err(1008, 'WS_ERR_TOO_MANY_FRAGMENTS')]);
    });

    for (const feed of ['whole', 'bytewise']) {
      test(`maxFragments 3: 3 ok, 4 → 1008 [${feed}]`, () => {
        assert.equal(run(smallMessage(3), { maxFragments: 3 }, feed).events[0][0], 'message');
        assert.deepEqual(run(smallMessage(4), { maxFragments: 3 }, feed).events, [err(1008, 'WS_ERR_TOO_MANY_FRAGMENTS')]);
      });
    }

    test('63-byte fragments count, 64-byte fragments do not', () => {
      assert.deepEqual(run(smallMessage(4, 63), { maxFragments: 3 }).events, [err(1008, 'WS_ERR_TOO_MANY_FRAGMENTS')]);
      const rec = run(smallMessage(50, 64), { maxFragments: 3 });
      assert.equal(rec.events.length, 1);
      assert.equal(rec.events[0][0], 'message');
      // mixing: 3 small + many large is fine, the 4th small one is not
      const mixed = (smalls) =>
        fragmented(
          OP.BINARY,
          [
            new Uint8Array(64),
            [1],
            new Uint8Array(100),
            [2],
            new Uint8Array(64),
            ...Array.from({ length: smalls - 2 }, () => [3]),
            new Uint8Array(64),
          ],
          K,
        );
      assert.equal(run(mixed(3), { maxFragments: 3 }).events[0][0], 'message');
      assert.deepEqual(run(mixed(4), { maxFragments: 3 }).events, [err(1008, 'WS_ERR_TOO_MANY_FRAGMENTS')]);
    });

    test('the count resets for each message, and interleaved control frames do not count', () => {
      const s = concat(
        smallMessage(3),
        smallMessage(3),
        text('a', K, { fin: false }),
        ping('', K),
        ping('', K),
        cont('b', K, { fin: false }),
        pong('', K),
        ping('', K),
        cont('c', K),
      );
      const rec = run(s, { maxFragments: 3 });
      assert.deepEqual(
        rec.events.map((e) => e[0]),
        ['message', 'message', 'ping', 'ping', 'pong', 'ping', 'message'],
      );
      assert.deepEqual(rec.events[6], msg('abc'));
    });

    test('4 MiB message in 64-byte fragments is fine (65 536 fragments)', () => {
      const rng = mulberry32(64);
      const payload = randBytes(rng, 4 * 1024 * 1024);
      const pieces = [];
      for (let i = 0; i < payload.length; i += 64) pieces.push(payload.subarray(i, i + 64));
      const stream = fragmented(OP.BINARY, pieces, undefined);
      const rec = run(stream, { role: 'client' }, (u8) => chop(u8, 65536));
      assert.equal(rec.events.length, 1);
      assert.deepEqual(rec.events[0], ['message', hex(payload), true, false]);
    });
  });

  describe('delivery ownership', () => {
    test('default mode: delivered messages, pings and pongs stay intact across later pushes', () => {
      const rng = mulberry32(21);
      const rec = collect({ backend });
      // many messages of varied sizes, masked, in random chunks: reuse of any staging
      // area or of the chunk memory would show up in rec.verifyKept()
      for (let i = 0; i < 300; i++) {
        const n = [0, 1, 5, 30, 125, 200, 1000, 70000][i % 8];
        const p = randBytes(rng, n);
        const f =
          i % 3 === 0
            ? binary(p, randBytes(rng, 4))
            : i % 3 === 1
              ? ping(p.subarray(0, 125), randBytes(rng, 4))
              : pong(p.subarray(0, 50), randBytes(rng, 4));
        rec.push(randomChop(rng, f, 97));
      }
      assert.equal(rec.events.length, 300);
      rec.verifyKept();
    });

    test('default mode: messages survive a very large later message (memory growth)', () => {
      const rec = collect({ backend, role: 'client' });
      rec.push(binary(Uint8Array.of(1, 2, 3, 4)), text('keep me'));
      const big = new Uint8Array(24 * 1024 * 1024).fill(0x5a);
      rec.push(binary(big));
      assert.equal(rec.events.length, 3);
      assert.equal(rec.kept[0][0].byteLength, 4, 'first message not detached');
      rec.verifyKept();
      assert.equal(rec.events[2][1].length, big.length * 2);
    });

    test('default mode: a message delivered from a fragmented, chunked stream stays intact', () => {
      const rec = collect({ backend });
      const first = fragmented(OP.TEXT, ['abc', 'def'], K);
      rec.push(chop(concat(first, text('partial next', K)), 5));
      rec.push(text('more data to overwrite buffers', K));
      rec.verifyKept();
      assert.deepEqual(
        rec.events.map((e) => e[1]),
        [hex(bytes('abcdef')), hex(bytes('partial next')), hex(bytes('more data to overwrite buffers'))],
      );
    });

    for (const [fname, feed] of feeds(31)) {
      test(`zeroCopy: data is correct during the callback and events equal the default mode [${fname}]`, () => {
        const rng = mulberry32(99);
        const parts = [];
        for (let i = 0; i < 40; i++) {
          const n = [0, 3, 125, 126, 1000][i % 5];
          parts.push(
            i % 4 === 3
              ? ping(randBytes(rng, Math.min(n, 125)), K)
              : i % 2
                ? binary(randBytes(rng, n), K)
                : fragmented(OP.TEXT, [mixedUtf8(n), 'z'], K),
          );
        }
        const stream = concat(parts);
        const a = run(stream, {}, feed);
        const b = run(stream, { zeroCopy: true }, feed);
        assert.equal(a.events.length, 40);
        assert.deepEqual(b.events, a.events);
      });
    }

    test('chunks that are views at odd offsets of bigger buffers: correct, and nothing outside them is written', () => {
      const rng = mulberry32(404);
      for (const zeroCopy of [false, true]) {
        for (const role of ['server', 'client']) {
          const payloads = [randBytes(rng, 10000), randBytes(rng, 333), randBytes(rng, 70000)];
          const stream = concat(payloads.map((p) => binary(p, keyFor(role, randBytes(rng, 4)))));
          for (const size of [1, 7, 1000, 65536]) {
            const placed = misalign(rng, chop(stream, size));
            const rec = collect({ backend, role, zeroCopy });
            rec.push(placed.chunks);
            rec.verifyKept();
            assert.deepEqual(
              rec.events,
              payloads.map((p) => msg(p, true)),
              `${role} pieces of ${size}`,
            );
            assert.ok(placed.untouched(), `${role} pieces of ${size}: bytes outside the chunk views changed`);
          }
        }
      }
    });

    test('zeroCopy: delivered data is a Uint8Array', () => {
      const types = [];
      const rec = collect({
        backend,
        zeroCopy: true,
        hooks: { onMessage: (d) => types.push(d instanceof Uint8Array), onPing: (d) => types.push(d instanceof Uint8Array) },
      });
      rec.push(text('a', K), ping('b', K));
      assert.deepEqual(types, [true, true]);
    });
  });

  describe('close semantics', () => {
    test('close code and reason are delivered and dec.closed becomes true', () => {
      const rec = collect({ backend });
      rec.push(text('before', K));
      assert.equal(rec.dec.closed, false);
      rec.push(close(1001, 'server going down ⏻', K));
      assert.equal(rec.dec.closed, true);
      assert.equal(rec.dec.error, undefined);
      assert.deepEqual(rec.events, [msg('before'), ['close', 1001, 'server going down ⏻']]);
    });

    test('close in pieces: delivered only when complete', () => {
      const rec = collect({ backend });
      const c = close(3000, 'abc', K);
      rec.push(c.slice(0, c.length - 1));
      assert.deepEqual(rec.events, []);
      assert.equal(rec.dec.closed, false);
      rec.push(c.slice(c.length - 1));
      assert.deepEqual(rec.events, [['close', 3000, 'abc']]);
    });

    for (const [fname, feed] of feeds(41)) {
      test(`nothing after a close frame in the same chunk or later pushes [${fname}]`, () => {
        const rec = collect({ backend });
        const s = concat(text('a', K), close(1000, '', K), text('after', K), ping('x', K), close(1001, '', K), [0xff, 0xff]);
        rec.push(typeof feed === 'function' ? feed(s) : feed === 'bytewise' ? chop(s, 1) : [s]);
        rec.push(text('later', K), frame({ opcode: 3, payload: 'bad', mask: K }));
        assert.deepEqual(rec.events, [msg('a'), ['close', 1000, '']]);
        assert.equal(rec.dec.error, undefined, 'bytes after a close are not parsed');
        rec.verifyErrors();
      });
    }
  });

  describe('nothing after an error', () => {
    for (const [fname, feed] of feeds(51)) {
      test(`messages before the bad bytes are delivered, nothing after [${fname}]`, () => {
        const s = concat(
          text('one', K),
          fragmented(OP.BINARY, [[1], [2]], K),
          ping('p', K),
          frame({ opcode: 0xb, payload: 'x', mask: K }),
          text('never', K),
          close(1000, '', K),
        );
        const rec = run(s, {}, feed);
        assert.deepEqual(rec.events, [msg('one'), msg([1, 2], true), ['ping', hex(bytes('p'))], err(1002, 'WS_ERR_INVALID_OPCODE')]);
      });
    }

    test('later pushes are ignored and onError is called exactly once', () => {
      const rec = collect({ backend });
      rec.push(text([0xff], K));
      rec.push(text([0xff], K), frame({ opcode: 5, payload: '', mask: K }), text('ok', K));
      rec.push(binary('x'));
      assert.deepEqual(rec.events, [err(1007, 'WS_ERR_INVALID_UTF8')]);
      assert.equal(rec.errors.length, 1);
      assert.equal(rec.dec.error, rec.errors[0]);
      assert.equal(rec.dec.error.closeCode, 1007);
    });

    test('an error in the middle of a chunk: the complete message before it is delivered first', () => {
      const rec = collect({ backend, role: 'client' });
      const partial = text('abc', undefined, { fin: false });
      rec.push(concat(binary([7]), partial, text('x')));
      assert.deepEqual(rec.events, [msg([7], true), err(1002, 'WS_ERR_INVALID_OPCODE')]);
    });
  });

  describe('exceptions thrown by callbacks', () => {
    test('onMessage throws: push rethrows the first exception after processing the whole chunk', () => {
      const boom1 = new Error('boom 1');
      const boom2 = new Error('boom 2');
      let n = 0;
      const rec = collect({
        backend,
        hooks: {
          onMessage() {
            n++;
            if (n === 1) throw boom1;
            if (n === 2) throw boom2;
          },
        },
      });
      const s = concat(text('m1', K), text('m2', K), ping('p', K), text('m3', K), text('m4 part', K).subarray(0, 5));
      assert.throws(
        () => rec.push(s),
        (e) => e === boom1,
      );
      assert.deepEqual(rec.events, [msg('m1'), msg('m2'), ['ping', hex(bytes('p'))], msg('m3')]);
      // the decoder stays consistent: the next push completes the partial frame
      rec.push(text('m4 part', K).subarray(5).slice());
      assert.deepEqual(rec.events.at(-1), msg('m4 part'));
      rec.push(text('m5', K));
      assert.deepEqual(rec.events.at(-1), msg('m5'));
      assert.equal(rec.dec.error, undefined);
    });

    for (const kind of ['onPing', 'onPong']) {
      test(`${kind} throws: propagates, later events in the chunk still delivered`, () => {
        const boom = new Error(kind);
        const rec = collect({
          backend,
          hooks: {
            [kind]() {
              throw boom;
            },
          },
        });
        const ctl = kind === 'onPing' ? ping('c', K) : pong('c', K);
        assert.throws(
          () => rec.push(concat(ctl, text('after', K))),
          (e) => e === boom,
        );
        assert.deepEqual(rec.events, [[kind === 'onPing' ? 'ping' : 'pong', hex(bytes('c'))], msg('after')]);
      });
    }

    test('onClose throws: propagates, and nothing is delivered after the close', () => {
      const boom = new Error('close');
      const rec = collect({
        backend,
        hooks: {
          onClose() {
            throw boom;
          },
        },
      });
      assert.throws(
        () => rec.push(concat(text('a', K), close(1000, 'x', K), text('b', K))),
        (e) => e === boom,
      );
      assert.deepEqual(rec.events, [msg('a'), ['close', 1000, 'x']]);
      assert.equal(rec.dec.closed, true);
      rec.push(text('c', K));
      assert.equal(rec.events.length, 2);
    });

    test('onError throws: propagates once; the decoder stays failed', () => {
      const boom = new Error('onError');
      const rec = collect({
        backend,
        hooks: {
          onError() {
            throw boom;
          },
        },
      });
      assert.throws(
        () => rec.push(concat(text('a', K), text([0xc0], K), text('b', K))),
        (e) => e === boom,
      );
      assert.deepEqual(rec.events, [msg('a'), err(1007, 'WS_ERR_INVALID_UTF8')]);
      assert.doesNotThrow(() => rec.push(text('c', K)));
      assert.equal(rec.errors.length, 1);
    });

    test('a callback exception does not swallow a later protocol error in the same chunk', () => {
      const boom = new Error('first');
      const rec = collect({
        backend,
        hooks: {
          onMessage() {
            throw boom;
          },
        },
      });
      assert.throws(
        () => rec.push(concat(text('a', K), frame({ opcode: 7, payload: '', mask: K }))),
        (e) => e === boom,
      );
      assert.deepEqual(rec.events, [msg('a'), err(1002, 'WS_ERR_INVALID_OPCODE')]);
      assert.equal(rec.dec.error.code, 'WS_ERR_INVALID_OPCODE');
    });
  });

  describe('reentrant push', () => {
    test('push from onMessage is queued and processed after the current chunk', () => {
      let rec;
      let nested = false;
      let eventsWhenNestedReturned;
      rec = collect({
        backend,
        hooks: {
          onMessage() {
            if (!nested) {
              nested = true;
              rec.dec.push(text('queued', K));
              eventsWhenNestedReturned = rec.events.length;
            }
          },
        },
      });
      rec.push(concat(text('m1', K), ping('p', K), text('m2', K)));
      assert.equal(eventsWhenNestedReturned, 1, 'the nested push did not deliver synchronously');
      assert.deepEqual(rec.events, [msg('m1'), ['ping', hex(bytes('p'))], msg('m2'), msg('queued')]);
    });

    test('a queued chunk continues a frame left partial by the current chunk', () => {
      let rec;
      const m2 = text('second message', K);
      let done = false;
      rec = collect({
        backend,
        hooks: {
          onMessage() {
            if (!done) {
              done = true;
              rec.dec.push(m2.slice(6));
            }
          },
        },
      });
      rec.push(concat(text('first', K), m2.subarray(0, 6)));
      assert.deepEqual(rec.events, [msg('first'), msg('second message')]);
    });

    test('several nested pushes keep their order, including pushes from queued chunks', () => {
      let rec;
      const log = [];
      rec = collect({
        backend,
        hooks: {
          onMessage(data) {
            const s = new TextDecoder().decode(data);
            log.push(s);
            if (s === 'a') {
              rec.dec.push(text('c', K));
              rec.dec.push(text('d', K));
            }
            if (s === 'c') rec.dec.push(text('e', K));
          },
        },
      });
      rec.push(concat(text('a', K), text('b', K)));
      assert.deepEqual(log, ['a', 'b', 'c', 'd', 'e']);
    });

    test('push from onPing (e.g. a test harness echoing) is queued too', () => {
      let rec;
      rec = collect({
        backend,
        hooks: {
          onPing() {
            rec.dec.push(text('from ping', K));
          },
        },
      });
      rec.push(concat(ping('x', K), text('after ping', K)));
      assert.deepEqual(rec.events, [['ping', hex(bytes('x'))], msg('after ping'), msg('from ping')]);
    });

    test('a chunk pushed from onClose is ignored', () => {
      let rec;
      rec = collect({
        backend,
        hooks: {
          onClose() {
            rec.dec.push(text('ignored', K));
          },
        },
      });
      rec.push(close(1000, '', K));
      assert.deepEqual(rec.events, [['close', 1000, '']]);
    });

    test('an error inside a queued chunk stops everything after it', () => {
      let rec;
      let once = false;
      rec = collect({
        backend,
        hooks: {
          onMessage() {
            if (!once) {
              once = true;
              rec.dec.push(concat(text([0xff], K), text('no', K)));
            }
          },
        },
      });
      rec.push(concat(text('m1', K), text('m2', K)));
      assert.deepEqual(rec.events, [msg('m1'), msg('m2'), err(1007, 'WS_ERR_INVALID_UTF8')]);
    });
  });
});
