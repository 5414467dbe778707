// The byte-level mutations applied to corpus streams, with the lenient header walk that aims them at frame headers.
import { chance, concat, int, pick, randBytes } from './corpus.js';

// ---- mutations ----------------------------------------------------------------------------

const INTERESTING = [0x00, 0x7e, 0x7f, 0x80, 0xff];

/** Where frames start, walking headers leniently: mutations aim at headers half the time. */
export function frameStarts(b) {
  const starts = [];
  let p = 0;
  while (p + 2 <= b.length && starts.length < 64) {
    starts.push(p);
    let len = b[p + 1] & 0x7f;
    let h = 2;
    if (len === 126) {
      len = (b[p + 2] << 8) | b[p + 3];
      h = 4;
    } else if (len === 127) {
      len = b[p + 6] * 2 ** 24 + ((b[p + 7] << 16) | (b[p + 8] << 8) | b[p + 9]);
      h = 10;
    }
    p += h + (b[p + 1] & 0x80 ? 4 : 0) + len;
  }
  return starts.length ? starts : [0];
}

function position(rng, b, starts) {
  if (b.length === 0) return 0;
  return chance(rng, 0.5) ? Math.min(b.length - 1, pick(rng, starts) + int(rng, 0, 1)) : int(rng, 0, b.length - 1);
}

export const MUTATIONS = {
  bitflip(rng, b, starts) {
    if (b.length) b[position(rng, b, starts)] ^= 1 << int(rng, 0, 7);
    return b;
  },
  interesting(rng, b, starts) {
    if (b.length) b[position(rng, b, starts)] = pick(rng, INTERESTING);
    return b;
  },
  length(rng, b, starts) {
    // Rewrite a frame's length field in place (the payload stays: the stream misframes).
    const p = pick(rng, starts);
    if (p + 1 >= b.length) return b;
    const field = b[p + 1] & 0x7f;
    if (field < 126 || chance(rng, 0.3)) b[p + 1] = (b[p + 1] & 0x80) | pick(rng, [0, 1, 125, 126, 127, int(rng, 0, 127)]);
    else {
      const ext = field === 126 ? 2 : 8;
      const v = pick(rng, [
        [0],
        [0xff],
        [0x7f, 0xff],
        [0x80],
        [0, 1],
        [0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff],
        [0, 0, 0, 1, 0, 0, 0, 0],
      ]);
      for (let i = 0; i < ext && p + 2 + i < b.length; i++) b[p + 2 + i] = v[i] ?? 0;
    }
    return b;
  },
  truncate: (rng, b) => b.slice(0, int(rng, 0, b.length)),
  splice: (rng, b, starts, other) => concat([b.subarray(0, int(rng, 0, b.length)), other.subarray(int(rng, 0, other.length))]),
  duplicate(rng, b) {
    const a = int(rng, 0, b.length);
    const e = Math.min(b.length, a + int(rng, 1, 64));
    const at = int(rng, 0, b.length);
    return concat([b.subarray(0, at), b.subarray(a, e), b.subarray(at)]);
  },
  remove(rng, b) {
    const a = int(rng, 0, b.length);
    return concat([b.subarray(0, a), b.subarray(Math.min(b.length, a + int(rng, 1, 16)))]);
  },
  insert(rng, b) {
    const at = int(rng, 0, b.length);
    return concat([b.subarray(0, at), randBytes(rng, int(rng, 1, 16)), b.subarray(at)]);
  },
};
export const MUTATION_NAMES = Object.keys(MUTATIONS);
