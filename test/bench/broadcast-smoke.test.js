// Runs the broadcast benchmark with its tiny budget into a temp dir (as a child process:
// importing run.js would run the full bench): all three fan-out servers (wscodec, ws +
// bufferutil, ws pure JS) are measured at both sizes, the Redis backplane row is there,
// every process the run started (servers, load generator, redis-server) is gone afterwards,
// and bench/results/broadcast.md is left alone. No timing is asserted. Also checks that the
// order in which the servers take turns is fair.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { turnOrder } from '../../bench/broadcast/turns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = path.join(root, 'bench', 'results', 'broadcast.md');
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : null);

function runBench(outDir) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bench', 'broadcast', 'run.js'), '--smoke', '--out', outDir],
      { cwd: root, timeout: 55_000, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr }),
    );
  });
}

/**
 * Pids of processes whose command line contains one of `marks` (Linux /proc).
 * @param {string[]} marks
 * @param {{ cwd?: string }} [options]
 */
function pidsMatching(marks, { cwd } = {}) {
  if (!existsSync('/proc')) return [];
  const pids = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!marks.some((m) => cmd.includes(m))) continue;
      if (cwd && readlinkSync(`/proc/${pid}/cwd`) !== cwd) continue;
      pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

// Servers run as `node bench/broadcast/…`, load.js by absolute path; all with the checkout as cwd.
const benchPids = () =>
  pidsMatching(
    ['fanout-server.js', 'relay-server.js', 'load.js'].map((f) => path.join('bench', 'broadcast', f)),
    { cwd: root },
  );

test('bench/broadcast/run.js --smoke: all three servers at 64 B and 4 KiB, and the Redis row', { timeout: 60_000 }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'wscodec-broadcast-'));
  const before = mtime(committed);
  const strays = new Set(benchPids());
  try {
    const run = await runBench(out);
    assert.equal(run.code, 0, `bench exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}\n${run.stderr.slice(-4000)}`);
    const md = readFileSync(path.join(out, 'broadcast.md'), 'utf8');
    assert.equal(run.stdout.trim(), md.trim(), 'stdout is the report');

    // Fan-out tables: one row per size in each, every server in the headers, numbers positive.
    const labels = ['wscodec', 'ws + bufferutil', 'ws (pure JS)'];
    const all = labels.join(' / ');
    assert.ok(
      md.includes(
        `| message | ${labels.map((l) => `${l} deliveries/s`).join(' | ')} | wscodec / ws + bufferutil | per-round ratios | wscodec / ws (pure JS) | per-round ratios | target (vs ws + bufferutil) |`,
      ),
      'deliveries/s header',
    );
    assert.ok(
      md.includes(
        `| message | server CPU ${all} | deliveries per server CPU-s ${all} | wscodec / ws + bufferutil per CPU-s | wscodec / ws (pure JS) per CPU-s | load generator CPU ${all} |`,
      ),
      'server CPU header',
    );
    const positive = (cell, what) => {
      assert.match(cell, /^\d[\d,]*$/, what);
      assert.ok(Number(cell.replace(/,/g, '')) > 0, what);
    };
    const ratio = (cell, what) => {
      assert.match(cell, /^\d+\.\d\d×$/, what);
      assert.ok(parseFloat(cell) > 0, what);
    };
    const percents = (cell, what) => assert.match(cell, /^\d+% \/ \d+% \/ \d+%$/, what);
    for (const size of ['64 B', '4 KiB']) {
      const rows = md.split('\n').filter((l) => l.startsWith(`| ${size} |`));
      assert.equal(rows.length, 2, `a deliveries/s row and a server CPU row for ${size}`);
      const [speed, cost] = rows.map((row) =>
        row
          .split('|')
          .slice(2, -1)
          .map((c) => c.trim()),
      );
      labels.forEach((l, i) => positive(speed[i], `${l} deliveries/s in: ${rows[0]}`));
      for (const at of [3, 5]) {
        ratio(speed[at], `a ratio in column ${at + 2} of: ${rows[0]}`);
        assert.match(speed[at + 1], /^\d+\.\d\d–\d+\.\d\d×$/, `per-round ratios in column ${at + 3} of: ${rows[0]}`);
      }
      percents(cost[0], `server CPU in: ${rows[1]}`);
      cost[1].split(' / ').forEach((n, i) => positive(n, `${labels[i]} deliveries per server CPU-s in: ${rows[1]}`));
      ratio(cost[2], `wscodec / ws + bufferutil per CPU-s in: ${rows[1]}`);
      ratio(cost[3], `wscodec / ws (pure JS) per CPU-s in: ${rows[1]}`);
      percents(cost[4], `load generator CPU in: ${rows[1]}`);
    }
    assert.match(md, /\| 64 B \|.*≥ 3×: \*\*(met|not met)\*\* \|/);
    // Each server announced itself: the ws ones say whether bufferutil is in use.
    assert.match(md, /^- ws \+ bufferutil: ws [\d.]+ \+ bufferutil fan-out listening/m);
    assert.match(md, /^- ws \(pure JS\): ws [\d.]+ pure JS \(WS_NO_BUFFER_UTIL=1\) fan-out listening/m);

    // Redis: local and via-Redis rows with p50/p99, nothing lost.
    const ms = String.raw`\d+\.\d{3}`;
    assert.match(md, new RegExp(String.raw`\| local only [^|]*\| ${ms} \| ${ms} \| \d`));
    assert.match(md, new RegExp(String.raw`\| via Redis [^|]*\| ${ms} \| ${ms} \| \d`));
    assert.match(md, new RegExp(String.raw`\| added by the Redis hop \| -?${ms} \| -?${ms} \|`));
    assert.match(md, /Missing deliveries: 0 local, 0 via Redis/);
    assert.doesNotMatch(md, /## Problems/);

    // The redis-server this run started is gone.
    const redisPort = /on redis:\/\/127\.0\.0\.1:(\d+)/.exec(md)?.[1];
    assert.ok(redisPort, 'the report names the Redis port');
    assert.deepEqual(pidsMatching([`redis-server 127.0.0.1:${redisPort}`, `--port ${redisPort} `]), [], 'redis-server still running');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const left = benchPids().filter((pid) => !strays.has(pid));
  assert.deepEqual(left, [], 'benchmark processes still running after the run');
  assert.equal(mtime(committed), before, '--out kept the smoke run away from bench/results/broadcast.md');
});

test('turnOrder: over 2 × 3 turns each server holds each position twice and follows each other one twice', () => {
  const orders = Array.from({ length: 6 }, (_, turn) => turnOrder(3, turn));
  for (const order of orders) assert.deepEqual([...order].sort(), [0, 1, 2], `a permutation: ${order}`);
  for (let position = 0; position < 3; position++) {
    for (let server = 0; server < 3; server++)
      assert.equal(orders.filter((o) => o[position] === server).length, 2, `server ${server} at position ${position}`);
  }
  const follows = new Map();
  for (const o of orders) for (let k = 1; k < 3; k++) follows.set(`${o[k - 1]}→${o[k]}`, (follows.get(`${o[k - 1]}→${o[k]}`) ?? 0) + 1);
  assert.deepEqual([...follows.values()], [2, 2, 2, 2, 2, 2], JSON.stringify(Object.fromEntries(follows)));
  // Two servers: each goes first, and each follows the other, in two of every four turns.
  assert.deepEqual(
    [0, 1, 2, 3].map((turn) => turnOrder(2, turn)),
    [
      [0, 1],
      [1, 0],
      [1, 0],
      [0, 1],
    ],
  );
});
