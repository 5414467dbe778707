// The native transport (src/node/transports/native.ts, bindings/transport.cc): a plain
// TCP connection served by the addon on Node's loop once the handshake is done. What only
// a transport that takes the socket over can get wrong: bytes Node read before the
// take-over, backpressure on its own write queue, resets, half-closes, descriptors, and
// the process exiting with adopted connections. Every socket suite also runs on it with
// WSCODEC_TRANSPORT=native; this file forces it for itself.

import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within as waitWithin } from '../helpers/within.js';
import { OP, RawClient, clientFrame, closeFrame, rawConnect, sleep, upgradeRequest, waitUntil } from '../attack/harness.js';

const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// The transport is chosen when the package loads, so the variable is set before it does.
process.env.WSCODEC_TRANSPORT = 'native';
/** @type {typeof import('../../dist/index.js') | null} */
let wscodec = null;
let unavailable = '';
try {
  wscodec = await import('../../dist/index.js');
} catch (err) {
  // No addon (or WSCODEC_BACKEND=wasm|js): the forced transport is unavailable, said at load.
  unavailable = err.message;
}
const skip = wscodec === null ? `native transport unavailable: ${unavailable}` : false;

/** A bounded wait: 10 s by default here, since this file also runs under ASan. */
const within = (promise, what, ms = 10_000) => waitWithin(promise, what, ms);

/** A WebSocketServer on 127.0.0.1 (closed, with every client terminated, by t.after). */
async function server(t, options = {}) {
  const wss = new wscodec.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await within(once(wss, 'listening'), "'listening'");
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(() => resolve()));
  });
  return { wss, port: /** @type {net.AddressInfo} */ (wss.address()).port };
}

/**
 * A raw client's handshake: `extra` leaves in the same write as the request; `ready`
 * resolves to a RawClient once the 101 head is read. `allowHalfOpen`: the client's EOF
 * waits for its end() (a net.Socket's default answers the peer's EOF with its own).
 */
function connectRaw(port, { extra = Buffer.alloc(0), allowHalfOpen = false } = {}) {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
  socket.on('error', () => {});
  const ready = (async () => {
    await within(once(socket, 'connect'), 'connect');
    socket.write(Buffer.concat([upgradeRequest(port), extra]));
    let head = Buffer.alloc(0);
    for (;;) {
      const [chunk] = await within(once(socket, 'data'), 'the 101 response');
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) continue;
      assert.match(head.subarray(0, end).toString('latin1'), /^HTTP\/1\.1 101 /);
      // No 'data' is emitted before RawClient listens: this runs in the microtask after the last one.
      return new RawClient(socket, head.subarray(0, end).toString('latin1'), head.subarray(end + 4));
    }
  })();
  return { socket, ready };
}

/** Whether the server side of a connection was taken over (its _socket is no net.Socket). */
function isAdopted(ws) {
  return ws._socket !== null && !(ws._socket instanceof net.Socket);
}

test("frames in the upgrade request's segment and bytes Node read before the take-over arrive first, in order", { skip }, async (t) => {
  let bufferedAtAdoption = -1;
  const { wss, port } = await server(t, {
    // An asynchronous verifyClient: what the client sends meanwhile waits in the socket's Readable buffer.
    verifyClient: (info, done) =>
      setTimeout(() => {
        bufferedAtAdoption = info.req.socket.readableLength;
        done(true);
      }, 200),
  });
  const received = [];
  const accepted = new Promise((resolve) =>
    wss.on('connection', (ws, req) => {
      ws.on('message', (data) => {
        received.push(data.toString());
        ws.send(`echo:${data}`);
      });
      resolve({ ws, req });
    }),
  );
  // One write, so the first frames are in the same segment as the request (the head).
  const { socket, ready } = connectRaw(port, { extra: Buffer.concat([clientFrame(OP.TEXT, 'one'), clientFrame(OP.TEXT, 'two')]) });
  t.after(() => socket.destroy());
  await sleep(60);
  socket.write(clientFrame(OP.TEXT, 'three')); // while verifyClient waits
  const { ws, req } = await within(accepted, "'connection'");
  const client = await ready;
  assert.ok(isAdopted(ws), 'the server side runs on the native transport');
  assert.ok(bufferedAtAdoption > 0, "bytes waited in the socket's Readable buffer at the take-over");
  socket.write(clientFrame(OP.TEXT, 'four'));
  await client.waitFor(() => client.reader.count(OP.TEXT) >= 4, 5000, 'four echoes');
  assert.deepEqual(received, ['one', 'two', 'three', 'four']);
  assert.deepEqual(
    client.reader.frames.filter((f) => f.opcode === OP.TEXT).map((f) => f.payload.toString()),
    ['echo:one', 'echo:two', 'echo:three', 'echo:four'],
  );
  // Addresses were taken before the take-over: on ws._socket and on the request's socket.
  assert.equal(ws._socket.remoteAddress, '127.0.0.1');
  assert.equal(ws._socket.remotePort, socket.localPort);
  assert.equal(ws._socket.localPort, port);
  assert.equal(req.socket.remoteAddress, '127.0.0.1');
  assert.equal(ws._socket.setNoDelay(true), ws._socket);
  assert.equal(ws._socket.setKeepAlive(true, 1000), ws._socket);
});

test('a client adopted with frames right behind the 101 gets them first, in order', { skip }, async (t) => {
  // A hand-written server: the 101 and two frames leave in one write.
  const raw = net.createServer((socket) => {
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.removeAllListeners('data');
      const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(head)[1];
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      const frames = [0x81, 5, ...Buffer.from('first'), 0x81, 6, ...Buffer.from('second')];
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          ),
          Buffer.from(frames),
        ]),
      );
      setTimeout(() => socket.write(Buffer.from([0x81, 5, ...Buffer.from('third')])), 50);
    });
    socket.on('error', () => {});
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  t.after(() => raw.close());
  const ws = new wscodec.WebSocket(`ws://127.0.0.1:${/** @type {net.AddressInfo} */ (raw.address()).port}`);
  t.after(() => ws.terminate());
  const messages = [];
  const three = new Promise((resolve) =>
    ws.on('message', (data) => {
      messages.push(data.toString());
      if (messages.length === 3) resolve();
    }),
  );
  await within(once(ws, 'open'), "'open'");
  assert.ok(isAdopted(ws), 'the client side runs on the native transport');
  await within(three, 'three messages');
  assert.deepEqual(messages, ['first', 'second', 'third']);
});

/** Streams unmasked server frames: every payload byte goes to `hash`; counts whole frames. */
function payloadHasher(hash) {
  let header = [];
  let remaining = 0;
  let frames = 0;
  return {
    get frames() {
      return frames;
    },
    push(chunk) {
      let at = 0;
      while (at < chunk.length) {
        if (remaining > 0) {
          const take = Math.min(remaining, chunk.length - at);
          hash.update(chunk.subarray(at, at + take));
          remaining -= take;
          at += take;
          if (remaining === 0) frames++;
          continue;
        }
        header.push(chunk[at++]);
        const len7 = header.length < 2 ? -1 : header[1] & 0x7f;
        const need = len7 === 127 ? 10 : len7 === 126 ? 4 : 2;
        if (header.length < need) continue;
        let length = len7;
        if (len7 >= 126) {
          length = 0;
          for (let i = 2; i < need; i++) length = length * 256 + header[i];
        }
        header = [];
        remaining = length;
        if (length === 0) frames++;
      }
    },
  };
}

test(
  'a reader that stops reading: bufferedAmount rises, callbacks wait, then fire in order; 64 MiB arrive intact',
  { skip, timeout: 60_000 },
  async (t) => {
    const { wss } = await server(t);
    const MESSAGES = 64;
    const SIZE = 1024 * 1024;
    const connected = within(once(wss, 'connection'), "'connection'");
    const client = await rawConnect(/** @type {net.AddressInfo} */ (wss.address()).port);
    t.after(() => client.destroy());
    client.socket.removeAllListeners('data');
    client.socket.pause();
    const [ws] = await connected;
    assert.ok(isAdopted(ws));

    const sent = createHash('sha256');
    const done = [];
    for (let i = 0; i < MESSAGES; i++) {
      const data = Buffer.alloc(SIZE, i);
      data.writeUInt32BE((i * 2654435761) >>> 0, 0);
      sent.update(data);
      ws.send(data, { binary: true }, (err) => done.push(err ? `error ${err.message}` : i));
    }
    const afterSend = ws.bufferedAmount;
    await sleep(300);
    // The kernel's buffers take a few MiB at most; the rest waits in the transport.
    assert.ok(afterSend > 32 * SIZE, `bufferedAmount right after the sends: ${afterSend}`);
    assert.ok(ws.bufferedAmount > 32 * SIZE, `bufferedAmount while the peer does not read: ${ws.bufferedAmount}`);
    assert.ok(done.length < MESSAGES / 2, `${done.length} callbacks fired while the peer did not read`);
    assert.deepEqual(
      done,
      done.map((_, i) => i),
      'the callbacks that fired are the first sends, in order',
    );

    const received = createHash('sha256');
    const hasher = payloadHasher(received);
    client.socket.on('data', (chunk) => hasher.push(chunk));
    client.socket.resume();
    await within(
      waitUntil(() => hasher.frames === MESSAGES && done.length === MESSAGES, 30_000),
      'every frame and callback',
      35_000,
    );
    assert.equal(hasher.frames, MESSAGES);
    assert.equal(received.digest('hex'), sent.digest('hex'), 'SHA-256 of what arrived equals what was sent');
    assert.deepEqual(
      done,
      Array.from({ length: MESSAGES }, (_, i) => i),
    );
    assert.equal(ws.bufferedAmount, 0);
  },
);

test('a peer reset in mid-message closes with 1006, and sends waiting for the kernel hear an error', { skip }, async (t) => {
  const { wss, port } = await server(t);
  const connected = within(once(wss, 'connection'), "'connection'");
  const client = await rawConnect(port);
  client.socket.pause(); // not reading: what the server sends next stays queued
  const [ws] = await connected;
  const messages = [];
  ws.on('message', (data) => messages.push(data));
  const errors = [];
  for (let i = 0; i < 16; i++) ws.send(Buffer.alloc(1024 * 1024), (err) => errors.push(err?.message ?? 'ok'));
  // A frame that says 1000 bytes and brings 10.
  const partial = clientFrame(OP.BINARY, Buffer.alloc(1000, 7)).subarray(0, 2 + 2 + 4 + 10);
  await client.write(partial);
  await sleep(50);
  const closed = within(once(ws, 'close'), "the server's 'close'");
  client.socket.resetAndDestroy();
  const [code] = await closed;
  assert.equal(code, 1006);
  assert.equal(messages.length, 0);
  assert.equal(ws.readyState, 3);
  await waitUntil(() => errors.length === 16, 2000);
  assert.equal(errors.length, 16, 'every send callback was called');
  assert.ok(errors.includes('The socket is closed'), `the queued sends heard the reset: ${errors}`);
  assert.equal(errors.lastIndexOf('ok') + 1, errors.indexOf('The socket is closed'), 'in order: the sent ones, then the dropped ones');
});

test('half-close from the peer: its EOF after a message gets the echo, then our EOF; 1006 without a close frame', { skip }, async (t) => {
  const { wss, port } = await server(t);
  const connected = within(once(wss, 'connection'), "'connection'");
  const client = await rawConnect(port);
  t.after(() => client.destroy());
  const [ws] = await connected;
  ws.on('message', (data) => ws.send(`echo:${data}`));
  const closed = within(once(ws, 'close'), "the server's 'close'");
  client.socket.write(clientFrame(OP.TEXT, 'last words'));
  client.socket.end(); // FIN: the client can still read (net sockets are half-open until both ends)
  await client.waitFor(() => client.ended, 5000, "the server's EOF");
  assert.deepEqual(
    client.reader.frames.map((f) => [f.opcode, f.payload.toString()]),
    [[OP.TEXT, 'echo:last words']],
  );
  const [code] = await closed;
  assert.equal(code, 1006);
  await client.waitFor(() => client.closed, 5000, 'the socket closed');
  assert.equal(client.socketError, null);
});

test('half-close from our side: after the closing handshake our EOF goes first; we close once the peer ends too', { skip }, async (t) => {
  const { wss, port } = await server(t);
  const connected = within(once(wss, 'connection'), "'connection'");
  const client = await connectRaw(port, { allowHalfOpen: true }).ready;
  t.after(() => client.destroy());
  const [ws] = await connected;
  let closeCode = 0;
  ws.on('close', (code) => (closeCode = code));
  ws.close(1000, 'done');
  await client.waitFor(() => client.reader.find(OP.CLOSE), 5000, "the server's close frame");
  assert.equal(client.reader.find(OP.CLOSE).code, 1000);
  assert.equal(client.ended, false, 'no EOF before our close frame is answered');
  await client.write(closeFrame(1000));
  await client.waitFor(() => client.ended, 5000, "the server's EOF");
  // The server's side is half-closed: it waits for ours (bounded by its close timeout).
  await sleep(100);
  assert.equal(closeCode, 0, "no 'close' while the peer has not ended");
  assert.equal(client.closed, false);
  const closed = within(once(ws, 'close'), "the server's 'close'");
  client.socket.end();
  await closed;
  assert.equal(closeCode, 1000);
  await client.waitFor(() => client.closed, 5000, 'the socket closed');
});

test("pause() holds what arrives (and the peer's EOF) until resume(), then delivers it all in order", { skip }, async (t) => {
  const { wss, port } = await server(t);
  const connected = within(once(wss, 'connection'), "'connection'");
  const client = await rawConnect(port);
  t.after(() => client.destroy());
  const [ws] = await connected;
  ws.pause();
  const received = [];
  ws.on('message', (data) => received.push(data.toString()));
  let closeCode = 0;
  ws.on('close', (code) => (closeCode = code));
  const frames = [];
  for (let i = 0; i < 100; i++) frames.push(clientFrame(OP.TEXT, `m${i}`));
  await client.write(Buffer.concat(frames.slice(0, 50)));
  await sleep(50);
  await client.write(Buffer.concat(frames.slice(50)));
  client.socket.end();
  await sleep(200);
  assert.deepEqual(received, [], 'nothing is delivered while paused');
  assert.equal(closeCode, 0, 'nor the end');
  ws.resume();
  assert.ok(await waitUntil(() => closeCode !== 0, 5000), "'close' after resume()");
  assert.deepEqual(
    received,
    frames.map((_, i) => `m${i}`),
  );
  assert.equal(closeCode, 1006);
});

test('the listening server still counts an adopted connection: close() completes once it is gone, as with ws', { skip }, async (t) => {
  const { wss, port } = await server(t);
  const connected = within(once(wss, 'connection'), "'connection'");
  const client = await rawConnect(port);
  t.after(() => client.destroy());
  const [ws] = await connected;
  assert.ok(isAdopted(ws));
  let serverClosed = false;
  wss.close(() => (serverClosed = true));
  await sleep(150);
  assert.equal(serverClosed, false, "the server's close waits for the open connection");
  await client.closeCleanly();
  assert.ok(await waitUntil(() => serverClosed, 5000), 'and completes once it closed');
});

test('an adopt that cannot happen leaves the connection on the stream transport, with one logged line', { skip }, async (t) => {
  const wss = new wscodec.WebSocketServer({ noServer: true });
  t.after(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  const http = (await import('node:http')).createServer();
  http.on('upgrade', (req, socket, head) => {
    // A corked socket keeps the 101 in Node's write buffer: taking the descriptor now would lose it.
    socket.cork();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    process.nextTick(() => socket.uncork());
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  t.after(() => http.close());
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args.join(' '));
  t.after(() => (console.warn = warn));
  const connected = within(once(wss, 'connection'), "'connection'");
  const client = await rawConnect(/** @type {net.AddressInfo} */ (http.address()).port);
  t.after(() => client.destroy());
  const [ws] = await connected;
  console.warn = warn;
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  assert.equal(await client.echo('still served'), 'still served');
  assert.ok(ws._socket instanceof net.Socket, 'the stream transport carries it');
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /the native transport could not adopt a socket; it stays on the stream transport \(the socket has writes in flight\)/,
  );
});

// ---- child processes: descriptors and exits are per process ----

const SERVER_SOURCE = `
import { readdirSync } from 'node:fs';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
const { WebSocketServer } = await import(${JSON.stringify(DIST)});
const mode = process.env.NATIVE_TEST_MODE ?? 'serve';
function serve(report) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  let closed = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      if (text === 'close me') ws.close(1000);
      else if (text === 'drop me') ws.terminate();
      else ws.send(data, { binary: isBinary });
    });
    ws.on('close', () => closed++);
    if (mode === 'idle-exit') ws.pause(); // a paused connection holds no active handle
  });
  wss.on('listening', () => report({ port: wss.address().port }));
  return (msg) => {
    if (msg === 'stats') report({ fds: readdirSync('/proc/self/fd').length, clients: wss.clients.size, closed });
    else if (msg === 'exit') process.exit(0);
    else if (msg === 'unlisten') {
      wss.close(); // the listener goes now; the callback would wait for the connections
      report({ unlistened: true });
    }
  };
}
if (mode === 'worker' && isMainThread) {
  const worker = new Worker(new URL(import.meta.url));
  worker.on('message', (m) => process.send(m));
  worker.on('error', (err) => { console.error(err); process.exit(2); });
  worker.on('exit', (code) => process.send({ workerExit: code }));
  process.on('message', (msg) => {
    if (msg === 'terminate') worker.terminate();
    else if (msg === 'disconnect') process.disconnect();
    else worker.postMessage(msg);
  });
} else if (mode === 'worker') {
  const handle = serve((m) => parentPort.postMessage(m));
  parentPort.on('message', handle);
} else {
  const handle = serve((m) => process.send(m));
  process.on('message', (msg) => (msg === 'disconnect' ? process.disconnect() : handle(msg)));
}
`;

/** The server above in a child process (mode: serve | worker | idle-exit); killed by t.after if still running. */
async function childServer(t, mode = 'serve') {
  const dir = mkdtempSync(join(tmpdir(), 'wscodec-native-'));
  const file = join(dir, 'server.mjs');
  writeFileSync(file, SERVER_SOURCE);
  const child = fork(file, [], {
    env: { ...process.env, WSCODEC_TRANSPORT: 'native', NATIVE_TEST_MODE: mode },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const messages = [];
  const waiters = new Set();
  child.on('message', (m) => {
    messages.push(m);
    for (const w of waiters) w();
  });
  const next = (pred, what) =>
    within(
      new Promise((resolve) => {
        const check = () => {
          const i = messages.findIndex(pred);
          if (i < 0) return;
          waiters.delete(check);
          resolve(messages.splice(i, 1)[0]);
        };
        waiters.add(check);
        check();
      }),
      what,
      15_000,
    );
  const { port } = await next((m) => m.port !== undefined, 'the child server listening');
  const ask = async (msg, pred, what) => {
    child.send(msg);
    return next(pred, what);
  };
  return { child, port, exited, stderr: () => stderr, next, ask };
}

/** Runs `fn(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

test(
  'connection churn: 3 rounds of 1,000 connections, ended every way, leave the descriptors at their baseline',
  { skip, timeout: 120_000 },
  async (t) => {
    const ROUNDS = 3;
    const CONNECTIONS = 1000;
    const server = await childServer(t);
    const stats = () => server.ask('stats', (m) => m.fds !== undefined, 'stats');
    const ways = ['client close', 'server close', 'server terminate', 'client drop', 'client reset', 'client EOF'];
    let baseline = -1;
    for (let round = 0; round < ROUNDS; round++) {
      const clients = [];
      await pool(CONNECTIONS, 100, async (i) => {
        const client = await rawConnect(server.port);
        clients.push(client);
        if (i % 10 === 0) assert.equal(await client.echo(`hello ${i}`), `hello ${i}`);
      });
      const open = await stats();
      assert.equal(open.clients, CONNECTIONS, 'every connection is open on the server');
      if (baseline < 0) baseline = open.fds - CONNECTIONS; // one descriptor per adopted connection
      assert.equal(open.fds, baseline + CONNECTIONS, `round ${round + 1}: one descriptor per open connection`);
      await pool(clients.length, 100, async (i) => {
        const client = clients[i];
        const way = ways[i % ways.length];
        if (way === 'client close') await client.closeCleanly();
        else if (way === 'server close') {
          await client.write(clientFrame(OP.TEXT, 'close me'));
          await client.waitFor(() => client.reader.find(OP.CLOSE), 10_000, "the server's close frame");
          await client.write(closeFrame(1000));
          await client.waitFor(() => client.ended || client.closed, 10_000, "the server's EOF");
          client.socket.end();
        } else if (way === 'server terminate') {
          await client.write(clientFrame(OP.TEXT, 'drop me'));
          await client.waitFor(() => client.closed, 10_000, 'the server dropping it');
        } else if (way === 'client drop') client.destroy();
        else if (way === 'client reset') client.socket.resetAndDestroy();
        else client.socket.end();
      });
      const settled = await within(
        (async () => {
          for (let i = 0; i < 200; i++) {
            const now = await stats();
            if (now.clients === 0 && now.fds <= baseline) return now;
            await sleep(50);
          }
          return stats();
        })(),
        'the server to let go of every connection',
        20_000,
      );
      for (const client of clients) client.destroy();
      assert.equal(settled.clients, 0, `round ${round + 1}: every connection closed on the server`);
      assert.equal(settled.fds, baseline, `round ${round + 1}: descriptors back to the baseline`);
    }
  },
);

test('process.exit() with adopted connections open exits cleanly, and the peers see the connection end', { skip }, async (t) => {
  const server = await childServer(t);
  const clients = [];
  for (let i = 0; i < 20; i++) clients.push(await rawConnect(server.port));
  t.after(() => clients.forEach((c) => c.destroy()));
  assert.equal(await clients[0].echo('alive'), 'alive');
  server.child.send('exit');
  const { code, signal } = await within(server.exited, 'the child to exit');
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.equal(server.stderr(), '');
  for (const client of clients) await client.waitFor(() => client.closed, 5000, 'the peer to see the end');
});

test('a worker with adopted connections ends cleanly: its environment closes them', { skip }, async (t) => {
  const server = await childServer(t, 'worker');
  const clients = [];
  for (let i = 0; i < 20; i++) clients.push(await rawConnect(server.port));
  t.after(() => clients.forEach((c) => c.destroy()));
  assert.equal(await clients[0].echo('alive'), 'alive');
  server.child.send('terminate');
  await server.next((m) => m.workerExit !== undefined, "the worker's exit");
  for (const client of clients) await client.waitFor(() => client.closed, 5000, 'the peer to see the end');
  server.child.send('disconnect');
  const { code, signal } = await within(server.exited, 'the child to exit');
  assert.equal(signal, null);
  assert.equal(code, 0, server.stderr());
  assert.equal(server.stderr(), '');
});

test('a process whose adopted connections all stopped reading exits on its own, cleanly', { skip }, async (t) => {
  const server = await childServer(t, 'idle-exit');
  const clients = [];
  for (let i = 0; i < 20; i++) clients.push(await rawConnect(server.port));
  t.after(() => clients.forEach((c) => c.destroy()));
  await server.ask('unlisten', (m) => m.unlistened, 'the listener closed');
  // Paused connections stop polling at their next read (as a paused net.Socket stops
  // reading once its buffer is full): then no handle keeps the loop alive.
  for (const client of clients) await client.write(clientFrame(OP.TEXT, 'held'));
  server.child.send('disconnect');
  const { code, signal } = await within(server.exited, 'the child to exit on its own');
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.equal(server.stderr(), '');
  for (const client of clients) await client.waitFor(() => client.closed, 5000, 'the peer to see the end');
});
