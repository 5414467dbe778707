// Runs the browser benchmark (bench/browser.js) with its --smoke setting into a temp dir
// and checks the report: both backends measured at every size. No timing is asserted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = path.join(root, 'bench', 'results', 'browser.md');

function runBench(outDir) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bench', 'browser.js'), '--smoke', '--out', outDir],
      { cwd: root, timeout: 100_000, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr }),
    );
  });
}

const skip = process.env.WSCODEC_SKIP_BROWSER === '1' ? 'WSCODEC_SKIP_BROWSER=1: no Chromium on purpose' : false;

test('bench/browser.js --smoke: a table with the wasm and js backends at every size', { timeout: 120_000, skip }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'wscodec-browser-bench-'));
  const before = existsSync(committed) ? statSync(committed).mtimeMs : null;
  try {
    const run = await runBench(out);
    assert.equal(run.code, 0, `bench exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}\n${run.stderr.slice(-4000)}`);
    const md = readFileSync(path.join(out, 'browser.md'), 'utf8');
    assert.equal(run.stdout, md, 'stdout is the report');
    assert.match(md, /Chromium \d+/);
    assert.match(md, /wasm from `init\(\)` \(\/build\/wscodec(\.simd)?\.wasm\)/);
    assert.match(md, /\| frames +\| wasm MB\/s +\| wasm msg\/s +\| js MB\/s +\| js msg\/s +\| wasm\/js +\|/);

    const number = /^\d[\d,]*(\.\d+)?( [kMG])?$/;
    const rows = md.split('\n').filter((l) => /^\| \d+ (B|KiB) (text|binary) /.test(l));
    assert.deepEqual(
      rows.map((r) => r.split('|')[1].trim()),
      ['16 B binary', '125 B text', '1 KiB binary', '64 KiB binary'],
    );
    for (const row of rows) {
      const cells = row
        .split('|')
        .slice(2, -1)
        .map((c) => c.trim());
      for (const cell of cells.slice(0, 4)) assert.match(cell, number, `a measured value in: ${row}`);
      assert.match(cells[4], /^\d[\d,]*\.\d\d×$/, `a wasm/js ratio in: ${row}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const after = existsSync(committed) ? statSync(committed).mtimeMs : null;
  assert.equal(after, before, '--out kept the smoke run away from bench/results/browser.md');
});
