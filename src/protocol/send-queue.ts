// A connection's one ordered send queue (the model is ws's sender with its single state).
// Everything sent leaves in call order. A send whose bytes are not ready yet — a Blob being
// read, a message being compressed — waits at the head, and everything behind it waits
// too; while nothing waits, a frame is written at once and never touches the queue.
//
// One exception to strict call order, required by RFC 6455 §5.4: frames encoded elsewhere
// (a broadcast) that arrive while a fragmented message is being sent may not come between
// its fragments. They are "parked" at the tail until the message's last fragment is
// queued; fragments and control frames queued meanwhile go ahead of them.

import { CloseCode, type Opcode } from '../codec/constants.js';
import { encodeFrame } from '../codec/encoder.js';
import { ProtocolError } from '../codec/errors.js';
import type { MessageCompressor } from './deflate.js';
import type { Transport, WriteCallback } from './transport.js';

/** The part of a Blob a send needs (Node's and the web's Blob both have it). */
export interface BlobLike {
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A frame's header decisions, made when send() is called (order matters for fragments). */
export interface FrameHeader {
  opcode: number;
  fin: boolean;
  /** RSV1: the first frame of a compressed message. */
  rsv1: boolean;
  mask: boolean;
}

/** What waits in the queue. */
export type Outgoing =
  /** A frame ready to encode and write. */
  | { kind: 'frame'; header: FrameHeader; data: Uint8Array; callback: WriteCallback | undefined }
  /** A fragment of a compressed message: compressed when its turn comes, then written. */
  | { kind: 'deflate'; header: FrameHeader; data: Uint8Array; callback: WriteCallback | undefined }
  /** A Blob read when its turn comes; `then` says what its bytes become (a frame or a deflate). */
  | { kind: 'blob'; blob: BlobLike; then: (bytes: Uint8Array) => Outgoing; callback: WriteCallback | undefined }
  /** Frames encoded elsewhere (a broadcast); `afterWrite` runs once they are handed to the transport. */
  | { kind: 'encoded'; frames: Uint8Array[]; bytes: number; afterWrite: (() => void) | undefined; callback: WriteCallback | undefined }
  /** EOF (TCP half-close) after everything before it. */
  | { kind: 'end' };

/** Bytes an item counts in bufferedAmount while it waits. */
function sizeOf(item: Outgoing): number {
  switch (item.kind) {
    case 'frame':
    case 'deflate':
      return item.data.length;
    case 'blob':
      return item.blob.size;
    case 'encoded':
      return item.bytes;
    case 'end':
      return 0;
  }
}

/** ws's words for a send dropped because the connection went while `waited` was pending. */
function droppedMessage(waited: Outgoing | null): string {
  if (waited?.kind === 'deflate') return 'The socket was closed while data was being compressed';
  if (waited?.kind === 'blob') return 'The socket was closed while the blob was being read';
  return 'The connection is closed';
}

export interface SendQueueOptions {
  transport: Transport;
  compressor: MessageCompressor | undefined;
  /** Fills each frame's 4-byte mask key (ws's client option); default: the encoder's random keys. */
  generateMask: ((key: Uint8Array) => void) | undefined;
  /** A compression or a Blob read failed: the connection must fail (the send's callback was told). */
  onFailure(err: ProtocolError): void;
}

export class SendQueue {
  /** Bytes accepted and not yet handed to the transport (the transport counts the rest). */
  bufferedBytes = 0;
  private readonly items: Outgoing[] = [];
  /** How many items at the tail are parked behind the fragmented message being sent. */
  private parked = 0;
  /** The item whose bytes are being produced (a compression or a Blob read); the queue waits for it. */
  private waitingFor: Outgoing | null = null;
  /** The transport is gone: writes fail at once. */
  private gone = false;

  constructor(private readonly options: SendQueueOptions) {}

  /** Queues a frame, or writes it now when nothing waits ahead of it (no allocation then). */
  frame(opcode: number, data: Uint8Array, fin: boolean, rsv1: boolean, mask: boolean, callback?: WriteCallback): void {
    if (this.isIdle()) this.writeFrame(opcode, data, fin, rsv1, mask, callback);
    else this.add({ kind: 'frame', header: { opcode, fin, rsv1, mask }, data, callback });
  }

  /** Queues a fragment of a compressed message. */
  deflate(header: FrameHeader, data: Uint8Array, callback?: WriteCallback): void {
    this.add({ kind: 'deflate', header, data, callback });
  }

  /** Queues reading `blob`; when it is read, `then` turns its bytes into the send that follows. */
  blob(blob: BlobLike, then: (bytes: Uint8Array) => Outgoing, callback?: WriteCallback): void {
    this.add({ kind: 'blob', blob, then, callback });
  }

  /** Queues frames encoded elsewhere; `park` while a fragmented message is being sent. */
  encoded(frames: Uint8Array[], park: boolean, afterWrite?: () => void, callback?: WriteCallback): void {
    let bytes = 0;
    for (const frame of frames) bytes += frame.length;
    const item: Outgoing = { kind: 'encoded', frames, bytes, afterWrite, callback };
    if (!park) {
      this.add(item);
      return;
    }
    this.bufferedBytes += bytes;
    this.items.push(item);
    this.parked++;
  }

  /** EOF once everything queued so far is written. */
  end(): void {
    this.add({ kind: 'end' });
  }

  /** The fragmented message is complete: parked frames take their place in line. */
  unpark(): void {
    if (this.parked === 0) return;
    this.parked = 0;
    this.pump();
  }

  /**
   * The transport is gone: every send still waiting hears why (ws's words, which name
   * what was pending), and later writes fail at once.
   */
  drop(): void {
    this.gone = true;
    this.dropAll(droppedMessage(this.waitingFor));
  }

  /** Whether a frame queued now would be written at once. */
  private isIdle(): boolean {
    return this.waitingFor === null && this.items.length === this.parked;
  }

  private add(item: Outgoing): void {
    this.bufferedBytes += sizeOf(item);
    if (this.parked === 0) this.items.push(item);
    else this.items.splice(this.items.length - this.parked, 0, item);
    this.pump();
  }

  /** Runs items from the head until one must wait (or only parked ones are left). */
  private pump(): void {
    // Bounded by the queue: each turn removes one item. A write may queue more re-entrantly
    // (a send callback sending again); the nested pump keeps the order, this one re-checks.
    while (this.waitingFor === null && this.items.length > this.parked) {
      const item = this.items.shift()!;
      switch (item.kind) {
        case 'frame':
          this.bufferedBytes -= item.data.length;
          this.writeFrame(item.header.opcode, item.data, item.header.fin, item.header.rsv1, item.header.mask, item.callback);
          break;
        case 'encoded':
          this.bufferedBytes -= item.bytes;
          this.writeEncoded(item);
          break;
        case 'end':
          if (!this.gone) this.options.transport.end();
          break;
        case 'deflate':
          this.startDeflate(item);
          break;
        case 'blob':
          this.startBlobRead(item);
          break;
      }
    }
  }

  private startDeflate(item: Extract<Outgoing, { kind: 'deflate' }>): void {
    this.waitingFor = item;
    this.options.compressor!.compress(item.data, item.header.fin, (err, compressed) => {
      if (!this.endWait(item)) return;
      if (err) {
        this.failWith(
          item,
          err,
          err instanceof ProtocolError
            ? err
            : new ProtocolError(`Compression failed: ${err.message}`, CloseCode.InternalError, 'WS_ERR_COMPRESSION_FAILED'),
        );
        return;
      }
      const { opcode, fin, rsv1, mask } = item.header;
      this.writeFrame(opcode, compressed!, fin, rsv1, mask, item.callback);
      this.pump();
    });
  }

  private startBlobRead(item: Extract<Outgoing, { kind: 'blob' }>): void {
    this.waitingFor = item;
    item.blob.arrayBuffer().then(
      (buffer) => {
        if (!this.endWait(item)) return;
        // Its bytes go first, ahead of everything that waited behind the read.
        const next = item.then(new Uint8Array(buffer));
        this.bufferedBytes += sizeOf(next);
        this.items.unshift(next);
        this.pump();
      },
      (err: Error) => {
        if (!this.endWait(item)) return;
        this.failWith(
          item,
          err,
          new ProtocolError(`Reading a Blob failed: ${err.message}`, CloseCode.InternalError, 'WS_ERR_BLOB_READ_FAILED'),
        );
      },
    );
  }

  /**
   * The wait for `item` is over. False when nothing more may happen for it: the transport
   * went first (drop() told its callback), or was destroyed meanwhile (terminate(), not yet
   * reported closed): then it and every send behind it are dropped with ws's words.
   */
  private endWait(item: Outgoing): boolean {
    if (this.waitingFor !== item) return false;
    this.waitingFor = null;
    this.bufferedBytes -= sizeOf(item);
    if (this.options.transport.isDestroyed?.()) {
      const message = droppedMessage(item);
      if (item.kind !== 'end') item.callback?.(new Error(message));
      this.dropAll(message);
      return false;
    }
    return true;
  }

  /** A compression or a Blob read failed: that send and every send behind it hear the error, then the connection fails. */
  private failWith(item: Outgoing, err: Error, failure: ProtocolError): void {
    if (item.kind !== 'end') item.callback?.(err);
    const behind = this.items.splice(0);
    this.parked = 0;
    this.bufferedBytes = 0;
    for (const queued of behind) if (queued.kind !== 'end') queued.callback?.(err);
    this.options.onFailure(failure);
  }

  private dropAll(message: string): void {
    const inFlight = this.waitingFor;
    const dropped = this.items.splice(0);
    this.waitingFor = null;
    this.parked = 0;
    this.bufferedBytes = 0;
    if (inFlight !== null && inFlight.kind !== 'end') inFlight.callback?.(new Error(message));
    for (const item of dropped) if (item.kind !== 'end') item.callback?.(new Error(message));
  }

  private writeFrame(opcode: number, data: Uint8Array, fin: boolean, rsv1: boolean, mask: boolean, callback?: WriteCallback): void {
    if (this.gone) {
      callback?.(new Error('The connection is closed'));
      return;
    }
    const frame = encodeFrame(opcode as Opcode, data, { fin, rsv1, mask: mask && this.maskKey() });
    this.options.transport.write(frame, callback);
  }

  private writeEncoded(item: Extract<Outgoing, { kind: 'encoded' }>): void {
    if (this.gone) {
      item.callback?.(new Error('The connection is closed'));
      return;
    }
    this.options.transport.write(item.frames, item.callback);
    item.afterWrite?.();
  }

  /** true: the encoder's pooled CSPRNG key; with generateMask, a key it filled (ws's option). */
  private maskKey(): true | Uint8Array {
    const generate = this.options.generateMask;
    if (generate === undefined) return true;
    const key = new Uint8Array(4);
    generate(key);
    return key;
  }
}

/** A data frame that was waiting for its bytes (a Blob's): written as is. */
export function frameOf(header: FrameHeader, data: Uint8Array, callback: WriteCallback | undefined): Outgoing {
  return { kind: 'frame', header, data, callback };
}

/** A fragment that was waiting for its bytes (a Blob's): compressed, then written. */
export function deflateOf(header: FrameHeader, data: Uint8Array, callback: WriteCallback | undefined): Outgoing {
  return { kind: 'deflate', header, data, callback };
}
