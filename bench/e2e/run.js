#!/usr/bin/env node
// npm run bench:e2e: echo servers under the same load, measured in turns in the same run →
// stdout tables, bench/results/e2e.{md,json}. Default: ws + bufferutil against every
// contender (wscodec per transport, Bun, Deno); --server-a / --calibrate: two servers.
// Files: args (flags, budgets) · contenders and anchors (who runs, fetching Bun and Deno) ·
// measure (server + load-generator processes) · client and load (the load generator) ·
// connect and wire (its hand-written WebSocket client side) · processes and procfs
// (starting, stopping and reading processes) · report. *-echo.js: the servers.
// Progress goes to stderr so stdout holds only the report.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, loadCodec } from '../codec.js';
import { environment } from '../env.js';
import { sizeLabel } from '../frames.js';
import { median } from '../stats.js';
import { loadBufferutil } from '../ws-instances.js';
import { DEFAULT_SIZES, HELP, SCENARIOS, parseArgs, preset } from './args.js';
import { chooseServers, commandLine, probe } from './contenders.js';
import { measureIdle, measureThroughput } from './measure.js';
import { cpuPlan, installCleanup } from './processes.js';
import { e2eMarkdown, evaluateTargets, summarize } from './report.js';

const log = (line) => process.stderr.write(`${line}\n`);

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

/** Progress for one server in one throughput round: median slice rate, ratio, server CPU. */
function describe({ slices }, baseline) {
  const med = (list, f) => median(list.map(f));
  const rate = med(slices, (r) => r.msgPerSec);
  const ratio = baseline ? ` ${(rate / med(baseline.slices, (r) => r.msgPerSec)).toFixed(2)}×` : '';
  return `${Math.round(rate).toLocaleString('en-US')}${ratio} (CPU ${Math.round(med(slices, (r) => r.serverCpu) * 100)}%)`;
}

const rotate = (list, k) => [...list.slice(k), ...list.slice(0, k)];

/** What the JSON keeps of a server (not its RegExp, nor absolute paths). */
const serverRecord = (s) => ({
  key: s.key,
  label: s.label,
  command: commandLine(s),
  env: s.env,
  baseline: !!s.baseline,
  pkg: s.pkg ?? null,
  version: s.version ?? null,
  banner: s.banner ?? null,
  unavailable: s.unavailable ?? null,
  targets: s.targets,
});

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

  // Who can run here: a contender that cannot start is reported, not measured.
  await probe(servers, { cwd: ROOT, env: p.serverEnv, fetch: opts.fetch, log });
  const active = servers.filter((s) => !s.unavailable);
  const unavailable = servers.filter((s) => s.unavailable);
  const base = active.find((s) => s.baseline);
  if (active.length < 2)
    throw new Error(`nothing to compare with ${base.label}:\n${unavailable.map((s) => `  ${s.label}: ${s.unavailable}`).join('\n')}`);

  log(
    `e2e (${p.name}): ${cells.length} cells; ${p.rounds} throughput round(s) of ${p.slices} × ${p.sliceMs} ms per server, ${p.idleRounds} idle-memory round(s)`,
  );
  for (const s of active) log(`  ${s.label}${s.baseline ? ' (baseline)' : ''}: ${commandLine(s)}`);
  for (const s of unavailable) log(`  ✘ ${s.label}: NOT AVAILABLE, not measured: ${s.unavailable}`);
  if (opts.steadyMalloc)
    log(
      `  servers run with ${Object.entries(p.serverEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  log(cpus ? `  servers on CPU ${cpus.server}, load generator on CPU ${cpus.client} (taskset)` : '  not pinned to CPUs');

  // Rounds outside, cells inside: a slow patch of the machine then spoils one round of several
  // cells rather than every round of one. Who goes first rotates every round and every cell.
  for (const cell of cells) cell.rounds = [];
  const rounds = Math.max(p.rounds, cells.some((c) => c.mode === 'idle') ? p.idleRounds : 0);
  for (let round = 0; round < rounds; round++) {
    for (const [i, cell] of cells.entries()) {
      if (round >= (cell.mode === 'idle' ? p.idleRounds : p.rounds)) continue;
      const order = rotate(active, (round + i) % active.length);
      const entry = { first: order[0].key };
      cell.rounds[round] = entry;
      const what = `round ${round + 1} ${cell.mode === 'idle' ? 'idle memory' : `${cell.scenario} ${sizeLabel(cell.size)}`}`;
      if (cell.mode === 'idle') {
        // RSS needs a server to itself: one server process at a time.
        for (const server of order) {
          try {
            const { banners, ...r } = await measureIdle({ spec: server, cwd: ROOT, cpus, p });
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
        const r = await measureThroughput({ specs: order, cwd: ROOT, cpus, cell, p });
        order.forEach((server, k) => {
          server.banner ??= r.banners[k];
          entry[server.key] = r.servers[k];
        });
        log(`  ${what}: ${active.map((s) => `${s.label} ${describe(entry[s.key], s === base ? null : entry[base.key])}`).join(' | ')}`);
      } catch (err) {
        for (const s of active) entry[s.key] = null;
        problems.push(`${what}: ${err.message.split('\n')[0]}`);
        log(`  ✘ ${what}: ${err.message}`);
      }
    }
  }

  const keys = active.map((s) => s.key);
  for (const cell of cells) cell.summary = summarize(cell, keys, base.key);
  env.loadavgEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  const calibration = opts.calibrate;
  const targets = evaluateTargets(cells, servers, { calibration });
  const md = e2eMarkdown({ env, servers, p, cells, targets, problems, calibration });
  const json = {
    env,
    calibration,
    servers: servers.map(serverRecord),
    baseline: base.key,
    preset: p,
    cells,
    targets,
    problems,
    seconds: (Date.now() - started) / 1000,
  };

  // A calibration run must not overwrite the real comparison.
  const name = calibration ? 'e2e-calibration' : 'e2e';
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${name}.md`), md);
  writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(json, null, 1)}\n`);
  console.log(md);
  log(`wrote ${path.relative(process.cwd(), outDir) || '.'}/${name}.{md,json} in ${json.seconds.toFixed(0)} s`);
  if (unavailable.length)
    log(`\nnot measured (not available here):\n${unavailable.map((s) => `  - ${s.label}: ${s.unavailable}`).join('\n')}`);
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
