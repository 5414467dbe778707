// The batch frame scan in JavaScript: the same contract and rules as assembly/scan.ts,
// statement for statement, so the differential tests can hold the two to identical output.

import {
  ENTRY_FLAGS,
  ENTRY_INTS,
  ENTRY_LENGTH,
  ENTRY_OFFSET,
  ERR_CONTROL_FIN,
  ERR_CONTROL_LENGTH,
  ERR_EXPECTED_MASK,
  ERR_LENGTH_64,
  ERR_OPCODE,
  ERR_RSV_1,
  ERR_RSV_2_3,
  ERR_TOO_BIG,
  ERR_UNEXPECTED_MASK,
  FRAME_BAD_UTF8,
  FRAME_FIN,
  SCAN_ALLOW_RSV1,
  SCAN_REJECT_MASK,
  SCAN_REQUIRE_MASK,
  SCAN_VALIDATE_UTF8,
} from './scan-contract.js';
import { UTF8_ACCEPT, utf8StepJs } from './utf8-dfa.js';
import { wordsOf, xorInPlace } from './xor.js';

export interface ScanOutput {
  table: Int32Array;
  consumed: number;
  error: number;
  partial: boolean;
  partialKey: number;
}

/** Whole-text validator the platform may offer (Node: buffer.isUtf8, simdutf). */
export type WholeUtf8 = (bytes: Uint8Array) => boolean;

/** Above this size a platform validator beats the JS DFA despite the call and the view. */
const PLATFORM_UTF8_MIN = 256;

function checkFirstByte(b0: number, flags: number): number {
  if (b0 & 0x30) return ERR_RSV_2_3;
  const opcode = b0 & 0x0f;
  if ((opcode > 2 && opcode < 8) || opcode > 10) return ERR_OPCODE;
  if (b0 & 0x40 && (!(flags & SCAN_ALLOW_RSV1) || opcode === 0 || opcode >= 8)) return ERR_RSV_1;
  if (opcode >= 8 && !(b0 & 0x80)) return ERR_CONTROL_FIN;
  return 0;
}

function checkSecondByte(b0: number, b1: number, flags: number): number {
  if (b1 & 0x80) {
    if (flags & SCAN_REJECT_MASK) return ERR_UNEXPECTED_MASK;
  } else if (flags & SCAN_REQUIRE_MASK) {
    return ERR_EXPECTED_MASK;
  }
  if (b0 & 0x08 && (b1 & 0x7f) > 125) return ERR_CONTROL_LENGTH;
  return 0;
}

export function scanJs(
  bytes: Uint8Array,
  start: number,
  end: number,
  flags: number,
  maxPayload: number,
  capacity: number,
  out: ScanOutput,
  wholeUtf8: WholeUtf8 | undefined,
): number {
  const table = out.table;
  // One word view for every frame of this call (made on first need).
  let words: Int32Array | undefined;
  let p = start;
  let count = 0;
  let error = 0;
  let partial = false;
  let partialKey = 0;
  while (count < capacity) {
    const avail = end - p;
    if (avail === 0) break;
    const b0 = bytes[p];
    error = checkFirstByte(b0, flags);
    if (error) break;
    if (avail < 2) break;
    const b1 = bytes[p + 1];
    error = checkSecondByte(b0, b1, flags);
    if (error) break;

    let header = 2;
    let length = b1 & 0x7f;
    if (length === 126) {
      if (avail < 4) break;
      length = (bytes[p + 2] << 8) | bytes[p + 3];
      header = 4;
    } else if (length === 127) {
      if (avail < 10) break;
      const high = ((bytes[p + 2] << 24) | (bytes[p + 3] << 16) | (bytes[p + 4] << 8) | bytes[p + 5]) >>> 0;
      if (high >= 0x80000000) {
        error = ERR_LENGTH_64;
        break;
      }
      const low = ((bytes[p + 6] << 24) | (bytes[p + 7] << 16) | (bytes[p + 8] << 8) | bytes[p + 9]) >>> 0;
      // Exact below 2^53; above that only "too big" matters and any huge value says so.
      length = high * 0x100000000 + low;
      header = 10;
    }
    if (length > maxPayload && !(b0 & 0x08)) {
      error = ERR_TOO_BIG;
      break;
    }
    const masked = b1 & 0x80;
    let key = 0;
    if (masked) {
      if (avail < header + 4) break;
      key = bytes[p + header] | (bytes[p + header + 1] << 8) | (bytes[p + header + 2] << 16) | (bytes[p + header + 3] << 24);
      header += 4;
    }

    const payload = p + header;
    let frameFlags = (b0 & 0x0f) | ((b0 & 0x80) >> 3) | ((b0 & 0x40) >> 1);
    const entry = count * ENTRY_INTS;
    count++;
    if (avail - header < length) {
      if (masked) xorInPlace(bytes, payload, end, key, words ?? wordsOf(bytes));
      table[entry + ENTRY_FLAGS] = frameFlags;
      table[entry + ENTRY_OFFSET] = payload;
      table[entry + ENTRY_LENGTH] = length;
      partial = true;
      partialKey = key;
      p = end;
      break;
    }
    const next = payload + length;
    if (masked) xorInPlace(bytes, payload, next, key, (words ??= wordsOf(bytes)));
    if (frameFlags === (1 | FRAME_FIN) && flags & SCAN_VALIDATE_UTF8) {
      const valid =
        wholeUtf8 !== undefined && length >= PLATFORM_UTF8_MIN
          ? wholeUtf8(bytes.subarray(payload, next))
          : utf8StepJs(bytes, UTF8_ACCEPT, payload, next) === UTF8_ACCEPT;
      if (!valid) frameFlags |= FRAME_BAD_UTF8;
    }
    table[entry + ENTRY_FLAGS] = frameFlags;
    table[entry + ENTRY_OFFSET] = payload;
    table[entry + ENTRY_LENGTH] = length;
    p = next;
  }
  out.consumed = p;
  out.error = error;
  out.partial = partial;
  out.partialKey = partialKey;
  return count;
}
