// permessage-deflate compression on node:zlib (raw deflate, RFC 7692 §7.2).
//
// Each direction is a "lane" owning one zlib stream, created on first use (an idle
// connection holds no zlib memory) and reused across messages: kept for context
// takeover, reset() otherwise, which is far cheaper than a new stream. A lane runs one
// operation at a time and needs a slot from a process-wide limiter to start it, because
// zlib work runs on libuv's small thread pool and a burst of big messages would
// otherwise starve DNS/fs users of it and pile up memory. Results are delivered in call
// order across both lanes (the MessageCompressor contract).
//
// Streams get `flush: Z_SYNC_FLUSH` as their default, so one write() is one thread-pool
// trip that ends on a byte boundary with 00 00 FF FF. (ws writes and then flush()es: two
// trips for deflate, three for inflate.)

import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw, type ZlibOptions } from 'node:zlib';
import { CloseCode } from '../codec/constants.js';
import { ProtocolError, tooBig } from '../codec/errors.js';
import type { CompressorFactory, CompressorOptions, DeflateCallback, MessageCompressor } from '../protocol/deflate.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);
/** Up to this size a received message is copied next to its tail to save a second write. */
const COPY_TAIL_MAX = 64 * 1024;

// ---------------------------------------------------------------------------------------
// Process-wide limiter: `running` slots are held by lanes; the rest wait in FIFO order.

/** A FIFO without Array#shift's O(n) moves on long queues. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    const items = this.#items;
    const item = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }
}

interface Job {
  /** Starts work holding a slot; false when the job no longer wants one. */
  run(): boolean;
}

class Limiter {
  #running = 0;
  readonly #queue = new Fifo<Job>();
  constructor(readonly limit: number) {}

  add(job: Job): void {
    if (this.#running < this.limit) {
      this.#running++;
      if (!job.run()) this.release();
    } else {
      this.#queue.push(job);
    }
  }

  /** Frees a slot, handing it straight to the next waiting job that still wants it. */
  release(): void {
    let job: Job | undefined;
    while ((job = this.#queue.shift()) !== undefined) {
      if (job.run()) return;
    }
    this.#running--;
  }
}

// One limiter per configured limit: compressors configured alike share it process-wide.
const limiters = new Map<number, Limiter>();
function limiterFor(limit: number): Limiter {
  let l = limiters.get(limit);
  if (l === undefined) limiters.set(limit, (l = new Limiter(limit)));
  return l;
}

// ---------------------------------------------------------------------------------------

interface Op {
  data: Uint8Array;
  fin: boolean;
  /** Deflate only: reset the stream's window before this op (forgetContext()). */
  fresh: boolean;
  cb: DeflateCallback;
  done: boolean;
  err: Error | null;
  out: Uint8Array | undefined;
}

type ZStream = DeflateRaw | InflateRaw;

const IDLE = 0,
  WAITING = 1,
  RUNNING = 2;
const NOOP = () => {};

class Lane implements Job {
  #stream: ZStream | null = null;
  /** The write callback bound to #stream, so a dropped stream's late callbacks are ignored. */
  #written: (err?: Error | null) => void = NOOP;
  readonly #ops = new Fifo<Op>();
  #state = IDLE;
  #chunks: Buffer[] = [];
  #total = 0;
  /** stream.bytesWritten (input zlib consumed) when the running op started. */
  #consumedBefore = 0;

  constructor(
    readonly owner: ZlibCompressor,
    readonly inflate: boolean,
    readonly windowBits: number,
    readonly resetAfterMessage: boolean,
    readonly zlibOptions: Record<string, unknown> | undefined,
  ) {}

  add(op: Op): void {
    this.#ops.push(op);
    if (this.#state === IDLE) {
      this.#state = WAITING;
      this.owner.limiter.add(this);
    }
  }

  run(): boolean {
    if (this.owner.closed) return false;
    this.#state = RUNNING;
    const data = this.#ops.peek()!.data;
    this.#chunks = [];
    this.#total = 0;
    try {
      const stream = this.#stream ?? this.#open();
      this.#consumedBefore = stream.bytesWritten;
      if (!this.inflate) {
        // Runs only after the previous op's output is all in (#onWritten), so the reset
        // lands exactly between the two messages. A stream opened just now is empty anyway.
        if (this.#ops.peek()!.fresh && stream.bytesWritten !== 0) stream.reset();
        stream.write(data, this.#written);
      } else if (data.length <= COPY_TAIL_MAX) {
        const buf = Buffer.allocUnsafe(data.length + 4);
        buf.set(data, 0);
        buf.set(TAIL, data.length);
        stream.write(buf, this.#written);
      } else {
        stream.write(data);
        stream.write(TAIL, this.#written);
      }
    } catch (err) {
      // Bad zlibDeflateOptions/zlibInflateOptions surface here, on first use; fail the op
      // asynchronously like any other zlib error.
      this.#drop();
      process.nextTick(() => {
        if (this.#state === RUNNING && !this.owner.closed) this.#finish(err as Error, undefined);
      });
    }
    return true;
  }

  #open(): ZStream {
    const options: ZlibOptions = { ...this.zlibOptions, windowBits: this.windowBits, flush: constants.Z_SYNC_FLUSH };
    const stream = this.inflate ? createInflateRaw(options) : createDeflateRaw(options);
    // Every handler checks identity: a stream we dropped may still report in after destroy().
    stream.on('data', (chunk: Buffer) => {
      if (this.#stream === stream) this.#onData(chunk);
    });
    stream.on('error', (err: Error) => {
      if (this.#stream === stream) this.#onError(err);
    });
    this.#written = (err) => {
      // Errors arrive through 'error'.
      if (!err && this.#stream === stream && this.#state === RUNNING && !this.owner.closed) this.#onWritten();
    };
    this.#stream = stream;
    return stream;
  }

  #onWritten(): void {
    const op = this.#ops.peek()!;
    const total = this.#total;
    const chunks = this.#chunks;
    let out: Buffer = chunks.length === 1 ? chunks[0]! : total === 0 ? EMPTY : Buffer.concat(chunks, total);
    this.#chunks = [];
    if (!this.inflate && op.fin) {
      if (total >= 4 && out[total - 4] === 0 && out[total - 3] === 0 && out[total - 2] === 0xff && out[total - 1] === 0xff) {
        out = out.subarray(0, total - 4);
      } else if (total === 0) {
        // zlib flushes nothing when nothing is new since the last flush; send what a fresh
        // stream sends for an empty message (RFC 7692 §7.2.3.6), an empty stored block
        // once the receiver appends the tail.
        out = Buffer.from([0x00]); // fresh: callers may mask payloads in place
      }
    }
    const stream = this.#stream!;
    if (this.inflate && stream.bytesWritten - this.#consumedBefore < op.data.length + 4) {
      // zlib stopped before the end of the input: the peer ended the DEFLATE stream with a
      // BFINAL block (RFC 7692 §7.2.3.4) and the stream is finished for good. The peer
      // must start a new DEFLATE stream for its next message, and so do we.
      this.#drop();
    } else if (op.fin && this.resetAfterMessage) {
      stream.reset();
    }
    this.#finish(null, out);
  }

  #onData(chunk: Buffer): void {
    this.#total += chunk.length;
    const max = this.owner.maxPayload;
    if (this.inflate && max > 0 && this.#total > max) {
      // Stop inflating now: a destroyed stream makes zlib drop the remaining input instead
      // of producing (and us holding) the rest of a possible deflate bomb.
      this.#drop();
      this.#finish(tooBig(), undefined);
      return;
    }
    this.#chunks.push(chunk);
  }

  #onError(cause: Error): void {
    this.#drop();
    const err = this.inflate
      ? new ProtocolError(`Invalid compressed data: ${cause.message}`, CloseCode.InvalidPayload, 'WS_ERR_INVALID_COMPRESSED_DATA')
      : new ProtocolError(`Compression failed: ${cause.message}`, CloseCode.InternalError, 'WS_ERR_COMPRESSION_FAILED');
    err.cause = cause;
    if (this.#state === RUNNING) this.#finish(err, undefined);
  }

  /** Discards the stream (its context can no longer be trusted); the next op opens a fresh one. */
  #drop(): void {
    const stream = this.#stream;
    this.#stream = null;
    this.#written = NOOP; // it holds the stream, and with it zlib's output buffer
    this.#chunks = [];
    stream?.destroy();
  }

  #finish(err: Error | null, out: Uint8Array | undefined): void {
    const op = this.#ops.shift()!;
    op.data = EMPTY; // the input may be large and the result may wait for an earlier op
    op.done = true;
    op.err = err;
    op.out = out;
    const limiter = this.owner.limiter;
    limiter.release();
    if (this.#ops.size > 0) {
      this.#state = WAITING;
      limiter.add(this);
    } else {
      this.#state = IDLE;
    }
    this.owner.deliver();
  }

  close(): void {
    if (this.#state === RUNNING) this.owner.limiter.release();
    // A WAITING lane stays queued in the limiter; run() declines once the owner is closed.
    this.#state = IDLE;
    this.#ops.clear();
    this.#drop();
  }
}

class ZlibCompressor implements MessageCompressor {
  // Public for the lanes only; the class itself is not exported.
  closed = false;
  readonly maxPayload: number;
  readonly limiter: Limiter;
  readonly #deflate: Lane;
  readonly #inflate: Lane;
  readonly #order = new Fifo<Op>();
  #delivering = false;
  /** The last compress() ended a message (the next one starts a new message). */
  #atMessageStart = true;
  /** forgetContext() was called: the next message's first compress starts from an empty window. */
  #forget = false;

  constructor({ params, role, maxPayload, options }: CompressorOptions) {
    this.maxPayload = maxPayload;
    const limit = options.concurrencyLimit ?? 10;
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError('concurrencyLimit must be a positive integer');
    this.limiter = limiterFor(limit);
    const server = role === 'server';
    const ourBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    const peerBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    // zlib refuses raw deflate with an 8-bit window; its 9-bit output never reaches back
    // more than 250 bytes, so it is valid for a peer inflating with 256 (see
    // src/protocol/permessage-deflate.ts).
    this.#deflate = new Lane(
      this,
      false,
      Math.max(ourBits, 9),
      server ? params.serverNoContextTakeover : params.clientNoContextTakeover,
      options.zlibDeflateOptions,
    );
    // Resetting after each message when the peer promised no context takeover costs
    // little and turns a peer that breaks the promise into a 1007 instead of silence.
    this.#inflate = new Lane(
      this,
      true,
      peerBits,
      server ? params.clientNoContextTakeover : params.serverNoContextTakeover,
      options.zlibInflateOptions,
    );
  }

  compress(data: Uint8Array, fin: boolean, callback: DeflateCallback): void {
    if (this.closed) return;
    const op = this.#enqueue(data, fin, callback);
    // The flag goes on the op, not the lane: ops already queued or running (called before
    // forgetContext()) keep their context; the reset happens when this op starts.
    if (this.#forget && this.#atMessageStart) {
      op.fresh = true;
      this.#forget = false;
    }
    this.#atMessageStart = fin;
    this.#deflate.add(op);
  }

  forgetContext(): void {
    // Without context takeover the lane resets after every message already.
    if (!this.#deflate.resetAfterMessage) this.#forget = true;
  }

  decompress(data: Uint8Array, callback: DeflateCallback): void {
    if (this.closed) return;
    this.#inflate.add(this.#enqueue(data, true, callback));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#deflate.close();
    this.#inflate.close();
    this.#order.clear();
  }

  #enqueue(data: Uint8Array, fin: boolean, cb: DeflateCallback): Op {
    const op: Op = { data, fin, fresh: false, cb, done: false, err: null, out: undefined };
    this.#order.push(op);
    return op;
  }

  /** Calls back every finished op at the front of the call order. */
  deliver(): void {
    if (this.#delivering) return; // the loop below is already running further up the stack
    this.#delivering = true;
    try {
      let op: Op | undefined;
      while (!this.closed && (op = this.#order.peek()) !== undefined && op.done) {
        this.#order.shift();
        if (op.err) op.cb(op.err);
        else op.cb(null, op.out);
      }
    } finally {
      this.#delivering = false;
    }
  }
}

/** The node:zlib MessageCompressor factory handed to the protocol layer. */
export const createZlibCompressor: CompressorFactory = (options) => new ZlibCompressor(options);
