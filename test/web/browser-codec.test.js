// The runtime-agnostic codec in a real browser: Debian's /usr/bin/chromium, headless,
// driven by playwright-core. A plain <script type="module"> (no bundler, no import map)
// imports dist/codec/index.js from a static server, awaits init() (default URL: the
// built wasm next to the package) and runs the shared vectors (test/web/vectors.js) on
// the wasm and js backends; Node runs the same vectors on each of its backends and
// every result must be identical. A byte stream captured from our Node server is
// decoded on both sides too. Also checks the package.json exports map.
// A missing chromium fails (scripts/ensure-system-deps.sh installs it in pretest);
// only WSCODEC_SKIP_BROWSER=1 turns the browser part into a skip.
import { describe, it, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import * as codec from 'wscodec/codec';
import { WebSocketServer } from '../../dist/index.js';
import { startStaticServer, REPO_ROOT } from './static-server.js';
import { codecVectors, encodeVectors, eventsMatchExpected, runVector, toHex, digest } from './vectors.js';

const CHROMIUM = '/usr/bin/chromium';
// As in test/interop/browser.test.js: playwright makes (and deletes) its own profile dir.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const STEP_MS = 60_000;

// ---------------------------------------------------------------------------------
// package.json exports: what each kind of consumer resolves `wscodec/codec` to.

/** Node's exports-condition matching: object keys in order, the first matching condition wins. */
function resolveTarget(target, conditions) {
  if (typeof target === 'string' || target === null) return target;
  for (const [key, value] of Object.entries(target)) {
    if (key === 'default' || conditions.includes(key)) {
      const found = resolveTarget(value, conditions);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

test('package.json exports: browsers and workers get dist/codec, Node its own build, wasm is importable', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const codecMap = pkg.exports['./codec'];
  /** @type {[string[], string][]} */
  const cases = [
    [['browser', 'import'], './dist/codec/index.js'],
    [['browser', 'module', 'import', 'default'], './dist/codec/index.js'],
    [['workerd', 'worker', 'browser', 'import'], './dist/codec/index.js'],
    [['worker', 'import'], './dist/codec/index.js'],
    [['deno', 'import'], './dist/codec/index.js'],
    [['import'], './dist/codec/index.js'],
    [['node', 'import'], './dist/codec-node.js'],
    [['node', 'require'], './dist/codec-node.cjs'],
    [['types', 'import'], './dist/codec/index.d.ts'],
  ];
  for (const [conditions, want] of cases) {
    assert.equal(resolveTarget(codecMap, conditions), want, `wscodec/codec with conditions ${conditions.join(', ')}`);
  }
  assert.deepEqual(pkg.exports['./web'], { types: './dist/web/index.d.ts', default: './dist/web/index.js' });
  assert.equal(pkg.exports['./wasm/simd'], './build/wscodec.simd.wasm');
  assert.equal(pkg.exports['./wasm/scalar'], './build/wscodec.wasm');

  // Node itself, through the package's self-reference.
  assert.equal(import.meta.resolve('wscodec/codec'), new URL('dist/codec-node.js', `file://${REPO_ROOT}/`).href);
  assert.equal(import.meta.resolve('wscodec/wasm/simd'), new URL('build/wscodec.simd.wasm', `file://${REPO_ROOT}/`).href);
  assert.equal(import.meta.resolve('wscodec/wasm/scalar'), new URL('build/wscodec.wasm', `file://${REPO_ROOT}/`).href);

  // Every target exists after a build and is published ("files").
  const targets = [
    codecMap.default,
    codecMap.types,
    codecMap.node.import,
    codecMap.node.require,
    pkg.exports['./wasm/simd'],
    pkg.exports['./wasm/scalar'],
  ];
  if (existsSync(path.join(REPO_ROOT, 'src', 'web', 'index.ts'))) targets.push(pkg.exports['./web'].default, pkg.exports['./web'].types);
  else t.diagnostic('src/web/index.ts does not exist yet: ./web targets not checked on disk');
  for (const target of targets) {
    assert.ok(existsSync(path.join(REPO_ROOT, target)), `${target} exists (run npm run build)`);
    const top = target.replace(/^\.\//, '');
    assert.ok(
      pkg.files.some((f) => top === f || top.startsWith(`${f}/`)),
      `${target} is covered by "files"`,
    );
  }
});

// ---------------------------------------------------------------------------------
// A short scripted session from our Node server, captured as the bytes a client receives.

const CAPTURED_BINARY = new Uint8Array(70000).map((_, i) => (i * 31 + (i >> 8)) & 0xff);

async function captureServerSession() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    ws.send('hello ☃');
    ws.send(CAPTURED_BINARY);
    ws.ping('hb');
    ws.send('frag-', { fin: false });
    ws.send('ment', { fin: true });
    ws.send(new Uint8Array(0), { binary: true });
    ws.close(1000, 'done ✓');
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('capturing the session timed out'));
      }, 10_000);
      const socket = net.connect(port, '127.0.0.1');
      const received = [];
      let head = Buffer.alloc(0);
      let upgraded = false;
      // Our own reading of the stream, only to answer the close handshake.
      const watcher = new codec.FrameDecoder(
        { role: 'client', backend: codec.getBackend('js') },
        {
          onClose() {
            const [frame] = codec.encodeFrame(codec.Opcode.Close, codec.encodeClosePayload(1000), { mask: Uint8Array.of(9, 8, 7, 6) });
            socket.end(frame);
          },
          onError(err) {
            reject(err);
          },
        },
      );
      const take = (chunk) => {
        received.push(Uint8Array.from(chunk));
        watcher.push(Uint8Array.from(chunk));
      };
      socket.on('connect', () =>
        socket.write(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
      );
      socket.on('data', (data) => {
        if (upgraded) return take(data);
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.subarray(0, end).toString('latin1');
        if (!status.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${status}`));
        upgraded = true;
        if (head.length > end + 4) take(head.subarray(end + 4));
      });
      socket.on('error', reject);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(received);
      });
    });
  } finally {
    await new Promise((resolve) => wss.close(() => resolve()));
  }
}

const msg = (payload, binary) => ({ type: 'message', binary, compressed: false, length: payload.length, digest: digest(payload) });
const utf8 = (s) => new TextEncoder().encode(s);
const CAPTURED_EXPECTED = [
  msg(utf8('hello ☃'), false),
  msg(CAPTURED_BINARY, true),
  { type: 'ping', hex: toHex(utf8('hb')) },
  msg(utf8('frag-ment'), false),
  msg(new Uint8Array(0), true),
  { type: 'close', code: 1000, reason: 'done ✓' },
];

/** The captured stream as vectors: as the TCP reads came, whole, and 1 byte at a time. */
function capturedVectors(reads) {
  const all = new Uint8Array(reads.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of reads) {
    all.set(c, o);
    o += c.length;
  }
  const ones = [];
  for (let i = 0; i < all.length; i++) ones.push(all.subarray(i, i + 1));
  return [
    { name: 'captured/as-read', chunks: reads },
    { name: 'captured/whole', chunks: [all] },
    {
      name: 'captured/1000-byte-pieces',
      chunks: Array.from({ length: Math.ceil(all.length / 1000) }, (_, i) => all.subarray(i * 1000, i * 1000 + 1000)),
    },
    { name: 'captured/bytewise-head', chunks: [...ones.slice(0, 64), all.subarray(64)] },
  ].map((v) => ({ ...v, role: 'client', options: {}, expected: CAPTURED_EXPECTED }));
}

// ---------------------------------------------------------------------------------
// The page: a plain module script, no bundler.

const PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wscodec codec in the browser</title>
<script type="module">
  import { init, FrameDecoder, encodeFrame, availableBackends, getBackend } from '/dist/codec/index.js';
  import * as codec from '/dist/codec/index.js';
  import { codecVectors, runVector, encodeVectors } from '/test/web/vectors.js';
  const state = { before: availableBackends(), backendBefore: codec.backend };
  window.wscodecPage = { codec, codecVectors, runVector, encodeVectors, state };
  try {
    state.initResult = await init();
  } catch (err) {
    state.initError = String(err && err.stack || err);
  }
  state.after = availableBackends();
  state.backendAfter = codec.backend;
  state.exportsSeen = [typeof init, typeof FrameDecoder, typeof encodeFrame, typeof availableBackends, typeof getBackend];
  state.ready = true;
</script>
`;

if (process.env.WSCODEC_SKIP_BROWSER === '1') {
  test('browser codec', { skip: 'WSCODEC_SKIP_BROWSER=1: a developer opted out (no Chromium here); CI never sets it' }, () => {});
} else if (!existsSync(CHROMIUM)) {
  test('browser codec prerequisites', () => {
    assert.fail(
      `${CHROMIUM} does not exist. Install the Debian packages with scripts/ensure-system-deps.sh ` +
        '(as root; npm test runs it in pretest), or set WSCODEC_SKIP_BROWSER=1 to skip on purpose.',
    );
  });
} else {
  describe('wscodec/codec in chromium (plain module script)', { timeout: 240_000 }, () => {
    let browser, server, page, context;
    const pageErrors = [];

    before(async () => {
      server = await startStaticServer({ pages: { '/codec.html': PAGE } });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
      context = await browser.newContext();
      page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
      });
      page.on('requestfailed', (r) => pageErrors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
      await page.goto(`${server.url}/codec.html`);
      await page
        .waitForFunction(() => window.wscodecPage?.state.ready === true, null, { timeout: 30_000 })
        .catch((err) => {
          throw new Error(`the page never got ready: ${err.message}\n${pageErrors.join('\n')}`);
        });
    });
    after(async () => {
      await context?.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    it('imports without a bundler; js serves before init(), wasm after; the wasm comes as application/wasm', async (t) => {
      t.diagnostic(`chromium ${browser.version()}`);
      const state = await page.evaluate(() => window.wscodecPage.state);
      assert.deepEqual(pageErrors, [], 'no page errors, console errors or failed requests');
      assert.equal(state.initError, undefined, `init() failed in the page: ${state.initError}`);
      assert.deepEqual(state.exportsSeen, ['function', 'function', 'function', 'function', 'function']);
      assert.deepEqual(state.before, ['js']);
      assert.equal(state.backendBefore, 'js');
      assert.ok(state.after.includes('wasm'), `after init: ${state.after}`);
      assert.ok(state.after.includes('js'));
      assert.ok(!state.after.includes('native'), 'no native backend in a browser');
      assert.equal(state.initResult, 'wasm');
      assert.equal(state.backendAfter, 'wasm');

      // What the page fetched: modules as JavaScript, the default wasm URL (resolved
      // against dist/backend/init.js) as application/wasm, nothing missing.
      const wasm = server.requests.filter((r) => r.path.endsWith('.wasm'));
      assert.equal(wasm.length, 1, `one wasm fetch: ${JSON.stringify(wasm)}`);
      assert.match(wasm[0].path, /^\/build\/wscodec(\.simd)?\.wasm$/);
      assert.equal(wasm[0].status, 200);
      assert.equal(wasm[0].type, 'application/wasm');
      t.diagnostic(`default wasm: ${wasm[0].path}`);
      for (const r of server.requests) assert.equal(r.status, 200, `${r.path} → ${r.status}`);
      assert.ok(server.requests.some((r) => r.path === '/dist/backend/init.js'));

      // instantiateStreaming (what init() tries first) accepts what the server sends.
      const streaming = await page.evaluate(async (url) => {
        const { instance } = await WebAssembly.instantiateStreaming(fetch(url), {});
        return Object.keys(instance.exports).length;
      }, wasm[0].path);
      assert.ok(streaming > 0);
    });

    it('every codec vector gives the same events in the page (wasm, js) as in Node (every backend)', async (t) => {
      const nodeBackends = codec.availableBackends();
      t.diagnostic(`node backends: ${nodeBackends.join(', ')}`);
      assert.ok(nodeBackends.includes('wasm') && nodeBackends.includes('js'));

      let started = Date.now();
      const inPage = await page.evaluate(() => {
        const { codec, codecVectors, runVector } = window.wscodecPage;
        const vectors = codecVectors();
        const out = { names: vectors.map((v) => v.name), results: {} };
        for (const name of /** @type {const} */ (['wasm', 'js'])) {
          const b = codec.getBackend(name);
          out.results[name] = vectors.map((v) => runVector(codec, v, b));
        }
        return out;
      });
      t.diagnostic(`page: ${inPage.names.length} vectors × 2 backends in ${Date.now() - started} ms`);

      started = Date.now();
      const vectors = codecVectors();
      assert.deepEqual(
        inPage.names,
        vectors.map((v) => v.name),
        'the page built the same vectors',
      );
      const inNode = {};
      for (const name of nodeBackends) inNode[name] = vectors.map((v) => runVector(codec, v, codec.getBackend(name)));
      t.diagnostic(`node: ${vectors.length} vectors × ${nodeBackends.length} backends in ${Date.now() - started} ms`);

      // The reference: Node's js backend, itself checked against the vectors' expectations.
      const reference = inNode.js;
      vectors.forEach((v, i) => assert.equal(eventsMatchExpected(reference[i], v.expected), null, `${v.name} (node js)`));
      const runs = [
        ...nodeBackends.map((n) => [`node ${n}`, inNode[n]]),
        ['chromium wasm', inPage.results.wasm],
        ['chromium js', inPage.results.js],
      ];
      for (const [label, results] of runs) {
        vectors.forEach((v, i) => assert.deepEqual(results[i], reference[i], `${v.name}: ${label} differs from node js`));
      }
    });

    it('encodeFrame gives the same bytes in the page as in Node', async () => {
      const inPage = await page.evaluate(() => window.wscodecPage.encodeVectors(window.wscodecPage.codec));
      const inNode = encodeVectors(codec);
      assert.ok(inNode.length > 20);
      assert.ok(
        inNode.every((r) => !r.inputChanged),
        'encodeFrame left its inputs alone',
      );
      assert.equal(inNode.filter((r) => r.error).length, 4, 'the refused inputs are refused');
      assert.deepEqual(inPage, inNode);
    });

    it('a session captured from our Node server decodes the same in the page', async (t) => {
      const reads = await captureServerSession();
      const vectors = capturedVectors(reads);
      t.diagnostic(`captured ${reads.length} reads, ${vectors[1].chunks[0].length} bytes`);
      for (const v of vectors) {
        for (const name of codec.availableBackends()) {
          assert.deepEqual(runVector(codec, v, codec.getBackend(name)), CAPTURED_EXPECTED, `${v.name} in node (${name})`);
        }
      }
      const wire = vectors.map((v) => ({ name: v.name, chunks: v.chunks.map((c) => Buffer.from(c).toString('hex')) }));
      const inPage = await page.evaluate((wire) => {
        const { codec, runVector } = window.wscodecPage;
        const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
        return wire.map((w) => {
          const v = { name: w.name, role: 'client', options: {}, chunks: w.chunks.map(fromHex) };
          return { name: w.name, wasm: runVector(codec, v, codec.getBackend('wasm')), js: runVector(codec, v, codec.getBackend('js')) };
        });
      }, wire);
      assert.equal(inPage.length, vectors.length);
      for (const r of inPage) {
        assert.deepEqual(r.wasm, CAPTURED_EXPECTED, `${r.name} in chromium (wasm)`);
        assert.deepEqual(r.js, CAPTURED_EXPECTED, `${r.name} in chromium (js)`);
      }
    });

    // Last: it swaps the page's wasm backend for the scalar build.
    it('init() takes a URL string, a Response, bytes or a Module; the scalar kernels agree too', async () => {
      const reference = codecVectors({ large: false }).map((v) => runVector(codec, v, codec.getBackend('js')));
      const inPage = await page.evaluate(async () => {
        const { codec, codecVectors, runVector } = window.wscodecPage;
        const vectors = codecVectors({ large: false });
        const run = () => vectors.map((v) => runVector(codec, v, codec.getBackend('wasm')));
        const url = '/build/wscodec.wasm';
        const out = { kinds: {} };
        const bytes = await (await fetch(url)).arrayBuffer();
        const sources = {
          response: () => fetch(url),
          bytes: () => new Uint8Array(bytes),
          arrayBuffer: () => bytes.slice(0),
          module: () => WebAssembly.compile(bytes),
          url: () => new URL(url, location.href),
          string: () => url, // last: the scalar build stays loaded for the run below
        };
        for (const [kind, make] of Object.entries(sources)) {
          try {
            out.kinds[kind] = await codec.init(await make());
          } catch (err) {
            out.kinds[kind] = `threw: ${err}`;
          }
        }
        out.scalar = run();
        out.backends = codec.availableBackends();
        return out;
      });
      assert.deepEqual(inPage.kinds, { response: 'wasm', bytes: 'wasm', arrayBuffer: 'wasm', module: 'wasm', url: 'wasm', string: 'wasm' });
      assert.deepEqual(inPage.backends, ['wasm', 'js']);
      assert.equal(inPage.scalar.length, reference.length);
      inPage.scalar.forEach((events, i) => assert.deepEqual(events, reference[i], `vector #${i} on the scalar wasm in chromium`));
    });
  });
}
