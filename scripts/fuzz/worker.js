// The worker thread's entry (started by scripts/fuzz.js): the fuzz loop, so a hung decode blocks only this thread, not the watchdog.
import { workerData, parentPort } from 'node:worker_threads';
import * as codec from 'wscodec/codec'; // the built package (dist/); loads native and wasm first
import { buildCorpus } from './corpus.js';
import { runInput } from './differential.js';
import { MAX_FINDING_FILES, writeFinding } from './findings.js';
import { makeInput } from './input.js';

// ---- the worker: the fuzz loop ----------------------------------------------------------------------

function fuzzWorker({ seed, maxInputs, deadline, findingsDir, plant, state }) {
  const backends = codec.availableBackends().map((n) => codec.getBackend(n));
  const corpus = buildCorpus(seed);
  const stats = {
    inputs: 0,
    perBackend: Object.fromEntries(backends.map((b) => [b.name, 0])),
    signatures: new Set(),
    errorCodes: new Set(),
    withMessage: 0,
    slowest: { ms: 0, input: -1, length: 0 },
    findings: 0,
    distinct: new Set(),
    files: [],
  };
  const snapshot = () => ({
    ...stats,
    signatures: stats.signatures.size,
    errorCodes: [...stats.errorCodes].sort(),
    distinct: stats.distinct.size,
    backends: backends.map((b) => b.name),
  });
  const mark = (r, b, c) => {
    Atomics.store(state, 2, r);
    Atomics.store(state, 3, b);
    Atomics.store(state, 4, c);
  };
  let lastReport = Date.now();
  for (let i = 0; i < maxInputs && Date.now() < deadline; i++) {
    const input = makeInput(corpus, seed, i);
    Atomics.store(state, 1, i);
    Atomics.add(state, 0, 1); // generation: odd while an input runs, so the watchdog can time it
    const t0 = performance.now();
    const { signatures, findings, messages } = runInput(input, backends, mark, plant);
    const ms = performance.now() - t0;
    Atomics.add(state, 0, 1);
    stats.withMessage += messages;
    if (ms > stats.slowest.ms) stats.slowest = { ms: Math.round(ms), input: i, length: input.bytes.length };
    stats.inputs++;
    for (const b of backends) stats.perBackend[b.name]++;
    for (const s of signatures) {
      stats.signatures.add(s);
      const outcome = s.split('|')[2];
      if (outcome.startsWith('WS_')) stats.errorCodes.add(outcome);
    }
    if (findings.length) {
      stats.findings++;
      for (const f of findings) {
        // One file per kind of difference, not per input: a systematic bug repeats endlessly.
        const key = `${f.kind}|${f.role}|${f.where}|${f.problem ?? ''}`;
        if (stats.distinct.has(key)) continue;
        stats.distinct.add(key);
        if (stats.files.length < MAX_FINDING_FILES) stats.files.push(writeFinding(findingsDir, stats.files.length + 1, seed, input, f));
      }
    }
    if (Date.now() - lastReport >= 1000) {
      parentPort.postMessage({ type: 'stats', stats: snapshot() });
      lastReport = Date.now();
    }
  }
  parentPort.postMessage({ type: 'done', stats: snapshot() });
}

fuzzWorker(workerData);
