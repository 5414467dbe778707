// wss:// — our client over node:tls against our server on an https server, and ws's
// client against it, with a throwaway self-signed certificate made by openssl.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer } from 'node:https';
import { after, before, test } from 'node:test';
import WS from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { portOf } from './client-helpers.js';

let https;
let wss;
let port;
let cert;

before(async () => {
  const files = selfSignedCert();
  cert = files.cert;
  https = createServer({ key: files.key, cert });
  wss = new WebSocketServer({ server: https, perMessageDeflate: true });
  wss.on('connection', (ws, req) => {
    ws.send(`secure=${req.socket.encrypted === true}`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  port = portOf(https);
});

after(async () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  await new Promise((resolve) => https.close(resolve));
});

for (const [name, Client] of /** @type {Array<[string, any]>} */ ([
  ['our client', WebSocket],
  ['ws client', WS],
])) {
  test(`${name} over wss:// with the server's certificate as CA`, async () => {
    const ws = new Client(`wss://localhost:${port}/`, { ca: cert });
    const messages = [];
    ws.on('message', (data) => messages.push(data.toString()));
    await once(ws, 'open');
    assert.match(ws.extensions, /permessage-deflate/);
    ws.send('through TLS '.repeat(200));
    const deadline = Date.now() + 5000;
    while (messages.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(messages, ['secure=true', 'through TLS '.repeat(200)]);
    ws.close(1000);
    const [code] = await once(ws, 'close');
    assert.equal(code, 1000);
  });
}

test('our client refuses an untrusted certificate with an error and a 1006 close', async () => {
  const ws = new WebSocket(`wss://localhost:${port}/`);
  // As in ws, 'close' follows 'error' at once: listen for both up front.
  const closed = new Promise((resolve) => ws.on('close', (...args) => resolve(args)));
  const [err] = await once(ws, 'error');
  assert.match(err.message, /self[- ]signed|certificate/i);
  const [code] = await closed;
  assert.equal(code, 1006);
});
