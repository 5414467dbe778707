// ws._socket: code written for ws reads the TCP socket's addresses and tunes it there
// (remoteAddress, remotePort, localAddress, localPort, setNoDelay, setKeepAlive). The
// same checks run on ws, so the expectations are ws's.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { test } from 'node:test';
import WS, { WebSocketServer as WSServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { opened, portOf, shut, within } from './client-helpers.js';

for (const [name, Client, Server] of /** @type {Array<[string, any, any]>} */ ([
  ['wscodec', WebSocket, WebSocketServer],
  ['ws', WS, WSServer],
])) {
  test(`${name}: _socket is null before the connection and the TCP socket on both sides after it`, async () => {
    const wss = new Server({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const port = portOf(wss);
    const accepted = once(wss, 'connection');
    const client = new Client(`ws://127.0.0.1:${port}`);
    assert.equal(client._socket, null, 'no socket while connecting');
    await opened(client);
    const [serverSide] = await within(accepted, "'connection'");
    try {
      assert.equal(client._socket.remoteAddress, '127.0.0.1');
      assert.equal(client._socket.remotePort, port);
      assert.equal(serverSide._socket.localPort, port);
      assert.equal(serverSide._socket.remotePort, client._socket.localPort);
      assert.equal(serverSide._socket.localAddress, '127.0.0.1');
      // Tuning calls go to the real socket and return it, as net.Socket's do.
      assert.equal(serverSide._socket.setNoDelay(true), serverSide._socket);
      assert.equal(serverSide._socket.setKeepAlive(true, 1000), serverSide._socket);
    } finally {
      await shut(client);
      wss.close();
    }
  });
}
