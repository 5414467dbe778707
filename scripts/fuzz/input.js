// Builds input i (bytes, decoder options, chunkings) from (seed, i) alone, so the worker and the watchdog derive the same one.
import { chance, int, inputSeed, mulberry32, pick, pickBase } from './corpus.js';
import { MUTATION_NAMES, MUTATIONS, frameStarts } from './mutations.js';

// ---- one input: bytes, options and chunkings, all from (seed, index) -----------------------------

/**
 * A chunking: push sizes, and `shift`: null for fresh arrays, or 0..15 to hand each
 * chunk over as a view at an odd offset inside a bigger buffer, like a socket's pooled
 * reads (chunk i sits at (shift + 3i) mod 16).
 */
function chunking(rng, length) {
  const max = pick(rng, length <= 4096 ? [1, 2, 3, 7, 16, 64, 300, 5000] : [64, 300, 5000, 70_000, 300_000]);
  const sizes = [];
  for (let n = 0; n < length;) {
    if (chance(rng, 0.03)) sizes.push(0); // an empty push is legal and must change nothing
    const s = Math.min(length - n, max === 1 ? 1 : int(rng, 1, max));
    sizes.push(s);
    n += s;
  }
  return { sizes, shift: chance(rng, 0.5) ? int(rng, 0, 15) : null };
}

export function makeInput(corpus, seed, index) {
  const rng = mulberry32(inputSeed(seed, index));
  const base = pickBase(rng, corpus);
  let bytes = base.bytes.slice();
  const mutations = [];
  for (let n = int(rng, 1, 4); n > 0; n--) {
    const name = pick(rng, MUTATION_NAMES);
    mutations.push(name);
    bytes = MUTATIONS[name](rng, bytes, frameStarts(bytes), pick(rng, corpus.mixed).bytes);
  }
  const options = {
    allowRsv1: base.rsv1 ? chance(rng, 0.8) : chance(rng, 0.2),
    maxPayload: pick(rng, [undefined, undefined, undefined, 0, 1, 20, 125, 300, 1000, 70_000]),
    maxFragments: pick(rng, [undefined, undefined, undefined, 1, 2, 5]),
    zeroCopy: chance(rng, 0.5),
    skipUtf8Validation: chance(rng, 0.1),
  };
  const chunkings = [{ sizes: [bytes.length], shift: null }];
  for (let n = int(rng, 1, 2); n > 0; n--) chunkings.push(chunking(rng, bytes.length));
  return { index, base: `${base.shape} stream for ${base.role}`, mutations, bytes, options, chunkings };
}
