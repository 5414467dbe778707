// pause()/resume() and isPaused as in ws: a paused socket stays paused (isPaused true)
// after it closes, resume() after close changes nothing, and what was received while
// paused is still delivered before 'close'. Runs on ws too.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { test } from 'node:test';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { within as withTimeout } from './client-helpers.js';

for (const [name, Client, Server] of /** @type {Array<[string, any, any]>} */ ([
  ['wscodec', WebSocket, WebSocketServer],
  ['ws', WS, WsServer],
])) {
  test(`${name}: isPaused survives close, resume() after close is a no-op`, async () => {
    const wss = new Server({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (peer) => peer.close(1000));
    const ws = new Client(`ws://127.0.0.1:${wss.address().port}`);
    assert.equal(ws.isPaused, false);
    ws.pause(); // CONNECTING: ignored
    assert.equal(ws.isPaused, false);
    await withTimeout(once(ws, 'open'), 'open');
    ws.pause();
    assert.equal(ws.isPaused, true);
    const [code] = await withTimeout(once(ws, 'close'), 'close');
    assert.equal(code, 1000);
    assert.equal(ws.isPaused, true);
    ws.resume();
    assert.equal(ws.isPaused, true);
    await new Promise((resolve) => wss.close(resolve));
  });
}
