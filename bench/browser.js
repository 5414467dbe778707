#!/usr/bin/env node
// npm run bench:browser: decode throughput of the browser build (dist/codec/index.js,
// loaded by a plain module script, wasm via init()) in headless Chromium, wasm vs js
// backend in the same page run. Masked client frames packed back to back, pushed as
// ~256 KiB reads; like bench/decode.js each read is restored from a pristine copy before
// its push (the decoder unmasks in place), a memcpy both backends pay. Each repetition
// times both backends (alternating which goes first); the table shows medians.
// stdout: the markdown report; progress on stderr; writes bench/results/browser.md.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { numberOrNull, parseSize, readFlags } from './args.js';
import { ROOT } from './codec.js';
import { sizeLabel } from './frames.js';
import { fmtRatio, fmtSI, table } from './report.js';
import { median } from './stats.js';
import { startStaticServer } from '../test/web/static-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SIZES = [16, 125, 1024, 64 * 1024];
/** The one size sent as text (UTF-8 validated), as in bench/frames.js; the others are binary. */
const TEXT_SIZE = 125;
const BACKENDS = ['wasm', 'js'];

const HELP = `usage: node bench/browser.js [options]

  --smoke          tiny streams and time budget, 1 repetition (only checks that it runs)
  --reps N         repetitions per size (median reported); default 5
  --time MS        timed milliseconds per backend per repetition; default 300
  --sizes 16,1k    frame payload sizes (also 64k); default 16,125,1k,64k
  --out DIR        where to write browser.md (default bench/results)
  --help`;

function parseArgs(argv) {
  const v = readFlags(
    argv,
    {
      smoke: { type: 'boolean', default: false },
      reps: { type: 'string' },
      time: { type: 'string' },
      sizes: { type: 'string' },
      out: { type: 'string' },
    },
    HELP,
  );
  return {
    smoke: v.smoke,
    reps: numberOrNull(v.reps),
    time: numberOrNull(v.time),
    sizes: v.sizes?.split(',').map(parseSize) ?? null,
    out: v.out ?? null,
    help: v.help,
  };
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wscodec browser bench</title>
<script type="module">
  import * as codec from '/dist/codec/index.js';
  window.bench = { codec };
  try {
    await codec.init();
  } catch (err) {
    window.bench.initError = String(err && err.stack || err);
  }
  window.bench.backends = codec.availableBackends();
  window.bench.ready = true;
</script>
`;

/**
 * Runs in the page (serialized by playwright: no outer variables). One size, every
 * backend, `reps` repetitions. Frames are built here, independently of the codec.
 */
async function benchInPage({ size, text, backends, reps, timeMs, cycleBytes, readSize }) {
  const { codec } = window.bench;
  // Deterministic masked frames back to back, ending on a frame boundary.
  let seed = 0x9e3779b9 ^ size;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
  };
  const headerLength = (size <= 125 ? 2 : size <= 0xffff ? 4 : 10) + 4;
  const frameLength = headerLength + size;
  const frames = Math.max(1, Math.ceil(cycleBytes / frameLength));
  const stream = new Uint8Array(frames * frameLength);
  const payload = new Uint8Array(size);
  for (let f = 0, o = 0; f < frames; f++, o += frameLength) {
    for (let i = 0; i < size; i++) payload[i] = text ? 0x20 + (rnd() % 95) : rnd() & 0xff;
    stream[o] = 0x80 | (text ? 1 : 2);
    let h = o + 1;
    if (size <= 125) stream[h++] = 0x80 | size;
    else if (size <= 0xffff) {
      stream[h++] = 0x80 | 126;
      stream[h++] = size >>> 8;
      stream[h++] = size & 0xff;
    } else {
      stream[h++] = 0x80 | 127;
      h += 4;
      stream[h++] = size >>> 24;
      stream[h++] = (size >>> 16) & 0xff;
      stream[h++] = (size >>> 8) & 0xff;
      stream[h++] = size & 0xff;
    }
    const key = [(rnd() & 0xff) | 1, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff];
    for (let i = 0; i < 4; i++) stream[h++] = key[i];
    for (let i = 0; i < size; i++) stream[h + i] = payload[i] ^ key[i & 3];
  }
  const pristine = [];
  for (let o = 0; o < stream.length; o += readSize) pristine.push(stream.slice(o, o + readSize));
  const reads = pristine.map((r) => r.slice());

  function decoderFor(name, counter) {
    return new codec.FrameDecoder(
      { role: 'server', backend: codec.getBackend(name) },
      {
        onMessage(data) {
          counter.messages++;
          counter.bytes += data.length;
        },
        onError(err) {
          counter.errors.push(`${err.code}: ${err.message}`);
        },
      },
    );
  }
  function cycle(dec) {
    for (let r = 0; r < reads.length; r++) {
      reads[r].set(pristine[r]);
      dec.push(reads[r]);
    }
  }

  // Correctness outside the clock: every frame arrives, whole, no error.
  for (const name of backends) {
    const c = { messages: 0, bytes: 0, errors: [] };
    const dec = decoderFor(name, c);
    cycle(dec);
    cycle(dec);
    if (c.errors.length || c.messages !== 2 * frames || c.bytes !== 2 * frames * size) {
      throw new Error(`${name} at ${size} B: ${c.messages}/${2 * frames} messages, ${c.bytes} bytes, errors ${c.errors.join('; ')}`);
    }
  }

  const results = Object.fromEntries(backends.map((n) => [n, []]));
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 ? [...backends].reverse() : backends;
    for (const name of order) {
      const c = { messages: 0, bytes: 0, errors: [] };
      const dec = decoderFor(name, c);
      cycle(dec); // warm-up
      c.messages = 0;
      let cycles = 0;
      const t0 = performance.now();
      let elapsed;
      do {
        cycle(dec);
        cycles++;
        elapsed = performance.now() - t0;
      } while (elapsed < timeMs);
      if (c.errors.length || c.messages !== cycles * frames)
        throw new Error(`${name} at ${size} B failed while timed: ${c.errors.join('; ')}`);
      results[name].push({ seconds: elapsed / 1000, wireBytes: cycles * stream.length, messages: c.messages });
      // Let the page breathe (GC, timers) between runs.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return { frames, frameLength, streamBytes: stream.length, reads: reads.length, results };
}

const fmtMB = (x) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 }) : '—');

/** Per backend: median MB/s (wire bytes, 10⁶) and msg/s; the wasm/js ratio of the medians and its per-repetition range. */
export function summarize(c) {
  const perBackend = {};
  for (const name of BACKENDS) {
    const runs = c.results[name];
    perBackend[name] = {
      mbps: median(runs.map((r) => r.wireBytes / r.seconds / 1e6)),
      msgps: median(runs.map((r) => r.messages / r.seconds)),
    };
  }
  const ratios = c.results.wasm.map((r, i) => r.wireBytes / r.seconds / (c.results.js[i].wireBytes / c.results.js[i].seconds));
  return { ...perBackend, ratio: perBackend.wasm.mbps / perBackend.js.mbps, low: Math.min(...ratios), high: Math.max(...ratios) };
}

function report({ env, opts, cases }) {
  const headers = ['frames', 'wasm MB/s', 'wasm msg/s', 'js MB/s', 'js msg/s', 'wasm/js', 'wasm/js range'];
  const rows = cases.map((c) => {
    const s = summarize(c);
    return [
      `${sizeLabel(c.size)} ${c.text ? 'text' : 'binary'}`,
      fmtMB(s.wasm.mbps),
      fmtSI(s.wasm.msgps),
      fmtMB(s.js.mbps),
      fmtSI(s.js.msgps),
      fmtRatio(s.ratio),
      c.results.wasm.length > 1 ? `${fmtRatio(s.low)}–${fmtRatio(s.high)}` : '—',
    ];
  });
  return [
    '# wscodec browser decode benchmark',
    '',
    `- Date: ${env.date}`,
    `- Chromium ${env.chromium} (headless, ${CHROMIUM}), driven from Node ${env.node}, ${env.platform}`,
    `- CPU: ${env.cpu} × ${env.cpuCount} (load average at start: ${env.loadavg.join(' / ')})`,
    `- wscodec ${env.version}: dist/codec/index.js via a plain \`<script type="module">\`, wasm from \`init()\` (${env.wasmFile}); page backends: ${env.backends.join(', ')}`,
    `- ${opts.reps} repetition(s) × ${opts.time} ms per backend per size; medians${opts.smoke ? ' (**smoke run: not meaningful numbers**)' : ''}`,
    '',
    'Masked client→server frames back to back (what a server decodes), pushed as',
    `${sizeLabel(opts.readSize)} reads, each restored from a pristine copy before its push (a memcpy`,
    'both backends pay, as in bench/decode.js). MB/s counts wire bytes (headers included),',
    'MB = 10⁶ bytes. "wasm/js range" is the lowest–highest per-repetition ratio.',
    '',
    table(headers, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
  ].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  const log = (line) => process.stderr.write(`${line}\n`);
  const settings = {
    smoke: opts.smoke,
    reps: opts.reps ?? (opts.smoke ? 1 : 5),
    time: opts.time ?? (opts.smoke ? 10 : 300),
    sizes: opts.sizes ?? SIZES,
    readSize: opts.smoke ? 16 * 1024 : 256 * 1024,
    cycleBytes: opts.smoke ? 64 * 1024 : 1024 * 1024,
  };
  const outDir = path.resolve(opts.out ?? path.join(ROOT, 'bench', 'results'));
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} does not exist; scripts/ensure-system-deps.sh installs it`);
  if (!existsSync(path.join(ROOT, 'dist', 'codec', 'index.js'))) throw new Error('dist/codec/index.js is missing: run npm run build');

  const cpus = os.cpus();
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cpuCount: cpus.length,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    version: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
  };
  if (env.loadavg[0] > env.cpuCount / 2) {
    log(`note: load average ${env.loadavg[0]} on ${env.cpuCount} CPUs: something else is running, expect noisy numbers`);
  }

  const server = await startStaticServer({ pages: { '/bench.html': PAGE } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  const cases = [];
  try {
    const page = await (await browser.newContext()).newPage();
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.setDefaultTimeout(120_000);
    await page.goto(`${server.url}/bench.html`);
    await page.waitForFunction(() => window.bench?.ready === true, null, { timeout: 30_000 });
    const state = await page.evaluate(() => ({ initError: window.bench.initError, backends: window.bench.backends }));
    if (state.initError || pageErrors.length) throw new Error(`the page failed: ${state.initError ?? ''} ${pageErrors.join('; ')}`);
    for (const name of BACKENDS) if (!state.backends.includes(name)) throw new Error(`no ${name} backend in the page (${state.backends})`);
    env.chromium = browser.version();
    env.backends = state.backends;
    env.wasmFile = server.requests.find((r) => r.path.endsWith('.wasm'))?.path ?? '?';
    log(`chromium ${env.chromium}; page backends ${state.backends.join(', ')}; wasm ${env.wasmFile}`);

    for (const size of settings.sizes) {
      const text = size === TEXT_SIZE;
      const started = Date.now();
      const r = await page.evaluate(benchInPage, {
        size,
        text,
        backends: BACKENDS,
        reps: settings.reps,
        timeMs: settings.time,
        cycleBytes: settings.cycleBytes,
        readSize: settings.readSize,
      });
      cases.push({ size, text, ...r });
      log(`${sizeLabel(size)}: ${r.frames} frames per cycle in ${r.reads} reads, ${Date.now() - started} ms`);
    }
  } finally {
    await browser.close();
    await server.close();
  }

  const md = report({ env, opts: settings, cases });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'browser.md'), md);
  process.stdout.write(md);
  log(`wrote ${path.join(outDir, 'browser.md')}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  },
);
