// permessage-deflate negotiation (RFC 7692 §7.1): server acceptance with ws's option
// semantics, fallback offers, refusal of malformed offers, the client's offer and its
// validation of the server's response, and server/client agreement end to end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  negotiateDeflate,
  deflateOffer,
  acceptDeflateResponse,
  normalizeDeflateOptions,
  ExtensionNegotiationError,
  PERMESSAGE_DEFLATE,
} from '../../dist/protocol/permessage-deflate.js';
import { parseExtensions } from '../../dist/protocol/extensions.js';
import { deflateParams } from '../helpers/deflate-params.js';

const params = deflateParams;
const negotiationError = (re) => (err) => err instanceof ExtensionNegotiationError && re.test(err.message);

describe('server: negotiateDeflate', () => {
  // The parameter sets Autobahn's 13.x cases offer, plus the window-bits combos.
  /** @type {Array<[string, string, import('../../dist/protocol/deflate.js').PerMessageDeflateOptions]>} */
  const accepted = [
    ['permessage-deflate', 'permessage-deflate', {}],
    ['permessage-deflate; client_max_window_bits', 'permessage-deflate', {}],
    ['permessage-deflate; server_no_context_takeover', 'permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: true }],
    ['permessage-deflate; client_no_context_takeover', 'permessage-deflate; client_no_context_takeover', { clientNoContextTakeover: true }],
    ['permessage-deflate; server_max_window_bits=9', 'permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 9 }],
    ['permessage-deflate; server_max_window_bits=15', 'permessage-deflate; server_max_window_bits=15', {}],
    ['permessage-deflate; client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 9 }],
    ['permessage-deflate; client_max_window_bits=15', 'permessage-deflate; client_max_window_bits=15', {}],
    [
      'permessage-deflate; server_max_window_bits=9; client_max_window_bits=15',
      'permessage-deflate; server_max_window_bits=9; client_max_window_bits=15',
      { serverMaxWindowBits: 9 },
    ],
    [
      'permessage-deflate; server_max_window_bits=15; client_max_window_bits=9',
      'permessage-deflate; server_max_window_bits=15; client_max_window_bits=9',
      { clientMaxWindowBits: 9 },
    ],
    [
      'permessage-deflate; client_max_window_bits=9; server_max_window_bits=9',
      'permessage-deflate; server_max_window_bits=9; client_max_window_bits=9',
      { serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=8',
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=8',
      { clientNoContextTakeover: true, serverMaxWindowBits: 8 },
    ],
    [
      'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15',
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
    ],
    ['permessage-deflate; server_max_window_bits="10"', 'permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 10 }],
    ['permessage-deflate ;  server_max_window_bits = 12 ', 'permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 12 }],
  ];
  for (const [offer, response, agreed] of accepted) {
    it(`accepts ${JSON.stringify(offer)} with default options`, () => {
      assert.deepEqual(negotiateDeflate(offer), { params: params(agreed), response });
      assert.deepEqual(negotiateDeflate(offer, true), { params: params(agreed), response });
      assert.deepEqual(negotiateDeflate(parseExtensions(offer), {}), { params: params(agreed), response });
    });
  }

  it('ignores other extensions and returns null when nothing is offered', () => {
    assert.deepEqual(
      negotiateDeflate('x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=10').params,
      params({ serverMaxWindowBits: 10 }),
    );
    assert.equal(negotiateDeflate('x-webkit-deflate-frame; max_window_bits=99'), null);
    assert.equal(negotiateDeflate('permessage-deflatex'), null);
  });

  it('serverNoContextTakeover: true imposes it, false declines offers that ask for it', () => {
    assert.deepEqual(negotiateDeflate('permessage-deflate', { serverNoContextTakeover: true }), {
      params: params({ serverNoContextTakeover: true }),
      response: 'permessage-deflate; server_no_context_takeover',
    });
    assert.equal(negotiateDeflate('permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: false }), null);
  });

  it('clientNoContextTakeover: true imposes it', () => {
    assert.deepEqual(negotiateDeflate('permessage-deflate', { clientNoContextTakeover: true }), {
      params: params({ clientNoContextTakeover: true }),
      response: 'permessage-deflate; client_no_context_takeover',
    });
  });

  it('serverMaxWindowBits: a number caps our window and declines offers asking for less', () => {
    const opts = { serverMaxWindowBits: 10 };
    assert.equal(negotiateDeflate('permessage-deflate', opts).response, 'permessage-deflate; server_max_window_bits=10');
    assert.deepEqual(negotiateDeflate('permessage-deflate; server_max_window_bits=12', opts).params, params({ serverMaxWindowBits: 10 }));
    assert.deepEqual(negotiateDeflate('permessage-deflate; server_max_window_bits=10', opts).params, params({ serverMaxWindowBits: 10 }));
    assert.equal(negotiateDeflate('permessage-deflate; server_max_window_bits=9', opts), null);
    assert.equal(negotiateDeflate('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: false }), null);
    assert.equal(
      negotiateDeflate('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: true }).params.serverMaxWindowBits,
      9,
    );
  });

  it('clientMaxWindowBits: a number needs client support and never exceeds the client value', () => {
    const opts = { clientMaxWindowBits: 10 };
    assert.equal(negotiateDeflate('permessage-deflate', opts), null);
    assert.deepEqual(negotiateDeflate('permessage-deflate; client_max_window_bits', opts), {
      params: params({ clientMaxWindowBits: 10 }),
      response: 'permessage-deflate; client_max_window_bits=10',
    });
    assert.equal(
      negotiateDeflate('permessage-deflate; client_max_window_bits=9', opts).response,
      'permessage-deflate; client_max_window_bits=9',
    );
    assert.equal(
      negotiateDeflate('permessage-deflate; client_max_window_bits=12', opts).response,
      'permessage-deflate; client_max_window_bits=10',
    );
    // false: never send it, so the client may use any window and we inflate with 15.
    assert.deepEqual(negotiateDeflate('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: false }), {
      params: params(),
      response: 'permessage-deflate',
    });
  });

  it('picks the first acceptable of several offers', () => {
    const offers =
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=8, ' +
      'permessage-deflate; server_no_context_takeover, permessage-deflate';
    assert.deepEqual(negotiateDeflate(offers).params, params({ serverNoContextTakeover: true, serverMaxWindowBits: 8 }));
    assert.deepEqual(negotiateDeflate(offers, { serverMaxWindowBits: 10 }), {
      params: params({ serverNoContextTakeover: true, serverMaxWindowBits: 10 }),
      response: 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
    });
    assert.deepEqual(negotiateDeflate(offers, { serverNoContextTakeover: false }), { params: params(), response: 'permessage-deflate' });
    assert.equal(
      negotiateDeflate('permessage-deflate; server_no_context_takeover, permessage-deflate; server_max_window_bits=9', {
        serverNoContextTakeover: false,
        serverMaxWindowBits: 10,
      }),
      null,
    );
  });

  /** @type {Array<[string, RegExp]>} */
  const invalid = [
    ['permessage-deflate; foo', /unknown parameter "foo"/],
    ['permessage-deflate; foo=1', /unknown parameter "foo"/],
    ['permessage-deflate; Server_No_Context_Takeover', /unknown parameter/],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', /"server_no_context_takeover" appears more than once/],
    ['permessage-deflate; client_max_window_bits; client_max_window_bits=10', /appears more than once/],
    ['permessage-deflate; server_max_window_bits=10; server_max_window_bits=10', /appears more than once/],
    ['permessage-deflate; server_no_context_takeover=1', /"server_no_context_takeover" takes no value/],
    ['permessage-deflate; client_no_context_takeover="x"', /takes no value/],
    ['permessage-deflate; server_max_window_bits', /"server_max_window_bits" needs a value/],
    ...['7', '16', '0', '08', '010', '+9', '9.0', '1e1', '0x9', 'a', '150', '-9', '1'].map(
      (v) => /** @type {[string, RegExp]} */ ([`permessage-deflate; server_max_window_bits=${v}`, /must be an integer from 8 to 15/]),
    ),
    ...['7', '16', '09', 'ten'].map(
      (v) => /** @type {[string, RegExp]} */ ([`permessage-deflate; client_max_window_bits=${v}`, /must be an integer from 8 to 15/]),
    ),
    // A malformed later offer fails the handshake even though an earlier one is fine.
    ['permessage-deflate, permessage-deflate; bogus', /unknown parameter "bogus"/],
  ];
  for (const [offer, message] of invalid) {
    it(`refuses ${JSON.stringify(offer)}`, () => {
      assert.throws(() => negotiateDeflate(offer), negotiationError(message));
    });
  }

  it('a malformed header is a SyntaxError', () => {
    assert.throws(() => negotiateDeflate('permessage-deflate; ;'), SyntaxError);
  });
});

describe('client: deflateOffer', () => {
  it('offers client_max_window_bits by default', () => {
    assert.equal(deflateOffer(), 'permessage-deflate; client_max_window_bits');
    assert.equal(deflateOffer(true), 'permessage-deflate; client_max_window_bits');
  });

  it('turns options into parameters', () => {
    assert.equal(
      deflateOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }),
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
    assert.equal(deflateOffer({ clientMaxWindowBits: false, serverMaxWindowBits: true }), 'permessage-deflate');
  });
});

describe('client: acceptDeflateResponse', () => {
  it('accepts what the server may always add', () => {
    assert.deepEqual(acceptDeflateResponse('permessage-deflate'), params());
    assert.deepEqual(
      acceptDeflateResponse('permessage-deflate; server_no_context_takeover; client_no_context_takeover'),
      params({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
    );
    assert.deepEqual(acceptDeflateResponse('permessage-deflate; server_max_window_bits=8'), params({ serverMaxWindowBits: 8 }));
    assert.deepEqual(
      acceptDeflateResponse(parseExtensions('permessage-deflate; client_max_window_bits=10')),
      params({ clientMaxWindowBits: 10 }),
    );
  });

  it('keeps the limits it offered', () => {
    const opts = { serverMaxWindowBits: 10, clientMaxWindowBits: 11 };
    assert.deepEqual(
      acceptDeflateResponse('permessage-deflate; server_max_window_bits=10', opts),
      params({ serverMaxWindowBits: 10, clientMaxWindowBits: 11 }),
    );
    assert.deepEqual(
      acceptDeflateResponse('permessage-deflate; server_max_window_bits=9; client_max_window_bits=8', opts),
      params({ serverMaxWindowBits: 9, clientMaxWindowBits: 8 }),
    );
  });

  /** @type {Array<[string, import('../../dist/protocol/deflate.js').PerMessageDeflateOptions, RegExp]>} */
  const rejected = [
    ['x-foo', {}, /extension "x-foo" was not offered/],
    ['permessage-deflate, x-foo', {}, /"x-foo" was not offered/],
    ['permessage-deflate, permessage-deflate', {}, /more than once/],
    ['permessage-deflate; foo', {}, /unknown parameter "foo"/],
    ['permessage-deflate; client_no_context_takeover; client_no_context_takeover', {}, /appears more than once/],
    ['permessage-deflate; client_max_window_bits', {}, /"client_max_window_bits" needs a value/],
    ['permessage-deflate; server_max_window_bits', {}, /"server_max_window_bits" needs a value/],
    ['permessage-deflate; server_max_window_bits=16', {}, /from 8 to 15/],
    ['permessage-deflate; server_no_context_takeover=yes', {}, /takes no value/],
    ['permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: false }, /client_max_window_bits was not offered/],
    ['permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }, /client_max_window_bits=12 exceeds the offered 10/],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }, /server_max_window_bits=12 exceeds the requested 10/],
    ['permessage-deflate', { serverMaxWindowBits: 10 }, /server_max_window_bits was requested but not accepted/],
    ['permessage-deflate', { serverNoContextTakeover: true }, /server_no_context_takeover was requested but not accepted/],
    ['permessage-deflate; client_no_context_takeover', { clientNoContextTakeover: false }, /client_no_context_takeover was refused/],
  ];
  for (const [response, opts, message] of rejected) {
    it(`fails on ${JSON.stringify(response)} after offering ${JSON.stringify(opts)}`, () => {
      assert.throws(() => acceptDeflateResponse(response, opts), negotiationError(message));
    });
  }

  it('a malformed header is a SyntaxError', () => {
    assert.throws(() => acceptDeflateResponse('permessage-deflate;'), SyntaxError);
  });
});

describe('server and client agree', () => {
  const combos = [
    [{}, {}],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true }, {}],
    [{}, { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    [{ serverMaxWindowBits: 9, clientMaxWindowBits: 10 }, {}],
    [{}, { serverMaxWindowBits: 8, clientMaxWindowBits: 8 }],
    [{ serverMaxWindowBits: 10 }, { serverMaxWindowBits: 12, clientMaxWindowBits: 9 }],
    [{ clientMaxWindowBits: 12 }, { clientMaxWindowBits: 10 }],
    [{ clientMaxWindowBits: false }, { clientMaxWindowBits: 10 }],
  ];
  for (const [serverOpts, clientOpts] of combos) {
    it(`server ${JSON.stringify(serverOpts)} / client ${JSON.stringify(clientOpts)}`, () => {
      const offer = deflateOffer(clientOpts);
      const result = negotiateDeflate(offer, serverOpts);
      assert.ok(result, `server accepts ${offer}`);
      assert.equal(parseExtensions(result.response)[0].name, PERMESSAGE_DEFLATE);
      const client = acceptDeflateResponse(result.response, clientOpts);
      // The client compresses with at most what the server inflates with, and vice versa.
      assert.ok(client.clientMaxWindowBits <= result.params.clientMaxWindowBits);
      assert.equal(client.serverMaxWindowBits, result.params.serverMaxWindowBits);
      assert.equal(client.serverNoContextTakeover, result.params.serverNoContextTakeover);
      assert.equal(client.clientNoContextTakeover, result.params.clientNoContextTakeover);
    });
  }
});

describe('normalizeDeflateOptions', () => {
  it('accepts true/undefined and valid objects', () => {
    assert.deepEqual(normalizeDeflateOptions(true), {});
    assert.deepEqual(normalizeDeflateOptions(undefined), {});
    const o = { serverMaxWindowBits: 8, clientMaxWindowBits: true, serverNoContextTakeover: false, concurrencyLimit: 3 };
    assert.equal(normalizeDeflateOptions(o), o);
  });

  it('refuses bad options', () => {
    // Deliberately not all numbers: the check happens at run time too.
    for (const bits of /** @type {any[]} */ ([7, 16, 9.5, '10', null])) {
      assert.throws(() => normalizeDeflateOptions({ serverMaxWindowBits: bits }), RangeError, String(bits));
      assert.throws(() => negotiateDeflate('permessage-deflate', { clientMaxWindowBits: bits }), RangeError, String(bits));
    }
    // @ts-expect-error a string where a boolean belongs, on purpose
    assert.throws(() => normalizeDeflateOptions({ serverNoContextTakeover: 'yes' }), TypeError);
    assert.throws(() => normalizeDeflateOptions({ concurrencyLimit: 0 }), RangeError);
    assert.throws(() => normalizeDeflateOptions(false), TypeError);
    // @ts-expect-error a number where options belong, on purpose
    assert.throws(() => deflateOffer(42), TypeError);
  });
});
