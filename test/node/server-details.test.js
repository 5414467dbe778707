// WebSocketServer details ws users meet: close(cb) on a server that is already closed
// gets an Error, handleUpgrade() twice with one socket throws, 'close' is emitted once
// per close(). Each case also runs on ws.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../../dist/index.js';
import { portOf, within as withTimeout } from './client-helpers.js';

for (const [name, Server] of /** @type {Array<[string, any]>} */ ([
  ['wscodec', WebSocketServer],
  ['ws', WsServer],
])) {
  test(`${name}: close(cb) on a closed server calls back with 'The server is not running'`, async () => {
    const wss = new Server({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const first = await withTimeout(new Promise((resolve) => wss.close(resolve)), 'first close');
    assert.equal(first, undefined);
    const second = await withTimeout(new Promise((resolve) => wss.close(resolve)), 'second close');
    assert.ok(second instanceof Error);
    assert.equal(second.message, 'The server is not running');
  });

  test(`${name}: handleUpgrade() twice with the same socket throws`, async () => {
    const wss = new Server({ noServer: true });
    const http = createServer();
    const thrown = [];
    const connected = [];
    http.on('upgrade', (req, socket, head) => {
      for (let i = 0; i < 2; i++) {
        try {
          wss.handleUpgrade(req, socket, head, (ws) => connected.push(ws));
        } catch (err) {
          thrown.push(err.message);
        }
      }
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const socket = connect(portOf(http), '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await withTimeout(once(socket, 'data'), '101');
    assert.equal(connected.length, 1);
    assert.deepEqual(thrown, ['server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration']);
    socket.destroy();
    connected[0].terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  });
}
