// One WebSocket connection after the handshake, sans-I/O: bytes in through receive(),
// bytes out through a Transport, events out through ConnectionEvents. It owns the rules
// that span frames: the closing handshake both ways, auto-pong and its flood guard,
// failing with the right close code, and permessage-deflate's ordering (a compressed
// message holds back everything behind it until it is inflated; a compressed send holds
// back every later frame until it is deflated).

import { isValidUtf8 } from '../backend/js.js';
import type { Backend } from '../backend/types.js';
import { encodeClosePayload } from '../codec/close.js';
import { CloseCode, Opcode } from '../codec/constants.js';
import { FrameDecoder } from '../codec/decoder.js';
import { encodeFrame } from '../codec/encoder.js';
import { invalidUtf8, ProtocolError } from '../codec/errors.js';
import type { MessageCompressor } from './deflate.js';

export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

export type WriteCallback = (err?: Error | null) => void;

/** What the connection needs from whatever carries its bytes. */
export interface Transport {
  /** Writes the chunks in order, as one write where the transport can. */
  write(chunks: Uint8Array[], callback?: WriteCallback): void;
  /** Sends EOF after what is written (TCP half-close); reading goes on. */
  end(): void;
  /** Drops the connection now. */
  destroy(): void;
  /** Backpressure on receive: stop / start delivering bytes to receive(). */
  pauseReading(): void;
  resumeReading(): void;
  /**
   * Bytes written that the other side has not taken yet (a socket's write queue). The
   * ping-flood guard only trips while this is above 0: pongs that are merely waiting
   * for the end of a read are not a flood. Without it, the pong count alone decides.
   */
  writeBacklog?(): number;
  /** Whether the transport was destroyed (before it reports closed): nothing more can be written. */
  isDestroyed?(): boolean;
}

export interface ConnectionEvents {
  message(data: Uint8Array, isBinary: boolean): void;
  ping(data: Uint8Array): void;
  pong(data: Uint8Array): void;
  /** A protocol error (or a failed inflate); the connection is already closing. */
  error(err: Error): void;
  /** The transport is gone and everything received before has been delivered. */
  closed(code: number, reason: string): void;
}

export interface ConnectionOptions {
  role: 'server' | 'client';
  maxPayload?: number;
  skipUtf8Validation?: boolean;
  /** Answer pings automatically (default true). */
  autoPong?: boolean;
  /** Auto-pongs not yet flushed to the transport before the peer counts as flooding (default 128). */
  maxPendingPongs?: number;
  /** After our close frame, how long to wait for the transport to close (default 30 s). */
  closeTimeout?: number;
  /** The negotiated permessage-deflate state, if any. */
  compressor?: MessageCompressor;
  /** Messages under this many bytes go out uncompressed (default 1024). */
  compressThreshold?: number;
  backend?: Backend;
  /** Fills each frame's 4-byte mask key (ws's client option); default: random keys. */
  generateMask?: (key: Uint8Array) => void;
}

const enum Kind {
  Message,
  Inflate,
  Ping,
  Pong,
  Close,
  Error,
}

interface Pending {
  kind: Kind;
  data?: Uint8Array;
  isBinary?: boolean;
  code?: number;
  reason?: string;
  error?: ProtocolError;
}

const EMPTY = new Uint8Array(0);

/** A send waiting its turn; its callback hears an error if the connection goes first. */
interface QueuedSend {
  bytes: number;
  run(): void;
  callback?: WriteCallback;
}

const enum Wait {
  Nothing,
  Compression,
  Blob,
}

/** The part of a Blob a send needs (Node's and the web's Blob both have it). */
export interface BlobLike {
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A data frame's header decisions, made when send() is called (order matters for fragments). */
interface FramePlan {
  opcode: number;
  fin: boolean;
  compressed: boolean;
  rsv1: boolean;
  mask: boolean;
}

function droppedMessage(waited: Wait): string {
  if (waited === Wait.Compression) return 'The socket was closed while data was being compressed';
  if (waited === Wait.Blob) return 'The socket was closed while the blob was being read';
  return 'The connection is closed';
}

export interface SendFlags {
  compress?: boolean;
  fin?: boolean;
  /** Mask this frame (default: the role's rule, clients mask); ws's `mask` send option. */
  mask?: boolean;
}
const NO_FLAGS: SendFlags = {};

export class Connection {
  readyState: ReadyState = ReadyState.OPEN;
  /** The code and reason of the peer's close frame; 1006 until one arrives. */
  closeCode: number = CloseCode.Abnormal;
  closeReason = '';
  closeFrameSent = false;
  closeFrameReceived = false;
  /** Bytes accepted by send() that wait behind a compression (the transport counts the rest). */
  queuedBytes = 0;

  private readonly decoder: FrameDecoder;
  private readonly maskFrames: boolean;
  private readonly generateMask: ((key: Uint8Array) => void) | undefined;
  private readonly autoPong: boolean;
  private readonly maxPendingPongs: number;
  private readonly closeTimeout: number;
  private readonly compressor: MessageCompressor | undefined;
  private readonly threshold: number;
  private readonly validateUtf8: boolean;

  // Receive side: events held back by an inflation or by pause().
  private readonly inbox: Pending[] = [];
  private inflating = false;
  private paused = false;
  private readingPaused = false;
  private transportGone = false;
  // Send side: frames held back while an earlier send waits for its bytes (a compression,
  // or a Blob being read). `waitingFor` says which, for the error a dropped send gets.
  private outbox: QueuedSend[] = [];
  private waitingFor: Wait = Wait.Nothing;
  /** The callback of the send being waited for: told at once if the transport goes first. */
  private waitingCallback: WriteCallback | undefined;
  private waitingBytes = 0;
  private sendingOpcode = 0;
  private sendingCompressed = false;
  // Broadcast writes that came while send() was in the middle of a fragmented message (fin
  // false): a data frame may not come between its fragments (RFC 6455 §5.4), so they wait
  // for the last fragment. Their bytes count in queuedBytes (bufferedAmount) meanwhile.
  private heldForFragments: QueuedSend[] = [];
  private pendingPongs = 0;
  private flooded = false;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly events: ConnectionEvents,
    options: ConnectionOptions,
  ) {
    this.maskFrames = options.role === 'client';
    this.generateMask = options.generateMask;
    this.autoPong = options.autoPong !== false;
    this.maxPendingPongs = options.maxPendingPongs ?? 128;
    this.closeTimeout = options.closeTimeout ?? 30_000;
    this.compressor = options.compressor;
    this.threshold = options.compressThreshold ?? 1024;
    this.validateUtf8 = !options.skipUtf8Validation;
    this.decoder = new FrameDecoder(
      {
        role: options.role,
        maxPayload: options.maxPayload,
        skipUtf8Validation: options.skipUtf8Validation,
        allowRsv1: this.compressor !== undefined,
        backend: options.backend,
      },
      this,
    );
  }

  // ---- the decoder's events (methods, not closures: a server keeps thousands of these) ----

  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    if (compressed) this.hold({ kind: Kind.Inflate, data, isBinary });
    else if (this.inbox.length === 0 && !this.paused) this.events.message(data, isBinary);
    else this.hold({ kind: Kind.Message, data, isBinary });
  }

  onPing(data: Uint8Array): void {
    this.deliver({ kind: Kind.Ping, data });
  }

  onPong(data: Uint8Array): void {
    this.deliver({ kind: Kind.Pong, data });
  }

  onClose(code: number, reason: string): void {
    this.deliver({ kind: Kind.Close, code, reason });
  }

  onError(error: ProtocolError): void {
    this.deliver({ kind: Kind.Error, error });
  }

  /** Bytes from the transport. Takes ownership of `chunk` (it may be unmasked in place). */
  receive(chunk: Uint8Array): void {
    this.decoder.push(chunk);
  }

  /** Whether receive() has stopped delivering (user pause or a backlog). */
  get isPaused(): boolean {
    return this.paused;
  }

  // ---- receive side ----

  private deliver(item: Pending): void {
    if (this.inbox.length === 0 && !this.paused) this.dispatch(item);
    else this.hold(item);
  }

  private hold(item: Pending): void {
    this.inbox.push(item);
    if (!this.readingPaused && !this.transportGone) {
      // Stop reading until the backlog is delivered: nothing received may pile up unbounded.
      this.readingPaused = true;
      this.transport.pauseReading();
    }
    this.drain();
  }

  private dispatch(item: Pending): void {
    switch (item.kind) {
      case Kind.Message:
        this.events.message(item.data!, item.isBinary!);
        break;
      case Kind.Ping:
        if (this.autoPong) this.answerPing(item.data!);
        this.events.ping(item.data!);
        break;
      case Kind.Pong:
        this.events.pong(item.data!);
        break;
      case Kind.Close:
        this.peerClosed(item.code!, item.reason!);
        break;
      case Kind.Error:
        this.fail(item.error!);
        break;
    }
  }

  private drain(): void {
    const inbox = this.inbox;
    // Once the transport is gone everything received is delivered, paused or not (as in
    // ws, which reads the socket's last bytes on close); isPaused still says what the user set.
    while (inbox.length > 0 && (!this.paused || this.transportGone) && !this.inflating) {
      const item = inbox[0];
      if (item.kind === Kind.Inflate) {
        this.inflate(item);
        return;
      }
      inbox.shift();
      this.dispatch(item);
    }
    if (inbox.length > 0 || this.inflating) return;
    if (this.transportGone) this.finishClose();
    else if (this.readingPaused && !this.paused) {
      this.readingPaused = false;
      this.transport.resumeReading();
    }
  }

  private inflate(item: Pending): void {
    this.inflating = true;
    this.compressor!.decompress(item.data!, (err, data) => {
      this.inflating = false;
      if (this.readyState === ReadyState.CLOSED) return;
      if (err) {
        item.kind = Kind.Error;
        item.error =
          err instanceof ProtocolError ? err : new ProtocolError(err.message, CloseCode.InvalidPayload, 'WS_ERR_INVALID_COMPRESSED_DATA');
      } else if (!item.isBinary && this.validateUtf8 && !isValidUtf8(data!)) {
        item.kind = Kind.Error;
        item.error = invalidUtf8('a compressed text message');
      } else {
        item.kind = Kind.Message;
        item.data = data;
      }
      this.drain();
    });
  }

  private answerPing(data: Uint8Array): void {
    if (this.closeFrameSent || this.flooded) return;
    const transport = this.transport;
    if (this.pendingPongs >= this.maxPendingPongs && (transport.writeBacklog === undefined || transport.writeBacklog() > 0)) {
      // The peer pings faster than it reads our pongs: every answer would only queue up.
      // No close frame: a peer that does not read would never see it. The rest of the
      // read is dropped with the connection, so this is reported once.
      this.flooded = true;
      this.readyState = ReadyState.CLOSING;
      this.decoder.stop();
      this.events.error(new ProtocolError('Ping flood: pongs are not being read', CloseCode.PolicyViolation, 'WS_ERR_PING_FLOOD'));
      transport.destroy();
      return;
    }
    this.pendingPongs++;
    this.sendControl(Opcode.Pong, data, () => this.pendingPongs--);
  }

  private peerClosed(code: number, reason: string): void {
    this.closeFrameReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeFrameSent) {
      // Echo the peer's status (RFC 6455 §5.5.1), as ws does.
      if (code === CloseCode.NoStatus) this.sendClose(undefined, '');
      else this.sendClose(code, reason);
    }
    this.readyState = ReadyState.CLOSING;
    this.endAfterWrites();
    this.startCloseTimer();
  }

  /** Fail the connection (RFC 6455 §7.1.7): close frame with the error's code, then close. */
  private fail(err: ProtocolError): void {
    if (this.readyState === ReadyState.CLOSED) return;
    if (!this.closeFrameSent) this.sendClose(err.closeCode, '');
    this.readyState = ReadyState.CLOSING;
    this.decoder.stop();
    this.endAfterWrites();
    this.startCloseTimer();
    this.events.error(err);
  }

  // ---- send side ----

  /**
   * Sends a data message or, with fin false, a fragment of one. Compression is decided by
   * the first fragment (deflate negotiated, `compress` not false, at least the threshold).
   */
  send(data: Uint8Array, isBinary: boolean, options: SendFlags = NO_FLAGS, callback?: WriteCallback): void {
    // The common case (uncompressed) decides the header in locals: no plan object per message.
    const fin = options.fin !== false;
    const opcode = this.nextOpcode(data.length, isBinary, fin, options);
    const mask = options.mask ?? this.maskFrames;
    if (!this.sendingCompressed) this.writeInOrder(opcode, data, fin, mask, callback);
    else this.sendPlanned(this.planOf(opcode, fin, mask), data, callback);
    if (fin) this.releaseHeldForFragments();
  }

  /**
   * Sends a Blob's bytes as send() would, in order with everything sent before and after:
   * later frames wait while it is read (as in ws).
   */
  sendBlob(blob: BlobLike, isBinary: boolean, options: SendFlags = NO_FLAGS, callback?: WriteCallback): void {
    // Decided now, in call order (a later send may continue a fragmented message).
    const fin = options.fin !== false;
    const plan = this.planOf(this.nextOpcode(blob.size, isBinary, fin, options), fin, options.mask ?? this.maskFrames);
    this.afterBlob(blob, callback, (bytes) => this.sendPlanned(plan, bytes, callback));
    if (fin) this.releaseHeldForFragments();
  }

  /** A ping or pong whose payload is a Blob (at most 125 bytes: the caller checked). */
  sendControlBlob(opcode: typeof Opcode.Ping | typeof Opcode.Pong, blob: BlobLike, callback?: WriteCallback, mask = this.maskFrames): void {
    this.afterBlob(blob, callback, (bytes) => this.sendControl(opcode, bytes, callback, mask));
  }

  /** Queues reading `blob`; `write` sends its bytes when it is this send's turn. */
  private afterBlob(blob: BlobLike, callback: WriteCallback | undefined, write: (bytes: Uint8Array) => void): void {
    this.enqueue(
      blob.size,
      () => {
        this.startWait(Wait.Blob, blob.size, callback);
        blob.arrayBuffer().then(
          (buffer) => this.resumeAfterWait(callback, () => write(new Uint8Array(buffer))),
          (err: Error) =>
            this.resumeAfterWait(callback, () => {
              callback?.(err);
              this.fail(new ProtocolError(`Reading a Blob failed: ${err.message}`, CloseCode.InternalError, 'WS_ERR_BLOB_READ_FAILED'));
            }),
        );
      },
      callback,
    );
  }

  /**
   * The opcode of the next data frame (Continuation inside a fragmented message). The first
   * fragment decides whether the message is compressed (sendingCompressed).
   */
  private nextOpcode(size: number, isBinary: boolean, fin: boolean, options: SendFlags): number {
    let opcode: number = Opcode.Continuation;
    if (this.sendingOpcode === 0) {
      opcode = isBinary ? Opcode.Binary : Opcode.Text;
      this.sendingCompressed = this.compressor !== undefined && options.compress !== false && size >= this.threshold;
    }
    this.sendingOpcode = fin ? 0 : opcode || this.sendingOpcode;
    return opcode;
  }

  /** The frame decisions kept for a send that waits (a compression or a Blob read). RSV1 marks the first fragment only. */
  private planOf(opcode: number, fin: boolean, mask: boolean): FramePlan {
    const compressed = this.sendingCompressed;
    return { opcode, fin, compressed, rsv1: compressed && opcode !== Opcode.Continuation, mask };
  }

  private sendPlanned(plan: FramePlan, data: Uint8Array, callback?: WriteCallback): void {
    if (!plan.compressed) this.writeInOrder(plan.opcode, data, plan.fin, plan.mask, callback);
    else this.enqueueCompressed(plan, data, callback);
  }

  /** Later sends wait until resumeAfterWait; the bytes count in bufferedAmount meanwhile. */
  private startWait(kind: Wait, bytes: number, callback: WriteCallback | undefined): void {
    this.waitingFor = kind;
    this.waitingCallback = callback;
    this.waitingBytes = bytes;
    this.queuedBytes += bytes;
  }

  private releaseHeldForFragments(): void {
    if (this.heldForFragments.length === 0) return;
    const held = this.heldForFragments;
    this.heldForFragments = [];
    for (const item of held) {
      this.queuedBytes -= item.bytes;
      item.run();
    }
  }

  private enqueueCompressed({ opcode, fin, rsv1, mask }: FramePlan, data: Uint8Array, callback?: WriteCallback): void {
    this.enqueue(data.length, () => {
      this.startWait(Wait.Compression, data.length, callback);
      this.compressor!.compress(data, fin, (err, compressed) => {
        this.resumeAfterWait(callback, () => {
          if (err) {
            callback?.(err);
            this.fail(
              err instanceof ProtocolError
                ? err
                : new ProtocolError(`Compression failed: ${err.message}`, CloseCode.InternalError, 'WS_ERR_COMPRESSION_FAILED'),
            );
          } else {
            this.writeFrame(opcode, compressed!, fin, rsv1, mask, callback);
          }
        });
      });
    });
  }

  /**
   * The end of a wait (a compression or a Blob read): `write` puts out the frame that
   * waited, ahead of everything queued behind it, then the queue moves on. If the
   * transport went away meanwhile, the callback hears so (ws's words) and nothing is written.
   */
  private resumeAfterWait(callback: WriteCallback | undefined, write: () => void): void {
    const waited = this.waitingFor;
    this.waitingFor = Wait.Nothing;
    this.waitingCallback = undefined;
    this.queuedBytes -= this.waitingBytes;
    this.waitingBytes = 0;
    // transportClosed() already told the callback.
    if (this.transportGone) return;
    if (this.transport.isDestroyed?.()) {
      // Destroyed (terminate()) but not yet reported closed: drop this send and what waits behind it.
      const message = droppedMessage(waited);
      callback?.(new Error(message));
      const behind = this.outbox;
      this.outbox = [];
      for (const item of behind) {
        this.queuedBytes -= item.bytes;
        item.callback?.(new Error(message));
      }
      return;
    }
    const behind = this.outbox;
    this.outbox = [];
    write();
    this.outbox.push(...behind);
    this.flushOutbox();
  }

  ping(data: Uint8Array = EMPTY, callback?: WriteCallback, mask = this.maskFrames): void {
    this.sendControl(Opcode.Ping, data, callback, mask);
  }

  pong(data: Uint8Array = EMPTY, callback?: WriteCallback, mask = this.maskFrames): void {
    this.sendControl(Opcode.Pong, data, callback, mask);
  }

  /** Writes frames encoded elsewhere (a broadcast), in order with everything else sent. */
  sendFrames(frames: Uint8Array[], callback?: WriteCallback): void {
    this.afterFragments(frames, callback, () => this.enqueue(0, () => this.transport.write(frames, callback), callback));
  }

  /** Runs `write` now, or once the fragmented message being sent is complete. */
  private afterFragments(frames: Uint8Array[], callback: WriteCallback | undefined, write: () => void): void {
    if (this.sendingOpcode === 0) {
      write();
      return;
    }
    let bytes = 0;
    for (const frame of frames) bytes += frame.length;
    this.queuedBytes += bytes;
    this.heldForFragments.push({ bytes, run: write, callback });
  }

  /**
   * Writes the frames of a message compressed elsewhere (RSV1 set; a broadcast compresses
   * once for many connections), in order with everything else sent — behind any pending
   * compression, like send(). The peer's inflater window then holds that message, which
   * our compressor never saw, so once the frames are written the compressor is told to
   * start its next message from an empty window (RFC 7692 §7.2.1 context takeover must
   * agree on both ends). Only valid when this connection negotiated permessage-deflate and
   * the message never references earlier data (a fresh deflate stream).
   */
  sendPrecompressed(frames: Uint8Array[], callback?: WriteCallback): void {
    const compressor = this.compressor;
    if (compressor === undefined || compressor.forgetContext === undefined) {
      throw new Error('sendPrecompressed needs a permessage-deflate compressor with forgetContext()');
    }
    // forgetContext() runs inside the queued step: every compress() called before it (sends
    // still waiting in the outbox) keeps the context, the first one called after it resets.
    this.afterFragments(frames, callback, () =>
      this.enqueue(
        0,
        () => {
          this.transport.write(frames, callback);
          compressor.forgetContext!();
        },
        callback,
      ),
    );
  }

  /**
   * Starts the closing handshake (or finishes it when the peer started it). Throws a
   * RangeError for a code or reason that may not be sent.
   */
  close(code?: number, reason = ''): void {
    if (this.readyState === ReadyState.CLOSED) return;
    if (this.closeFrameSent) return;
    this.sendClose(code, reason);
    this.readyState = ReadyState.CLOSING;
    if (this.closeFrameReceived) this.endAfterWrites();
    this.startCloseTimer();
  }

  pause(): void {
    this.paused = true;
    if (!this.readingPaused && !this.transportGone) {
      this.readingPaused = true;
      this.transport.pauseReading();
    }
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drain();
  }

  /** Drops the connection at once (ws's terminate()): CLOSING until the transport reports closed. */
  terminate(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSING;
    this.transport.destroy();
  }

  /** The peer sent EOF without (or after) its close frame. */
  transportEnded(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSING;
    this.endAfterWrites();
  }

  /** The transport is gone: deliver what is held back (inflations finish), then report closed. */
  transportClosed(): void {
    if (this.transportGone) return;
    this.transportGone = true;
    this.readyState = ReadyState.CLOSING;
    // Sends still queued never leave; their callbacks hear why, as in ws.
    const dropped = [...this.outbox, ...this.heldForFragments];
    const inFlight = this.waitingCallback;
    this.outbox = [];
    this.heldForFragments = [];
    this.waitingCallback = undefined;
    this.queuedBytes = 0;
    this.waitingBytes = 0;
    const message = droppedMessage(this.waitingFor);
    inFlight?.(new Error(message));
    for (const item of dropped) item.callback?.(new Error(message));
    this.drain();
  }

  private finishClose(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSED;
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.decoder.stop();
    this.compressor?.close();
    this.events.closed(this.closeCode, this.closeReason);
  }

  /** Queues our close frame; an invalid code or reason throws before anything changes. */
  private sendClose(code: number | undefined, reason: string): void {
    const payload = encodeClosePayload(code, reason);
    this.closeFrameSent = true;
    this.sendControl(Opcode.Close, payload);
  }

  private sendControl(opcode: number, data: Uint8Array, callback?: WriteCallback, mask = this.maskFrames): void {
    this.writeInOrder(opcode, data, true, mask, callback);
  }

  /** An uncompressed frame: written now when nothing waits (no queued closure), else queued. */
  private writeInOrder(opcode: number, data: Uint8Array, fin: boolean, mask: boolean, callback?: WriteCallback): void {
    if (this.waitingFor === Wait.Nothing && this.outbox.length === 0) this.writeFrame(opcode, data, fin, false, mask, callback);
    else this.enqueue(data.length, () => this.writeFrame(opcode, data, fin, false, mask, callback), callback);
  }

  /** Runs `run` now when nothing waits, else queues it (its callback hears if it is dropped). */
  private enqueue(bytes: number, run: () => void, callback?: WriteCallback): void {
    if (this.waitingFor === Wait.Nothing && this.outbox.length === 0) {
      run();
      return;
    }
    this.queuedBytes += bytes;
    this.outbox.push({ bytes, run, callback });
  }

  private flushOutbox(): void {
    while (this.waitingFor === Wait.Nothing && this.outbox.length > 0) {
      const item = this.outbox.shift()!;
      this.queuedBytes -= item.bytes;
      item.run();
    }
  }

  private writeFrame(opcode: number, data: Uint8Array, fin: boolean, rsv1: boolean, mask: boolean, callback?: WriteCallback): void {
    if (this.transportGone) {
      callback?.(new Error('The connection is closed'));
      return;
    }
    this.transport.write(encodeFrame(opcode as Opcode, data, { fin, rsv1, mask: mask && this.maskKey() }), callback);
  }

  /** true: the encoder's pooled CSPRNG key; with generateMask, a key it filled (ws's option). */
  private maskKey(): true | Uint8Array {
    if (this.generateMask === undefined) return true;
    const key = new Uint8Array(4);
    this.generateMask(key);
    return key;
  }

  /** EOF after everything queued so far (frames waiting on a compression go out first). */
  private endAfterWrites(): void {
    this.enqueue(0, () => {
      if (!this.transportGone) this.transport.end();
    });
  }

  private startCloseTimer(): void {
    if (this.closeTimer !== undefined || this.transportGone) return;
    this.closeTimer = setTimeout(() => this.transport.destroy(), this.closeTimeout);
  }
}
