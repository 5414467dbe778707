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

/** Advances `state` over [p, end); returns the new state (UTF8_REJECT at the first bad byte). */
export function utf8Step(state: u32, p: usize, end: usize): u32 {
  const classes = classTable;
  const transitions = transitionTable;
  while (p < end) {
    if (state == 0) {
      // Between code points: skip ASCII runs a block at a time.
      if (ASC_FEATURE_SIMD) {
        while (p + 16 <= end && i8x16.bitmask(v128.load(p)) == 0) p += 16;
      }
      while (p + 8 <= end && (load<u64>(p) & 0x8080808080808080) == 0) p += 8;
      while (p < end && load<u8>(p) < 0x80) p++;
      if (p >= end) break;
    }
    state = <u32>load<u8>(transitions + state + <usize>load<u8>(classes + <usize>load<u8>(p)));
    if (state == UTF8_REJECT) return state;
    p++;
  }
  return state;
}
