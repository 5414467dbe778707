// The streaming frame decoder: the one place the RFC 6455 receive algorithm lives.
// Backends only supply kernels (see src/backend/types.ts). Each push stages its bytes
// once; one scan call then reports every complete frame, already unmasked and (for
// single-frame text) validated, and this loop delivers them. Only two things outlive a
// push: up to 13 bytes of an incomplete header (the spill) and the state of a frame
// whose payload is still arriving, whose bytes are unmasked and validated as they come.

import { activeBackend } from '../backend/select.js';
import {
  ENTRY_FLAGS,
  ENTRY_INTS,
  ENTRY_LENGTH,
  ENTRY_OFFSET,
  FRAME_BAD_UTF8,
  FRAME_FIN,
  FRAME_OPCODE,
  FRAME_RSV1,
  MAX_FRAME_LENGTH,
  SCAN_ALLOW_RSV1,
  SCAN_REJECT_MASK,
  SCAN_REQUIRE_MASK,
  SCAN_VALIDATE_UTF8,
  TABLE_CAPACITY,
} from '../backend/scan-contract.js';
import type { Backend, Kernels } from '../backend/types.js';
import { UTF8_ACCEPT, UTF8_REJECT } from '../backend/utf8-dfa.js';
import { rotateKey } from '../backend/xor.js';
import { allocUninitialized, viewOf } from './alloc.js';
import { decodeClosePayload } from './close.js';
import { Opcode } from './constants.js';
import { badSequence, invalidUtf8, ProtocolError, scanError, tooBig, tooManyFragments } from './errors.js';

export interface FrameDecoderOptions {
  /** 'server' requires masked frames; 'client' rejects them. */
  role: 'server' | 'client';
  /** Largest message (all fragments together) in bytes; 0 means no limit. Default 100 MiB. */
  maxPayload?: number;
  /** Fragments under 64 bytes one message may have (default 1024). Bigger fragments carry their own weight. */
  maxFragments?: number;
  /** Accept RSV1 on the first frame of a data message (permessage-deflate negotiated). */
  allowRsv1?: boolean;
  skipUtf8Validation?: boolean;
  /** Deliver views into the decoder's buffers, valid only during the callback. */
  zeroCopy?: boolean;
  /** Pin a backend (default: the active one). */
  backend?: Backend;
  onMessage?(data: Uint8Array, isBinary: boolean, compressed: boolean): void;
  onPing?(data: Uint8Array): void;
  onPong?(data: Uint8Array): void;
  onClose?(code: number, reason: string): void;
  onError?(err: ProtocolError): void;
}

/** The callbacks alone: an object whose methods receive the decoder's events. */
export type FrameDecoderEvents = Pick<FrameDecoderOptions, 'onMessage' | 'onPing' | 'onPong' | 'onClose' | 'onError'>;

const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
const DEFAULT_MAX_FRAGMENTS = 1024;
const SMALL_FRAGMENT = 64;
const MAX_HEADER = 14;
/** A message buffer starts at up to this size, so frames up to it are assembled with one allocation. */
const EAGER_BYTES = 1 << 20;
/** A fragmented message's buffer starts at least this big, then doubles. */
const FRAGMENT_START_BYTES = 4096;

const enum Phase {
  Open,
  Closed,
  Failed,
}

const NOTHING_THROWN = Symbol('nothing thrown');
const EMPTY = new Uint8Array(0);

// Memory whose owner overwrites it once push() returns: a transport that reads every
// socket into one reused buffer (for wasm, a region of linear memory, so bytes are scanned
// where they landed). A chunk in it is only lent: nothing delivered or kept may be a view of it.
const reusedMemory = new WeakSet<object>();

/** Declares `buffer` reused after each push (see above): chunks in it are copied from, never kept. */
export function markReusedMemory(buffer: ArrayBufferLike): void {
  reusedMemory.add(buffer);
}

/** An owned copy (slice() of a Node Buffer would be a view). */
function copyOf(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  const out = allocUninitialized(length);
  out.set(new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length));
  return out;
}

export class FrameDecoder {
  /** The error the decoder failed with, if it did. */
  error: ProtocolError | undefined = undefined;

  private readonly k: Kernels;
  private readonly scanFlags: number;
  private readonly maxPayload: number;
  private readonly frameLimit: number;
  private readonly maxFragments: number;
  private readonly validateUtf8: boolean;
  private readonly zeroCopy: boolean;
  private readonly events: FrameDecoderEvents;

  private phase = Phase.Open;
  // An incomplete header carried to the next push.
  // Allocated on first use, like `control`: idle connections should cost next to nothing.
  private spill: Uint8Array = EMPTY;
  private spillLength = 0;
  // The frame whose payload is still arriving.
  private frameFlags = 0;
  private frameKey = 0;
  private frameSeen = 0;
  private frameRemaining = 0;
  // The data message being assembled (fragments, or one frame spanning pushes).
  private messageOpcode = 0;
  private messageCompressed = false;
  private messageLength = 0;
  private messageBuffer: Uint8Array = EMPTY;
  private messageFilled = 0;
  private utf8State = UTF8_ACCEPT;
  private smallFragments = 0;
  // A control frame's payload arriving across pushes.
  private control: Uint8Array = EMPTY;
  private controlFilled = 0;
  // Re-entrancy: a push from inside a callback waits its turn.
  private busy = false;
  private readonly queue: Uint8Array[] = [];
  private thrown: unknown = NOTHING_THROWN;

  /**
   * `events` defaults to `options`; passing an object with methods instead lets a caller
   * that keeps many decoders (a server) avoid five closures per connection.
   */
  constructor(options: FrameDecoderOptions, events: FrameDecoderEvents = options) {
    if (options.role !== 'server' && options.role !== 'client') {
      throw new TypeError("FrameDecoder: role must be 'server' or 'client'");
    }
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!(maxPayload >= 0)) throw new RangeError('FrameDecoder: maxPayload must be >= 0');
    this.maxPayload = maxPayload === 0 ? Infinity : maxPayload;
    this.frameLimit = Math.min(this.maxPayload, MAX_FRAME_LENGTH);
    this.maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    this.validateUtf8 = !options.skipUtf8Validation;
    this.zeroCopy = options.zeroCopy === true;
    this.scanFlags =
      (options.role === 'server' ? SCAN_REQUIRE_MASK : SCAN_REJECT_MASK) |
      (options.allowRsv1 ? SCAN_ALLOW_RSV1 : 0) |
      (this.validateUtf8 ? SCAN_VALIDATE_UTF8 : 0);
    this.k = (options.backend ?? activeBackend()).kernels();
    this.events = events;
  }

  /** Whether a close frame has been received. */
  get closed(): boolean {
    return this.phase === Phase.Closed;
  }

  /**
   * Feeds received bytes. Takes ownership of `chunk`: it may be unmasked in place and
   * messages may be views of it (unless it lies in memory marked with markReusedMemory:
   * then it is only unmasked in place, and nothing of it is kept). Never throws for bad
   * input (that goes to onError); an exception from a callback is rethrown once the whole
   * chunk is processed.
   */
  push(chunk: Uint8Array): void {
    if (this.phase !== Phase.Open || chunk.length === 0) return;
    const lent = reusedMemory.has(chunk.buffer);
    if (this.busy) {
      this.queue.push(lent ? copyOf(chunk, 0, chunk.length) : chunk);
      return;
    }
    this.busy = true;
    try {
      this.consume(chunk, lent);
      while (this.queue.length > 0) this.consume(this.queue.shift()!, false);
    } finally {
      this.busy = false;
      this.queue.length = 0;
    }
    if (this.thrown !== NOTHING_THROWN) {
      const err = this.thrown;
      this.thrown = NOTHING_THROWN;
      throw err;
    }
  }

  /** Stops delivering anything further (the transport is gone); no callback is called. */
  stop(): void {
    if (this.phase === Phase.Open) this.phase = Phase.Closed;
    this.messageBuffer = EMPTY;
  }

  /** `lent`: the chunk is in reused memory (markReusedMemory), so what is delivered is copied. */
  private consume(chunk: Uint8Array, lent: boolean): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end && this.phase === Phase.Open) {
      if (this.frameRemaining > 0) pos = this.continueFrame(chunk, pos, end);
      else if (this.spillLength > 0) pos = this.resumeFromSpill(chunk, pos, end);
      else pos = this.scanWindow(chunk, pos, end, lent);
    }
  }

  /** Stages a window of the chunk, delivers its frames and keeps an incomplete header. */
  private scanWindow(chunk: Uint8Array, pos: number, end: number, lent: boolean): number {
    const k = this.k;
    const length = Math.min(end - pos, k.room());
    const base = k.stage(chunk, pos, length);
    const stop = base + length;
    try {
      // Where messages are views of: the staged bytes themselves when they are the chunk
      // (js) or only need to live through the callback (zeroCopy); otherwise the chunk,
      // once the unmasked bytes are written back into it. The decoder owns the chunk, so
      // that is an owned copy without allocating one: allocating a fresh buffer costs
      // several times the memcpy into it. A lent chunk is neither: its complete frames are
      // copied out together into one fresh buffer (one allocation per read, not per message).
      let rest: number;
      if (this.zeroCopy || (!k.transient && !lent)) rest = this.scanStaged(base, stop, k.bytes, 0, false);
      else if (lent) rest = this.scanStaged(base, stop, null, 0, true);
      else rest = this.scanStaged(base, stop, chunk, pos - base, true);
      if (rest < stop && this.phase === Phase.Open) {
        if (this.spill === EMPTY) this.spill = new Uint8Array(MAX_HEADER);
        this.spill.set(k.bytes.subarray(rest, stop));
        this.spillLength = stop - rest;
      }
    } finally {
      k.release(base);
    }
    return pos + length;
  }

  /** Completes a spilled header with the chunk's first bytes and carries on from there. */
  private resumeFromSpill(chunk: Uint8Array, pos: number, end: number): number {
    const had = this.spillLength;
    const take = Math.min(MAX_HEADER - had, end - pos);
    for (let i = 0; i < take; i++) this.spill[had + i] = chunk[pos + i];
    const filled = had + take;
    const k = this.k;
    const base = k.stage(this.spill, 0, filled);
    let used: number;
    try {
      // The spill is reused: unless views are wanted, whatever is delivered from it is copied.
      used = this.scanStaged(base, base + filled, this.zeroCopy ? k.bytes : null, 0, false) - base;
    } finally {
      k.release(base);
    }
    if (this.phase !== Phase.Open) return end;
    if (used === 0) {
      // Still not a whole header, so every byte of the chunk went into the spill.
      this.spillLength = filled;
      return pos + take;
    }
    // The spilled header began a frame that ends past it: bytes after `used` are rescanned from the chunk.
    this.spillLength = 0;
    return pos + used - had;
  }

  /**
   * Delivers every frame in staged bytes [at, stop). Messages are views of `view` at
   * staged offset + `delta` (null: copies). With `writeBack`, the unmasked bytes of
   * complete frames are first copied back into `view` (null: into a fresh buffer, which
   * messages are then views of). Returns where an incomplete header begins, or `stop` when
   * everything was used (or the decoder stopped).
   */
  private scanStaged(at: number, stop: number, view: Uint8Array | null, delta: number, writeBack: boolean): number {
    const k = this.k;
    for (;;) {
      const count = k.scan(at, stop, this.scanFlags, this.frameLimit);
      const consumed = k.consumed;
      const error = k.error;
      const partial = k.partial;
      const partialKey = k.partialKey;
      const complete = partial ? count - 1 : count;
      if (complete > 0) {
        let target = view;
        let shift = delta;
        if (writeBack) {
          // Only complete frames: a partial frame's bytes go to the message buffer instead.
          const end = partial ? k.table[(count - 1) * ENTRY_INTS + ENTRY_OFFSET] : consumed;
          const unmasked = new Uint8Array(k.bytes.buffer, k.bytes.byteOffset + at, end - at);
          if (target === null) {
            target = allocUninitialized(end - at);
            shift = -at;
            target.set(unmasked);
          } else target.set(unmasked, at + delta);
        }
        this.deliverFrames(complete, target, shift);
      }
      if (this.phase !== Phase.Open) return stop;
      if (partial) {
        this.beginPartialFrame((count - 1) * ENTRY_INTS, partialKey, stop);
        return stop;
      }
      if (error !== 0) {
        this.fail(scanError(error));
        return stop;
      }
      if (count < TABLE_CAPACITY || consumed === stop) return consumed;
      at = consumed;
    }
  }

  /** Walks the first `n` entries of the frame table: all complete frames. */
  private deliverFrames(n: number, view: Uint8Array | null, delta: number): void {
    const k = this.k;
    const table = k.table;
    // Views are built from the ArrayBuffer: half the cost of subarray() on a Node Buffer.
    const viewBuffer = view !== null ? view.buffer : null;
    const viewBase = view !== null ? view.byteOffset + delta : 0;
    for (let e = 0, end = n * ENTRY_INTS; e < end; e += ENTRY_INTS) {
      const flags = table[e + ENTRY_FLAGS];
      const offset = table[e + ENTRY_OFFSET];
      const length = table[e + ENTRY_LENGTH];
      const opcode = flags & FRAME_OPCODE;
      if ((flags & FRAME_FIN) !== 0 && opcode !== 0 && opcode < 8 && this.messageOpcode === 0) {
        // The common case: a whole message in one frame, already unmasked and validated.
        if ((flags & FRAME_BAD_UTF8) !== 0) {
          this.fail(invalidUtf8('a text message'));
          return;
        }
        const data = viewBuffer !== null ? viewOf(viewBuffer, viewBase + offset, length) : copyOf(k.bytes, offset, length);
        this.emitMessage(data, opcode === Opcode.Binary, (flags & FRAME_RSV1) !== 0);
      } else if (opcode >= 8) {
        this.handleControl(opcode, k.bytes, offset, length, view, delta);
      } else if (this.beginFrame(flags, length) && this.appendPayload(flags, offset, length)) {
        this.endDataFrame(flags);
      }
      if (this.phase !== Phase.Open) return;
    }
  }

  /** The table entry at `e` is a frame whose payload continues in later pushes. */
  private beginPartialFrame(e: number, key: number, stop: number): void {
    const table = this.k.table;
    const flags = table[e + ENTRY_FLAGS];
    const offset = table[e + ENTRY_OFFSET];
    const length = table[e + ENTRY_LENGTH];
    if ((flags & FRAME_OPCODE) >= 8) {
      this.controlFilled = 0;
      if (this.control === EMPTY) this.control = new Uint8Array(125);
    } else if (!this.beginFrame(flags, length)) return;
    const seen = stop - offset;
    this.frameFlags = flags;
    this.frameKey = key;
    this.frameSeen = seen;
    this.frameRemaining = length - seen;
    if (seen > 0) this.appendPayload(flags, offset, seen);
  }

  /** More payload of the frame in progress: unmask, validate and keep it as it comes. */
  private continueFrame(chunk: Uint8Array, pos: number, end: number): number {
    const k = this.k;
    const n = Math.min(this.frameRemaining, end - pos, k.room());
    const base = k.stage(chunk, pos, n);
    try {
      if (this.frameKey !== 0) k.unmask(base, base + n, rotateKey(this.frameKey, this.frameSeen));
      this.frameSeen += n;
      this.frameRemaining -= n;
      const flags = this.frameFlags;
      if (this.appendPayload(flags, base, n) && this.frameRemaining === 0) {
        const opcode = flags & FRAME_OPCODE;
        if (opcode >= 8) this.handleControl(opcode, this.control, 0, this.controlFilled, this.zeroCopy ? this.control : null, 0);
        else this.endDataFrame(flags);
      }
    } finally {
      k.release(base);
    }
    return pos + n;
  }

  /** Sequencing and size rules for a data frame that is not a whole message by itself. */
  private beginFrame(flags: number, length: number): boolean {
    const opcode = flags & FRAME_OPCODE;
    if (opcode === 0) {
      if (this.messageOpcode === 0) return this.fail(badSequence('A continuation frame without a message to continue'));
    } else {
      if (this.messageOpcode !== 0) return this.fail(badSequence('A new message began before the fragmented one ended'));
      this.messageOpcode = opcode;
      this.messageCompressed = (flags & FRAME_RSV1) !== 0;
      this.messageLength = 0;
      this.messageFilled = 0;
      this.utf8State = UTF8_ACCEPT;
      this.smallFragments = 0;
    }
    const total = this.messageLength + length;
    if (total > this.maxPayload) return this.fail(tooBig());
    this.messageLength = total;
    const fragmented = opcode === 0 || (flags & FRAME_FIN) === 0;
    if (fragmented && length < SMALL_FRAGMENT && ++this.smallFragments > this.maxFragments) {
      return this.fail(tooManyFragments(this.maxFragments));
    }
    return true;
  }

  /** Keeps staged payload bytes [offset, offset + n) of the current frame. */
  private appendPayload(flags: number, offset: number, n: number): boolean {
    if (n === 0) return true;
    const k = this.k;
    if ((flags & FRAME_OPCODE) >= 8) {
      this.control.set(k.bytes.subarray(offset, offset + n), this.controlFilled);
      this.controlFilled += n;
      return true;
    }
    if (this.messageOpcode === Opcode.Text && this.validateUtf8 && !this.messageCompressed) {
      // Fail fast: invalid text is refused at the first bad byte, not at the end of the message.
      const state = k.utf8(this.utf8State, offset, offset + n);
      if (state === UTF8_REJECT) return this.fail(invalidUtf8('a text message'));
      this.utf8State = state;
    }
    const needed = this.messageFilled + n;
    if (needed > this.messageBuffer.length) this.growMessage(needed, (flags & FRAME_FIN) !== 0);
    this.messageBuffer.set(k.bytes.subarray(offset, offset + n), this.messageFilled);
    this.messageFilled = needed;
    return true;
  }

  /**
   * Grows as bytes arrive, never past what is declared for a final frame, so a peer that
   * announces a big frame and sends nothing costs at most EAGER_BYTES.
   */
  private growMessage(needed: number, final: boolean): void {
    const old = this.messageBuffer;
    const bound = final ? this.messageLength : this.maxPayload;
    const size = Math.min(bound, Math.max(needed, old.length * 2, final ? EAGER_BYTES : FRAGMENT_START_BYTES));
    // Exactly the final size: every byte will be written before delivery, so skip zeroing.
    const next = final && size === this.messageLength ? allocUninitialized(size) : new Uint8Array(size);
    if (this.messageFilled > 0) next.set(old.subarray(0, this.messageFilled));
    this.messageBuffer = next;
  }

  private endDataFrame(flags: number): void {
    if ((flags & FRAME_FIN) === 0) return;
    const isText = this.messageOpcode === Opcode.Text;
    if (isText && this.validateUtf8 && !this.messageCompressed && this.utf8State !== UTF8_ACCEPT) {
      this.fail(invalidUtf8('a text message (it ends inside a character)'));
      return;
    }
    const buffer = this.messageBuffer;
    const data = buffer.length === this.messageFilled ? buffer : buffer.subarray(0, this.messageFilled);
    const compressed = this.messageCompressed;
    this.messageOpcode = 0;
    this.messageBuffer = EMPTY;
    this.messageFilled = 0;
    this.emitMessage(data, !isText, compressed);
  }

  /** A complete control frame's payload is bytes[offset, offset + length); view/delta as in scanStaged. */
  private handleControl(opcode: number, bytes: Uint8Array, offset: number, length: number, view: Uint8Array | null, delta: number): void {
    if (opcode === Opcode.Close) {
      let code: number;
      let reason: string;
      try {
        ({ code, reason } = decodeClosePayload(bytes.subarray(offset, offset + length), this.validateUtf8));
      } catch (err) {
        this.fail(err as ProtocolError);
        return;
      }
      // Nothing after a close frame is delivered.
      this.phase = Phase.Closed;
      this.messageBuffer = EMPTY;
      const events = this.events;
      if (events.onClose) this.guard(() => events.onClose!(code, reason));
      return;
    }
    const events = this.events;
    if (!(opcode === Opcode.Ping ? events.onPing : events.onPong)) return;
    const data = view !== null ? view.subarray(offset + delta, offset + delta + length) : copyOf(bytes, offset, length);
    this.guard(() => (opcode === Opcode.Ping ? events.onPing!(data) : events.onPong!(data)));
  }

  private emitMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    const events = this.events;
    if (events.onMessage === undefined) return;
    try {
      events.onMessage(data, isBinary, compressed);
    } catch (err) {
      if (this.thrown === NOTHING_THROWN) this.thrown = err;
    }
  }

  /** Runs a callback; its exception is kept for push() to rethrow after the chunk. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (this.thrown === NOTHING_THROWN) this.thrown = err;
    }
  }

  private fail(err: ProtocolError): false {
    if (this.phase !== Phase.Open) return false;
    this.phase = Phase.Failed;
    this.error = err;
    this.messageBuffer = EMPTY;
    this.frameRemaining = 0;
    const events = this.events;
    if (events.onError) this.guard(() => events.onError!(err));
    return false;
  }
}
