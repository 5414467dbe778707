// A server for the transport contract tests, run as a child process so WSCODEC_TRANSPORT
// (read when wscodec loads) picks its transport. It echoes, and takes a few text commands
// from its peers. It prints one JSON line per event on stdout: { event: 'listening', port },
// { event: 'connection', id, transport } (the transport that took the socket: no silent
// fallback goes unseen), { event: 'close', id, code, wasClean }. Ids count connections from 1.
//
// Commands (text messages):
//   blast <count> <size>  send <count> binary messages of <size> deterministic bytes, then
//                         one text message: JSON { sha256, inOrder, peakBuffered } once
//                         every send callback fired (inOrder: callbacks came in send order)
//   close                 start the closing handshake (code 1000)
//   exit                  process.exit(0) with every connection still open

import { createHash } from 'node:crypto';
import { WebSocketServer } from '../../dist/index.js';
import { kWasClean } from '../../dist/node/event-target.js';
import { internalsOf } from '../../dist/node/websocket-internals.js';

const print = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 256 * 1024 * 1024 });
wss.on('listening', () => print({ event: 'listening', port: /** @type {import('node:net').AddressInfo} */ (wss.address()).port }));
let connections = 0;
wss.on('connection', (ws) => {
  const id = ++connections;
  // The core behind the internal handle holds the transport (websocket-core.ts).
  print({ event: 'connection', id, transport: /** @type {any} */ (internalsOf(ws))?.binding?.kind });
  ws.on('error', () => {});
  ws.on('close', (code) => print({ event: 'close', id, code, wasClean: ws[kWasClean] }));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.send(data, { binary: true });
    const [command, ...args] = data.toString().split(' ');
    if (command === 'blast') return blast(ws, Number(args[0]), Number(args[1]));
    if (command === 'close') return ws.close(1000, 'asked');
    if (command === 'exit') return process.exit(0);
    ws.send(data, { binary: false });
  });
});

/** Sends count × size bytes as fast as send() takes them; reports once every callback fired. */
function blast(ws, count, size) {
  const hash = createHash('sha256');
  const fired = [];
  let peakBuffered = 0;
  for (let i = 0; i < count; i++) {
    const message = Buffer.alloc(size, i & 0xff);
    hash.update(message);
    ws.send(message, { binary: true }, (err) => {
      fired.push(err ? -1 : i);
      if (fired.length < count) return;
      const inOrder = fired.every((n, at) => n === at);
      ws.send(JSON.stringify({ sha256: hash.digest('hex'), inOrder, peakBuffered }));
    });
    peakBuffered = Math.max(peakBuffered, ws.bufferedAmount);
  }
}
