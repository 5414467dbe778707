// Anchor: Deno's Deno.upgradeWebSocket on Deno.serve (fastwebsockets inside), run by the
// Deno binary that bench/e2e/anchors.js fetches. Same flags and the same kind of
// `ws://host:port` line as ws-echo.js; binary echoes as binary and text as text. Configured
// like the others: no permessage-deflate is offered by Deno, and idleTimeout 0 because Deno
// would otherwise ping idle connections and the load generator counts only echoes.
/* global Deno */

function flag(name, fallback) {
  const argv = Deno.args;
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return fallback;
  return argv[at].includes('=') ? argv[at].slice(name.length + 1) : argv[at + 1];
}

Deno.serve(
  {
    port: Number(flag('--port', '0')),
    hostname: flag('--host', '127.0.0.1'),
    onListen: ({ hostname, port }) => console.log(`deno ${Deno.version.deno} echo listening on ws://${hostname}:${port}`),
  },
  (req) => {
    if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('WebSocket upgrade expected', { status: 426 });
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
    // The spec's default is 'blob', whose bytes are only reachable asynchronously.
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (e) => socket.send(e.data);
    socket.onerror = () => {};
    return response;
  },
);
