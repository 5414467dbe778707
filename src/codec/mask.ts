// bufferutil-compatible mask/unmask on the active backend. Below a backend's `maskFrom`
// (its measured crossover) the call and copies cost more than the XOR, so smaller
// inputs go to the JS word kernel, and the tiniest to a plain loop.

import { jsMask, jsUnmask } from '../backend/js.js';
import { activeBackend } from '../backend/select.js';

/** Below this a byte loop beats even setting up the word kernel (bench crossover: 16 B). */
const BYTE_LOOP_BELOW = 16;

export function mask(source: Uint8Array, maskKey: Uint8Array, output: Uint8Array, offset: number, length: number): void {
  if (length < BYTE_LOOP_BELOW) {
    for (let i = 0; i < length; i++) output[offset + i] = source[i] ^ maskKey[i & 3];
    return;
  }
  const b = activeBackend();
  if (length < b.maskFrom) jsMask(source, maskKey, output, offset, length);
  else b.mask(source, maskKey, output, offset, length);
}

export function unmask(buffer: Uint8Array, maskKey: Uint8Array): void {
  const length = buffer.length;
  if (length < BYTE_LOOP_BELOW) {
    for (let i = 0; i < length; i++) buffer[i] ^= maskKey[i & 3];
    return;
  }
  const b = activeBackend();
  if (length < b.maskFrom) jsUnmask(buffer, maskKey);
  else b.unmask(buffer, maskKey);
}
