// The connection over any Duplex: a client and a server joined by in-memory streams (no
// sockets), createWebSocketStream with backpressure, and broadcast framing once.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Duplex, pipeline, Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import WS from 'ws';
import { broadcast, createWebSocketStream, WebSocket, WebSocketServer } from '../../dist/index.js';
import { portOf } from './client-helpers.js';

/** @typedef {Duplex & { peer: Duplex }} PairedDuplex */

/** Two Duplex streams where what one writes, the other reads. */
function streamPair() {
  const make = () =>
    /** @type {PairedDuplex} */ (
      new Duplex({
        read() {},
        write(chunk, _encoding, callback) {
          /** @type {PairedDuplex} */ (this).peer.push(Buffer.from(chunk));
          callback();
        },
        final(callback) {
          /** @type {PairedDuplex} */ (this).peer.push(null);
          callback();
        },
      })
    );
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

test('client and server over an in-memory stream pair, handshake and all', async () => {
  // Node's HTTP server parses the upgrade from any Duplex handed to it as a connection.
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: true });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const [clientSide, serverSide] = streamPair();
  http.emit('connection', serverSide);

  const ws = new WebSocket('ws://in-memory.test/chat', { createConnection: () => clientSide });
  await once(ws, 'open');
  assert.match(ws.extensions, /permessage-deflate/);
  ws.send('over a stream pair '.repeat(100));
  const [data, isBinary] = await once(ws, 'message');
  assert.equal(isBinary, false);
  assert.equal(data.toString(), 'over a stream pair '.repeat(100));
  ws.close(1000, 'bye');
  const [code, reason] = await once(ws, 'close');
  assert.deepEqual([code, reason.toString()], [1000, 'bye']);
  wss.close();
});

test('createWebSocketStream: a Duplex of messages with backpressure both ways', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const received = [];
  wss.on('connection', (ws) => {
    const duplex = createWebSocketStream(ws);
    // Echo through a slow writable-to-readable pipe: pause/resume must keep every byte.
    pipeline(
      duplex,
      new Writable({
        write(chunk, _encoding, callback) {
          received.push(chunk.length);
          duplex.write(chunk);
          setTimeout(callback, 1);
        },
      }),
      () => {},
    );
  });
  const client = new WS(`ws://127.0.0.1:${portOf(wss)}`);
  await once(client, 'open');
  let total = 0;
  const echoed = new Promise((resolve) =>
    client.on('message', (d) => {
      total += /** @type {Buffer} */ (d).length;
      if (total === 200 * 1000) resolve();
    }),
  );
  for (let i = 0; i < 200; i++) client.send(Buffer.alloc(1000, i));
  await echoed;
  assert.equal(
    received.reduce((a, b) => a + b, 0),
    200 * 1000,
  );
  client.close();
  await once(client, 'close');
  await new Promise((resolve) => wss.close(resolve));
});

test('createWebSocketStream on the client: reading a server stream to the end', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    for (let i = 0; i < 10; i++) ws.send(`line ${i}\n`);
    ws.close();
  });
  const duplex = createWebSocketStream(new WebSocket(`ws://127.0.0.1:${portOf(wss)}`), { encoding: 'utf8' });
  let text = '';
  for await (const chunk of Readable.from(duplex)) text += chunk;
  assert.equal(text, Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
  await new Promise((resolve) => wss.close(resolve));
});

test('broadcast frames once and reaches every open client, including deflate ones, except the sender', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
  await once(wss, 'listening');
  const url = `ws://127.0.0.1:${portOf(wss)}`;
  const clients = [];
  for (let i = 0; i < 6; i++) {
    const c = new WS(url, { perMessageDeflate: i % 2 === 0 });
    clients.push(c);
    await once(c, 'open');
  }
  const got = clients.map(() => []);
  clients.forEach((c, i) => c.on('message', (d, isBinary) => got[i].push([d.toString(), isBinary])));
  const [first] = wss.clients;
  assert.equal(broadcast(wss.clients, 'to all'), 6);
  assert.equal(broadcast(wss.clients, Buffer.from('bin'), { except: first }), 5);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const counts = got.map((g) => g.length).sort();
  assert.deepEqual(counts, [1, 2, 2, 2, 2, 2]);
  for (const g of got) assert.deepEqual(g[0], ['to all', false]);
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => once(c, 'close')));
  await new Promise((resolve) => wss.close(resolve));
});
