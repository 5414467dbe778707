// The chat demo (`wscodec chat`): one node:http server that serves the page at GET / and
// upgrades / to a WebSocket that broadcasts every text message to every client.
//
// Wire format, server → client: JSON text frames
//   {type: 'welcome', name, online}   to a newcomer only, so the page can say who "you" are
//   {type: 'join' | 'leave', name, online}
//   {type: 'message', from, text}
//   {type: 'error', text}             to one client, e.g. after a binary frame
// Client → server: plain text frames; the text is the chat line as typed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHAT_PAGE } from './chat-page.js';
// The one place the default WebSocketServer comes from.
import { WebSocketServer as DefaultWebSocketServer } from '../server.js';

/** The slice of ws@8's WebSocket the chat uses (so ws itself can be injected in tests). */
export interface ChatSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  // `any` because ws's listeners differ per event; each call site below states its types.
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** The slice of ws@8's WebSocketServer the chat uses. */
export interface ChatServer {
  // Optional because clientTracking: false leaves it undefined; the chat always asks for it.
  readonly clients?: Iterable<ChatSocket>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  close(callback?: (err?: Error) => void): void;
}

export type ChatServerClass = new (options: {
  server: Server;
  path?: string;
  maxPayload?: number;
  clientTracking?: boolean;
}) => ChatServer;

export interface ChatOptions {
  /** Default 8080; 0 picks a free port (read it back from the result). */
  port?: number;
  /** Default 127.0.0.1: a demo should not listen on every interface unless asked. */
  host?: string;
  /** Any class with ws@8's WebSocketServer API; defaults to wscodec's. */
  WebSocketServer?: ChatServerClass;
}

export interface ChatHandle {
  /** ws://host:port/ */
  url: string;
  /** http://host:port/ — open this in a browser. */
  httpUrl: string;
  port: number;
  /** Closes every chat connection (1001) and the HTTP server; resolves once all are gone. */
  close(): Promise<void>;
}

/** Cap on one chat message; larger frames close the connection with 1009. */
export const CHAT_MAX_PAYLOAD = 64 * 1024;

// WebSocket.OPEN is 1 in every implementation (WHATWG), so no import is needed for it.
const OPEN = 1;
// How long close() lets peers answer the closing handshake before cutting them off.
const CLOSE_GRACE_MS = 1000;

/** Starts the chat demo; resolves once the server is listening. */
export async function startChat(options: ChatOptions = {}): Promise<ChatHandle> {
  const { port = 8080, host = '127.0.0.1' } = options;
  const WebSocketServer: ChatServerClass = options.WebSocketServer ?? DefaultWebSocketServer;

  const server = createServer(servePage);
  const wss = new WebSocketServer({ server, path: '/', maxPayload: CHAT_MAX_PAYLOAD, clientTracking: true });
  // ws re-emits the HTTP server's errors here; without a listener they would throw.
  // Listen errors are reported through the listen() promise below.
  wss.on('error', () => {});

  let nextGuest = 1; // never reused, so a name always means the same connection
  let online = 0;

  const broadcast = (message: object): void => {
    const text = JSON.stringify(message);
    for (const client of wss.clients ?? []) if (client.readyState === OPEN) client.send(text);
  };

  wss.on('connection', (ws: ChatSocket) => {
    const name = `guest-${nextGuest++}`;
    online++;
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
      broadcast({ type: 'leave', name, online });
    });
    ws.send(JSON.stringify({ type: 'welcome', name, online }));
    broadcast({ type: 'join', name, online });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const actualPort = (server.address() as AddressInfo).port;
  // IPv6 literals need brackets inside a URL.
  const authority = `${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url: `ws://${authority}/`,
    httpUrl: `http://${authority}/`,
    port: actualPort,
    close: () => closeChat(server, wss),
  };
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
