// Who runs in bench:e2e. Default (contender mode): ws + bufferutil as the baseline and every
// contender against it in the same run — wscodec's CLI with each transport forced, and the
// native anchors (Bun, Deno; see anchors.js). Two-server mode (--server-a, --calibrate) is
// the older A against B. Before measuring, each contender is started once: one that cannot
// start (a transport not built yet, an anchor that could not be fetched) is reported as not
// available, with the reason, and left out, rather than failing every cell.

import path from 'node:path';
import { ROOT } from '../codec.js';
import { CACHE, ensureAnchor } from './anchors.js';
import { startServer, stop } from './processes.js';

const ARGS = '--port 0 --host 127.0.0.1';
export const WSCODEC = `node bin/wscodec.js echo ${ARGS}`;
export const WS = `node bench/e2e/ws-echo.js ${ARGS}`;

/** Issue 14's targets, as median ratios against ws + bufferutil. `p99` spans every one-in-flight size. */
const NATIVE_TARGETS = [
  { id: 'one-in-flight/20', min: 2.5, text: 'msg/s, 20 B one in flight' },
  { id: 'one-in-flight/1024', min: 2.5, text: 'msg/s, 1 KiB one in flight' },
  { id: 'one-in-flight/65536', min: 2, text: 'msg/s, 64 KiB one in flight' },
  { id: 'pipelined/20', min: 10, text: 'msg/s, 20 B pipelined' },
  { id: 'p99', max: 1, text: 'p99 latency, one in flight, every size' },
  { id: 'idle-memory', max: 0.35, text: 'idle memory per connection' },
];
const WASM_TARGETS = [
  { id: 'one-in-flight/20', min: 1.3, text: 'msg/s, 20 B one in flight' },
  { id: 'one-in-flight/65536', min: 1.5, text: 'msg/s, 64 KiB one in flight' },
  { id: 'idle-memory', max: 0.7, text: 'idle memory per connection' },
];
/** The design brief's goals for wscodec as it installs; two-server mode's server A. */
const BRIEF_TARGETS = [
  { id: 'one-in-flight/20', min: 1.2, text: 'msg/s, 20 B one in flight' },
  { id: 'one-in-flight/65536', min: 1.5, text: 'msg/s, 64 KiB one in flight' },
  { id: 'pipelined/20', min: 2, text: 'msg/s, 20 B pipelined' },
  { id: 'idle-memory', max: 0.5, text: 'idle memory per connection' },
];

const DENO_FLAGS = '--no-config --no-lock --no-npm --no-remote --allow-net=127.0.0.1';
// Deno keeps its caches in DENO_DIR: under the gitignored cache rather than in $HOME
// (relative: servers run in the repository root).
const DENO_ENV = {
  DENO_DIR: path.join(path.relative(ROOT, CACHE), 'deno-dir'),
  DENO_NO_UPDATE_CHECK: '1',
  DENO_NO_PROMPT: '1',
  NO_COLOR: '1',
};

/** `expect`: what the listening line must say, so a CLI that ignored the variable is caught. */
export const CONTENDERS = [
  {
    key: 'native',
    label: 'wscodec native',
    command: WSCODEC,
    env: { WSCODEC_TRANSPORT: 'native' },
    expect: /transport: native\b/,
    targets: NATIVE_TARGETS,
  },
  {
    key: 'direct-wasm',
    label: 'wscodec direct + wasm',
    command: WSCODEC,
    env: { WSCODEC_TRANSPORT: 'direct', WSCODEC_BACKEND: 'wasm' },
    expect: /backend: wasm, transport: direct\b/,
    targets: WASM_TARGETS,
  },
  { key: 'stream', label: 'wscodec stream', command: WSCODEC, env: { WSCODEC_TRANSPORT: 'stream' }, expect: /transport: stream\b/ },
  { key: 'bun', label: 'Bun (uWebSockets)', anchor: 'bun', command: `bun bench/e2e/bun-echo.js ${ARGS}`, env: {} },
  {
    key: 'deno',
    label: 'Deno (fastwebsockets)',
    anchor: 'deno',
    command: `deno run ${DENO_FLAGS} bench/e2e/deno-echo.js ${ARGS}`,
    env: DENO_ENV,
  },
];
export const CONTENDER_KEYS = CONTENDERS.map((c) => c.key);

/** The servers of one run; the baseline (every ratio's denominator) is the one with `baseline`. */
export function chooseServers(opts) {
  const fresh = (s) => ({ env: {}, targets: [], ...s });
  if (opts.calibrate) {
    return [
      fresh({ key: 'a', label: 'ws (A)', command: WS }),
      fresh({ key: 'b', label: 'ws (B)', command: opts.serverB ?? WS, baseline: true }),
    ];
  }
  if (opts.serverA) {
    return [
      fresh({ key: 'a', label: opts.serverA.includes('bin/wscodec.js') ? 'wscodec' : 'A', command: opts.serverA, targets: BRIEF_TARGETS }),
      fresh({ key: 'b', label: 'ws', command: opts.serverB ?? WS, baseline: true }),
    ];
  }
  const wanted = opts.contenders ?? CONTENDER_KEYS;
  return [
    fresh({ key: 'ws', label: 'ws + bufferutil', command: opts.serverB ?? WS, baseline: true }),
    ...CONTENDERS.filter((c) => wanted.includes(c.key)).map(fresh),
  ];
}

/** The informative line of a start failure: the server's own `…Error: message`, if it printed one. */
function reasonOf(err) {
  const m = /^\s*(?:[\w.]*Error|error):\s*(.+)$/m.exec(err.message.split('\n').slice(1).join('\n'));
  return m ? m[1].trim() : err.message.split('\n')[0];
}

/**
 * Fetches the anchors among `servers` and starts every contender once; sets `bin` and
 * `version` on anchors, and `unavailable` (the reason) on a contender that cannot run here.
 * The baseline and two-server mode's servers are not probed: those must run.
 */
export async function probe(servers, { cwd, env, fetch, log }) {
  for (const s of servers.filter((x) => !x.baseline && (x.anchor || x.expect))) {
    if (s.anchor) {
      const a = ensureAnchor(s.anchor, { fetch, log });
      s.pkg = a.pkg;
      if (a.error) {
        s.unavailable = `could not get ${a.pkg}: ${a.error}`;
        continue;
      }
      s.bin = a.bin;
      s.version = a.version;
    }
    try {
      const started = await startServer(s.command, { cwd, bin: s.bin, env: { ...env, ...s.env } });
      await stop(started.child);
      if (s.expect && !s.expect.test(started.banner)) s.unavailable = `started, but its listening line says “${started.banner}”`;
    } catch (err) {
      s.unavailable = `does not start: ${reasonOf(err)}`;
    }
  }
}

/** `WSCODEC_TRANSPORT=native node bin/…` for the report. */
export const commandLine = (s) =>
  [
    ...Object.entries(s.env)
      .filter(([k]) => k.startsWith('WSCODEC_'))
      .map(([k, v]) => `${k}=${v}`),
    s.command,
  ].join(' ');
