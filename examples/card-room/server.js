// The card room server: GET / serves index.html and / upgrades to the room's WebSocket.
// Run it with `node examples/card-room/server.js --port 8080 [--host 127.0.0.1] [--redis URL]`.
//
// With --redis (or the `redis` option) several processes share one room: every action is
// published on one Redis channel and applied by every process, the publisher included, in
// the order Redis delivers it (see README.md, "Sharing a room through Redis").
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
import { randomBytes } from 'node:crypto';
// Package self-reference: this example lives inside the wscodec package.
import { WebSocketServer, createRedisBackplane } from 'wscodec';
import { Room, RoomError } from './room.js';

/** Far above any sane card message; a larger frame closes the connection with 1009. */
export const MAX_PAYLOAD = 16 * 1024;
const OPEN = 1; // WebSocket.OPEN in every implementation
const CLOSE_GRACE_MS = 1000;
/** The one Redis channel (under the backplane prefix) that orders a shared room's actions. */
export const ROOM_TOPIC = 'card-room';
export const REDIS_DOWN = 'the room is unavailable: its Redis connection is down; try again shortly';

/**
 * Starts a room on its own HTTP server; resolves once it is listening (and, with `redis`,
 * connected and synchronised with the processes already sharing the room).
 * @param {{port?: number, host?: string, redis?: string, redisPrefix?: string,
 *   heartbeatMs?: number, peerTimeoutMs?: number, syncTimeoutMs?: number,
 *   log?: (line: string) => void}} [options] port 0 picks a free port
 * @returns {Promise<{url: string, httpUrl: string, port: number, tag?: string, close(): Promise<void>}>}
 */
export async function startCardRoom(options = {}) {
  const { port = 8080, host = '127.0.0.1' } = options;
  const page = await readFile(new URL('./index.html', import.meta.url));
  const room = new Room();
  /** @type {Map<import('wscodec').WebSocket, Conn>} every open connection, joined or not */
  const conns = new Map();
  let nextConnId = 1;

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
    if (ws && ws.readyState === OPEN) ws.send(JSON.stringify(message));
  };
  // Everyone connected sees the room, joined or not, so a page can watch before joining.
  const broadcast = (msg, cid, card = null) => {
    const text = JSON.stringify({ act: 'server:broadcast', msg, data: { cid, card, cards: room.cards() } });
    for (const client of wss.clients) if (client.readyState === OPEN) client.send(text);
  };

  /**
   * Applies one action {act, cid, data} to the room and broadcasts it; throws RoomError.
   * `conn` is the acting connection when it is on this process (it gets register/errors).
   * Alone, actions are applied as they arrive; shared, in the order Redis delivers them.
   */
  const apply = ({ act, cid, data }, conn) => {
    switch (act) {
      case 'client:join': {
        const newCid = room.join(cid); // alone: cid is undefined and the room numbers players
        if (conn) {
          conn.joining = false;
          conn.cid = newCid;
          reply(conn.ws, { act: 'server:register', data: { cid: newCid } });
        }
        broadcast(`Player ${newCid} joined`, newCid);
        return newCid;
      }
      case 'client:leave':
        if (conn?.cid === cid) conn.cid = undefined;
        if (!room.has(cid)) return; // e.g. a leave repeated after an outage
        room.leave(cid);
        broadcast(`Player ${cid} left`, cid);
        return;
      case 'client:add': {
        const card = room.add(cid, data);
        broadcast(`Player ${cid} played ${card.count} × ${card.title}`, cid, card);
        return;
      }
      case 'client:update': {
        const card = room.update(cid, data);
        broadcast(`Player ${cid} changed ${card.title} to ${card.count}`, cid, card);
        return;
      }
      case 'client:remove': {
        const card = room.remove(cid, data);
        broadcast(`Player ${cid} took back ${card.title}`, cid, card);
        return;
      }
      case 'client:win': {
        const cards = room.win(cid);
        broadcast(`Player ${cid} wins with ${cards.length} card${cards.length === 1 ? '' : 's'}!`, cid);
        return;
      }
    }
  };

  const shared = options.redis === undefined ? null : await shareRoom({ ...options, room, conns, apply, reply, broadcast });
  /** Alone: apply now (RoomError is thrown to the caller). Shared: publish; applied on arrival. */
  const submit = (conn, action) => (shared ? shared.submit(conn, action) : apply(action, conn));

  /** Checks one client message and submits it; throws RoomError for anything the client got wrong. */
  const handle = (conn, raw, isBinary) => {
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
    const own = conn.cid;
    if (act === 'client:join') {
      if (own !== undefined) throw new RoomError(`already joined as player ${own}`);
      if (conn.joining) throw new RoomError('already joining');
      submit(conn, { act });
      return;
    }
    if (own === undefined) throw new RoomError('join first (client:join)');
    // The connection decides who is acting; a different cid is a client bug worth reporting.
    if (cid !== own) throw new RoomError(`cid ${JSON.stringify(cid)} is not this connection's (${own})`);
    submit(conn, { act, cid: own, data });
  };

  wss.on('connection', (ws) => {
    /** @type {Conn} */
    const conn = { id: nextConnId++, ws, cid: undefined, joining: false };
    conns.set(ws, conn);
    ws.on('error', () => {}); // protocol errors (e.g. 1009) are followed by 'close'
    ws.on('message', (raw, isBinary) => {
      try {
        handle(conn, raw, isBinary);
      } catch (err) {
        // A bug of ours must not take the room down either; the client learns only that much.
        if (!(err instanceof RoomError)) console.error('card room: internal error', err);
        reply(ws, { act: 'server:error', msg: err instanceof RoomError ? err.message : 'internal error' });
      }
    });
    ws.on('close', () => {
      conns.delete(ws);
      if (conn.cid === undefined) return;
      if (shared) shared.leave(conn.cid);
      else apply({ act: 'client:leave', cid: conn.cid }, conn);
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
    await shared?.close();
    throw err;
  }
  const actualPort = server.address().port;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url: `ws://${authority}/`,
    httpUrl: `http://${authority}/`,
    port: actualPort,
    tag: shared?.tag,
    close: async () => {
      await shared?.announceExit();
      try {
        await closeAll(server, wss);
      } finally {
        await shared?.close();
      }
    },
  };
}

/**
 * @typedef {{id: number, ws: import('wscodec').WebSocket, cid: number | string | undefined,
 *   joining: boolean, pendingCid?: string}} Conn
 */

/**
 * The Redis side of a shared room. Messages on ROOM_TOPIC (JSON):
 *   {t: 'act', from, ref, act, cid, data}  an action; applied by everyone on arrival
 *   {t: 'drop', tag}                       remove every player of process `tag` (ordered too)
 *   {t: 'sync', from, nonce}               a starting process asks for the state...
 *   {t: 'snapshot', to, nonce, state}      ...as of the sync's place in the order
 *   {t: 'beat', from}                      "process `from` is alive"
 */
async function shareRoom({ redis, redisPrefix, room, conns, apply, reply, broadcast, ...options }) {
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const peerTimeoutMs = options.peerTimeoutMs ?? 3 * heartbeatMs;
  const syncTimeoutMs = options.syncTimeoutMs ?? 1000;
  const log = options.log ?? ((line) => console.error(line));
  const tag = randomBytes(3).toString('hex');
  const backplane = await createRedisBackplane(redis, redisPrefix === undefined ? {} : { prefix: redisPrefix });
  backplane.on('error', () => {}); // outages are reported by 'reconnecting' below
  const publish = (message) =>
    backplane.publish(ROOM_TOPIC, { origin: tag, binary: false, data: Buffer.from(JSON.stringify(message)) });

  let up = true;
  let upSince = Date.now();
  let closing = false;
  let nextLocal = 1;
  /** 'waiting' for our own sync to come back → 'buffering' until a snapshot → 'live' */
  let phase = 'waiting';
  const buffered = [];
  const lastSeen = new Map(); // process tag → Date.now() of its last message
  const dropSent = new Map(); // process tag → when we last asked to drop it
  const pendingLeaves = new Set(); // cids whose leave could not be published yet

  const connById = (id) => {
    for (const conn of conns.values()) if (conn.id === id) return conn;
    return undefined;
  };
  const tagOf = (cid) => (typeof cid === 'string' ? cid.slice(0, cid.lastIndexOf('-')) : undefined);

  const leave = (cid) => {
    if (!up || closing) {
      pendingLeaves.add(cid);
      return;
    }
    pendingLeaves.delete(cid);
    publish({ t: 'act', from: tag, ref: null, act: 'client:leave', cid }).catch(() => pendingLeaves.add(cid));
  };

  const applyAct = (m) => {
    const conn = m.from === tag && m.ref !== null ? connById(m.ref) : undefined;
    try {
      apply({ act: m.act, cid: m.cid, data: m.data }, conn);
      // Our player's socket closed before its join came back: it must leave again.
      if (m.act === 'client:join' && m.from === tag && conn === undefined) leave(m.cid);
    } catch (err) {
      if (conn && m.act === 'client:join') conn.joining = false;
      if (!(err instanceof RoomError)) console.error('card room: internal error', err);
      if (conn) reply(conn.ws, { act: 'server:error', msg: err instanceof RoomError ? err.message : 'internal error' });
    }
  };

  const applyDrop = (dropped) => {
    for (const { cid } of room.cards()) {
      if (tagOf(cid) !== dropped) continue;
      room.leave(cid);
      broadcast(`Player ${cid} left (its server stopped responding)`, cid);
      if (dropped !== tag) continue;
      // We were cut off long enough for the others to give up on us (or we are closing).
      for (const conn of conns.values()) {
        if (conn.cid !== cid) continue;
        conn.cid = undefined;
        if (!closing) reply(conn.ws, { act: 'server:error', msg: 'this server lost contact with the room; join again' });
      }
    }
  };

  let goLive;
  const live = new Promise((resolve) => (goLive = resolve));
  const startLive = (state) => {
    if (phase === 'live') return;
    if (state) room.restore(state);
    phase = 'live';
    upSince = Date.now();
    for (const m of buffered.splice(0)) (m.t === 'act' ? applyAct : (x) => applyDrop(x.tag))(m);
    goLive();
  };

  const nonce = randomBytes(6).toString('hex');
  backplane.onMessage((_topic, { data }) => {
    let m;
    try {
      m = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      return;
    }
    if (typeof m?.from === 'string') lastSeen.set(m.from, Date.now());
    if (phase === 'waiting') {
      // Everything before our own sync is in the snapshot we are about to get.
      if (m.t === 'sync' && m.from === tag && m.nonce === nonce) phase = 'buffering';
      return;
    }
    if (phase === 'buffering') {
      if (m.t === 'snapshot' && m.to === tag && m.nonce === nonce) startLive(m.state);
      else if (m.t === 'act' || m.t === 'drop') buffered.push(m);
      return;
    }
    if (m.t === 'act') applyAct(m);
    else if (m.t === 'drop') applyDrop(m.tag);
    else if (m.t === 'sync' && m.from !== tag) {
      // Our state right now is the state at the sync's place in the order.
      publish({ t: 'snapshot', from: tag, to: m.from, nonce: m.nonce, state: room.snapshot() }).catch(() => {});
    }
  });
  await backplane.subscribe(ROOM_TOPIC);

  backplane.on('reconnecting', () => {
    if (!up || closing) return;
    up = false;
    log(`card room: redis ${redis} unavailable; actions are refused until it is back`);
    // A join in flight may never come back; let the player retry, and make sure the
    // proposed cid leaves again in case some process did apply it.
    for (const conn of conns.values()) {
      if (!conn.joining) continue;
      conn.joining = false;
      pendingLeaves.add(conn.pendingCid);
      reply(conn.ws, { act: 'server:error', msg: REDIS_DOWN });
    }
  });
  backplane.on('ready', () => {
    if (up || closing) return;
    up = true;
    upSince = Date.now();
    log(`card room: redis ${redis} is back`);
    for (const cid of [...pendingLeaves]) leave(cid);
  });

  // Heartbeats, and dropping the players of processes that went silent.
  const beat = setInterval(() => {
    if (closing) return;
    publish({ t: 'beat', from: tag }).catch(() => {});
    if (!up || phase !== 'live') return;
    const now = Date.now();
    for (const { cid } of room.cards()) {
      const other = tagOf(cid);
      if (other === undefined || other === tag) continue;
      const seen = Math.max(lastSeen.get(other) ?? 0, upSince);
      if (now - seen <= peerTimeoutMs || now - (dropSent.get(other) ?? 0) <= peerTimeoutMs) continue;
      dropSent.set(other, now);
      publish({ t: 'drop', from: tag, tag: other }).catch(() => {});
    }
  }, heartbeatMs);
  beat.unref();

  // Join the room's order: ask for the state and wait for it (or start empty if nobody answers).
  try {
    await publish({ t: 'sync', from: tag, nonce });
  } catch {
    // Redis went away right after we connected; start empty, like a first process.
  }
  const timer = setTimeout(() => startLive(null), syncTimeoutMs);
  await live;
  clearTimeout(timer);

  return {
    tag,
    submit(conn, action) {
      if (!up || closing || phase !== 'live') throw new RoomError(REDIS_DOWN);
      if (action.act === 'client:join') {
        action.cid = `${tag}-${nextLocal++}`;
        conn.joining = true;
        conn.pendingCid = action.cid;
      }
      publish({ t: 'act', from: tag, ref: conn.id, ...action }).catch(() => {
        if (action.act === 'client:join' && conn.joining && conn.pendingCid === action.cid) {
          conn.joining = false;
          pendingLeaves.add(action.cid); // it may have reached Redis before the failure
        }
        reply(conn.ws, { act: 'server:error', msg: REDIS_DOWN });
      });
    },
    leave,
    /** Tells the others our players are gone now rather than after peerTimeoutMs. */
    async announceExit() {
      if (closing) return;
      if (up) await publish({ t: 'drop', from: tag, tag }).catch(() => {});
      closing = true;
    },
    async close() {
      closing = true;
      clearInterval(beat);
      clearTimeout(timer);
      await backplane.close();
    },
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
  const room = await startCardRoom({ port, host: values.host, redis: values.redis });
  const shared = values.redis === undefined ? '' : `, shared through redis ${values.redis} as ${room.tag}`;
  console.log(`card room on ${room.httpUrl} (WebSocket ${room.url}${shared})`);
  const stop = () => room.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
