// Anchor: Bun's built-in WebSocket server (uWebSockets inside), run by the Bun binary that
// bench/e2e/anchors.js fetches. Same flags and the same kind of `ws://host:port` line as
// ws-echo.js; binary echoes as binary and text as text. Configured like the others: no
// permessage-deflate, 64 MiB maxPayload, and no idle timeout, because Bun would otherwise
// ping idle connections and the load generator counts only echoes.
/* global Bun */

function flag(name, fallback) {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return fallback;
  return argv[at].includes('=') ? argv[at].slice(name.length + 1) : argv[at + 1];
}

const hostname = flag('--host', '127.0.0.1');
const server = Bun.serve({
  port: Number(flag('--port', '0')),
  hostname,
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response('WebSocket upgrade expected', { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    maxPayloadLength: 64 * 1024 * 1024,
    idleTimeout: 0,
    sendPings: false,
    // A string arrives for a text message and a Buffer for a binary one; send keeps that.
    message(ws, data) {
      ws.send(data);
    },
  },
});
console.log(`bun ${Bun.version} echo listening on ws://${hostname}:${server.port}`);
