// Handshake refusals over raw TCP: each bad request gets its status code and a closed
// socket, and the server keeps serving good clients afterwards.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import WS from 'ws';
import { WebSocketServer } from '../../dist/index.js';
import { portOf } from './client-helpers.js';

let server;
let port;

before(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true, handshakeTimeout: 1000 });
  await once(server, 'listening');
  port = portOf(server);
  server.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })));
});

after(async () => {
  for (const ws of server.clients) ws.terminate();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends raw bytes, returns everything the server wrote before it closed (bounded by a timeout). */
function exchange(request, { timeout = 5000, slow = false } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeout} ms; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, timeout);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    if (slow)
      socket.write(request.slice(0, 20)); // and never the rest
    else socket.write(request);
  });
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(headers, { method = 'GET', version = '1.1', path = '/' } = {}) {
  const base = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
  };
  const merged = { ...base, ...headers };
  let head = `${method} ${path} HTTP/${version}\r\n`;
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  return head + '\r\n';
}

const statusOf = (response) => Number(response.slice(9, 12));

test('a valid request with odd casing and token lists is accepted', async () => {
  const response = await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.write(request({ Upgrade: 'WebSocket', Connection: 'keep-alive, UPGRADE' }));
    socket.once('data', (c) => {
      socket.destroy();
      resolve(c.toString('latin1'));
    });
  });
  assert.equal(statusOf(response), 101);
  // The RFC 6455 §1.3 sample key and its accept value.
  assert.match(response, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
});

/** @type {Array<[string, string, number]>} */
const refusals = [
  ['a POST', request({}, { method: 'POST' }), 405],
  ['HTTP/1.0', request({}, { version: '1.0' }), 400],
  // Not an upgrade at all (Node's parser decides): the HTTP handler answers 426.
  ['no Upgrade header', request({ Upgrade: undefined }), 426],
  ['Upgrade: h2c', request({ Upgrade: 'h2c' }), 400],
  ['no Connection: upgrade', request({ Connection: 'keep-alive' }), 426],
  ['version 7', request({ 'Sec-WebSocket-Version': '7' }), 400],
  ['version 14', request({ 'Sec-WebSocket-Version': '14' }), 400],
  ['no version', request({ 'Sec-WebSocket-Version': undefined }), 400],
  [
    'a hixie-76 handshake',
    request({
      'Sec-WebSocket-Version': undefined,
      'Sec-WebSocket-Key': undefined,
      Upgrade: 'WebSocket',
      'Sec-WebSocket-Key1': '4 @1  46546xW%0l 1 5',
      'Sec-WebSocket-Key2': '12998 5 Y3 1  .P00',
    }),
    400,
  ],
  ['no key', request({ 'Sec-WebSocket-Key': undefined }), 400],
  ['a key of 15 bytes', request({ 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAA' }), 400],
  ['two keys', request({ 'Sec-WebSocket-Key': [KEY, KEY] }), 400],
  ['no Host', request({ Host: undefined }), 400],
  ['an invalid subprotocol', request({ 'Sec-WebSocket-Protocol': 'a b' }), 400],
  ['a duplicated subprotocol', request({ 'Sec-WebSocket-Protocol': 'chat, chat' }), 400],
  ['a malformed extension header', request({ 'Sec-WebSocket-Extensions': 'permessage-deflate; =' }), 400],
  [
    'a duplicated deflate parameter',
    request({ 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover; server_no_context_takeover' }),
    400,
  ],
  ['an out-of-range window', request({ 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=16' }), 400],
  ['too many headers', request(Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`X-Filler-${i}`, 'x']))), 431],
  ['oversized headers', request({ 'X-Big': 'x'.repeat(20 * 1024) }), 431],
  ['a plain GET', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 426],
];

for (const [what, raw, status] of refusals) {
  test(`${what} gets ${status} and a closed socket`, async () => {
    const response = await exchange(raw);
    assert.equal(statusOf(response), status, response.split('\r\n')[0]);
    if (/version/.test(what)) assert.match(response, /Sec-WebSocket-Version: 13, 8\r\n/);
  });
}

test('version 8 (hybi-08 to -12 frame as 13 does) is accepted, as ws accepts it', async () => {
  const response = await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.write(request({ 'Sec-WebSocket-Version': '8' }));
    socket.once('data', (c) => {
      socket.destroy();
      resolve(c.toString('latin1'));
    });
  });
  assert.equal(statusOf(response), 101);
});

test("the response body of a refusal is the reason, in ws's words", async () => {
  for (const [headers, body] of [
    [{ 'Sec-WebSocket-Protocol': 'foo;bar' }, 'Invalid Sec-WebSocket-Protocol header'],
    [
      { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=foo' },
      'Invalid or unacceptable Sec-WebSocket-Extensions header',
    ],
    [{ 'Sec-WebSocket-Key': undefined }, 'Missing or invalid Sec-WebSocket-Key header'],
    [{ 'Sec-WebSocket-Version': '7' }, 'Missing or invalid Sec-WebSocket-Version header'],
    [{ Upgrade: 'h2c' }, 'Invalid Upgrade header'],
  ]) {
    const response = await exchange(request(headers));
    assert.equal(response.slice(response.indexOf('\r\n\r\n') + 4), body);
  }
  const post = await exchange(request({}, { method: 'POST' }));
  assert.equal(post.slice(post.indexOf('\r\n\r\n') + 4), 'Invalid HTTP method');
});

test('a request head that never completes is dropped after the handshake timeout', async () => {
  const started = Date.now();
  const response = await exchange(request({}), { slow: true, timeout: 8000 });
  assert.ok(Date.now() - started >= 900, 'closed before the timeout');
  assert.ok(response === '' || statusOf(response) === 408, response);
});

test('a verifyClient refusal carries its code, message and headers', async () => {
  const strict = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, cb) => cb(info.origin === 'https://ok.example', 403, 'Origin not allowed', { 'X-Why': 'origin' }),
  });
  await once(strict, 'listening');
  const raw = request({ Origin: 'https://evil.example', Host: 'x' });
  const response = await new Promise((resolve) => {
    const socket = connect(portOf(strict), '127.0.0.1');
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.write(raw);
  });
  assert.equal(statusOf(response), 403);
  assert.match(response, /X-Why: origin/);
  assert.match(response, /Origin not allowed$/);
  const ok = new WS(`ws://127.0.0.1:${portOf(strict)}`, { origin: 'https://ok.example' });
  await once(ok, 'open');
  ok.close();
  await once(ok, 'close');
  await new Promise((resolve) => strict.close(resolve));
});

test('the server still serves after all of that', async () => {
  const ws = new WS(`ws://127.0.0.1:${port}`);
  await once(ws, 'open');
  assert.match(ws.extensions, /permessage-deflate/);
  ws.send('still here');
  const [data] = await once(ws, 'message');
  assert.equal(data.toString(), 'still here');
  ws.close();
  await once(ws, 'close');
});
