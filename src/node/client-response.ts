// A response to the handshake request that is not an upgrade (a refusal, a redirect),
// shaped like the http.IncomingMessage ws hands its 'unexpected-response' listeners: the
// head's fields plus a Readable of the body, so a listener can read why the server said
// no. The request (client-request.ts) owns the socket and feeds the body bytes here.

import { Buffer } from 'node:buffer';
import { Readable, type Duplex } from 'node:stream';
import { BodyDecoder, type BodyFraming } from '../protocol/http-body.js';
import type { ResponseHead } from '../protocol/http.js';

export class ClientResponse extends Readable {
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  readonly headers: Record<string, string>;
  readonly rawHeaders: string[];
  /** Filled in when a chunked body ends, as IncomingMessage's. */
  trailers: Record<string, string> = {};
  rawTrailers: string[] = [];
  /** The whole body arrived. */
  complete = false;
  /** The connection went away before the body was complete. */
  aborted = false;
  socket: Duplex;

  private readonly body: BodyDecoder;
  /** We paused the socket because the body's reader fell behind. */
  private socketPaused = false;
  private dumped = false;

  constructor(head: ResponseHead, socket: Duplex, framing: BodyFraming) {
    super();
    this.httpVersion = head.httpVersion;
    [this.httpVersionMajor, this.httpVersionMinor] = head.httpVersion.split('.').map(Number) as [number, number];
    this.statusCode = head.statusCode;
    this.statusMessage = head.statusMessage;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.socket = socket;
    this.body = new BodyDecoder(framing);
    if (this.body.done) this.finishBody();
  }

  /**
   * Internal (HandshakeRequest): bytes that came on the socket. A chunked body's framing
   * fault throws an HttpParseError after the data before it was pushed, as llhttp does;
   * the request reports it. Bytes after the body are nobody's (the connection is not
   * reused) and are dropped.
   */
  _receive(bytes: Uint8Array): void {
    if (this.complete || this.destroyed) return;
    this.body.push(bytes, this.onBody);
    if (this.body.done) this.finishBody();
  }

  /** Internal (HandshakeRequest): the peer ended the connection; that ends a body framed by it. */
  _receiveEnd(): void {
    if (!this.complete && !this.destroyed && this.body.finish()) this.finishBody();
  }

  /** Internal (HandshakeRequest): the connection is gone; a body cut short is aborted, as Node's is. */
  _connectionClosed(): void {
    if (this.complete || this.destroyed) return;
    this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  }

  /**
   * Internal (HandshakeRequest): the request was aborted or destroyed. As Node's
   * IncomingMessage._dump, what the listener has not read is discarded, so a complete
   * body still ends ('end' is what ws's own tests wait for after req.abort()).
   */
  _dump(): void {
    if (this.dumped) return;
    this.dumped = true;
    this.removeAllListeners('data');
    this.resume();
  }

  override _read(): void {
    if (!this.socketPaused) return;
    this.socketPaused = false;
    this.socket.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.readableEnded || !this.complete) {
      this.aborted = true;
      this.emit('aborted');
    }
    // Destroying a body still arriving drops the connection it arrives on, as Node does.
    if (this.aborted && !this.socket.destroyed) this.socket.destroy();
    // As IncomingMessage: an error is only emitted to someone listening for it, so a
    // listener that ignores the body is not crashed by the connection going away.
    callback(this.listenerCount('error') > 0 ? err : null);
  }

  private readonly onBody = (bytes: Uint8Array): void => {
    if (this.dumped) return;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this.push(buffer) && !this.socketPaused) {
      this.socketPaused = true;
      this.socket.pause();
    }
  };

  private finishBody(): void {
    this.complete = true;
    const raw = this.body.rawTrailers;
    if (raw.length > 0) {
      this.rawTrailers = raw;
      for (let i = 0; i < raw.length; i += 2) {
        const key = raw[i].toLowerCase();
        this.trailers[key] = key in this.trailers ? `${this.trailers[key]}, ${raw[i + 1]}` : raw[i + 1];
      }
    }
    this.push(null);
  }
}
