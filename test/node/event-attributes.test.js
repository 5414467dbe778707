// The WHATWG side of WebSocket (onopen/onmessage/onerror/onclose, addEventListener,
// removeEventListener) behaves as ws's: an attribute reads back what was set, setting it
// again replaces the handler, a listener is added once and can be removed, `once` works,
// and CloseEvent.wasClean says whether both close frames were exchanged. Each check runs
// on ws too, so the expectations are ws's.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WS from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { portOf, within as withTimeout } from './client-helpers.js';

let server;
let url;
before(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  url = `ws://127.0.0.1:${portOf(server)}`;
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (data.toString() === 'close me') ws.close(4000, 'asked');
      else ws.send(data, { binary: isBinary });
    });
  });
});
after(async () => {
  for (const ws of server.clients) ws.terminate();
  await new Promise((resolve) => server.close(resolve));
});

for (const [name, Client] of /** @type {Array<[string, any]>} */ ([
  ['wscodec', WebSocket],
  ['ws', WS],
])) {
  describe(`${name} WebSocket event attributes and listeners`, () => {
    test('onX reads back the handler, null when unset or set to a non-function', () => {
      const ws = new Client(url);
      ws.on('error', () => {}); // terminate() while connecting reports one
      const handler = () => {};
      assert.equal(ws.onmessage, null);
      ws.onmessage = handler;
      assert.equal(ws.onmessage, handler);
      ws.onmessage = 'not a function';
      assert.equal(ws.onmessage, null);
      ws.onopen = handler;
      assert.equal(ws.onopen, handler);
      assert.equal(ws.listenerCount('open'), 1);
      ws.terminate();
    });

    test('reassigning onX replaces the handler; listeners added with addEventListener stay', async () => {
      const ws = new Client(url);
      const calls = [];
      ws.onmessage = () => calls.push('old');
      ws.onmessage = (event) => calls.push(`new:${event.data}`);
      ws.addEventListener('message', (event) => calls.push(`listener:${event.data}`));
      ws.onopen = () => ws.send('hi');
      await withTimeout(new Promise((resolve) => ws.addEventListener('message', resolve)), 'echo');
      assert.deepEqual(calls, ['new:hi', 'listener:hi']);
      ws.onmessage = null;
      assert.equal(ws.listenerCount('message'), 2);
      ws.close();
      await withTimeout(once(ws, 'close'), 'close');
    });

    test('addEventListener ignores a duplicate; removeEventListener removes it; once fires once', async () => {
      const ws = new Client(url);
      const calls = [];
      const listener = (event) => calls.push(`listener:${event.data}`);
      const removed = () => calls.push('removed');
      const onceOnly = { handleEvent: (event) => calls.push(`once:${event.data}`) };
      ws.addEventListener('message', listener);
      ws.addEventListener('message', listener);
      ws.addEventListener('message', removed);
      ws.removeEventListener('message', removed);
      ws.addEventListener('message', onceOnly, { once: true });
      assert.equal(ws.listenerCount('message'), 2);
      // The attribute and a listener are distinct even when they are the same function.
      ws.onmessage = listener;
      ws.removeEventListener('message', listener);
      assert.equal(ws.onmessage, listener);
      ws.addEventListener('message', listener);
      await withTimeout(once(ws, 'open'), 'open');
      ws.send('a');
      ws.send('b');
      await withTimeout(new Promise((resolve) => ws.on('message', (data) => String(data) === 'b' && resolve())), 'two echoes');
      assert.deepEqual(calls, ['once:a', 'listener:a', 'listener:a', 'listener:b', 'listener:b']);
      // A once listener that already fired can be added again and removed before it fires.
      ws.addEventListener('message', onceOnly, { once: true });
      ws.removeEventListener('message', onceOnly);
      assert.equal(ws.listenerCount('message'), 3);
      ws.close();
      await withTimeout(once(ws, 'close'), 'close');
    });

    test('event objects: type, target, data, and CloseEvent code, reason, wasClean', async () => {
      const ws = new Client(url);
      const seen = {};
      ws.onopen = (event) => {
        seen.open = [event.type, event.target === ws];
        ws.send(Buffer.from([7]));
      };
      ws.binaryType = 'arraybuffer';
      ws.onmessage = (event) => {
        seen.message = [event.type, event.target === ws, event.data instanceof ArrayBuffer];
        ws.send('close me');
      };
      const closed = new Promise((resolve) => {
        ws.onclose = resolve;
      });
      const event = await withTimeout(closed, 'close event');
      assert.deepEqual(seen.open, ['open', true]);
      assert.deepEqual(seen.message, ['message', true, true]);
      assert.equal(event.type, 'close');
      assert.equal(event.target, ws);
      assert.equal(event.code, 4000);
      assert.equal(event.reason, 'asked');
      assert.equal(event.wasClean, true);
    });

    test('a terminated connection is not clean; onerror gets an ErrorEvent with message and error', async () => {
      const ws = new Client('ws://127.0.0.1:1');
      const errors = [];
      ws.onerror = (event) => errors.push([event.type, typeof event.message, event.error instanceof Error]);
      const event = await withTimeout(
        new Promise((resolve) => {
          ws.onclose = resolve;
        }),
        'close',
      );
      assert.deepEqual(errors, [['error', 'string', true]]);
      assert.equal(event.code, 1006);
      assert.equal(event.wasClean, false);
    });
  });
}
