// Runs the whole benchmark with a tiny time budget into a temp dir and checks that every
// contender decoded what was sent and that every report file was written.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const committedResults = path.join(root, 'bench', 'results', 'latest.json');

function runBench(outDir) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bench', 'run.js'), '--smoke', '--out', outDir],
      { cwd: root, timeout: 55_000, maxBuffer: 16 << 20, env: { ...process.env, WSCODEC_BENCH_OUT: '' } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr }),
    );
  });
}

test('bench/run.js --smoke: every contender decodes correctly and all reports are written', { timeout: 60_000 }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'wscodec-bench-'));
  const before = existsSync(committedResults) ? statSync(committedResults).mtimeMs : null;
  try {
    const run = await runBench(out);
    assert.equal(run.code, 0, `bench exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}\n${run.stderr.slice(-4000)}`);

    for (const file of ['decode.md', 'mask.md', 'ratios.svg', 'latest.json']) {
      assert.ok(existsSync(path.join(out, file)), `${file} was not written`);
    }
    assert.match(readFileSync(path.join(out, 'ratios.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    const decodeMd = readFileSync(path.join(out, 'decode.md'), 'utf8');
    assert.match(decodeMd, /Node v\d+/);
    assert.match(decodeMd, /\| contender +\| ops\/s/);

    const json = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8'));
    assert.deepEqual(json.problems, []);

    const built = existsSync(path.join(root, 'dist', 'codec-node.js'));
    assert.equal(json.env.wscodec.status, built ? 'ok' : 'not-built');
    const expectedNames = ['ws + bufferutil', 'ws (pure JS)', 'websocket-driver'];
    if (built) {
      for (const b of json.env.wscodec.backends) expectedNames.push(`wscodec ${b}`);
      assert.ok(json.env.wscodec.backends.length >= 1);
    }

    assert.equal(json.decode.length, 6, 'one decode case per size');
    for (const c of json.decode) {
      const names = c.results.map((r) => r.name);
      for (const name of expectedNames) assert.ok(names.includes(name), `${c.label}: no row for ${name}`);
      for (const r of c.results) {
        const where = `${c.label} ${r.name}`;
        assert.equal(r.verify.delivered, r.verify.expected, `${where}: verification delivered ${r.verify.delivered}/${r.verify.expected}`);
        assert.equal(r.verify.mismatches, 0, `${where}: ${r.verify.firstMismatch}`);
        assert.deepEqual(r.verify.errors, [], `${where}: decoder errors`);
        for (const round of r.rounds) {
          assert.ok(round.check.pushes > 0, `${where}: nothing was pushed while timing`);
          assert.equal(
            round.check.delivered,
            round.check.expected,
            `${where}: timed run delivered ${round.check.delivered}/${round.check.expected}`,
          );
          assert.ok(round.hz > 0);
        }
      }
    }
    assert.deepEqual(json.maskFailures, []);
    assert.ok(json.mask.length > 0 && json.crossover.length > 0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const after = existsSync(committedResults) ? statSync(committedResults).mtimeMs : null;
  assert.equal(after, before, 'bench/results/ must not be touched by the smoke test');
});
