// ws's WebSocket class over our protocol layer: the same constructor, methods, events
// and error messages, so code written for ws works by changing its import. One instance
// is either side of a connection; the server builds them with a null address.

import { Buffer } from 'node:buffer';
import './load-backends.js'; // the fast kernels, before any decoder is built
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { isValidCloseCode } from '../codec/close.js';
import { Opcode } from '../codec/constants.js';
import { Connection, ReadyState, type WriteCallback } from '../protocol/connection.js';
import { connectAsClient, type ClientOptions } from './client.js';
import { startCompressor, type NegotiatedDeflate } from './deflate-setup.js';
import { addEventListener, defineEventAttributes, kWasClean, removeEventListener } from './event-target.js';
import { SocketBinding, toBuffer } from './socket-binding.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | Blob | number;

const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const EMPTY = Buffer.alloc(0);

/** What the server or client handshake hands over with the socket. */
export interface SocketSetup {
  role: 'server' | 'client';
  maxPayload?: number;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  closeTimeout?: number;
  maxPendingPongs?: number;
  /** ws's client option: fills each frame's mask key. */
  generateMask?: (key: Uint8Array) => void;
  /** permessage-deflate as negotiated in the handshake. */
  deflate?: NegotiatedDeflate;
  protocol?: string;
}

export class WebSocket extends EventEmitter {
  // ws's statics, assigned in src/index.ts (this module cannot import the server: it imports us).
  declare static WebSocket: typeof WebSocket;
  declare static WebSocketServer: typeof import('./server.js').WebSocketServer;
  declare static Server: typeof import('./server.js').WebSocketServer;
  declare static createWebSocketStream: typeof import('./stream.js').createWebSocketStream;
  declare static mask: typeof import('../codec/mask.js').mask;
  declare static unmask: typeof import('../codec/mask.js').unmask;

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

  /** Internal: set by the client handshake (it follows redirects); url, protocol and extensions are read-only outside. */
  _url = '';
  private _protocol = '';
  private _extensions = '';

  private _binaryType: BinaryType = 'nodebuffer';
  /** The state before a connection exists (connecting, or a failed handshake); then the connection has it. */
  private _state: ReadyState = ReadyState.CONNECTING;
  private _conn: Connection | null = null;
  private _binding: SocketBinding | null = null;
  /** Bytes passed to send() after the connection closed (ws counts them too). */
  private _bufferedAfterClose = 0;
  /**
   * Internal (broadcast): what a message compressed once for many connections must match
   * to be sent here — the window our side deflates with and the threshold below which
   * messages go out uncompressed. null without permessage-deflate.
   */
  _deflateShare: DeflateShare | null = null;
  /** Internal: the server tracking this client in `clients`. */
  _server: { _untrack(ws: WebSocket): void } | null = null;
  /** Set by the client handshake: aborts it. */
  _abortHandshake: ((message: string) => void) | null = null;

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
    this._url = connectAsClient(this, address, list, options ?? {});
  }

  /** The client's URL ('' on the server side). */
  get url(): string {
    return this._url;
  }

  get protocol(): string {
    return this._protocol;
  }

  get extensions(): string {
    return this._extensions;
  }

  get binaryType(): BinaryType {
    return this._binaryType;
  }

  set binaryType(type: BinaryType) {
    if (type === 'nodebuffer' || type === 'arraybuffer' || type === 'fragments' || type === 'blob') this._binaryType = type;
  }

  get readyState(): ReadyState {
    return this._conn !== null ? this._conn.readyState : this._state;
  }

  get bufferedAmount(): number {
    const inSocket = this._binding !== null ? this._binding.socket.writableLength : 0;
    const batched = this._binding !== null ? this._binding.batchedBytes : 0;
    return inSocket + batched + (this._conn !== null ? this._conn.queuedBytes : 0) + this._bufferedAfterClose;
  }

  get isPaused(): boolean {
    return this._conn !== null && this._conn.isPaused;
  }

  /** For CloseEvent.wasClean: both close frames were exchanged (as in ws). */
  get [kWasClean](): boolean {
    return this._conn !== null && this._conn.closeFrameSent && this._conn.closeFrameReceived;
  }

  /**
   * Takes over a socket whose handshake is complete. Internal: called by the server and
   * the client, which then emit 'connection' / 'open' and only after that hand over the
   * bytes that came with the handshake (_receiveHead).
   */
  _setSocket(socket: Duplex, setup: SocketSetup): void {
    this._protocol = setup.protocol ?? '';
    this._extensions = setup.deflate?.extensions ?? '';
    const net = socket as Duplex & { setNoDelay?(on: boolean): void; setTimeout?(ms: number): void };
    net.setTimeout?.(0);
    net.setNoDelay?.(true);

    const binding = (this._binding = new SocketBinding(socket, this));
    this._conn = new Connection(binding, binding, {
      role: setup.role,
      maxPayload: setup.maxPayload,
      skipUtf8Validation: setup.skipUTF8Validation,
      autoPong: setup.autoPong,
      closeTimeout: setup.closeTimeout,
      maxPendingPongs: setup.maxPendingPongs,
      generateMask: setup.generateMask,
      compressor: setup.deflate && startCompressor(setup.deflate, setup.role, setup.maxPayload ?? 0),
      compressThreshold: setup.deflate?.options.threshold,
    });
    if (setup.deflate !== undefined) {
      const { params, options } = setup.deflate;
      const server = setup.role === 'server';
      this._deflateShare = {
        windowBits: server ? params.serverMaxWindowBits : params.clientMaxWindowBits,
        threshold: options.threshold ?? 1024,
        zlibDeflateOptions: options.zlibDeflateOptions,
      };
    }
    binding.attach(this._conn);
  }

  /**
   * Internal: the bytes that arrived with the handshake (the server's `head`, what followed
   * the client's 101). Called right after 'connection' / 'open' was emitted, so their frames
   * reach listeners attached there, and before any later read (socket reads are delivered
   * from the event loop, never inside this synchronous step).
   */
  _receiveHead(head: Uint8Array): void {
    if (head.length === 0 || this._binding === null || this.readyState === ReadyState.CLOSED) return;
    this._binding.receive(toBuffer(head));
  }

  /** Internal (SocketBinding): a message arrived. */
  _onMessage(data: Uint8Array, isBinary: boolean): void {
    this.emit('message', this._asBinaryType(data, isBinary), isBinary);
  }

  /** Internal (SocketBinding): the connection is closed and everything received was delivered. */
  _onClosed(code: number, reason: string): void {
    this.emit('close', code, reason === '' ? EMPTY : Buffer.from(reason));
  }

  /** Internal: the handshake failed (client) before a connection existed. */
  _failHandshake(err: Error | null, deferred = false): void {
    // As ws: CLOSING from here, 'error' (when there is one), then CLOSED and 'close' 1006.
    // `deferred` is ws's abortHandshake (close()/terminate() while connecting, a timeout,
    // a refused response): the events come on the next tick, never inside the caller.
    if (this._state !== ReadyState.CONNECTING) return;
    this._state = ReadyState.CLOSING;
    if (deferred) process.nextTick(() => this._emitHandshakeFailure(err));
    else this._emitHandshakeFailure(err);
  }

  private _emitHandshakeFailure(err: Error | null): void {
    if (err !== null) this.emit('error', err);
    this._state = ReadyState.CLOSED;
    this.emit('close', 1006, EMPTY);
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
      else this._conn!.sendBlob(data, binary, opts, cb);
      return;
    }
    const bytes = data === undefined || data === null ? EMPTY : toBytes(data);
    if (this.readyState !== ReadyState.OPEN) {
      this._sendAfterClose(bytes.length, cb);
      return;
    }
    // ws's send options carry compress and fin under the same names.
    this._conn!.send(bytes, binary, opts, cb);
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
      else this._conn!.sendControlBlob(kind === 'ping' ? Opcode.Ping : Opcode.Pong, data, cb, mask);
      return;
    }
    const bytes = data === undefined || data === null ? EMPTY : toBytes(data);
    if (bytes.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    if (this.readyState !== ReadyState.OPEN) {
      this._sendAfterClose(bytes.length, cb);
      return;
    }
    this._conn![kind](bytes, cb, mask);
  }

  close(code?: number, reason?: string | Buffer): void {
    const state = this.readyState;
    if (state === ReadyState.CLOSED) return;
    if (state === ReadyState.CONNECTING) {
      this._abortConnecting();
      return;
    }
    if (this._conn === null) return; // CLOSING: an aborted handshake's 'close' is on its way
    if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    const text = reason === undefined ? '' : reason.toString();
    if (Buffer.byteLength(text) > 123) throw new RangeError('The message must not be greater than 123 bytes');
    if (code === undefined && text !== '') throw new TypeError('A close reason needs a close code');
    this._conn!.close(code, text);
  }

  terminate(): void {
    const state = this.readyState;
    if (state === ReadyState.CLOSED) return;
    if (state === ReadyState.CONNECTING) {
      this._abortConnecting();
      return;
    }
    this._conn?.terminate(); // none while an aborted handshake is CLOSING
  }

  /** close()/terminate() while connecting: as ws, CLOSING now, 'error' and 'close' 1006 on the next tick. */
  private _abortConnecting(): void {
    const message = 'WebSocket was closed before the connection was established';
    if (this._abortHandshake !== null) this._abortHandshake(message);
    else this._failHandshake(new Error(message), true);
  }

  pause(): void {
    const state = this.readyState;
    if (state === ReadyState.CONNECTING || state === ReadyState.CLOSED) return;
    this._conn!.pause();
  }

  resume(): void {
    const state = this.readyState;
    if (state === ReadyState.CONNECTING || state === ReadyState.CLOSED) return;
    this._conn!.resume();
  }

  addEventListener(type: string, listener: any, options?: { once?: boolean }): void {
    addEventListener(this, type, listener, options);
  }

  removeEventListener(type: string, listener: any): void {
    removeEventListener(this, type, listener);
  }

  /** Internal: writes frames encoded once for many sockets (broadcast). */
  _sendFrames(frames: Uint8Array[], cb?: WriteCallback, coalesce = false): boolean {
    if (this.readyState !== ReadyState.OPEN) return false;
    if (coalesce) this._binding?.holdWritesUntilNextTick();
    this._conn!.sendFrames(frames, cb);
    return true;
  }

  /**
   * Internal: writes the frames of a message compressed once for many sockets (broadcast
   * to permessage-deflate connections). Needs `_deflateShare`; see Connection.sendPrecompressed.
   */
  _sendPrecompressed(frames: Uint8Array[], cb?: WriteCallback, coalesce = false): boolean {
    if (this.readyState !== ReadyState.OPEN || this._deflateShare === null) return false;
    if (coalesce) this._binding?.holdWritesUntilNextTick();
    this._conn!.sendPrecompressed(frames, cb);
    return true;
  }

  private _sendAfterClose(byteLength: number, cb?: WriteCallback): void {
    this._bufferedAfterClose += byteLength;
    if (cb) {
      const state = this.readyState;
      process.nextTick(cb, new Error(`WebSocket is not open: readyState ${state} (${STATE_NAMES[state]})`));
    }
  }

  private _asBinaryType(data: Uint8Array, isBinary: boolean): Buffer | ArrayBuffer | Buffer[] | Blob {
    const buffer = toBuffer(data);
    if (!isBinary || this._binaryType === 'nodebuffer') return buffer;
    if (this._binaryType === 'fragments') return [buffer];
    if (this._binaryType === 'blob') return new Blob([buffer as Uint8Array<ArrayBuffer>]);
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? (data.buffer as ArrayBuffer)
      : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
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

/** See WebSocket._deflateShare. */
export interface DeflateShare {
  /** Negotiated window of our side's compressor, 8–15 (8 deflates with zlib's 9). */
  windowBits: number;
  /** perMessageDeflate.threshold: smaller messages are sent uncompressed. */
  threshold: number;
  zlibDeflateOptions: Record<string, unknown> | undefined;
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
