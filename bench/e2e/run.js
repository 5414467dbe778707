#!/usr/bin/env node
// npm run bench:e2e: two echo servers (wscodec's CLI and ws + bufferutil) under the same
// load, measured alternately in the same run → stdout table, bench/results/e2e.{md,json}.
// Files: args (flags, budgets) · measure (server + load-generator processes) · client and
// load (the load generator) · connect and wire (its hand-written WebSocket client side) ·
// processes and procfs (starting, stopping and reading processes) · report.
// Progress goes to stderr so stdout holds only the report.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, loadCodec } from '../codec.js';
import { environment } from '../env.js';
import { sizeLabel } from '../frames.js';
import { median } from '../stats.js';
import { loadBufferutil } from '../ws-instances.js';
import { DEFAULT_SIZES, HELP, SCENARIOS, parseArgs, preset } from './args.js';
import { measureIdle, measureThroughput } from './measure.js';
import { cpuPlan, installCleanup } from './processes.js';
import { e2eMarkdown, evaluateTargets, summarize } from './report.js';

const log = (line) => process.stderr.write(`${line}\n`);
const WSCODEC = 'node bin/wscodec.js echo --port 0 --host 127.0.0.1';
const WS = 'node bench/e2e/ws-echo.js --port 0 --host 127.0.0.1';

function chooseServers(opts) {
  if (opts.calibrate) {
    return [
      { key: 'a', label: 'ws (A)', command: WS },
      { key: 'b', label: 'ws (B)', command: opts.serverB ?? WS },
    ];
  }
  if (!opts.serverA && !existsSync(path.join(ROOT, 'bin', 'wscodec.js'))) {
    throw new Error('bin/wscodec.js does not exist yet: pass --server-a "<command>", or --calibrate to run ws against ws');
  }
  return [
    { key: 'a', label: 'wscodec', command: opts.serverA ?? WSCODEC },
    { key: 'b', label: 'ws', command: opts.serverB ?? WS },
  ];
}

function planCells(opts, p) {
  const wanted = opts.only ?? SCENARIOS;
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  const cells = [];
  for (const [scenario, mode] of [
    ['one-in-flight', 'one'],
    ['pipelined', 'pipe'],
  ]) {
    if (wanted.includes(scenario)) for (const size of sizes) cells.push({ id: `${scenario}/${size}`, scenario, mode, size });
  }
  if (wanted.includes('idle-memory')) cells.push({ id: 'idle-memory', scenario: 'idle-memory', mode: 'idle', count: p.idle.count });
  return cells;
}

/** Progress line for one server in one throughput round: median slice rate and CPU. */
function describe({ slices, latencyMs: lat }) {
  const med = (f) => median(slices.map(f));
  return `${Math.round(med((r) => r.msgPerSec)).toLocaleString('en-US')} msg/s${lat ? ` p50 ${lat.p50.toFixed(2)} ms` : ''} (CPU server ${Math.round(med((r) => r.serverCpu) * 100)}%, client ${Math.round(med((r) => r.clientCpu) * 100)}%)`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) return (console.log(HELP), 0);
  installCleanup();
  const p = preset(opts);
  const servers = chooseServers(opts);
  const cells = planCells(opts, p);
  const cpus = opts.pin ? cpuPlan() : null;
  p.cpus = cpus;
  const outDir = path.resolve(opts.out ?? path.join(ROOT, 'bench', 'results'));
  const problems = [];
  const started = Date.now();

  const env = environment({
    codecLoad: await loadCodec(),
    bufferutilAddon: loadBufferutil().addon,
    wsSummary: 'ws-echo.js checks at start that ws loaded the bufferutil addon',
    timing: p,
  });
  if (env.loadavg[0] > env.cpuCount / 2) log(`note: load average ${env.loadavg[0]} on ${env.cpuCount} CPUs: expect noisy numbers`);
  log(
    `e2e (${p.name}): ${cells.length} cells; ${p.rounds} throughput round(s) of ${p.slices} × ${p.sliceMs} ms per server, ${p.idleRounds} idle-memory round(s)`,
  );
  for (const s of servers) log(`  ${s.label}: ${s.command}`);
  if (opts.steadyMalloc)
    log(
      `  servers run with ${Object.entries(p.serverEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  log(cpus ? `  servers on CPU ${cpus.server}, load generator on CPU ${cpus.client} (taskset)` : '  not pinned to CPUs');

  // Rounds outside, cells inside: a slow patch of the machine then spoils one round of several
  // cells rather than every round of one. The order flips every round and every cell.
  for (const cell of cells) cell.rounds = [];
  const rounds = Math.max(p.rounds, cells.some((c) => c.mode === 'idle') ? p.idleRounds : 0);
  for (let round = 0; round < rounds; round++) {
    for (const [i, cell] of cells.entries()) {
      if (round >= (cell.mode === 'idle' ? p.idleRounds : p.rounds)) continue;
      const order = (round + i) % 2 ? [servers[1], servers[0]] : servers;
      const entry = { first: order[0].key };
      cell.rounds[round] = entry;
      const what = `round ${round + 1} ${cell.mode === 'idle' ? 'idle memory' : `${cell.scenario} ${sizeLabel(cell.size)}`}`;
      if (cell.mode === 'idle') {
        // RSS needs a server to itself: one server process at a time.
        for (const server of order) {
          try {
            const { banners, ...r } = await measureIdle({ command: server.command, cwd: ROOT, cpus, p });
            server.banner ??= banners[0];
            entry[server.key] = r;
            log(`  ${what} ${server.label}: ${r.perConnKiB.toFixed(1)} KiB/conn (RSS ${r.beforeKiB} → ${r.afterKiB} KiB)`);
          } catch (err) {
            entry[server.key] = null;
            problems.push(`${what} ${server.label}: ${err.message.split('\n')[0]}`);
            log(`  ✘ ${what} ${server.label}: ${err.message}`);
          }
        }
        continue;
      }
      try {
        const r = await measureThroughput({ commands: order.map((s) => s.command), cwd: ROOT, cpus, cell, p });
        order.forEach((server, k) => {
          server.banner ??= r.banners[k];
          entry[server.key] = r.servers[k];
        });
        log(`  ${what}: ${servers.map((s) => `${s.label} ${describe(entry[s.key])}`).join(' | ')}`);
      } catch (err) {
        entry.a = entry.b = null;
        problems.push(`${what}: ${err.message.split('\n')[0]}`);
        log(`  ✘ ${what}: ${err.message}`);
      }
    }
  }

  for (const cell of cells) cell.summary = summarize(cell);
  env.loadavgEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  const calibration = opts.calibrate;
  const targets = evaluateTargets(cells, { calibration });
  const md = e2eMarkdown({ env, servers, p, cells, targets, problems, calibration });
  const json = { env, calibration, servers, preset: p, cells, targets, problems, seconds: (Date.now() - started) / 1000 };

  // A calibration run must not overwrite the real comparison.
  const base = calibration ? 'e2e-calibration' : 'e2e';
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${base}.md`), md);
  writeFileSync(path.join(outDir, `${base}.json`), `${JSON.stringify(json, null, 1)}\n`);
  console.log(md);
  log(`wrote ${path.relative(process.cwd(), outDir) || '.'}/${base}.{md,json} in ${json.seconds.toFixed(0)} s`);
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
