// Client mask keys (RFC 6455 §10.3 wants them unpredictable): 4-byte slices of a pooled
// CSPRNG buffer, refilled with one getRandomValues call per 2048 keys.

const POOL_BYTES = 8192;
let pool = new Uint8Array(0);
let next = 0;

/** A fresh mask key. The view stays valid: a refill allocates a new pool. */
export function nextMaskKey(): Uint8Array {
  if (next + 4 > pool.length) {
    pool = new Uint8Array(POOL_BYTES);
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  const key = pool.subarray(next, next + 4);
  next += 4;
  return key;
}
