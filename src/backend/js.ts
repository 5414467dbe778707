// The pure-JS backend: kernels that work on the caller's array in place (no staging
// copy), word-at-a-time XOR and the shared UTF-8 DFA. Serves everywhere, and until a
// faster backend has loaded.

import { ENTRY_INTS, TABLE_CAPACITY } from './scan-contract.js';
import { scanJs, type WholeUtf8 } from './scan-js.js';
import type { Backend, Kernels } from './types.js';
import { UTF8_ACCEPT, utf8StepJs } from './utf8-dfa.js';
import { keyWord, xorInPlace } from './xor.js';

let platformUtf8: WholeUtf8 | undefined;

/** Lets a runtime offer a faster whole-buffer UTF-8 check (Node: buffer.isUtf8). */
export function setPlatformUtf8(check: WholeUtf8 | undefined): void {
  platformUtf8 = check;
}

/** Whole-buffer UTF-8 check (inflated messages): the platform's when offered, else the DFA. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return platformUtf8 !== undefined ? platformUtf8(bytes) : utf8StepJs(bytes, UTF8_ACCEPT, 0, bytes.length) === UTF8_ACCEPT;
}

const EMPTY = new Uint8Array(0);
const NO_TABLE = new Int32Array(0);

// Frame tables are shared by every JS and native decoder: a table is only read between
// stage() and release(), so one per nesting level suffices (a callback may push into
// another decoder while its caller's table is still being walked). A table per decoder
// would cost 48 KiB for each idle connection.
const tables: Int32Array[] = [];
let tableDepth = 0;

export class JsKernels implements Kernels {
  bytes: Uint8Array = EMPTY;
  readonly transient = false;
  table: Int32Array = NO_TABLE;
  consumed = 0;
  error = 0;
  partial = false;
  partialKey = 0;

  room(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  stage(source: Uint8Array, from: number): number {
    this.bytes = source;
    this.table = tables[tableDepth] ??= new Int32Array(TABLE_CAPACITY * ENTRY_INTS);
    tableDepth++;
    return from;
  }

  release(): void {
    this.bytes = EMPTY; // don't keep the caller's chunk alive
    this.table = NO_TABLE;
    tableDepth--;
  }

  scan(start: number, end: number, flags: number, maxPayload: number): number {
    return scanJs(this.bytes, start, end, flags, maxPayload, TABLE_CAPACITY, this, platformUtf8);
  }

  unmask(start: number, end: number, key: number): void {
    xorInPlace(this.bytes, start, end, key);
  }

  utf8(state: number, start: number, end: number): number {
    return utf8StepJs(this.bytes, state, start, end);
  }
}

export function jsMask(source: Uint8Array, maskKey: Uint8Array, output: Uint8Array, offset: number, length: number): void {
  // Copy then XOR in place: both run at full speed whatever the two arrays' alignments.
  if (length <= 0) return;
  output.set(length === source.length ? source : source.subarray(0, length), offset);
  xorInPlace(output, offset, offset + length, keyWord(maskKey));
}

export function jsUnmask(buffer: Uint8Array, maskKey: Uint8Array): void {
  xorInPlace(buffer, 0, buffer.length, keyWord(maskKey));
}

export const jsBackend: Backend = {
  name: 'js',
  maskFrom: 0,
  mask: jsMask,
  unmask: jsUnmask,
  kernels: () => new JsKernels(),
};
