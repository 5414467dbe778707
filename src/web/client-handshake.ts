// The client's opening handshake over a byte stream: write the upgrade request, read the
// 101 straight off the stream, check it. The rules are the protocol layer's
// (handshake.ts, http.ts, permessage-deflate.ts); this file only moves the bytes.

import type { DeflateParams } from '../protocol/deflate.js';
import { checkUpgradeResponse, clientRequestHead, createClientKey } from '../protocol/handshake.js';
import { ResponseHeadParser } from '../protocol/http.js';
import { acceptServerExtensions, deflateOffer } from '../protocol/permessage-deflate.js';
import { WEB_DEFLATE_OPTIONS } from './compression-stream-deflate.js';
import type { StreamTransport } from './stream-transport.js';

export interface HandshakeRequest {
  url: URL;
  protocols: string[];
  /** Offer permessage-deflate (WEB_DEFLATE_OPTIONS). */
  offerDeflate: boolean;
  headers?: Record<string, string>;
}

export interface HandshakeResult {
  /** The subprotocol the server chose ('' for none). */
  protocol: string;
  /** The server's Sec-WebSocket-Extensions value ('' for none). */
  extensions: string;
  /** permessage-deflate as agreed, when it was. */
  deflate: DeflateParams | undefined;
  /** Bytes that followed the response head: the first frames. */
  rest: Uint8Array;
}

/** Runs the handshake; rejects with an Error saying what was wrong. */
export async function clientHandshake(transport: StreamTransport, req: HandshakeRequest): Promise<HandshakeResult> {
  const key = createClientKey();
  const offer = req.offerDeflate ? deflateOffer(WEB_DEFLATE_OPTIONS) : undefined;
  const head = clientRequestHead({
    host: req.url.host,
    path: (req.url.pathname || '/') + req.url.search,
    key,
    protocols: req.protocols,
    extensions: offer,
    headers: req.headers,
  });
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
    const { head: response, rest } = parsed;
    const protocol = checkUpgradeResponse(response, key, req.protocols);
    const extensions = response.headers['sec-websocket-extensions'];
    let deflate: DeflateParams | undefined;
    if (extensions !== undefined) deflate = acceptServerExtensions(extensions, offer === undefined ? undefined : WEB_DEFLATE_OPTIONS);
    return { protocol, extensions: extensions ?? '', deflate, rest };
  }
}
