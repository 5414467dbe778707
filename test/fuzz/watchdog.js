// A hang detector for synchronous property runs. A run that never returns blocks the
// main thread, so nothing on it (fast-check, node:test timeouts) can report it, and
// `npm test` passes no --test-timeout. A worker thread therefore watches a heartbeat the
// main thread bumps around every run; when one run outlives its limit, the worker prints
// the run's description (written up front, since the blocked thread cannot write it
// later) and kills the process, which fails the test file loudly instead of hanging CI.
import { Worker } from 'node:worker_threads';

const NOTE_BYTES = 1 << 20;

// CommonJS: an eval'd worker is a script (given no --input-type flag, see below).
const WATCHER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { state, note, limitMs } = workerData;
let seen = -1;
let since = Date.now();
setInterval(() => {
  const generation = Atomics.load(state, 0);
  if (generation !== seen || Atomics.load(state, 1) === 0) { seen = generation; since = Date.now(); return; }
  if (Date.now() - since < limitMs) return;
  const text = Buffer.from(note.buffer, 0, Atomics.load(state, 2)).toString();
  fs.writeSync(2, '\\nWATCHDOG: one run took longer than ' + limitMs + ' ms (a hang?). Run:\\n' + text + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 100);
`;

/**
 * Starts a watcher; returns { run(describe, fn), stop() }. `describe()` must return a
 * string that reproduces the run (input hex, options, chunking, seed).
 */
export function watchdog(limitMs) {
  const state = new Int32Array(new SharedArrayBuffer(12)); // [generation, busy, note length]
  const note = Buffer.from(new SharedArrayBuffer(NOTE_BYTES));
  // execArgv: [] keeps flags such as --input-type=module from turning the CommonJS watcher into a module.
  const worker = new Worker(WATCHER, { eval: true, workerData: { state, note, limitMs }, execArgv: [] });
  worker.unref(); // never keeps a finished test file alive
  return {
    run(describe, fn) {
      const text = describe();
      Atomics.store(state, 2, note.write(text.length > NOTE_BYTES / 3 ? text.slice(0, NOTE_BYTES / 3) + '…' : text));
      Atomics.add(state, 0, 1);
      Atomics.store(state, 1, 1);
      try {
        return fn();
      } finally {
        Atomics.store(state, 1, 0);
        Atomics.add(state, 0, 1);
      }
    },
    stop: () => worker.terminate(),
  };
}
