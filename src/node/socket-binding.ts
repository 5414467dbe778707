// Joins one socket, its protocol Connection and its WebSocket. One object with methods
// is both the connection's Transport and its event sink, and the socket's listeners are
// shared functions that find it through a symbol: an idle server holds thousands of
// these, and a dozen closures each would cost more than the socket's own JS state.

import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { Connection, ConnectionEvents, Transport, WriteCallback } from '../protocol/connection.js';

/** What the binding reports to its WebSocket. */
export interface BindingOwner {
  _onMessage(data: Uint8Array, isBinary: boolean): void;
  emit(event: string, ...args: unknown[]): boolean;
  _onClosed(code: number, reason: string): void;
}

const kBinding = Symbol('wscodec binding');
type BoundSocket = Duplex & { [kBinding]?: SocketBinding };

export class SocketBinding implements Transport, ConnectionEvents {
  conn!: Connection;

  constructor(readonly socket: Duplex, private readonly owner: BindingOwner) {}

  /** Starts reading: bytes go to the connection; frames sent while handling a read leave in one write. */
  attach(conn: Connection): void {
    this.conn = conn;
    const socket = this.socket as BoundSocket;
    socket[kBinding] = this;
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    // As in ws, a socket error (ECONNRESET, EPIPE) is not the application's error: the
    // connection closes with 1006 and 'close' says so.
    socket.on('error', socketOnError);
  }

  // Transport
  write(chunks: Uint8Array[], callback?: WriteCallback): void {
    const socket = this.socket;
    if (chunks.length === 1) {
      socket.write(chunks[0], callback);
      return;
    }
    socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i]);
    socket.write(chunks[chunks.length - 1], callback);
    socket.uncork();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  // ConnectionEvents
  message(data: Uint8Array, isBinary: boolean): void {
    this.owner._onMessage(data, isBinary);
  }

  ping(data: Uint8Array): void {
    this.owner.emit('ping', toBuffer(data));
  }

  pong(data: Uint8Array): void {
    this.owner.emit('pong', toBuffer(data));
  }

  error(err: Error): void {
    this.owner.emit('error', err);
  }

  closed(code: number, reason: string): void {
    this.owner._onClosed(code, reason);
  }
}

function socketOnData(this: BoundSocket, chunk: Buffer): void {
  const conn = this[kBinding]!.conn;
  this.cork();
  try {
    conn.receive(chunk);
  } finally {
    this.uncork();
  }
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

export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
