// send() and ping() with what ws accepts, and their callbacks: no data is an empty
// message, a Blob is read and sent in order with everything around it, and a send cut
// off by terminate() still calls back with an error. Each case also runs on ws.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { within as withTimeout } from './client-helpers.js';

for (const [name, Client, Server] of /** @type {Array<[string, any, any]>} */ ([
  ['wscodec', WebSocket, WebSocketServer],
  ['ws', WS, WsServer],
])) {
  for (const deflate of [false, true]) {
    describe(`${name}: send data types, deflate ${deflate ? 'on' : 'off'}`, () => {
      let server;
      let received;
      let url;
      before(async () => {
        server = new Server({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate ? { threshold: 0 } : false });
        await once(server, 'listening');
        url = `ws://127.0.0.1:${server.address().port}`;
        server.on('connection', (ws) => {
          ws.on('message', (data, isBinary) => received.push([isBinary, Buffer.from(data).toString()]));
          ws.on('ping', (data) => received.push(['ping', data.toString()]));
        });
      });
      after(async () => {
        for (const ws of server.clients) ws.terminate();
        await new Promise((resolve) => server.close(resolve));
      });

      async function client() {
        received = [];
        const ws = new Client(url, { perMessageDeflate: deflate });
        await withTimeout(once(ws, 'open'), 'open');
        return ws;
      }

      async function closeAndCollect(ws, count) {
        const deadline = Date.now() + 5000;
        while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        ws.close();
        await withTimeout(once(ws, 'close'), 'close');
        return received;
      }

      test('send() with no data sends an empty binary message; null too; the callback is called', async () => {
        const ws = await client();
        const done = new Promise((resolve) => ws.send(undefined, resolve));
        ws.send(null);
        ws.send();
        assert.equal((await withTimeout(done, 'send callback')) ?? null, null);
        assert.deepEqual(await closeAndCollect(ws, 3), [
          [true, ''],
          [true, ''],
          [true, ''],
        ]);
      });

      test('a Blob is sent as binary (or text with binary: false), in order with the sends around it', async () => {
        const ws = await client();
        const callbacks = [];
        ws.send('before', () => callbacks.push('before'));
        ws.send(new Blob(['blob one']), (err) => callbacks.push(`blob:${err ?? 'ok'}`));
        ws.send('between');
        ws.send(new Blob(['as text']), { binary: false });
        ws.send(new Blob([]));
        ws.send('after', () => callbacks.push('after'));
        ws.ping(new Blob(['ping blob']));
        assert.deepEqual(await closeAndCollect(ws, 7), [
          [false, 'before'],
          [true, 'blob one'],
          [false, 'between'],
          [false, 'as text'],
          [true, ''],
          [false, 'after'],
          ['ping', 'ping blob'],
        ]);
        assert.deepEqual(callbacks, ['before', 'blob:ok', 'after']);
      });

      test('bufferedAmount counts a Blob until it is written', async () => {
        const ws = await client();
        const before = ws.bufferedAmount;
        const sent = new Promise((resolve) => ws.send(new Blob([Buffer.alloc(1000, 97)]), resolve));
        assert.ok(ws.bufferedAmount >= before + 1000, `bufferedAmount ${ws.bufferedAmount}`);
        await withTimeout(sent, 'blob written');
        await closeAndCollect(ws, 1);
      });

      test("terminate() during a Blob read: CLOSING at once, callbacks in order with ws's error", async () => {
        const ws = await client();
        const calls = [];
        const both = new Promise((resolve) => {
          ws.send(new Blob(['blob']), (err) => calls.push([1, err?.message, ws.readyState]));
          ws.send('behind it', (err) => {
            calls.push([2, err?.message, ws.readyState]);
            resolve();
          });
        });
        const closed = once(ws, 'close');
        ws.terminate();
        assert.equal(ws.readyState, 2);
        await withTimeout(both, 'callbacks');
        const message = 'The socket was closed while the blob was being read';
        assert.deepEqual(calls, [
          [1, message, 2],
          [2, message, 2],
        ]);
        await withTimeout(closed, 'close');
        assert.equal(ws.readyState, 3);
      });

      test("binaryType 'blob' delivers binary messages as Blobs, text as Buffers", async () => {
        received = [];
        const ws = new Client(url, { perMessageDeflate: deflate });
        await withTimeout(once(ws, 'open'), 'open');
        const peer = [...server.clients].at(-1);
        ws.binaryType = 'blob';
        assert.equal(ws.binaryType, 'blob');
        const messages = [];
        const two = new Promise((resolve) =>
          ws.on('message', (data, isBinary) => {
            messages.push([data, isBinary]);
            if (messages.length === 2) resolve();
          }),
        );
        peer.send(Buffer.from([1, 2, 3]));
        peer.send('text');
        await withTimeout(two, 'two messages');
        assert.ok(messages[0][0] instanceof Blob);
        assert.deepEqual([...new Uint8Array(await messages[0][0].arrayBuffer())], [1, 2, 3]);
        assert.ok(Buffer.isBuffer(messages[1][0]));
        assert.equal(messages[1][0].toString(), 'text');
        ws.close();
        await withTimeout(once(ws, 'close'), 'close');
      });

      test("a Blob that cannot be read: the callback gets the reader's error; the connection fails (README: ours sends 1011)", async () => {
        const dir = mkdtempSync(join(tmpdir(), 'wscodec-blob-'));
        const file = join(dir, 'blob.txt');
        writeFileSync(file, 'x'.repeat(64));
        const blob = await openAsBlob(file);
        writeFileSync(file, 'x'.repeat(32)); // the file changed under the Blob: reading it fails
        try {
          const ws = await client();
          const peer = [...server.clients].at(-1);
          const peerClosed = new Promise((resolve) => peer.on('close', resolve));
          const errors = [];
          ws.on('error', (err) => errors.push(err));
          const callbackError = await withTimeout(new Promise((resolve) => ws.send(blob, resolve)), 'send callback');
          assert.equal(callbackError.name, 'NotReadableError');
          await withTimeout(new Promise((resolve) => ws.on('close', resolve)), 'close');
          assert.equal(errors.length, 1);
          if (name === 'wscodec') {
            assert.equal(errors[0].code, 'WS_ERR_BLOB_READ_FAILED');
            assert.equal(errors[0].closeCode, 1011);
            assert.equal(await withTimeout(peerClosed, 'peer close'), 1011);
          } else {
            assert.equal(errors[0].name, 'NotReadableError');
            assert.equal(await withTimeout(peerClosed, 'peer close'), 1006);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      test('terminate() while sends wait calls every callback with an error', async () => {
        const ws = await client();
        const errors = [];
        const big = Buffer.alloc(4 * 1024 * 1024, 120);
        const all = Promise.all([
          new Promise((resolve) =>
            ws.send(big, (err) => {
              errors.push(err?.message ?? 'no error');
              resolve();
            }),
          ),
          new Promise((resolve) =>
            ws.send(new Blob(['x']), (err) => {
              errors.push(err?.message ?? 'no error');
              resolve();
            }),
          ),
          new Promise((resolve) =>
            ws.send('last', (err) => {
              errors.push(err?.message ?? 'no error');
              resolve();
            }),
          ),
        ]);
        const closed = once(ws, 'close');
        ws.terminate();
        await withTimeout(all, 'every callback');
        assert.equal(errors.length, 3);
        if (deflate) {
          // The big message was being compressed: nothing of it, nor of what waited behind it, was written.
          for (const message of errors) assert.equal(message, 'The socket was closed while data was being compressed');
        } else {
          // Nothing waits for a compression: the frames went to the socket, and the Blob was cut off.
          assert.ok(errors.includes('The socket was closed while the blob was being read'), errors.join(' | '));
        }
        await withTimeout(closed, 'close');
      });
    });
  }
}
