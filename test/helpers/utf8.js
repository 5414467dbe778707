// UTF-8 from first principles, for generating test vectors.

/**
 * Encode a code point in exactly `n` bytes (1..6) with the historical bit layout,
 * whether or not that is legal: this is how overlongs, surrogates and > U+10FFFF
 * forms are made. Default n = the shortest form.
 */
export function encodeCp(cp, n) {
  if (n === undefined) n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : cp < 0x200000 ? 4 : cp < 0x4000000 ? 5 : 6;
  if (n === 1) {
    if (cp > 0x7f) throw new RangeError('does not fit');
    return Uint8Array.of(cp);
  }
  const capacity = 2 ** (6 * (n - 1) + (7 - n));
  if (cp >= capacity) throw new RangeError(`U+${cp.toString(16)} does not fit in ${n} bytes`);
  const out = new Uint8Array(n);
  let v = cp;
  for (let i = n - 1; i > 0; i--) {
    out[i] = 0x80 | (v & 0x3f);
    v = Math.floor(v / 64);
  }
  out[0] = ((0xff00 >> n) & 0xff) | v;
  return out;
}

/**
 * Reference validator following Unicode Table 3-7 (well-formed byte sequences).
 * Returns -1 when valid, the index of the first byte that cannot continue any
 * well-formed sequence, or bytes.length when the input stops mid-sequence.
 */
export function firstBadIndex(b) {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need;
    let lo = 0x80;
    let hi = 0xbf;
    if (c <= 0x7f) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c === 0xe0) {
      need = 2;
      lo = 0xa0;
    } else if (c >= 0xe1 && c <= 0xec) need = 2;
    else if (c === 0xed) {
      need = 2;
      hi = 0x9f;
    } else if (c >= 0xee && c <= 0xef) need = 2;
    else if (c === 0xf0) {
      need = 3;
      lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) need = 3;
    else if (c === 0xf4) {
      need = 3;
      hi = 0x8f;
    } else return i; // 80..C1, F5..FF can never start a sequence
    for (let k = 1; k <= need; k++) {
      if (i + k >= b.length) return b.length;
      const d = b[i + k];
      const l = k === 1 ? lo : 0x80;
      const h = k === 1 ? hi : 0xbf;
      if (d < l || d > h) return i + k;
    }
    i += need + 1;
  }
  return -1;
}

/** Code points on every encoding boundary that are valid scalar values. */
export const BOUNDARY_CPS = [
  0x0, 0x1, 0x7e, 0x7f, 0x80, 0x81, 0x7fe, 0x7ff, 0x800, 0x801, 0xfff, 0x1000, 0xcfff, 0xd000, 0xd7ff, 0xe000, 0xefff, 0xf000, 0xfffd,
  0xfffe, 0xffff, 0x10000, 0x10001, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10fffe, 0x10ffff,
];

/** A random valid scalar value, biased so every encoding length is frequent. */
export function randomCp(rng) {
  const r = rng();
  if (r < 0.4) return (rng() * 0x80) | 0;
  if (r < 0.6) return 0x80 + ((rng() * (0x800 - 0x80)) | 0);
  if (r < 0.8) {
    for (;;) {
      const cp = 0x800 + ((rng() * (0x10000 - 0x800)) | 0);
      if (cp < 0xd800 || cp > 0xdfff) return cp;
    }
  }
  return 0x10000 + ((rng() * (0x110000 - 0x10000)) | 0);
}

/** Random valid UTF-8 of exactly n bytes. */
export function randomUtf8(rng, n) {
  const parts = [];
  let len = 0;
  while (len < n) {
    let cp = randomCp(rng);
    let e = encodeCp(cp);
    if (len + e.length > n) {
      cp = 0x20 + ((rng() * 0x5f) | 0);
      e = encodeCp(cp);
    }
    parts.push(e);
    len += e.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Deterministic valid UTF-8 of exactly n bytes cycling through 1-, 2-, 3- and 4-byte characters. */
export function mixedUtf8(n) {
  const cycle = [
    encodeCp(0x41),
    encodeCp(0xe9),
    encodeCp(0x20ac),
    encodeCp(0x1f600),
    encodeCp(0x7a),
    encodeCp(0x7ff),
    encodeCp(0xffff),
    encodeCp(0x10ffff),
  ];
  const out = new Uint8Array(n);
  let o = 0;
  let k = 0;
  while (o < n) {
    let e = cycle[k++ % cycle.length];
    if (o + e.length > n) e = encodeCp(0x2e);
    out.set(e, o);
    o += e.length;
  }
  return out;
}
