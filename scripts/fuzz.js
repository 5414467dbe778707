#!/usr/bin/env node
// Mutation fuzzer for FrameDecoder: a differential check of every backend (native, wasm,
// js) and several chunkings of the same bytes, both roles, on mutated valid streams.
//
//   npm run fuzz -- [--minutes N | --seconds N] [--inputs N] [--seed S] [--findings-dir DIR]
//   npm run fuzz -- --replay fuzz/findings/<file>.json     (decode a finding again, print every result)
//
// Without --minutes/--seconds the run lasts 60 s; --inputs caps the count as well.
// Every input is derived from (seed, input index), so a finding reproduces exactly; each
// is written to fuzz/findings/<timestamp>-<n>.json with the input's hex, options, the
// chunkings ({ sizes of the pushes, shift: null, or chunks as views at odd offsets }), the
// seed and the event sequences that differ. Exit code 1 if anything was found.
//
// The fuzzing runs in a worker thread; the main thread is the watchdog. A decode that
// never returns blocks its thread, so only another thread can notice, report the input
// (regenerated from its index) and end the run.
//
// Test-only flags: --self-test-plant-bug (one backend misreports isBinary),
// --self-test-plant-hang (one decode spins forever), --hang-ms N (watchdog limit).
//
// The parts live in scripts/fuzz/: corpus.js, mutations.js, input.js, differential.js,
// findings.js and worker.js (the worker thread's entry); this file is the main thread.
import { Worker } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as codec from 'wscodec/codec'; // the built package (dist/); loads native and wasm first
import { ROLES, buildCorpus } from './fuzz/corpus.js';
import { replay, writeFinding } from './fuzz/findings.js';
import { makeInput } from './fuzz/input.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---- the main thread: arguments, watchdog, progress, summary ----------------------------------------

function parseArgs(argv) {
  const o = {
    seconds: undefined,
    inputs: Infinity,
    seed: undefined,
    findingsDir: join(ROOT, 'fuzz', 'findings'),
    plantBug: false,
    plantHang: false,
    hangMs: 20_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--minutes') o.seconds = number() * 60;
    else if (a === '--seconds') o.seconds = number();
    else if (a === '--inputs') o.inputs = Math.floor(number());
    else if (a === '--seed') o.seed = number() >>> 0;
    else if (a === '--findings-dir') o.findingsDir = resolve(value());
    else if (a === '--hang-ms') o.hangMs = number();
    else if (a === '--replay') o.replay = value();
    else if (a === '--self-test-plant-bug') o.plantBug = true;
    else if (a === '--self-test-plant-hang') o.plantHang = true;
    else
      throw new Error(
        `unknown argument ${a}; usage: npm run fuzz -- [--minutes N | --seconds N] [--inputs N] [--seed S] [--findings-dir DIR] | --replay FILE`,
      );
  }
  o.seconds ??= 60;
  o.seed ??= (Math.random() * 2 ** 32) >>> 0;
  return o;
}

function summary(stats, elapsed, seed, hangs, hangMs) {
  const findings = stats.findings + hangs;
  const lines = [
    'fuzz summary',
    `  seed:               ${seed}`,
    `  inputs executed:    ${stats.inputs} in ${elapsed.toFixed(1)} s (${(stats.inputs / elapsed).toFixed(1)} inputs/s)`,
    `  inputs per backend: ${Object.entries(stats.perBackend)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} (each: ${ROLES.length} roles × every chunking)`,
    `  error codes seen:   ${stats.errorCodes.length} (${stats.errorCodes.join(', ')})`,
    `  signatures:         ${stats.signatures} distinct (role, event kinds, outcome); ${stats.withMessage} of ${stats.inputs * ROLES.length} role runs delivered a message`,
    `  slowest input:      #${stats.slowest?.input} (${stats.slowest?.length} bytes) took ${stats.slowest?.ms} ms; the watchdog allows ${hangMs} ms`,
    `  findings:           ${findings} inputs${hangs ? ` (incl. ${hangs} hang)` : ''}, ${stats.distinct + hangs} distinct, files: ${stats.files.length}`,
  ];
  for (const f of stats.files) lines.push(`    ${f}`);
  console.log(lines.join('\n'));
  console.log(
    `summary-json: ${JSON.stringify({ seed, inputs: stats.inputs, seconds: +elapsed.toFixed(2), perBackend: stats.perBackend, errorCodes: stats.errorCodes, signatures: stats.signatures, findings, files: stats.files })}`,
  );
  return findings;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  if (args.replay) replay(args.replay);
  const { seed } = args;
  const state = new Int32Array(new SharedArrayBuffer(20)); // [generation, input index, role, backend, chunking]
  const started = Date.now();
  console.log(
    `fuzz: seed ${seed}, up to ${args.seconds} s${Number.isFinite(args.inputs) ? `, up to ${args.inputs} inputs` : ''}, backends ${codec.availableBackends().join(', ')}; findings → ${args.findingsDir}`,
  );
  const worker = new Worker(fileURLToPath(new URL('./fuzz/worker.js', import.meta.url)), {
    workerData: {
      seed,
      maxInputs: args.inputs,
      deadline: started + args.seconds * 1000,
      findingsDir: args.findingsDir,
      plant: { bug: args.plantBug, hang: args.plantHang },
      state,
    },
  });
  let stats = { inputs: 0, perBackend: {}, signatures: 0, errorCodes: [], withMessage: 0, findings: 0, distinct: 0, files: [] };
  let seen = -1;
  let since = Date.now();
  let lastProgress = Date.now();
  const finish = (hangs) => {
    const found = summary(stats, (Date.now() - started) / 1000, seed, hangs, args.hangMs);
    process.exit(found > 0 ? 1 : 0);
  };
  const tick = setInterval(() => {
    const generation = Atomics.load(state, 0);
    if (generation !== seen || generation % 2 === 0) {
      seen = generation;
      since = Date.now();
    } else if (Date.now() - since > args.hangMs) {
      clearInterval(tick);
      // Rebuild the stuck input from its index: the worker cannot tell us anything now.
      const input = makeInput(buildCorpus(seed), seed, Atomics.load(state, 1));
      const backend = codec.availableBackends()[Atomics.load(state, 3)];
      const file = writeFinding(args.findingsDir, 'hang', seed, input, {
        kind: 'hang',
        role: ROLES[Atomics.load(state, 2)],
        where: `${backend} / chunking ${Atomics.load(state, 4)}`,
        problem: `no result after ${args.hangMs} ms`,
      });
      console.log(`fuzz: HANG on input #${input.index} (${backend}); reproducer: ${file}`);
      stats.files = [...stats.files, file];
      // terminate() stops JS and wasm; a loop inside native code would not stop, so do not wait long.
      Promise.race([worker.terminate(), new Promise((r) => setTimeout(r, 3000))]).then(() => finish(1));
      return;
    }
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      const t = (Date.now() - started) / 1000;
      console.log(
        `fuzz: ${t.toFixed(0)} s, ${stats.inputs} inputs (${(stats.inputs / t).toFixed(0)}/s), ${stats.signatures} signatures, ${stats.errorCodes.length} error codes, ${stats.findings} findings`,
      );
    }
  }, 200);
  worker.on('message', (m) => {
    stats = m.stats;
    if (m.type === 'done') {
      clearInterval(tick);
      finish(0);
    }
  });
  worker.on('error', (err) => {
    clearInterval(tick);
    console.error(`fuzz: the worker crashed: ${err?.stack ?? err}`);
    summary(stats, (Date.now() - started) / 1000, seed, 0, args.hangMs);
    process.exit(2);
  });
}

await main();
