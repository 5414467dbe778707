// Streaming UTF-8 validation: a DFA whose tables are generated on the JS side
// (src/backend/utf8-dfa.ts, the single source of truth) and written into linear memory
// at load time. States are pre-multiplied by the class count, so a step is one load:
// state = transitions[state + classOf[byte]]. 0 accepts; UTF8_REJECT is sticky.

export const UTF8_REJECT: u32 = 12;

let classTable: usize = 0; // 256 bytes: byte → character class
let transitionTable: usize = 0; // states × classes bytes

export function setUtf8Tables(classes: usize, transitions: usize): void {
  classTable = classes;
  transitionTable = transitions;
}

// Block validation (SIMD build only): the nibble-lookup method of Keiser & Lemire,
// "Validating UTF-8 In Less Than One Instruction Per Byte" (2021). Each byte is checked
// against the one to three bytes before it with three 16-entry table lookups; the bits
// name the error classes below, and a byte is bad where the lookups agree on one.
const TOO_SHORT: i8 = <i8>0x01; // a lead byte, or ASCII, where a continuation was due
const TOO_LONG: i8 = <i8>0x02; // a continuation after ASCII
const OVERLONG_3: i8 = <i8>0x04; // E0 80..9F
const TOO_LARGE: i8 = <i8>0x08; // F4 90..BF, F5..FF
const SURROGATE: i8 = <i8>0x10; // ED A0..BF
const OVERLONG_2: i8 = <i8>0x20; // C0, C1
const TOO_LARGE_1000: i8 = <i8>0x40; // F5..FF then 80..8F
const OVERLONG_4: i8 = <i8>0x40; // F0 80..8F
const TWO_CONTS: i8 = <i8>0x80; // a continuation after a continuation (checked against must23 below)
const CARRY: i8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

const BLOCKS_FAILED: usize = <usize>-1;

/**
 * Validates whole 16-byte blocks from p (at a code-point boundary). Returns where the
 * DFA should take over (a code-point boundary, at most 18 bytes before end), or
 * BLOCKS_FAILED if any block holds an error.
 */
function validateBlocks(p: usize, end: usize): usize {
  const byte1High = i8x16(
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
    TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
    TOO_SHORT | OVERLONG_2,
    TOO_SHORT,
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
  );
  const byte1Low = i8x16(
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
    CARRY | OVERLONG_2,
    CARRY,
    CARRY,
    CARRY | TOO_LARGE,
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
  );
  const byte2High = i8x16(
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  );
  // A block whose last bytes start a sequence that needs more: 15 ≥ C0, 14 ≥ E0, 13 ≥ F0.
  const incompleteAbove = i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, <i8>0xef, <i8>0xdf, <i8>0xbf);
  const nibble = i8x16.splat(0x0f);
  const zero = i64x2.splat(0);
  let prev = zero;
  let incomplete = zero;
  let error = zero;
  while (p + 16 <= end) {
    const input = v128.load(p);
    if (i8x16.bitmask(input) == 0) {
      // ASCII: fine unless the previous block left a sequence unfinished.
      error = v128.or(error, incomplete);
      incomplete = zero;
    } else {
      const prev1 = i8x16.shuffle(prev, input, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
      const special = v128.and(
        v128.and(
          i8x16.swizzle(byte1High, i8x16.shr_u(prev1, 4)),
          i8x16.swizzle(byte1Low, v128.and(prev1, nibble)),
        ),
        i8x16.swizzle(byte2High, i8x16.shr_u(input, 4)),
      );
      const prev2 = i8x16.shuffle(prev, input, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
      const prev3 = i8x16.shuffle(prev, input, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
      // Third and fourth bytes of a sequence must be continuations (the TWO_CONTS bit says where they are).
      const must23 = v128.or(i8x16.sub_sat_u(prev2, i8x16.splat(<i8>0xdf)), i8x16.sub_sat_u(prev3, i8x16.splat(<i8>0xef)));
      const must23High = v128.and(i8x16.gt_u(must23, zero), i8x16.splat(TWO_CONTS));
      error = v128.or(error, v128.xor(must23High, special));
      incomplete = i8x16.sub_sat_u(input, incompleteAbove);
    }
    prev = input;
    p += 16;
  }
  if (v128.any_true(error)) return BLOCKS_FAILED;
  if (v128.any_true(incomplete)) {
    // Hand the DFA the sequence the last block boundary cut: back up to its lead byte.
    for (let back: usize = 1; back <= 3; back++) {
      if (load<u8>(p - back) >= 0xc0) return p - back;
    }
  }
  return p;
}

/** Advances `state` over [p, end); returns the new state (UTF8_REJECT at the first bad byte). */
export function utf8Step(state: u32, p: usize, end: usize): u32 {
  const classes = classTable;
  const transitions = transitionTable;
  while (p < end) {
    if (state == 0) {
      // Between code points: skip ASCII runs a block at a time.
      if (ASC_FEATURE_SIMD) {
        // Long runs: whole blocks, branch-free (mixed text mispredicts on every switch
        // between an ASCII skip and the DFA).
        if (end - p >= 32) {
          p = validateBlocks(p, end);
          if (p == BLOCKS_FAILED) return UTF8_REJECT;
        }
        while (p + 16 <= end) {
          const high = i8x16.bitmask(v128.load(p));
          if (high != 0) { p += <usize>ctz(high); break; }
          p += 16;
        }
      }
      while (p + 8 <= end) {
        const high = load<u64>(p) & 0x8080808080808080;
        if (high != 0) { p += <usize>(ctz(high) >> 3); break; }
        p += 8;
      }
      while (p < end && load<u8>(p) < 0x80) p++;
      if (p >= end) break;
    }
    state = <u32>load<u8>(transitions + state + <usize>load<u8>(classes + <usize>load<u8>(p)));
    if (state == UTF8_REJECT) return state;
    p++;
  }
  return state;
}
