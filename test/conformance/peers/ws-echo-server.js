// ws's echo server, for calibrating the harness: ws's Autobahn results are known, so
// the harness must reproduce them. Prints the same "listening on ws://…" line as
// `wscodec echo`. Options mirror the ones the conformance run gives wscodec.
// ws 8.23 added a default limit of 16384 fragments per message, which refuses 9.3.1 and
// 9.4.1 (65536 fragments of 64 bytes) with 1008; ws's published Autobahn score predates
// it, so calibration turns it off (maxFragments: 0).
import { WebSocketServer } from 'ws';

const maxPayload = Number(process.env.MAX_PAYLOAD ?? 16 * 1024 * 1024);
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload, maxFragments: 0, perMessageDeflate: { threshold: 0 } });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.on('listening', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`ws echo server listening on ws://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
