// What a WebSocket needs from the thing that carries its bytes on Node. Three kinds
// implement it (DESIGN.md, "Own the socket"): the stream transport over any Duplex
// (net.Socket, tls.TLSSocket, a createConnection stream), and the two that own a plain
// TCP socket's reads and writes (direct, native). The Connection sees only its Transport
// half; the WebSocket's core sees the rest.

import type { Buffer } from 'node:buffer';
import type { Connection, ConnectionEvents, Transport } from '../../protocol/connection.js';

export type TransportKind = 'native' | 'direct' | 'stream';

/** Where a transport reports the connection's events (the WebSocket's core: websocket-core.ts). */
export interface TransportOwner {
  onMessage(data: Uint8Array, isBinary: boolean): void;
  /** 'ping', 'pong' and 'error', as the WebSocket's events. */
  emit(event: string, ...args: unknown[]): boolean;
  onClosed(code: number, reason: string): void;
}

/**
 * The socket as `ws._socket` shows it: what code written for ws reads there. The stream
 * transport shows the Duplex itself; a transport that took the socket over shows a view.
 */
export interface SocketView {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly remoteFamily?: string;
  readonly localAddress?: string;
  readonly localPort?: number;
  setNoDelay(noDelay?: boolean): unknown;
  setKeepAlive(enable?: boolean, initialDelay?: number): unknown;
}

export interface NodeTransport extends Transport, ConnectionEvents {
  readonly kind: TransportKind;
  /** What `ws._socket` returns. */
  readonly socket: SocketView;
  /** Starts reading: bytes go to `conn`; frames sent while handling a read leave in one write. */
  attach(conn: Connection): void;
  /** Bytes that came with the handshake (a server's `head`, what followed a client's 101), handled as one read. */
  receive(chunk: Buffer): void;
  /** Holds this tick's writes and sends them together on the next tick (broadcast coalescing). */
  holdWritesUntilNextTick(): void;
  /** Bytes handed to the transport and not yet taken by the kernel: its share of bufferedAmount. */
  bufferedBytes(): number;
}
