// The direct transport (src/node/transports/direct.ts): the cases where its reads differ
// from the stream transport's. First the decoder's side of it, on every backend: a chunk in
// reused memory is only lent, so nothing delivered may change when the next read overwrites
// it. Then the transport itself. Its server runs as a child process (this file again, with
// DIRECT_FIXTURE set) so WSCODEC_TRANSPORT=direct and WSCODEC_BACKEND pick its transport and
// backend; one per backend (the one WSCODEC_BACKEND names, else wasm, js and native where
// the addon is built). Peers are raw TCP sockets, to put bytes exactly where a case needs them.
//
// The fixture echoes every data message. A request for /?delay=MS answers the upgrade only
// MS milliseconds after it came (noServer + handleUpgrade), so the peer's bytes pile up in
// the socket's Readable buffer before the transport adopts it. It prints JSON lines:
// { event: 'listening', port }, { event: 'connection', transport, inLinearMemory },
// { event: 'close', code }.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { codec, collect, concat, frame, KEY, mulberry32, OP, randInt } from '../helpers/wire.js';
import { markReusedMemory } from '../../dist/codec/decoder.js';
import { within } from '../node/client-helpers.js';
import { startJsonChild } from './json-child.js';

if (process.env.DIRECT_FIXTURE) await fixtureServer();
else tests();

async function fixtureServer() {
  const { WebSocketServer } = await import('../../dist/index.js');
  const { internalsOf } = await import('../../dist/node/websocket-internals.js');
  const print = (event) => process.stdout.write(JSON.stringify(event) + '\n');
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    const upgrade = () => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    if (delay > 0) setTimeout(upgrade, delay);
    else upgrade();
  });
  wss.on('connection', (ws) => {
    // The buffer the socket reads into (net.js keeps it under a symbol named kBuffer).
    const socket = /** @type {any} */ (ws)._socket;
    const slot = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kBuffer');
    const read = slot && socket[slot];
    const inLinearMemory = read instanceof Uint8Array && read.buffer.byteLength > read.byteLength;
    print({ event: 'connection', transport: /** @type {any} */ (internalsOf(ws))?.binding?.kind, inLinearMemory });
    ws.on('error', () => {});
    ws.on('close', (code) => print({ event: 'close', code }));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  server.listen(0, '127.0.0.1', () => print({ event: 'listening', port: /** @type {any} */ (server.address()).port }));
}

/** The fixture under `backend` (see json-child.js). */
function startFixture(backend) {
  return startJsonChild(new URL(import.meta.url).pathname, { DIRECT_FIXTURE: '1', WSCODEC_TRANSPORT: 'direct', WSCODEC_BACKEND: backend });
}

const REQUEST = (port, path) =>
  Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );

/** A raw TCP peer that has sent the upgrade request followed by `after` (one write). */
async function rawPeer(port, { path = '/', after = Buffer.alloc(0) } = {}) {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  socket.write(Buffer.concat([REQUEST(port, path), after]));
  let received = Buffer.alloc(0);
  const arrivals = [];
  socket.on('data', (d) => {
    received = Buffer.concat([received, d]);
    for (const w of arrivals.splice(0)) w();
  });
  const body = () => {
    const end = received.indexOf('\r\n\r\n');
    return end < 0 ? null : received.subarray(end + 4);
  };
  return {
    socket,
    /** Resolves once the bytes after the 101 head parse into `count` frames: those frames. */
    frames: (count, ms = 5000) =>
      within(
        new Promise((resolve) => {
          const check = () => {
            const rest = body();
            const frames = rest === null ? [] : parseFrames(rest);
            if (rest !== null && frames.length >= count) {
              assert.match(received.toString('latin1', 0, 12), /^HTTP\/1.1 101/);
              resolve(frames);
            } else arrivals.push(check);
          };
          check();
        }),
        `${count} frames`,
        ms,
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

const masked = (opcode, payload, fin = true) => Buffer.from(frame({ opcode, payload, mask: KEY, fin }));
const sha = (buf) => createHash('sha256').update(buf).digest('hex');
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Deterministic bytes that differ from one offset to the next. */
const pattern = (n, seed) => {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >>> 8)) & 0xff;
  return out;
};

function backends() {
  if (process.env.WSCODEC_BACKEND) return [process.env.WSCODEC_BACKEND];
  const list = ['wasm', 'js'];
  if (existsSync(new URL('../../build/Release/wscodec.node', import.meta.url))) list.push('native');
  return list;
}

/** Frames of every kind and size class, masked as a client sends them. */
function mixedWire() {
  const m = (opcode, payload, fin = true) => frame({ opcode, payload, mask: KEY, fin });
  return concat(
    m(OP.TEXT, 'hi'),
    m(OP.BINARY, pattern(125, 1)),
    m(OP.BINARY, pattern(126, 2)),
    m(OP.BINARY, new Uint8Array(0)),
    m(OP.PING, 'ping'),
    m(OP.BINARY, pattern(70_000, 3)),
    m(OP.TEXT, 'frag-', false),
    m(OP.PONG, 'pong'),
    m(OP.CONT, pattern(3000, 4).toString('hex').slice(0, 3000), false),
    m(OP.CONT, '-end'),
    ...Array.from({ length: 300 }, (_, i) => m(OP.BINARY, pattern(i % 40, i))),
    m(OP.CLOSE, Uint8Array.of(0x03, 0xe8)),
  );
}

function tests() {
  describe('decoder: a chunk in reused memory (markReusedMemory) is only lent', () => {
    for (const name of codec.availableBackends()) {
      test(`${name}: what it delivers stays intact when the memory is overwritten after every push`, () => {
        const backend = codec.getBackend(name);
        // What the direct transport reads into: resident memory for wasm, else a Buffer of its own.
        const reused = backend.residentBuffer?.(256 * 1024) ?? new Uint8Array(256 * 1024);
        markReusedMemory(reused.buffer);
        const wire = mixedWire();
        const expected = collect({ backend: name });
        expected.push(wire.slice());
        const lent = collect({ backend: name });
        const rng = mulberry32(14);
        for (let at = 0; at < wire.length;) {
          const n = Math.min(wire.length - at, randInt(rng, 1, rng() < 0.5 ? 64 : 90_000));
          reused.set(wire.subarray(at, at + n));
          lent.push(reused.subarray(0, n));
          reused.fill(0xee); // the next read lands here
          at += n;
        }
        assert.deepEqual(lent.events, expected.events);
        assert.ok(lent.events.length > 300, `${lent.events.length} events`);
        lent.verifyKept();
      });
    }
  });

  for (const backend of backends()) {
    describe(`direct transport, ${backend} backend`, () => {
      /** @type {Awaited<ReturnType<typeof startFixture>>} */
      let fixture;
      after(() => fixture?.stop());

      test('frames in the same TCP segment as the upgrade request are all answered, in order', async () => {
        fixture = await startFixture(backend);
        const from = fixture.seen.length;
        const pipelined = Buffer.concat([masked(OP.TEXT, 'one'), masked(OP.BINARY, 'two'), masked(OP.PING, 'p'), masked(OP.TEXT, 'three')]);
        const peer = await rawPeer(fixture.port, { after: pipelined });
        const frames = await peer.frames(4);
        assert.deepEqual(
          frames.map((f) => [f.opcode, f.payload.toString()]),
          [
            [OP.TEXT, 'one'],
            [OP.BINARY, 'two'],
            [OP.PONG, 'p'],
            [OP.TEXT, 'three'],
          ],
        );
        const connection = await fixture.next((e) => e.event === 'connection', "'connection'", from);
        assert.equal(connection.transport, 'direct');
        // With wasm the socket reads straight into linear memory (the resident region).
        assert.equal(connection.inLinearMemory, backend === 'wasm');
        peer.socket.destroy();
      });

      test('a fragmented message split across many reads, headers cut anywhere, arrives whole', async () => {
        const parts = [pattern(70_000, 1), pattern(3, 2), pattern(130, 3), pattern(200_000, 4)];
        const wire = Buffer.concat([
          masked(OP.BINARY, parts[0], false),
          masked(OP.CONT, parts[1], false),
          masked(OP.PING, 'mid'),
          masked(OP.CONT, parts[2], false),
          masked(OP.CONT, parts[3], true),
          masked(OP.TEXT, 'after'),
        ]);
        const peer = await rawPeer(fixture.port);
        await peer.frames(0);
        // Tiny pieces first (every header split), each written on its own turn so the
        // server sees many reads, then bigger ones.
        let at = 0;
        for (let i = 0; at < wire.length && i < 2000; i++) {
          const size = i < 400 ? 1 + (i % 7) : 1 + ((i * 7919) % 4096);
          peer.socket.write(wire.subarray(at, at + size));
          at += size;
          if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        if (at < wire.length) peer.socket.write(wire.subarray(at));
        const frames = await peer.frames(3);
        assert.deepEqual(
          frames.map((f) => f.opcode),
          [OP.PONG, OP.BINARY, OP.TEXT],
        );
        assert.equal(frames[0].payload.toString(), 'mid');
        assert.equal(sha(frames[1].payload), sha(Buffer.concat(parts)), 'the message as sent');
        assert.equal(frames[2].payload.toString(), 'after');
        peer.socket.destroy();
      });

      test('a 16 MiB message is echoed byte for byte', async () => {
        const message = pattern(16 * 1024 * 1024, 5);
        const peer = await rawPeer(fixture.port);
        await peer.frames(0);
        peer.socket.write(masked(OP.BINARY, message));
        const [echo] = await peer.frames(1, 20_000);
        assert.equal(echo.payload.length, message.length);
        assert.equal(sha(echo.payload), sha(message));
        peer.socket.destroy();
      });

      test('no byte is lost when the socket is adopted while data waits in its Readable buffer', async () => {
        const from = fixture.seen.length;
        // In the request's segment (the head), then while the upgrade waits (Node reads
        // these into the socket's buffer), then once the socket is adopted.
        const peer = await rawPeer(fixture.port, { path: '/?delay=400', after: masked(OP.TEXT, 'head-1') });
        await pause(100);
        peer.socket.write(Buffer.concat([masked(OP.TEXT, 'buffered-2'), masked(OP.BINARY, pattern(100_000, 6))]));
        await pause(50);
        // A frame cut in two: its first half is buffered too, its second half comes later.
        const cut = masked(OP.TEXT, 'cut-4');
        peer.socket.write(cut.subarray(0, 5));
        await fixture.next((e) => e.event === 'connection', "'connection'", from);
        peer.socket.write(Buffer.concat([cut.subarray(5), masked(OP.TEXT, 'later-5')]));
        const frames = await peer.frames(5);
        assert.deepEqual(
          frames.map((f) => (f.opcode === OP.BINARY ? sha(f.payload) : f.payload.toString())),
          ['head-1', 'buffered-2', sha(pattern(100_000, 6)), 'cut-4', 'later-5'],
        );
        assert.equal((await fixture.next((e) => e.event === 'connection', "'connection'", from)).transport, 'direct');
        peer.socket.destroy();
      });

      test('a socket it cannot adopt stays on the stream transport: one warning, and the connection works', async () => {
        const from = fixture.seen.length;
        const warnings = () =>
          fixture
            .stderr()
            .split('\n')
            .filter((line) => line.includes('could not adopt')).length;
        assert.equal(warnings(), 0, fixture.stderr());
        // The peer half-closes before the server takes the socket (after the request, so
        // its frames wait in the socket's buffer): its Readable side has ended, which the
        // direct transport leaves to the stream transport.
        const peer = await rawPeer(fixture.port, { path: '/?delay=300' });
        await pause(100);
        peer.socket.end(Buffer.concat([masked(OP.TEXT, 'a'), masked(OP.TEXT, 'b')]));
        const connection = await fixture.next((e) => e.event === 'connection', "'connection'", from);
        assert.equal(connection.transport, 'stream');
        const frames = await peer.frames(2);
        assert.deepEqual(
          frames.slice(0, 2).map((f) => f.payload.toString()),
          ['a', 'b'],
        );
        await fixture.next((e) => e.event === 'close', "the server's 'close'", from);
        assert.equal(warnings(), 1, fixture.stderr());
        peer.socket.destroy();
      });

      test('the fixture wrote nothing else to stderr', () => {
        const other = fixture
          .stderr()
          .split('\n')
          .filter((line) => line !== '' && !line.includes('could not adopt'));
        assert.deepEqual(other, []);
      });
    });
  }
}
