// Masking options a ws client may set: generateMask fills each frame's key, and the
// `mask` send option (and ping/pong's mask argument) overrides the role's default. A raw
// server reads the frames as they are on the wire. Runs on ws too.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import WS from 'ws';
import { WebSocket } from '../../dist/index.js';
import { portOf, within } from './client-helpers.js';

/** A raw server that completes the handshake and collects the bytes that follow. */
async function wireServer() {
  const received = [];
  let notify = () => {};
  const server = createServer((socket) => {
    let head = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (upgraded) {
        received.push(chunk);
        notify();
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(head.toString('latin1'))[1];
      const accept = createHash('sha1')
        .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      upgraded = true;
      if (head.length > end + 4) received.push(head.subarray(end + 4));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const bytes = () => Buffer.concat(received);
  const waitFor = (length) =>
    within(
      new Promise((resolve) => {
        notify = () => bytes().length >= length && resolve(bytes());
        notify();
      }),
      `${length} bytes`,
    );
  return { port: portOf(server), waitFor, close: () => new Promise((resolve) => server.close(resolve)) };
}

for (const [name, Client] of /** @type {Array<[string, any]>} */ ([
  ['wscodec', WebSocket],
  ['ws', WS],
])) {
  test(`${name}: generateMask fills each frame's mask key`, async () => {
    const server = await wireServer();
    const keys = [];
    const ws = new Client(`ws://127.0.0.1:${server.port}`, {
      perMessageDeflate: false,
      generateMask(key) {
        key.set([1, 2, 3, keys.length]);
        keys.push([...key]);
      },
    });
    await within(once(ws, 'open'), 'open');
    ws.send('ab');
    ws.send('cd');
    const wire = await server.waitFor(16);
    assert.deepEqual(keys, [
      [1, 2, 3, 0],
      [1, 2, 3, 1],
    ]);
    // 0x81, mask bit + length 2, the key, 'a'^1 'b'^2
    assert.deepEqual([...wire.subarray(0, 8)], [0x81, 0x82, 1, 2, 3, 0, 0x61 ^ 1, 0x62 ^ 2]);
    assert.deepEqual([...wire.subarray(8, 16)], [0x81, 0x82, 1, 2, 3, 1, 0x63 ^ 1, 0x64 ^ 2]);
    ws.terminate();
    await server.close();
  });

  test(`${name}: the mask option sends a client frame unmasked; ping and pong take it too`, async () => {
    const server = await wireServer();
    const ws = new Client(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: false });
    await within(once(ws, 'open'), 'open');
    ws.send('hi', { mask: false });
    ws.ping('p', false);
    ws.pong(Buffer.from('q'), false, () => {});
    const wire = await server.waitFor(4 + 3 + 3);
    assert.deepEqual([...wire.subarray(0, 10)], [0x81, 0x02, 0x68, 0x69, 0x89, 0x01, 0x70, 0x8a, 0x01, 0x71]);
    ws.terminate();
    await server.close();
  });
}
