#!/usr/bin/env node
// Relay server for bench/broadcast's Redis scenario: wscodec's WebSocketServer + Topics,
// optionally on a Redis backplane (--redis URL). Every connection subscribes to topic 't';
// every message a client sends is published to 't' (binary, unchanged: the load generator
// puts a sequence number in it and times it on its own clock).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function flag(name, fallback) {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return fallback;
  return argv[at].includes('=') ? argv[at].slice(name.length + 1) : argv[at + 1];
}

const port = Number(flag('--port', '0'));
const host = flag('--host', '127.0.0.1');
const redis = flag('--redis', null);

const { WebSocketServer } = await import('wscodec');
const { Topics, createRedisBackplane } = await import('wscodec/topics');
if (typeof Topics !== 'function' || typeof createRedisBackplane !== 'function') {
  throw new Error('wscodec/topics does not export Topics/createRedisBackplane (src/topics/ missing or not built: npm run build:ts)');
}
const backplane = redis ? await createRedisBackplane(redis) : undefined;
const topics = new Topics(backplane ? { backplane } : {});
const wss = new WebSocketServer({ port, host, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  topics.subscribe(ws, 't');
  ws.on('message', (data) => {
    topics.publish('t', data, { binary: true }).catch((err) => console.error(`publish: ${err?.message ?? err}`));
  });
});
wss.on('listening', () => {
  const a = wss.address();
  console.log(
    `wscodec ${require('../../package.json').version} Topics relay${redis ? ` on Redis ${redis}` : ''} listening on ws://${a.address}:${a.port}`,
  );
});
wss.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
