// Batch frame scan: one call walks every complete frame in [start, end), checks the
// header rules, unmasks payloads in place, validates single-frame text and writes a
// compact frame table. The constants come from ./scan-contract, generated from
// src/backend/scan-contract.ts at build time; they are exported (assembly/index.ts) so
// test/backend/contract.test.js can compare the built modules with the TS contract.

import { unmaskRegion } from './mask';
import {
  ENTRY_FLAGS, ENTRY_INTS, ENTRY_LENGTH, ENTRY_OFFSET, ERR_CONTROL_FIN, ERR_CONTROL_LENGTH,
  ERR_EXPECTED_MASK, ERR_LENGTH_64, ERR_OPCODE, ERR_RSV_1, ERR_RSV_2_3, ERR_TOO_BIG,
  ERR_UNEXPECTED_MASK, FRAME_BAD_UTF8, FRAME_FIN, FRAME_RSV1, RESULT_CONSUMED, RESULT_ERROR,
  RESULT_INTS, RESULT_PARTIAL, RESULT_PARTIAL_KEY, SCAN_ALLOW_RSV1, SCAN_REJECT_MASK,
  SCAN_REQUIRE_MASK, SCAN_VALIDATE_UTF8,
} from './scan-contract';
import { utf8Step } from './utf8';

// Table entries and the result block are int32 words; these are their sizes in bytes,
// exported as before for callers that lay out linear memory themselves.
export const ENTRY_SIZE: u32 = ENTRY_INTS * 4;
export const RESULT_SIZE: u32 = RESULT_INTS * 4;

// The frame flags below move FIN (0x80) and RSV1 (0x40) of the first header byte into
// place with shifts; these fail the build if the contract moves those bits elsewhere.
// (A constant condition is decided by the compiler, so ERROR only fires when it holds.)
if (FRAME_FIN != 0x80 >> 3 || FRAME_RSV1 != 0x40 >> 1) ERROR('FRAME_FIN/FRAME_RSV1 moved: update the flag shifts in scan()');

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
      store<u32>(entry, frameFlags, ENTRY_FLAGS * 4);
      store<u32>(entry, <u32>payload, ENTRY_OFFSET * 4);
      store<u32>(entry, <u32>size, ENTRY_LENGTH * 4);
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
    store<u32>(entry, frameFlags, ENTRY_FLAGS * 4);
    store<u32>(entry, <u32>payload, ENTRY_OFFSET * 4);
    store<u32>(entry, <u32>size, ENTRY_LENGTH * 4);
    p = next;
  }
  store<u32>(result, <u32>p, RESULT_CONSUMED * 4);
  store<i32>(result, error, RESULT_ERROR * 4);
  store<i32>(result, partial, RESULT_PARTIAL * 4);
  store<u32>(result, partialKey, RESULT_PARTIAL_KEY * 4);
  return count;
}
