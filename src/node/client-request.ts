// The client's upgrade request over any Duplex, shaped like the part of Node's
// http.ClientRequest that ws users touch: headers can be read and changed until end()
// (finishRequest and 'redirect' listeners rely on that), then the head is written and the
// response head is read straight off the stream with the protocol layer's parser. It
// speaks ClientRequest's events: 'socket', then 'upgrade' (101) or 'response' (any other
// status) or 'error'; so the handshake logic is written once for this and for a real
// ClientRequest (used when an http.Agent is given). A 'response' carries a ClientResponse
// whose body this request keeps reading off the socket, with ClientRequest's behaviour
// after a response: abort()/destroy() drop the connection, a socket error is an 'error',
// and the connection ending cuts the body short ('aborted') without one.

import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Duplex } from 'node:stream';
import { bodyFraming, type BodyFraming } from '../protocol/http-body.js';
import { listHasToken, ResponseHeadParser, type ResponseHead } from '../protocol/http.js';
import { ClientResponse } from './client-response.js';

export type HeaderValue = string | number | readonly string[];

/** A 101's head, with the socket it came on (the 'upgrade' event's response). */
export interface HandshakeResponse extends ResponseHead {
  socket: Duplex;
}

/** Opens the stream: returns it, or calls `oncreate` later (as Node's createConnection may). */
export type OpenStream = (oncreate: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined | void;

export interface HandshakeRequestInit {
  path: string;
  /** 'http:' or 'https:', as ClientRequest reports it. */
  protocol: string;
  /** The Host header to add unless `headers` has one (null: none, as with setHost: false). */
  hostHeader: string | null;
  host: string;
  headers: Record<string, HeaderValue | undefined>;
  /** `user:password` for Basic auth unless `headers` has an Authorization. */
  auth?: string;
}

export class HandshakeRequest extends EventEmitter {
  readonly method = 'GET';
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  socket: Duplex | null = null;
  destroyed = false;
  aborted = false;
  /** True once end() was called: the headers can no longer change. */
  headersSent = false;
  writableEnded = false;
  /** The non-upgrade response, once one came (as ClientRequest.res). */
  res: ClientResponse | null = null;
  private closeEmitted = false;

  /** Lower-cased name → [name as given, value], in insertion order (as Node keeps them). */
  private readonly outHeaders = new Map<string, [string, HeaderValue]>();
  private readonly parser = new ResponseHeadParser();

  constructor(init: HandshakeRequestInit, open: OpenStream) {
    super();
    this.path = init.path;
    this.host = init.host;
    this.protocol = init.protocol;
    for (const [name, value] of Object.entries(init.headers)) {
      if (value !== undefined) this.setHeader(name, value);
    }
    if (init.hostHeader !== null && !this.hasHeader('host')) this.setHeader('Host', init.hostHeader);
    if (init.auth !== undefined && !this.hasHeader('authorization')) {
      this.setHeader('Authorization', `Basic ${Buffer.from(init.auth).toString('base64')}`);
    }
    // As ClientRequest: a connect function that throws becomes an 'error' event.
    let opened: Duplex | undefined | void;
    try {
      opened = open((err, socket) => (err ? this.destroy(err) : socket && this.onSocket(socket)));
    } catch (err) {
      this.destroy(err as Error);
      return;
    }
    if (opened) this.onSocket(opened);
  }

  setHeader(name: string, value: HeaderValue): this {
    if (this.headersSent) {
      throw Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    }
    validateHeaderName(name);
    validateHeaderValue(name, value as string); // Node accepts numbers and arrays too
    this.outHeaders.set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): HeaderValue | undefined {
    return this.outHeaders.get(name.toLowerCase())?.[1];
  }

  hasHeader(name: string): boolean {
    return this.outHeaders.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    if (this.headersSent) {
      throw Object.assign(new Error('Cannot remove headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    }
    this.outHeaders.delete(name.toLowerCase());
  }

  getHeaders(): Record<string, HeaderValue> {
    const headers: Record<string, HeaderValue> = Object.create(null);
    for (const [key, [, value]] of this.outHeaders) headers[key] = value;
    return headers;
  }

  getHeaderNames(): string[] {
    return [...this.outHeaders.keys()];
  }

  getRawHeaderNames(): string[] {
    return [...this.outHeaders.values()].map(([name]) => name);
  }

  /** Sends the head (an upgrade request has no body). */
  end(callback?: () => void): this {
    if (typeof callback !== 'function' && callback !== undefined) {
      throw new TypeError('An upgrade request has no body: end() takes only a callback');
    }
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    this.headersSent = true; // as ClientRequest: the head is fixed from end() on
    if (callback) this.once('finish', callback);
    if (this.socket !== null) this.writeHead();
    return this;
  }

  /** Sends the head now, as ClientRequest.flushHeaders() does. */
  flushHeaders(): void {
    this.end();
  }

  /** Tears the request down; with `err`, 'error' reports it (as ClientRequest.destroy(err)). */
  destroy(err?: Error): this {
    return this.teardown(err, true);
  }

  /**
   * With `dump`, as ClientRequest.destroy(): what the listener has not read of a response
   * is discarded (a complete one still ends). A failure the request finds itself (a
   * socket error, bad body framing) leaves the response's data alone, as Node's parser does.
   */
  private teardown(err: Error | undefined, dump: boolean): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    const socket = this.socket;
    const response = this.res;
    // As Node's ClientRequest: dropping a connection that has not answered yet is a hang-up
    // the request reports (ws relies on it: abort() in a 'redirect' listener fails the WebSocket).
    if (err === undefined && response === null && socket !== null) err = hangUpError();
    if (socket !== null) {
      // With a response, the socket's 'close' still ends it, and then this request (onClose).
      this.unlisten(socket, response !== null);
      socket.on('error', () => {}); // a late error on a dropped socket is nobody's
      socket.destroy();
    }
    if (dump) response?._dump();
    // Node's client reports a fault it finds in a response's body or socket at once, so
    // the request's 'error' comes before the data already pushed is read.
    const now = err !== undefined && !dump && response !== null;
    if (now) this.emit('error', err);
    process.nextTick(() => {
      if (err && !now) this.emit('error', err);
      if (response === null) this.emitClose();
    });
    return this;
  }

  /** ClientRequest.abort(): destroy without an error. */
  abort(): void {
    if (this.aborted || this.destroyed) return;
    this.aborted = true;
    process.nextTick(() => this.emit('abort'));
    this.destroy();
  }

  private onSocket(socket: Duplex): void {
    if (this.destroyed) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    if (this.writableEnded) this.writeHead();
    process.nextTick(() => {
      if (!this.destroyed) this.emit('socket', socket);
    });
  }

  private writeHead(): void {
    let head = `GET ${this.path} HTTP/1.1\r\n`;
    for (const [name, value] of this.outHeaders.values()) {
      if (typeof value === 'object') for (const item of value) head += `${name}: ${item}\r\n`;
      else head += `${name}: ${value}\r\n`;
    }
    // latin1: header values are octets (validateHeaderValue let through nothing wider).
    this.socket!.write(Buffer.from(head + '\r\n', 'latin1'), (err) => err || this.emit('finish'));
  }

  private unlisten(socket: Duplex, keepClose = false): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('end', this.onEnd);
    if (!keepClose) socket.removeListener('close', this.onClose);
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.res !== null) {
      this.receiveBody(this.res, chunk);
      return;
    }
    let parsed: { head: ResponseHead; rest: Uint8Array } | null;
    let framing: BodyFraming | null = null;
    try {
      parsed = this.parser.push(chunk);
      if (parsed !== null && !isUpgrade(parsed.head)) framing = bodyFraming(parsed.head);
    } catch (err) {
      this.destroy(err as Error);
      return;
    }
    if (parsed === null) return;
    const socket = this.socket!;
    if (framing === null) {
      this.unlisten(socket);
      const response: HandshakeResponse = { ...parsed.head, socket };
      // From here the socket belongs to whoever handles the event.
      this.emit('upgrade', response, socket, Buffer.from(parsed.rest.buffer, parsed.rest.byteOffset, parsed.rest.byteLength));
      return;
    }
    const response = new ClientResponse(parsed.head, socket, framing);
    this.res = response;
    // ClientRequest's 'close' comes once its response is read, after the reader's 'end'.
    response.once('end', () => process.nextTick(() => this.emitClose()));
    this.emit('response', response);
    // The rest of this read is parsed even if the listener aborted the request, as Node's
    // parser finishes the chunk it is in: a body that came with the head is complete.
    this.receiveBody(response, parsed.rest);
  };

  private receiveBody(response: ClientResponse, bytes: Uint8Array): void {
    try {
      response._receive(bytes);
    } catch (err) {
      this.teardown(err as Error, false); // bad chunked framing: the request's 'error', as in Node
    }
  }

  private readonly onError = (err: Error): void => {
    this.teardown(err, false);
  };

  private readonly onEnd = (): void => {
    if (this.res === null) {
      this.hangUp();
      return;
    }
    // As Node's client: the peer's end ends a close-delimited body, and the connection.
    this.res._receiveEnd();
    this.socket!.destroy();
  };

  private readonly onClose = (): void => {
    if (this.res === null) {
      this.hangUp();
      return;
    }
    this.unlisten(this.socket!);
    this.res._connectionClosed(); // no 'error' on the request: it has its response
    this.emitClose();
  };

  // Node's words for a connection that ends before the response head.
  private hangUp(): void {
    this.destroy(hangUpError());
  }
}

/**
 * When Node's parser calls a response an upgrade (llhttp): a 101 with an Upgrade header
 * and `upgrade` in Connection. Any other 101 is a plain response, so it fails the way it
 * fails in ws ('Unexpected server response: 101').
 */
function isUpgrade(response: ResponseHead): boolean {
  const { headers } = response;
  return response.statusCode === 101 && headers['upgrade'] !== undefined && listHasToken(headers['connection'], 'upgrade');
}

function hangUpError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}
