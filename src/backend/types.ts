// One Backend interface, three implementations (native, wasm, js). Backends provide
// kernels only; the decoder algorithm lives once, in src/codec/decoder.ts.

export type BackendName = 'native' | 'wasm' | 'js';

export interface Backend {
  readonly name: BackendName;
  /**
   * Below this many bytes the JS kernels beat this backend's mask/unmask on an outside
   * array (a call plus copies in and out cost more than the XOR). Measured by npm run
   * bench's crossover table.
   */
  readonly maskFrom: number;
  /** bufferutil's mask: output[offset + i] = source[i] ^ maskKey[i & 3] for i < length. */
  mask(source: Uint8Array, maskKey: Uint8Array, output: Uint8Array, offset: number, length: number): void;
  /** bufferutil's unmask: buffer[i] ^= maskKey[i & 3], in place. */
  unmask(buffer: Uint8Array, maskKey: Uint8Array): void;
  /** A fresh set of kernels for one decoder. */
  kernels(): Kernels;
  /**
   * Memory the kernels scan where it lies, for a transport to read sockets into (wasm: a
   * region of linear memory, so a read is never copied in). One region, `size` bytes, set
   * aside on the first call and the same every call after. Absent where the kernels work
   * on any array in place anyway (js, native).
   */
  residentBuffer?(size: number): Uint8Array;
}

/**
 * The kernels one decoder drives. Bytes are staged first (wasm copies them into linear
 * memory; js works on the caller's array in place), then scanned, unmasked and
 * validated where they lie, then released.
 */
export interface Kernels {
  /** The array the staged bytes live in (valid from stage() until release()). */
  readonly bytes: Uint8Array;
  /** True when staged bytes are reused after release(): copy them to keep them. */
  readonly transient: boolean;
  /** The frame table the last scan() wrote (ENTRY_INTS int32s per frame). */
  readonly table: Int32Array;
  /** Where the last scan() stopped: after its last complete frame, at an incomplete or bad header, or at `end` when it ended on a partial frame. */
  readonly consumed: number;
  /** The header error the last scan() stopped at (ERR_*), or 0. */
  readonly error: number;
  /** Whether the last table entry is a frame whose payload continues past `end`. */
  readonly partial: boolean;
  /** That partial frame's mask key as a little-endian word (0 when unmasked). */
  readonly partialKey: number;

  /** How many bytes stage() can take now. */
  room(): number;
  /** Stages source[from, from + length) (length ≤ room()); returns its offset in `bytes`. */
  stage(source: Uint8Array, from: number, length: number): number;
  /** Ends the stage that began at `offset`. */
  release(offset: number): void;
  /** Scans bytes[start, end) (see scan-contract.ts); returns the number of table entries. */
  scan(start: number, end: number, flags: number, maxPayload: number): number;
  /** XORs bytes[start, end) in place with a little-endian key word in phase with `start`. */
  unmask(start: number, end: number, keyWord: number): void;
  /** Advances a UTF-8 DFA state over bytes[start, end). */
  utf8(state: number, start: number, end: number): number;
}
