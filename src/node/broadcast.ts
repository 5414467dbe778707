// Broadcast: frame a message once and write the same bytes to every open socket. Server
// frames are unmasked, so one encoding serves all; an uncompressed frame is valid on a
// connection that negotiated permessage-deflate too (RSV1 clear means not compressed).
// Writes are held until the next tick, so a burst of broadcasts costs each socket one
// write (the syscall, not the framing, is what a fan-out pays for).

import { Opcode } from '../codec/constants.js';
import { encodeFrame } from '../codec/encoder.js';
import type { WebSocket } from './websocket.js';

export interface BroadcastOptions {
  /** Send as binary (default: true unless `data` is a string). */
  binary?: boolean;
  /** Skip this socket (typically the sender). */
  except?: WebSocket;
}

/** Sends `data` to every open socket in `clients`; returns how many it was written to. */
export function broadcast(clients: Iterable<WebSocket>, data: string | Uint8Array, options: BroadcastOptions = {}): number {
  const binary = options.binary ?? typeof data !== 'string';
  const frames = encodeFrame(binary ? Opcode.Binary : Opcode.Text, data);
  let sent = 0;
  for (const client of clients) {
    // Coalesced: frames broadcast in one tick leave each socket in one write on the next.
    if (client !== options.except && client._sendFrames(frames, undefined, true)) sent++;
  }
  return sent;
}
