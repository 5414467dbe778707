// Frame encoding (RFC 6455 §5.2). Server frames leave the payload where it is: a large
// one comes back as [header, payload] for a vectored write. Client frames are masked
// into one new buffer, never in the caller's payload.

import { allocUninitialized } from './alloc.js';
import { Opcode } from './constants.js';
import { mask as maskInto } from './mask.js';
import { nextMaskKey } from './mask-key.js';

export interface EncodeOptions {
  /** Last frame of the message (default true). */
  fin?: boolean;
  /** RSV1: the message is compressed (permessage-deflate), first frame only. */
  rsv1?: boolean;
  /** true: mask with a fresh random key (clients must); a 4-byte array: use that key. */
  mask?: boolean | Uint8Array;
}

/** Up to this size an unmasked payload is copied behind its header: one buffer beats two writes. */
const COPY_BELOW = 1024;

const textEncoder = new TextEncoder();

export function encodeFrame(opcode: Opcode, payload: Uint8Array | string, options: EncodeOptions = {}): Uint8Array[] {
  const { fin = true, rsv1 = false, mask = false } = options;
  const data = typeof payload === 'string' ? textEncoder.encode(payload) : payload;
  const length = data.length;
  if (opcode >= Opcode.Close) {
    if (opcode > Opcode.Pong) throw new RangeError(`Invalid opcode ${opcode}`);
    if (!fin) throw new RangeError('Control frames cannot be fragmented');
    if (length > 125) throw new RangeError('Control frame payloads are at most 125 bytes');
    if (rsv1) throw new RangeError('RSV1 is only for data frames');
  } else if (opcode > Opcode.Binary || opcode < 0) {
    throw new RangeError(`Invalid opcode ${opcode}`);
  }

  const key = mask === false ? null : mask === true ? nextMaskKey() : mask;
  if (key !== null && key.length !== 4) throw new RangeError('A mask key is 4 bytes');
  const lengthBytes = length > 0xffff ? 8 : length > 125 ? 2 : 0;
  const headerLength = 2 + lengthBytes + (key ? 4 : 0);
  const inline = key !== null || length < COPY_BELOW;
  // Every byte is written below; on Node this is a pooled Buffer, which sockets take as is.
  const out = allocUninitialized(inline ? headerLength + length : headerLength);

  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = key ? 0x80 : 0;
  if (lengthBytes === 0) {
    out[1] = maskBit | length;
  } else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    out[2] = high >>> 24;
    out[3] = (high >>> 16) & 0xff;
    out[4] = (high >>> 8) & 0xff;
    out[5] = high & 0xff;
    out[6] = length >>> 24;
    out[7] = (length >>> 16) & 0xff;
    out[8] = (length >>> 8) & 0xff;
    out[9] = length & 0xff;
  }

  if (key !== null) {
    out.set(key, headerLength - 4);
    maskInto(data, key, out, headerLength, length);
    return [out];
  }
  if (inline) {
    out.set(data, headerLength);
    return [out];
  }
  return [out, data];
}
