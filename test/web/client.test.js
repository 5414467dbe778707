// The byte-stream WebSocket (dist/web) in Node: a net socket wrapped with Duplex.toWeb
// is the { readable, writable } pair, the way workerd's connect() hands one over.
// Against our server and ws's, each with permessage-deflate off and on; then scripted
// raw servers for refused handshakes and invalid frames; the CompressionStream deflate
// on its own; and a scan proving dist/web pulls in no node: module or Node global.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve as resolvePath } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from 'wscodec';
import { WebSocket } from '../../dist/web/index.js';
import { createStreamCompressor } from '../../dist/web/compression-stream-deflate.js';

const HOST = '127.0.0.1';
const STEP_MS = 10_000;
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const DEFLATE_EXTENSIONS = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

/** Rejects after `ms` naming `what`, so a hang says where it is. */
function within(what, promise, ms = STEP_MS) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The next `type` event of an EventTarget. */
const nextEvent = (target, type, what = type) =>
  within(what, new Promise((resolve) => target.addEventListener(type, resolve, { once: true })));

/** Every event of the socket in order, and a way to wait for the next message. */
function record(ws) {
  const events = [];
  const messages = [];
  const waiters = [];
  for (const type of ['open', 'message', 'error', 'close']) {
    ws.addEventListener(type, (e) => {
      events.push(e);
      if (type === 'message') {
        if (waiters.length > 0) waiters.shift()(e.data);
        else messages.push(e.data);
      }
    });
  }
  const nextMessage = () =>
    within('message', messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => waiters.push(resolve)));
  return { events, nextMessage };
}

/** Opens a TCP connection and runs our web client over it; the socket is destroyed after the test. */
function connect(t, port, path = '/', protocols, options = {}, wrap = (pair) => pair) {
  const socket = net.connect(port, HOST);
  socket.on('error', () => {}); // a reset shows up as the WebSocket's close
  t.after(() => socket.destroy());
  const ws = new WebSocket(`ws://${HOST}:${port}${path}`, protocols, { stream: wrap(Duplex.toWeb(socket)), ...options });
  return { ws, socket, ...record(ws) };
}

/** Puts a recorder between the client and the socket's writable: every chunk the client writes. */
function tapWrites(written) {
  return (pair) => {
    const tap = new TransformStream({
      transform(chunk, controller) {
        written.push(new Uint8Array(chunk));
        controller.enqueue(chunk);
      },
    });
    tap.readable.pipeTo(pair.writable).catch(() => {});
    return { readable: pair.readable, writable: tap.writable };
  };
}

/** Parses masked client frames out of the recorded writes: [{ first, payload }]. */
function clientFrames(writes) {
  let all = Buffer.concat(writes);
  if (all.subarray(0, 4).toString('latin1') === 'GET ') all = all.subarray(all.indexOf('\r\n\r\n') + 4);
  const frames = [];
  let i = 0;
  while (i + 2 <= all.length && frames.length < 10_000) {
    const first = all[i];
    let len = all[i + 1] & 0x7f;
    let p = i + 2;
    if (len === 126) {
      len = all.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      len = Number(all.readBigUInt64BE(p));
      p += 8;
    }
    assert.ok(all[i + 1] & 0x80, 'client frames are masked');
    const key = all.subarray(p, p + 4);
    p += 4;
    const payload = Buffer.from(all.subarray(p, p + len));
    for (let k = 0; k < payload.length; k++) payload[k] ^= key[k & 3];
    frames.push({ first, payload });
    i = p + len;
  }
  return frames;
}

/** Resolves when `check()` is true, polling every 5 ms (bounded). */
async function until(what, check, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function blobBytes(data) {
  assert.ok(data instanceof Blob, `expected a Blob, got ${Object.prototype.toString.call(data)}`);
  return new Uint8Array(await data.arrayBuffer());
}

// ---------------------------------------------------------------------------------------
// Against real servers.

for (const kind of ['ours', 'ws']) {
  for (const deflate of [false, true]) {
    describe(`${kind} server, permessage-deflate ${deflate ? 'on' : 'off'}`, () => {
      let server;
      let port;
      /** Server-side close (code, reason) per ?id=, as promises either side may ask for first. */
      const closes = new Map();
      const serverClose = (id) => {
        if (!closes.has(id)) {
          let resolve;
          const promise = new Promise((r) => (resolve = r));
          closes.set(id, { promise, resolve });
        }
        return closes.get(id);
      };
      let nextId = 0;

      before(async () => {
        const Server = kind === 'ours' ? WebSocketServer : WsServer;
        server = new Server({
          port: 0,
          host: HOST,
          perMessageDeflate: deflate ? { threshold: 0 } : false,
          maxPayload: 64 * 1024 * 1024,
          handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
          verifyClient: (info) => !info.req.url.startsWith('/refuse'),
        });
        await once(server, 'listening');
        port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
        server.on('connection', (ws, req) => {
          const url = new URL(req.url, 'http://x');
          const id = url.searchParams.get('id');
          ws.on('close', (code, reason) => serverClose(id).resolve({ code, reason: reason.toString() }));
          ws.on('error', () => {});
          switch (url.pathname) {
            case '/echo':
              ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
              break;
            case '/ping':
              ws.on('pong', (data) => ws.send(`pong:${data}`));
              ws.ping('p1');
              break;
            case '/close':
              ws.close(4001, 'server says bye ✓');
              break;
            case '/headers':
              ws.send(`x-token: ${req.headers['x-token']}`);
              break;
            case '/drop':
              ws.terminate(); // no close frame
              break;
            case '/zeros':
              // 1 MiB of zeros: a small frame once compressed, big once inflated.
              ws.send(Buffer.alloc(1024 * 1024), { binary: true });
              break;
            default: // '/sink': reads and drops
          }
        });
      });
      after(async () => {
        for (const ws of server.clients) ws.terminate();
        await new Promise((resolve) => server.close(resolve));
      });

      const path = (p) => `${p}?id=${++nextId}`;

      test('opens: readyState, url, protocol, and the deflate result in extensions', async (t) => {
        const p = path('/echo');
        const { ws } = connect(t, port, p);
        assert.equal(ws.readyState, WebSocket.CONNECTING);
        assert.equal(ws.url, `ws://${HOST}:${port}${p}`);
        assert.equal(ws.binaryType, 'blob');
        await nextEvent(ws, 'open');
        assert.equal(ws.readyState, WebSocket.OPEN);
        assert.equal(ws.protocol, '');
        assert.equal(ws.extensions, deflate ? DEFLATE_EXTENSIONS : '');
        ws.close();
        const ev = await nextEvent(ws, 'close');
        assert.equal(ev.code, 1005); // an empty close frame, echoed
        assert.equal(ev.wasClean, true);
        assert.equal(ws.readyState, WebSocket.CLOSED);
      });

      test('perMessageDeflate: false offers nothing', async (t) => {
        const { ws } = connect(t, port, path('/echo'), undefined, { perMessageDeflate: false });
        await nextEvent(ws, 'open');
        assert.equal(ws.extensions, '');
        ws.close();
        await nextEvent(ws, 'close');
      });

      test('text, binary and empty messages echo (binaryType arraybuffer, then blob)', async (t) => {
        const { ws, nextMessage } = connect(t, port, path('/echo'));
        await nextEvent(ws, 'open');
        ws.binaryType = 'arraybuffer';
        const long = 'wscodec ✓ '.repeat(300); // over the 1024-byte compression threshold
        ws.send('héllo wörld 🌍');
        ws.send(new Uint8Array([0, 1, 2, 0xfe, 0xff]));
        ws.send(new Uint16Array([1, 0xffff]).buffer);
        ws.send('');
        ws.send(new ArrayBuffer(0));
        ws.send(long);
        ws.send(new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2));
        assert.equal(await nextMessage(), 'héllo wörld 🌍');
        let m = await nextMessage();
        assert.ok(m instanceof ArrayBuffer);
        assert.deepEqual([...new Uint8Array(m)], [0, 1, 2, 0xfe, 0xff]);
        m = await nextMessage();
        assert.deepEqual([...new Uint16Array(m)], [1, 0xffff]);
        assert.equal(await nextMessage(), '');
        m = await nextMessage();
        assert.ok(m instanceof ArrayBuffer);
        assert.equal(m.byteLength, 0);
        assert.equal(await nextMessage(), long);
        assert.deepEqual([...new Uint8Array(await nextMessage())], [8, 7]);

        ws.binaryType = 'blob';
        // @ts-expect-error not a WHATWG value: ignored
        ws.binaryType = 'nodebuffer';
        assert.equal(ws.binaryType, 'blob');
        ws.send(new Blob([new Uint8Array([5, 6, 7])]));
        ws.send('after the blob'); // must not overtake the Blob being read
        ws.send(new Uint8Array(0));
        assert.deepEqual([...(await blobBytes(await nextMessage()))], [5, 6, 7]);
        assert.equal(await nextMessage(), 'after the blob');
        assert.equal((await blobBytes(await nextMessage())).length, 0);
        ws.close(1000);
        assert.equal((await nextEvent(ws, 'close')).code, 1000);
      });

      test('a 1 MiB binary and a 1 MiB text message come back intact', async (t) => {
        const { ws, nextMessage } = connect(t, port, path('/echo'));
        await nextEvent(ws, 'open');
        ws.binaryType = 'arraybuffer';
        const big = randomBytes(1024 * 1024);
        const text = 'abcdefghij✓'.repeat(80 * 1024);
        ws.send(big);
        ws.send(text);
        const m = await nextMessage();
        assert.equal(m.byteLength, big.length);
        assert.equal(sha(new Uint8Array(m)), sha(big));
        const s = await nextMessage();
        assert.equal(s.length, text.length);
        assert.equal(sha(s), sha(text));
        ws.close();
        await nextEvent(ws, 'close');
      });

      test('a server ping is answered with a pong', async (t) => {
        const { ws, nextMessage } = connect(t, port, path('/ping'));
        await nextEvent(ws, 'open');
        assert.equal(await nextMessage(), 'pong:p1');
        ws.close();
        await nextEvent(ws, 'close');
      });

      test('close from the client: code and reason reach the server, close event is clean', async (t) => {
        const p = path('/sink');
        const id = String(nextId);
        const { ws, events } = connect(t, port, p);
        await nextEvent(ws, 'open');
        ws.close(4000, 'client says bye ✓');
        assert.equal(ws.readyState, WebSocket.CLOSING);
        ws.send('after close'); // dropped, but counted (WHATWG)
        assert.equal(ws.bufferedAmount, 'after close'.length);
        const ev = await nextEvent(ws, 'close');
        assert.deepEqual([ev.code, ev.reason, ev.wasClean], [4000, 'client says bye ✓', true]);
        assert.deepEqual(await within('server close', serverClose(id).promise), { code: 4000, reason: 'client says bye ✓' });
        assert.deepEqual(
          events.map((e) => e.type),
          ['open', 'close'],
        );
        ws.close(); // no-op once closed
      });

      test('close from the server: code, reason, wasClean', async (t) => {
        const { ws, events } = connect(t, port, path('/close'));
        let viaAttribute = null;
        ws.onclose = (e) => (viaAttribute = e);
        const ev = await nextEvent(ws, 'close');
        assert.deepEqual([ev.code, ev.reason, ev.wasClean], [4001, 'server says bye ✓', true]);
        assert.equal(viaAttribute, ev);
        assert.deepEqual(
          events.map((e) => e.type),
          ['open', 'close'],
        );
        assert.equal(ws.readyState, WebSocket.CLOSED);
      });

      test('a connection dropped without a close frame closes with 1006, not clean', async (t) => {
        const { ws, events } = connect(t, port, path('/drop'));
        const ev = await nextEvent(ws, 'close');
        assert.deepEqual([ev.code, ev.reason, ev.wasClean], [1006, '', false]);
        assert.deepEqual(
          events.map((e) => e.type),
          ['open', 'close'],
        );
      });

      test('options.headers go out with the upgrade request', async (t) => {
        const { ws, nextMessage } = connect(t, port, path('/headers'), undefined, { headers: { 'X-Token': 'abc123' } });
        let viaAttribute;
        ws.onmessage = (e) => (viaAttribute = /** @type {MessageEvent} */ (e).data);
        assert.equal(await nextMessage(), 'x-token: abc123');
        assert.equal(viaAttribute, 'x-token: abc123');
        ws.close();
        await nextEvent(ws, 'close');
      });

      test('the server picks a subprotocol from the offered ones', async (t) => {
        const { ws } = connect(t, port, path('/echo'), ['superchat', 'chat']);
        await nextEvent(ws, 'open');
        assert.equal(ws.protocol, 'chat');
        ws.close();
        await nextEvent(ws, 'close');
      });

      test('a refused handshake (401): error, then close 1006', async (t) => {
        const { ws, events } = connect(t, port, path('/refuse'));
        let onerror = 0;
        ws.onerror = () => onerror++;
        const ev = await nextEvent(ws, 'close');
        assert.deepEqual(
          events.map((e) => e.type),
          ['error', 'close'],
        );
        assert.match(events[0].message, /401/);
        assert.equal(onerror, 1);
        assert.deepEqual([ev.code, ev.wasClean], [1006, false]);
        assert.equal(ws.readyState, WebSocket.CLOSED);
      });

      test('bufferedAmount counts a big send and returns to 0', async (t) => {
        const { ws } = connect(t, port, path('/sink'));
        await nextEvent(ws, 'open');
        assert.equal(ws.bufferedAmount, 0);
        ws.send(randomBytes(2 * 1024 * 1024));
        ws.send('x');
        assert.equal(ws.bufferedAmount, 2 * 1024 * 1024 + 1);
        await until('bufferedAmount back to 0', () => ws.bufferedAmount === 0);
        ws.close();
        await nextEvent(ws, 'close');
      });

      if (deflate) {
        test('compressed messages end in a BFINAL block, and the server inflates several in a row', async (t) => {
          const written = [];
          const { ws, nextMessage } = connect(t, port, path('/echo'), undefined, {}, tapWrites(written));
          await nextEvent(ws, 'open');
          const texts = ['first ✓ '.repeat(1000), 'second '.repeat(1000), 'third '.repeat(2000)];
          for (const s of texts) ws.send(s);
          for (const s of texts) assert.equal(await nextMessage(), s);
          const data = clientFrames(written).filter((f) => (f.first & 0x0f) === 1);
          assert.equal(data.length, 3);
          for (const [i, f] of data.entries()) {
            assert.equal(f.first, 0xc1, 'FIN + RSV1 + text');
            assert.ok(f.payload.length < Buffer.byteLength(texts[i]) / 10, 'compressed');
            // Complete without the 00 00 FF FF tail: the DEFLATE stream ends with BFINAL.
            assert.equal(inflateRawSync(f.payload).toString(), texts[i]);
          }
          ws.close();
          await nextEvent(ws, 'close');
        });

        test('an inflated message over maxPayload fails with 1009 (error, then close)', async (t) => {
          const id = String(nextId + 1);
          const { ws, events } = connect(t, port, path('/zeros'), undefined, { maxPayload: 64 * 1024 });
          const ev = await nextEvent(ws, 'close');
          assert.deepEqual(
            events.map((e) => e.type),
            ['open', 'error', 'close'],
          );
          assert.deepEqual([ev.code, ev.wasClean], [1009, false]);
          assert.equal((await within('server close', serverClose(id).promise)).code, 1009);
        });
      }
    });
  }
}

// ---------------------------------------------------------------------------------------
// Scripted raw servers: a refused or broken handshake, an invalid frame.

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A TCP server that reads the request head and hands it to `respond(socket, key, rest)`. */
async function rawServer(t, respond) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const key = /sec-websocket-key: *(\S+)/i.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? '';
      respond(socket, key, head.subarray(end + 4));
    };
    socket.on('data', onData);
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return /** @type {import('node:net').AddressInfo} */ (server.address()).port;
}

const acceptFor = (key) =>
  createHash('sha1')
    .update(key + GUID)
    .digest('base64');

describe('scripted servers', () => {
  test('400 Bad Request: error, then close 1006', async (t) => {
    const port = await rawServer(t, (socket) => {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\n\r\nno!');
    });
    const { ws, events } = connect(t, port, '/');
    const ev = await nextEvent(ws, 'close');
    assert.deepEqual(
      events.map((e) => e.type),
      ['error', 'close'],
    );
    assert.match(events[0].error.message, /400/);
    assert.deepEqual([ev.code, ev.reason, ev.wasClean], [1006, '', false]);
  });

  test('a wrong Sec-WebSocket-Accept: error, then close 1006', async (t) => {
    const port = await rawServer(t, (socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor('not the key')}\r\n\r\n`,
      );
    });
    const { ws, events } = connect(t, port, '/');
    const ev = await nextEvent(ws, 'close');
    assert.deepEqual(
      events.map((e) => e.type),
      ['error', 'close'],
    );
    assert.match(events[0].error.message, /Sec-WebSocket-Accept/);
    assert.deepEqual([ev.code, ev.wasClean], [1006, false]);
  });

  test('an extension that was not offered (client_max_window_bits) fails the handshake', async (t) => {
    const port = await rawServer(t, (socket, key) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n` +
          'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n\r\n',
      );
    });
    const { ws, events } = connect(t, port, '/');
    const ev = await nextEvent(ws, 'close');
    assert.deepEqual(
      events.map((e) => e.type),
      ['error', 'close'],
    );
    assert.equal(ev.code, 1006);
  });

  test('an invalid frame (RSV2 set): error, close frame 1002 to the server, close event 1002', async (t) => {
    let received = Buffer.alloc(0);
    let gotClose;
    const serverGotClose = new Promise((resolve) => (gotClose = resolve));
    const port = await rawServer(t, (socket, key) => {
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.length >= 2 && received.length >= 6 + (received[1] & 0x7f)) gotClose(clientFrames([received]));
      });
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
      );
      // A valid text frame first (it must still be delivered), then FIN + RSV2 + text.
      socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69, 0xa1, 0x00]));
    });
    const { ws, events, nextMessage } = connect(t, port, '/', undefined, { perMessageDeflate: false });
    const closed = nextEvent(ws, 'close');
    assert.equal(await nextMessage(), 'hi');
    const [frame] = await within('the client close frame', serverGotClose);
    assert.equal(frame.first, 0x88);
    assert.equal(frame.payload.readUInt16BE(0), 1002);
    const ev = await closed;
    assert.deepEqual(
      events.map((e) => e.type),
      ['open', 'message', 'error', 'close'],
    );
    assert.deepEqual([ev.code, ev.wasClean], [1002, false]);
  });

  test('a masked frame from the server is a protocol error (1002)', async (t) => {
    const port = await rawServer(t, (socket, key) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
      );
      socket.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61 ^ 1]));
      socket.on('data', () => socket.end()); // the close frame: done
    });
    const { ws, events } = connect(t, port, '/');
    const ev = await nextEvent(ws, 'close');
    assert.deepEqual(
      events.map((e) => e.type),
      ['open', 'error', 'close'],
    );
    assert.equal(ev.code, 1002);
  });
});

// ---------------------------------------------------------------------------------------
// WHATWG argument checks; no server needed (the stream is a pair nobody answers).

function silentPair() {
  const toUs = new TransformStream();
  const fromUs = new TransformStream();
  fromUs.readable.cancel().catch(() => {});
  return { readable: toUs.readable, writable: fromUs.writable };
}

describe('WHATWG surface', () => {
  test('constants, bad URLs and subprotocols throw SyntaxError, stream is required', () => {
    assert.deepEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
    assert.equal(WebSocket.prototype.CLOSED, 3);
    const stream = silentPair();
    assert.throws(() => new WebSocket('ftp://x/', [], { stream }), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('ws://x/#frag', [], { stream }), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('not a url', [], { stream }), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('ws://x/', ['a', 'a'], { stream }), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('ws://x/', ['bad protocol'], { stream }), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('ws://x/', []), TypeError);
  });

  test('send while CONNECTING, bad close codes and long reasons throw; close() while CONNECTING fails with 1006', async () => {
    const ws = new WebSocket('http://example.test/path', 'chat', { stream: silentPair() });
    assert.equal(ws.url, 'ws://example.test/path');
    assert.throws(() => ws.send('x'), { name: 'InvalidStateError' });
    assert.throws(() => ws.close(1001), { name: 'InvalidAccessError' });
    assert.throws(() => ws.close(5000), { name: 'InvalidAccessError' });
    assert.throws(() => ws.close(1000, 'é'.repeat(62)), { name: 'SyntaxError' }); // 124 bytes
    const types = [];
    ws.onerror = (e) => types.push(e.type);
    ws.onclose = (e) => types.push(`${e.type} ${/** @type {CloseEvent} */ (e).code} ${/** @type {CloseEvent} */ (e).wasClean}`);
    ws.close(1000, 'é'.repeat(61)); // 122 bytes: fine
    assert.equal(ws.readyState, WebSocket.CLOSING);
    await until('close event', () => types.length === 2);
    assert.deepEqual(types, ['error', 'close 1006 false']);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('a stream promise that rejects: error, then close 1006', async () => {
    const ws = new WebSocket('ws://x/', [], { stream: Promise.reject(new Error('connect refused')) });
    const { events } = record(ws);
    const ev = await nextEvent(ws, 'close');
    assert.deepEqual(
      events.map((e) => e.type),
      ['error', 'close'],
    );
    assert.equal(events[0].error.message, 'connect refused');
    assert.equal(ev.code, 1006);
  });
});

// ---------------------------------------------------------------------------------------
// The CompressionStream compressor on its own.

describe('CompressionStream permessage-deflate', () => {
  const run = (fn) => new Promise((resolve, reject) => fn((err, out) => (err ? reject(err) : resolve(out))));

  test('inflates sync-flushed messages (the usual kind) and BFINAL-terminated ones', async () => {
    const c = createStreamCompressor(0);
    const text = 'hello hello hello ✓ '.repeat(50);
    const flushed = deflateRawSync(text, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    assert.deepEqual([...flushed.subarray(-4)], [0, 0, 0xff, 0xff]);
    const msg = flushed.subarray(0, -4);
    assert.equal(Buffer.from(await run((cb) => c.decompress(msg, cb))).toString(), text);
    const final = deflateRawSync(text); // ends with BFINAL
    assert.equal(Buffer.from(await run((cb) => c.decompress(final, cb))).toString(), text);
    assert.equal((await run((cb) => c.decompress(new Uint8Array([0x00]), cb))).length, 0); // RFC 7692 §7.2.3.6
    c.close();
  });

  test('where DecompressionStream rejects junk after the end (as Chromium does), a BFINAL message still inflates', async (t) => {
    const Real = globalThis.DecompressionStream;
    // A strict stand-in: zlib tells how much input the DEFLATE stream used; any rest is junk.
    globalThis.DecompressionStream = class {
      constructor() {
        const parts = [];
        const ts = new TransformStream({
          transform(chunk) {
            parts.push(Buffer.from(chunk));
          },
          flush(controller) {
            const input = Buffer.concat(parts);
            // @types/node has no overload for { info: true }, which returns { buffer, engine }.
            const { buffer, engine } = /** @type {any} */ (inflateRawSync(input, { info: true }));
            if (engine.bytesWritten < input.length) throw new TypeError('Junk found after end of compressed data.');
            controller.enqueue(new Uint8Array(buffer));
          },
        });
        this.readable = ts.readable;
        this.writable = ts.writable;
      }
    };
    t.after(() => (globalThis.DecompressionStream = Real));
    const c = createStreamCompressor(0);
    const text = 'final block '.repeat(100);
    assert.equal(Buffer.from(await run((cb) => c.decompress(deflateRawSync(text), cb))).toString(), text);
    const flushed = deflateRawSync(text, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, -4);
    assert.equal(Buffer.from(await run((cb) => c.decompress(flushed, cb))).toString(), text);
    c.close();
  });

  test('corrupt data fails with 1007, output past maxPayload with 1009, results come in call order', async () => {
    const c = createStreamCompressor(1000);
    await assert.rejects(
      run((cb) => c.decompress(new Uint8Array([0xff, 0xff, 0xff, 0x00]), cb)),
      { closeCode: 1007 },
    );
    const bomb = deflateRawSync(Buffer.alloc(1_000_000), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, -4);
    await assert.rejects(
      run((cb) => c.decompress(bomb, cb)),
      { closeCode: 1009 },
    );
    const order = [];
    const small = deflateRawSync('ok', { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, -4);
    await Promise.all([
      run((cb) => c.compress(new Uint8Array(500_000), true, cb)).then(() => order.push('compress big')),
      run((cb) => c.decompress(small, cb)).then(() => order.push('inflate small')),
    ]);
    assert.deepEqual(order, ['compress big', 'inflate small']);
    // Fragments: nothing until the last one, which carries the whole stream.
    const a = await run((cb) => c.compress(new TextEncoder().encode('frag'), false, cb));
    const b = await run((cb) => c.compress(new TextEncoder().encode('mented'), true, cb));
    assert.equal(a.length, 0);
    assert.equal(inflateRawSync(b).toString(), 'fragmented');
    c.close();
  });
});

// ---------------------------------------------------------------------------------------
// dist/web runs without Node: no node: imports, no Buffer or process, in its whole graph.

test('dist/web and everything it imports: no node: modules, no Buffer, no process', () => {
  const entry = fileURLToPath(new URL('../../dist/web/index.js', import.meta.url));
  const seen = new Set();
  const todo = [entry];
  const problems = [];
  while (todo.length > 0 && seen.size < 500) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    // Comments may say "Buffer"; code may not.
    const code = source
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '')
      .replace(/\s\/\/ .*$/gm, '');
    // Static imports and re-exports start a line in tsc's output; dynamic ones are import('...').
    const specifiers = [
      ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]/g),
    ].map((m) => m[1]);
    for (const spec of specifiers) {
      if (spec.startsWith('.')) todo.push(resolvePath(dirname(file), spec));
      else problems.push(`${file}: imports ${spec}`);
    }
    // A bare identifier, not a property (globalThis.process?.env is a feature probe).
    for (const m of code.matchAll(/(?<![.\w$'"])(Buffer|process|require|__dirname)\b(?!['"])/g)) {
      problems.push(`${file}: uses ${m[1]} near ${JSON.stringify(code.slice(Math.max(0, m.index - 40), m.index + 40))}`);
    }
  }
  const rel = [...seen].map((f) => f.slice(f.indexOf('dist/')));
  for (const expected of [
    'dist/web/websocket.js',
    'dist/web/stream-transport.js',
    'dist/protocol/connection.js',
    'dist/codec/decoder.js',
  ]) {
    assert.ok(rel.includes(expected), `${expected} is in the graph`);
  }
  assert.ok(!rel.some((f) => f.startsWith('dist/node/')), 'nothing from dist/node');
  assert.ok(rel.length >= 15, `the whole graph was walked (${rel.length} files)`);
  assert.deepEqual(problems, []);
});
