// The one way into a WebSocket's plumbing for the rest of src/node. Users get ws's API on
// WebSocket; the handshakes hand over the socket through this handle, and broadcast writes
// frames encoded once for many connections through it. The symbol is not reachable from
// the package's exports, so nothing here is API: it changes with the code behind it.
// This module imports no other of ours at run time, so everything can depend on it
// without a cycle (client.ts in particular, which websocket.ts imports).

import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { WriteCallback } from '../protocol/connection.js';
import type { NegotiatedDeflate } from './deflate-setup.js';

export const kInternals: unique symbol = Symbol('wscodec WebSocket internals');

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

/**
 * What a message compressed once for many connections must match to be sent on one of
 * them: the window our side deflates with, and the threshold below which messages go out
 * uncompressed.
 */
export interface DeflateShare {
  /** Negotiated window of our side's compressor, 8–15 (8 deflates with zlib's 9). */
  windowBits: number;
  /** perMessageDeflate.threshold: smaller messages are sent uncompressed. */
  threshold: number;
  zlibDeflateOptions: Record<string, unknown> | undefined;
}

export interface WebSocketInternals {
  /** The client's URL: the client handshake sets it, again for every redirect it follows. */
  url: string;
  /** Set by the client handshake while a request is in flight: close()/terminate() while connecting call it. */
  abortHandshake: ((message: string) => void) | null;
  /**
   * The client handshake failed before a connection existed: CLOSING now, then 'error'
   * (unless `err` is null), CLOSED and 'close' 1006 — on the next tick when `deferred`.
   */
  failHandshake(err: Error | null, deferred?: boolean): void;
  /**
   * Takes over a socket whose handshake is complete. The caller then emits 'connection' /
   * 'open', and only after that hands over the bytes that came with the handshake.
   */
  setSocket(socket: Duplex, setup: SocketSetup): void;
  /** The bytes that arrived with the handshake (the server's `head`, what followed the client's 101). */
  receiveHead(head: Uint8Array): void;
  /** null without permessage-deflate. */
  readonly deflateShare: DeflateShare | null;
  /**
   * Writes frames encoded once for many sockets; false unless OPEN. `coalesce` holds this
   * tick's writes so a burst of broadcasts leaves in one write on the next tick.
   */
  sendFrames(frames: Uint8Array[], cb?: WriteCallback, coalesce?: boolean): boolean;
  /** The same for a message compressed once for many sockets (needs `deflateShare`; see Connection.sendPrecompressed). */
  sendPrecompressed(frames: Uint8Array[], cb?: WriteCallback, coalesce?: boolean): boolean;
}

/** A WebSocket as the handshakes see it: its events and its handle. */
export interface InternalSocket extends EventEmitter {
  readonly [kInternals]: WebSocketInternals;
}

/** The handle of one of our WebSockets; undefined for any other object (ws's WebSocket, say). */
export function internalsOf(socket: object): WebSocketInternals | undefined {
  return (socket as Partial<InternalSocket>)[kInternals];
}
