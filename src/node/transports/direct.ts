// The direct transport: a plain TCP (or pipe) net.Socket whose reads skip Node's Readable
// machinery. Node's `onread` option (a buffer and a callback) makes libuv read into one
// buffer we own and call us with the byte count: no Buffer per read, no 'data' event. Every
// adopted socket shares that one buffer (reads are delivered one at a time, synchronously),
// and with the wasm backend it is a region of linear memory, so frames are scanned and
// unmasked where they landed, never copied in (DESIGN.md, "Own the socket"). The decoder
// knows the buffer is reused (markReusedMemory) and delivers copies.
//
// An accepted socket was made without `onread`, so adopting one sets the same two slots
// the option would have set, on the socket itself: it stays the object ws._socket and
// req.socket are, with its addresses, its writes, its half-close and its close. Bytes Node
// already read into its Readable buffer are taken out first and handled right after the
// handshake's head. Writes, batching, EOF and errors are the stream transport's; pausing
// keeps its behaviour too (one more read is taken and held, so EOF is still seen).

import { Buffer } from 'node:buffer';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { activeBackend } from '../../backend/select.js';
import { markReusedMemory } from '../../codec/decoder.js';
import type { Connection } from '../../protocol/connection.js';
import { registerAdopter, type SocketAdopter } from './select.js';
import { StreamTransport } from './stream.js';
import type { TransportOwner } from './types.js';

/** Four times the read Node asks libuv for: pipelined big messages take fewer reads (≈ 1.1× at 64 KiB in one quick run). */
const READ_BYTES = 256 * 1024;

/** What adoption uses of a net.Socket beyond its public API: its libuv stream handle and Readable state. */
type AdoptedSocket = Socket & {
  _handle: { useUserBuffer(buffer: Uint8Array): void } | null;
  _readableState?: { ended?: boolean };
  [kDirect]?: DirectTransport;
} & Record<symbol, unknown>;

const kDirect = Symbol('wscodec direct transport');

/** The socket's `onread` slots (net.js keeps them under symbols named kBuffer and kBufferCb). */
let slots: { buffer: symbol; callback: symbol } | null = null;
let shared: Uint8Array | null = null;

function onreadSlots(socket: AdoptedSocket): { buffer: symbol; callback: symbol } {
  if (slots === null) {
    const own = Object.getOwnPropertySymbols(socket);
    const buffer = own.find((s) => s.description === 'kBuffer');
    const callback = own.find((s) => s.description === 'kBufferCb');
    if (buffer === undefined || callback === undefined) throw new Error("this Node's net.Socket has no onread slots");
    slots = { buffer, callback };
  }
  return slots;
}

/** The one read buffer: resident memory where the backend has it, else a Buffer of our own. */
function readBuffer(): Uint8Array {
  if (shared === null) {
    const backend = activeBackend();
    let buffer: Uint8Array | undefined;
    try {
      buffer = backend.residentBuffer?.(READ_BYTES);
    } catch {
      buffer = undefined; // no room in linear memory: a Buffer serves (the reads are then copied in)
    }
    shared = buffer ?? Buffer.allocUnsafeSlow(READ_BYTES);
    markReusedMemory(shared.buffer);
  }
  return shared;
}

// Everything the stream transport has is what this one does, but for `kind` (its literal
// type) and the methods overridden here.
interface StreamBase extends Omit<StreamTransport, 'kind' | 'attach' | 'receive' | 'pauseReading' | 'resumeReading'> {
  attach(conn: Connection): void;
  receive(chunk: Buffer): void;
  pauseReading(): void;
  resumeReading(): void;
}
const Base: new (stream: Duplex, owner: TransportOwner) => StreamBase = StreamTransport;

export class DirectTransport extends Base {
  readonly kind = 'direct';
  /** Owned bytes waiting their turn: what the socket read before adoption, or a read that came while paused. */
  private held: Buffer[] | null;
  private paused = false;
  /** Whether the handle was told to stop reading (a read came while paused). */
  private stopped = false;

  constructor(socket: AdoptedSocket, owner: TransportOwner, early: Buffer | null) {
    super(socket, owner);
    this.held = early === null ? null : [early];
  }

  override attach(conn: Connection): void {
    this.conn = conn;
    const socket = this.stream as AdoptedSocket;
    socket[kDirect] = this;
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    // Unless the head comes first (receive), the early bytes go before the next read.
    if (this.held !== null) process.nextTick(deliverHeld, this);
    socket.resume(); // with onread set: readStart on the handle
  }

  /** The handshake's head, then what the socket read before adoption. */
  override receive(chunk: Buffer): void {
    super.receive(chunk);
    this.deliverHeld();
  }

  /** A read, lent until this returns. */
  read(chunk: Uint8Array): void {
    if (!this.paused) {
      super.receive(chunk as Buffer);
      return;
    }
    // Paused, yet the handle read on, as a paused net.Socket fills its buffer: that is how
    // EOF and resets are still seen while paused. This read waits, and reading stops.
    (this.held ??= []).push(Buffer.from(chunk));
    this.stopped = true;
    this.stream.pause();
  }

  override pauseReading(): void {
    this.paused = true;
  }

  override resumeReading(): void {
    this.paused = false;
    if (this.held !== null) process.nextTick(deliverHeld, this);
    else this.restart();
  }

  deliverHeld(): void {
    const held = this.held;
    while (held !== null && held.length > 0 && !this.paused) super.receive(held.shift()!);
    if (held !== null && held.length === 0) this.held = null;
    if (this.held === null && !this.paused) this.restart();
  }

  private restart(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stream.resume();
  }
}

function deliverHeld(transport: DirectTransport): void {
  transport.deliverHeld();
}

// Called by net.js's onStreamRead with `this` the socket; the bytes are lent until it returns.
function onRead(this: AdoptedSocket, nread: number, buffer: Uint8Array): boolean {
  // A view, not a Buffer: the decoder only reads it (and unmasks in place) before this returns.
  this[kDirect]!.read(new Uint8Array(buffer.buffer, buffer.byteOffset, nread));
  return true;
}

function socketOnEnd(this: AdoptedSocket): void {
  this[kDirect]!.conn.transportEnded();
}

function socketOnClose(this: AdoptedSocket): void {
  this[kDirect]!.conn.transportClosed();
}

function socketOnError(this: AdoptedSocket): void {
  this.destroy();
}

/** Makes libuv read `socket` into the shared buffer; what it had read already is returned. */
function takeOverReads(socket: AdoptedSocket): Buffer | null {
  const handle = socket._handle;
  if (handle === null || typeof handle.useUserBuffer !== 'function') throw new Error('the socket has no stream handle');
  if (socket.destroyed || socket._readableState?.ended) throw new Error('the socket has already ended or closed');
  if (socket.listenerCount('data') > 0 || socket.listenerCount('readable') > 0) throw new Error('someone else reads the socket');
  const { buffer, callback } = onreadSlots(socket);
  if (socket[buffer] !== null) throw new Error('the socket already reads into a buffer of its own');
  const read = readBuffer();
  // What the socket read before now sits in its Readable buffer: read() takes all of it.
  const early = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  socket[buffer] = read;
  socket[callback] = onRead;
  handle.useUserBuffer(read);
  return early;
}

const adopter: SocketAdopter = {
  kind: 'direct',
  applies(socket) {
    if (!(socket instanceof Socket) || socket instanceof TLSSocket) return false;
    const name = (socket as AdoptedSocket)._handle?.constructor.name;
    return name === 'TCP' || name === 'Pipe';
  },
  adopt(socket, owner) {
    const adopted = socket as AdoptedSocket;
    // Every check that can refuse the socket comes before anything of it changes.
    const early = takeOverReads(adopted);
    return new DirectTransport(adopted, owner, early);
  },
};

registerAdopter(adopter);
