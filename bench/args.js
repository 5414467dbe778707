// Command-line flags for bench/run.js.

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

export function parseArgs(argv) {
  const opts = {
    quick: false,
    smoke: false,
    only: null,
    sizes: null,
    filter: null,
    rounds: null,
    maxTime: null,
    out: process.env.WSCODEC_BENCH_OUT || null,
    codec: 'wscodec/codec',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // Accept both "--flag value" and "--flag=value".
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--quick': opts.quick = true; break;
      case '--smoke': opts.smoke = true; break;
      case '--only': opts.only = value(); break;
      case '--sizes': opts.sizes = value().split(',').map(parseSize); break;
      case '--filter': opts.filter = new RegExp(value(), 'i'); break;
      case '--rounds': opts.rounds = Number(value()); break;
      case '--max-time': opts.maxTime = Number(value()); break;
      case '--out': opts.out = value(); break;
      case '--codec': opts.codec = value(); break;
      case '--help': case '-h': opts.help = true; break;
      default: throw new Error(`unknown option ${arg}\n\n${HELP}`);
    }
  }
  if (opts.only && !['decode', 'mask'].includes(opts.only)) {
    throw new Error(`--only must be decode or mask, not ${opts.only}`);
  }
  return opts;
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
