// The native transport: after the handshake, a plain TCP connection is served by the
// addon on Node's own libuv loop (bindings/transport.cc), with no net.Socket left.
//
// Taking over: the addon duplicates the socket's descriptor, then the net.Socket is
// destroyed, which closes only Node's descriptor (the connection lives while one is open)
// and sends nothing. Bytes Node had already read go first: the handshake's `head`
// (receive(), from the WebSocket's core), then whatever sat in the socket's Readable
// buffer, then the addon's reads.
//
// Reads land in one buffer shared by every connection and enter JS once per read:
// onRead(id, length) lends that buffer's bytes to the connection; the decoder (told the
// buffer is reused: markReusedMemory) unmasks them in place and copies out only what it
// delivers or keeps, so no Buffer is made per read. Writes go straight to the kernel; the
// addon queues only what the kernel would not take and reports progress as it drains,
// which is when send callbacks fire (a callback fires once its bytes are with the kernel).
// Frames produced while one read is handled leave in one write, as on the stream transport.

import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { forcedBackendFromEnv } from '../../backend/select.js';
import { markReusedMemory } from '../../codec/decoder.js';
import type { Connection, WriteCallback } from '../../protocol/connection.js';
import { ADDON_PATH } from '../load-backends.js';
import { noteUnavailable, registerAdopter } from './select.js';
import type { NodeTransport, SocketView, TransportOwner } from './types.js';
import { ForwardsToOwner } from './owner-events.js';

/** The addon's socket functions, bound to one shared read buffer (bindings/transport.cc). */
interface SocketAddon {
  /** Takes over a duplicate of `fd`; returns the connection's id (throws when it cannot). */
  adopt(fd: number): number;
  /** Bytes still queued after the write (0: all with the kernel), or -1 when the connection is gone. */
  write(id: number, bytes: Uint8Array): number;
  writev(id: number, chunks: Uint8Array[]): number;
  /** EOF once the queue is sent. */
  end(id: number): void;
  /** Closes now; EVENT_CLOSED follows. */
  destroy(id: number): void;
  setReading(id: number, on: boolean): void;
  setNoDelay(id: number, on: boolean): boolean;
  setKeepAlive(id: number, on: boolean, idleSeconds: number): boolean;
}

type TransportFactory = (
  readBuffer: Uint8Array,
  onRead: (id: number, length: number) => void,
  onEvent: (id: number, kind: number, value: number) => void,
) => SocketAddon;

// onEvent kinds (bindings/transport.cc).
const EVENT_END = 1;
const EVENT_WRITTEN = 2;
const EVENT_CLOSED = 3;

/** One read's worth: the most a single read() takes from a socket. */
const READ_BUFFER_SIZE = 64 * 1024;
/** A batch up to this size is copied into one buffer before the write (an iovec costs more than copying a small frame). */
const COALESCE_BYTES = 16 * 1024;

/** The error a send callback gets when its bytes can no longer reach the kernel. */
function closedError(): Error {
  return new Error('The socket is closed');
}

/**
 * A net.Server's count of open connections (net.js internals): an adopted connection stays
 * counted until it closes, so server.close() (and a WebSocketServer's 'close') still waits
 * for it, as for a net.Socket.
 */
interface CountingServer {
  _connections: number;
  _emitCloseIfDrained(): void;
}

/** The socket's internals this transport reads: net.Socket's libuv handle. */
interface TcpHandle {
  readonly fd?: number;
  readonly writeQueueSize?: number;
}

function handleOf(socket: Duplex): TcpHandle | undefined {
  const handle = (socket as Duplex & { _handle?: TcpHandle | null })._handle;
  // Only a TCP handle: TLS sockets have a TLSWrap, pipes a Pipe, user Duplexes none.
  return handle != null && handle.constructor.name === 'TCP' ? handle : undefined;
}

/** One string per distinct address: thousands of idle connections from a few addresses keep a copy each otherwise. */
const addresses = new Map<string, string>();

function shared(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const known = addresses.get(address);
  if (known !== undefined) return known;
  if (addresses.size >= 1024) addresses.clear(); // bounded: a server facing many addresses gains nothing here
  addresses.set(address, address);
  return address;
}

/**
 * ws._socket once the socket is the addon's: the addresses, captured before the take-over
 * (net.Socket caches the peer's too, so `req.socket.remoteAddress` keeps working), and the
 * two tuning calls, done on the descriptor.
 */
class NativeSocketView implements SocketView {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;

  constructor(
    socket: Socket,
    private readonly transport: NativeTransport,
  ) {
    this.remoteAddress = shared(socket.remoteAddress);
    this.remotePort = socket.remotePort;
    this.remoteFamily = socket.remoteFamily;
    this.localAddress = shared(socket.localAddress);
    this.localPort = socket.localPort;
  }

  setNoDelay(noDelay = true): this {
    if (!this.transport.destroyed) addon!.setNoDelay(this.transport.id, noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    if (!this.transport.destroyed) addon!.setKeepAlive(this.transport.id, enable, Math.max(0, Math.floor(initialDelay / 1000)));
    return this;
  }
}

export class NativeTransport extends ForwardsToOwner implements NodeTransport {
  conn!: Connection;
  socket!: SocketView;
  /** Set by terminate()/destroy() or when the addon reports the connection closed. */
  destroyed = false;

  // Frames written while a read is handled (or during a hold) wait here and leave together.
  private batching = false;
  /** The batch's chunks: while it holds one write, that write's own array (not ours to change). */
  private batch: Uint8Array[] | null = null;
  private batchOwned = false;
  /** [end offset in the batch, callback] pairs for the batched writes that have one. */
  private batchCallbacks: Array<number | WriteCallback> | null = null;
  private batchedBytes = 0;
  /** Bytes the addon holds because the kernel would not take them (mirrors its count). */
  private queued = 0;
  /** Bytes handed to the addon so far; with `queued`, says which send callbacks are due. */
  private accepted = 0;
  /** Send callbacks waiting for the kernel: [end offset in `accepted`, callback] pairs. */
  private waiting: Array<number | WriteCallback> | null = null;
  /** pause(): reads are held here (at most one, then the addon stops reading) until resume. */
  private paused = false;
  private reading = false;
  /** Reads not yet handed to the connection, in order; null marks the peer's EOF. */
  private held: Array<Buffer | null> | null = null;
  private peerEnded = false;
  /** The server that counts this connection (see CountingServer), until it closes. */
  private server: CountingServer | null = null;

  private constructor(
    readonly id: number,
    owner: TransportOwner,
  ) {
    super(owner);
  }

  get kind(): 'native' {
    return 'native';
  }

  /** Takes the socket over (see the top of this file); throws, leaving the socket as it was, when it cannot. */
  static adopt(socket: Socket, owner: TransportOwner): NativeTransport {
    const handle = handleOf(socket);
    if (handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0) throw new Error('the socket has no TCP descriptor');
    // Bytes still on their way out through Node (a 101 response the kernel did not take
    // at once) would be lost with its handle.
    if (socket.writableLength > 0 || (handle.writeQueueSize ?? 0) > 0) throw new Error('the socket has writes in flight');
    if (socket.connecting || socket.destroyed || !socket.writable) throw new Error('the socket is not open');
    const id = addon!.adopt(handle.fd);
    const transport = new NativeTransport(id, owner);
    try {
      transport.socket = new NativeSocketView(socket, transport);
    } catch (err) {
      addon!.destroy(id); // the duplicate; the socket is untouched
      throw err;
    }
    // What Node read and nobody consumed: after the head, before the addon's first read.
    let early: Buffer[] | null = null;
    while (socket.readableLength > 0) {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) break;
      (early ??= []).push(chunk);
    }
    if (early !== null) transport.held = early;
    const counting = socket as Socket & { _server?: CountingServer | null };
    const server = counting._server;
    if (server != null && typeof server._connections === 'number' && typeof server._emitCloseIfDrained === 'function') {
      transport.server = server;
      counting._server = null; // the socket's destroy leaves the count to us
    }
    open[id] = transport;
    // Node's handle closes on the next tick, before the loop could read from it again: the
    // socket looks open until the upgrade is done, so a second handleUpgrade() with it
    // still meets ws's error rather than a socket closed under it.
    process.nextTick(closeSocket, socket);
    return transport;
  }

  bufferedBytes(): number {
    return this.batchedBytes + this.queued;
  }

  writeBacklog(): number {
    return this.queued;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Starts reading: bytes go to the connection. */
  attach(conn: Connection): void {
    this.conn = conn;
    // Bytes from the socket's Readable buffer follow the head, which the core hands to
    // receive() right after this (synchronously, so a tick later is after it).
    if (this.held !== null) process.nextTick(deliverHeld, this);
    else this.startReading();
  }

  /** Hands a read's bytes to the connection, then writes what it produced in one go. */
  receive(chunk: Uint8Array): void {
    this.batching = true;
    try {
      this.conn.receive(chunk);
    } finally {
      this.batching = false;
      if (this.batch !== null) this.flush();
    }
  }

  /** A read from the addon: its bytes are in the shared buffer until this returns. */
  onRead(length: number): void {
    if (this.paused || this.held !== null) {
      // Paused (or earlier reads still wait): keep a copy, and stop reading until resumed.
      const chunk = Buffer.allocUnsafe(length);
      readBuffer.copy(chunk, 0, 0, length);
      (this.held ??= []).push(chunk);
      this.stopReading();
      return;
    }
    // Lent, not copied: the decoder copies out what it delivers or keeps (markReusedMemory).
    this.receive(new Uint8Array(readBuffer.buffer, readBuffer.byteOffset, length));
  }

  onEnd(): void {
    this.peerEnded = true;
    this.reading = false;
    if (this.paused || this.held !== null) (this.held ??= []).push(null);
    else this.conn.transportEnded();
  }

  /** The addon sent queued bytes; `left` are still queued. */
  onWritten(left: number): void {
    this.queued = left;
    this.settle(false);
  }

  onClosed(): void {
    open[this.id] = undefined;
    this.destroyed = true;
    this.reading = false;
    this.queued = 0;
    // Sends whose bytes never reached the kernel hear it first, in order.
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting !== null) for (let i = 1; i < waiting.length; i += 2) (waiting[i] as WriteCallback)(closedError());
    // What was read and held (paused) is still delivered, as ws reads a socket's last bytes on close.
    const held = this.held;
    this.held = null;
    if (held !== null) for (const chunk of held) if (chunk !== null) this.receive(chunk);
    const server = this.server;
    if (server !== null) {
      this.server = null;
      server._connections--;
      server._emitCloseIfDrained();
    }
    this.conn.transportClosed();
  }

  /** Fires the send callbacks whose bytes are with the kernel (on the next tick when inside a write). */
  private settle(deferred: boolean): void {
    const waiting = this.waiting;
    if (waiting === null) return;
    const handed = this.accepted - this.queued;
    let i = 0;
    while (i < waiting.length && (waiting[i] as number) <= handed) i += 2;
    if (i === 0) return;
    const due = waiting.splice(0, i);
    if (waiting.length === 0) this.waiting = null;
    for (let k = 1; k < due.length; k += 2) {
      if (deferred) process.nextTick(due[k] as WriteCallback);
      else (due[k] as WriteCallback)();
    }
  }

  // Transport
  write(chunks: Uint8Array[], callback?: WriteCallback): void {
    if (this.batching) {
      // The common read answers with one write: its array is kept as is (no copy, no growth).
      if (this.batch === null) this.batch = chunks;
      else {
        if (!this.batchOwned) {
          this.batch = this.batch.slice();
          this.batchOwned = true;
        }
        for (let i = 0; i < chunks.length; i++) this.batch.push(chunks[i]);
      }
      for (let i = 0; i < chunks.length; i++) this.batchedBytes += chunks[i].length;
      if (callback) (this.batchCallbacks ??= []).push(this.batchedBytes, callback);
      return;
    }
    const left = this.destroyed ? -1 : chunks.length === 1 ? addon!.write(this.id, chunks[0]) : addon!.writev(this.id, chunks);
    if (left < 0) {
      if (callback) process.nextTick(callback, closedError());
      return;
    }
    for (let i = 0; i < chunks.length; i++) this.accepted += chunks[i].length;
    this.queued = left;
    if (callback) (this.waiting ??= []).push(this.accepted, callback);
    this.settle(true);
  }

  /** Writes the batch in one system call (small frames copied into one buffer: cheaper than an iovec each). */
  private flush(): void {
    const batch = this.batch!;
    const bytes = this.batchedBytes;
    const callbacks = this.batchCallbacks;
    this.batch = null;
    this.batchOwned = false;
    this.batchCallbacks = null;
    this.batchedBytes = 0;
    let left = -1;
    if (!this.destroyed) {
      if (batch.length === 1) left = addon!.write(this.id, batch[0]);
      else if (bytes <= COALESCE_BYTES) left = addon!.write(this.id, concat(batch, bytes));
      else left = addon!.writev(this.id, batch);
    }
    if (left < 0) {
      // Nothing can be written any more: callbacks still hear.
      if (callbacks !== null) for (let i = 1; i < callbacks.length; i += 2) process.nextTick(callbacks[i] as WriteCallback, closedError());
      return;
    }
    const base = this.accepted;
    this.accepted += bytes;
    this.queued = left;
    if (callbacks !== null) {
      const waiting = (this.waiting ??= []);
      for (let i = 0; i < callbacks.length; i += 2) waiting.push(base + (callbacks[i] as number), callbacks[i + 1]);
    }
    this.settle(true);
  }

  /** Holds this tick's writes and sends them together on the next tick (broadcast coalescing). */
  holdWritesUntilNextTick(): void {
    if (this.batching) return;
    this.batching = true;
    process.nextTick(releaseHeldWrites, this);
  }

  /** Ends a hold started by holdWritesUntilNextTick. */
  releaseHeldWrites(): void {
    this.batching = false;
    if (this.batch !== null) this.flush();
  }

  end(): void {
    // EOF goes after the frames batched in this read.
    if (this.batch !== null) this.flush();
    if (!this.destroyed) addon!.end(this.id);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    addon!.destroy(this.id);
  }

  pauseReading(): void {
    // Lazily, as a paused net.Socket: the next read is held and only then does the addon
    // stop polling, so a short pause (a message being inflated) costs no system call.
    this.paused = true;
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.held !== null) process.nextTick(deliverHeld, this);
    else this.startReading();
  }

  /** Hands held reads (and a held EOF) to the connection while it is not paused, then reads again. */
  deliverHeld(): void {
    const held = this.held;
    while (held !== null && held.length > 0 && !this.paused && !this.destroyed) {
      const chunk = held.shift()!;
      if (chunk === null) this.conn.transportEnded();
      else this.receive(chunk);
    }
    if (held !== null && held.length === 0 && this.held === held) this.held = null;
    if (this.held === null && !this.paused) this.startReading();
  }

  private startReading(): void {
    if (this.reading || this.destroyed || this.peerEnded) return;
    this.reading = true;
    addon!.setReading(this.id, true);
  }

  private stopReading(): void {
    if (!this.reading || this.destroyed) return;
    this.reading = false;
    addon!.setReading(this.id, false);
  }
}

function concat(chunks: Uint8Array[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length;
  }
  return out;
}

function closeSocket(socket: Socket): void {
  socket.destroy();
}

function releaseHeldWrites(transport: NativeTransport): void {
  transport.releaseHeldWrites();
}

function deliverHeld(transport: NativeTransport): void {
  transport.deliverHeld();
}

/** The adopted connections by id (the addon knows them by id only). */
const open: Array<NativeTransport | undefined> = [];
const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
// Every read lands here and is handed to the decoder as lent memory: it unmasks in place
// and copies out what it delivers, so no Buffer is made per read.
markReusedMemory(readBuffer.buffer);

function onRead(id: number, length: number): void {
  open[id]?.onRead(length);
}

function onEvent(id: number, kind: number, value: number): void {
  const transport = open[id];
  if (transport === undefined) return;
  if (kind === EVENT_WRITTEN) transport.onWritten(value);
  else if (kind === EVENT_END) transport.onEnd();
  else if (kind === EVENT_CLOSED) transport.onClosed();
}

/** The addon's socket functions, or why there are none here. */
function loadAddon(): SocketAddon | string {
  const backend = forcedBackendFromEnv();
  if (backend === 'wasm' || backend === 'js') return `WSCODEC_BACKEND=${backend}: no native code runs`;
  if (process.platform === 'win32') return 'the addon has no socket transport on Windows';
  let loaded: { transport?: TransportFactory };
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH.pathname) as { transport?: TransportFactory };
  } catch (err) {
    return `the native addon could not be loaded from ${ADDON_PATH.pathname}: ${(err as Error).message.split('\n')[0]}; npm install builds it when a C++ toolchain is present`;
  }
  if (typeof loaded.transport !== 'function')
    return `the native addon at ${ADDON_PATH.pathname} predates the socket transport (npm run build:native rebuilds it)`;
  return loaded.transport(readBuffer, onRead, onEvent);
}

const loaded = loadAddon();
const addon = typeof loaded === 'string' ? undefined : loaded;

if (addon === undefined) {
  noteUnavailable('native', loaded as string);
} else {
  registerAdopter({
    kind: 'native',
    applies(socket: Duplex): boolean {
      if (!(socket instanceof Socket) || (socket as Socket & { encrypted?: boolean }).encrypted) return false;
      const handle = handleOf(socket);
      return handle !== undefined && typeof handle.fd === 'number' && handle.fd >= 0;
    },
    adopt(socket: Duplex, owner: TransportOwner): NodeTransport {
      return NativeTransport.adopt(socket as Socket, owner);
    },
  });
}
