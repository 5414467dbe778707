// Command-line flags for bench/run.js, and the util.parseArgs wrapper every bench uses.

import { parseArgs as parseFlags } from 'node:util';

const HELP = `usage: node bench/run.js [options]

  --quick            short time per case (smoke-level numbers, ~1-2 min)
  --smoke            tiny time per case; only checks that everything runs (used by tests)
  --only decode|mask run one suite (mask includes the crossover table)
  --sizes 16,125     decode/mask sizes in bytes (also 1k, 64k, 1m); default: all
  --filter REGEX     only contenders whose name matches (baselines are always kept)
  --rounds N         decode rounds (ratios use the median); default 3, 1 with --quick/--smoke
  --max-time S       seconds per decode case per round (overrides the preset)
  --out DIR          where to write decode.md, mask.md, ratios.svg, latest.json
                     (default bench/results; env WSCODEC_BENCH_OUT also works)
  --codec SPEC       import the codec from SPEC instead of 'wscodec/codec'
  --help`;

/** '20', '1k', '64KiB', '1m' → bytes (shared with bench/e2e/args.js). */
export function parseSize(text) {
  const m = /^(\d+)\s*([kKmM]?)(i?[bB])?$/.exec(text.trim());
  if (!m) throw new Error(`bad size: ${text}`);
  const unit = m[2].toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
}

/**
 * The benches' command lines, read by util.parseArgs: `--flag value` or `--flag=value`,
 * -h/--help everywhere, and an unknown flag, a stray argument or a missing value fails
 * with the usage text. Returns util.parseArgs's `values` (a flag not given is undefined).
 */
export function readFlags(argv, options, help) {
  try {
    return parseFlags({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    throw new Error(`${err.message}\n\n${help}`);
  }
}

/** A numeric flag's value, null when it was not given. */
export const numberOrNull = (value) => (value === undefined ? null : Number(value));

export function parseArgs(argv) {
  const v = readFlags(
    argv,
    {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      sizes: { type: 'string' },
      filter: { type: 'string' },
      rounds: { type: 'string' },
      'max-time': { type: 'string' },
      out: { type: 'string' },
      codec: { type: 'string', default: 'wscodec/codec' },
    },
    HELP,
  );
  if (v.only && !['decode', 'mask'].includes(v.only)) {
    throw new Error(`--only must be decode or mask, not ${v.only}`);
  }
  return {
    quick: v.quick,
    smoke: v.smoke,
    only: v.only ?? null,
    sizes: v.sizes?.split(',').map(parseSize) ?? null,
    filter: v.filter === undefined ? null : new RegExp(v.filter, 'i'),
    rounds: numberOrNull(v.rounds),
    maxTime: numberOrNull(v['max-time']),
    out: v.out ?? (process.env.WSCODEC_BENCH_OUT || null),
    codec: v.codec,
    help: v.help,
  };
}

/**
 * Benchmark.js timing presets. A full run (3 rounds of ~42 decode cases plus ~130 short
 * mask cases) stays under ~6 minutes on a 2-core machine.
 */
export function timing(opts) {
  const preset = opts.smoke
    ? { decode: { maxTime: 0.01, minTime: 0.002, minSamples: 2 }, mask: { maxTime: 0.005, minTime: 0.001, minSamples: 2 }, rounds: 1 }
    : opts.quick
      ? { decode: { maxTime: 0.3, minTime: 0.02, minSamples: 3 }, mask: { maxTime: 0.1, minTime: 0.01, minSamples: 3 }, rounds: 1 }
      : { decode: { maxTime: 1, minTime: 0.05, minSamples: 5 }, mask: { maxTime: 0.4, minTime: 0.025, minSamples: 5 }, rounds: 3 };
  if (opts.maxTime) preset.decode.maxTime = opts.maxTime;
  if (opts.rounds) preset.rounds = opts.rounds;
  return preset;
}

export { HELP };
