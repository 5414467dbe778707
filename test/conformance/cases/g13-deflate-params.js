// Group 13: permessage-deflate under each of the seven parameter sets (context
// takeover on or off, small or full windows, several offers at once). The harness
// checks the peer honoured what was negotiated: it inflates the peer's messages with
// the negotiated window, so a peer that reaches back further fails the case.
import { negotiationSets } from '../data/pmd.js';
import { KiB, MiB } from './dsl.js';
import { deflateCase } from './g12-deflate.js';

const BYTES_PER_CASE = 2 * MiB;
const SIZES = [16, 64, 256, KiB, 4 * KiB, 8 * KiB, 16 * KiB, 32 * KiB, 64 * KiB];

function setCases(set) {
  return ['text', 'binary'].flatMap((kind, k) =>
    SIZES.map((size, i) => {
      const count = Math.min(1000, BYTES_PER_CASE / size);
      return deflateCase({
        id: `13.${set.id}.${k * SIZES.length + i + 1}`,
        title: `${set.title}: ${count} compressed ${kind} messages of ${size} bytes`,
        deflate: set,
        kind,
        size,
        count,
        seed: set.id * 100 + k * 10 + i,
      });
    }),
  );
}

export default negotiationSets().flatMap(setCases);

/** What `npm test` runs of group 13: every parameter set, small text, middle text, middle binary. */
export const REDUCED = new Set(negotiationSets().flatMap((set) => [1, 5, 14].map((n) => `13.${set.id}.${n}`)));
