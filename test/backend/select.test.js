// Backend selection at load time (WSCODEC_BACKEND) and the CommonJS entry, checked in
// child processes so each gets a fresh module graph.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as codec from 'wscodec/codec';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT = 30000;

function node(args, backendEnv) {
  const env = { ...process.env };
  delete env.WSCODEC_BACKEND;
  delete env.NODE_OPTIONS;
  if (backendEnv !== undefined) env.WSCODEC_BACKEND = backendEnv;
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, timeout: TIMEOUT, encoding: 'utf8' });
  assert.equal(r.error, undefined, `child process failed to run: ${r.error}`);
  return r;
}
const esm = (code, backendEnv) => node(['--input-type=module', '-e', code], backendEnv);
const cjs = (code, backendEnv) => node(['--input-type=commonjs', '-e', code], backendEnv);

const REPORT = `import * as c from 'wscodec/codec';
const d = []; const dec = new c.FrameDecoder({ role: 'client', onMessage: (m) => d.push(Buffer.from(m).toString()) });
dec.push(Uint8Array.of(0x81, 0x02, 0x68, 0x69));
console.log(JSON.stringify({ backend: c.backend, available: c.availableBackends(), got: d }));`;

function parseLast(stdout) {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describe('backend selection', () => {
  test('in-process: backend is one of availableBackends(), which lists wasm and js', () => {
    const names = codec.availableBackends();
    assert.ok(names.includes('wasm'), `available: ${names}`);
    assert.ok(names.includes('js'), `available: ${names}`);
    assert.ok(names.includes(codec.backend), `backend ${codec.backend} not in ${names}`);
    for (const n of names) assert.equal(codec.getBackend(n).name, n);
  });

  test('no WSCODEC_BACKEND: the best available backend is chosen (native > wasm > js)', () => {
    const r = esm(REPORT);
    assert.equal(r.status, 0, r.stderr);
    const out = parseLast(r.stdout);
    const expected = out.available.includes('native') ? 'native' : 'wasm';
    assert.equal(out.backend, expected);
    assert.deepEqual(out.got, ['hi']);
  });

  for (const name of ['js', 'wasm']) {
    test(`WSCODEC_BACKEND=${name} is honoured`, () => {
      const r = esm(REPORT, name);
      assert.equal(r.status, 0, r.stderr);
      const out = parseLast(r.stdout);
      assert.equal(out.backend, name);
      assert.deepEqual(out.got, ['hi'], 'the forced backend decodes');
    });
  }

  test('WSCODEC_BACKEND=native: works if the addon is built, else fails at import naming it', () => {
    const probe = esm(REPORT);
    assert.equal(probe.status, 0, probe.stderr);
    const hasNative = parseLast(probe.stdout).available.includes('native');
    const r = esm(REPORT, 'native');
    if (hasNative) {
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseLast(r.stdout).backend, 'native');
    } else {
      assert.notEqual(r.status, 0, 'import must fail when native is forced but unavailable');
      assert.equal(r.stdout.trim(), '', 'nothing ran after the failed import');
      assert.match(r.stderr, /native/i, `stderr should name the backend: ${r.stderr}`);
    }
  });

  test('a bogus WSCODEC_BACKEND fails at import with a message naming it', () => {
    const r = esm(REPORT, 'bogus-backend-xyz');
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout.trim(), '');
    assert.match(r.stderr, /bogus-backend-xyz/, `stderr should name the value: ${r.stderr}`);
  });

  test('a bogus WSCODEC_BACKEND also fails for require() of the CommonJS entry', () => {
    const r = cjs(`require('wscodec/codec'); console.log('loaded');`, 'bogus-backend-xyz');
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stdout, /loaded/);
    assert.match(r.stderr, /bogus-backend-xyz/);
  });
});

describe('CommonJS entry', () => {
  test("require('wscodec') exposes mask, unmask and FrameDecoder", () => {
    const r = cjs(`
      const w = require('wscodec');
      const out = {
        mask: typeof w.mask, unmask: typeof w.unmask, FrameDecoder: typeof w.FrameDecoder,
      };
      const src = Buffer.from([1, 2, 3, 4, 5]); const key = Buffer.from([0xff, 0, 0xff, 0]); const dst = Buffer.alloc(6);
      w.mask(src, key, dst, 1, 5); out.masked = dst.toString('hex');
      const b = Buffer.from([1, 2, 3, 4, 5]); w.unmask(b, key); out.unmasked = b.toString('hex');
      const got = []; const dec = new w.FrameDecoder({ role: 'client', onMessage: (m, bin) => got.push([Buffer.from(m).toString(), bin]) });
      dec.push(Uint8Array.of(0x82, 0x03, 0x61, 0x62, 0x63)); out.got = got;
      console.log(JSON.stringify(out));`);
    assert.equal(r.status, 0, r.stderr);
    const out = parseLast(r.stdout);
    assert.deepEqual(out, {
      mask: 'function',
      unmask: 'function',
      FrameDecoder: 'function',
      masked: '00fe02fc04fa',
      unmasked: 'fe02fc04fa',
      got: [['abc', true]],
    });
  });

  test("require('wscodec/codec') works and honours WSCODEC_BACKEND", () => {
    for (const name of ['js', 'wasm']) {
      const r = cjs(
        `const c = require('wscodec/codec'); console.log(JSON.stringify({ backend: c.backend, enc: typeof c.encodeFrame }));`,
        name,
      );
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(parseLast(r.stdout), { backend: name, enc: 'function' });
    }
  });

  test('CommonJS and ESM entries agree on the default backend', () => {
    const a = cjs(`console.log(JSON.stringify(require('wscodec/codec').backend))`);
    const b = esm(`import { backend } from 'wscodec/codec'; console.log(JSON.stringify(backend))`);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(parseLast(a.stdout), parseLast(b.stdout));
  });
});
