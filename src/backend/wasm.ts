// The WebAssembly backend. Linear memory is sized once, before any view exists, and
// never grows (growing would detach every view). Layout above the module's heap base:
//
//   DFA tables | NESTING_SLOTS × (result block + frame table) | staging stack ... | resident region
//
// Socket bytes are copied once onto the staging stack; scan, unmask and UTF-8 then run
// where they lie. Staging is a stack, and each nesting level has its own table, because
// a decoder's callback may push into another decoder before the first has finished.
// A transport may read sockets straight into the resident region (residentBuffer): bytes
// already in linear memory are staged where they are, with no copy at all.

import { jsMask, JsKernels } from './js.js';
import {
  ENTRY_INTS,
  RESULT_CONSUMED,
  RESULT_ERROR,
  RESULT_INTS,
  RESULT_PARTIAL,
  RESULT_PARTIAL_KEY,
  TABLE_CAPACITY,
} from './scan-contract.js';
import type { Backend, Kernels } from './types.js';
import { UTF8_CLASSES, UTF8_TRANSITIONS } from './utf8-dfa.js';
import { keyWord } from './xor.js';

interface WasmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  setUtf8Tables(classes: number, transitions: number): void;
  scan(start: number, end: number, flags: number, maxPayload: number, table: number, capacity: number, result: number): number;
  unmaskRegion(start: number, end: number, key: number): void;
  utf8Step(state: number, start: number, end: number): number;
}

const MEMORY_BYTES = 8 << 20;
const NESTING_SLOTS = 4;
const RESULT_BYTES = RESULT_INTS * 4;
/** One staging window at most: big enough to batch a socket read, small enough to leave room for nesting. */
const WINDOW_MAX = 1 << 20;
/** Below this much free stack a nested push is better served by the JS kernels. */
const WINDOW_MIN = 4096;

const align = (n: number, to: number) => (n + to - 1) & -to;

interface Slot {
  tableAddr: number;
  resultAddr: number;
  table: Int32Array;
}

class WasmMemory {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  readonly slots: Slot[] = [];
  readonly stagingStart: number;
  top: number;
  /** Where the staging stack ends (the resident region, once set aside, lies above). */
  end: number;
  depth = 0;
  resident: Uint8Array | null = null;

  constructor(readonly exports: WasmExports) {
    const memory = exports.memory;
    const missing = MEMORY_BYTES - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    this.bytes = new Uint8Array(memory.buffer);
    this.words = new Int32Array(memory.buffer);

    let at = align(exports.heapBase(), 64);
    this.bytes.set(UTF8_CLASSES, at);
    this.bytes.set(UTF8_TRANSITIONS, at + 256);
    exports.setUtf8Tables(at, at + 256);
    at += 512;
    for (let i = 0; i < NESTING_SLOTS; i++) {
      const resultAddr = at;
      const tableAddr = at + RESULT_BYTES;
      this.slots.push({ tableAddr, resultAddr, table: new Int32Array(memory.buffer, tableAddr, TABLE_CAPACITY * ENTRY_INTS) });
      at = align(tableAddr + TABLE_CAPACITY * ENTRY_INTS * 4, 64);
    }
    this.stagingStart = this.top = at;
    this.end = this.bytes.length;
  }

  /** Sets the resident region aside at the top of memory, once. */
  reserve(size: number): Uint8Array {
    if (this.resident === null) {
      const start = (this.end - size) & -64;
      if (start - this.top < WINDOW_MAX) throw new Error('wscodec: no room in linear memory for a resident region');
      this.end = start;
      this.resident = new Uint8Array(this.bytes.buffer, start, size);
    }
    return this.resident;
  }

  /** Bytes a new stage could take, or 0 when this nesting level must use the JS kernels. */
  room(): number {
    if (this.depth >= NESTING_SLOTS) return 0;
    const free = this.end - this.top;
    return free < WINDOW_MIN ? 0 : Math.min(free, WINDOW_MAX);
  }

  push(length: number): number {
    const offset = this.top;
    this.top = align(offset + length, 16);
    this.depth++;
    return offset;
  }

  pop(offset: number): void {
    this.top = offset;
    this.depth--;
  }
}

class WasmKernels implements Kernels {
  bytes: Uint8Array;
  transient = true;
  table: Int32Array;
  consumed = 0;
  error = 0;
  partial = false;
  partialKey = 0;
  private slot: Slot;
  /** Set while a stage is served by the JS kernels (wasm stack exhausted). */
  private fallback: JsKernels | null = null;
  /** Set while a stage is bytes already in linear memory (staged where they lie). */
  private inPlace = false;

  constructor(private readonly mem: WasmMemory) {
    this.bytes = mem.bytes;
    this.slot = mem.slots[0];
    this.table = this.slot.table;
  }

  room(): number {
    return this.mem.room() || Number.MAX_SAFE_INTEGER;
  }

  stage(source: Uint8Array, from: number, length: number): number {
    const mem = this.mem;
    if (source.buffer === mem.bytes.buffer && mem.depth < NESTING_SLOTS) {
      // Read into linear memory by a transport: scanned where it landed.
      this.inPlace = true;
      this.slot = mem.slots[mem.depth++];
      this.table = this.slot.table;
      return source.byteOffset + from;
    }
    if (length > mem.room()) {
      const js = (this.fallback = new JsKernels());
      this.bytes = source;
      this.transient = false;
      const at = js.stage(source, from);
      this.table = js.table;
      return at;
    }
    const offset = mem.push(length);
    this.slot = mem.slots[mem.depth - 1];
    this.table = this.slot.table;
    mem.bytes.set(from === 0 && length === source.length ? source : source.subarray(from, from + length), offset);
    return offset;
  }

  release(offset: number): void {
    if (this.fallback) {
      this.fallback.release();
      this.fallback = null;
      this.bytes = this.mem.bytes;
      this.transient = true;
      return;
    }
    if (this.inPlace) {
      this.inPlace = false;
      this.mem.depth--;
      return;
    }
    this.mem.pop(offset);
  }

  scan(start: number, end: number, flags: number, maxPayload: number): number {
    const js = this.fallback;
    if (js) {
      const count = js.scan(start, end, flags, maxPayload);
      this.consumed = js.consumed;
      this.error = js.error;
      this.partial = js.partial;
      this.partialKey = js.partialKey;
      return count;
    }
    const slot = this.slot;
    const count = this.mem.exports.scan(start, end, flags, maxPayload, slot.tableAddr, TABLE_CAPACITY, slot.resultAddr);
    const words = this.mem.words;
    const r = slot.resultAddr >>> 2;
    this.consumed = words[r + RESULT_CONSUMED];
    this.error = words[r + RESULT_ERROR];
    this.partial = words[r + RESULT_PARTIAL] !== 0;
    this.partialKey = words[r + RESULT_PARTIAL_KEY];
    return count;
  }

  unmask(start: number, end: number, key: number): void {
    if (this.fallback) this.fallback.unmask(start, end, key);
    else this.mem.exports.unmaskRegion(start, end, key);
  }

  utf8(state: number, start: number, end: number): number {
    return this.fallback ? this.fallback.utf8(state, start, end) : this.mem.exports.utf8Step(state, start, end);
  }
}

/** Builds the wasm backend on an instance of build/wscodec{.simd,}.wasm. */
export function createWasmBackend(instance: WebAssembly.Instance): Backend {
  const mem = new WasmMemory(instance.exports as unknown as WasmExports);

  // bufferutil-style calls on arrays outside linear memory: copy in, XOR there, copy out,
  // a window at a time.
  // Windows are multiples of 16 bytes except the last, so the key stays in phase.
  const maskRegion = (source: Uint8Array, maskKey: Uint8Array, output: Uint8Array, offset: number, length: number) => {
    const key = keyWord(maskKey);
    let done = 0;
    while (done < length) {
      const room = mem.room();
      if (room === 0) return jsMask(source.subarray(done, length), maskKey, output, offset + done, length - done);
      const n = Math.min(room, length - done);
      const at = mem.push(n);
      mem.bytes.set(done === 0 && n === source.length ? source : source.subarray(done, done + n), at);
      mem.exports.unmaskRegion(at, at + n, key);
      output.set(new Uint8Array(mem.bytes.buffer, at, n), offset + done);
      mem.pop(at);
      done += n;
    }
  };

  return {
    name: 'wasm',
    // Copy in + XOR + copy out beats the JS word loop from about 512 B (bench crossover).
    maskFrom: 512,
    mask(source, maskKey, output, offset, length) {
      if (length > 0) maskRegion(source, maskKey, output, offset, length);
    },
    unmask(buffer, maskKey) {
      if (buffer.length > 0) maskRegion(buffer, maskKey, buffer, 0, buffer.length);
    },
    kernels: () => new WasmKernels(mem),
    residentBuffer: (size) => mem.reserve(size),
  };
}

/** A tiny module using a v128 instruction: validates only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // one function of type 0
  0x0a,
  0x08,
  0x01,
  0x06,
  0x00,
  0x41,
  0x00,
  0xfd,
  0x11,
  0x0b, // i32.const 0; i32x4.splat; end
]);

export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}
