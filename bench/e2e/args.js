// Command-line flags and timing presets for bench/e2e/run.js.

import { numberOrNull, parseSize, readFlags } from '../args.js';
import { CONTENDER_KEYS } from './contenders.js';

export const HELP = `usage: node bench/e2e/run.js [options]

Default: every contender against ws + bufferutil, all in the same run: wscodec on each
transport (native, direct + wasm, stream; one that does not start is reported as not
available), Bun and Deno (fetched from npm into bench/.anchors/ on first use).

  --contenders LIST   a subset: ${CONTENDER_KEYS.join(',')} (default: all)
  --no-fetch          use only anchors already in bench/.anchors/ (no network)
  --quick             shorter slices, fewer rounds (~3 min with every contender)
  --smoke             a fraction of a second per cell, few connections (CI test)
  --only SCENARIO     one-in-flight | pipelined | idle-memory (comma-separated list ok)
  --sizes 20,1k       message sizes (default 20,1k,16k,64k)
  --rounds N          rounds per cell, fresh server processes each (default: 5 for
                      throughput, 3 for idle memory; N sets both)
  --slices N          measured slice cycles per throughput round (default 4)
  --steady-malloc     run the servers with glibc heap trimming off (MALLOC_TRIM_THRESHOLD_,
                      MALLOC_TOP_PAD_): removes a per-process page-fault lottery at 64 KiB
  --server-a "CMD"    two-server mode: CMD against server B instead of the contenders
  --server-b "CMD"    the baseline (default: node bench/e2e/ws-echo.js --port 0 --host 127.0.0.1)
  --calibrate         two-server mode, ws against ws: both run ws-echo.js (ratios ≈ 1.00)
  --no-pin            do not pin servers and load generator to separate CPUs (taskset)
  --out DIR           where to write e2e.md and e2e.json (e2e-calibration.* with
                      --calibrate); default bench/results
  --help

A server command must print a line containing ws://HOST:PORT once it listens; a command
starting with "node" runs under this Node binary, without a shell.`;

export const SCENARIOS = ['one-in-flight', 'pipelined', 'idle-memory'];
export const DEFAULT_SIZES = [20, 1024, 16 * 1024, 64 * 1024];

export function parseArgs(argv) {
  const v = readFlags(
    argv,
    {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      sizes: { type: 'string' },
      rounds: { type: 'string' },
      slices: { type: 'string' },
      'steady-malloc': { type: 'boolean', default: false },
      'server-a': { type: 'string' },
      'server-b': { type: 'string' },
      calibrate: { type: 'boolean', default: false },
      contenders: { type: 'string' },
      'no-fetch': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
    HELP,
  );
  const opts = {
    pin: !v['no-pin'],
    quick: v.quick,
    smoke: v.smoke,
    only: v.only?.split(',') ?? null,
    sizes: v.sizes?.split(',').map(parseSize) ?? null,
    rounds: numberOrNull(v.rounds),
    slices: numberOrNull(v.slices),
    steadyMalloc: v['steady-malloc'],
    serverA: v['server-a'] ?? null,
    serverB: v['server-b'] ?? null,
    calibrate: v.calibrate,
    contenders: v.contenders?.split(',').map((x) => x.trim()) ?? null,
    fetch: !v['no-fetch'],
    out: v.out ?? null,
    help: v.help,
  };
  for (const s of opts.only ?? []) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  for (const k of ['rounds', 'slices']) if (opts[k] !== null && !(opts[k] >= 1)) throw new Error(`--${k} must be ≥ 1`);
  if (opts.calibrate && opts.serverA) throw new Error('--calibrate and --server-a contradict each other');
  if (opts.contenders && (opts.calibrate || opts.serverA))
    throw new Error('--contenders and two-server mode (--server-a, --calibrate) contradict each other');
  for (const c of opts.contenders ?? [])
    if (!CONTENDER_KEYS.includes(c)) throw new Error(`--contenders: unknown ${c} (${CONTENDER_KEYS.join(', ')})`);
  return opts;
}

/**
 * Time and count budget of every phase. A throughput round starts every server afresh, warms
 * each for warmMs, then measures `slices` cycles of one sliceMs slice per server, the order
 * running forward and backward in turn.
 * Several rounds of fresh processes matter: glibc's heap trimming makes some server
 * processes page-fault on every 64 KiB message and others not, for their whole life
 * (calibration: ±30% between identical ws processes), and only new processes redraw that.
 * An idle-memory round is one fresh run per server. Full: ~5 minutes for two servers, ~13
 * for ws and five contenders (a cycle holds every server, so each added contender costs one
 * server's time: ~17 s per throughput cell and round with six servers, ~15 s per idle round
 * and server). Quick: ~3 minutes with six servers.
 */
export function preset(opts) {
  const p = opts.smoke
    ? {
        name: 'smoke',
        rounds: 1,
        slices: 2,
        idleRounds: 1,
        conns: 8,
        warmMs: 100,
        sliceMs: 100,
        idle: { count: 200, warmConns: 20, settleMs: 300 },
      }
    : opts.quick
      ? {
          name: 'quick',
          rounds: 2,
          slices: 3,
          idleRounds: 1,
          conns: 100,
          warmMs: 500,
          sliceMs: 300,
          idle: { count: 5000, warmConns: 200, settleMs: 1000 },
        }
      : {
          name: 'full',
          rounds: 5,
          slices: 4,
          idleRounds: 3,
          conns: 100,
          warmMs: 1000,
          sliceMs: 500,
          idle: { count: 5000, warmConns: 200, settleMs: 2000 },
        };
  if (opts.rounds) p.rounds = p.idleRounds = opts.rounds;
  if (opts.slices) p.slices = opts.slices;
  p.depth = 32; // pipelined: messages in flight per connection
  p.batch = 200; // connections whose handshakes may be in flight at once
  p.connectTimeoutMs = 10_000;
  p.drainTimeoutMs = 10_000; // after a slice, for the echoes still in flight
  p.maxSamples = 4_000_000; // latency samples kept per server and round (32 MB)
  // --steady-malloc: glibc never trims the heap top, so no server process pays page faults
  // for re-growing it (the same environment for both servers; see the notes in report.js).
  p.serverEnv = opts.steadyMalloc ? { MALLOC_TRIM_THRESHOLD_: String(1 << 30), MALLOC_TOP_PAD_: String(64 << 20) } : {};
  return p;
}
