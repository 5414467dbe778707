// The client's opening handshake over a byte stream: write the upgrade request, read the
// 101 straight off the stream, check it. The rules are the protocol layer's
// (client-handshake.ts, http.ts); this file only moves the bytes.

import { ClientHandshake, requestPath, type ClientHandshakeResult } from '../protocol/client-handshake.js';
import { ResponseHeadParser } from '../protocol/http.js';
import { WEB_DEFLATE_OPTIONS } from './compression-stream-deflate.js';
import type { StreamTransport } from './stream-transport.js';

export interface HandshakeRequest {
  url: URL;
  protocols: string[];
  /** Offer permessage-deflate (WEB_DEFLATE_OPTIONS). */
  offerDeflate: boolean;
  headers?: Record<string, string>;
}

export interface HandshakeResult extends ClientHandshakeResult {
  /** Bytes that followed the response head: the first frames. */
  rest: Uint8Array;
}

/** Runs the handshake; rejects with an Error saying what was wrong. */
export async function clientHandshake(transport: StreamTransport, req: HandshakeRequest): Promise<HandshakeResult> {
  // Browsers list subprotocols as 'a, b' (ws as 'a,b'); WEB_DEFLATE_OPTIONS is what CompressionStream can honour.
  const handshake = new ClientHandshake({
    protocols: req.protocols,
    perMessageDeflate: req.offerDeflate ? WEB_DEFLATE_OPTIONS : undefined,
    protocolSeparator: ', ',
  });
  const head = handshake.requestHead({ host: req.url.host, path: requestPath(req.url) }, req.headers);
  // Not awaited: some pairs only complete a write once the other side reads it, and a
  // failed write ends the stream, which the read below reports.
  transport.writeHead(new TextEncoder().encode(head));

  const parser = new ResponseHeadParser();
  // Bounded: the parser throws once the head passes MAX_HEAD_BYTES.
  for (;;) {
    const chunk = await transport.read();
    if (chunk === null) throw new Error('The connection closed before the handshake completed');
    const parsed = parser.push(chunk);
    if (parsed === null) continue;
    return { ...handshake.accept(parsed.head), rest: parsed.rest };
  }
}
