// What sits behind one WebSocket: its state before a connection exists, then the socket's
// binding and the protocol Connection, and the connection's events turned into ws's
// ('message' in the chosen binaryType, 'close' with a Buffer reason). WebSocket
// (websocket.ts) is ws's API over this object; the handshakes and broadcast reach it as
// ws[kInternals] (websocket-internals.ts), never through members of the WebSocket.

import { Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Connection, ReadyState, type WriteCallback } from '../protocol/connection.js';
import { startCompressor } from './deflate-setup.js';
import { toBuffer } from './to-buffer.js';
import { createTransport } from './transports/select.js';
import type { NodeTransport, TransportOwner } from './transports/types.js';
import type { DeflateShare, SocketSetup, WebSocketInternals } from './websocket-internals.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

const EMPTY = Buffer.alloc(0);

export class WebSocketCore implements WebSocketInternals, TransportOwner {
  url = '';
  protocol = '';
  extensions = '';
  binaryType: BinaryType = 'nodebuffer';
  conn: Connection | null = null;
  /** What carries the bytes once the handshake is done (transports/select.ts chooses it). */
  binding: NodeTransport | null = null;
  deflateShare: DeflateShare | null = null;
  abortHandshake: ((message: string) => void) | null = null;
  /** The state before a connection exists (connecting, or a failed handshake); then the connection has it. */
  private state: ReadyState = ReadyState.CONNECTING;

  /** `ws` is the WebSocket whose events this object emits. */
  constructor(private readonly ws: EventEmitter) {}

  get readyState(): ReadyState {
    return this.conn !== null ? this.conn.readyState : this.state;
  }

  setSocket(socket: Duplex, setup: SocketSetup): void {
    this.protocol = setup.protocol ?? '';
    this.extensions = setup.deflate?.extensions ?? '';
    const net = socket as Duplex & { setNoDelay?(on: boolean): void; setTimeout?(ms: number): void };
    net.setTimeout?.(0);
    net.setNoDelay?.(true);

    const binding = (this.binding = createTransport(socket, this));
    this.conn = new Connection(binding, binding, {
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
      this.deflateShare = {
        windowBits: server ? params.serverMaxWindowBits : params.clientMaxWindowBits,
        threshold: options.threshold ?? 1024,
        zlibDeflateOptions: options.zlibDeflateOptions,
      };
    }
    binding.attach(this.conn);
  }

  /**
   * Called right after 'connection' / 'open' was emitted, so the head's frames reach
   * listeners attached there, and before any later read (socket reads are delivered from
   * the event loop, never inside this synchronous step).
   */
  receiveHead(head: Uint8Array): void {
    if (head.length === 0 || this.binding === null || this.readyState === ReadyState.CLOSED) return;
    this.binding.receive(toBuffer(head));
  }

  failHandshake(err: Error | null, deferred = false): void {
    // As ws: CLOSING from here, 'error' (when there is one), then CLOSED and 'close' 1006.
    // `deferred` is ws's abortHandshake (close()/terminate() while connecting, a timeout,
    // a refused response): the events come on the next tick, never inside the caller.
    if (this.state !== ReadyState.CONNECTING) return;
    this.state = ReadyState.CLOSING;
    if (deferred) process.nextTick(() => this.emitHandshakeFailure(err));
    else this.emitHandshakeFailure(err);
  }

  private emitHandshakeFailure(err: Error | null): void {
    if (err !== null) this.ws.emit('error', err);
    this.state = ReadyState.CLOSED;
    this.ws.emit('close', 1006, EMPTY);
  }

  sendFrames(frames: Uint8Array[], cb?: WriteCallback, coalesce = false): boolean {
    if (this.readyState !== ReadyState.OPEN) return false;
    if (coalesce) this.binding?.holdWritesUntilNextTick();
    this.conn!.sendFrames(frames, cb);
    return true;
  }

  sendPrecompressed(frames: Uint8Array[], cb?: WriteCallback, coalesce = false): boolean {
    if (this.readyState !== ReadyState.OPEN || this.deflateShare === null) return false;
    if (coalesce) this.binding?.holdWritesUntilNextTick();
    this.conn!.sendPrecompressed(frames, cb);
    return true;
  }

  // TransportOwner: the connection's events, as the WebSocket's.
  onMessage(data: Uint8Array, isBinary: boolean): void {
    this.ws.emit('message', this.asBinaryType(data, isBinary), isBinary);
  }

  /** The connection is closed and everything received was delivered. */
  onClosed(code: number, reason: string): void {
    this.ws.emit('close', code, reason === '' ? EMPTY : Buffer.from(reason));
  }

  emit(event: string, ...args: unknown[]): boolean {
    return this.ws.emit(event, ...args);
  }

  private asBinaryType(data: Uint8Array, isBinary: boolean): Buffer | ArrayBuffer | Buffer[] | Blob {
    const buffer = toBuffer(data);
    if (!isBinary || this.binaryType === 'nodebuffer') return buffer;
    if (this.binaryType === 'fragments') return [buffer];
    if (this.binaryType === 'blob') return new Blob([buffer as Uint8Array<ArrayBuffer>]);
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? (data.buffer as ArrayBuffer)
      : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  }
}
