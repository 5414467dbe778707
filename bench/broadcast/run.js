#!/usr/bin/env node
// npm run bench:broadcast: pub/sub fan-out, wscodec's Topics against ws's usual
// `wss.clients.forEach(c => c.send(data))`, with bufferutil and on ws's pure-JS path (ratios
// are quoted against both), and the latency a Redis backplane adds between two wscodec
// processes → stdout table, bench/results/broadcast.md.
// Reuses bench/e2e's harness: servers are separate processes pinned with taskset, the load
// generator (load.js) is another process with raw-socket clients, measured slices take turns
// between the servers (turns.js), every round starts fresh processes, the report shows medians.
// Files: fanout-server (all fan-out contenders) · relay-server (Topics + Redis) · load ·
// turns · redis (a throwaway redis-server) · report. Progress goes to stderr.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOrNull, readFlags } from '../args.js';
import { ROOT, loadCodec } from '../codec.js';
import { environment } from '../env.js';
import { median } from '../stats.js';
import { WS_BU, WS_JS } from '../contenders.js';
import { loadBufferutil } from '../ws-instances.js';
import { cpuPlan, installCleanup, startServer, stop } from '../e2e/processes.js';
import { runLoadScript } from '../e2e/measure.js';
import { startRedisServer } from './redis.js';
import { broadcastMarkdown, percentiles } from './report.js';
import { turnOrder } from './turns.js';

const log = (line) => process.stderr.write(`${line}\n`);
const LOAD = fileURLToPath(new URL('./load.js', import.meta.url));
const fanoutServer = (impl) => `node bench/broadcast/fanout-server.js --impl ${impl} --port 0 --host 127.0.0.1`;
// The first is the one under test; the report gives its ratio to each of the others.
const SERVERS = [
  { key: 'wscodec', label: 'wscodec', does: "wscodec `WebSocketServer` + `Topics.publish('t', data)`", command: fanoutServer('wscodec') },
  {
    key: 'ws',
    label: WS_BU,
    does: 'ws with the bufferutil native addon, `wss.clients.forEach((c) => c.send(data))`',
    command: fanoutServer('ws'),
  },
  { key: 'ws-js', label: WS_JS, does: 'the same ws loop with `WS_NO_BUFFER_UTIL=1`', command: fanoutServer('ws-js') },
];
const RELAY = 'node bench/broadcast/relay-server.js --port 0 --host 127.0.0.1';

export const HELP = `usage: node bench/broadcast/run.js [options]

  --smoke          50 subscribers, one short round, 100 latency messages (CI test)
  --rounds N       fan-out rounds, fresh server processes each (default 5)
  --slices N       measured slice groups (one slice per server) per size and round (default 4)
  --subs N         subscribers per server (default 1000)
  --messages N     messages for the Redis latency run (default 2000)
  --no-pin         do not pin servers and load generator to CPUs (taskset)
  --out DIR        where to write broadcast.md (default bench/results)
  --help`;

function parseArgs(argv) {
  const v = readFlags(
    argv,
    {
      smoke: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string' },
      rounds: { type: 'string' },
      slices: { type: 'string' },
      subs: { type: 'string' },
      messages: { type: 'string' },
    },
    HELP,
  );
  const opts = {
    smoke: v.smoke,
    pin: !v['no-pin'],
    out: v.out ?? null,
    rounds: numberOrNull(v.rounds),
    slices: numberOrNull(v.slices),
    subs: numberOrNull(v.subs),
    messages: numberOrNull(v.messages),
    help: v.help,
  };
  for (const k of ['rounds', 'slices', 'subs', 'messages']) if (opts[k] !== null && !(opts[k] >= 1)) throw new Error(`--${k} must be ≥ 1`);
  return opts;
}

/** Budgets. Full: ~5 s of latency on a 2-CPU machine; fan-out took ~1.5 min with two servers, so ~2 min with three (an estimate). */
function preset(opts) {
  const p = opts.smoke
    ? {
        name: 'smoke',
        subs: 50,
        rounds: 1,
        slices: 2,
        warmMs: 50,
        sliceMs: 100,
        latency: { messages: 100, warmMessages: 10, intervalMs: 2, size: 16 },
      }
    : {
        name: 'full',
        subs: 1000,
        rounds: 5,
        slices: 4,
        warmMs: 300,
        sliceMs: 500,
        latency: { messages: 2000, warmMessages: 100, intervalMs: 2, size: 16 },
      };
  if (opts.rounds) p.rounds = opts.rounds;
  if (opts.slices) p.slices = opts.slices;
  if (opts.subs) p.subs = opts.subs;
  if (opts.messages) p.latency.messages = opts.messages;
  p.sizes = [64, 4096];
  // Messages published per event-loop turn (then setImmediate + the high-water check in
  // fanout-server.js): about 4 KiB (64 B) and 32 KiB (4 KiB) per subscriber per turn.
  p.batchOf = { 64: 64, 4096: 8 };
  p.batch = 200; // handshakes in flight at once
  p.connectTimeoutMs = 10_000;
  p.drainTimeoutMs = 10_000;
  return p;
}

/** Runs load.js with `job`, pinned to the client CPU; resolves with its result message. */
function runLoad(job, timeoutMs, cpus) {
  return runLoadScript(LOAD, { ...job, deadlineMs: timeoutMs }, timeoutMs + 5000, cpus, { cwd: ROOT });
}

/** Starts `commands` (pinned to the server CPU), runs fn(servers), stops them; a dead server fails the run. */
async function withServers(commands, cpus, fn) {
  const servers = [];
  try {
    for (const command of commands) servers.push(await startServer(command, { cwd: ROOT, cpu: cpus?.server }));
    const out = await fn(servers);
    for (const s of servers) {
      if (s.child.exitCode !== null || s.child.signalCode !== null)
        throw new Error(`server exited during the run (${s.child.signalCode ?? s.child.exitCode})\n${s.stderr()}`);
    }
    return out;
  } finally {
    await Promise.all(servers.map((s) => stop(s.child)));
  }
}

async function fanoutRound(round, p, cpus) {
  // Servers start, connect and warm up in this round's order; load.js turns the order of
  // each slice group on from there.
  const order = turnOrder(SERVERS.length, round).map((i) => SERVERS[i]);
  return withServers(
    order.map((s) => s.command),
    cpus,
    async (servers) => {
      order.forEach((s, k) => (s.banner ??= servers[k].banner));
      const n = order.length;
      const perSize = p.sizes.length * (n * p.warmMs + n * p.slices * p.sliceMs + n * (p.slices + 1) * 2000);
      const timeoutMs = 2 * Math.ceil(p.subs / p.batch) * p.connectTimeoutMs + perSize;
      const job = {
        mode: 'fanout',
        subs: p.subs,
        sizes: p.sizes,
        batchOf: p.batchOf,
        warmMs: p.warmMs,
        sliceMs: p.sliceMs,
        slices: p.slices,
        batch: p.batch,
        connectTimeoutMs: p.connectTimeoutMs,
        drainTimeoutMs: p.drainTimeoutMs,
        servers: servers.map((s, k) => ({ host: s.host, port: s.port, pid: s.pid, label: order[k].label })),
      };
      const r = await runLoad(job, timeoutMs, cpus);
      const out = {};
      for (const size of p.sizes) out[size] = Object.fromEntries(order.map((s, k) => [s.key, r.sizes[size][k]]));
      return out;
    },
  );
}

async function latencyRun(p, cpus, redisUrl) {
  const command = `${RELAY} --redis ${redisUrl}`;
  return withServers([command, command], cpus, async (servers) => {
    const L = p.latency;
    const job = {
      mode: 'latency',
      ...L,
      connectTimeoutMs: p.connectTimeoutMs,
      drainTimeoutMs: 5000,
      servers: servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid })),
    };
    const timeoutMs = p.connectTimeoutMs + (L.messages + L.warmMessages) * (L.intervalMs + 5) + 10_000;
    const r = await runLoad(job, timeoutMs, cpus);
    return { ...r, banner: servers[0].banner };
  });
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) return (console.log(HELP), 0);
  installCleanup();
  const p = preset(opts);
  const cpus = opts.pin ? cpuPlan() : null;
  p.cpus = cpus;
  const outDir = path.resolve(opts.out ?? path.join(ROOT, 'bench', 'results'));
  const problems = [];
  const started = Date.now();
  const env = environment({
    codecLoad: await loadCodec(),
    bufferutilAddon: loadBufferutil().addon,
    wsSummary:
      "fanout-server.js checks at start, through ws's own unmask, that `--impl ws` reaches the bufferutil native addon and `--impl ws-js` (WS_NO_BUFFER_UTIL=1) does not",
    timing: p,
  });
  if (env.loadavg[0] > env.cpuCount / 2) log(`note: load average ${env.loadavg[0]} on ${env.cpuCount} CPUs: expect noisy numbers`);
  log(
    `broadcast (${p.name}): ${p.subs} subscribers per server, ${p.sizes.join(' and ')} B; ${p.rounds} round(s) of ${p.slices} slice group(s) × ${p.sliceMs} ms per size and server`,
  );
  log(cpus ? `  servers on CPU ${cpus.server}, load generator on CPU ${cpus.client} (taskset)` : '  not pinned to CPUs');

  const fanout = Object.fromEntries(p.sizes.map((size) => [size, Object.fromEntries(SERVERS.map((s) => [s.key, []]))]));
  for (let round = 0; round < p.rounds; round++) {
    try {
      const r = await fanoutRound(round, p, cpus);
      for (const size of p.sizes) {
        for (const s of SERVERS) fanout[size][s.key].push(...r[size][s.key].map((x) => ({ ...x, round })));
        const med = (k) => median(r[size][k].map((x) => x.deliveriesPerSec));
        log(
          `  round ${round + 1} ${size} B: ${SERVERS.map((s) => `${s.label} ${fmt(med(s.key))} deliveries/s (CPU server ${Math.round(median(r[size][s.key].map((x) => x.serverCpu)) * 100)}%, client ${Math.round(median(r[size][s.key].map((x) => x.clientCpu)) * 100)}%)`).join(' | ')}`,
        );
      }
    } catch (err) {
      problems.push(`fan-out round ${round + 1}: ${err.message.split('\n')[0]}`);
      log(`  ✘ fan-out round ${round + 1}: ${err.message}`);
    }
  }

  let latency = null;
  let redis = null;
  try {
    redis = await startRedisServer({ cpu: null });
    log(`  ${redis.banner} on ${redis.url}`);
    const r = await latencyRun(p, cpus, redis.url);
    latency = {
      messages: r.messages,
      local: percentiles(r.local),
      viaRedis: percentiles(r.viaRedis),
      added: percentiles(r.added),
      missing: r.missing,
      duplicates: r.duplicates,
      banner: r.banner,
      redis: { banner: redis.banner, url: redis.url },
    };
    log(
      `  latency: local p50 ${latency.local.p50.toFixed(3)} ms, via Redis p50 ${latency.viaRedis.p50.toFixed(3)} ms, added p50 ${latency.added.p50.toFixed(3)} ms`,
    );
    if (r.missing.local || r.missing.remote)
      problems.push(`latency: ${r.missing.local} local and ${r.missing.remote} remote deliveries missing`);
    if (r.duplicates.local || r.duplicates.remote)
      problems.push(`latency: ${r.duplicates.local} local and ${r.duplicates.remote} remote duplicate deliveries`);
  } catch (err) {
    problems.push(`redis latency: ${err.message.split('\n')[0]}`);
    log(`  ✘ redis latency: ${err.message}`);
  } finally {
    if (redis) await redis.stop();
  }

  env.loadavgEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  const seconds = (Date.now() - started) / 1000;
  const md = broadcastMarkdown({ env, p, servers: SERVERS, fanout, latency, problems, seconds });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'broadcast.md'), md);
  console.log(md);
  log(`wrote ${path.relative(process.cwd(), outDir) || '.'}/broadcast.md in ${seconds.toFixed(0)} s`);
  if (problems.length) log(`\n${problems.length} problem(s):\n${problems.map((x) => `  - ${x}`).join('\n')}`);
  return problems.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err.message ?? err);
    process.exitCode = 1;
  },
);
