// The chat demo (`wscodec chat`): one node:http server that serves the page at GET / and
// upgrades / to a WebSocket that broadcasts every text message to every client.
//
// Wire format, server → client: JSON text frames
//   {type: 'welcome', name, online}   to a newcomer only, so the page can say who "you" are
//   {type: 'join' | 'leave', name, online}
//   {type: 'message', from, text}
//   {type: 'error', text}             to one client, e.g. after a binary frame
// Client → server: plain text frames; the text is the chat line as typed.
//
// Scale-out (`redis` option, `wscodec chat --redis URL`): every chat process subscribes its
// clients to the topic 'chat' of a Topics with a Redis backplane, so broadcasts reach the
// clients of every process sharing that Redis. Guest names then carry a per-process tag
// (guest-3@k7q2) so they stay unique across processes; 'online' counts this process only.
// Local delivery never waits for Redis: while Redis is down the local room keeps working,
// the failure is logged once per outage, and other processes miss those lines for good.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { CHAT_PAGE } from './chat-page.js';
// The one place the default WebSocketServer comes from.
import { WebSocketServer as DefaultWebSocketServer } from '../node/server.js';
import { Topics, createRedisBackplane } from '../topics/index.js';

/** Any listener, as ws@8 types them (they differ per event); each call site below states its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- ws@8's listener type, which ours must accept
type Listener = (...args: any[]) => void;

/** The slice of ws@8's WebSocket the chat uses (so ws itself can be injected in tests). */
export interface ChatSocket {
  readonly readyState: number;
  send(data: string | Uint8Array, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** The slice of ws@8's WebSocketServer the chat uses. */
export interface ChatServer {
  // Optional because clientTracking: false leaves it undefined; the chat always asks for it.
  readonly clients?: Iterable<ChatSocket>;
  on(event: string, listener: Listener): unknown;
  close(callback?: (err?: Error) => void): void;
}

export type ChatServerClass = new (options: { server: Server; path?: string; maxPayload?: number; clientTracking?: boolean }) => ChatServer;

export interface ChatOptions {
  /** Default 8080; 0 picks a free port (read it back from the result). */
  port?: number;
  /** Default 127.0.0.1: a demo should not listen on every interface unless asked. */
  host?: string;
  /** Any class with ws@8's WebSocketServer API; defaults to wscodec's. */
  WebSocketServer?: ChatServerClass;
  /**
   * redis://host:port — share the room with every chat process using this Redis (topic
   * 'chat' under `redisPrefix`). Without it the room is this process only.
   */
  redis?: string;
  /** Key prefix for the Redis backplane's channels (default: the backplane's own). */
  redisPrefix?: string;
  /** Where Redis outages and recoveries are reported, one line each; default console.error. */
  log?: (line: string) => void;
}

export interface ChatHandle {
  /** ws://host:port/ */
  url: string;
  /** http://host:port/ — open this in a browser. */
  httpUrl: string;
  port: number;
  /** The Redis URL when scaled out (password hidden), else undefined. */
  redis?: string;
  /** Closes every chat connection (1001) and the HTTP server; resolves once all are gone. */
  close(): Promise<void>;
}

/** The topic every chat client is subscribed to when a Redis backplane is used. */
export const CHAT_TOPIC = 'chat';

/** Cap on one chat message; larger frames close the connection with 1009. */
export const CHAT_MAX_PAYLOAD = 64 * 1024;

// WebSocket.OPEN is 1 in every implementation (WHATWG), so no import is needed for it.
const OPEN = 1;
// How long close() lets peers answer the closing handshake before cutting them off.
const CLOSE_GRACE_MS = 1000;

/** Starts the chat demo; resolves once the server is listening (and Redis connected, if asked). */
export async function startChat(options: ChatOptions = {}): Promise<ChatHandle> {
  const { port = 8080, host = '127.0.0.1' } = options;
  const WebSocketServer: ChatServerClass = options.WebSocketServer ?? DefaultWebSocketServer;

  // Connect to Redis before listening, so a bad URL fails startup rather than leaving a
  // process that silently does not share the room.
  const room =
    options.redis === undefined
      ? undefined
      : await openRedisRoom(options.redis, options.redisPrefix, options.log ?? ((line) => console.error(line)));

  const server = createServer(servePage);
  const wss = new WebSocketServer({ server, path: '/', maxPayload: CHAT_MAX_PAYLOAD, clientTracking: true });
  // ws re-emits the HTTP server's errors here; without a listener they would throw.
  // Listen errors are reported through the listen() promise below.
  wss.on('error', () => {});

  let nextGuest = 1; // never reused, so a name always means the same connection
  let online = 0;
  // With Redis, names get this process's tag so guest-1 on two processes are not confused.
  const suffix = room ? `@${room.tag}` : '';

  const broadcast = room
    ? room.broadcast
    : (message: object): void => {
        const text = JSON.stringify(message);
        for (const client of wss.clients ?? []) if (client.readyState === OPEN) client.send(text);
      };

  wss.on('connection', (ws: ChatSocket) => {
    const name = `guest-${nextGuest++}${suffix}`;
    online++;
    room?.subscribe(ws);
    // A protocol error (e.g. an oversized frame) is followed by 'close'; the listener
    // only keeps the error from being thrown as unhandled.
    ws.on('error', () => {});
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (isBinary) {
        ws.send(JSON.stringify({ type: 'error', text: 'binary messages are not supported' }));
        return;
      }
      broadcast({ type: 'message', from: name, text: String(data) });
    });
    ws.on('close', () => {
      online--;
      room?.unsubscribe(ws);
      broadcast({ type: 'leave', name, online });
    });
    ws.send(JSON.stringify({ type: 'welcome', name, online }));
    broadcast({ type: 'join', name, online });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await room?.close();
    throw err;
  }

  const actualPort = (server.address() as AddressInfo).port;
  // IPv6 literals need brackets inside a URL.
  const authority = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url: `ws://${authority}/`,
    httpUrl: `http://${authority}/`,
    port: actualPort,
    redis: room?.url,
    close: async () => {
      try {
        await closeChat(server, wss);
      } finally {
        await room?.close();
      }
    },
  };
}

interface RedisRoom {
  /** The Redis URL with any password hidden, for logs. */
  url: string;
  /** A short random tag naming this process inside the shared room. */
  tag: string;
  broadcast(message: object): void;
  subscribe(ws: ChatSocket): void;
  unsubscribe(ws: ChatSocket): void;
  close(): Promise<void>;
}

/** The shared room: a Topics over a Redis backplane, with outages logged once each. */
async function openRedisRoom(url: string, prefix: string | undefined, log: (line: string) => void): Promise<RedisRoom> {
  const shown = redactUrl(url);
  const backplane = await createRedisBackplane(url, prefix === undefined ? {} : { prefix });
  const topics = new Topics({ backplane });
  let outage = false; // true from the first failed publish until Redis is usable again
  let closed = false;
  const recovered = () => {
    if (!outage || closed) return;
    outage = false;
    log(`wscodec chat: redis ${shown} is back; other processes get new lines again (lines sent during the outage are not replayed)`);
  };
  backplane.on('ready', recovered);
  return {
    url: shown,
    tag: randomBytes(2).toString('hex'),
    broadcast(message) {
      if (closed) return;
      // Local subscribers get the line synchronously inside publish(); the promise only
      // says whether Redis took it for the other processes.
      topics.publish(CHAT_TOPIC, JSON.stringify(message)).then(recovered, (err: unknown) => {
        if (outage || closed) return;
        outage = true;
        const reason = err instanceof Error ? err.message : String(err);
        log(
          `wscodec chat: redis ${shown} unavailable (${reason}); local clients still get every line, other processes miss them until redis is back`,
        );
      });
    },
    // Topics takes ws's sockets as they are (an injected server class): it frames once for
    // ours and calls send() on others.
    subscribe: (ws) => topics.subscribe(ws, CHAT_TOPIC),
    unsubscribe: (ws) => topics.unsubscribe(ws, CHAT_TOPIC),
    close: async () => {
      if (closed) return;
      closed = true;
      backplane.off('ready', recovered);
      await topics.close();
    },
  };
}

/** Hides a password in a redis:// URL so it can be printed. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function servePage(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(path === '/' ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(path === '/' ? 'Method Not Allowed\n' : 'Not Found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : CHAT_PAGE);
}

async function closeChat(server: Server, wss: ChatServer): Promise<void> {
  // ws@8 leaves existing connections open on wss.close(), and server.close() waits for
  // every socket, upgraded ones included, so the clients must be closed here.
  const clients = [...(wss.clients ?? [])];
  for (const client of clients) client.close(1001, 'server shutting down');
  const stragglers = setTimeout(() => {
    for (const client of clients) client.terminate();
  }, CLOSE_GRACE_MS);
  stragglers.unref();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  server.closeAllConnections(); // idle and in-flight HTTP keep-alive connections
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  clearTimeout(stragglers);
}
