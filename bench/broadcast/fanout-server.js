#!/usr/bin/env node
// Fan-out server for bench/broadcast: every WebSocket that connects subscribes to one topic;
// an HTTP request on the same port (`GET /publish?size=N&ms=T&batch=B`) makes the server
// publish the same N-byte binary message to all of them for T ms, then answers with how many
// messages it published. All contenders run this same file, the same pacing and the same
// backpressure policy (see pump()); only the publish call differs:
//   --impl wscodec  wscodec's WebSocketServer + Topics.publish('t', data)
//   --impl ws       ws + bufferutil, wss.clients.forEach((c) => c.send(data))
//   --impl ws-js    the same with ws's pure-JS path (WS_NO_BUFFER_UTIL=1, set here)
// Announces itself with a `ws://host:port` line like bench/e2e's echo servers.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { payloadOf } from '../e2e/wire.js';
import { loadBufferutil } from '../ws-instances.js';

const require = createRequire(import.meta.url);

function flag(name, fallback) {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return fallback;
  return argv[at].includes('=') ? argv[at].slice(name.length + 1) : argv[at + 1];
}

const impl = flag('--impl', 'wscodec');
const port = Number(flag('--port', '0'));
const host = flag('--host', '127.0.0.1');

// Backpressure, identical for all servers: after every batch of publishes the loop yields
// to the event loop (setImmediate, so sockets flush), and while any subscriber has more
// than HIGH_WATER bytes queued in user space it keeps yielding instead of publishing.
const HIGH_WATER = 64 * 1024;
const immediate = () => new Promise((resolve) => setImmediate(resolve));

const http = createServer();
let clients; // Set of open sockets (the servers' own client tracking)
let publishOne; // (data) => void
let banner;

/**
 * Whether ws's masking reaches bufferutil's native addon: ws chooses once, when its
 * lib/buffer-util.js is first required, and swallows a failed require('bufferutil'), so
 * only a call through ws's own unmask (large enough to pass its JS threshold) tells.
 */
function wsReachesBufferutil() {
  const { native } = loadBufferutil(); // throws unless bufferutil is the compiled addon
  const wsBufferUtil = require(path.join(path.dirname(require.resolve('ws/package.json')), 'lib', 'buffer-util.js'));
  const { unmask } = native;
  let calls = 0;
  native.unmask = (...args) => (calls++, unmask(...args));
  try {
    wsBufferUtil.unmask(Buffer.alloc(1024), Buffer.from([1, 2, 3, 4]));
  } finally {
    native.unmask = unmask;
  }
  return calls > 0;
}

/** ws's WebSocketServer, verified to run with bufferutil's native addon or without it. */
function checkedWs(withBufferutil) {
  if (typeof require('node:http').websocketMask === 'function')
    throw new Error('this Node has http.websocketMask, which ws uses instead of bufferutil or its JS path');
  // The flag decides, not whatever environment run.js or a shell passed down.
  if (withBufferutil) delete process.env.WS_NO_BUFFER_UTIL;
  else process.env.WS_NO_BUFFER_UTIL = '1';
  const { WebSocketServer } = require('ws');
  if (wsReachesBufferutil() !== withBufferutil)
    throw new Error(`ws ${withBufferutil ? 'does not reach' : 'reaches'} the bufferutil native addon`);
  return WebSocketServer;
}

if (impl === 'ws' || impl === 'ws-js') {
  const withBufferutil = impl === 'ws';
  const WebSocketServer = checkedWs(withBufferutil);
  const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024 * 1024, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('error', () => ws.terminate()));
  clients = wss.clients;
  // The usual ws broadcast.
  publishOne = (data) => wss.clients.forEach((c) => c.send(data));
  banner = `ws ${require('ws/package.json').version} ${withBufferutil ? '+ bufferutil' : 'pure JS (WS_NO_BUFFER_UTIL=1)'} fan-out`;
} else if (impl === 'wscodec') {
  const wscodec = await import('wscodec');
  const { Topics } = await import('wscodec/topics');
  if (typeof Topics !== 'function')
    throw new Error('wscodec/topics does not export Topics (src/topics/topics.ts missing or not built: npm run build:ts)');
  const wss = new wscodec.WebSocketServer({ server: http, perMessageDeflate: false });
  const topics = new Topics();
  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate());
    topics.subscribe(ws, 't');
  });
  clients = wss.clients;
  publishOne = (data) => void topics.publish('t', data);
  banner = `wscodec ${require('../../package.json').version} Topics fan-out`;
} else if (impl === 'wscodec-broadcast') {
  // Development aid (not part of the report): wscodec's broadcast() without Topics.
  const wscodec = await import('wscodec');
  const wss = new wscodec.WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('error', () => ws.terminate()));
  clients = wss.clients;
  publishOne = (data) => void wscodec.broadcast(wss.clients, data);
  banner = `wscodec ${require('../../package.json').version} broadcast() fan-out`;
} else {
  throw new Error(`--impl: unknown implementation ${impl}`);
}

function maxBuffered() {
  let max = 0;
  for (const c of clients) if (c.bufferedAmount > max) max = c.bufferedAmount;
  return max;
}

let busy = false;
async function pump(size, ms, batch) {
  const data = payloadOf(size);
  const end = performance.now() + ms;
  let messages = 0;
  let stalls = 0;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) publishOne(data);
    messages += batch;
    await immediate();
    while (maxBuffered() > HIGH_WATER) {
      stalls++;
      await immediate();
    }
  }
  return { messages, stalls, subscribers: clients.size };
}

http.on('request', (req, res) => {
  const url = new URL(req.url, 'http://x');
  const reply = (code, body) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname !== '/publish') return reply(404, { error: 'not found' });
  if (busy) return reply(409, { error: 'already publishing' });
  const size = Number(url.searchParams.get('size'));
  const ms = Number(url.searchParams.get('ms'));
  const batch = Number(url.searchParams.get('batch') ?? 1);
  if (!(size >= 0 && ms > 0 && batch >= 1)) return reply(400, { error: 'size, ms and batch needed' });
  busy = true;
  pump(size, ms, batch).then(
    (r) => ((busy = false), reply(200, r)),
    (err) => ((busy = false), reply(500, { error: String(err?.message ?? err) })),
  );
});

http.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
http.listen(port, host, () => {
  const a = http.address();
  console.log(`${banner} listening on ws://${a.address}:${a.port}`);
});
