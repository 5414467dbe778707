// The card room server: GET / serves index.html and / upgrades to the room's WebSocket.
// Run it with `node examples/card-room/server.js --port 8080 [--host 127.0.0.1]`.
//
// Protocol (JSON text frames):
//   client → server  {act, cid, data}  act: client:join | client:leave | client:add |
//                                            client:update | client:remove | client:win
//   server → client  {act: 'server:register', data: {cid}}            the joiner only
//                    {act: 'server:broadcast', msg, data: {cid, card, cards}}  everyone
//                    {act: 'server:error', msg}                         the offender only
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
// Package self-reference: this example lives inside the wscodec package.
import { WebSocketServer } from 'wscodec';
import { Room, RoomError } from './room.js';

/** Far above any sane card message; a larger frame closes the connection with 1009. */
export const MAX_PAYLOAD = 16 * 1024;
const OPEN = 1; // WebSocket.OPEN in every implementation
const CLOSE_GRACE_MS = 1000;

/**
 * Starts a room on its own HTTP server; resolves once it is listening.
 * @param {{port?: number, host?: string}} [options] port 0 picks a free port
 * @returns {Promise<{url: string, httpUrl: string, port: number, close(): Promise<void>}>}
 */
export async function startCardRoom({ port = 8080, host = '127.0.0.1' } = {}) {
  const page = await readFile(new URL('./index.html', import.meta.url));
  const room = new Room();
  /** @type {Map<import('wscodec').WebSocket, number>} sockets that have joined → their cid */
  const members = new Map();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
  });
  const wss = new WebSocketServer({ server, path: '/', maxPayload: MAX_PAYLOAD });
  // The HTTP server's errors are re-emitted here; listen errors reject below instead.
  wss.on('error', () => {});

  const reply = (ws, message) => {
    if (ws.readyState === OPEN) ws.send(JSON.stringify(message));
  };
  // Everyone connected sees the room, joined or not, so a page can watch before joining.
  const broadcast = (msg, cid, card = null) => {
    const text = JSON.stringify({ act: 'server:broadcast', msg, data: { cid, card, cards: room.cards() } });
    for (const client of wss.clients) if (client.readyState === OPEN) client.send(text);
  };
  const leave = (ws, cid) => {
    members.delete(ws);
    room.leave(cid);
    broadcast(`Player ${cid} left`, cid);
  };

  /** Applies one client message; throws RoomError for anything the client got wrong. */
  const handle = (ws, raw, isBinary) => {
    if (isBinary) throw new RoomError('binary messages are not supported; send JSON text');
    let message;
    try {
      message = JSON.parse(String(raw));
    } catch {
      throw new RoomError('malformed JSON');
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new RoomError('a message must be a JSON object {act, cid, data}');
    }
    const { act, cid, data } = message;
    if (typeof act !== 'string' || !ACTS.includes(act)) {
      throw new RoomError(`unknown act ${JSON.stringify(act)}`);
    }
    const own = members.get(ws);
    if (act === 'client:join') {
      if (own !== undefined) throw new RoomError(`already joined as player ${own}`);
      const newCid = room.join();
      members.set(ws, newCid);
      reply(ws, { act: 'server:register', data: { cid: newCid } });
      broadcast(`Player ${newCid} joined`, newCid);
      return;
    }
    if (own === undefined) throw new RoomError('join first (client:join)');
    // The connection decides who is acting; a different cid is a client bug worth reporting.
    if (cid !== own) throw new RoomError(`cid ${JSON.stringify(cid)} is not this connection's (${own})`);
    switch (act) {
      case 'client:leave':
        leave(ws, own);
        return;
      case 'client:add': {
        const card = room.add(own, data);
        broadcast(`Player ${own} played ${card.count} × ${card.title}`, own, card);
        return;
      }
      case 'client:update': {
        const card = room.update(own, data);
        broadcast(`Player ${own} changed ${card.title} to ${card.count}`, own, card);
        return;
      }
      case 'client:remove': {
        const card = room.remove(own, data);
        broadcast(`Player ${own} took back ${card.title}`, own, card);
        return;
      }
      case 'client:win': {
        const cards = room.win(own);
        broadcast(`Player ${own} wins with ${cards.length} card${cards.length === 1 ? '' : 's'}!`, own);
        return;
      }
    }
  };

  wss.on('connection', (ws) => {
    ws.on('error', () => {}); // protocol errors (e.g. 1009) are followed by 'close'
    ws.on('message', (raw, isBinary) => {
      try {
        handle(ws, raw, isBinary);
      } catch (err) {
        // A bug of ours must not take the room down either; the client learns only that much.
        if (!(err instanceof RoomError)) console.error('card room: internal error', err);
        reply(ws, { act: 'server:error', msg: err instanceof RoomError ? err.message : 'internal error' });
      }
    });
    ws.on('close', () => {
      const cid = members.get(ws);
      if (cid !== undefined) leave(ws, cid);
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url: `ws://${authority}/`,
    httpUrl: `http://${authority}/`,
    port: actualPort,
    close: () => closeAll(server, wss),
  };
}

const ACTS = ['client:join', 'client:leave', 'client:add', 'client:update', 'client:remove', 'client:win'];

/** Closes every room connection (1001), then the WebSocket and HTTP servers. */
async function closeAll(server, wss) {
  // wss.close() leaves open connections alone (ws 8 semantics), and server.close() waits
  // for them, upgraded sockets included.
  const clients = [...wss.clients];
  for (const client of clients) client.close(1001, 'server shutting down');
  const stragglers = setTimeout(() => clients.forEach((client) => client.terminate()), CLOSE_GRACE_MS);
  stragglers.unref();
  await new Promise((resolve) => wss.close(() => resolve()));
  server.closeAllConnections(); // HTTP keep-alive connections; upgraded ones are not in it
  await new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  clearTimeout(stragglers);
}

// Standalone: `node server.js --port N`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
    process.exit(2);
  }
  const room = await startCardRoom({ port, host: values.host });
  console.log(`card room on ${room.httpUrl} (WebSocket ${room.url})`);
  const stop = () => room.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
