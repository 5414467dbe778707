// The browser's WebSocket (WHATWG) over any byte stream: same constants, attributes,
// methods, argument checks and events, but the caller hands over an already-connected
// { readable, writable } pair (workerd's connect(), Node's Duplex.toWeb(socket), ...).
// The handshake and every frame rule are the protocol layer's; this file maps them onto
// the WHATWG surface. No node: imports and no Node globals here or below.

import { CloseCode } from '../codec/constants.js';
import type { ProtocolError } from '../codec/errors.js';
import { Connection, ReadyState, type ConnectionEvents } from '../protocol/connection.js';
import { checkClientProtocols } from '../protocol/client-handshake.js';
import { clientHandshake } from './client-handshake.js';
import { createStreamCompressor, deflateRawStreamsAvailable } from './compression-stream-deflate.js';
import { closeEvent, domException, errorEvent, messageEvent } from './events.js';
import { StreamTransport, type ByteStreamPair } from './stream-transport.js';

export type BinaryType = 'blob' | 'arraybuffer';

export interface WebSocketOptions {
  /** The already-connected byte stream the WebSocket runs over. */
  stream: ByteStreamPair | PromiseLike<ByteStreamPair>;
  /** Offer permessage-deflate (default: true where CompressionStream('deflate-raw') exists). */
  perMessageDeflate?: boolean;
  /** Largest message accepted, after inflation; bigger fails with 1009 (default 100 MiB, 0: no limit). */
  maxPayload?: number;
  /** Extra request headers (Origin, Authorization, cookies, ...). */
  headers?: Record<string, string>;
}

/** An `onX` attribute's value; each attribute names the event its handler gets, as lib.dom's WebSocket does. */
type Handler<E extends Event = Event> = ((this: WebSocket, event: E) => unknown) | null;
type EventName = 'open' | 'message' | 'error' | 'close';

const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
const hasBlob = typeof Blob === 'function';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class WebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  readonly #url: string;
  readonly #origin: string;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = hasBlob ? 'blob' : 'arraybuffer';
  /** The state while no connection exists (connecting, a failed handshake); then the connection's. */
  #state: ReadyState = ReadyState.CONNECTING;
  #conn: Connection | null = null;
  #transport: StreamTransport | null = null;
  /** Bytes passed to send() and not yet written (and, once closing, never to be). */
  #buffered = 0;
  /** Why the connection failed, if it did (the close event reports its code). */
  #failure: ProtocolError | null = null;
  #finished = false;
  readonly #handlers: Record<EventName, Handler> = { open: null, message: null, error: null, close: null };

  constructor(url: string | URL, protocols?: string | string[], options?: WebSocketOptions) {
    super();
    const parsed = parseWebSocketUrl(url);
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : Array.from(protocols, String);
    try {
      checkClientProtocols(list);
    } catch (err) {
      throw domException((err as Error).message, 'SyntaxError');
    }
    if (options === undefined || options === null || options.stream === undefined || options.stream === null) {
      throw new TypeError('options.stream is required: an already-connected { readable, writable } pair (or a promise of one)');
    }
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (typeof maxPayload !== 'number' || !(maxPayload >= 0)) throw new RangeError('options.maxPayload must be a number ≥ 0');
    this.#url = parsed.href;
    this.#origin = parsed.origin;
    const offerDeflate = options.perMessageDeflate !== false && deflateRawStreamsAvailable();
    void this.#open(parsed, list, options, offerDeflate, maxPayload);
  }

  get url(): string {
    return this.#url;
  }

  get protocol(): string {
    return this.#protocol;
  }

  get extensions(): string {
    return this.#extensions;
  }

  get readyState(): number {
    return this.#conn === null ? this.#state : this.#conn.readyState;
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }

  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(type: BinaryType) {
    // As in browsers, any other value is ignored; without Blob, 'blob' is too.
    if (type === 'arraybuffer' || (type === 'blob' && hasBlob)) this.#binaryType = type;
  }

  get onopen(): Handler {
    return this.#handlers.open;
  }
  set onopen(fn: Handler) {
    this.#setHandler('open', fn);
  }
  get onmessage(): Handler<MessageEvent> {
    return this.#handlers.message as Handler<MessageEvent>;
  }
  set onmessage(fn: Handler<MessageEvent>) {
    this.#setHandler('message', fn as Handler);
  }
  get onerror(): Handler {
    return this.#handlers.error;
  }
  set onerror(fn: Handler) {
    this.#setHandler('error', fn);
  }
  get onclose(): Handler<CloseEvent> {
    return this.#handlers.close as Handler<CloseEvent>;
  }
  set onclose(fn: Handler<CloseEvent>) {
    this.#setHandler('close', fn as Handler);
  }

  /** Sends a message: a string as text; an ArrayBuffer, a view or a Blob as binary. */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.readyState === ReadyState.CONNECTING) throw domException('Still in CONNECTING state.', 'InvalidStateError');
    let bytes: Uint8Array | Blob;
    let binary = true;
    if (typeof data === 'string') {
      bytes = encoder.encode(data);
      binary = false;
    } else if (ArrayBuffer.isView(data)) {
      // A copy: the caller may reuse its buffer while a compression or a Blob holds ours back.
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    } else if (isArrayBuffer(data)) {
      bytes = new Uint8Array(data).slice();
    } else if (hasBlob && data instanceof Blob) {
      bytes = data;
    } else {
      bytes = encoder.encode(String(data)); // WebIDL: anything else is a string
      binary = false;
    }
    const size = bytes instanceof Uint8Array ? bytes.length : bytes.size;
    // Counted even once closing, and taken back only when written (WHATWG: it never resets).
    this.#buffered += size;
    if (this.readyState !== ReadyState.OPEN) return;
    const written = (err?: Error | null) => {
      if (!err) this.#buffered -= size;
    };
    // A Blob is read in its turn: sends after it wait in the connection's queue.
    if (bytes instanceof Uint8Array) this.#conn!.send(bytes, binary, undefined, written);
    else this.#conn!.sendBlob(bytes, binary, undefined, written);
  }

  /** Starts the closing handshake; code must be 1000 or 3000–4999, reason at most 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void {
    let status: number | undefined;
    if (code !== undefined) {
      status = toUnsignedShort(code);
      if (status !== 1000 && !(status >= 3000 && status <= 4999)) {
        throw domException(`The close code must be either 1000, or between 3000 and 4999. ${status} is neither.`, 'InvalidAccessError');
      }
    }
    let text = '';
    if (reason !== undefined) {
      text = String(reason);
      if (encoder.encode(text).length > 123)
        throw domException('The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError');
    }
    const state = this.readyState;
    if (state === ReadyState.CLOSING || state === ReadyState.CLOSED) return;
    if (state === ReadyState.CONNECTING) {
      this.#state = ReadyState.CLOSING;
      this.#transport?.destroy();
      // Fail the connection (WHATWG): error and close 1006, after the current task.
      queueMicrotask(() => this.#failHandshake(new Error('WebSocket was closed before the connection was established')));
      return;
    }
    // WHATWG: a reason without a code goes out with 1000.
    if (status === undefined && text !== '') status = CloseCode.Normal;
    // Messages sent before close() (a Blob still being read too) go out before the close frame.
    this.#conn!.close(status, text);
  }

  // ---- connecting ----

  async #open(url: URL, protocols: string[], options: WebSocketOptions, offerDeflate: boolean, maxPayload: number): Promise<void> {
    let pair: ByteStreamPair;
    let transport: StreamTransport;
    try {
      pair = await options.stream;
      if (this.#state !== ReadyState.CONNECTING) {
        // close() was called while the stream was still coming.
        pair.writable.abort().catch(() => {});
        pair.readable.cancel().catch(() => {});
        return;
      }
      transport = this.#transport = new StreamTransport(pair);
    } catch (err) {
      this.#failHandshake(asError(err));
      return;
    }
    let result;
    try {
      result = await clientHandshake(transport, { url, protocols, offerDeflate, headers: options.headers });
    } catch (err) {
      transport.destroy();
      this.#failHandshake(asError(err));
      return;
    }
    if (this.#state !== ReadyState.CONNECTING) {
      transport.destroy();
      return;
    }
    const conn = new Connection(transport, this.#connectionEvents(), {
      role: 'client',
      maxPayload,
      compressor: result.deflate && createStreamCompressor(maxPayload),
    });
    this.#conn = conn;
    this.#protocol = result.protocol;
    this.#extensions = result.deflate ? result.extensions : '';
    this.#state = ReadyState.OPEN;
    this.dispatchEvent(new Event('open'));
    // Frames that came with the 101 are read after 'open', as in browsers.
    transport.attach(conn, result.rest);
  }

  #failHandshake(err: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#state = ReadyState.CLOSED;
    this.dispatchEvent(errorEvent(err));
    this.dispatchEvent(closeEvent({ code: CloseCode.Abnormal, reason: '', wasClean: false }));
  }

  #connectionEvents(): ConnectionEvents {
    return {
      message: (data, isBinary) => this.#onMessage(data, isBinary),
      ping: () => {},
      pong: () => {},
      error: (err) => {
        this.#failure = err as ProtocolError;
        this.dispatchEvent(errorEvent(err));
      },
      closed: (code, reason) => this.#onClosed(code, reason),
    };
  }

  #onMessage(data: Uint8Array, isBinary: boolean): void {
    let value: string | ArrayBuffer | Blob;
    if (!isBinary) value = decoder.decode(data);
    else if (this.#binaryType === 'blob' && hasBlob) value = new Blob([data as Uint8Array<ArrayBuffer>]);
    else value = exactArrayBuffer(data);
    this.dispatchEvent(messageEvent(value, this.#origin));
  }

  #onClosed(code: number, reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#state = ReadyState.CLOSED;
    const conn = this.#conn!;
    const failure = this.#failure;
    // A connection we failed reports the code we failed it with (as ws does), not 1006.
    const closeCode = failure !== null && typeof failure.closeCode === 'number' ? failure.closeCode : code;
    const wasClean = failure === null && conn.closeFrameSent && conn.closeFrameReceived;
    this.dispatchEvent(closeEvent({ code: closeCode, reason: failure !== null ? '' : reason, wasClean }));
  }

  // ---- event handler attributes ----

  #setHandler(type: EventName, fn: Handler): void {
    const had = this.#handlers[type] !== null;
    this.#handlers[type] = typeof fn === 'function' ? fn : null;
    // One listener per attribute, added when first set: its place among the listeners
    // is where the attribute was first set, as for a browser's event handlers.
    if (!had && this.#handlers[type] !== null) this.addEventListener(type, this.#invokeHandler);
    else if (had && this.#handlers[type] === null) this.removeEventListener(type, this.#invokeHandler);
  }

  readonly #invokeHandler = (event: Event): void => {
    const fn = this.#handlers[event.type as EventName];
    if (fn !== null) fn.call(this, event);
  };
}

for (const [name, value] of [
  ['CONNECTING', 0],
  ['OPEN', 1],
  ['CLOSING', 2],
  ['CLOSED', 3],
] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

/** WHATWG's URL rules for the constructor: http(s) become ws(s), anything else or a fragment is a SyntaxError. */
function parseWebSocketUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw domException(`The URL '${String(input)}' is invalid.`, 'SyntaxError');
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw domException(`The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${url.protocol}' is not allowed.`, 'SyntaxError');
  }
  if (url.hash !== '' || String(input).endsWith('#')) {
    throw domException(
      `The URL contains a fragment identifier ('${url.hash}'). Fragment identifiers are not allowed in WebSocket URLs.`,
      'SyntaxError',
    );
  }
  return url;
}

/** WebIDL [Clamp] unsigned short, as close() takes its code. */
function toUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (Number.isNaN(n)) return 0;
  const clamped = Math.min(Math.max(n, 0), 0xffff);
  // Round half to even.
  const floor = Math.floor(clamped);
  const diff = clamped - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function isArrayBuffer(value: unknown): value is ArrayBufferLike {
  if (value instanceof ArrayBuffer) return true;
  const Shared = (globalThis as { SharedArrayBuffer?: new (n: number) => ArrayBufferLike }).SharedArrayBuffer;
  return Shared !== undefined && value instanceof Shared;
}

/** An ArrayBuffer holding exactly these bytes (the message's own when it is one). */
function exactArrayBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  // A copy by hand: data may be a Node Buffer, whose slice() is a view, not a copy.
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy.buffer;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
