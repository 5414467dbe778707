// The harness's own permessage-deflate (RFC 7692) message codec and the
// negotiation data for the compression groups. Built directly on node:zlib so
// that it shares nothing with the codec under test.
//
// Message transform (RFC 7692 §7.2):
//   compress   = raw DEFLATE, sync flush, drop the trailing 00 00 FF FF
//   decompress = append 00 00 FF FF, raw INFLATE
// With context takeover one zlib stream lives across messages, so messages are
// processed strictly in call order (each direction has its own queue).

import zlib from 'node:zlib';

const { Z_SYNC_FLUSH } = zlib.constants;
const TRAILER = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

/** Error with a machine-readable `.code` for the harness's verdicts. */
function pmdError(code, message, cause) {
  const err = /** @type {Error & { code?: string }} */ (new Error(message, cause ? { cause } : undefined));
  err.code = code;
  return err;
}

function checkWindowBits(name, bits) {
  if (!Number.isInteger(bits) || bits < 8 || bits > 15) throw new RangeError(`${name} must be an integer 8..15, got ${bits}`);
  return bits;
}

// zlib (since 1.2.9) refuses windowBits 8 for raw deflate; 1.2.8 silently used 9.
// Using 9 is still correct for a peer that asked for an 8-bit window: zlib's
// deflate never emits a distance above window size - MIN_LOOKAHEAD (262), so a
// 9-bit (512-byte) window yields distances <= 250 and the stream inflates with
// a 256-byte window. Node.js documents the same reasoning for its own silent
// 8 -> 9 upgrade on createDeflateRaw. Inflate has no such limit: raw inflate
// accepts 8, so the receiving side uses the negotiated value as is.
const deflateBitsFor = (bits) => (bits === 8 ? 9 : bits);

/** Concatenate into a fresh, exact-size Uint8Array (not a view on a pooled Buffer). */
function concat(chunks, total) {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// One node zlib stream, fed one message at a time. Listeners are permanent and
// route to the operation in progress, so a late 'error' never goes unhandled.
class ZStream {
  constructor(stream) {
    this.stream = stream;
    this.op = null;
    this.ended = false; // inflate reached a BFINAL block: the zlib stream is done
    stream.on('data', (chunk) => this.op?.data(chunk));
    stream.on('error', (err) => this.op?.fail(err));
    stream.on('end', () => {
      this.ended = true;
    });
  }

  /**
   * Writes `parts`, sync-flushes, resolves with everything produced.
   * Past `maxBytes` of output it stops zlib at once (destroying the stream) and
   * rejects with TOO_BIG, so a bomb costs at most maxBytes + one chunk.
   * @returns {Promise<Uint8Array>}
   */
  run(parts, maxBytes, wrapError) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let total = 0;
      const op = {
        data: (chunk) => {
          total += chunk.length;
          if (total > maxBytes) {
            op.settle(pmdError('TOO_BIG', `decompressed message exceeds ${maxBytes} bytes`));
            this.destroy();
          } else chunks.push(chunk);
        },
        fail: (err) => op.settle(wrapError(err)),
        settle: (err) => {
          if (this.op !== op) return;
          this.op = null;
          if (err) reject(err);
          else resolve(concat(chunks, total));
        },
      };
      this.op = op;
      for (const part of parts) if (part.length > 0) this.stream.write(part);
      // The flush callback runs after zlib has pushed this flush's output; the
      // extra turn lets a pending 'end' (BFINAL seen) be recorded first.
      this.stream.flush(Z_SYNC_FLUSH, () => setImmediate(() => op.settle(null)));
    });
  }

  reset() {
    this.stream.reset();
  }

  destroy(reason) {
    if (reason) this.op?.settle(reason);
    this.stream.destroy();
  }
}

// Runs tasks one after another; a failed task does not block the next one.
class Queue {
  tail = Promise.resolve();
  /**
   * @template T
   * @param {() => T | PromiseLike<T>} task
   * @returns {Promise<T>}
   */
  push(task) {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }
}

class Compressor {
  constructor(windowBits, noContextTakeover) {
    this.windowBits = deflateBitsFor(windowBits);
    this.noContextTakeover = noContextTakeover;
    this.z = null;
    this.queue = new Queue();
    this.closed = false;
  }

  compress(payload) {
    return this.queue.push(async () => {
      if (this.closed) throw pmdError('CLOSED', 'codec is closed');
      if (!this.z) this.z = new ZStream(zlib.createDeflateRaw({ windowBits: this.windowBits }));
      else if (this.noContextTakeover) this.z.reset(); // fresh LZ77 window for every message
      let out;
      try {
        out = await this.z.run([payload], Infinity, (err) => pmdError('DEFLATE_FAILED', err.message, err));
      } catch (err) {
        this.z?.destroy();
        this.z = null;
        throw err;
      }
      // A sync flush that had no new input emits nothing at all (zlib's "no
      // progress"), e.g. a second empty message with context takeover. The
      // message must still decode, so send one 0x00: with the receiver's
      // appended 00 00 FF FF it is an empty stored block (RFC 7692 §7.2.3.6).
      if (out.length === 0) return Uint8Array.of(0x00);
      const n = out.length;
      if (n < 4 || out[n - 4] !== 0 || out[n - 3] !== 0 || out[n - 2] !== 0xff || out[n - 1] !== 0xff) {
        throw pmdError('DEFLATE_FAILED', 'sync flush did not end with 00 00 FF FF');
      }
      return out.slice(0, n - 4); // a copy, so .buffer holds exactly the payload
    });
  }

  close() {
    this.closed = true;
    this.z?.destroy(pmdError('CLOSED', 'codec closed during compression'));
    this.z = null;
  }
}

class Decompressor {
  constructor(windowBits, noContextTakeover) {
    this.windowBits = windowBits;
    this.noContextTakeover = noContextTakeover;
    this.z = null;
    this.queue = new Queue();
    this.closed = false;
    this.broken = null; // with context takeover, a failed message loses the shared window for good
    this.window = new Uint8Array(0); // last 2^windowBits bytes of output (context takeover only)
  }

  decompress(payload, maxBytes) {
    return this.queue.push(async () => {
      if (this.closed) throw pmdError('CLOSED', 'codec is closed');
      if (this.broken) throw pmdError('BROKEN', 'an earlier message failed; the shared LZ77 window is lost', this.broken);
      // An empty payload plus the trailer is a stored-block header with LEN
      // 0xFF00 and no NLEN: an unfinished block, not an empty message. zlib
      // would wait silently and mis-read the next message, so refuse here.
      if (payload.length === 0) throw pmdError('BAD_DEFLATE', 'empty compressed payload is not a complete DEFLATE block');

      if (this.z && this.noContextTakeover) this.z.reset();
      if (!this.z) {
        const options = { windowBits: this.windowBits };
        // Continuing after the peer ended a DEFLATE stream (see below): prime
        // the new inflater with the old window so back-references still resolve.
        if (!this.noContextTakeover && this.window.length > 0) options.dictionary = this.window;
        this.z = new ZStream(zlib.createInflateRaw(options));
      }

      let out;
      try {
        out = await this.z.run([payload, TRAILER], maxBytes, (err) => pmdError('BAD_DEFLATE', `invalid DEFLATE data: ${err.message}`, err));
      } catch (err) {
        this.z?.destroy();
        this.z = null;
        if (!this.noContextTakeover && err.code !== 'CLOSED') this.broken = err;
        throw err;
      }

      if (!this.noContextTakeover) this.window = keepTail(this.window, out, 2 ** this.windowBits);
      // RFC 7692 §7.2.3.3 lets a sender end a message with a BFINAL block.
      // zlib then ends the stream and would ignore every later message, so
      // start a new inflater for the next one.
      if (this.z.ended) {
        this.z.destroy();
        this.z = null;
      }
      return out;
    });
  }

  close() {
    this.closed = true;
    this.z?.destroy(pmdError('CLOSED', 'codec closed during decompression'));
    this.z = null;
  }
}

/** The last `size` bytes of prev ++ next, without building the whole concatenation. */
function keepTail(prev, next, size) {
  if (next.length >= size) return next.slice(next.length - size);
  const fromPrev = Math.min(prev.length, size - next.length);
  const out = new Uint8Array(fromPrev + next.length);
  out.set(prev.subarray(prev.length - fromPrev), 0);
  out.set(next, fromPrev);
  return out;
}

/**
 * @param {{ deflateWindowBits?: number, deflateNoContextTakeover?: boolean,
 *           inflateWindowBits?: number, inflateNoContextTakeover?: boolean }} [options]
 * @returns {{ compress(payload: Uint8Array): Promise<Uint8Array>,
 *             decompress(payload: Uint8Array, options?: { maxBytes?: number }): Promise<Uint8Array>,
 *             close(): void }}
 * Errors carry `.code`: 'BAD_DEFLATE', 'TOO_BIG', 'BROKEN' (a later message
 * after a failure with inflate context takeover), 'CLOSED', 'DEFLATE_FAILED'.
 */
export function createPmdCodec({
  deflateWindowBits = 15,
  deflateNoContextTakeover = false,
  inflateWindowBits = 15,
  inflateNoContextTakeover = false,
} = {}) {
  const compressor = new Compressor(checkWindowBits('deflateWindowBits', deflateWindowBits), !!deflateNoContextTakeover);
  const decompressor = new Decompressor(checkWindowBits('inflateWindowBits', inflateWindowBits), !!inflateNoContextTakeover);
  return {
    compress(payload) {
      if (!(payload instanceof Uint8Array)) return Promise.reject(new TypeError('payload must be a Uint8Array'));
      return compressor.compress(payload);
    },
    decompress(payload, { maxBytes = Infinity } = {}) {
      if (!(payload instanceof Uint8Array)) return Promise.reject(new TypeError('payload must be a Uint8Array'));
      return decompressor.decompress(payload, maxBytes);
    },
    close() {
      compressor.close();
      decompressor.close();
    },
  };
}

// ---------------------------------------------------------------------------
// Negotiation (RFC 7692 §7.1)

const PARAM_NAMES = ['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits', 'client_max_window_bits'];

/**
 * Splits a Sec-WebSocket-Extensions value into [{ name, params: Map }] (RFC 6455
 * §9.1 grammar; a quoted value is unquoted). Throws on anything malformed.
 */
function parseHeader(header) {
  if (typeof header !== 'string') throw new TypeError('extension header must be a string');
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // Split on , and ; outside quoted strings.
  /** @type {string[][]} */
  const elements = [[]];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i];
    if (quoted) {
      if (ch === '\\') {
        current += ch + (header[++i] ?? '');
        continue;
      }
      if (ch === '"') quoted = false;
      current += ch;
    } else if (ch === '"') {
      quoted = true;
      current += ch;
    } else if (ch === ';') {
      elements.at(-1).push(current);
      current = '';
    } else if (ch === ',') {
      elements.at(-1).push(current);
      current = '';
      elements.push([]);
    } else current += ch;
  }
  if (quoted) throw new SyntaxError('unterminated quoted string');
  elements.at(-1).push(current);

  return elements.map((parts) => {
    const name = parts[0].trim();
    if (!token.test(name)) throw new SyntaxError(`bad extension name ${JSON.stringify(name)}`);
    const params = new Map();
    for (const raw of parts.slice(1)) {
      const eq = raw.indexOf('=');
      const key = (eq < 0 ? raw : raw.slice(0, eq)).trim();
      if (!token.test(key)) throw new SyntaxError(`bad parameter name ${JSON.stringify(key)}`);
      /** @type {string | true} */
      let value = true; // present without a value
      if (eq >= 0) {
        value = raw.slice(eq + 1).trim();
        if (value.startsWith('"')) {
          if (value.length < 2 || !value.endsWith('"')) throw new SyntaxError(`bad quoted value for ${key}`);
          value = value.slice(1, -1).replace(/\\(.)/g, '$1');
        }
        // Even quoted, a value must be a token (RFC 6455 §9.1).
        if (!token.test(value)) throw new SyntaxError(`bad value for ${key}`);
      }
      const lower = key.toLowerCase();
      if (params.has(lower)) throw new SyntaxError(`duplicate parameter ${key}`);
      params.set(lower, value);
    }
    return { name: name.toLowerCase(), params };
  });
}

// Only the plain decimal spellings 8..15: no sign, no leading zero.
function windowBitsValue(key, value, { required }) {
  if (value === true) {
    if (required) throw new SyntaxError(`${key} needs a value`);
    return true;
  }
  if (!/^(?:8|9|1[0-5])$/.test(value)) throw new SyntaxError(`${key} must be 8..15, got ${value}`);
  return Number(value);
}

function flag(key, value) {
  if (value !== true) throw new SyntaxError(`${key} takes no value`);
  return true;
}

/** Turns one permessage-deflate element's params into the raw parameter record. */
function readParams(params, { inResponse }) {
  const out = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null };
  for (const [key, value] of params) {
    if (key === 'server_no_context_takeover') out.serverNoContextTakeover = flag(key, value);
    else if (key === 'client_no_context_takeover') out.clientNoContextTakeover = flag(key, value);
    else if (key === 'server_max_window_bits') out.serverMaxWindowBits = windowBitsValue(key, value, { required: true });
    // In an offer the client may send it bare ("I can limit my window"); a
    // response must say which limit (RFC 7692 §7.1.2.2).
    else if (key === 'client_max_window_bits') out.clientMaxWindowBits = windowBitsValue(key, value, { required: inResponse });
    else throw new SyntaxError(`unknown permessage-deflate parameter ${key}`);
  }
  return out;
}

/**
 * Parses the server's Sec-WebSocket-Extensions answer. Returns null when the
 * header is absent or empty (the server declined compression). Throws on
 * anything but exactly one well-formed permessage-deflate element.
 * Window bits are effective values (15 when the parameter is absent); `present`
 * says which parameters were actually in the header.
 * @param {string | undefined | null} header
 * @returns {null | { serverNoContextTakeover: boolean, clientNoContextTakeover: boolean,
 *   serverMaxWindowBits: number, clientMaxWindowBits: number, present: string[] }}
 */
export function parseExtensionResponse(header) {
  if (header == null || header.trim() === '') return null;
  const elements = parseHeader(header);
  if (elements.length !== 1) throw new SyntaxError(`expected one extension in the response, got ${elements.length}`);
  const [{ name, params }] = elements;
  if (name !== 'permessage-deflate') throw new SyntaxError(`unexpected extension ${name}`);
  const raw = readParams(params, { inResponse: true });
  return {
    serverNoContextTakeover: raw.serverNoContextTakeover,
    clientNoContextTakeover: raw.clientNoContextTakeover,
    serverMaxWindowBits: raw.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: raw.clientMaxWindowBits ?? 15,
    present: PARAM_NAMES.filter((p) => params.has(p)),
  };
}

/**
 * Parses a client's offer list (for the harness-as-server). Other extensions are
 * skipped; each permessage-deflate offer becomes a raw record where a window
 * parameter is null (absent), true (client_max_window_bits without value) or a
 * number. Throws on a malformed permessage-deflate offer.
 */
export function parseExtensionOffers(header) {
  if (header == null || header.trim() === '') return [];
  return parseHeader(header)
    .filter((e) => e.name === 'permessage-deflate')
    .map((e) => readParams(e.params, { inResponse: false }));
}

/** Formats a raw parameter record (as in negotiationSets) as one extension element. */
export function formatPmdParams({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits }) {
  const parts = ['permessage-deflate'];
  if (serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (serverMaxWindowBits != null) parts.push(`server_max_window_bits=${serverMaxWindowBits}`);
  if (clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (clientMaxWindowBits != null) parts.push(`client_max_window_bits=${clientMaxWindowBits}`);
  return parts.join('; ');
}

/**
 * Index of the first offer that a parsed response is a valid acceptance of
 * (RFC 7692 §7.1), or -1. A server may add server_no_context_takeover,
 * client_no_context_takeover and server_max_window_bits unasked; it must
 * echo server_no_context_takeover and server_max_window_bits (same or smaller)
 * when they were offered; client_max_window_bits only if offered, and not above
 * an offered value.
 */
export function findAcceptedOffer(response, offers) {
  const has = (p) => response.present.includes(p);
  return offers.findIndex((offer) => {
    if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) return false;
    if (offer.serverMaxWindowBits != null && (!has('server_max_window_bits') || response.serverMaxWindowBits > offer.serverMaxWindowBits))
      return false;
    if (has('client_max_window_bits')) {
      if (offer.clientMaxWindowBits == null) return false;
      if (offer.clientMaxWindowBits !== true && response.clientMaxWindowBits > offer.clientMaxWindowBits) return false;
    }
    return true;
  });
}

/**
 * createPmdCodec options for one endpoint of a connection with the agreed
 * (parsed response) parameters: each side compresses with its own parameters
 * and decompresses with the peer's.
 * @param {'client'|'server'} role
 */
export function pmdCodecOptions(agreed, role) {
  const own = role === 'client' ? 'client' : role === 'server' ? 'server' : null;
  if (!own) throw new TypeError(`role must be 'client' or 'server', got ${role}`);
  const peer = own === 'client' ? 'server' : 'client';
  return {
    deflateWindowBits: agreed[`${own}MaxWindowBits`],
    deflateNoContextTakeover: agreed[`${own}NoContextTakeover`],
    inflateWindowBits: agreed[`${peer}MaxWindowBits`],
    inflateNoContextTakeover: agreed[`${peer}NoContextTakeover`],
  };
}

const P = (o = {}) => ({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: null,
  clientMaxWindowBits: null,
  ...o,
});

/**
 * The seven parameter sets of the compression-negotiation group.
 *  - offers/offer: what the harness, as a client, sends (offers in preference order);
 *  - responseParams/response: what the harness, as a server, answers a client that
 *    offered `permessage-deflate; client_max_window_bits` (what ws-style clients
 *    send). Responses constrain both directions, so the peer's compressor is held
 *    to the same limits the client-role offer asks of a server.
 *
 * Small window: 9, not 8. RFC 7692 allows 8, but zlib cannot deflate with a
 * 256-byte raw window (see deflateBitsFor) and zlib-based servers commonly
 * decline 8 (e.g. .NET's implementation refuses server_max_window_bits=8), so a
 * set built on 8 would mostly measure that refusal instead of small-window
 * compression. 8 is still offered, first, in set 7, where a server that declines
 * it can accept the next offer.
 */
export function negotiationSets() {
  const sets = [
    {
      title: 'Default parameters',
      offers: [P()],
      responseParams: P(),
    },
    {
      title: 'Client requests server_no_context_takeover',
      offers: [P({ serverNoContextTakeover: true })],
      responseParams: P({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
    },
    {
      title: 'Client requests server_max_window_bits=9',
      offers: [P({ serverMaxWindowBits: 9 })],
      responseParams: P({ serverMaxWindowBits: 9, clientMaxWindowBits: 9 }),
    },
    {
      title: 'Client requests server_max_window_bits=15',
      offers: [P({ serverMaxWindowBits: 15 })],
      responseParams: P({ serverMaxWindowBits: 15, clientMaxWindowBits: 15 }),
    },
    {
      title: 'No context takeover with a 9-bit window',
      offers: [P({ serverNoContextTakeover: true, serverMaxWindowBits: 9 })],
      responseParams: P({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 }),
    },
    {
      title: 'No context takeover with a 15-bit window',
      offers: [P({ serverNoContextTakeover: true, serverMaxWindowBits: 15 })],
      responseParams: P({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }),
    },
    {
      // Several offers in one header: the server must accept the first one it
      // can. The server-role response uses unequal client/server values to
      // catch peers that mix up the server_ and client_ parameters.
      title: 'Several offers in preference order',
      offers: [
        P({ serverNoContextTakeover: true, serverMaxWindowBits: 8 }),
        P({ serverNoContextTakeover: true, serverMaxWindowBits: 9 }),
        P({ clientMaxWindowBits: true }),
      ],
      responseParams: P({ clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 10 }),
    },
  ];
  return sets.map((s, i) => ({
    id: i + 1,
    title: s.title,
    offer: s.offers.map(formatPmdParams).join(', '),
    offers: s.offers,
    response: formatPmdParams(s.responseParams),
    responseParams: s.responseParams,
  }));
}
