// permessage-deflate for the Node handshakes: the protocol layer negotiates, node:zlib
// compresses. Negotiation only agrees on parameters; the compressor is made when the
// connection starts, so a handshake refused later owns nothing.

import type { DeflateParams, MessageCompressor, PerMessageDeflateOptions } from '../protocol/deflate.js';
import { HandshakeError } from '../protocol/handshake.js';
import { negotiateDeflate } from '../protocol/permessage-deflate.js';
import { createZlibCompressor } from './zlib-compressor.js';

export interface NegotiatedDeflate {
  params: DeflateParams;
  /** The Sec-WebSocket-Extensions value both sides agreed on. */
  extensions: string;
  options: PerMessageDeflateOptions;
}

/** ws's `perMessageDeflate` option: `true` means all defaults. */
export function deflateOptions(option: boolean | PerMessageDeflateOptions | undefined): PerMessageDeflateOptions | undefined {
  return option === true ? {} : option || undefined;
}

/** Server: accept the client's offer if any is acceptable; a malformed offer is a 400. */
export function serverDeflateAccept(offerHeader: string, options: PerMessageDeflateOptions): NegotiatedDeflate | null {
  let negotiated;
  try {
    negotiated = negotiateDeflate(offerHeader, options);
  } catch (err) {
    // ws's words in the response; what exactly was wrong stays on the error's cause.
    throw new HandshakeError('Invalid or unacceptable Sec-WebSocket-Extensions header', 400, [], { cause: err });
  }
  return negotiated === null ? null : { params: negotiated.params, extensions: negotiated.response, options };
}

/** The connection's compressor for what was negotiated. */
export function startCompressor(deflate: NegotiatedDeflate, role: 'server' | 'client', maxPayload: number): MessageCompressor {
  return createZlibCompressor({ params: deflate.params, role, maxPayload, options: deflate.options });
}
