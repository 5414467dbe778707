// socket.io as a real consumer of wscodec, both ways:
//  - a socket.io server whose engine.io uses wscodec's WebSocketServer (`wsEngine`),
//    driven by the stock socket.io-client (which runs on `ws`);
//  - socket.io-client whose engine.io-client WebSocket transport constructs wscodec's
//    WebSocket (engine.io-client accepts transport classes in `transports`; we subclass
//    its Node WebSocket transport and override `createSocket`), against a socket.io
//    server on `ws` and one on wscodec.
// Each pairing runs the same scenarios.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { Server as IoServer } from 'socket.io';
import { io as ioClient, NodeXHR, NodeWebSocket } from 'socket.io-client';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { within } from '../helpers/within.js';

// engine.io-client may pin its own copy of ws (nested under its node_modules): resolve
// the one it really uses, so `instanceof` checks on the stock client are meaningful.
const require = createRequire(import.meta.url);
const ClientWS = createRequire(require.resolve('engine.io-client'))('ws').WebSocket;

const WAIT_MS = 10_000;
// A socket.io connect on loopback takes milliseconds. The deadline is kept below the
// server's pingInterval so that a connect that only completes when the first engine.io
// ping arrives (handshake bytes stuck until more data comes) fails instead of passing slowly.
const CONNECT_MS = 3_000;
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Resolves with `promise`, or rejects if it takes longer than `ms`. */
const withTimeout = (promise, what, ms = WAIT_MS) => within(promise, what, ms);

/**
 * Waits for one `event` on a Node EventEmitter or a component-emitter (engine.io-client,
 * socket.io-client); rejects on timeout or on `rejectOn` events.
 */
function waitFor(emitter, event, { label = event, ms = WAIT_MS, rejectOn = [] } = {}) {
  const promise = new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      for (const name of rejectOn) emitter.off(name, onReject);
    };
    const onEvent = (...args) => {
      cleanup();
      resolve(args.length > 1 ? args : args[0]);
    };
    const onReject = (err) => {
      cleanup();
      reject(err instanceof Error ? err : new Error(`${label}: ${String(err)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${label}`));
    }, ms);
    emitter.on(event, onEvent);
    for (const name of rejectOn) emitter.on(name, onReject);
  });
  // A waiter set up ahead of an assertion that fails first must not become an
  // unhandled rejection later; awaiting `promise` still sees the rejection.
  promise.catch(() => {});
  return promise;
}

/** engine.io-client's Node WebSocket transport, constructing wscodec's WebSocket instead of ws's. */
class WscodecTransport extends NodeWebSocket {
  createSocket(uri, protocols, opts) {
    return new WebSocket(uri, protocols, opts);
  }
}

/** Starts socket.io on an HTTP server bound to 127.0.0.1:0. */
async function startIo(engine, options = {}) {
  const http = createServer();
  const requests = { polling: 0, upgrades: 0 };
  const io = new IoServer(http, {
    maxHttpBufferSize: 4 * 1024 * 1024,
    pingInterval: 10_000,
    pingTimeout: 5_000,
    ...(engine === 'wscodec' ? { wsEngine: WebSocketServer } : {}),
    ...options,
  });
  // Added after socket.io attached itself, so these only count.
  http.on('request', (req) => {
    if (req.url.startsWith('/socket.io/')) requests.polling++;
  });
  http.on('upgrade', () => requests.upgrades++);
  await withTimeout(
    new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    }),
    'http listen',
  );
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (http.address()).port}`;
  const stop = async () => {
    io.disconnectSockets(true);
    await withTimeout(new Promise((resolve) => io.close(() => resolve())), 'socket.io close');
    http.closeAllConnections?.();
  };
  return { io, http, url, requests, stop };
}

const pairings = [
  { server: 'wscodec', client: 'ws' },
  { server: 'ws', client: 'wscodec' },
  { server: 'wscodec', client: 'wscodec' },
];

for (const { server: serverKind, client: clientKind } of pairings) {
  describe(`socket.io server on ${serverKind} ↔ socket.io-client on ${clientKind}`, { timeout: 60_000 }, () => {
    let srv;
    const clients = new Set();

    before(async () => {
      srv = await startIo(serverKind);
      const { io } = srv;
      io.on('connection', (socket) => {
        socket.on('echo', (value, ack) => ack(value));
        socket.on('transport?', (ack) => ack(socket.conn.transport.name));
        socket.on('bin', (msg, ack) => {
          assert.ok(Buffer.isBuffer(msg.data), 'server received a Buffer attachment');
          ack({ name: msg.name, sha: sha(msg.data), reversed: Buffer.from(msg.data).reverse() });
        });
        socket.on('big', (data, ack) => {
          ack({ length: data.length, sha: sha(data) });
          // and a 1 MiB message the other way
          socket.emit('big-back', Buffer.from(data).reverse());
        });
        socket.on('join', (room, ack) => {
          socket.join(room);
          ack(true);
        });
        socket.on('broadcast', (room, payload, ack) => {
          io.to(room).emit('news', payload);
          io.emit('all', 'after-news');
          ack(true);
        });
      });
    });

    after(async () => {
      for (const c of clients) c.disconnect();
      clients.clear();
      await srv.stop();
    });

    /**
     * A socket.io-client socket on the pairing's WebSocket implementation.
     * @param {string} url
     * @param {Partial<import('socket.io-client').ManagerOptions & import('socket.io-client').SocketOptions> & { transports?: string[] }} [options]
     */
    function connect(url, { transports = ['websocket'], ...options } = {}) {
      const mapped = /** @type {import('socket.io-client').ManagerOptions['transports']} */ (
        clientKind === 'wscodec'
          ? transports.map((t) => (t === 'websocket' ? WscodecTransport : t === 'polling' ? NodeXHR : t))
          : transports
      );
      const socket = ioClient(url, { forceNew: true, reconnection: false, transports: mapped, ...options });
      clients.add(socket);
      return socket;
    }

    async function connected(socket) {
      if (!socket.connected) await waitFor(socket, 'connect', { label: 'socket.io connect', ms: CONNECT_MS, rejectOn: ['connect_error'] });
      return socket;
    }

    function close(socket) {
      socket.disconnect();
      clients.delete(socket);
    }

    /** Asserts both ends of the engine.io websocket transport are the implementations under test. */
    function assertImplementations(clientSocket, serverSocket) {
      const clientWs = clientSocket.io.engine.transport.ws;
      assert.ok(clientWs instanceof (clientKind === 'wscodec' ? WebSocket : ClientWS), `client transport runs on ${clientKind}`);
      if (clientKind === 'ws') assert.ok(!(clientWs instanceof WebSocket));
      const serverWs = serverSocket.conn.transport.socket;
      assert.ok(serverWs instanceof (serverKind === 'wscodec' ? WebSocket : WS), `server transport runs on ${serverKind}`);
      if (serverKind === 'ws') assert.ok(!(serverWs instanceof WebSocket));
    }

    const emitAck = (socket, ...args) =>
      withTimeout(socket.timeout(WAIT_MS).emitWithAck(...args), `ack for ${String(args[0])}`, WAIT_MS + 1000);

    test('connect: handshake auth reaches the server and ids match', async () => {
      const serverConn = waitFor(srv.io, 'connection', { label: 'server connection' });
      const socket = connect(srv.url, { auth: { token: 'tok-1' } });
      await connected(socket);
      const serverSocket = await serverConn;
      assert.equal(serverSocket.handshake.auth.token, 'tok-1');
      assert.equal(serverSocket.id, socket.id);
      assert.equal(socket.connected, true);
      assertImplementations(socket, serverSocket);
      close(socket);
    });

    test('emit with ack round-trips JSON values', async () => {
      const socket = await connected(connect(srv.url));
      const value = { text: 'héllo ✓', n: 42, list: [1, null, true], nested: { a: 'b' } };
      assert.deepEqual(await emitAck(socket, 'echo', value), value);
      assert.equal(await emitAck(socket, 'echo', 'plain'), 'plain');
      close(socket);
    });

    test('binary attachment both ways', async () => {
      const socket = await connected(connect(srv.url));
      const data = randomBytes(4096);
      const reply = await emitAck(socket, 'bin', { name: 'blob', data });
      assert.equal(reply.name, 'blob');
      assert.equal(reply.sha, sha(data));
      assert.ok(Buffer.isBuffer(reply.reversed), 'client received a Buffer attachment');
      assert.deepEqual(reply.reversed, Buffer.from(data).reverse());
      close(socket);
    });

    test('1 MiB binary payload both ways', async () => {
      const socket = await connected(connect(srv.url));
      const data = randomBytes(1024 * 1024);
      const back = waitFor(socket, 'big-back', { label: '1 MiB from server' });
      const reply = await emitAck(socket, 'big', data);
      assert.deepEqual(reply, { length: data.length, sha: sha(data) });
      const received = await back;
      assert.equal(received.length, data.length);
      assert.equal(sha(received), sha(Buffer.from(data).reverse()));
      close(socket);
    });

    test('rooms: broadcast reaches both members and not the outsider', async () => {
      const [a, b, outsider] = await Promise.all([0, 1, 2].map(() => connected(connect(srv.url))));
      assert.equal(await emitAck(a, 'join', 'room-1'), true);
      assert.equal(await emitAck(b, 'join', 'room-1'), true);
      const log = new Map([
        [a, []],
        [b, []],
        [outsider, []],
      ]);
      for (const [s, events] of log) {
        s.on('news', (p) => events.push(['news', p]));
        s.on('all', (p) => events.push(['all', p]));
      }
      const allSeen = Promise.all([a, b, outsider].map((s) => waitFor(s, 'all', { label: 'broadcast to all' })));
      const payload = { headline: 'rooms work', bytes: Buffer.from([1, 2, 3]) };
      assert.equal(await emitAck(outsider, 'broadcast', 'room-1', payload), true);
      await allSeen;
      for (const member of [a, b]) {
        const events = log.get(member);
        assert.equal(events.length, 2);
        assert.equal(events[0][0], 'news');
        assert.equal(events[0][1].headline, 'rooms work');
        assert.deepEqual(Buffer.from(events[0][1].bytes), Buffer.from([1, 2, 3]));
        assert.deepEqual(events[1], ['all', 'after-news']);
      }
      assert.deepEqual(log.get(outsider), [['all', 'after-news']]);
      for (const s of [a, b, outsider]) close(s);
    });

    test('polling → websocket upgrade', async () => {
      const serverConn = waitFor(srv.io, 'connection', { label: 'server connection' });
      const pollingBefore = srv.requests.polling;
      const socket = connect(srv.url, { transports: ['polling', 'websocket'] });
      const upgraded = waitFor(socket.io.engine, 'upgrade', { label: 'engine.io upgrade', rejectOn: ['upgradeError'] });
      assert.equal(socket.io.engine.transport.name, 'polling');
      await connected(socket);
      const serverSocket = await serverConn;
      await upgraded;
      assert.equal(socket.io.engine.transport.name, 'websocket');
      assert.ok(srv.requests.polling > pollingBefore, 'the session started on HTTP long-polling');
      // the next packet travels over the new transport
      assert.equal(await emitAck(socket, 'transport?'), 'websocket');
      assert.equal(serverSocket.conn.transport.name, 'websocket');
      assertImplementations(socket, serverSocket);
      assert.deepEqual(await emitAck(socket, 'echo', { after: 'upgrade' }), { after: 'upgrade' });
      close(socket);
    });

    test('websocket-only: no HTTP polling at all', async () => {
      const pollingBefore = srv.requests.polling;
      const upgradesBefore = srv.requests.upgrades;
      const serverConn = waitFor(srv.io, 'connection', { label: 'server connection' });
      const socket = await connected(connect(srv.url, { transports: ['websocket'] }));
      const serverSocket = await serverConn;
      assert.equal(socket.io.engine.transport.name, 'websocket');
      assert.equal(await emitAck(socket, 'transport?'), 'websocket');
      assert.equal(srv.requests.polling, pollingBefore, 'no polling requests');
      assert.equal(srv.requests.upgrades, upgradesBefore + 1, 'exactly one upgrade request');
      assertImplementations(socket, serverSocket);
      close(socket);
    });

    test('perMessageDeflate on: negotiated and large compressible payloads round-trip', async () => {
      const deflateSrv = await startIo(serverKind, { perMessageDeflate: { threshold: 0 } });
      try {
        deflateSrv.io.on('connection', (s) => s.on('echo', (v, ack) => ack(v)));
        const serverConn = waitFor(deflateSrv.io, 'connection', { label: 'server connection' });
        const socket = await connected(connect(deflateSrv.url, { perMessageDeflate: { threshold: 0 } }));
        const serverSocket = await serverConn;
        assertImplementations(socket, serverSocket);
        assert.match(socket.io.engine.transport.ws.extensions, /permessage-deflate/);
        assert.match(serverSocket.conn.transport.socket.extensions, /permessage-deflate/);
        const text = 'compress me, please. '.repeat(20_000);
        assert.equal(await emitAck(socket, 'echo', text), text);
        const bin = Buffer.alloc(300_000, 'abcabcabd');
        const back = await emitAck(socket, 'echo', bin);
        assert.equal(sha(back), sha(bin));
        close(socket);
      } finally {
        await deflateSrv.stop();
      }
    });

    test('perMessageDeflate off by default on the server: not negotiated', async () => {
      const serverConn = waitFor(srv.io, 'connection', { label: 'server connection' });
      const socket = await connected(connect(srv.url, { perMessageDeflate: { threshold: 0 } }));
      const serverSocket = await serverConn;
      assert.doesNotMatch(socket.io.engine.transport.ws.extensions, /permessage-deflate/);
      assert.doesNotMatch(serverSocket.conn.transport.socket.extensions, /permessage-deflate/);
      close(socket);
    });

    test('disconnect and reconnect are seen by the server', async () => {
      const token = `client-${Math.random()}`;
      const seen = [];
      const onConnection = (s) => {
        if (s.handshake.auth.token !== token) return;
        seen.push(['connection', s.id]);
        s.on('disconnect', (reason) => seen.push(['disconnect', s.id, reason]));
      };
      srv.io.on('connection', onConnection);
      try {
        const socket = connect(srv.url, {
          auth: { token },
          reconnection: true,
          reconnectionDelay: 50,
          reconnectionDelayMax: 100,
          randomizationFactor: 0,
        });
        await connected(socket);
        const firstId = socket.id;

        // 1. the network drops: the server kills the underlying WebSocket
        const serverSocket = srv.io.sockets.sockets.get(firstId);
        assert.ok(serverSocket, 'server knows the socket');
        const clientDisconnect = waitFor(socket, 'disconnect', { label: 'client disconnect' });
        const reconnected = waitFor(socket.io, 'reconnect', { label: 'manager reconnect' });
        serverSocket.conn.transport.socket.terminate();
        const [clientReason] = await clientDisconnect;
        assert.equal(clientReason, 'transport close');
        await reconnected;
        await connected(socket);
        const secondId = socket.id;
        assert.notEqual(secondId, firstId);
        assert.deepEqual(await emitAck(socket, 'echo', 'still here'), 'still here');

        // 2. the client leaves on purpose
        const serverDisconnect = new Promise((resolve) => {
          srv.io.sockets.sockets.get(secondId).once('disconnect', resolve);
        });
        socket.disconnect();
        assert.equal(await withTimeout(serverDisconnect, 'server disconnect'), 'client namespace disconnect');

        // 3. and comes back
        socket.connect();
        await connected(socket);
        const thirdId = socket.id;
        assert.deepEqual(await emitAck(socket, 'echo', 'back again'), 'back again');
        close(socket);
        await withTimeout(
          (async () => {
            while (seen.filter((e) => e[0] === 'disconnect').length < 3) await new Promise((r) => setTimeout(r, 10));
          })(),
          'third server disconnect',
        );

        assert.deepEqual(
          seen.map((e) => e.slice(0, 2)),
          [
            ['connection', firstId],
            ['disconnect', firstId],
            ['connection', secondId],
            ['disconnect', secondId],
            ['connection', thirdId],
            ['disconnect', thirdId],
          ],
        );
        assert.equal(seen[1][2], 'transport close');
        assert.equal(seen[3][2], 'client namespace disconnect');
        assert.equal(seen[5][2], 'client namespace disconnect');
      } finally {
        srv.io.off('connection', onConnection);
      }
    });
  });
}

// Sanity check that the ws-based reference server really is ws (guards the pairing labels).
test('reference: socket.io default wsEngine is ws', async () => {
  const srv = await startIo('ws');
  try {
    // engine.io keeps its WebSocket server in a private field: read it anyway.
    const engine = /** @type {any} */ (srv.io.engine);
    assert.equal(engine.ws instanceof WsServer, true);
    assert.equal(engine.ws instanceof WebSocketServer, false);
  } finally {
    await srv.stop();
  }
  const ours = await startIo('wscodec');
  try {
    assert.equal(/** @type {any} */ (ours.io.engine).ws instanceof WebSocketServer, true);
  } finally {
    await ours.stop();
  }
});
