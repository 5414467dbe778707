// The one seeded PRNG of the tests, benchmarks and fuzzer (mulberry32): a seed always
// gives the same sequence on every machine, so a failing case, a fuzz input or a bench
// frame stream rebuilds from its seed. No imports, so browsers and workerd load it too.
// The conformance harness keeps its own on purpose: it shares nothing with the rest.

/** mulberry32: a function returning numbers in [0, 1), the same sequence for a seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function rng() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi], both inclusive. */
export const randInt = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));

/** `n` random bytes, one rng() call per byte. */
export function randBytes(rng, n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng() * 256) | 0;
  return out;
}
