// The client side of the opening handshake over net/tls (or any Duplex from
// createConnection): write the request, read the 101 straight off the stream with the
// protocol layer's parser, check it, then hand the socket to the WebSocket.

import { Buffer } from 'node:buffer';
import { isIP, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { checkClientProtocols, checkUpgradeResponse, clientRequestHead, createClientKey } from '../protocol/handshake.js';
import { ResponseHeadParser, type ResponseHead } from '../protocol/http.js';
import type { PerMessageDeflateOptions } from '../protocol/deflate.js';
import { clientDeflateAccept, clientDeflateOffer, deflateOptions, type NegotiatedDeflate } from './deflate-setup.js';
import type { WebSocket } from './websocket.js';

export interface ClientOptions extends TlsOptions {
  /** Fail if the server has not answered within this many ms. */
  handshakeTimeout?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  origin?: string;
  /** true (the default, as in ws) offers permessage-deflate; false offers nothing. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  maxPayload?: number;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  closeTimeout?: number;
  protocolVersion?: number;
  /** Opens the byte stream instead of net/tls (any Duplex works). */
  createConnection?: (options: { host: string; port: number; servername?: string }) => Duplex;
}

/** Resolves the URL, opens the stream and starts the handshake; returns the normalised URL. */
export function connectAsClient(ws: WebSocket, address: string | URL, protocols: string[], options: ClientOptions): string {
  const url = address instanceof URL ? address : new URL(address);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`The URL's protocol must be one of "ws:", "wss:", "http:" or "https:"`);
  }
  if (url.hash) throw new SyntaxError('The URL contains a fragment identifier');
  if (options.protocolVersion !== undefined && options.protocolVersion !== 13) {
    throw new RangeError(`Unsupported protocol version: ${options.protocolVersion} (supported versions: 13)`);
  }
  checkClientProtocols(protocols);

  const secure = url.protocol === 'wss:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const key = createClientKey();
  const maxPayload = options.maxPayload ?? 100 * 1024 * 1024;
  const deflate = deflateOptions(options.perMessageDeflate ?? true);
  const offer = deflate && clientDeflateOffer(deflate);

  const servername = isIP(host) ? undefined : host;
  const socket: Duplex = options.createConnection
    ? options.createConnection({ host, port, servername })
    : secure
      ? tlsConnect({ ...options, host, port, servername })
      : netConnect({ host, port });

  const request = clientRequestHead({
    host: url.port ? `${url.hostname}:${url.port}` : url.hostname,
    path: (url.pathname || '/') + url.search,
    key,
    protocols,
    extensions: offer,
    origin: options.origin,
    headers: options.headers,
  });

  const parser = new ResponseHeadParser();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cleanup = () => {
    if (timer !== undefined) clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('error', onError);
    socket.removeListener('close', onClose);
    ws._abortHandshake = null;
  };
  const fail = (err: Error) => {
    cleanup();
    socket.on('error', () => {}); // a late error on a dropped socket is not the caller's
    socket.destroy();
    ws._failHandshake(err);
  };
  const onError = (err: Error) => fail(err);
  const onClose = () => fail(new Error('The socket closed before the handshake completed'));
  const onData = (chunk: Buffer) => {
    let parsed: { head: ResponseHead; rest: Uint8Array } | null;
    try {
      parsed = parser.push(chunk);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (parsed === null) return;
    const { head, rest } = parsed;
    if (head.statusCode !== 101 && ws.listenerCount('unexpected-response') > 0) {
      // As in ws: the application inspects the response and decides; the socket is its to end.
      // As in ws, a listener replaces the error: the application sees the response
      // (status, headers) and the connection then closes with 1006.
      cleanup();
      socket.destroy();
      ws._failHandshake(null, { method: 'GET', path: url.pathname + url.search, host: url.host }, head);
      return;
    }
    let negotiated: NegotiatedDeflate | undefined;
    let protocol: string;
    try {
      protocol = checkUpgradeResponse(head, key, protocols);
      negotiated = clientDeflateAccept(head.headers['sec-websocket-extensions'], deflate);
    } catch (err) {
      fail(err as Error);
      return;
    }
    cleanup();
    ws._setSocket(socket, rest, {
      role: 'client',
      maxPayload,
      skipUTF8Validation: options.skipUTF8Validation,
      autoPong: options.autoPong,
      closeTimeout: options.closeTimeout,
      deflate: negotiated,
      protocol,
    });
    ws.emit('upgrade', head);
    ws.emit('open');
  };

  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);
  socket.write(request);
  if (options.handshakeTimeout !== undefined && options.handshakeTimeout > 0) {
    timer = setTimeout(() => fail(new Error('Opening handshake has timed out')), options.handshakeTimeout);
  }
  ws._abortHandshake = (message) => fail(new Error(message));
  return url.href;
}
