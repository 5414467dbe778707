// Batch frame scan: one call walks every complete frame in [start, end), checks the
// header rules, unmasks payloads in place, validates single-frame text and writes a
// compact frame table. Constants mirror src/backend/scan-contract.ts (a test compares
// them with these exports).

import { unmaskRegion } from './mask';
import { utf8Step } from './utf8';

// scan flags
export const SCAN_REQUIRE_MASK: u32 = 1;
export const SCAN_REJECT_MASK: u32 = 2;
export const SCAN_ALLOW_RSV1: u32 = 4;
export const SCAN_VALIDATE_UTF8: u32 = 8;

// frame-table entry: 3 × i32 = [flags, payload offset, payload length]; flags holds the
// opcode in its low 4 bits plus these bits
export const FRAME_FIN: u32 = 16;
export const FRAME_RSV1: u32 = 32;
export const FRAME_BAD_UTF8: u32 = 64;
export const ENTRY_SIZE: u32 = 12;

// header errors (the decoder maps them to close codes)
export const ERR_RSV_2_3: i32 = 1;
export const ERR_RSV_1: i32 = 2;
export const ERR_OPCODE: i32 = 3;
export const ERR_CONTROL_FIN: i32 = 4;
export const ERR_CONTROL_LENGTH: i32 = 5;
export const ERR_EXPECTED_MASK: i32 = 6;
export const ERR_UNEXPECTED_MASK: i32 = 7;
export const ERR_LENGTH_64: i32 = 8;
export const ERR_TOO_BIG: i32 = 9;

// result block: 4 × i32 = [consumed offset, error, partial (0/1), partial frame's mask key]
export const RESULT_SIZE: u32 = 16;

function checkFirstByte(b0: u32, flags: u32): i32 {
  if (b0 & 0x30) return ERR_RSV_2_3;
  const opcode = b0 & 0x0f;
  if ((opcode > 2 && opcode < 8) || opcode > 10) return ERR_OPCODE;
  // RSV1 is permessage-deflate's bit: only on the first frame of a data message.
  if (b0 & 0x40 && (!(flags & SCAN_ALLOW_RSV1) || opcode == 0 || opcode >= 8)) return ERR_RSV_1;
  if (opcode >= 8 && !(b0 & 0x80)) return ERR_CONTROL_FIN;
  return 0;
}

function checkSecondByte(b0: u32, b1: u32, flags: u32): i32 {
  if (b1 & 0x80) {
    if (flags & SCAN_REJECT_MASK) return ERR_UNEXPECTED_MASK;
  } else if (flags & SCAN_REQUIRE_MASK) {
    return ERR_EXPECTED_MASK;
  }
  if (b0 & 0x08 && (b1 & 0x7f) > 125) return ERR_CONTROL_LENGTH;
  return 0;
}

/**
 * Scans frames from `start` until `end`, the table holds `capacity` entries, an error,
 * or an incomplete frame. A frame whose header is complete but whose payload is not
 * becomes the last entry (partial = 1): its available bytes are unmasked and its key is
 * reported so the caller can continue it. Returns the number of table entries.
 */
export function scan(
  start: usize, end: usize, flags: u32, maxPayload: u32,
  table: usize, capacity: u32, result: usize,
): u32 {
  let p = start;
  let count: u32 = 0;
  let error: i32 = 0;
  let partial: i32 = 0;
  let partialKey: u32 = 0;
  while (count < capacity) {
    const avail = end - p;
    if (avail == 0) break;
    // Check each header byte as soon as it is here: bad input fails before the rest arrives.
    const b0 = <u32>load<u8>(p);
    error = checkFirstByte(b0, flags);
    if (error) break;
    if (avail < 2) break;
    const b1 = <u32>load<u8>(p + 1);
    error = checkSecondByte(b0, b1, flags);
    if (error) break;

    let header: usize = 2;
    let length = <u64>(b1 & 0x7f);
    if (length == 126) {
      if (avail < 4) break;
      length = <u64>((<u32>load<u8>(p + 2) << 8) | <u32>load<u8>(p + 3));
      header = 4;
    } else if (length == 127) {
      if (avail < 10) break;
      length = bswap<u64>(load<u64>(p + 2));
      if (length >> 63) { error = ERR_LENGTH_64; break; }
      header = 10;
    }
    // maxPayload bounds messages; control frames are bounded by the 125-byte rule.
    if (length > <u64>maxPayload && !(b0 & 0x08)) { error = ERR_TOO_BIG; break; }
    const masked = b1 & 0x80;
    let key: u32 = 0;
    if (masked) {
      if (avail < header + 4) break;
      key = load<u32>(p + header);
      header += 4;
    }

    const payload = p + header;
    const size = <usize>length;
    let frameFlags = (b0 & 0x0f) | ((b0 & 0x80) >> 3) | ((b0 & 0x40) >> 1);
    const entry = table + <usize>count * ENTRY_SIZE;
    count++;
    if (avail - header < size) {
      if (masked) unmaskRegion(payload, end, key);
      store<u32>(entry, frameFlags);
      store<u32>(entry, <u32>payload, 4);
      store<u32>(entry, <u32>size, 8);
      partial = 1;
      partialKey = key;
      p = end;
      break;
    }
    const next = payload + size;
    if (masked) unmaskRegion(payload, next, key);
    // A whole text message in one frame is validated here, while its bytes are hot.
    if (frameFlags == (1 | FRAME_FIN) && flags & SCAN_VALIDATE_UTF8) {
      if (utf8Step(0, payload, next) != 0) frameFlags |= FRAME_BAD_UTF8;
    }
    store<u32>(entry, frameFlags);
    store<u32>(entry, <u32>payload, 4);
    store<u32>(entry, <u32>size, 8);
    p = next;
  }
  store<u32>(result, <u32>p);
  store<i32>(result, error, 4);
  store<i32>(result, partial, 8);
  store<u32>(result, partialKey, 12);
  return count;
}
