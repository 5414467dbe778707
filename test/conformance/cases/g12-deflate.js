// Group 12: permessage-deflate with the default offer, over generated corpora of every
// kind: many messages per case (so context takeover is exercised message after
// message), then big messages the harness splits into frames itself. The harness
// compresses what it sends; the peer's echoes must inflate to exactly the same bytes.
import { corpus, CORPUS_KINDS, corpusIsText } from '../data/corpora.js';
import { negotiationSets } from '../data/pmd.js';
import { KiB, MiB, msg, NORMAL } from './dsl.js';

const DEFLATE = negotiationSets()[0];
/** Each case moves at most this much in each direction (Autobahn's 1000 messages of 128 KiB would be 128 MiB). */
const BYTES_PER_CASE = 4 * MiB;
const MESSAGE_SIZES = [16, 64, 256, KiB, 4 * KiB, 8 * KiB, 16 * KiB, 32 * KiB, 64 * KiB, 128 * KiB];
const FRAGMENT_SIZES = [64, 256, KiB, 4 * KiB, 8 * KiB, 16 * KiB, 32 * KiB, 64 * KiB];

/** `count` messages of `size` bytes, each its own corpus sample (same vocabulary, so context takeover pays). */
function messages(kind, size, count, seed) {
  let made;
  return () => (made ??= Array.from({ length: count }, (_, i) => corpus(kind, size, seed * 1000 + i)));
}

/** Sends every message compressed (one after another, not waiting), expects every echo. */
export function deflateCase({ id, title, deflate, kind, size, count, fragmentSize = 0, seed }) {
  const binary = !corpusIsText(kind);
  const data = messages(kind, size, count, seed);
  return {
    id,
    title,
    deflate,
    timeoutMs: 60_000,
    run: async (p) => {
      for (const m of data()) if (!(await p.sendMessage(m, { binary, compress: true, fragmentSize }))) return;
    },
    get expect() {
      return data().map((m) => msg(m, binary));
    },
    close: NORMAL,
  };
}

function corpusCases(sub, kind) {
  const cases = MESSAGE_SIZES.map((size, i) => {
    const count = Math.min(1000, BYTES_PER_CASE / size);
    return deflateCase({
      id: `12.${sub}.${i + 1}`,
      title: `${count} compressed ${kind} messages of ${size} bytes`,
      deflate: DEFLATE,
      kind,
      size,
      count,
      seed: sub * 100 + i,
    });
  });
  FRAGMENT_SIZES.forEach((fragmentSize, i) =>
    cases.push(
      deflateCase({
        id: `12.${sub}.${MESSAGE_SIZES.length + i + 1}`,
        title: `16 compressed ${kind} messages of 64 KiB, each sent as ${fragmentSize}-byte frames`,
        deflate: DEFLATE,
        kind,
        size: 64 * KiB,
        count: 16,
        fragmentSize,
        seed: sub * 100 + 50 + i,
      }),
    ),
  );
  return cases;
}

export default CORPUS_KINDS.flatMap((kind, i) => corpusCases(i + 1, kind));

/** What `npm test` runs of group 12: every corpus at a small, a middle and a big size, and fragmented. */
export const REDUCED = new Set(CORPUS_KINDS.flatMap((_, i) => [1, 5, 9, 13].map((n) => `12.${i + 1}.${n}`)));
