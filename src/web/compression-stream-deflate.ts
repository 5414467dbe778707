// permessage-deflate (RFC 7692) on the platform's CompressionStream and
// DecompressionStream('deflate-raw'). Those streams cannot sync-flush, so a stream can
// never carry on into the next message: we offer no context takeover both ways and use
// one fresh stream per message.
//
// Sending: the message is the whole output of a closed CompressionStream, which ends with
// a BFINAL block (and no 00 00 FF FF tail to strip). RFC 7692 §7.2.3.3 lets a sender end
// a message that way; our server (src/node/zlib-compressor.ts) and ws inflate it (see
// test/web/client.test.js).
//
// Receiving: the peer's message is a sync-flushed DEFLATE stream without its tail. We
// append the tail 00 00 FF FF and an empty fixed-Huffman block with BFINAL set (03 00),
// so the DecompressionStream sees a complete stream and ends cleanly. A peer that ended
// its message with a BFINAL block itself leaves our six bytes as junk after the end,
// which some runtimes reject: then the message alone is inflated once more.

import { CloseCode } from '../codec/constants.js';
import { ProtocolError, tooBig } from '../codec/errors.js';
import type { DeflateCallback, MessageCompressor, PerMessageDeflateOptions } from '../protocol/deflate.js';

/**
 * What we offer: no context takeover either way (a fresh stream per message), and no
 * client_max_window_bits, because CompressionStream always uses a 32 KiB window and so
 * cannot honour a smaller one. The server may still cap its own window: inflating
 * with 32 KiB reads any smaller one.
 */
export const WEB_DEFLATE_OPTIONS: PerMessageDeflateOptions = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  clientMaxWindowBits: false,
};

const MESSAGE_END = new Uint8Array([0x00, 0x00, 0xff, 0xff, 0x03, 0x00]);
const EMPTY = new Uint8Array(0);
const noop = () => {};

type Codec = CompressionStream | DecompressionStream;

const runtime = globalThis as unknown as {
  CompressionStream?: new (format: string) => CompressionStream;
  DecompressionStream?: new (format: string) => DecompressionStream;
};

/** Whether this runtime has CompressionStream and DecompressionStream with 'deflate-raw'. */
export function deflateRawStreamsAvailable(): boolean {
  const C = runtime.CompressionStream;
  const D = runtime.DecompressionStream;
  if (typeof C !== 'function' || typeof D !== 'function') return false;
  try {
    // Older runtimes have the classes but only 'gzip' and 'deflate': the constructor throws.
    new C('deflate-raw');
    new D('deflate-raw');
    return true;
  } catch {
    return false;
  }
}

interface Op {
  cb: DeflateCallback;
  done: boolean;
  err: Error | null;
  out: Uint8Array | undefined;
}

class StreamDeflate implements MessageCompressor {
  private closed = false;
  /** Every call in the order made: results are handed back in this order (the contract). */
  private readonly order: Op[] = [];
  private delivering = false;
  /** Fragments of an outgoing message so far (no flush: the message is compressed at its end). */
  private fragments: Uint8Array[] = [];

  constructor(private readonly maxPayload: number) {}

  compress(data: Uint8Array, fin: boolean, callback: DeflateCallback): void {
    if (this.closed) return;
    const op = this.enqueue(callback);
    if (!fin) {
      // Without a flush there is nothing to send yet; the first fragment still carries
      // RSV1 and the whole DEFLATE stream goes out with the last one.
      const copy = new Uint8Array(data.byteLength); // not data.slice(): a Buffer's is a view
      copy.set(data);
      this.fragments.push(copy);
      void Promise.resolve().then(() => this.settle(op, null, EMPTY));
      return;
    }
    const input = this.fragments.length > 0 ? [...this.fragments, data] : [data];
    this.fragments = [];
    this.run(new runtime.CompressionStream!('deflate-raw'), input, 0).then(
      (out) => this.settle(op, null, out),
      (err: unknown) =>
        this.settle(
          op,
          new ProtocolError(`Compression failed: ${messageOf(err)}`, CloseCode.InternalError, 'WS_ERR_COMPRESSION_FAILED'),
          undefined,
        ),
    );
  }

  decompress(data: Uint8Array, callback: DeflateCallback): void {
    if (this.closed) return;
    const op = this.enqueue(callback);
    this.inflate(data).then(
      (out) => this.settle(op, null, out),
      (err: Error) => this.settle(op, err, undefined),
    );
  }

  close(): void {
    this.closed = true;
    this.order.length = 0;
    this.fragments = [];
  }

  private async inflate(data: Uint8Array): Promise<Uint8Array> {
    const D = runtime.DecompressionStream!;
    try {
      return await this.run(new D('deflate-raw'), [data, MESSAGE_END], this.maxPayload);
    } catch (err) {
      if (err instanceof ProtocolError || this.closed) throw err;
    }
    // The message may end in a BFINAL block of its own (RFC 7692 §7.2.3.3): without our
    // tail it is a complete stream. Corrupt data fails this way too.
    try {
      return await this.run(new D('deflate-raw'), [data], this.maxPayload);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(`Invalid compressed data: ${messageOf(err)}`, CloseCode.InvalidPayload, 'WS_ERR_INVALID_COMPRESSED_DATA');
    }
  }

  /** Pushes `input` through `stream` and collects the output; past `limit` (0: none) fails with 1009. */
  private async run(stream: Codec, input: Uint8Array[], limit: number): Promise<Uint8Array> {
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    // Not awaited: writes settle as the reader pulls, and a failure surfaces in read().
    for (const chunk of input) writer.write(chunk as Uint8Array<ArrayBuffer>).catch(noop);
    writer.close().catch(noop);
    const parts: Uint8Array[] = [];
    let total = 0;
    // Bounded by the input: the stream ends after it (or fails, or we cancel).
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (this.closed) {
        reader.cancel().catch(noop);
        throw new Error('The connection is closed');
      }
      total += value.byteLength;
      if (limit > 0 && total > limit) {
        // Stop here: the rest of a possible deflate bomb is never produced.
        reader.cancel().catch(noop);
        throw tooBig();
      }
      parts.push(value);
    }
    return join(parts, total);
  }

  private enqueue(cb: DeflateCallback): Op {
    const op: Op = { cb, done: false, err: null, out: undefined };
    this.order.push(op);
    return op;
  }

  private settle(op: Op, err: Error | null, out: Uint8Array | undefined): void {
    if (this.closed) return;
    op.done = true;
    op.err = err;
    op.out = out;
    if (this.delivering) return; // the loop below is running further up the stack
    this.delivering = true;
    try {
      const order = this.order;
      while (!this.closed && order.length > 0 && order[0].done) {
        const first = order.shift()!;
        if (first.err) first.cb(first.err);
        else first.cb(null, first.out);
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** A MessageCompressor for parameters negotiated from WEB_DEFLATE_OPTIONS. */
export function createStreamCompressor(maxPayload: number): MessageCompressor {
  return new StreamDeflate(maxPayload);
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
