// An echo server for the attack tests that also says what happened to each connection:
// `node fixture-server.js '<WebSocketServer options as JSON>'` prints
//   wscodec fixture listening on ws://127.0.0.1:PORT (backend: …)
// then, per connection, `error <n> <closeCode> <code> <message>` for every 'error' event
// and `close <n> <code>` when it closes. SIGTERM stops it.

import { WebSocketServer } from 'wscodec';
import { backend } from 'wscodec/codec';

const options = JSON.parse(process.argv[2] ?? '{}');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
let next = 0;

wss.on('connection', (ws) => {
  const id = ++next;
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', (err) => console.log(`error ${id} ${err.closeCode ?? '-'} ${err.code ?? '-'} ${err.message}`));
  ws.on('close', (code) => console.log(`close ${id} ${code}`));
});

wss.once('listening', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  console.log(`wscodec fixture listening on ws://127.0.0.1:${port} (backend: ${backend})`);
});

process.once('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
});
