// The native backend: node-addon-api kernels that work in place on the caller's memory
// (Node Buffers straight from the socket), so the decoder copies nothing at all. Small
// regions stay in JS: an N-API call costs about as much as XOR-ing 64 bytes in JS.

import { JsKernels } from './js.js';
import { RESULT_CONSUMED, RESULT_ERROR, RESULT_INTS, RESULT_PARTIAL, RESULT_PARTIAL_KEY } from './scan-contract.js';
import type { Backend } from './types.js';
import { UTF8_CLASSES, UTF8_TRANSITIONS } from './utf8-dfa.js';
import { keyWord } from './xor.js';

/** The addon's exports (bindings/addon.cc). */
export interface NativeAddon {
  scan(bytes: Uint8Array, start: number, end: number, flags: number, maxPayload: number, table: Int32Array, result: Int32Array): number;
  unmask(bytes: Uint8Array, start: number, end: number, keyWord: number): void;
  unmaskBuffer(buffer: Uint8Array, keyWord: number): void;
  mask(source: Uint8Array, keyWord: number, output: Uint8Array, offset: number, length: number): void;
  utf8(bytes: Uint8Array, state: number, start: number, end: number): number;
  setUtf8Tables(classes: Uint8Array, transitions: Uint8Array): void;
  readonly simdPath: string;
}

/** Below this a streaming piece is unmasked or validated in JS rather than across N-API. */
const NATIVE_FROM = 64;
/** Below this many bytes a whole region is scanned in JS (measured crossover, one or two frames). */
const NATIVE_SCAN_FROM = 256;

/** The scan's result block, read right after each call: one array serves every decoder. */
const result = new Int32Array(RESULT_INTS);

/** In place on the caller's array like the JS kernels, whose code serves small regions. */
class NativeKernels extends JsKernels {
  constructor(private readonly addon: NativeAddon) {
    super();
  }

  override scan(start: number, end: number, flags: number, maxPayload: number): number {
    // A read holding one small frame (an echo, a chat line) costs less in JS than the call.
    if (end - start < NATIVE_SCAN_FROM) return super.scan(start, end, flags, maxPayload);
    const count = this.addon.scan(this.bytes, start, end, flags, maxPayload, this.table, result);
    const r = result;
    this.consumed = r[RESULT_CONSUMED];
    this.error = r[RESULT_ERROR];
    this.partial = r[RESULT_PARTIAL] !== 0;
    this.partialKey = r[RESULT_PARTIAL_KEY];
    return count;
  }

  override unmask(start: number, end: number, key: number): void {
    if (end - start < NATIVE_FROM) super.unmask(start, end, key);
    else this.addon.unmask(this.bytes, start, end, key);
  }

  override utf8(state: number, start: number, end: number): number {
    return end - start < NATIVE_FROM ? super.utf8(state, start, end) : this.addon.utf8(this.bytes, state, start, end);
  }
}

export function createNativeBackend(addon: NativeAddon): Backend {
  addon.setUtf8Tables(UTF8_CLASSES, UTF8_TRANSITIONS);
  return {
    name: 'native',
    // The call costs about what the JS word loop needs for 32 bytes (bench crossover).
    maskFrom: 32,
    mask(source, maskKey, output, offset, length) {
      if (length > 0) addon.mask(source, keyWord(maskKey), output, offset, length);
    },
    unmask(buffer, maskKey) {
      if (buffer.length > 0) addon.unmaskBuffer(buffer, keyWord(maskKey));
    },
    kernels: () => new NativeKernels(addon),
  };
}
