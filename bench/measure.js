// One timed case with benchmark.js, plus the small tricks that keep cases independent.

import v8 from 'node:v8';
import vm from 'node:vm';
import Benchmark from 'benchmark';

// A full GC before each case stops one case's garbage from being collected on the next
// case's clock. This makes gc() available without requiring `node --expose-gc`.
v8.setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? vm.runInNewContext('gc');

/**
 * Returns a copy of `factory` compiled from source, so that every contender's hot loop gets
 * its own inline caches. Closures created from one function literal share V8 feedback, so
 * without this the loop that calls contender B would already be polymorphic because of A.
 */
export function isolated(factory) {
  return new Function(`return (${factory.toString()});`)();
}

/**
 * Times `fn` (one op per call) and returns ops/s with benchmark.js's relative margin of
 * error. benchmark.js calls `fn` through `this.fn()` because it has no setup/teardown and
 * is not a string, so closures work and nothing is decompiled.
 */
export function measure(name, fn, { maxTime, minTime, minSamples }) {
  gc();
  const bench = new Benchmark(name, fn, { maxTime, minTime, minSamples, async: false });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return {
    hz: bench.hz,
    rme: bench.stats.rme,
    samples: bench.stats.sample.length,
    meanSeconds: bench.stats.mean,
    count: bench.count,
  };
}
