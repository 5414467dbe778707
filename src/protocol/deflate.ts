// permessage-deflate (RFC 7692) as the protocol layer sees it: negotiated parameters and
// a per-connection compressor it drives. The compressor itself is platform code
// (node:zlib in src/node/, CompressionStream on the web) handed in by the transport,
// which keeps this layer free of node: imports.

/** Parameters both ends agreed on in the handshake (RFC 7692 §7.1). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** LZ77 window the server compresses with, 8–15 (15 when not negotiated). */
  serverMaxWindowBits: number;
  /** LZ77 window the client compresses with, 8–15 (15 when not negotiated). */
  clientMaxWindowBits: number;
}

/** ws's `perMessageDeflate` option object (`true` means all defaults). */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  /** Server: the largest window we accept to use (or offer a cap). Client: request this cap. */
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  /** Messages smaller than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
  /** Deflate/inflate operations running at once in the whole process (default 10). */
  concurrencyLimit?: number;
  zlibDeflateOptions?: Record<string, unknown>;
  zlibInflateOptions?: Record<string, unknown>;
}

export type DeflateCallback = (err: Error | null, data?: Uint8Array) => void;

/** One connection's compression state. Calls complete in the order they were made. */
export interface MessageCompressor {
  /**
   * Compresses one fragment of an outgoing message. With `fin` the message ends: the
   * 00 00 FF FF sync-flush tail is removed and, without context takeover, the window reset.
   */
  compress(data: Uint8Array, fin: boolean, callback: DeflateCallback): void;
  /**
   * Inflates one whole received message (the tail is appended here). Output beyond
   * `maxPayload` fails with a ProtocolError 1009 without holding the rest in memory;
   * corrupt data fails with a ProtocolError 1007.
   */
  decompress(data: Uint8Array, callback: DeflateCallback): void;
  /**
   * The peer's inflater window now holds data this compressor did not produce (a message
   * compressed elsewhere, e.g. once for a whole broadcast group): the next message this
   * compressor starts must not reference earlier output. Lazy — the window is reset when
   * that next message's first compress() runs, in call order with everything before it —
   * and a no-op without context takeover (the window is reset after every message anyway).
   * Optional: a compressor without it cannot be sent precompressed messages.
   */
  forgetContext?(): void;
  /** Frees the zlib handles; pending callbacks are never called. */
  close(): void;
}

export interface CompressorOptions {
  params: DeflateParams;
  role: 'server' | 'client';
  /** Largest inflated message; 0 means no limit. */
  maxPayload: number;
  options: PerMessageDeflateOptions;
}

export type CompressorFactory = (options: CompressorOptions) => MessageCompressor;
