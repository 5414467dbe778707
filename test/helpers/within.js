// A bounded wait, for tests: no import of the package, so a test may load this before it
// sets what the package reads at load (WSCODEC_TRANSPORT, WSCODEC_BACKEND).

/**
 * `promise`, or a rejection naming `what` after `ms`.
 * @template T
 * @param {Promise<T>} promise
 * @param {string} what
 * @returns {Promise<T>}
 */
export async function within(promise, what, ms = 5000) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
