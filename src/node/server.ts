// ws's WebSocketServer: the same options, events and handleUpgrade, with the request
// rules, subprotocol and extension negotiation taken from the protocol layer.

import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PerMessageDeflateOptions } from '../protocol/deflate.js';
import { acceptResponseLines, HandshakeError, readUpgradeRequest } from '../protocol/handshake.js';
import { deflateOptions, serverDeflateAccept, type NegotiatedDeflate } from './deflate-setup.js';
import { WebSocket } from './websocket.js';
import { kInternals } from './websocket-internals.js';

type VerifyInfo = { origin: string | undefined; secure: boolean; req: IncomingMessage };
type VerifyCallback = (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

export interface ServerOptions {
  port?: number;
  host?: string;
  backlog?: number;
  server?: Server | { on: Server['on']; removeListener: Server['removeListener']; address?: Server['address'] };
  noServer?: boolean;
  path?: string;
  clientTracking?: boolean;
  maxPayload?: number;
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  verifyClient?: ((info: VerifyInfo) => boolean) | ((info: VerifyInfo, callback: VerifyCallback) => void);
  /** After a close frame is sent, how long to wait for the peer before dropping the socket (ms). */
  closeTimeout?: number;
  /** Our own HTTP server: how long a client may take to send its request head (ms). */
  handshakeTimeout?: number;
  /** Requests with more header lines get 431. */
  maxHeaders?: number;
  /** Pending auto-pongs before a ping flood closes the connection. */
  maxPendingPongs?: number;
  WebSocket?: typeof WebSocket;
}

const enum State {
  Running,
  Closing,
  Closed,
}

const upgradedSockets = new WeakSet<Duplex>();

export class WebSocketServer extends EventEmitter {
  readonly options: ServerOptions & { maxPayload: number; clientTracking: boolean };
  /** Open connections (typed as in @types/ws; undefined when clientTracking is false). */
  readonly clients!: Set<WebSocket>;
  private _server: ServerOptions['server'] | null = null;
  private _ownServer = false;
  private _state = State.Running;
  private _detach: (() => void) | null = null;
  private _emitCloseWhenEmpty = false;
  /**
   * Every tracked client's 'close' listener: one function per server, not a closure per
   * connection (`this` is the client that closed).
   */
  private readonly _untrackOnClose = ((server: WebSocketServer) =>
    function untrack(this: WebSocket): void {
      server.clients.delete(this);
      if (server._emitCloseWhenEmpty && server.clients.size === 0) process.nextTick(() => server._emitClose());
    })(this);

  constructor(options: ServerOptions = {}, callback?: () => void) {
    super();
    this.options = {
      maxPayload: 100 * 1024 * 1024,
      clientTracking: true,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...options,
    };
    const modes = [options.port != null, options.server != null, options.noServer === true].filter(Boolean).length;
    if (modes !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    if (this.options.clientTracking) (this as { clients: Set<WebSocket> }).clients = new Set();

    if (options.port != null) {
      const timeout = this.options.handshakeTimeout!;
      const server = createServer(
        {
          // Slow or oversized request heads are refused by Node's parser (408 / 431).
          headersTimeout: timeout,
          requestTimeout: timeout,
          connectionsCheckingInterval: Math.max(250, Math.min(timeout / 2, 30_000)),
        },
        (_req, res) => {
          const body = 'Upgrade Required';
          res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain', Connection: 'close' });
          res.end(body);
        },
      );
      server.listen(options.port, options.host, options.backlog, callback);
      this._server = server;
      this._ownServer = true;
    } else if (options.server) {
      this._server = options.server;
    }
    if (this._server) {
      const server = this._server;
      const onListening = () => this.emit('listening');
      const onError = (err: Error) => this.emit('error', err);
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req));
      };
      server.on('listening', onListening);
      server.on('error', onError);
      server.on('upgrade', onUpgrade);
      this._detach = () => {
        server.removeListener('listening', onListening);
        server.removeListener('error', onError);
        server.removeListener('upgrade', onUpgrade);
      };
    }
  }

  address(): ReturnType<Server['address']> {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this._server?.address?.() ?? null;
  }

  /** Whether a request is for this server (its `path`, when one is set). */
  shouldHandle(req: IncomingMessage): boolean {
    if (!this.options.path) return true;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * Stops accepting connections. Existing connections stay open (as in ws 8); 'close' is
   * emitted once our own HTTP server has closed, or once the last client is gone.
   */
  close(callback?: (err?: Error) => void): void {
    if (this._state === State.Closed) {
      if (callback) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return;
    }
    if (callback) this.once('close', callback);
    if (this._state === State.Closing) return;
    this._state = State.Closing;
    this._detach?.();
    this._detach = null;
    if (this._ownServer) {
      (this._server as Server).close(() => this._emitClose());
    } else if (this.clients && this.clients.size > 0) {
      this._emitCloseWhenEmpty = true;
    } else {
      process.nextTick(() => this._emitClose());
    }
    this._server = null;
  }

  private _emitClose(): void {
    this._state = State.Closed;
    this.emit('close');
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: WebSocket, req: IncomingMessage) => void): void {
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    if (!this.shouldHandle(req)) {
      this._refuse(req, socket, new HandshakeError('Invalid path', 400), onSocketError);
      return;
    }
    let protocol: string | undefined;
    let deflate: NegotiatedDeflate | null = null;
    let key: string;
    try {
      const offer = readUpgradeRequest(req, { maxHeaders: this.options.maxHeaders });
      key = offer.key;
      const options = deflateOptions(this.options.perMessageDeflate);
      if (options && offer.extensions !== undefined) deflate = serverDeflateAccept(offer.extensions, options);
      if (offer.protocols.length > 0) {
        const chosen = this.options.handleProtocols ? this.options.handleProtocols(new Set(offer.protocols), req) : offer.protocols[0];
        if (chosen !== false && chosen !== undefined) protocol = chosen;
      }
      const info: VerifyInfo = { origin: offer.origin, secure: isSecure(req), req };
      const verify = this.options.verifyClient;
      if (verify) {
        if (verify.length === 2) {
          (verify as (i: VerifyInfo, cb: VerifyCallback) => void)(info, (verified, code = 401, message, headers) => {
            if (!verified) {
              this._refuse(req, socket, new HandshakeError(message ?? '', code, Object.entries(headers ?? {})), onSocketError);
              return;
            }
            this._complete(key, protocol, deflate, req, socket, head, callback, onSocketError);
          });
          return;
        }
        if (!(verify as (i: VerifyInfo) => boolean)(info)) throw new HandshakeError('', 401);
      }
    } catch (err) {
      const refusal = err instanceof HandshakeError ? err : new HandshakeError((err as Error).message, 400);
      this._refuse(req, socket, refusal, onSocketError);
      return;
    }
    this._complete(key, protocol, deflate, req, socket, head, callback, onSocketError);
  }

  private _complete(
    key: string,
    protocol: string | undefined,
    deflate: NegotiatedDeflate | null,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WebSocket, req: IncomingMessage) => void,
    onSocketError: () => void,
  ): void {
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    // A socket upgraded twice would have two WebSockets reading it: a programming error
    // (usually two 'upgrade' listeners), so it throws as in ws.
    if (upgradedSockets.has(socket)) {
      throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration');
    }
    if (this._state !== State.Running) {
      this._refuse(req, socket, new HandshakeError('The server is closing', 503), onSocketError);
      return;
    }
    const lines = acceptResponseLines(key, protocol, deflate?.extensions);
    this.emit('headers', lines, req);
    socket.write(lines.concat('\r\n').join('\r\n'));
    socket.removeListener('error', onSocketError);
    upgradedSockets.add(socket);

    const Ctor = this.options.WebSocket ?? WebSocket;
    const ws = new Ctor(null);
    const core = ws[kInternals];
    core.setSocket(socket, {
      role: 'server',
      maxPayload: this.options.maxPayload,
      skipUTF8Validation: this.options.skipUTF8Validation,
      autoPong: this.options.autoPong,
      closeTimeout: this.options.closeTimeout,
      maxPendingPongs: this.options.maxPendingPongs,
      deflate: deflate ?? undefined,
      protocol,
    });
    if (this.clients) {
      this.clients.add(ws);
      ws.on('close', this._untrackOnClose);
    }
    callback(ws, req);
    core.receiveHead(head);
  }

  /** Answers a refused handshake: 'wsClientError' listeners decide, else an HTTP error and close. */
  private _refuse(req: IncomingMessage, socket: Duplex, err: HandshakeError, onSocketError: () => void): void {
    if (this.listenerCount('wsClientError') > 0) {
      socket.removeListener('error', onSocketError);
      socket.on('error', () => {});
      this.emit('wsClientError', err, socket, req);
      return;
    }
    abortHandshake(socket, err);
  }
}

function isSecure(req: IncomingMessage): boolean {
  const socket = req.socket as IncomingMessage['socket'] & { authorized?: boolean; encrypted?: boolean };
  return Boolean(socket.authorized || socket.encrypted);
}

/** Writes the error response and closes the socket once it is flushed. */
export function abortHandshake(socket: Duplex, err: HandshakeError): void {
  socket.once('finish', () => socket.destroy());
  socket.end(err.response());
}
