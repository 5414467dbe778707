// The sans-I/O connection with a recording transport: closing handshake both ways,
// failing with the right code, auto-pong and the ping-flood guard, the close timeout,
// pause/resume, and permessage-deflate ordering.

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import '../../dist/codec-node.js';
import { Connection, ReadyState } from '../../dist/protocol/connection.js';
import { createZlibCompressor } from '../../dist/node/zlib-compressor.js';
import { frame, KEY } from '../helpers/wire.js';

/** A masked client frame. */
const clientFrame = (opcode, payload, o = {}) => Buffer.from(frame({ opcode, payload, mask: KEY, ...o }));

/** Splits unmasked server frames (payloads under 64 KiB). */
function parseServerFrames(buf) {
  const out = [];
  for (let at = 0; at < buf.length;) {
    let length = buf[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = buf.readUInt16BE(at + 2);
      start += 2;
    }
    assert.equal(buf[at + 1] & 0x80, 0, 'server frames are unmasked');
    out.push({ opcode: buf[at] & 15, fin: !!(buf[at] & 0x80), rsv1: !!(buf[at] & 0x40), payload: buf.subarray(start, start + length) });
    at = start + length;
  }
  return out;
}

// A test that fails a connection and stops there leaves its close timer (30 s by default)
// running: report every transport gone at the end, so the file exits when its tests do.
const connections = [];
after(() => {
  for (const conn of connections) conn.transportClosed();
});

function setup(options = {}) {
  const log = [];
  const written = [];
  const callbacks = [];
  const transport = {
    write(chunks, cb) {
      written.push(Buffer.concat(chunks));
      if (cb && options.holdWrites) callbacks.push(cb);
      else if (cb) cb();
    },
    end: () => log.push('end'),
    destroy: () => log.push('destroy'),
    ...(options.backlog && { writeBacklog: () => options.backlog() }),
    pauseReading: () => log.push('pause'),
    resumeReading: () => log.push('resume'),
  };
  const events = {
    message: (data, isBinary) => log.push(['message', Buffer.from(data).toString(), isBinary]),
    ping: (data) => log.push(['ping', Buffer.from(data).toString()]),
    pong: (data) => log.push(['pong', Buffer.from(data).toString()]),
    error: (err) => log.push(['error', err.closeCode, err.code]),
    closed: (code, reason) => log.push(['closed', code, reason]),
  };
  const conn = new Connection(transport, events, { role: 'server', ...options });
  connections.push(conn);
  const frames = () => parseServerFrames(Buffer.concat(written));
  return { conn, log, frames, callbacks };
}

test('peer-initiated close: echo the code and reason, end, report closed once the transport is gone', () => {
  const { conn, log, frames } = setup();
  conn.receive(clientFrame(1, 'hi'));
  conn.receive(clientFrame(8, Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')])));
  assert.equal(conn.readyState, ReadyState.CLOSING);
  assert.deepEqual(
    frames().map((f) => [f.opcode, f.payload.toString('hex')]),
    [[8, '0fa1' + Buffer.from('bye').toString('hex')]],
  );
  assert.deepEqual(log, [['message', 'hi', false], 'end']);
  conn.receive(clientFrame(1, 'after close'));
  conn.transportClosed();
  assert.equal(conn.readyState, ReadyState.CLOSED);
  assert.deepEqual(log.at(-1), ['closed', 4001, 'bye']);
  assert.equal(log.length, 3, 'nothing after the close frame is delivered');
});

test('an empty close frame is answered with an empty one and reported as 1005', () => {
  const { conn, log, frames } = setup();
  conn.receive(clientFrame(8, Buffer.alloc(0)));
  assert.deepEqual(
    frames().map((f) => [f.opcode, f.payload.length]),
    [[8, 0]],
  );
  conn.transportClosed();
  assert.deepEqual(log.at(-1), ['closed', 1005, '']);
});

test('our close: one close frame, end only after the peer answers, timeout destroys a silent peer', async () => {
  const { conn, log, frames } = setup({ closeTimeout: 50 });
  conn.close(1000, 'done');
  conn.close(1000, 'again');
  assert.equal(frames().length, 1);
  assert.ok(!log.includes('end'));
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.ok(log.includes('destroy'), 'close timeout destroys the transport');
  conn.transportClosed();
  assert.deepEqual(log.at(-1), ['closed', 1006, '']);
});

test('protocol errors fail with their close code; complete messages before them are delivered', () => {
  /** @type {Array<[Buffer, number, string]>} */
  const cases = [
    [Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002, 'WS_ERR_EXPECTED_MASK'],
    [clientFrame(1, Buffer.from([0xc3, 0x28])), 1007, 'WS_ERR_INVALID_UTF8'],
    [clientFrame(3, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
    [clientFrame(8, Buffer.from([0x03, 0xed])), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
  ];
  for (const [bad, code, name] of cases) {
    const { conn, log, frames } = setup();
    conn.receive(Buffer.concat([clientFrame(2, 'ok'), bad]));
    assert.deepEqual(log[0], ['message', 'ok', true]);
    assert.deepEqual(
      log.find((e) => e[0] === 'error'),
      ['error', code, name],
    );
    const closeFrame = frames().find((f) => f.opcode === 8);
    assert.equal(closeFrame.payload.readUInt16BE(0), code);
    assert.ok(log.includes('end'));
  }
});

test('maxPayload: a message over it fails with 1009', () => {
  const { conn, log } = setup({ maxPayload: 10 });
  conn.receive(clientFrame(2, Buffer.alloc(11)));
  assert.deepEqual(
    log.find((e) => e[0] === 'error'),
    ['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
  );
});

test('auto-pong echoes the ping payload; autoPong false leaves it to the application', () => {
  let { conn, log, frames } = setup();
  conn.receive(clientFrame(9, 'p1'));
  assert.deepEqual(
    frames().map((f) => [f.opcode, f.payload.toString()]),
    [[10, 'p1']],
  );
  assert.deepEqual(log, [['ping', 'p1']]);
  ({ conn, frames } = setup({ autoPong: false }));
  conn.receive(clientFrame(9, 'p2'));
  assert.equal(frames().length, 0);
});

test('ping flood: more unflushed auto-pongs than allowed terminates the connection', () => {
  const { conn, log } = setup({ holdWrites: true, maxPendingPongs: 8 });
  const pings = [];
  for (let i = 0; i < 20; i++) pings.push(clientFrame(9, `${i}`));
  conn.receive(Buffer.concat(pings));
  assert.deepEqual(
    log.find((e) => e[0] === 'error'),
    ['error', 1008, 'WS_ERR_PING_FLOOD'],
  );
  assert.ok(log.includes('destroy'));
});

test('ping flood: unflushed pongs are no flood while the transport has no write backlog', () => {
  let backlog = 0;
  const { conn, log, frames } = setup({ holdWrites: true, maxPendingPongs: 8, backlog: () => backlog });
  const burst = () => {
    const pings = [];
    for (let i = 0; i < 20; i++) pings.push(clientFrame(9, `${i}`));
    return Buffer.concat(pings);
  };
  conn.receive(burst());
  assert.equal(log.filter((e) => e[0] === 'error').length, 0);
  assert.equal(frames().filter((f) => f.opcode === 10).length, 20);
  // Now the socket is backed up: the same burst is a flood, reported once.
  backlog = 1;
  conn.receive(burst());
  assert.deepEqual(
    log.filter((e) => e[0] === 'error'),
    [['error', 1008, 'WS_ERR_PING_FLOOD']],
  );
  assert.equal(log.filter((e) => e === 'destroy').length, 1);
});

test('pause holds events back and pauses reading; resume delivers them in order', () => {
  const { conn, log } = setup();
  conn.pause();
  conn.receive(Buffer.concat([clientFrame(1, 'a'), clientFrame(9, 'p'), clientFrame(1, 'b')]));
  assert.deepEqual(log, ['pause']);
  conn.resume();
  assert.deepEqual(log, ['pause', ['message', 'a', false], ['ping', 'p'], ['message', 'b', false], 'resume']);
});

test('deflate: a compressed message holds back what follows until it is inflated', async () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const compressor = createZlibCompressor({ params, role: 'server', maxPayload: 0, options: {} });
  const { conn, log } = setup({ compressor });
  const { deflateRawSync, constants } = await import('node:zlib');
  const compressed = deflateRawSync('squeezed '.repeat(50), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  conn.receive(Buffer.concat([clientFrame(2, 'first'), clientFrame(1, compressed, { rsv1: true }), clientFrame(1, 'last')]));
  assert.deepEqual(log, [['message', 'first', true], 'pause']);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(log.slice(2), [['message', 'squeezed '.repeat(50), false], ['message', 'last', false], 'resume']);
  conn.transportClosed();
});

test('deflate: compressed invalid UTF-8 text fails with 1007', async () => {
  const params = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const compressor = createZlibCompressor({ params, role: 'server', maxPayload: 0, options: {} });
  const { conn, log } = setup({ compressor });
  const { deflateRawSync, constants } = await import('node:zlib');
  const compressed = deflateRawSync(Buffer.from([0x61, 0xff, 0x62]), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  conn.receive(clientFrame(1, compressed, { rsv1: true }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(
    log.find((e) => e[0] === 'error'),
    ['error', 1007, 'WS_ERR_INVALID_UTF8'],
  );
  conn.transportClosed();
});

test('deflate: sends keep their order behind a compression', async () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const compressor = createZlibCompressor({ params, role: 'server', maxPayload: 0, options: {} });
  const { conn, frames } = setup({ compressor, compressThreshold: 10 });
  conn.send(Buffer.from('x'.repeat(100)), false);
  conn.send(Buffer.from('tiny'), true);
  conn.ping(Buffer.from('p'));
  assert.equal(frames().length, 0, 'everything waits for the compression');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const out = frames();
  assert.deepEqual(
    out.map((f) => [f.opcode, f.rsv1]),
    [
      [1, true],
      [2, false],
      [9, false],
    ],
  );
  const { inflateRawSync, constants } = await import('node:zlib');
  const tail = Buffer.from([0, 0, 0xff, 0xff]);
  assert.equal(inflateRawSync(Buffer.concat([out[0].payload, tail]), { finishFlush: constants.Z_SYNC_FLUSH }).toString(), 'x'.repeat(100));
  conn.transportClosed();
});

test('deflate: the peer closing while a compression is pending still gets the message, then our close, then EOF', async () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const compressor = createZlibCompressor({ params, role: 'server', maxPayload: 0, options: {} });
  const { conn, log, frames } = setup({ compressor, compressThreshold: 0 });
  conn.send(Buffer.from('echo me'), false);
  conn.receive(clientFrame(8, Buffer.from([0x03, 0xe8])));
  assert.ok(!log.includes('end'), 'no EOF before the compressed message is written');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(
    frames().map((f) => f.opcode),
    [1, 8],
  );
  assert.ok(log.includes('end'));
  conn.transportClosed();
});
