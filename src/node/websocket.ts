// ws's WebSocket class over our protocol layer: the same constructor, methods, events
// and error messages, so code written for ws works by changing its import. One instance
// is either side of a connection; the server builds them with a null address.

import { Buffer } from 'node:buffer';
import './load-backends.js'; // the fast kernels, before any decoder is built
import './load-transports.js'; // and the transports that own TCP sockets, WSCODEC_TRANSPORT checked
import { EventEmitter } from 'node:events';
import { isValidCloseCode } from '../codec/close.js';
import { Opcode } from '../codec/constants.js';
import { ReadyState, type WriteCallback } from '../protocol/connection.js';
import { connectAsClient, type ClientOptions as HandshakeOptions, type HandshakeClientRequest } from './client.js';
import { addEventListener, defineEventAttributes, kWasClean, removeEventListener } from './event-target.js';
import { WebSocketCore, type BinaryType } from './websocket-core.js';
import type { SocketView } from './transports/types.js';
import { kInternals } from './websocket-internals.js';

export type { BinaryType };
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | Blob | number;

/** ws's client options (client.ts), with finishRequest given this WebSocket. */
export interface ClientOptions extends Omit<HandshakeOptions, 'finishRequest'> {
  /** Called instead of ending the request: it may change headers, and must call request.end(). */
  finishRequest?: (request: HandshakeClientRequest, websocket: WebSocket) => void;
}

const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const EMPTY = Buffer.alloc(0);

export class WebSocket extends EventEmitter {
  // ws's statics WebSocket, WebSocketServer, Server, createWebSocketStream, mask and unmask
  // are assigned and declared in src/index.ts: this module cannot import the server, which
  // imports it.

  // The readyState constants live on the class and its prototype, read-only (defined
  // below the class), as in ws and the browser's WebSocket.
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /** The connection underneath, for the handshakes and broadcast (websocket-internals.ts). */
  readonly [kInternals] = new WebSocketCore(this);
  /** Bytes passed to send() after the connection closed (ws counts them too). */
  private _bufferedAfterClose = 0;

  declare onopen: ((event: unknown) => void) | null;
  declare onmessage: ((event: unknown) => void) | null;
  declare onerror: ((event: unknown) => void) | null;
  declare onclose: ((event: unknown) => void) | null;

  constructor(address: string | URL | null, protocols?: string | string[] | ClientOptions, options?: ClientOptions) {
    super();
    if (address === null) return;
    if (protocols !== undefined && protocols !== null && !Array.isArray(protocols) && typeof protocols === 'object') {
      options = protocols;
      protocols = undefined;
    }
    const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
    // The handshake hands finishRequest the socket it drives, which is this WebSocket.
    this[kInternals].url = connectAsClient(this, address, list, (options ?? {}) as HandshakeOptions);
  }

  /**
   * The socket underneath (null until there is one), as ws exposes it: code written for ws
   * reads remoteAddress, remotePort, localAddress, localPort, setNoDelay() and
   * setKeepAlive() here. Not enumerable, like the rest of ws's underscore members.
   */
  get _socket(): SocketView | null {
    return this[kInternals].binding?.socket ?? null;
  }

  /** The client's URL ('' on the server side). */
  get url(): string {
    return this[kInternals].url;
  }

  get protocol(): string {
    return this[kInternals].protocol;
  }

  get extensions(): string {
    return this[kInternals].extensions;
  }

  get binaryType(): BinaryType {
    return this[kInternals].binaryType;
  }

  set binaryType(type: BinaryType) {
    if (type === 'nodebuffer' || type === 'arraybuffer' || type === 'fragments' || type === 'blob') this[kInternals].binaryType = type;
  }

  get readyState(): ReadyState {
    return this[kInternals].readyState;
  }

  get bufferedAmount(): number {
    const { binding, conn } = this[kInternals];
    const inTransport = binding !== null ? binding.bufferedBytes() : 0;
    return inTransport + (conn !== null ? conn.queuedBytes : 0) + this._bufferedAfterClose;
  }

  get isPaused(): boolean {
    const conn = this[kInternals].conn;
    return conn !== null && conn.isPaused;
  }

  /** For CloseEvent.wasClean: both close frames were exchanged (as in ws). */
  get [kWasClean](): boolean {
    const conn = this[kInternals].conn;
    return conn !== null && conn.closeFrameSent && conn.closeFrameReceived;
  }

  send(data?: SendData, options?: SendOptions | WriteCallback, cb?: WriteCallback): void {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    if (this.readyState === ReadyState.CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    const opts = options ?? {};
    if (typeof data === 'number') data = data.toString();
    // As in ws: no data is an empty message, binary unless it was a string.
    const binary = opts.binary ?? typeof data !== 'string';
    if (isBlob(data)) {
      if (this.readyState !== ReadyState.OPEN) this._sendAfterClose(data.size, cb);
      else this[kInternals].conn!.sendBlob(data, binary, opts, cb);
      return;
    }
    const bytes = data === undefined || data === null ? EMPTY : toBytes(data);
    if (this.readyState !== ReadyState.OPEN) {
      this._sendAfterClose(bytes.length, cb);
      return;
    }
    // ws's send options carry compress and fin under the same names.
    this[kInternals].conn!.send(bytes, binary, opts, cb);
  }

  ping(data?: SendData | WriteCallback, mask?: boolean | WriteCallback, cb?: WriteCallback): void {
    this._control('ping', data, mask, cb);
  }

  pong(data?: SendData | WriteCallback, mask?: boolean | WriteCallback, cb?: WriteCallback): void {
    this._control('pong', data, mask, cb);
  }

  private _control(kind: 'ping' | 'pong', data?: SendData | WriteCallback, mask?: boolean | WriteCallback, cb?: WriteCallback): void {
    if (this.readyState === ReadyState.CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof data === 'function') {
      cb = data;
      data = mask = undefined;
    } else if (typeof mask === 'function') {
      cb = mask;
      mask = undefined;
    }
    if (typeof data === 'number') data = data.toString();
    if (isBlob(data)) {
      if (data.size > 125) throw new RangeError('The data size must not be greater than 125 bytes');
      if (this.readyState !== ReadyState.OPEN) this._sendAfterClose(data.size, cb);
      else this[kInternals].conn!.sendControlBlob(kind === 'ping' ? Opcode.Ping : Opcode.Pong, data, cb, mask);
      return;
    }
    const bytes = data === undefined || data === null ? EMPTY : toBytes(data);
    if (bytes.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    if (this.readyState !== ReadyState.OPEN) {
      this._sendAfterClose(bytes.length, cb);
      return;
    }
    this[kInternals].conn![kind](bytes, cb, mask);
  }

  close(code?: number, reason?: string | Buffer): void {
    const state = this.readyState;
    if (state === ReadyState.CLOSED) return;
    if (state === ReadyState.CONNECTING) {
      this._abortConnecting();
      return;
    }
    const conn = this[kInternals].conn;
    if (conn === null) return; // CLOSING: an aborted handshake's 'close' is on its way
    if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    const text = reason === undefined ? '' : reason.toString();
    if (Buffer.byteLength(text) > 123) throw new RangeError('The message must not be greater than 123 bytes');
    if (code === undefined && text !== '') throw new TypeError('A close reason needs a close code');
    conn.close(code, text);
  }

  terminate(): void {
    const state = this.readyState;
    if (state === ReadyState.CLOSED) return;
    if (state === ReadyState.CONNECTING) {
      this._abortConnecting();
      return;
    }
    this[kInternals].conn?.terminate(); // none while an aborted handshake is CLOSING
  }

  /** close()/terminate() while connecting: as ws, CLOSING now, 'error' and 'close' 1006 on the next tick. */
  private _abortConnecting(): void {
    const message = 'WebSocket was closed before the connection was established';
    const core = this[kInternals];
    if (core.abortHandshake !== null) core.abortHandshake(message);
    else core.failHandshake(new Error(message), true);
  }

  pause(): void {
    const state = this.readyState;
    if (state === ReadyState.CONNECTING || state === ReadyState.CLOSED) return;
    this[kInternals].conn!.pause();
  }

  resume(): void {
    const state = this.readyState;
    if (state === ReadyState.CONNECTING || state === ReadyState.CLOSED) return;
    this[kInternals].conn!.resume();
  }

  addEventListener(type: string, listener: any, options?: { once?: boolean }): void {
    addEventListener(this, type, listener, options);
  }

  removeEventListener(type: string, listener: any): void {
    removeEventListener(this, type, listener);
  }

  private _sendAfterClose(byteLength: number, cb?: WriteCallback): void {
    this._bufferedAfterClose += byteLength;
    if (cb) {
      const state = this.readyState;
      process.nextTick(cb, new Error(`WebSocket is not open: readyState ${state} (${STATE_NAMES[state]})`));
    }
  }
}

defineEventAttributes(WebSocket.prototype);

// As in ws: the constants are enumerable, read-only and fixed on the class and the
// prototype, and the attributes are enumerable accessors (spreads and inspections show them).
['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((name, value) => {
  const descriptor = { value, enumerable: true, writable: false, configurable: false };
  Object.defineProperty(WebSocket, name, descriptor);
  Object.defineProperty(WebSocket.prototype, name, descriptor);
});
for (const name of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true });
}

export interface SendOptions {
  binary?: boolean;
  compress?: boolean;
  fin?: boolean;
  mask?: boolean;
}

function isBlob(data: unknown): data is Blob {
  return typeof Blob === 'function' && data instanceof Blob;
}

function toBytes(data: Exclude<SendData, number | Blob>): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if ((data as object) instanceof ArrayBuffer || (data as object) instanceof SharedArrayBuffer) return new Uint8Array(data as ArrayBuffer);
  throw new TypeError('The data argument must be a string, a Buffer, an ArrayBuffer or an ArrayBufferView');
}
