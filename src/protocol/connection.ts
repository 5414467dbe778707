// One WebSocket connection after the handshake. Transport-agnostic, not sans-I/O: bytes
// come in through receive(), go out through a Transport it is given, events go out
// through ConnectionEvents, and its one timer (the close timeout) runs on an injected
// Clock. It owns the rules that span frames: the closing handshake both ways, auto-pong
// and its flood guard, failing with the right close code, and permessage-deflate's
// ordering (a compressed message holds back everything received behind it until it is
// inflated; a compressed send holds back every later send until it is deflated).
//
// Its state is one ConnectionState (connection-state.ts), changed only by moveTo(); its
// sends go through one ordered SendQueue (send-queue.ts).

import { isValidUtf8 } from '../backend/js.js';
import type { Backend } from '../backend/types.js';
import { encodeClosePayload } from '../codec/close.js';
import { CloseCode, Opcode } from '../codec/constants.js';
import { FrameDecoder } from '../codec/decoder.js';
import { invalidUtf8, ProtocolError } from '../codec/errors.js';
import { canMove, ConnectionState, InvalidStateError, READY_STATE, ReadyState } from './connection-state.js';
import type { MessageCompressor } from './deflate.js';
import { type BlobLike, deflateOf, type FrameHeader, frameOf, SendQueue } from './send-queue.js';
import { type Clock, systemClock, type Transport, type WriteCallback } from './transport.js';

export { ConnectionState, InvalidStateError, ReadyState };
export type { BlobLike, Clock, Transport, WriteCallback };

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
  /** The timers (default: the platform's); tests pass one they control. */
  clock?: Clock;
  /** The negotiated permessage-deflate state, if any. */
  compressor?: MessageCompressor;
  /** Messages under this many bytes go out uncompressed (default 1024). */
  compressThreshold?: number;
  backend?: Backend;
  /** Fills each frame's 4-byte mask key (ws's client option); default: random keys. */
  generateMask?: (key: Uint8Array) => void;
}

/** What the decoder read, in order, while it waits to be delivered (behind an inflation or pause()). */
type Received =
  | { kind: 'message'; data: Uint8Array; isBinary: boolean }
  | { kind: 'inflate'; data: Uint8Array; isBinary: boolean }
  | { kind: 'ping'; data: Uint8Array }
  | { kind: 'pong'; data: Uint8Array }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'error'; error: ProtocolError };

const EMPTY = new Uint8Array(0);

export interface SendFlags {
  compress?: boolean;
  fin?: boolean;
  /** Mask this frame (default: the role's rule, clients mask); ws's `mask` send option. */
  mask?: boolean;
}
const NO_FLAGS: SendFlags = {};

export class Connection {
  /** The code and reason of the peer's close frame; 1006 until one arrives. */
  closeCode: number = CloseCode.Abnormal;
  closeReason = '';

  private current: ConnectionState = ConnectionState.Open;
  // What happened, kept apart from the state because 'close' reports it (wasClean).
  private sentCloseFrame = false;
  private receivedCloseFrame = false;

  private readonly decoder: FrameDecoder;
  private readonly queue: SendQueue;
  private readonly maskFrames: boolean;
  private readonly autoPong: boolean;
  private readonly maxPendingPongs: number;
  private readonly closeTimeout: number;
  private readonly clock: Clock;
  private readonly compressor: MessageCompressor | undefined;
  private readonly threshold: number;
  private readonly validateUtf8: boolean;

  // Receive side: what was read and is held back (behind an inflation or pause()), in order.
  private readonly inbox: Received[] = [];
  private inflating = false;
  private paused = false;
  private readingPaused = false;
  // Send side: the opcode of the fragmented message being sent (0: none) and whether it is compressed.
  private sendingOpcode = 0;
  private sendingCompressed = false;
  private pendingPongs = 0;
  private closeTimer: unknown = undefined;

  constructor(
    private readonly transport: Transport,
    private readonly events: ConnectionEvents,
    options: ConnectionOptions,
  ) {
    this.maskFrames = options.role === 'client';
    this.autoPong = options.autoPong !== false;
    this.maxPendingPongs = options.maxPendingPongs ?? 128;
    this.closeTimeout = options.closeTimeout ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.compressor = options.compressor;
    this.threshold = options.compressThreshold ?? 1024;
    this.validateUtf8 = !options.skipUtf8Validation;
    this.queue = new SendQueue({
      transport,
      compressor: this.compressor,
      generateMask: options.generateMask,
      onFailure: (err) => this.fail(err),
    });
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

  // ---- state ----

  get state(): ConnectionState {
    return this.current;
  }

  get readyState(): ReadyState {
    return READY_STATE[this.current];
  }

  /** Our close frame was queued (it leaves after everything sent before it). */
  get closeFrameSent(): boolean {
    return this.sentCloseFrame;
  }

  /** The peer's close frame was delivered. */
  get closeFrameReceived(): boolean {
    return this.receivedCloseFrame;
  }

  /** Bytes accepted by a send and not yet handed to the transport (the transport counts the rest). */
  get queuedBytes(): number {
    return this.queue.bufferedBytes;
  }

  /** Whether receive() has stopped delivering (user pause or a backlog). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** The one place the state changes; a move the table does not allow is a bug here. */
  private moveTo(next: ConnectionState): void {
    if (!canMove(this.current, next)) throw new Error(`wscodec: no move from connection state ${this.current} to ${next}`);
    this.current = next;
  }

  /** Sends are for an open connection only (the WebSocket layers check first and answer in the API's words). */
  private requireOpen(action: string): void {
    if (this.current !== ConnectionState.Open) throw new InvalidStateError(action, this.current);
  }

  // ---- the decoder's events (methods, not closures: a server keeps thousands of these) ----

  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    if (compressed) this.hold({ kind: 'inflate', data, isBinary });
    else if (this.inbox.length === 0 && !this.paused) this.events.message(data, isBinary);
    else this.hold({ kind: 'message', data, isBinary });
  }

  onPing(data: Uint8Array): void {
    this.deliver({ kind: 'ping', data });
  }

  onPong(data: Uint8Array): void {
    this.deliver({ kind: 'pong', data });
  }

  onClose(code: number, reason: string): void {
    this.deliver({ kind: 'close', code, reason });
  }

  onError(error: ProtocolError): void {
    this.deliver({ kind: 'error', error });
  }

  /** Bytes from the transport. Takes ownership of `chunk` (it may be unmasked in place). */
  receive(chunk: Uint8Array): void {
    this.decoder.push(chunk);
  }

  // ---- receive side ----

  private deliver(item: Received): void {
    if (this.inbox.length === 0 && !this.paused) this.dispatch(item);
    else this.hold(item);
  }

  private hold(item: Received): void {
    this.inbox.push(item);
    if (!this.readingPaused && this.current !== ConnectionState.Draining) {
      // Stop reading until the backlog is delivered: nothing received may pile up unbounded.
      this.readingPaused = true;
      this.transport.pauseReading();
    }
    this.drain();
  }

  private dispatch(item: Received): void {
    switch (item.kind) {
      case 'message':
        this.events.message(item.data, item.isBinary);
        break;
      case 'ping':
        if (this.autoPong) this.answerPing(item.data);
        this.events.ping(item.data);
        break;
      case 'pong':
        this.events.pong(item.data);
        break;
      case 'close':
        this.peerClosed(item.code, item.reason);
        break;
      case 'error':
        this.fail(item.error);
        break;
      case 'inflate':
        throw new Error('wscodec: a compressed message is delivered only once inflated');
    }
  }

  /**
   * Delivers held items in order. Everything before a close frame is delivered first (as
   * ws does), so the close frame is answered in the same step as the last of them: it
   * waits for no timer, read or write.
   */
  private drain(): void {
    const inbox = this.inbox;
    const draining = this.current === ConnectionState.Draining;
    // Once the transport is gone everything received is delivered, paused or not (as in
    // ws, which reads the socket's last bytes on close); isPaused still says what the user set.
    while (inbox.length > 0 && (!this.paused || draining) && !this.inflating) {
      const item = inbox[0];
      if (item.kind === 'inflate') {
        this.inflate(item);
        return;
      }
      inbox.shift();
      this.dispatch(item);
    }
    if (inbox.length > 0 || this.inflating) return;
    if (this.current === ConnectionState.Draining) this.finishClose();
    else if (this.readingPaused && !this.paused) {
      this.readingPaused = false;
      this.transport.resumeReading();
    }
  }

  private inflate(item: Extract<Received, { kind: 'inflate' }>): void {
    this.inflating = true;
    this.compressor!.decompress(item.data, (err, data) => {
      this.inflating = false;
      if (this.current === ConnectionState.Closed) return;
      // The inflated message (or why it failed) takes the compressed one's place at the head.
      let error: ProtocolError | undefined;
      if (err) {
        error =
          err instanceof ProtocolError ? err : new ProtocolError(err.message, CloseCode.InvalidPayload, 'WS_ERR_INVALID_COMPRESSED_DATA');
      } else if (!item.isBinary && this.validateUtf8 && !isValidUtf8(data!)) {
        error = invalidUtf8('a compressed text message');
      }
      this.inbox[0] = error !== undefined ? { kind: 'error', error } : { kind: 'message', data: data!, isBinary: item.isBinary };
      this.drain();
    });
  }

  private answerPing(data: Uint8Array): void {
    // After our close frame (or once nothing more is sent) a ping goes unanswered.
    if (this.current !== ConnectionState.Open) return;
    const transport = this.transport;
    if (this.pendingPongs >= this.maxPendingPongs && (transport.writeBacklog === undefined || transport.writeBacklog() > 0)) {
      // The peer pings faster than it reads our pongs: every answer would only queue up.
      // No close frame: a peer that does not read would never see it. The rest of the
      // read is dropped with the connection, so this is reported once.
      this.moveTo(ConnectionState.Closing);
      this.decoder.stop();
      this.events.error(new ProtocolError('Ping flood: pongs are not being read', CloseCode.PolicyViolation, 'WS_ERR_PING_FLOOD'));
      transport.destroy();
      return;
    }
    this.pendingPongs++;
    this.queue.frame(Opcode.Pong, data, true, false, this.maskFrames, () => this.pendingPongs--);
  }

  /** The peer's close frame, in its turn: answered at once (RFC 6455 §5.5.1), then EOF after our writes. */
  private peerClosed(code: number, reason: string): void {
    this.receivedCloseFrame = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (this.current === ConnectionState.Open) {
      // Echo the peer's status, as ws does. A write may re-enter (a transport that delivers
      // synchronously); the state says where things stand once it returns.
      this.moveTo(ConnectionState.RemoteClosing);
      this.queueCloseFrame(code === CloseCode.NoStatus ? EMPTY : encodeClosePayload(code, reason));
      if ((this.current as ConnectionState) !== ConnectionState.RemoteClosing) return;
    } else if (this.current !== ConnectionState.LocalClosing) {
      return; // Closing or Draining: nothing more is sent; the code is kept for 'closed'.
    }
    this.moveTo(ConnectionState.Closing);
    this.queue.end();
    this.startCloseTimer();
  }

  /** Fail the connection (RFC 6455 §7.1.7): close frame with the error's code, then close. */
  private fail(err: ProtocolError): void {
    const state = this.current;
    if (state === ConnectionState.Closed) return;
    this.decoder.stop();
    if (state === ConnectionState.Open || state === ConnectionState.LocalClosing || state === ConnectionState.RemoteClosing) {
      this.moveTo(ConnectionState.Closing);
      if (!this.sentCloseFrame) this.queueCloseFrame(encodeClosePayload(err.closeCode, ''));
      this.queue.end();
      this.startCloseTimer();
    }
    this.events.error(err);
  }

  // ---- send side ----

  /**
   * Sends a data message or, with fin false, a fragment of one. Compression is decided by
   * the first fragment (deflate negotiated, `compress` not false, at least the threshold).
   */
  send(data: Uint8Array, isBinary: boolean, options: SendFlags = NO_FLAGS, callback?: WriteCallback): void {
    this.requireOpen('send a message');
    // The common case (uncompressed) decides the header in locals: no object per message.
    const fin = options.fin !== false;
    const opcode = this.nextOpcode(data.length, isBinary, fin, options);
    const mask = options.mask ?? this.maskFrames;
    if (!this.sendingCompressed) this.queue.frame(opcode, data, fin, false, mask, callback);
    else this.queue.deflate(this.compressedHeader(opcode, fin, mask), data, callback);
    if (fin) this.queue.unpark();
  }

  /**
   * Sends a Blob's bytes as send() would, in order with everything sent before and after:
   * later sends wait while it is read (as in ws).
   */
  sendBlob(blob: BlobLike, isBinary: boolean, options: SendFlags = NO_FLAGS, callback?: WriteCallback): void {
    this.requireOpen('send a message');
    // Decided now, in call order (a later send may continue a fragmented message).
    const fin = options.fin !== false;
    const opcode = this.nextOpcode(blob.size, isBinary, fin, options);
    const mask = options.mask ?? this.maskFrames;
    if (this.sendingCompressed) {
      const header = this.compressedHeader(opcode, fin, mask);
      this.queue.blob(blob, (bytes) => deflateOf(header, bytes, callback), callback);
    } else {
      const header: FrameHeader = { opcode, fin, rsv1: false, mask };
      this.queue.blob(blob, (bytes) => frameOf(header, bytes, callback), callback);
    }
    if (fin) this.queue.unpark();
  }

  /** A ping or pong whose payload is a Blob (at most 125 bytes: the caller checked). */
  sendControlBlob(opcode: typeof Opcode.Ping | typeof Opcode.Pong, blob: BlobLike, callback?: WriteCallback, mask = this.maskFrames): void {
    this.requireOpen(opcode === Opcode.Ping ? 'send a ping' : 'send a pong');
    const header: FrameHeader = { opcode, fin: true, rsv1: false, mask };
    this.queue.blob(blob, (bytes) => frameOf(header, bytes, callback), callback);
  }

  ping(data: Uint8Array = EMPTY, callback?: WriteCallback, mask = this.maskFrames): void {
    this.requireOpen('send a ping');
    this.queue.frame(Opcode.Ping, data, true, false, mask, callback);
  }

  pong(data: Uint8Array = EMPTY, callback?: WriteCallback, mask = this.maskFrames): void {
    this.requireOpen('send a pong');
    this.queue.frame(Opcode.Pong, data, true, false, mask, callback);
  }

  /** Writes frames encoded elsewhere (a broadcast), in order with everything else sent. */
  sendFrames(frames: Uint8Array[], callback?: WriteCallback): void {
    this.requireOpen('send frames');
    this.queue.encoded(frames, this.sendingOpcode !== 0, undefined, callback);
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
    this.requireOpen('send frames');
    // forgetContext() runs when the frames are written: every compress() queued before
    // them keeps the context, the first one after them starts from an empty window.
    this.queue.encoded(frames, this.sendingOpcode !== 0, () => compressor.forgetContext!(), callback);
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

  /** RSV1 marks the first fragment of a compressed message only. */
  private compressedHeader(opcode: number, fin: boolean, mask: boolean): FrameHeader {
    return { opcode, fin, rsv1: opcode !== Opcode.Continuation, mask };
  }

  // ---- closing ----

  /**
   * Starts the closing handshake. Once it has started (either side) this does nothing.
   * Throws a RangeError for a code or reason that may not be sent, before anything changes.
   */
  close(code?: number, reason = ''): void {
    if (this.current !== ConnectionState.Open) return;
    const payload = encodeClosePayload(code, reason);
    this.moveTo(ConnectionState.LocalClosing);
    this.queueCloseFrame(payload);
    this.startCloseTimer();
  }

  pause(): void {
    this.paused = true;
    if (!this.readingPaused && this.current !== ConnectionState.Draining && this.current !== ConnectionState.Closed) {
      this.readingPaused = true;
      this.transport.pauseReading();
    }
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drain();
  }

  /** Drops the connection at once (ws's terminate()): closing until the transport reports closed. */
  terminate(): void {
    const state = this.current;
    if (state === ConnectionState.Draining || state === ConnectionState.Closed) return;
    if (state !== ConnectionState.Closing) this.moveTo(ConnectionState.Closing);
    this.transport.destroy();
  }

  /** The peer sent EOF without (or after) its close frame: ours ends after what is queued. */
  transportEnded(): void {
    const state = this.current;
    if (state !== ConnectionState.Open && state !== ConnectionState.LocalClosing) return;
    this.moveTo(ConnectionState.Closing);
    this.queue.end();
  }

  /** The transport is gone: sends still queued hear why; what was received is delivered (inflations finish), then closed. */
  transportClosed(): void {
    if (this.current === ConnectionState.Draining || this.current === ConnectionState.Closed) return;
    this.moveTo(ConnectionState.Draining);
    this.stopCloseTimer();
    this.queue.drop();
    this.drain();
  }

  private finishClose(): void {
    this.moveTo(ConnectionState.Closed);
    this.decoder.stop();
    this.compressor?.close();
    this.events.closed(this.closeCode, this.closeReason);
  }

  /** Queues our close frame (its payload already checked: encodeClosePayload throws for an invalid one). */
  private queueCloseFrame(payload: Uint8Array): void {
    this.sentCloseFrame = true;
    this.queue.frame(Opcode.Close, payload, true, false, this.maskFrames);
  }

  private startCloseTimer(): void {
    // Not once the transport is gone (a write may have reported it, re-entrantly).
    if (this.closeTimer !== undefined || this.current === ConnectionState.Draining || this.current === ConnectionState.Closed) return;
    this.closeTimer = this.clock.setTimeout(() => this.transport.destroy(), this.closeTimeout);
  }

  private stopCloseTimer(): void {
    if (this.closeTimer === undefined) return;
    this.clock.clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
  }
}
