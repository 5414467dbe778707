// bufferutil-compatible mask/unmask on the active backend. Below JS_BELOW bytes a call
// into the backend (a copy into wasm memory, or an N-API call) costs more than the XOR,
// so tiny inputs stay in a plain loop here. The threshold is measured by npm run bench
// (its "crossover" table).

import { activeBackend } from '../backend/select.js';

const JS_BELOW = 64;

export function mask(source: Uint8Array, maskKey: Uint8Array, output: Uint8Array, offset: number, length: number): void {
  if (length < JS_BELOW) {
    for (let i = 0; i < length; i++) output[offset + i] = source[i] ^ maskKey[i & 3];
  } else {
    activeBackend().mask(source, maskKey, output, offset, length);
  }
}

export function unmask(buffer: Uint8Array, maskKey: Uint8Array): void {
  const length = buffer.length;
  if (length < JS_BELOW) {
    for (let i = 0; i < length; i++) buffer[i] ^= maskKey[i & 3];
  } else {
    activeBackend().unmask(buffer, maskKey);
  }
}
