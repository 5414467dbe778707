// A WHATWG byte-stream pair as the protocol layer's Transport: what workerd's connect()
// returns, what Node's Duplex.toWeb(socket) makes, or any other pair of streams that
// carries bytes both ways. The transport owns the reader and the writer from the
// start: the handshake reads the 101 through read(), then attach() hands the rest of
// the stream to a Connection.
//
// "Closed" means both directions are done (our writer closed and the peer's EOF read),
// or destroy() was called; only then does the connection hear transportClosed(), as
// with a Node socket's 'close'.

import type { Connection, Transport, WriteCallback } from '../protocol/connection.js';

/** An already-connected byte stream. */
export interface ByteStreamPair {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

const noop = () => {};

export class StreamTransport implements Transport {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private conn: Connection | null = null;
  /** Bytes handed to the writer whose write has not completed yet. */
  private pendingBytes = 0;
  private paused = false;
  private wake: (() => void) | null = null;
  private readDone = false;
  private writeDone = false;
  private ending = false;
  private gone = false;
  private closedReported = false;

  constructor(pair: ByteStreamPair) {
    // Both locks first: if either stream is already locked, nothing has been touched.
    this.reader = pair.readable.getReader();
    try {
      this.writer = pair.writable.getWriter();
    } catch (err) {
      this.reader.releaseLock();
      throw err;
    }
  }

  /** Handshake phase: the next chunk, or null at the end of the stream (or once destroyed). */
  async read(): Promise<Uint8Array | null> {
    if (this.gone) return null;
    const { value, done } = await this.reader.read();
    if (done || this.gone) return null;
    return toBytes(value);
  }

  /** Starts delivering the stream to `conn`, beginning with `head` (bytes that came with the 101). */
  attach(conn: Connection, head: Uint8Array): void {
    this.conn = conn;
    if (head.length > 0) conn.receive(head);
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    const reader = this.reader;
    // Bounded by the stream: every turn either reads a chunk or ends.
    for (;;) {
      while (this.paused && !this.gone) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.gone) return;
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch {
        // A reset or an aborted stream: the connection closes with 1006, as with a socket error.
        this.destroy();
        return;
      }
      if (this.gone) return;
      if (result.done) break;
      try {
        const chunk = toBytes(result.value);
        if (chunk.length > 0) this.conn!.receive(chunk);
      } catch {
        // Not bytes, or an event sink that threw (ours do not): never go on with a half-read stream.
        this.destroy();
        return;
      }
    }
    this.readDone = true;
    this.conn!.transportEnded();
    this.maybeClosed();
  }

  // ---- Transport ----

  write(chunks: Uint8Array[], callback?: WriteCallback): void {
    if (this.gone || this.ending) {
      callback?.(new Error('The connection is closed'));
      return;
    }
    const data = chunks.length === 1 ? chunks[0] : concat(chunks);
    const n = data.length;
    this.pendingBytes += n;
    // The writer queues in order even past its high-water mark; what has not been taken
    // yet is pendingBytes (bufferedAmount and the ping-flood guard read it).
    this.writer.write(data).then(
      () => {
        this.pendingBytes -= n;
        callback?.();
      },
      (err: unknown) => {
        this.pendingBytes -= n;
        callback?.(err instanceof Error ? err : new Error(String(err)));
        this.destroy();
      },
    );
  }

  /** Writes bytes before any connection exists (the request head). */
  writeHead(bytes: Uint8Array): void {
    this.write([bytes]);
  }

  writeBacklog(): number {
    return this.pendingBytes;
  }

  end(): void {
    if (this.ending || this.gone) return;
    this.ending = true;
    this.writer.close().then(
      () => {
        this.writeDone = true;
        this.maybeClosed();
      },
      () => this.destroy(),
    );
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.writer.abort().catch(noop);
    this.reader.cancel().catch(noop);
    this.wake?.();
    this.reportClosed();
  }

  pauseReading(): void {
    this.paused = true;
  }

  resumeReading(): void {
    this.paused = false;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private maybeClosed(): void {
    if (this.readDone && this.writeDone) {
      this.gone = true;
      this.reportClosed();
    }
  }

  private reportClosed(): void {
    if (this.closedReported || this.conn === null) return;
    this.closedReported = true;
    const conn = this.conn;
    // Never from inside a Connection call (destroy() is one): the connection finishes
    // what it is doing first, as with a socket whose 'close' comes on a later tick.
    queueMicrotask(() => conn.transportClosed());
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError('The readable stream must yield Uint8Array chunks');
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
