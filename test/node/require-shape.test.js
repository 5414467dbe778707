// `require('wscodec')` and the ESM default export are shaped like ws's: the WebSocket
// class with ws's statics, so the most common CommonJS line works unchanged. The
// bufferutil alias needs mask/unmask on the same object.

import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as esm from '../../dist/index.js';
import DefaultExport from '../../dist/index.js';

const require = createRequire(import.meta.url);
const ws = require('ws');
// The class with every other named export hung on it (scripts/cjs-entries.js).
/** @type {typeof esm.WebSocket & Omit<typeof esm, 'default'>} */
const ours = require('../../dist/index.cjs');

test("require() gives the WebSocket class, as require('ws') does", () => {
  assert.equal(typeof ws, 'function');
  assert.equal(typeof ours, 'function');
  assert.equal(ours, esm.WebSocket);
  assert.equal(ours.name, 'WebSocket');
});

test("ws's statics are there and are the same objects as the named exports", () => {
  for (const name of ['WebSocket', 'WebSocketServer', 'Server', 'createWebSocketStream']) {
    assert.equal(typeof ws[name], 'function', `ws.${name}`);
    assert.equal(typeof ours[name], 'function', `wscodec.${name}`);
  }
  assert.equal(ours.WebSocket, ours);
  assert.equal(ours.Server, esm.WebSocketServer);
  assert.equal(ours.WebSocketServer, esm.WebSocketServer);
  assert.equal(ours.createWebSocketStream, esm.createWebSocketStream);
  for (const [name, value] of [
    ['CONNECTING', 0],
    ['OPEN', 1],
    ['CLOSING', 2],
    ['CLOSED', 3],
  ]) {
    assert.equal(ours[name], value);
    assert.equal(ws[name], value);
  }
});

test('the common CommonJS lines work', () => {
  const WebSocket = require('../../dist/index.cjs');
  const wss = new WebSocket.Server({ noServer: true });
  assert.ok(wss instanceof esm.WebSocketServer);
  const { WebSocketServer, createWebSocketStream } = require('../../dist/index.cjs');
  assert.equal(WebSocketServer, esm.WebSocketServer);
  assert.equal(createWebSocketStream, esm.createWebSocketStream);
  wss.close();
});

test('the ESM default export is the same class with the same statics', () => {
  assert.equal(DefaultExport, esm.WebSocket);
  assert.equal(DefaultExport.Server, esm.WebSocketServer);
  assert.equal(DefaultExport.createWebSocketStream, esm.createWebSocketStream);
});

test("bufferutil's shape is reachable (mask, unmask) and works", () => {
  assert.equal(ours.mask, esm.mask);
  assert.equal(ours.unmask, esm.unmask);
  const key = Buffer.from([1, 2, 3, 4]);
  const out = Buffer.alloc(6);
  ours.mask(Buffer.from('abcdef'), key, out, 0, 6);
  ours.unmask(out, key);
  assert.equal(out.toString(), 'abcdef');
});

test('the codec names stay reachable from require() too', () => {
  assert.equal(ours.FrameDecoder, esm.FrameDecoder);
  assert.equal(ours.encodeFrame, esm.encodeFrame);
  assert.equal(ours.broadcast, esm.broadcast);
});
