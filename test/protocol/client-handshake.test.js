// The client's opening handshake (RFC 6455 §4.1) without a socket: the request it sends,
// every way a response is refused (with ws's words, which both clients report), and the
// subprotocol and permessage-deflate negotiation; then a whole exchange against the
// server-side rules of the same layer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ClientHandshake,
  checkClientProtocols,
  createClientKey,
  requestPath,
  unexpectedResponseMessage,
  withWebSocketScheme,
} from '../../dist/protocol/client-handshake.js';
import { acceptResponseLines, readUpgradeRequest } from '../../dist/protocol/handshake.js';
import { ResponseHeadParser } from '../../dist/protocol/http.js';
import { negotiateDeflate } from '../../dist/protocol/permessage-deflate.js';
import { deflateParams } from '../helpers/deflate-params.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Sec-WebSocket-Accept computed here with node:crypto, independently of the code under test. */
const acceptFor = (key) =>
  createHash('sha1')
    .update(key + GUID)
    .digest('base64');

/** A valid 101 for `handshake`, with `headers` (lower-cased names) added or, when undefined, removed. */
function response(handshake, headers = {}) {
  const all = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': acceptFor(handshake.key),
    ...headers,
  };
  for (const name of Object.keys(all)) if (all[name] === undefined) delete all[name];
  return { statusCode: 101, headers: all };
}

/** The message accept() throws for this response. */
function refusal(handshake, res) {
  try {
    handshake.accept(res);
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('accept() did not refuse the response');
}

const params = deflateParams;

describe('createClientKey', () => {
  it('is 16 random bytes in base64, new each time', () => {
    const keys = new Set();
    for (let i = 0; i < 32; i++) {
      const key = createClientKey();
      assert.match(key, /^[A-Za-z0-9+/]{22}==$/);
      assert.equal(Buffer.from(key, 'base64').length, 16);
      keys.add(key);
    }
    assert.equal(keys.size, 32);
  });

  it('a handshake uses a key of its own', () => {
    const a = new ClientHandshake();
    const b = new ClientHandshake();
    assert.match(a.key, /^[A-Za-z0-9+/]{22}==$/);
    assert.notEqual(a.key, b.key);
  });
});

describe('the request', () => {
  it("without options: ws's headers in ws's order, nothing offered", () => {
    const h = new ClientHandshake();
    assert.deepEqual(Object.entries(h.headers()), [
      ['Sec-WebSocket-Version', '13'],
      ['Sec-WebSocket-Key', h.key],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
    ]);
    assert.equal(h.extensionOffer, undefined);
    assert.deepEqual(h.protocols, []);
  });

  it('offers permessage-deflate, then the subprotocols (joined with "," by default), then Origin', () => {
    const h = new ClientHandshake({ protocols: ['chat', 'superchat'], perMessageDeflate: true, origin: 'https://example.com' });
    assert.deepEqual(Object.entries(h.headers()).slice(4), [
      ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
      ['Sec-WebSocket-Protocol', 'chat,superchat'],
      ['Origin', 'https://example.com'],
    ]);
    assert.equal(h.extensionOffer, 'permessage-deflate; client_max_window_bits');
  });

  it("the deflate offer follows the options (ws's names)", () => {
    const h = new ClientHandshake({
      perMessageDeflate: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: false,
      },
    });
    assert.equal(
      h.headers()['Sec-WebSocket-Extensions'],
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10',
    );
  });

  it('protocolSeparator changes how the subprotocols are joined (browsers send ", ")', () => {
    const h = new ClientHandshake({ protocols: ['a', 'b', 'c'], protocolSeparator: ', ' });
    assert.equal(h.headers()['Sec-WebSocket-Protocol'], 'a, b, c');
  });

  it('version 8 sends Sec-WebSocket-Version: 8 and names the origin Sec-WebSocket-Origin', () => {
    const h = new ClientHandshake({ version: 8, origin: 'http://o' });
    const headers = h.headers();
    assert.equal(headers['Sec-WebSocket-Version'], '8');
    assert.equal(headers['Sec-WebSocket-Origin'], 'http://o');
    assert.equal(headers['Origin'], undefined);
  });

  it('an empty origin sends no origin header', () => {
    const headers = new ClientHandshake({ origin: '' }).headers();
    assert.equal('Origin' in headers, false);
  });

  it('headers() is a fresh object each time', () => {
    const h = new ClientHandshake();
    const first = h.headers();
    first['Sec-WebSocket-Key'] = 'changed';
    first['X-Extra'] = '1';
    assert.equal(h.headers()['Sec-WebSocket-Key'], h.key);
    assert.equal('X-Extra' in h.headers(), false);
  });

  it('requestHead: request line, Host, the handshake headers, the extra ones, a blank line', () => {
    const h = new ClientHandshake({ protocols: ['chat'] });
    const head = h.requestHead({ host: 'example.com:8080', path: '/room?id=1' }, { Authorization: 'Bearer x', 'X-Trace': 'abc' });
    assert.equal(
      head,
      'GET /room?id=1 HTTP/1.1\r\n' +
        'Host: example.com:8080\r\n' +
        'Sec-WebSocket-Version: 13\r\n' +
        `Sec-WebSocket-Key: ${h.key}\r\n` +
        'Connection: Upgrade\r\n' +
        'Upgrade: websocket\r\n' +
        'Sec-WebSocket-Protocol: chat\r\n' +
        'Authorization: Bearer x\r\n' +
        'X-Trace: abc\r\n' +
        '\r\n',
    );
  });

  it('requestHead refuses a header that would break the head', () => {
    const h = new ClientHandshake();
    const target = { host: 'h', path: '/' };
    assert.throws(() => h.requestHead(target, { 'Bad Name': 'x' }), { name: 'TypeError', message: 'Invalid request header "Bad Name"' });
    assert.throws(() => h.requestHead(target, { '': 'x' }), { name: 'TypeError', message: 'Invalid request header ""' });
    assert.throws(() => h.requestHead(target, { 'X-Evil': 'a\r\nHost: other' }), {
      name: 'TypeError',
      message: 'Invalid request header "X-Evil"',
    });
    assert.throws(() => new ClientHandshake({ origin: 'http://o\nX: y' }).requestHead(target), {
      name: 'TypeError',
      message: 'Invalid request header "Origin"',
    });
  });

  it('bad subprotocols throw the SyntaxError ws throws, before anything else', () => {
    const message = 'An invalid or duplicated subprotocol was specified';
    // A number among them too: JavaScript callers can pass anything.
    /** @type {any[][]} */
    const lists = [['a', 'a'], ['has space'], [''], ['ok', 'b@d'], [42]];
    for (const protocols of lists) {
      assert.throws(() => new ClientHandshake({ protocols, perMessageDeflate: { serverMaxWindowBits: 99 } }), {
        name: 'SyntaxError',
        message,
      });
      assert.throws(() => checkClientProtocols(protocols), { name: 'SyntaxError', message });
    }
    assert.doesNotThrow(() => checkClientProtocols(['a', 'b', 'chat.v2']));
  });

  it('bad permessage-deflate options throw', () => {
    assert.throws(() => new ClientHandshake({ perMessageDeflate: { serverMaxWindowBits: 16 } }), RangeError);
    const notBoolean = /** @type {any} */ ('yes');
    assert.throws(() => new ClientHandshake({ perMessageDeflate: { clientNoContextTakeover: notBoolean } }), TypeError);
  });
});

describe('the response: refusals, in the order they are checked', () => {
  it('a status other than 101', () => {
    const h = new ClientHandshake();
    for (const statusCode of [200, 301, 400, 426, 500]) {
      assert.equal(refusal(h, { ...response(h), statusCode }).message, `Unexpected server response: ${statusCode}`);
    }
    assert.equal(unexpectedResponseMessage(404), 'Unexpected server response: 404');
  });

  it('the status comes first: a 200 with nothing else right is still "Unexpected server response"', () => {
    const h = new ClientHandshake();
    assert.equal(refusal(h, { statusCode: 200, headers: {} }).message, 'Unexpected server response: 200');
  });

  it('a missing or wrong Upgrade header', () => {
    const h = new ClientHandshake();
    assert.equal(refusal(h, response(h, { upgrade: undefined })).message, 'Invalid Upgrade header');
    assert.equal(refusal(h, response(h, { upgrade: 'h2c' })).message, 'Invalid Upgrade header');
    assert.equal(refusal(h, response(h, { upgrade: undefined, connection: undefined })).message, 'Invalid Upgrade header');
  });

  it('a missing or wrong Connection header', () => {
    const h = new ClientHandshake();
    assert.equal(refusal(h, response(h, { connection: undefined })).message, 'Invalid Connection header');
    assert.equal(refusal(h, response(h, { connection: 'keep-alive' })).message, 'Invalid Connection header');
  });

  it('a missing or wrong Sec-WebSocket-Accept', () => {
    const h = new ClientHandshake();
    const message = 'Invalid Sec-WebSocket-Accept header';
    assert.equal(refusal(h, response(h, { 'sec-websocket-accept': undefined })).message, message);
    assert.equal(refusal(h, response(h, { 'sec-websocket-accept': acceptFor(createClientKey()) })).message, message);
    assert.equal(refusal(h, response(h, { 'sec-websocket-accept': acceptFor(h.key).toLowerCase() })).message, message);
    // The key itself is not the answer.
    assert.equal(refusal(h, response(h, { 'sec-websocket-accept': h.key })).message, message);
  });

  it('Upgrade and Connection are token lists compared without case', () => {
    const h = new ClientHandshake();
    const res = response(h, { upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' });
    assert.deepEqual(h.accept(res), { protocol: '', extensions: '', deflate: undefined });
  });
});

describe('the response: subprotocol', () => {
  it('none offered, none chosen: protocol is ""', () => {
    const h = new ClientHandshake();
    assert.equal(h.accept(response(h)).protocol, '');
  });

  it('the one the server chose from those offered', () => {
    const h = new ClientHandshake({ protocols: ['chat', 'superchat'] });
    assert.equal(h.accept(response(h, { 'sec-websocket-protocol': 'superchat' })).protocol, 'superchat');
    assert.equal(h.accept(response(h, { 'sec-websocket-protocol': 'chat' })).protocol, 'chat');
  });

  it('offered but none chosen', () => {
    const h = new ClientHandshake({ protocols: ['chat'] });
    assert.equal(refusal(h, response(h)).message, 'Server sent no subprotocol');
  });

  it('chosen but none offered', () => {
    const h = new ClientHandshake();
    assert.equal(refusal(h, response(h, { 'sec-websocket-protocol': 'chat' })).message, 'Server sent a subprotocol but none was requested');
  });

  it('one that was not offered (names compare exactly, and one means one)', () => {
    const h = new ClientHandshake({ protocols: ['chat', 'superchat'] });
    for (const chosen of ['other', 'Chat', 'chat, superchat', 'chat,superchat', '']) {
      assert.equal(refusal(h, response(h, { 'sec-websocket-protocol': chosen })).message, 'Server sent an invalid subprotocol', chosen);
    }
  });

  it('the subprotocol is checked before the extensions', () => {
    const h = new ClientHandshake({ protocols: ['chat'] });
    const res = response(h, { 'sec-websocket-extensions': 'x-unknown' });
    assert.equal(refusal(h, res).message, 'Server sent no subprotocol');
  });
});

describe('the response: extensions', () => {
  it('permessage-deflate accepted as offered', () => {
    const h = new ClientHandshake({ perMessageDeflate: true });
    const res = response(h, { 'sec-websocket-extensions': 'permessage-deflate' });
    assert.deepEqual(h.accept(res), { protocol: '', extensions: 'permessage-deflate', deflate: params() });
  });

  it("the server's parameters become the agreed ones, and extensions is its header as sent", () => {
    const h = new ClientHandshake({ perMessageDeflate: true });
    const header = 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10';
    const result = h.accept(response(h, { 'sec-websocket-extensions': header }));
    assert.equal(result.extensions, header);
    assert.deepEqual(result.deflate, params({ serverNoContextTakeover: true, clientMaxWindowBits: 10 }));
  });

  it('offered, but the server answers without extensions: no deflate', () => {
    const h = new ClientHandshake({ perMessageDeflate: true });
    assert.deepEqual(h.accept(response(h)), { protocol: '', extensions: '', deflate: undefined });
  });

  it('an extension when none was offered', () => {
    const h = new ClientHandshake();
    for (const header of ['permessage-deflate', 'x-anything', '']) {
      assert.equal(
        refusal(h, response(h, { 'sec-websocket-extensions': header })).message,
        'Server sent a Sec-WebSocket-Extensions header but no extension was requested',
      );
    }
  });

  it('an extension that was not offered', () => {
    const h = new ClientHandshake({ perMessageDeflate: true });
    for (const header of ['x-webkit-deflate-frame', 'permessage-deflate, x-other']) {
      assert.equal(
        refusal(h, response(h, { 'sec-websocket-extensions': header })).message,
        'Server indicated an extension that was not requested',
      );
    }
  });

  it('a malformed header, with what was wrong as the cause', () => {
    const h = new ClientHandshake({ perMessageDeflate: true });
    for (const header of ['permessage-deflate;', 'permessage-deflate; a="', '', ';']) {
      const err = refusal(h, response(h, { 'sec-websocket-extensions': header }));
      assert.equal(err.message, 'Invalid Sec-WebSocket-Extensions header', header);
      assert.ok(err.cause instanceof SyntaxError, header);
    }
  });

  it('parameters the offer does not allow', () => {
    // What the web client offers: no client_max_window_bits, both no_context_takeover.
    const h = new ClientHandshake({
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, clientMaxWindowBits: false },
    });
    for (const header of [
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=10',
      'permessage-deflate; client_no_context_takeover',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover; x=1',
    ]) {
      const err = refusal(h, response(h, { 'sec-websocket-extensions': header }));
      assert.equal(err.message, 'Invalid Sec-WebSocket-Extensions header', header);
      assert.ok(err.cause instanceof Error, header);
    }
    const ok = h.accept(
      response(h, { 'sec-websocket-extensions': 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' }),
    );
    assert.deepEqual(ok.deflate, params({ serverNoContextTakeover: true, clientNoContextTakeover: true }));
  });
});

describe('URLs', () => {
  it('requestPath: path and query, never the fragment, never empty', () => {
    assert.equal(requestPath(new URL('ws://h/a/b?x=1&y=2#frag')), '/a/b?x=1&y=2');
    assert.equal(requestPath(new URL('ws://h')), '/');
    assert.equal(requestPath(new URL('wss://h:8443/?')), '/');
    assert.equal(requestPath(new URL('ws://h/a%20b?q=%C3%A9')), '/a%20b?q=%C3%A9');
  });

  it('withWebSocketScheme maps http(s) to ws(s) on a copy and leaves the rest alone', () => {
    const http = new URL('http://h:81/p?q');
    const mapped = withWebSocketScheme(http);
    assert.equal(mapped.href, 'ws://h:81/p?q');
    assert.equal(http.href, 'http://h:81/p?q', "the caller's URL is not rewritten");
    assert.equal(withWebSocketScheme(new URL('https://h/')).href, 'wss://h/');
    // A default port stays the default one.
    assert.equal(withWebSocketScheme(new URL('https://h:443/')).href, 'wss://h/');
    for (const href of ['ws://h/', 'wss://h/', 'ws+unix:/tmp/s', 'ftp://h/']) {
      const url = new URL(href);
      assert.equal(withWebSocketScheme(url), url, href);
    }
  });
});

describe('a whole exchange with the server-side rules', () => {
  /** The request as a server's HTTP parser would hand it over: lower-cased names. */
  function asServerSees(handshake) {
    const headers = { host: 'example.com' };
    for (const [name, value] of Object.entries(handshake.headers())) headers[name.toLowerCase()] = value;
    return { method: 'GET', httpVersion: '1.1', headers };
  }

  it('subprotocol and permessage-deflate agreed on both sides', () => {
    const client = new ClientHandshake({ protocols: ['v1.chat', 'v2.chat'], perMessageDeflate: { serverNoContextTakeover: true } });
    const offer = readUpgradeRequest(asServerSees(client));
    assert.equal(offer.key, client.key);
    assert.deepEqual(offer.protocols, ['v1.chat', 'v2.chat']);
    const chosen = offer.protocols[1];
    const deflate = negotiateDeflate(offer.extensions, { clientMaxWindowBits: 12 });
    assert.notEqual(deflate, null);

    const bytes = new TextEncoder().encode(acceptResponseLines(offer.key, chosen, deflate.response).join('\r\n') + '\r\n\r\n');
    const parsed = new ResponseHeadParser().push(bytes);
    const result = client.accept(parsed.head);
    assert.equal(result.protocol, 'v2.chat');
    assert.equal(result.extensions, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=12');
    assert.deepEqual(result.deflate, deflate.params);
    assert.equal(parsed.rest.length, 0);
  });

  it("a response to another client's key is refused", () => {
    const client = new ClientHandshake();
    const other = new ClientHandshake();
    const bytes = new TextEncoder().encode(acceptResponseLines(other.key).join('\r\n') + '\r\n\r\n');
    const { head } = new ResponseHeadParser().push(bytes);
    assert.throws(() => client.accept(head), { message: 'Invalid Sec-WebSocket-Accept header' });
    assert.equal(other.accept(head).protocol, '');
  });
});
