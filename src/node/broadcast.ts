// Broadcast: frame a message once and write the same bytes to every open socket. Server
// frames are unmasked, so one encoding serves all. Writes are held until the next tick,
// so a burst of broadcasts costs each socket one write (the syscall, not the framing, is
// what a fan-out pays for).
//
// permessage-deflate connections get the message compressed — once per group of
// connections whose server side deflates with the same window, not once per connection:
// the message is deflated by a fresh raw deflate stream (so it references no earlier data
// and any inflater state can take it), framed with RSV1, and that one frame goes to the
// whole group. Connections without deflate, and messages under a connection's threshold,
// get the plain frame (valid on a deflate connection too: RSV1 clear means not compressed).
// A connection with context takeover then has the shared message in its peer's window but
// not in its own compressor's, so its compressor starts its next message from an empty
// window (Connection.sendPrecompressed → MessageCompressor.forgetContext, reset lazily).
//
// Sockets of another implementation (ws's WebSocket, say) get the message through their
// own send(), one framing each: the shared frames reach only our WebSockets' connections.

import { constants, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { Opcode } from '../codec/constants.js';
import { encodeFrame } from '../codec/encoder.js';
import { internalsOf, type DeflateShare, type WebSocketInternals } from './websocket-internals.js';

/** What broadcast writes to: our WebSocket, or any socket with ws's readyState and send(). */
export interface BroadcastSocket {
  readonly readyState: number;
  send(data: Uint8Array, options: { binary: boolean }): void;
}

export interface BroadcastOptions {
  /** Send as binary (default: true unless `data` is a string). */
  binary?: boolean;
  /** Skip this socket (typically the sender). */
  except?: BroadcastSocket;
}

const OPEN = 1;

/** Sends `data` to every open socket in `clients`; returns how many it was written to. */
export function broadcast(clients: Iterable<BroadcastSocket>, data: string | Uint8Array, options: BroadcastOptions = {}): number {
  const binary = options.binary ?? typeof data !== 'string';
  const opcode = binary ? Opcode.Binary : Opcode.Text;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let plain: Uint8Array[] | undefined;
  // window bits → the deflate connections that get one shared compressed frame
  let groups: Map<number, WebSocketInternals[]> | undefined;
  let sent = 0;
  for (const client of clients) {
    if (client === options.except) continue;
    const internals = internalsOf(client);
    if (internals === undefined) {
      if (client.readyState !== OPEN) continue;
      client.send(bytes, { binary });
      sent++;
      continue;
    }
    const share = internals.deflateShare;
    if (share === null || bytes.length < share.threshold) {
      // Coalesced: frames broadcast in one tick leave each socket in one write on the next.
      if (internals.sendFrames((plain ??= encodeFrame(opcode, bytes)), undefined, true)) sent++;
      continue;
    }
    if (client.readyState !== OPEN) continue;
    groups ??= new Map();
    const group = groups.get(share.windowBits);
    if (group === undefined) groups.set(share.windowBits, [internals]);
    else group.push(internals);
  }
  if (groups !== undefined) {
    for (const [windowBits, group] of groups) {
      const frames = encodeFrame(opcode, compressShared(bytes, windowBits, group[0]!.deflateShare!), { rsv1: true });
      for (const internals of group) {
        if (internals.sendPrecompressed(frames, undefined, true)) sent++;
      }
    }
  }
  return sent;
}

/**
 * One message for a whole group, with a fresh raw deflate ending in a sync flush (no
 * BFINAL, so inflaters with context takeover keep going), tail removed (RFC 7692 §7.2.1).
 * Synchronous on purpose: it runs once per publish per group, not per connection, so it
 * does not need the thread pool's parallelism, and the frame exists before broadcast()
 * returns — it enters every connection's send order right where the call was made, with
 * no async step other sends could overtake.
 */
function compressShared(bytes: Uint8Array, windowBits: number, share: DeflateShare): Uint8Array {
  const options: ZlibOptions = {
    // zlib refuses raw deflate with an 8-bit window; its 9-bit output never reaches back
    // beyond 250 bytes, valid for a peer inflating with 256 (src/protocol/permessage-deflate.ts).
    windowBits: Math.max(windowBits, 9),
    finishFlush: constants.Z_SYNC_FLUSH,
  };
  // Only the knobs that change how hard zlib tries, never ones that change the stream
  // format (a preset dictionary would make the output undecodable for the peer).
  const z = share.zlibDeflateOptions;
  if (z !== undefined) {
    if (typeof z.level === 'number') options.level = z.level;
    if (typeof z.memLevel === 'number') options.memLevel = z.memLevel;
    if (typeof z.strategy === 'number') options.strategy = z.strategy;
  }
  const out = deflateRawSync(bytes, options);
  const n = out.length;
  if (n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff) {
    // An empty message leaves a lone 00 (an empty stored block once the tail is appended).
    return n === 4 ? Buffer.from([0x00]) : out.subarray(0, n - 4);
  }
  return out;
}
