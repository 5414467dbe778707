// Bytes that arrive in the same read as the handshake: the frames a server writes right
// behind its 101, and the frames a client sends right behind its upgrade request (the
// server's `head`). They must reach listeners attached in 'open' / 'connection', in
// order, and nothing may happen before 'open' (ws's behaviour; engine.io-client sends its
// CONNECT only after 'open', and lost it when a message came first). Each case also runs
// on ws itself, so the expectations are ws's.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { portOf, within as withTimeout } from './client-helpers.js';
import { closePayload, frame, KEY, OP } from '../helpers/wire.js';

const implementations = /** @type {Array<[string, any, any]>} */ ([
  ['wscodec', WebSocket, WebSocketServer],
  ['ws', WS, WsServer],
]);
const ACCEPT = (key) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${key}\r\n\r\n`;

/** A raw TCP server that answers any upgrade with a 101 followed, in the same write, by `after`. */
async function rawServer(after) {
  const { createHash } = await import('node:crypto');
  const server = createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const match = /Sec-WebSocket-Key: (\S+)/i.exec(head);
      if (!head.includes('\r\n\r\n') || !match) return;
      const accept = createHash('sha1')
        .update(match[1] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      socket.write(Buffer.concat([Buffer.from(ACCEPT(accept), 'latin1'), after]));
      head = '\0'; // answered: ignore the rest
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

for (const [name, Client] of implementations) {
  test(`${name} client: messages that follow the 101 in one write come after 'open', in order`, async () => {
    const after = Buffer.concat([
      frame({ opcode: OP.TEXT, payload: 'one' }),
      frame({ opcode: OP.BINARY, payload: [1, 2, 3] }),
      frame({ opcode: OP.TEXT, payload: 'three' }),
    ]);
    const server = await rawServer(after);
    const events = [];
    const ws = new Client(`ws://127.0.0.1:${portOf(server)}`, { perMessageDeflate: false });
    ws.on('upgrade', () => events.push('upgrade'));
    ws.on('open', () => events.push('open'));
    const done = new Promise((resolve) => {
      ws.on('message', (data, isBinary) => {
        events.push(isBinary ? `binary:${[...data].join(',')}` : `text:${data}`);
        if (events.length === 5) resolve();
      });
    });
    await withTimeout(done, 'three messages');
    assert.deepEqual(events, ['upgrade', 'open', 'text:one', 'binary:1,2,3', 'text:three']);
    ws.terminate();
    server.close();
  });

  test(`${name} client: a close frame right behind the 101 still lets 'open' send`, async () => {
    const after = Buffer.concat([
      frame({ opcode: OP.TEXT, payload: 'bye soon' }),
      frame({ opcode: OP.CLOSE, payload: closePayload(1000, 'done') }),
    ]);
    const server = await rawServer(after);
    const events = [];
    const ws = new Client(`ws://127.0.0.1:${portOf(server)}`, { perMessageDeflate: false });
    let sendError = 'not called';
    ws.on('open', () => {
      events.push(`open:${ws.readyState}`);
      ws.send('hello', (err) => {
        sendError = err ?? null;
      });
    });
    ws.on('message', (data) => events.push(`message:${data}`));
    ws.on('error', (err) => events.push(`error:${err.message}`));
    const [code, reason] = await withTimeout(once(ws, 'close'), 'close');
    assert.deepEqual(events, ['open:1', 'message:bye soon']);
    assert.equal(code, 1000);
    assert.equal(reason.toString(), 'done');
    assert.equal(sendError, null, 'the send made in open was written');
    server.close();
  });
}

/** Opens a raw TCP connection and sends an upgrade request followed, in one write, by `after`. */
async function rawClient(port, after) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const request =
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  socket.write(Buffer.concat([Buffer.from(request, 'latin1'), after]));
  socket.on('error', () => {});
  return socket;
}

const masked = (opcode, payload) => frame({ opcode, payload, mask: KEY });

for (const [name, , Server] of implementations) {
  for (const mode of ['port', 'noServer']) {
    test(`${name} server (${mode}): frames sent with the upgrade request reach 'connection' listeners, in order`, async () => {
      let wss;
      let http;
      if (mode === 'port') {
        wss = new Server({ port: 0, host: '127.0.0.1' });
        await once(wss, 'listening');
      } else {
        wss = new Server({ noServer: true });
        http = createHttpServer();
        http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
        http.listen(0, '127.0.0.1');
        await once(http, 'listening');
      }
      const port = (http ?? wss).address().port;
      const received = [];
      const done = new Promise((resolve) => {
        wss.on('connection', (ws) => {
          received.push(`connection:${ws.readyState}`);
          ws.on('message', (data, isBinary) => {
            received.push(isBinary ? `binary:${data.length}` : `text:${data}`);
            if (received.length === 4) resolve();
          });
        });
      });
      const socket = await rawClient(
        port,
        Buffer.concat([masked(OP.TEXT, 'first'), masked(OP.BINARY, new Uint8Array(300)), masked(OP.TEXT, 'third')]),
      );
      await withTimeout(done, 'three messages');
      assert.deepEqual(received, ['connection:1', 'text:first', 'binary:300', 'text:third']);
      socket.destroy();
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
      if (http) await new Promise((resolve) => http.close(resolve));
    });
  }

  test(`${name} server: pause() in 'connection' holds the frames that came with the request until resume()`, async () => {
    const wss = new Server({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const received = [];
    let resumed = false;
    const done = new Promise((resolve) => {
      wss.on('connection', (ws) => {
        ws.pause();
        ws.on('message', (data) => {
          received.push(`${data}:${resumed}`);
          if (received.length === 2) resolve();
        });
        setTimeout(() => {
          resumed = true;
          ws.resume();
        }, 50);
      });
    });
    const socket = await rawClient(wss.address().port, Buffer.concat([masked(OP.TEXT, 'a'), masked(OP.TEXT, 'b')]));
    await withTimeout(done, 'two messages');
    assert.deepEqual(received, ['a:true', 'b:true']);
    socket.destroy();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });
}
