// Runs the broadcast benchmark with its tiny budget into a temp dir: both fan-out servers
// are measured at both sizes, the Redis backplane row is there, every process the run
// started (servers, load generator, redis-server) is gone afterwards, and
// bench/results/broadcast.md is left alone. No timing is asserted.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

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

/** Pids of processes whose command line contains one of `marks` (Linux /proc). */
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
const benchPids = () => pidsMatching(['fanout-server.js', 'relay-server.js', 'load.js'].map((f) => path.join('bench', 'broadcast', f)), { cwd: root });

test('bench/broadcast/run.js --smoke: both servers at 64 B and 4 KiB, and the Redis row', { timeout: 60_000 }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'wscodec-broadcast-'));
  const before = mtime(committed);
  const strays = new Set(benchPids());
  try {
    const run = await runBench(out);
    assert.equal(run.code, 0, `bench exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}\n${run.stderr.slice(-4000)}`);
    const md = readFileSync(path.join(out, 'broadcast.md'), 'utf8');
    assert.equal(run.stdout.trim(), md.trim(), 'stdout is the report');

    // Fan-out table: both servers in the header, one row per size with numbers and a ratio.
    assert.match(md, /\| message \| wscodec deliveries\/s \| ws deliveries\/s \| wscodec\/ws \|/);
    const number = /^\d[\d,]*$/;
    for (const size of ['64 B', '4 KiB']) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${size} |`));
      assert.ok(row, `no fan-out row for ${size}`);
      const cells = row.split('|').slice(2, -1).map((c) => c.trim());
      assert.match(cells[0], number, `wscodec deliveries/s in: ${row}`);
      assert.match(cells[1], number, `ws deliveries/s in: ${row}`);
      assert.match(cells[2], /^\d+\.\d\d×$/, `a wscodec/ws ratio in: ${row}`);
    }
    assert.match(md, /\| 64 B \|.*≥ 3×: \*\*(met|not met)\*\* \|/);

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
