// Compatibility with ws both ways: our server with ws's client, our client with ws's
// server, with permessage-deflate off and on. Each pairing runs the same checks.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { portOf } from './client-helpers.js';

const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Starts a server of the given kind whose connections run `onConnection`. */
async function startServer(kind, options, onConnection) {
  const Server = kind === 'ours' ? WebSocketServer : WsServer;
  const server = new Server({ port: 0, host: '127.0.0.1', maxPayload: 64 * 1024 * 1024, ...options });
  await once(server, 'listening');
  server.on('connection', onConnection);
  return server;
}

function connect(kind, url, options) {
  const Client = /** @type {any} */ (kind === 'ours' ? WebSocket : WS); // ours or ws's, same calls
  const ws = new Client(url, { maxPayload: 64 * 1024 * 1024, ...options });
  return ws;
}

/** Collects messages (as Buffer copies) into an async queue. */
function inbox(ws) {
  const items = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const item = { data: Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]), isBinary };
    if (waiters.length) waiters.shift()(item);
    else items.push(item);
  });
  return () => (items.length ? Promise.resolve(items.shift()) : new Promise((resolve) => waiters.push(resolve)));
}

function echo(ws) {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

const pairs = [
  { server: 'ours', client: 'ws' },
  { server: 'ws', client: 'ours' },
  { server: 'ours', client: 'ours' },
];

for (const { server: serverKind, client: clientKind } of pairs) {
  for (const deflate of [false, true]) {
    describe(`${serverKind} server ↔ ${clientKind} client, deflate ${deflate ? 'on' : 'off'}`, () => {
      let server;
      let url;
      const serverSide = [];
      before(async () => {
        server = await startServer(serverKind, { perMessageDeflate: deflate ? { threshold: 0 } : false }, (ws, req) => {
          serverSide.push(ws);
          if (req.url === '/echo') echo(ws);
        });
        url = `ws://127.0.0.1:${portOf(server)}`;
      });
      after(async () => {
        for (const ws of server.clients) ws.terminate();
        await new Promise((resolve) => server.close(resolve));
      });

      async function open(path = '/echo', options = {}) {
        const ws = connect(clientKind, url + path, { perMessageDeflate: deflate, ...options });
        const next = inbox(ws);
        await once(ws, 'open');
        return { ws, next };
      }

      test('negotiates permessage-deflate exactly when both sides enable it', async () => {
        const { ws } = await open();
        assert.equal(ws.extensions.includes('permessage-deflate'), deflate);
        ws.close();
        await once(ws, 'close');
      });

      test('text stays text, binary stays binary, empty messages survive', async () => {
        const { ws, next } = await open();
        ws.send('héllo wörld ✓');
        ws.send(Buffer.from([0, 1, 2, 255]));
        ws.send('');
        ws.send(Buffer.alloc(0));
        let m = await next();
        assert.deepEqual([m.isBinary, m.data.toString()], [false, 'héllo wörld ✓']);
        m = await next();
        assert.deepEqual([m.isBinary, [...m.data]], [true, [0, 1, 2, 255]]);
        m = await next();
        assert.deepEqual([m.isBinary, m.data.length], [false, 0]);
        m = await next();
        assert.deepEqual([m.isBinary, m.data.length], [true, 0]);
        ws.close();
        await once(ws, 'close');
      });

      test('a fragmented message (fin: false) arrives whole', async () => {
        const { ws, next } = await open();
        ws.send('frag', { fin: false });
        ws.send('men', { fin: false });
        ws.send('ted', { fin: true });
        ws.send(Buffer.from('bin'), { binary: true, fin: false });
        ws.send(Buffer.from('ary'), { binary: true, fin: true });
        let m = await next();
        assert.deepEqual([m.isBinary, m.data.toString()], [false, 'fragmented']);
        m = await next();
        assert.deepEqual([m.isBinary, m.data.toString()], [true, 'binary']);
        ws.close();
        await once(ws, 'close');
      });

      test('16 MiB binary and 1 MiB text round trips are byte-identical', async () => {
        const { ws, next } = await open();
        const big = randomBytes(16 * 1024 * 1024);
        const text = 'wscodec ✓ '.repeat(100 * 1024);
        ws.send(big);
        ws.send(text);
        let m = await next();
        assert.equal(m.isBinary, true);
        assert.equal(sha(m.data), sha(big));
        m = await next();
        assert.equal(m.isBinary, false);
        assert.equal(m.data.toString(), text);
        ws.close();
        await once(ws, 'close');
      });

      test('close code and reason travel both ways', async () => {
        // Client-initiated.
        let { ws } = await open('/quiet');
        const serverWs = serverSide.at(-1);
        const serverClosed = once(serverWs, 'close');
        ws.close(4001, 'client says bye ✓');
        const [code, reason] = await once(ws, 'close');
        const [sCode, sReason] = await serverClosed;
        assert.deepEqual([sCode, sReason.toString()], [4001, 'client says bye ✓']);
        assert.deepEqual([code, reason.toString()], [4001, 'client says bye ✓']);
        assert.equal(ws.readyState, WS.CLOSED);

        // Server-initiated.
        ({ ws } = await open('/quiet'));
        const s2 = serverSide.at(-1);
        const clientClosed = once(ws, 'close');
        s2.close(1001, 'going away');
        const [cCode, cReason] = await clientClosed;
        assert.deepEqual([cCode, cReason.toString()], [1001, 'going away']);
        const [s2Code] = await once(s2, 'close');
        assert.equal(s2Code, 1001);

        // No status code: 1005 on the other side.
        ({ ws } = await open('/quiet'));
        const s3 = serverSide.at(-1);
        ws.close();
        const [s3Code] = await once(s3, 'close');
        assert.equal(s3Code, 1005);
      });

      test('ping and pong, with and without payload, are answered automatically', async () => {
        const { ws } = await open('/quiet');
        const serverWs = serverSide.at(-1);
        const serverPing = once(serverWs, 'ping');
        ws.ping(Buffer.from('are you there'));
        const [pong] = await once(ws, 'pong');
        assert.equal(pong.toString(), 'are you there');
        assert.equal((await serverPing)[0].toString(), 'are you there');
        serverWs.ping();
        const [serverPong] = await once(serverWs, 'pong');
        assert.equal(serverPong.length, 0);
        assert.throws(() => ws.ping(Buffer.alloc(126)), RangeError);
        ws.close();
        await once(ws, 'close');
      });

      test('backpressure: bufferedAmount rises while the peer does not read, then drains', async () => {
        const { ws } = await open('/quiet');
        const serverWs = serverSide.at(-1);
        serverWs.pause();
        // Past the kernel's socket buffers on loopback (several MiB), then some.
        const chunk = randomBytes(1024 * 1024);
        let peak = 0;
        for (let i = 0; i < 48; i++) {
          ws.send(chunk);
          peak = Math.max(peak, ws.bufferedAmount);
        }
        assert.ok(peak > 4 * 1024 * 1024, `bufferedAmount peaked at ${peak}`);
        let received = 0;
        const all = new Promise((resolve) =>
          serverWs.on('message', () => {
            if (++received === 48) resolve();
          }),
        );
        serverWs.resume();
        await all;
        const deadline = Date.now() + 10_000;
        while (ws.bufferedAmount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.equal(ws.bufferedAmount, 0);
        ws.close();
        await once(ws, 'close');
      });

      test('a send callback fires once written; sends after close report an error', async () => {
        const { ws } = await open('/quiet');
        await new Promise((resolve, reject) => ws.send('x', (err) => (err ? reject(err) : resolve())));
        ws.close();
        const err = await new Promise((resolve) => ws.send('late', resolve));
        assert.match(err.message, /not open/);
        await once(ws, 'close');
      });
    });
  }
}

describe('ws-only API details', () => {
  test('binaryType arraybuffer and fragments, and WHATWG event handlers', async () => {
    const server = await startServer('ours', {}, echo);
    const url = `ws://127.0.0.1:${portOf(server)}`;
    const ws = new WebSocket(url);
    const events = [];
    ws.onopen = () => {
      events.push('open');
      ws.binaryType = 'arraybuffer';
      ws.send(new Uint8Array([1, 2, 3]));
    };
    ws.addEventListener('message', (event) => {
      events.push(event.data instanceof ArrayBuffer ? `ab:${new Uint8Array(event.data).join(',')}` : `text:${event.data}`);
      if (events.length === 2) ws.send('hi');
      else ws.close(1000, 'done');
    });
    const closed = new Promise((resolve) => {
      ws.onclose = (event) => resolve(event);
    });
    const event = await closed;
    assert.deepEqual(events, ['open', 'ab:1,2,3', 'text:hi']);
    assert.deepEqual([event.code, event.reason, event.wasClean], [1000, 'done', true]);
    await new Promise((resolve) => server.close(resolve));
  });

  test('handleProtocols picks the subprotocol; ws sees it', async () => {
    const server = await startServer('ours', { handleProtocols: (set) => (set.has('b') ? 'b' : false) }, () => {});
    const url = `ws://127.0.0.1:${portOf(server)}`;
    const ws = new WS(url, ['a', 'b']);
    await once(ws, 'open');
    assert.equal(ws.protocol, 'b');
    assert.equal([...server.clients][0].protocol, 'b');
    ws.close();
    await once(ws, 'close');
    await new Promise((resolve) => server.close(resolve));
  });

  test('our client rejects a subprotocol it did not offer, and an unexpected status', async () => {
    const server = await startServer('ws', { handleProtocols: () => 'zzz' }, () => {});
    const url = `ws://127.0.0.1:${portOf(server)}`;
    const ws = new WebSocket(url, ['a']);
    const [err] = await once(ws, 'error');
    assert.match(err.message, /invalid subprotocol/);
    await new Promise((resolve) => server.close(resolve));

    const refusing = await startServer('ours', { verifyClient: () => false }, () => {});
    const ws2 = new WebSocket(`ws://127.0.0.1:${portOf(refusing)}`);
    const [err2] = await once(ws2, 'error');
    assert.match(err2.message, /Unexpected server response: 401/);
    const ws3 = new WebSocket(`ws://127.0.0.1:${portOf(refusing)}`);
    const [, res] = await once(ws3, 'unexpected-response');
    assert.equal(res.statusCode, 401);
    await new Promise((resolve) => refusing.close(resolve));
  });

  test('noServer + handleUpgrade, path and clientTracking', async () => {
    const { createServer } = await import('node:http');
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true, path: '/ws' });
    http.on('upgrade', (req, socket, head) => {
      if (!wss.shouldHandle(req)) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    wss.on('connection', echo);
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const port = portOf(http);
    const bad = new WS(`ws://127.0.0.1:${port}/nope`);
    await once(bad, 'error');
    const ws = new WS(`ws://127.0.0.1:${port}/ws`);
    await once(ws, 'open');
    assert.equal(wss.clients.size, 1);
    ws.send('via noServer');
    const [data] = await once(ws, 'message');
    assert.equal(data.toString(), 'via noServer');
    ws.close();
    await once(ws, 'close');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(wss.clients.size, 0);
    wss.close();
    http.close();
  });
});
