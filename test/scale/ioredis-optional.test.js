// ioredis is an optional peer dependency: importing or requiring 'wscodec' and
// 'wscodec/topics' must not load it, and createRedisBackplane without it must say what to
// install. Each case
// runs in a child process. "ioredis is not installed" is played by a module resolve hook
// that resolves 'ioredis' from an empty directory, so Node itself reports it missing.
// No Redis server is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NEEDS_IOREDIS = "createRedisBackplane needs the 'ioredis' package: npm install ioredis";
// Port 1 on loopback: nothing listens there, so a connection attempt fails at once.
const NOWHERE = 'redis://127.0.0.1:1';

/** Runs `source` (ESM, or CommonJS with type: 'commonjs') in a child node in the repo root; resolves to its stdout. */
async function runChild(source, { type = 'module', hideIoredis = false } = {}) {
  const args = [];
  let empty;
  if (hideIoredis) {
    empty = mkdtempSync(path.join(tmpdir(), 'wscodec-no-ioredis-'));
    const from = JSON.stringify(pathToFileURL(path.join(empty, 'index.js')).href);
    const hooks = `export async function resolve(specifier, context, next) {
      if (specifier === 'ioredis' || specifier.startsWith('ioredis/')) return next(specifier, { ...context, parentURL: ${from} });
      return next(specifier, context);
    }`;
    const register = `import { register } from 'node:module';
      register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    args.push('--import', `data:text/javascript,${encodeURIComponent(register)}`);
  }
  args.push(`--input-type=${type}`, '-e', source);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 20_000 });
    return stdout;
  } finally {
    if (empty) rmSync(empty, { recursive: true, force: true });
  }
}

test('import wscodec/topics does not load ioredis; createRedisBackplane loads it on first use', async () => {
  const out = await runChild(`
    import { createRequire } from 'node:module';
    import { sep } from 'node:path';
    // ioredis is CommonJS: once anything imports it, its files are in require.cache.
    const ioredisLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(sep + 'ioredis' + sep));
    await import('wscodec');
    const { createRedisBackplane } = await import('wscodec/topics');
    console.log('after import: ' + ioredisLoaded());
    await createRedisBackplane(${JSON.stringify(NOWHERE)}).then((b) => b.close(), () => {});
    console.log('after createRedisBackplane: ' + ioredisLoaded());
  `);
  assert.match(out, /after import: false/);
  // The probe can fail: it does see ioredis once it has been used.
  assert.match(out, /after createRedisBackplane: true/);
});

test('without ioredis, import wscodec/topics works and createRedisBackplane says what to install', async () => {
  const out = await runChild(
    `
    const wscodec = await import('wscodec');
    const topics = await import('wscodec/topics');
    console.log('imported: ' + typeof wscodec.WebSocketServer + ' ' + typeof topics.createRedisBackplane);
    await topics.createRedisBackplane(${JSON.stringify(NOWHERE)}).then(
      () => console.log('resolved?'),
      (err) => console.log(JSON.stringify({ message: err.message, cause: err.cause?.code })),
    );
  `,
    { hideIoredis: true },
  );
  assert.match(out, /imported: function function/);
  const result = JSON.parse(out.trim().split('\n').at(-1));
  assert.deepEqual(result, { message: NEEDS_IOREDIS, cause: 'ERR_MODULE_NOT_FOUND' });
});

test('without ioredis, require wscodec/topics works and createRedisBackplane says what to install', async () => {
  const out = await runChild(
    `
    const wscodec = require('wscodec');
    const topics = require('wscodec/topics');
    console.log('required: ' + typeof wscodec.WebSocketServer + ' ' + typeof topics.createRedisBackplane);
    // require() of the ES module build may bypass the resolve hook: check the cache too.
    console.log('ioredis loaded: ' + Object.keys(require.cache).some((file) => file.includes(require('node:path').sep + 'ioredis' + require('node:path').sep)));
    topics.createRedisBackplane(${JSON.stringify(NOWHERE)}).then(
      () => console.log('resolved?'),
      (err) => console.log('rejected: ' + err.message),
    );
  `,
    { type: 'commonjs', hideIoredis: true },
  );
  assert.match(out, /required: function function/);
  assert.match(out, /ioredis loaded: false/);
  assert.match(out, new RegExp(`rejected: ${NEEDS_IOREDIS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});
