// The connection's events as the WebSocket's, the same for every transport: a transport
// extends this and passes its owner (the WebSocket's core) up.

import type { ConnectionEvents } from '../../protocol/connection.js';
import { toBuffer } from '../to-buffer.js';
import type { TransportOwner } from './types.js';

export abstract class ForwardsToOwner implements ConnectionEvents {
  constructor(protected readonly owner: TransportOwner) {}

  message(data: Uint8Array, isBinary: boolean): void {
    this.owner.onMessage(data, isBinary);
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
    this.owner.onClosed(code, reason);
  }
}
