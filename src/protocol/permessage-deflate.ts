// permessage-deflate negotiation (RFC 7692 §7.1), sans-I/O: header values in, agreed
// DeflateParams and header values out. Option names and meanings are ws's.
//
// Errors: anything wrong with what the peer sent throws ExtensionNegotiationError (and a
// malformed header a SyntaxError from parseExtensions). A server answers either with
// 400 Bad Request and the message as the reason; a client fails the connection. Bad
// *options* are the caller's bug and throw TypeError/RangeError from
// normalizeDeflateOptions, which servers and clients should call once at construction.
//
// Window bits 8: RFC 7692 allows 8, zlib cannot deflate raw data with a 256-byte window
// (deflateInit2 refuses it). We still accept 8 here and let the compressor deflate with
// windowBits 9: zlib never emits a match distance beyond window - 262 bytes, i.e. 250
// with a 512-byte window, so its output is valid for a peer inflating with 256 bytes.
// (This is also what Node does when asked for DeflateRaw windowBits 8. The alternative,
// declining offers that carry server_max_window_bits=8 as ASP.NET Core does, costs
// compression with clients such as Autobahn 13.3/13.5 for no interoperability gain.)

import type { DeflateParams, PerMessageDeflateOptions } from './deflate.js';
import { type Extension, formatExtensions, parseExtensions } from './extensions.js';

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** The peer's extension offer or response is unacceptable; fail the handshake. */
export class ExtensionNegotiationError extends Error {
  override readonly name = 'ExtensionNegotiationError';
}

export interface DeflateNegotiation {
  params: DeflateParams;
  /** The Sec-WebSocket-Extensions value for the 101 response. */
  response: string;
}

/**
 * Validates ws-style options (`true`/`undefined` mean all defaults).
 * @throws TypeError/RangeError describing the first bad option.
 */
export function normalizeDeflateOptions(options: PerMessageDeflateOptions | boolean | undefined): PerMessageDeflateOptions {
  if (options === undefined || options === true) return {};
  if (options === false || typeof options !== 'object' || options === null) {
    throw new TypeError('perMessageDeflate options must be an object or true');
  }
  for (const key of ['serverNoContextTakeover', 'clientNoContextTakeover'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`perMessageDeflate.${key} must be a boolean`);
  }
  for (const key of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean' && !(Number.isInteger(v) && v >= 8 && v <= 15)) {
      throw new RangeError(`perMessageDeflate.${key} must be a boolean or an integer from 8 to 15`);
    }
  }
  const limit = options.concurrencyLimit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError('perMessageDeflate.concurrencyLimit must be a positive integer');
  }
  return options;
}

/** One offer's or response's parameters after validation. */
interface Offered {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: offered without a value (only legal in an offer). */
  clientMaxWindowBits: number | true | undefined;
}

/** 8–15 written as a plain decimal without leading zeros (RFC 7692 §7.1.2), else NaN. */
function windowBits(value: string): number {
  const c0 = value.charCodeAt(0) - 48;
  if (value.length === 1) return c0 === 8 || c0 === 9 ? c0 : NaN;
  const c1 = value.charCodeAt(1) - 48;
  return value.length === 2 && c0 === 1 && c1 >= 0 && c1 <= 5 ? 10 + c1 : NaN;
}

function readParams(ext: Extension, what: 'offer' | 'response'): Offered {
  const fail = (why: string) => new ExtensionNegotiationError(`Invalid permessage-deflate ${what}: ${why}`);
  const p: Offered = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [key, values] of ext.params) {
    if (values.length > 1) throw fail(`parameter "${key}" appears more than once`);
    const value = values[0]!;
    switch (key) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) throw fail(`parameter "${key}" takes no value`);
        if (key === 'server_no_context_takeover') p.serverNoContextTakeover = true;
        else p.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        if (value === true) {
          // A client may say "I can limit my window" without a value; nothing else may omit it.
          if (key === 'client_max_window_bits' && what === 'offer') {
            p.clientMaxWindowBits = true;
            break;
          }
          throw fail(`parameter "${key}" needs a value`);
        }
        const bits = windowBits(value);
        if (Number.isNaN(bits)) throw fail(`parameter "${key}" must be an integer from 8 to 15, got ${JSON.stringify(value)}`);
        if (key === 'server_max_window_bits') p.serverMaxWindowBits = bits;
        else p.clientMaxWindowBits = bits;
        break;
      }
      default:
        throw fail(`unknown parameter "${key}"`);
    }
  }
  return p;
}

const extensionsOf = (header: string | readonly Extension[]) => (typeof header === 'string' ? parseExtensions(header) : header);

/**
 * Server side: picks the first acceptable permessage-deflate offer (other extensions are
 * ignored). Returns null when none is acceptable, so the connection runs uncompressed.
 * @throws ExtensionNegotiationError when any permessage-deflate offer is malformed.
 */
export function negotiateDeflate(
  offers: string | readonly Extension[],
  options?: PerMessageDeflateOptions | true,
): DeflateNegotiation | null {
  const opts = normalizeDeflateOptions(options);
  // Every offer is validated before one is chosen: a malformed header fails the handshake
  // whichever offer would have won (ws's behaviour; RFC 7692 §5 would only decline it).
  const parsed = extensionsOf(offers)
    .filter((e) => e.name === PERMESSAGE_DEFLATE)
    .map((e) => readParams(e, 'offer'));

  for (const offer of parsed) {
    if (opts.serverNoContextTakeover === false && offer.serverNoContextTakeover) continue;
    if (
      offer.serverMaxWindowBits !== undefined &&
      (opts.serverMaxWindowBits === false ||
        (typeof opts.serverMaxWindowBits === 'number' && opts.serverMaxWindowBits > offer.serverMaxWindowBits))
    )
      continue;
    // We can only cap the client's window if it said it understands the parameter.
    if (typeof opts.clientMaxWindowBits === 'number' && offer.clientMaxWindowBits === undefined) continue;

    const params: DeflateParams = {
      serverNoContextTakeover: opts.serverNoContextTakeover === true || offer.serverNoContextTakeover,
      clientNoContextTakeover: opts.clientNoContextTakeover === true || offer.clientNoContextTakeover,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    const response: Record<string, true | number> = {};
    if (params.serverNoContextTakeover) response.server_no_context_takeover = true;
    if (params.clientNoContextTakeover) response.client_no_context_takeover = true;

    const serverBits = typeof opts.serverMaxWindowBits === 'number' ? opts.serverMaxWindowBits : offer.serverMaxWindowBits;
    if (serverBits !== undefined) response.server_max_window_bits = params.serverMaxWindowBits = serverBits;

    const offeredClient = offer.clientMaxWindowBits;
    let clientBits: number | undefined;
    if (typeof opts.clientMaxWindowBits === 'number') {
      // The response may not exceed a value the client offered (RFC 7692 §7.1.2.2).
      clientBits = typeof offeredClient === 'number' ? Math.min(offeredClient, opts.clientMaxWindowBits) : opts.clientMaxWindowBits;
    } else if (typeof offeredClient === 'number' && opts.clientMaxWindowBits !== false) {
      clientBits = offeredClient; // echo it: our inflater then needs no more window than the client uses
    }
    if (clientBits !== undefined) response.client_max_window_bits = params.clientMaxWindowBits = clientBits;

    return { params, response: formatExtensions([{ name: PERMESSAGE_DEFLATE, params: response }]) };
  }
  return null;
}

/** Client side: the Sec-WebSocket-Extensions value offering permessage-deflate. */
export function deflateOffer(options?: PerMessageDeflateOptions | true): string {
  const opts = normalizeDeflateOptions(options);
  const params: Record<string, true | number> = {};
  if (opts.serverNoContextTakeover) params.server_no_context_takeover = true;
  if (opts.clientNoContextTakeover) params.client_no_context_takeover = true;
  if (typeof opts.serverMaxWindowBits === 'number') params.server_max_window_bits = opts.serverMaxWindowBits;
  // Unless told not to, say we can limit our window so the server may ask us to.
  if (typeof opts.clientMaxWindowBits === 'number') params.client_max_window_bits = opts.clientMaxWindowBits;
  else if (opts.clientMaxWindowBits !== false) params.client_max_window_bits = true;
  return formatExtensions([{ name: PERMESSAGE_DEFLATE, params }]);
}

/**
 * Client side: validates the server's Sec-WebSocket-Extensions response to deflateOffer(options).
 * @throws ExtensionNegotiationError (or SyntaxError) when the connection must be failed.
 */
export function acceptDeflateResponse(response: string | readonly Extension[], options?: PerMessageDeflateOptions | true): DeflateParams {
  const opts = normalizeDeflateOptions(options);
  const extensions = extensionsOf(response);
  const fail = (why: string) => new ExtensionNegotiationError(`Server response rejected: ${why}`);
  for (const e of extensions) {
    if (e.name !== PERMESSAGE_DEFLATE) throw fail(`extension "${e.name}" was not offered`);
  }
  if (extensions.length !== 1) throw fail('permessage-deflate accepted more than once');
  const p = readParams(extensions[0]!, 'response');

  if (opts.clientNoContextTakeover === false && p.clientNoContextTakeover) {
    throw fail('client_no_context_takeover was refused in the offer');
  }
  if (opts.serverNoContextTakeover === true && !p.serverNoContextTakeover) {
    throw fail('server_no_context_takeover was requested but not accepted');
  }
  if (typeof opts.serverMaxWindowBits === 'number') {
    if (p.serverMaxWindowBits === undefined) throw fail('server_max_window_bits was requested but not accepted');
    if (p.serverMaxWindowBits > opts.serverMaxWindowBits) {
      throw fail(`server_max_window_bits=${p.serverMaxWindowBits} exceeds the requested ${opts.serverMaxWindowBits}`);
    }
  }
  let clientBits = p.clientMaxWindowBits as number | undefined; // responses always carry a value
  if (clientBits !== undefined) {
    if (opts.clientMaxWindowBits === false) throw fail('client_max_window_bits was not offered');
    if (typeof opts.clientMaxWindowBits === 'number' && clientBits > opts.clientMaxWindowBits) {
      throw fail(`client_max_window_bits=${clientBits} exceeds the offered ${opts.clientMaxWindowBits}`);
    }
  } else if (typeof opts.clientMaxWindowBits === 'number') {
    clientBits = opts.clientMaxWindowBits; // we promised not to exceed it either way
  }
  return {
    serverNoContextTakeover: p.serverNoContextTakeover,
    clientNoContextTakeover: p.clientNoContextTakeover,
    serverMaxWindowBits: p.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: clientBits ?? 15,
  };
}

/**
 * Client: checks the server's Sec-WebSocket-Extensions against our offer (`undefined`:
 * we offered nothing). The messages are ws's, for code that matches on them; what exactly
 * was wrong is the error's cause.
 */
export function acceptServerExtensions(header: string, offered: PerMessageDeflateOptions | true | undefined): DeflateParams {
  if (offered === undefined) throw new Error('Server sent a Sec-WebSocket-Extensions header but no extension was requested');
  let extensions: Extension[];
  try {
    extensions = parseExtensions(header);
  } catch (err) {
    throw new Error('Invalid Sec-WebSocket-Extensions header', { cause: err });
  }
  if (extensions.some((e) => e.name !== PERMESSAGE_DEFLATE)) throw new Error('Server indicated an extension that was not requested');
  try {
    return acceptDeflateResponse(extensions, offered);
  } catch (err) {
    throw new Error('Invalid Sec-WebSocket-Extensions header', { cause: err });
  }
}
