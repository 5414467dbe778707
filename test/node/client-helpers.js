// Shared by the client option and handshake tests: bounded waits, servers that record
// what clients sent, and teardown that leaves no handle behind.

import { once } from 'node:events';
import { createServer } from 'node:http';
import { WebSocketServer } from '../../dist/index.js';
import { within } from '../helpers/within.js';

/**
 * The TCP port `server` (a net/http/https server or a WebSocketServer) listens on.
 * @param {{ address(): string | import('node:net').AddressInfo | null }} server
 */
export function portOf(server) {
  return /** @type {import('node:net').AddressInfo} */ (server.address()).port;
}

export { within };

/** Resolves on 'open'; an 'error' or 'close' first rejects. */
export function opened(ws) {
  return within(
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
    }),
    "'open'",
  );
}

/** Resolves with { err, code, states } once 'error' then 'close' came; 'open' rejects. */
export function failed(ws, ms = 5000) {
  return within(
    new Promise((resolve, reject) => {
      let err;
      const states = [];
      ws.once('open', () => reject(new Error("unexpected 'open'")));
      ws.once('error', (e) => {
        err = e;
        states.push(ws.readyState);
      });
      ws.once('close', (code) => {
        states.push(ws.readyState);
        resolve({ err, code, states });
      });
    }),
    "'error' and 'close'",
    ms,
  );
}

/** Ends a client in any state and waits for its 'close'. */
export async function shut(ws) {
  if (ws.readyState === 3) return;
  ws.on('error', () => {});
  const closed = once(ws, 'close');
  ws.terminate();
  await within(closed, "the client's 'close'");
}

/**
 * Our WebSocketServer on an HTTP server listening on `listen` (a port/host pair or a Unix
 * socket path), recording each upgrade request. `server.nextRequest()` waits for one.
 * @param {[port: number, host: string] | [path: string]} [listen]
 */
export async function recordingServer(listen = [0, '127.0.0.1'], options = {}) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, ...options });
  const requests = [];
  const waiters = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (waiters.length > 0) waiters.shift()(req);
    else requests.push(req);
  });
  // (a union of tuples does not pick one of listen()'s overloads; both shapes are valid)
  http.listen(.../** @type {[any, any?]} */ (listen));
  await once(http, 'listening');
  const address = http.address();
  return {
    http,
    wss,
    port: typeof address === 'object' ? address.port : undefined,
    nextRequest: () =>
      within(requests.length > 0 ? Promise.resolve(requests.shift()) : new Promise((r) => waiters.push(r)), 'a request at the server'),
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
      http.closeAllConnections?.();
      await new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

/** An HTTP server whose upgrade requests get `respond(req, socket)`; counts them. */
export async function upgradeResponder(respond) {
  const http = createServer();
  const sockets = new Set();
  let upgrades = 0;
  http.on('upgrade', (req, socket) => {
    upgrades++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    respond(req, socket);
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    http,
    port: portOf(http),
    get upgrades() {
      return upgrades;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      http.closeAllConnections?.();
      await new Promise((resolve) => http.close(() => resolve()));
    },
  };
}
