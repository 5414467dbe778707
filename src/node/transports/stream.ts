// The stream transport: a connection over any Duplex (net.Socket, tls.TLSSocket, a
// createConnection stream), through Node's stream API. It always works; the transports
// that own a TCP socket's reads and writes are faster where they apply (select.ts).
// One object with methods is both the connection's Transport and its event sink, and the
// socket's listeners are shared functions that find it through a symbol: an idle server
// holds thousands of these, and a dozen closures each would cost more than the socket's
// own JS state. Frames produced while one read is handled leave in one write (corked
// when several).

import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { Connection, WriteCallback } from '../../protocol/connection.js';
import type { NodeTransport, SocketView, TransportOwner } from './types.js';
import { ForwardsToOwner } from './owner-events.js';

const kBinding = Symbol('wscodec stream transport');
type BoundSocket = Duplex & { [kBinding]?: StreamTransport };

export class StreamTransport extends ForwardsToOwner implements NodeTransport {
  readonly kind = 'stream';
  conn!: Connection;

  constructor(
    readonly stream: Duplex,
    owner: TransportOwner,
  ) {
    super(owner);
  }

  /** The Duplex itself (a net.Socket has everything code written for ws reads from ws._socket). */
  get socket(): SocketView {
    return this.stream as Duplex & SocketView;
  }

  bufferedBytes(): number {
    return this.stream.writableLength + this.batchedBytes;
  }

  /** Starts reading: bytes go to the connection; frames sent while handling a read leave in one write. */
  attach(conn: Connection): void {
    this.conn = conn;
    const socket = this.stream as BoundSocket;
    socket[kBinding] = this;
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    // As in ws, a socket error (ECONNRESET, EPIPE) is not the application's error: the
    // connection closes with 1006 and 'close' says so.
    socket.on('error', socketOnError);
  }

  // Frames written while a read is handled wait here and leave together when it is done
  // (one write for one frame: cheaper than corking the socket around every read).
  private batching = false;
  private batch: Uint8Array[] | null = null;
  private batchCallbacks: Array<WriteCallback | undefined> | null = null;
  /** Bytes waiting in the batch (part of bufferedAmount). */
  batchedBytes = 0;

  // Transport
  write(chunks: Uint8Array[], callback?: WriteCallback): void {
    if (this.batching) {
      const batch = (this.batch ??= []);
      const callbacks = (this.batchCallbacks ??= []);
      for (let i = 0; i < chunks.length; i++) {
        batch.push(chunks[i]);
        callbacks.push(i === chunks.length - 1 ? callback : undefined);
        this.batchedBytes += chunks[i].length;
      }
      return;
    }
    const socket = this.stream;
    if (chunks.length === 1) {
      socket.write(chunks[0], callback);
      return;
    }
    socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i]);
    socket.write(chunks[chunks.length - 1], callback);
    socket.uncork();
  }

  /**
   * Holds this tick's writes and sends them together on the next tick. Broadcasts use it:
   * a burst of publishes then costs each subscriber one write, not one per message.
   * Inside a read it changes nothing (the read's own batch leaves when the read is done).
   */
  holdWritesUntilNextTick(): void {
    if (this.batching) return;
    this.batching = true;
    process.nextTick(releaseHeldWrites, this);
  }

  /** Ends a hold started by holdWritesUntilNextTick. */
  releaseHeldWrites(): void {
    this.batching = false;
    if (this.batch !== null && this.batch.length > 0) this.flush();
  }

  writeBacklog(): number {
    return this.stream.writableLength;
  }

  isDestroyed(): boolean {
    return this.stream.destroyed;
  }

  /** Hands a read's bytes to the connection, then writes what it produced. */
  receive(chunk: Buffer): void {
    this.batching = true;
    try {
      this.conn.receive(chunk);
    } finally {
      this.batching = false;
      if (this.batch !== null && this.batch.length > 0) this.flush();
    }
  }

  private flush(): void {
    if (this.stream.destroyed) {
      // Nothing can be written any more (a held write outlived the socket): callbacks still hear.
      for (const cb of this.batchCallbacks!) if (cb) process.nextTick(cb, new Error('The socket is closed'));
      this.batch!.length = 0;
      this.batchCallbacks!.length = 0;
      this.batchedBytes = 0;
      return;
    }
    const socket = this.stream;
    const batch = this.batch!;
    const callbacks = this.batchCallbacks!;
    this.batchedBytes = 0;
    if (batch.length === 1) {
      socket.write(batch[0], callbacks[0]);
    } else {
      socket.cork();
      for (let i = 0; i < batch.length; i++) socket.write(batch[i], callbacks[i]);
      socket.uncork();
    }
    batch.length = 0;
    callbacks.length = 0;
  }

  end(): void {
    // EOF goes after the frames batched in this read.
    if (this.batch !== null && this.batch.length > 0) this.flush();
    this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
  }

  pauseReading(): void {
    this.stream.pause();
  }

  resumeReading(): void {
    this.stream.resume();
  }
}

function releaseHeldWrites(binding: StreamTransport): void {
  binding.releaseHeldWrites();
}

function socketOnData(this: BoundSocket, chunk: Buffer): void {
  this[kBinding]!.receive(chunk);
}

function socketOnEnd(this: BoundSocket): void {
  this[kBinding]!.conn.transportEnded();
}

function socketOnClose(this: BoundSocket): void {
  this[kBinding]!.conn.transportClosed();
}

function socketOnError(this: BoundSocket): void {
  this.destroy();
}
