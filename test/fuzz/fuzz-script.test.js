// scripts/fuzz.js as a black box: a short clean run exits 0 having fed inputs to every
// backend, and the failure paths really fire: a planted backend disagreement and a
// planted hang each exit 1 and leave a reproducer. Also checks that the property tests'
// watchdog (watchdog.js) kills a run that never returns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codec } from '../helpers/wire.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(ROOT, 'scripts/fuzz.js');
const temp = mkdtempSync(join(tmpdir(), 'wscodec-fuzz-test-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Runs node with args; kills it after `limitMs` (a hung child must not hang the suite). */
function run(args, limitMs = 90_000) {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** The machine-readable last line of the fuzzer's summary. */
function summaryOf(r) {
  const line = r.stdout.split('\n').find((l) => l.startsWith('summary-json: '));
  assert.ok(line, `no summary line in:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('summary-json: '.length));
}

/** Finding files in `dir`, parsed, each with its path. */
const findingsIn = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ ...JSON.parse(readFileSync(join(dir, f), 'utf8')), path: join(dir, f) }));

test('a 15 s run with seed 1 finds nothing and feeds every backend', async () => {
  const dir = join(temp, 'clean');
  const r = await run([SCRIPT, '--seconds', '15', '--seed', '1', '--findings-dir', dir]);
  assert.equal(r.signal, null, 'the fuzzer was not killed');
  assert.equal(r.code, 0, `exit code 0 expected:\n${r.stdout}\n${r.stderr}`);
  const s = summaryOf(r);
  assert.equal(s.seed, 1);
  assert.equal(s.findings, 0);
  assert.ok(s.inputs > 0);
  for (const name of codec.availableBackends()) assert.ok(s.perBackend[name] > 0, `inputs on ${name}: ${s.perBackend[name]}`);
  assert.deepEqual(Object.keys(s.perBackend).sort(), ['js', 'native', 'wasm']);
  assert.ok(s.errorCodes.length >= 8, `error codes reached: ${s.errorCodes}`);
  assert.match(r.stdout, /inputs executed: +\d+ in [\d.]+ s \([\d.]+ inputs\/s\)/);
});

test('a planted backend disagreement exits 1 and writes a reproducer', async () => {
  const dir = join(temp, 'planted-bug');
  const r = await run([SCRIPT, '--seconds', '3', '--seed', '1', '--self-test-plant-bug', '--findings-dir', dir]);
  assert.equal(r.code, 1, `exit code 1 expected:\n${r.stdout}\n${r.stderr}`);
  assert.ok(summaryOf(r).findings > 0);
  const found = findingsIn(dir);
  assert.ok(found.length > 0, 'a finding file was written');
  const f = found.find((x) => x.kind === 'disagreement');
  assert.ok(f, `a disagreement among: ${found.map((x) => x.kind)}`);
  assert.equal(f.seed, 1);
  assert.match(f.hex, /^[0-9a-f]*$/);
  assert.equal(f.hex.length, f.length * 2);
  assert.ok(
    Array.isArray(f.chunkings) && f.chunkings.every((c) => c.sizes.reduce((a, b) => a + b, 0) === f.length),
    'chunkings cover the input',
  );
  assert.ok(f.options && ['server', 'client'].includes(f.role));
  assert.notDeepEqual(f.result, f.referenceResult, 'the differing event sequences are recorded');
  // The plant lives in the fuzzer, not the codec: replaying the input agrees everywhere.
  const replay = await run([SCRIPT, '--replay', f.path]);
  assert.equal(replay.code, 0, replay.stdout + replay.stderr);
  assert.match(replay.stdout, /everything agrees/);
});

test('a planted hang is reported by the watchdog, with the stuck input', async () => {
  const dir = join(temp, 'planted-hang');
  const started = Date.now();
  const r = await run([SCRIPT, '--seconds', '60', '--seed', '1', '--self-test-plant-hang', '--hang-ms', '1000', '--findings-dir', dir]);
  assert.equal(r.code, 1, `exit code 1 expected:\n${r.stdout}\n${r.stderr}`);
  assert.ok(Date.now() - started < 30_000, 'the hang ended the run early');
  assert.match(r.stdout, /HANG on input #3/);
  const [f] = findingsIn(dir);
  assert.equal(f.kind, 'hang');
  assert.equal(f.inputIndex, 3);
  assert.equal(f.hex.length, f.length * 2);
});

test("the property tests' watchdog kills a run that never returns and prints it", async () => {
  const url = pathToFileURL(join(ROOT, 'test/fuzz/watchdog.js')).href;
  const code = `const { watchdog } = await import(${JSON.stringify(url)});
    const dog = watchdog(300);
    dog.run(() => 'fine', () => 1);
    dog.run(() => 'the stuck run 0xdeadbeef', () => { for (;;); });`;
  const r = await run(['--input-type=module', '-e', code], 20_000);
  assert.equal(r.signal, 'SIGKILL');
  assert.match(r.stderr, /WATCHDOG: .*\n.*the stuck run 0xdeadbeef/);
  assert.doesNotMatch(r.stderr, /fine/);
});
