// The floor for idle memory: a plain node:http server that completes the WebSocket
// handshake and then only holds the socket (no WebSocket library at all; it answers only
// the harness's single warm-up echo). What any
// Node WebSocket server pays per idle connection before its own objects. Run as
// `node bench/e2e/run.js --only idle-memory --server-a "node bench/e2e/hold-server.js --port 0"`.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const host = flag('--host', '127.0.0.1');
const held = new Set();
const server = createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', (req, socket) => {
  const accept = createHash('sha1')
    .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  held.add(socket);
  // The harness warms a server up with one small echo per connection; answer exactly
  // that (one masked frame under 126 bytes per read) and nothing more.
  socket.on('data', (chunk) => {
    const length = chunk[1] & 0x7f;
    if (length > 125 || chunk.length !== 6 + length) return;
    const reply = Buffer.alloc(2 + length);
    reply[0] = chunk[0];
    reply[1] = length;
    for (let i = 0; i < length; i++) reply[2 + i] = chunk[6 + i] ^ chunk[2 + (i & 3)];
    socket.write(reply);
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => held.delete(socket));
});
server.listen(Number(flag('--port', '0')), host, () => {
  console.log(`bare upgrade-and-hold server listening on ws://${host}:${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
