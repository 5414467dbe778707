#!/usr/bin/env node
// The baseline echo server: the installed ws with bufferutil, configured the way the
// wscodec CLI is (no permessage-deflate, large maxPayload), started with the same flags
// (`--port N --host H`) and announcing itself with the same `ws://host:port` line.

import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function flag(name, fallback) {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return fallback;
  return argv[at].includes('=') ? argv[at].slice(name.length + 1) : argv[at + 1];
}

// ws swallows a failed require('bufferutil') and falls back to its JS loop, and it prefers
// http.websocketMask where Node has one; either would make this a different baseline.
if (process.env.WS_NO_BUFFER_UTIL) throw new Error('ws-echo: WS_NO_BUFFER_UTIL is set; the baseline is ws + bufferutil');
if (typeof require('node:http').websocketMask === 'function') {
  throw new Error('ws-echo: this Node has http.websocketMask, which ws uses instead of bufferutil');
}
const wsEntry = require.resolve('ws');
const bufferutilEntry = createRequire(wsEntry).resolve('bufferutil'); // what ws itself would load
const { WebSocketServer } = require('ws');
const addon = Object.keys(require.cache).find((k) => k.startsWith(path.dirname(bufferutilEntry)) && k.endsWith('.node'));
if (!require.cache[bufferutilEntry] || !addon) {
  throw new Error(`ws-echo: ws did not load bufferutil's native addon (${bufferutilEntry})`);
}

const port = Number(flag('--port', '0'));
const host = flag('--host', '127.0.0.1');
const wss = new WebSocketServer({ port, host, maxPayload: 64 * 1024 * 1024, perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => ws.terminate());
});
wss.on('listening', () => {
  const a = wss.address();
  console.log(`ws ${require('ws/package.json').version} + bufferutil echo listening on ws://${a.address}:${a.port}`);
});
wss.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
