// What every Node transport must do (issue 14's list), run against each transport that
// can run here: the fixture server (fixture-server.js) is started with WSCODEC_TRANSPORT
// forcing it, and says which transport took each connection. Peers are raw TCP sockets
// (to reset, half-close and pipeline at will) or our WebSocket client.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { WebSocket } from '../../dist/index.js';
import { availableTransports } from '../../dist/node/transports/select.js';
import { frame, KEY, OP } from '../helpers/wire.js';
import { within } from '../node/client-helpers.js';
import { startJsonChild } from './json-child.js';

const FIXTURE = new URL('./fixture-server.js', import.meta.url).pathname;

/** The fixture with `transport` forced (see json-child.js). */
function startFixture(transport) {
  return startJsonChild(FIXTURE, { WSCODEC_TRANSPORT: transport });
}

/** A raw TCP peer after a completed upgrade; `rest` is what came after the 101 head. */
async function rawUpgrade(port, after = Buffer.alloc(0)) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    Buffer.concat([
      Buffer.from(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
      after,
    ]),
  );
  let received = Buffer.alloc(0);
  socket.on('data', (d) => (received = Buffer.concat([received, d])));
  await within(
    new Promise((resolve) => {
      const check = () => (received.includes('\r\n\r\n') ? resolve(undefined) : socket.once('data', check));
      check();
    }),
    'the 101',
  );
  assert.match(received.toString('latin1', 0, 12), /^HTTP\/1.1 101/);
  const headEnd = received.indexOf('\r\n\r\n') + 4;
  return {
    socket,
    /** Unmasked server frames received after the head so far. */
    frames: () => parseFrames(received.subarray(headEnd)),
    /** Waits until `count` frames arrived. */
    framesArrived: (count) =>
      within(
        new Promise((resolve) => {
          const check = () => (parseFrames(received.subarray(headEnd)).length >= count ? resolve(undefined) : socket.once('data', check));
          check();
        }),
        `${count} frames`,
      ),
  };
}

function parseFrames(buf) {
  const out = [];
  for (let at = 0; at + 2 <= buf.length;) {
    let length = buf[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) [length, start] = [buf.readUInt16BE(at + 2), at + 4];
    else if (length === 127) [length, start] = [Number(buf.readBigUInt64BE(at + 2)), at + 10];
    if (start + length > buf.length) break;
    out.push({ opcode: buf[at] & 15, payload: buf.subarray(start, start + length) });
    at = start + length;
  }
  return out;
}

/** The server's 'close' for the first connection it accepted after event number `from`. */
async function closeOf(fixture, from) {
  const { id } = await fixture.next((e) => e.event === 'connection', "'connection'", from);
  return fixture.next((e) => e.event === 'close' && e.id === id, "the server's 'close'", from);
}

const masked = (opcode, payload) => Buffer.from(frame({ opcode, payload, mask: KEY }));

const kinds = availableTransports();

test('the stream transport is always available', () => {
  assert.ok(kinds.includes('stream'), kinds.join());
});

for (const kind of kinds) {
  describe(`${kind} transport`, () => {
    /** @type {Awaited<ReturnType<typeof startFixture>>} */
    let fixture;
    after(() => fixture?.stop());

    test('starts and takes its connections (no silent fallback)', async () => {
      fixture = await startFixture(kind);
      const peer = await rawUpgrade(fixture.port);
      const { transport } = await fixture.next((e) => e.event === 'connection', "'connection'");
      assert.equal(transport, kind);
      peer.socket.destroy();
    });

    test('frames sent in the same write as the upgrade request are all answered, in order', async () => {
      const pipelined = Buffer.concat([
        masked(OP.BINARY, 'one'),
        masked(OP.BINARY, 'two'),
        masked(OP.PING, 'p'),
        masked(OP.BINARY, 'three'),
      ]);
      const peer = await rawUpgrade(fixture.port, pipelined);
      await peer.framesArrived(4);
      assert.deepEqual(
        peer.frames().map((f) => [f.opcode, f.payload.toString()]),
        [
          [OP.BINARY, 'one'],
          [OP.BINARY, 'two'],
          [OP.PONG, 'p'],
          [OP.BINARY, 'three'],
        ],
      );
      peer.socket.destroy();
    });

    test('a peer that stops reading while 64 MiB is sent: the data waits, callbacks fire in order, every byte arrives', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${fixture.port}`);
      await once(client, 'open');
      const hash = createHash('sha256');
      let bytes = 0;
      /** @type {any} */
      let report;
      const done = new Promise((resolve) =>
        client.on('message', (data, isBinary) => {
          if (isBinary) {
            hash.update(data);
            bytes += data.length;
          } else {
            report = JSON.parse(data.toString());
            resolve(undefined);
          }
        }),
      );
      client.send('blast 64 1048576');
      client.pause(); // stop reading: the server's writes back up
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(report, undefined, 'nothing can complete while the peer does not read');
      client.resume();
      await within(done, 'all 64 MiB and the report', 30_000);
      assert.equal(bytes, 64 * 1048576);
      assert.equal(report.sha256, hash.digest('hex'), 'what arrived is what was sent');
      assert.equal(report.inOrder, true, 'send callbacks fired in send order');
      assert.ok(report.peakBuffered > 32 * 1048576, `bufferedAmount rose (peak ${report.peakBuffered})`);
      client.terminate();
    });

    test('a peer reset in the middle of a message: the server closes with 1006', async () => {
      const from = fixture.seen.length;
      const peer = await rawUpgrade(fixture.port);
      const half = masked(OP.BINARY, Buffer.alloc(1000, 7)).subarray(0, 400);
      peer.socket.write(half);
      await new Promise((resolve) => setTimeout(resolve, 50));
      peer.socket.resetAndDestroy();
      const closed = await closeOf(fixture, from);
      assert.equal(closed.code, 1006);
    });

    test('half-close by the peer: the server ends its side too and reports 1006', async () => {
      const from = fixture.seen.length;
      const peer = await rawUpgrade(fixture.port);
      const ended = once(peer.socket, 'end');
      peer.socket.end();
      await within(ended, "the server's FIN");
      const closed = await closeOf(fixture, from);
      assert.deepEqual([closed.code, closed.wasClean], [1006, false]);
    });

    test('half-close by the server: its close frame, our answer, then its FIN; clean 1000', async () => {
      const from = fixture.seen.length;
      const peer = await rawUpgrade(fixture.port);
      const ended = once(peer.socket, 'end');
      peer.socket.write(masked(OP.TEXT, 'close'));
      await peer.framesArrived(1);
      const [closeFrame] = peer.frames();
      assert.equal(closeFrame.opcode, OP.CLOSE);
      assert.equal(closeFrame.payload.readUInt16BE(0), 1000);
      peer.socket.write(masked(OP.CLOSE, closeFrame.payload.subarray(0, 2)));
      await within(ended, "the server's FIN after the close handshake");
      peer.socket.end();
      const closed = await closeOf(fixture, from);
      assert.deepEqual([closed.code, closed.wasClean], [1000, true]);
    });

    test('the process exits cleanly with connections still open', async () => {
      const peers = await Promise.all([rawUpgrade(fixture.port), rawUpgrade(fixture.port)]);
      const exited = once(fixture.child, 'exit');
      peers[0].socket.write(masked(OP.TEXT, 'exit'));
      const [code, signal] = await within(exited, 'the fixture to exit');
      assert.deepEqual([code, signal], [0, null]);
      assert.equal(fixture.stderr(), '');
      for (const peer of peers) peer.socket.destroy();
    });
  });
}
