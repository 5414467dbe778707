// The codec and the byte-stream client inside workerd, Cloudflare's runtime, run by
// miniflare (which ships the real workerd binary). The Worker (test/web/workerd/worker.js)
// imports dist/ as ES modules and the wasm as CompiledWasm modules, the way a deployed
// Worker must: workerd forbids compiling wasm from bytes.
//  1. The shared vectors (test/web/vectors.js) on workerd's js, wasm-simd and wasm-scalar
//     backends give exactly what they give in Node on every Node backend.
//  2. Our WebSocket over connect() from 'cloudflare:sockets' talks to `wscodec echo`
//     (a child process on 127.0.0.1, plain and --deflate): text, binary, a 70 kB binary,
//     close with a code. workerd allows loopback connect() here, so no stream-pair fallback.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { Miniflare } from 'miniflare';
import * as codec from '../../dist/codec-node.js';
import { codecVectors, runVector, encodeVectors } from './vectors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./workerd/worker.js', import.meta.url));
const STEP_MS = 20_000;

/** Rejects after `ms` with `what` in the message, so a hang names itself. */
function within(ms, what, promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Starts `wscodec echo` on an ephemeral port; resolves once it printed its URL. */
async function startEchoProcess(args = []) {
  const child = spawn(process.execPath, ['bin/wscodec.js', 'echo', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await within(
    10_000,
    'wscodec echo startup',
    new Promise((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      const onData = (chunk) => {
        out += chunk;
        const m = /listening on ws:\/\/127\.0\.0\.1:(\d+) /.exec(out);
        if (m) resolve(Number(m[1]));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`wscodec echo exited (${code}) before listening: ${out}`)));
      child.once('error', reject);
    }),
  );
  return {
    port,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await within(5_000, 'wscodec echo exit', once(child, 'exit'));
    },
  };
}

describe('workerd (miniflare)', () => {
  let mf;

  before(async () => {
    mf = new Miniflare({
      scriptPath: WORKER,
      modules: true,
      // Module names are paths relative to the repo root, so the Worker's relative
      // imports across test/, dist/ and build/ resolve as they do on disk.
      modulesRoot: ROOT,
      modulesRules: [
        { type: 'ESModule', include: ['**/*.js'] },
        { type: 'CompiledWasm', include: ['**/*.wasm'] },
      ],
      // connect() from 'cloudflare:sockets' needs no flag; a recent date gets the
      // standard streams behaviour.
      compatibilityDate: '2025-09-01',
    });
    await within(STEP_MS, 'miniflare startup', mf.ready);
  });
  after(async () => {
    await mf?.dispose();
  });

  async function get(path) {
    const res = await within(STEP_MS, `GET ${path}`, mf.dispatchFetch(`http://worker${path}`));
    const body = await res.json();
    assert.equal(res.status, 200, `the Worker failed: ${JSON.stringify(body)}`);
    return body;
  }

  it('runs the shared vectors on js, wasm-simd and wasm-scalar exactly as Node does on every backend', async () => {
    const got = await get('/vectors');
    assert.deepEqual(got.before, { backend: 'js', available: ['js'] }, 'js serves before init()');
    assert.deepEqual(got.after, { simd: 'wasm', scalar: 'wasm', backend: 'wasm', available: ['wasm', 'js'] });

    const vectors = codecVectors();
    assert.ok(vectors.length > 0, 'vectors.js gives vectors');
    const nodeBackends = codec.availableBackends();
    assert.ok(nodeBackends.includes('wasm') && nodeBackends.includes('js'), `Node has wasm and js (${nodeBackends})`);
    const reference = vectors.map((v) => ({ name: v.name, events: runVector(codec, v, codec.getBackend('js')) }));
    // Round-trip through JSON, as the Worker's results were.
    const json = (x) => JSON.parse(JSON.stringify(x));
    for (const name of nodeBackends) {
      const mine = vectors.map((v) => ({ name: v.name, events: runVector(codec, v, codec.getBackend(name)) }));
      assert.deepEqual(json(mine), json(reference), `Node ${name} agrees with Node js`);
    }
    assert.deepEqual(Object.keys(got.results).sort(), ['js', 'wasm-scalar', 'wasm-simd']);
    for (const [name, results] of Object.entries(got.results)) {
      assert.equal(results.length, vectors.length, `workerd ${name} ran every vector`);
      for (let i = 0; i < vectors.length; i++) {
        assert.deepEqual(results[i], json(reference[i]), `workerd ${name}, vector '${vectors[i].name}'`);
      }
    }
    assert.deepEqual(got.encoded, json(encodeVectors(codec)), 'encodeFrame gives the same bytes');
  });

  /** What the Worker saw, for a server that accepts permessage-deflate or not. */
  function expectedEvents(got, port, extensions) {
    return {
      backend: 'wasm',
      initial: { readyState: 0, binaryType: 'blob', url: `ws://127.0.0.1:${port}/echo` },
      events: [
        { type: 'open', readyState: 1, protocol: '', extensions },
        { type: 'message', kind: 'string', data: 'héllo wörld 🌍' },
        { type: 'message', kind: 'arraybuffer', hex: '000102feff' },
        { type: 'message', kind: 'arraybuffer', length: 70_000, fnv1a: got.expected.bigFnv1a },
        { type: 'after-close-call', readyState: 2 },
        { type: 'close', code: 4000, reason: 'done here', wasClean: true, readyState: 3 },
      ],
    };
  }

  for (const deflate of [false, true]) {
    describe(`WebSocket over connect() to wscodec echo${deflate ? ' --deflate' : ''} on 127.0.0.1`, () => {
      let echo;
      before(async () => {
        echo = await startEchoProcess(deflate ? ['--deflate'] : []);
      });
      after(async () => {
        await echo?.kill();
      });

      it(`sends text and binary, gets the echoes, closes with 4000${deflate ? ', all compressed' : ''}`, async () => {
        const got = await get(`/client?port=${echo.port}`);
        // workerd (as miniflare runs it) lets a Worker connect() to loopback; if that ever
        // changes, `opened` carries workerd's refusal and this says so first.
        assert.deepEqual(
          got.opened,
          { ok: true, info: { remoteAddress: `127.0.0.1:${echo.port}` } },
          `connect() to 127.0.0.1 failed: ${JSON.stringify(got.opened)}`,
        );
        assert.equal(got.timedOut, false, `no close event within 10 s: ${JSON.stringify(got.events)}`);
        assert.equal(got.expected.bigLength, 70_000);
        // The client offers permessage-deflate by default (workerd has CompressionStream('deflate-raw')).
        const extensions = deflate ? 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' : '';
        assert.deepEqual({ backend: got.backend, initial: got.initial, events: got.events }, expectedEvents(got, echo.port, extensions));
      });
    });
  }
});
