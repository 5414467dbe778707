// The UTF-8 DFA, built from the code-point rules of RFC 3629 §4 (the single source of
// truth for both kernels: the wasm loader copies these tables into linear memory).
//
// A step is `state = TRANSITIONS[state + CLASSES[byte]]`: states are pre-multiplied by
// the class count so no multiply is needed. State 0 is "between code points" (accept);
// UTF8_REJECT is sticky, reached at the first byte that cannot continue a valid sequence.

const enum Cls {
  Ascii,
  Cont80,
  Cont90,
  ContA0,
  Invalid,
  Lead2,
  LeadE0,
  Lead3,
  LeadED,
  LeadF0,
  Lead4,
  LeadF4,
}
export const CLASS_COUNT = 12;

const enum State {
  Accept,
  Reject,
  Need1,
  Need2,
  E0,
  ED,
  Need3,
  F0,
  F4,
}
const STATE_COUNT = 9;

export const UTF8_ACCEPT = 0;
export const UTF8_REJECT = State.Reject * CLASS_COUNT;

function classOf(byte: number): Cls {
  if (byte < 0x80) return Cls.Ascii;
  if (byte < 0x90) return Cls.Cont80;
  if (byte < 0xa0) return Cls.Cont90;
  if (byte < 0xc0) return Cls.ContA0;
  if (byte < 0xc2) return Cls.Invalid; // C0, C1: overlong 2-byte forms
  if (byte < 0xe0) return Cls.Lead2;
  if (byte === 0xe0) return Cls.LeadE0; // next A0–BF, else overlong
  if (byte === 0xed) return Cls.LeadED; // next 80–9F, else a surrogate
  if (byte < 0xf0) return Cls.Lead3;
  if (byte === 0xf0) return Cls.LeadF0; // next 90–BF, else overlong
  if (byte < 0xf4) return Cls.Lead4;
  if (byte === 0xf4) return Cls.LeadF4; // next 80–8F, else > U+10FFFF
  return Cls.Invalid; // F5–FF
}

/** Which continuation classes each waiting state accepts, and where each leads. */
function buildTransitions(): Uint8Array {
  const t = new Uint8Array(STATE_COUNT * CLASS_COUNT).fill(UTF8_REJECT);
  const go = (from: State, classes: Cls[], to: State) => {
    for (const c of classes) t[from * CLASS_COUNT + c] = to * CLASS_COUNT;
  };
  const anyCont = [Cls.Cont80, Cls.Cont90, Cls.ContA0];
  go(State.Accept, [Cls.Ascii], State.Accept);
  go(State.Accept, [Cls.Lead2], State.Need1);
  go(State.Accept, [Cls.Lead3], State.Need2);
  go(State.Accept, [Cls.LeadE0], State.E0);
  go(State.Accept, [Cls.LeadED], State.ED);
  go(State.Accept, [Cls.Lead4], State.Need3);
  go(State.Accept, [Cls.LeadF0], State.F0);
  go(State.Accept, [Cls.LeadF4], State.F4);
  go(State.Need1, anyCont, State.Accept);
  go(State.Need2, anyCont, State.Need1);
  go(State.E0, [Cls.ContA0], State.Need1);
  go(State.ED, [Cls.Cont80, Cls.Cont90], State.Need1);
  go(State.Need3, anyCont, State.Need2);
  go(State.F0, [Cls.Cont90, Cls.ContA0], State.Need2);
  go(State.F4, [Cls.Cont80], State.Need2);
  return t;
}

export const UTF8_CLASSES: Uint8Array = Uint8Array.from({ length: 256 }, (_, b) => classOf(b));
export const UTF8_TRANSITIONS: Uint8Array = buildTransitions();

/** The JS kernel's step: advances `state` over bytes[start, end). */
export function utf8StepJs(bytes: Uint8Array, state: number, start: number, end: number): number {
  const classes = UTF8_CLASSES;
  const transitions = UTF8_TRANSITIONS;
  let p = start;
  while (p < end) {
    if (state === UTF8_ACCEPT) {
      while (p < end && bytes[p] < 0x80) p++;
      if (p === end) break;
    }
    state = transitions[state + classes[bytes[p]]];
    if (state === UTF8_REJECT) return state;
    p++;
  }
  return state;
}
