// Preloaded into a server under test (node --expose-gc --import gc-hook.js …): on SIGUSR2
// it runs a full garbage collection and prints one line with the memory figures, so a
// leak test can compare rounds without the noise of when V8 last collected.
// `gc <seq> rss=<bytes> heapUsed=<bytes> external=<bytes> arrayBuffers=<bytes>`

let seq = 0;
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc(); // a second pass for what the first one's finalizers let go
  const m = process.memoryUsage();
  console.log(`gc ${++seq} rss=${m.rss} heapUsed=${m.heapUsed} external=${m.external} arrayBuffers=${m.arrayBuffers}`);
});
