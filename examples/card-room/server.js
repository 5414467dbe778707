// The card room server: GET / serves index.html and / upgrades to the room's WebSocket.
// Run it with `node examples/card-room/server.js --port 8080 [--host 127.0.0.1] [--redis URL]`.
// With --redis (the `redis` option) every process started with the same URL serves one
// shared room, kept in Redis (redis-store.js; README.md, "Sharing a room through Redis").
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
import { RoomError } from './room.js';
import { LocalRoomStore } from './local-store.js';

/** Far above any sane card message; a larger frame closes the connection with 1009. */
export const MAX_PAYLOAD = 16 * 1024;
const OPEN = 1; // WebSocket.OPEN in every implementation
const CLOSE_GRACE_MS = 1000;

/**
 * Starts a room on its own HTTP server; resolves once it is listening (with `redis`, once
 * it is also connected to the shared room; rejects if Redis cannot be reached).
 * @param {{port?: number, host?: string, redis?: string, redisPrefix?: string,
 *   heartbeatMs?: number, peerTimeoutMs?: number, log?: (line: string) => void}} [options]
 *   port 0 picks a free port; redis: a redis:// URL to share the room through
 * @returns {Promise<{url: string, httpUrl: string, port: number, processId?: string, close(): Promise<void>}>}
 */
export async function startCardRoom(options = {}) {
  const { port = 8080, host = '127.0.0.1' } = options;
  const log = options.log ?? ((line) => console.error(`card room: ${line}`));
  const page = await readFile(new URL('./index.html', import.meta.url));
  /** @type {Map<import('wscodec').WebSocket, number>} sockets that have joined → their cid */
  const members = new Map();
  /** Sockets whose join is being committed (a shared room commits asynchronously). */
  const joining = new Set();

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
  const deliver = (text) => {
    for (const client of wss.clients) if (client.readyState === OPEN) client.send(text);
  };
  const store = options.redis
    ? await (
        await import('./redis-store.js')
      ).RedisRoomStore.connect({
        url: options.redis,
        prefix: options.redisPrefix,
        heartbeatMs: options.heartbeatMs,
        peerTimeoutMs: options.peerTimeoutMs,
        localCids: () => new Set(members.values()),
        deliver,
        log,
      })
    : new LocalRoomStore({ deliver });
  /** Takes `cid` out of the room if it is still there (a shared room may have done it already). */
  const leave = (cid) =>
    store.change((room) => {
      if (!room.has(cid)) return null;
      room.leave(cid);
      return { msg: `Player ${cid} left`, cid };
    });

  /**
   * Applies one client message; rejects with RoomError for anything the client got wrong
   * (or, in a shared room, when Redis is unreachable).
   */
  const handle = async (ws, raw, isBinary) => {
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
      if (joining.has(ws)) throw new RoomError('already joining');
      joining.add(ws);
      try {
        await store.change((room) => {
          const cid = room.join();
          const afterCommit = () => {
            // Closed while the join was committed: the player leaves at once.
            if (ws.readyState !== OPEN) return void leave(cid).catch(() => {});
            members.set(ws, cid);
            reply(ws, { act: 'server:register', data: { cid } });
          };
          return { msg: `Player ${cid} joined`, cid, joined: cid, afterCommit };
        });
      } finally {
        joining.delete(ws);
      }
      return;
    }
    if (own === undefined) throw new RoomError('join first (client:join)');
    // The connection decides who is acting; a different cid is a client bug worth reporting.
    if (cid !== own) throw new RoomError(`cid ${JSON.stringify(cid)} is not this connection's (${own})`);
    await store.change((room) => MOVES[act](room, own, data, ws));
  };
  /** What each act after joining does to the room, and the line everyone reads about it. */
  const MOVES = {
    'client:leave': (room, cid, _data, ws) => {
      room.leave(cid);
      return { msg: `Player ${cid} left`, cid, afterCommit: () => members.delete(ws) };
    },
    'client:add': (room, cid, data) => {
      const card = room.add(cid, data);
      return { msg: `Player ${cid} played ${card.count} × ${card.title}`, cid, card };
    },
    'client:update': (room, cid, data) => {
      const card = room.update(cid, data);
      return { msg: `Player ${cid} changed ${card.title} to ${card.count}`, cid, card };
    },
    'client:remove': (room, cid, data) => {
      const card = room.remove(cid, data);
      return { msg: `Player ${cid} took back ${card.title}`, cid, card };
    },
    'client:win': (room, cid) => {
      const cards = room.win(cid);
      return { msg: `Player ${cid} wins with ${cards.length} card${cards.length === 1 ? '' : 's'}!`, cid };
    },
  };
  const refuse = (ws, err) => {
    // A bug of ours must not take the room down either; the client learns only that much.
    if (!(err instanceof RoomError)) log(`internal error: ${err?.stack ?? err}`);
    reply(ws, { act: 'server:error', msg: err instanceof RoomError ? err.message : 'internal error' });
  };

  wss.on('connection', (ws) => {
    ws.on('error', () => {}); // protocol errors (e.g. 1009) are followed by 'close'
    ws.on('message', (raw, isBinary) => {
      handle(ws, raw, isBinary).catch((err) => refuse(ws, err));
    });
    ws.on('close', () => {
      const cid = members.get(ws);
      if (cid === undefined) return;
      members.delete(ws);
      // If Redis is down this fails; the shared room's reconciling removes the player later.
      leave(cid).catch(() => {});
    });
  });

  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await store.close(); // e.g. the port is taken: leave no Redis connection behind
    throw err;
  }
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url: `ws://${authority}/`,
    httpUrl: `http://${authority}/`,
    port: actualPort,
    processId: /** @type {{ id?: string }} */ (store).id, // only a shared (Redis) room has one
    close: () => closeAll(server, wss, store),
  };
}

const ACTS = ['client:join', 'client:leave', 'client:add', 'client:update', 'client:remove', 'client:win'];

/** Closes every room connection (1001), then the WebSocket and HTTP servers. */
async function closeAll(server, wss, store) {
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
  await store.close(); // a shared room: this process's players leave it
}

// Standalone: `node server.js --port N`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      redis: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
    process.exit(2);
  }
  if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis)) {
    console.error(`--redis must be a redis:// or rediss:// URL, got ${values.redis}`);
    process.exit(2);
  }
  let room;
  try {
    room = await startCardRoom({ port, host: values.host, redis: values.redis });
  } catch (err) {
    console.error(`card room: cannot start: ${err.message}`);
    process.exit(1);
  }
  const shared = values.redis ? `, shared through redis ${values.redis} as ${room.processId}` : '';
  console.log(`card room on ${room.httpUrl} (WebSocket ${room.url}${shared})`);
  const stop = () => room.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
