// The harness must be able to fail a peer: its wire tools are checked on their own, and
// a deliberately sloppy echo server (written here, no wscodec involved) must get FAILED
// exactly where it breaks the RFC and OK where it does not.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { buildFrame, FrameReader, OP } from './wire/frames.js';
import { HeadReader, switchingResponse } from './wire/http.js';
import { runAsClient } from './runner.js';
import { selectCases } from './cases/index.js';
import { traceDifference } from './verdict.js';

describe('frame tools', () => {
  test('the reader gets back what the writer wrote, at every split point', () => {
    const frames = [
      buildFrame({ opcode: OP.TEXT, payload: 'hello', mask: true }),
      buildFrame({ opcode: OP.BINARY, payload: new Uint8Array(300).fill(7), mask: true, fin: false }),
      buildFrame({ opcode: OP.CONT, payload: new Uint8Array(70000).fill(9), mask: true }),
    ];
    const stream = Buffer.concat(frames);
    for (const split of [1, 2, 13, 301, 70001]) {
      const reader = new FrameReader({ peerIsClient: true });
      const got = [];
      for (let at = 0; at < stream.length; at += split) got.push(...reader.push(stream.subarray(at, at + split)));
      assert.equal(reader.violation, null);
      assert.deepEqual(
        got.map((f) => [f.opcode, f.fin, f.payload.length]),
        [
          [1, true, 5],
          [2, false, 300],
          [0, true, 70000],
        ],
      );
      assert.equal(Buffer.from(got[0].payload).toString(), 'hello');
      assert.ok(got[2].payload.every((b) => b === 9));
    }
  });

  /** @type {[string, import('./wire/frames.js').FrameSpec, boolean][]} */
  const violations = [
    ['a masked frame from a server', { opcode: OP.TEXT, payload: 'x', mask: true }, false],
    ['an unmasked frame from a client', { opcode: OP.TEXT, payload: 'x' }, true],
    ['RSV2/RSV3 set with no extension that defines them', { opcode: OP.TEXT, rsv2: true }, false],
    ['RSV1 set with no extension negotiated', { opcode: OP.TEXT, rsv1: true }, false],
    ['reserved opcode 3', { opcode: 3 }, false],
    ['a fragmented control frame', { opcode: OP.PING, fin: false }, false],
    ['a control frame longer than 125 bytes', { opcode: OP.PING, payload: new Uint8Array(126) }, false],
    ['a 16-bit length used for a payload under 126 bytes', { opcode: OP.TEXT, payload: 'x', lengthForm: 16 }, false],
    ['the top bit of a 64-bit length is set', { opcode: OP.BINARY, lengthForm: 64, declaredLength: 1n << 63n }, false],
  ];
  for (const [reason, spec, peerIsClient] of violations) {
    test(`the reader refuses ${reason}`, () => {
      const reader = new FrameReader({ peerIsClient });
      assert.deepEqual(reader.push(buildFrame(spec)), []);
      assert.equal(reader.violation, reason);
    });
  }

  test('a trace difference names the first mismatch', () => {
    const m = (s) => ({ type: 'message', binary: false, bytes: Buffer.from(s) });
    assert.equal(traceDifference([m('a')], [m('a')]), null);
    assert.match(traceDifference([m('a')], [m('b')]), /position 1/);
    assert.match(traceDifference([m('a')], []), /missing text message/);
    assert.match(traceDifference([], [{ type: 'pong', bytes: Buffer.alloc(0) }]), /unexpected pong/);
  });
});

/**
 * An echo server that checks nothing: it sends every frame's payload back with the
 * same header bits (a close frame too, then it ends TCP), optionally masking its frames.
 */
function sloppyServer({ maskReplies }) {
  return net.createServer((socket) => {
    const head = new HeadReader();
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (!upgraded) {
        const done = head.push(chunk);
        if (!done) return;
        upgraded = true;
        socket.write(switchingResponse(done.head.headers['sec-websocket-key']));
        chunk = done.rest;
      }
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (buffered.length < 2) return;
        const len7 = buffered[1] & 0x7f;
        const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
        const length = len7 === 126 ? buffered.readUInt16BE(2) : len7 === 127 ? Number(buffered.readBigUInt64BE(2) & 0xffffffffn) : len7;
        const masked = (buffered[1] & 0x80) !== 0;
        const start = 2 + ext + (masked ? 4 : 0);
        if (buffered.length < start + length) return;
        const payload = Buffer.from(buffered.subarray(start, start + length));
        if (masked) for (let i = 0; i < length; i++) payload[i] ^= buffered[start - 4 + (i & 3)];
        const b0 = buffered[0];
        buffered = buffered.subarray(start + length);
        const reply = buildFrame({
          opcode: (b0 & 0x0f) === 9 ? 10 : b0 & 0x0f,
          payload,
          fin: (b0 & 0x80) !== 0,
          rsv1: (b0 & 0x40) !== 0,
          rsv2: (b0 & 0x20) !== 0,
          rsv3: (b0 & 0x10) !== 0,
          mask: maskReplies,
        });
        socket.write(reply);
        if ((b0 & 0x0f) === 8) socket.end();
      }
    });
  });
}

describe('the harness fails a sloppy peer', () => {
  const byId = Object.fromEntries(selectCases({ harnessRole: 'client' }).map((k) => [k.id, k]));
  const pick = (...ids) => ids.map((id) => byId[id]);

  for (const maskReplies of [false, true]) {
    describe(maskReplies ? 'one that masks its frames' : 'one that checks nothing', () => {
      let server;
      let results;
      before(async () => {
        server = sloppyServer({ maskReplies }).listen(0, '127.0.0.1');
        await once(server, 'listening');
        results = Object.fromEntries(
          (
            await runAsClient({
              port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
              cases: pick('1.1.2', '2.2', '2.5', '3.1', '4.1.1', '5.3', '6.3.1', '7.9.1'),
            })
          ).map((r) => [r.id, r]),
        );
      });
      after(() => server.close());

      if (maskReplies) {
        test('every case FAILED, for its masked frames', () => {
          for (const r of Object.values(results)) {
            assert.equal(r.verdict, 'FAILED', r.id);
            assert.match(r.reason, /a masked frame from a server/, r.id);
          }
        });
      } else {
        test('what it gets right is OK', () => {
          // Echoing fragments as they came is a legal way to echo a fragmented message.
          for (const id of ['1.1.2', '2.2', '5.3']) assert.equal(results[id].verdict, 'OK', `${id}: ${results[id].reason}`);
        });
        test('what it gets wrong is FAILED, with the reason', () => {
          assert.match(results['2.5'].reason, /control frame longer than 125/);
          assert.match(results['3.1'].reason, /RSV2\/RSV3/);
          assert.match(results['4.1.1'].reason, /reserved opcode 3/);
          assert.match(results['6.3.1'].reason, /not valid UTF-8/);
          assert.match(results['7.9.1'].reason, /close frame with code 0/);
          for (const id of ['2.5', '3.1', '4.1.1', '6.3.1', '7.9.1']) assert.equal(results[id].verdict, 'FAILED', id);
        });
      }
    });
  }
});
