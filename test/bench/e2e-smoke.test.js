// Runs the end-to-end benchmark with its tiny budget into a temp dir: both echo servers
// start, every cell produces traffic for both, every process is gone afterwards, and
// bench/results/ is left alone.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'bench', 'results');
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : null);

// Until the CLI exists there is only the harness to check: ws against ws.
const haveCli = existsSync(path.join(root, 'bin', 'wscodec.js'));

function runE2e(outDir) {
  const args = [path.join(root, 'bench', 'e2e', 'run.js'), '--smoke', '--out', outDir, ...(haveCli ? [] : ['--calibrate'])];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: 100_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr }),
    );
  });
}

/** Pids of this checkout's benchmark servers and load generators (Linux /proc). */
function benchPids() {
  if (!existsSync('/proc')) return [];
  const marks = [path.join('bench', 'e2e', 'ws-echo.js'), path.join('bench', 'e2e', 'client.js'), path.join('bin', 'wscodec.js')];
  const pids = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // Only this checkout's: other work on the machine may run its own echo servers.
      if (marks.some((m) => cmd.includes(m)) && readlinkSync(`/proc/${pid}/cwd`) === root) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

test(
  `bench/e2e/run.js --smoke${haveCli ? '' : ' --calibrate (no bin/wscodec.js yet)'}: both servers echo in every cell`,
  { timeout: 120_000 },
  async (t) => {
    if (!haveCli) t.diagnostic('bin/wscodec.js missing: ran ws against ws');
    const out = mkdtempSync(path.join(os.tmpdir(), 'wscodec-e2e-'));
    const base = haveCli ? 'e2e' : 'e2e-calibration';
    const before = { md: mtime(path.join(results, `${base}.md`)), json: mtime(path.join(results, `${base}.json`)) };
    const strays = new Set(benchPids());
    try {
      const run = await runE2e(out);
      assert.equal(run.code, 0, `e2e exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}\n${run.stderr.slice(-4000)}`);
      assert.match(run.stdout, /\| scenario +\| +size \|/);

      const json = JSON.parse(readFileSync(path.join(out, `${base}.json`), 'utf8'));
      assert.ok(existsSync(path.join(out, `${base}.md`)));
      assert.deepEqual(json.problems, []);
      assert.match(json.env.node, /^v\d+/);
      assert.deepEqual(
        json.servers.map((s) => s.key),
        ['a', 'b'],
      );
      for (const s of json.servers) assert.match(s.banner ?? '', /ws:\/\/127\.0\.0\.1:\d+/, `${s.label} printed no ws:// line`);

      const ids = json.cells.map((c) => c.id);
      for (const scenario of ['one-in-flight', 'pipelined']) {
        for (const size of [20, 1024, 16384, 65536]) assert.ok(ids.includes(`${scenario}/${size}`), `no cell ${scenario}/${size}`);
      }
      assert.ok(ids.includes('idle-memory'));

      for (const cell of json.cells) {
        const rounds = cell.mode === 'idle' ? json.preset.idleRounds : json.preset.rounds;
        assert.equal(cell.rounds.length, rounds, `${cell.id}: one entry per round`);
        for (const round of cell.rounds) {
          for (const key of ['a', 'b']) {
            const r = round[key];
            const where = `${cell.id} ${key}`;
            assert.ok(r, `${where}: a run failed`);
            if (cell.mode === 'idle') {
              assert.equal(r.count, json.preset.idle.count);
              assert.ok(r.beforeKiB > 0 && r.afterKiB > 0 && Number.isFinite(r.perConnKiB), `${where}: RSS not read`);
              continue;
            }
            assert.equal(r.slices.length, json.preset.slices, `${where}: one slice per pair`);
            for (const s of r.slices)
              assert.ok(s.messages > 0 && s.msgPerSec > 0, `${where}: a slice saw no echoes (${s.msgPerSec} msg/s)`);
            if (cell.mode === 'one') assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p99 >= r.latencyMs.p50, `${where}: latency`);
          }
        }
        if (cell.mode === 'idle') {
          // RSS growth of a few hundred connections may drown in GC noise: finite is all we ask.
          assert.ok(Number.isFinite(cell.summary.ratio), `${cell.id}: no ratio`);
        } else {
          for (const key of ['a', 'b']) assert.ok(cell.summary[key].msgPerSec > 0, `${cell.id} ${key}: no median rate`);
          assert.ok(cell.summary.ratio > 0, `${cell.id}: no ratio`);
        }
      }
      assert.equal(json.targets.length, 4);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    // execFile resolves on exit; give killed children a moment to be reaped before looking.
    await new Promise((r) => setTimeout(r, 300));
    const left = benchPids().filter((pid) => !strays.has(pid));
    assert.deepEqual(left, [], 'the benchmark left server or client processes running');
    assert.deepEqual(
      { md: mtime(path.join(results, `${base}.md`)), json: mtime(path.join(results, `${base}.json`)) },
      before,
      'bench/results/ must not be touched',
    );
  },
);
