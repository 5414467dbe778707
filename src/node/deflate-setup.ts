// permessage-deflate for the Node handshakes: the protocol layer negotiates, node:zlib
// compresses. One place joins the two so server and client agree on what they build.

import type { PerMessageDeflateOptions } from '../protocol/deflate.js';
import { acceptDeflateResponse, deflateOffer, negotiateDeflate } from '../protocol/permessage-deflate.js';
import type { MessageCompressor } from '../protocol/deflate.js';
import { HandshakeError } from '../protocol/handshake.js';
import { createZlibCompressor } from './zlib-compressor.js';

export interface NegotiatedDeflate {
  compressor: MessageCompressor;
  /** The Sec-WebSocket-Extensions value both sides agreed on. */
  extensions: string;
  threshold: number;
}

/** Server: accept the client's offer if any is acceptable; a malformed offer is a 400. */
export function serverDeflateAccept(offerHeader: string, options: PerMessageDeflateOptions, maxPayload: number): NegotiatedDeflate | null {
  let negotiated;
  try {
    negotiated = negotiateDeflate(offerHeader, options);
  } catch (err) {
    throw new HandshakeError(`Invalid or unacceptable Sec-WebSocket-Extensions header: ${(err as Error).message}`, 400);
  }
  if (negotiated === null) return null;
  return {
    compressor: createZlibCompressor({ params: negotiated.params, role: 'server', maxPayload, options }),
    extensions: negotiated.response,
    threshold: options.threshold ?? 1024,
  };
}

/** Client: the offer to send. */
export function clientDeflateOffer(options: PerMessageDeflateOptions): string {
  return deflateOffer(options);
}

/** Client: check the server's answer; anything not offered fails the connection. */
export function clientDeflateAccept(header: string | undefined, options: PerMessageDeflateOptions | undefined, maxPayload: number): NegotiatedDeflate | undefined {
  if (header === undefined) return undefined;
  if (options === undefined) throw new Error('Server sent a Sec-WebSocket-Extensions header but no extension was requested');
  let params;
  try {
    params = acceptDeflateResponse(header, options);
  } catch (err) {
    throw new Error(`Invalid Sec-WebSocket-Extensions header: ${(err as Error).message}`);
  }
  return {
    compressor: createZlibCompressor({ params, role: 'client', maxPayload, options }),
    extensions: header,
    threshold: options.threshold ?? 1024,
  };
}
