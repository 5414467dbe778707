#!/usr/bin/env node
// npm run bench: decode suite + mask/unmask suite → stdout tables and bench/results/.
// Progress goes to stderr so stdout holds only the report.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HELP, parseArgs, timing } from './args.js';
import { ratiosSvg } from './chart.js';
import { ROOT, describeCodecProblem, loadCodec } from './codec.js';
import { decodeContenders } from './contenders.js';
import { runDecode } from './decode.js';
import { environment } from './env.js';
import { DECODE_SIZES, sizeLabel } from './frames.js';
import { CROSSOVER_SIZES, MASK_SIZES, maskContenders, runMaskSuite, verifyMaskContenders } from './mask.js';
import { decodeMarkdown, maskMarkdown } from './report.js';
import { evaluateTargets } from './targets.js';
import { loadBufferutil, loadWsInstances } from './ws-instances.js';

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  const preset = timing(opts);
  const outDir = path.resolve(opts.out ?? path.join(ROOT, 'bench', 'results'));
  const started = Date.now();
  const problems = [];

  const bufferutil = loadBufferutil();
  const ws = loadWsInstances();
  log(`bufferutil: native addon ${bufferutil.addon}`);
  log(ws.summary);

  const codecLoad = await loadCodec(opts.codec);
  if (codecLoad.status === 'ok') {
    log(`wscodec: backends ${codecLoad.backends.join(', ')}; active ${codecLoad.active}`);
  } else {
    log(describeCodecProblem(codecLoad));
    if (codecLoad.status === 'error') problems.push(`wscodec failed to load: ${codecLoad.error?.message ?? codecLoad.error}`);
  }
  const codec = codecLoad.status === 'ok' ? codecLoad.codec : null;

  const env = environment({
    codecLoad,
    bufferutilAddon: bufferutil.addon,
    wsSummary: ws.summary,
    timing: { preset: opts.smoke ? 'smoke' : opts.quick ? 'quick' : 'full', ...preset },
  });
  if (env.loadavg[0] > env.cpuCount / 2) {
    log(`note: load average ${env.loadavg[0]} on ${env.cpuCount} CPUs: something else is running, expect noisy numbers`);
  }
  const keep = (c) => !opts.filter || opts.filter.test(c.name) || c.baseline;
  const json = { env, decode: null, targets: null, mask: null, crossover: null, maskFailures: null, problems };
  const stdout = [];

  if (opts.only !== 'mask') {
    const contenders = decodeContenders(ws, codec, codecLoad.backends).filter(keep);
    const sizes = opts.sizes ?? DECODE_SIZES;
    log(`\ndecode: ${contenders.length} contenders × ${sizes.length} sizes × ${preset.rounds} round(s), maxTime ${preset.decode.maxTime}s`);
    const cases = runDecode({ sizes, contenders, settings: preset.decode, rounds: preset.rounds, log });
    const evaluated = evaluateTargets(cases);
    for (const c of cases) {
      for (const r of c.results) if (!r.ok) problems.push(`decode ${c.label} ${r.name}: output check failed`);
    }
    const md = decodeMarkdown({ env, cases, evaluated, meta: { rounds: preset.rounds } });
    const svg = ratiosSvg(cases, evaluated, {
      subtitle: `Node ${env.node}, ${env.cpu} × ${env.cpuCount}; median of ${preset.rounds} round(s); masked client frames in ${sizeLabel(256 * 1024)} reads`,
    });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'decode.md'), md);
    writeFileSync(path.join(outDir, 'ratios.svg'), svg);
    json.decode = cases;
    json.targets = evaluated;
    stdout.push(md);
  }

  if (opts.only !== 'decode') {
    const contenders = maskContenders({ bufferutil, ws, codec, backends: codecLoad.backends }).filter(keep);
    const crossContenders = maskContenders({ bufferutil, ws, codec, backends: codecLoad.backends, crossover: true }).filter(keep);
    const failures = verifyMaskContenders(crossContenders);
    for (const f of failures) log(`  ✘ ${f}`);
    if (failures.length) problems.push(`${failures.length} mask/unmask correctness failures`);
    const sizes = opts.sizes ?? MASK_SIZES;
    log(
      `\nmask/unmask: ${contenders.length} contenders × ${sizes.length} sizes × 2 ops, then crossover at ${CROSSOVER_SIZES.join(', ')} B`,
    );
    const rows = runMaskSuite({ sizes, contenders, settings: preset.mask, log });
    const crossover = runMaskSuite({ sizes: CROSSOVER_SIZES, contenders: crossContenders, settings: preset.mask, log, title: 'crossover' });
    const md = maskMarkdown({ env, rows, crossover, failures, backends: codecLoad.backends });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'mask.md'), md);
    json.mask = rows;
    json.crossover = crossover;
    json.maskFailures = failures;
    stdout.push(md);
  }

  json.seconds = (Date.now() - started) / 1000;
  json.loadavgEnd = os.loadavg();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(json, null, 1)}\n`);

  console.log(stdout.join('\n'));
  if (codecLoad.status === 'error') console.log(describeCodecProblem(codecLoad));
  log(
    `\nwrote ${path.relative(process.cwd(), outDir) || '.'}/{${[json.decode && 'decode.md,ratios.svg', json.mask && 'mask.md', 'latest.json'].filter(Boolean).join(',')}} in ${json.seconds.toFixed(0)} s`,
  );
  if (problems.length) {
    log(`\n${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
