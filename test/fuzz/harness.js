// Shared pieces of the property tests: the fast-check seed, decoder-option and split-point
// arbitraries, and the differential runner that decodes one stream on every backend
// under several chunkings and insists they all agree.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { codec, decode, hex, splitAt, chop, misalign, mulberry32 } from '../helpers/wire.js';
import { watchdog } from './watchdog.js';

/** Fixed by default so a failure reproduces; WSCODEC_FC_SEED=<n> explores elsewhere. */
export const SEED = Number(process.env.WSCODEC_FC_SEED ?? 0x5eed) | 0;
/** Scales every numRuns (e.g. WSCODEC_FC_SCALE=10 for a longer local run). */
const SCALE = Number(process.env.WSCODEC_FC_SCALE ?? 1);
export const runs = (n) => Math.max(1, Math.round(n * SCALE));

/** fast-check parameters: the seed is printed by fast-check on failure, with the path to replay. */
export const fcParams = (numRuns) => ({ seed: SEED, numRuns: runs(numRuns), includeErrorInReport: true });

export const BACKENDS = codec.availableBackends();

/** One run may take this long before the watchdog calls it a hang (the machine is shared and slow). */
export const dog = watchdog(20_000);

/** Streams up to this size are also fed one byte per push (the most spill-heavy feed). */
export const BYTEWISE_MAX = 1500;

/**
 * Decoder options, including the small limits that make errors likely. Values are
 * explicit (undefined means "the default") so a printed counterexample is complete.
 */
export const optionsArb = fc.record({
  role: fc.constantFrom('server', 'client'),
  allowRsv1: fc.boolean(),
  // Mostly the defaults, so streams get deep; sometimes limits small enough to trip.
  maxPayload: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(0, 1, 16, 125, 300, 70_000) },
  ),
  maxFragments: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 5) }),
  zeroCopy: fc.boolean(),
  skipUtf8Validation: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** Raw numbers turned into cut positions once the stream length is known. */
export const cutsArb = fc.array(fc.nat(), { maxLength: 24 });
/** A fixed small piece size: exercises headers split at every offset. */
export const pieceArb = fc.integer({ min: 1, max: 9 });

/**
 * The chunkings a stream is fed in: whole, at the given cuts (duplicates make empty
 * pushes), the same cuts as views at odd offsets inside bigger buffers (what a socket
 * hands over; the SIMD kernels must not care), in fixed small pieces and, when small
 * enough, one byte at a time. A feed makes an array of chunks, or misalign()'s
 * { chunks, untouched } (then the bytes around the views must stay as they were).
 */
export function feedsFor(stream, cuts, piece, bytewiseMax = BYTEWISE_MAX) {
  const at = cuts.map((c) => c % (stream.length + 1));
  const feeds = [
    ['whole', () => [stream.slice()]],
    [`cuts ${at.join(',')}`, () => splitAt(stream, at)],
    [`cuts ${at.join(',')}, unaligned views`, () => misalign(mulberry32(stream.length ^ at.length), splitAt(stream, at))],
  ];
  if (piece > 0 && stream.length <= 40 * bytewiseMax) feeds.push([`pieces of ${piece}`, () => chop(stream, piece)]);
  if (stream.length <= bytewiseMax) feeds.push(['bytewise', () => chop(stream, 1)]);
  return feeds;
}

/**
 * Decodes `stream` on every backend in every feed (each decode gets its own copy of the
 * bytes: the decoder unmasks in place) and asserts identical results. wire.js's decode()
 * also checks the invariants: at most one error, nothing after an error or a close,
 * delivered buffers unchanged afterwards. Returns the agreed result.
 */
export function decodeEverywhere(stream, options, feeds) {
  let ref;
  let refLabel;
  const what = () => `options ${JSON.stringify(options)}; stream ${stream.length} bytes ${hex(stream.subarray(0, 4096))}`;
  return dog.run(
    () => `seed ${SEED}; ${what()}; feeds ${feeds.map((f) => f[0]).join(' | ')}`,
    () => {
      for (const name of BACKENDS) {
        for (const [label, make] of feeds) {
          let rec;
          try {
            const fed = make();
            rec = decode(stream, { ...options, backend: name }, Array.isArray(fed) ? fed : fed.chunks);
            if (!Array.isArray(fed)) assert.ok(fed.untouched(), 'the decoder wrote outside the chunk views it was given');
          } catch (err) {
            err.message = `[${name} / ${label}] ${err.message}`;
            throw err;
          }
          const got = { events: rec.events, closed: rec.dec.closed };
          if (ref === undefined) {
            ref = got;
            refLabel = `${name} / ${label}`;
          } else {
            assert.deepEqual(got, ref, `[${name} / ${label}] differs from [${refLabel}]`);
          }
        }
      }
      return ref;
    },
  );
}
