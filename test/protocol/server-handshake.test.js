// The server's side of the opening handshake (RFC 6455 §4.2) without a socket: the accept
// key, what a valid upgrade request yields, each refusal with its status, message and
// headers (ws's words, in ws's order), and the 101 and error responses written back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { acceptKeyFor, acceptResponseLines, HandshakeError, readUpgradeRequest } from '../../dist/protocol/handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455 §1.3

/** An upgrade request as Node's HTTP parser hands it over; `headers` add to it, undefined removes. */
function request(headers = {}, rest = {}) {
  const all = {
    host: 'example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...headers,
  };
  for (const name of Object.keys(all)) if (all[name] === undefined) delete all[name];
  return { method: 'GET', httpVersion: '1.1', headers: all, ...rest };
}

/** The HandshakeError readUpgradeRequest throws for `req`. */
function refusal(req, rules) {
  try {
    readUpgradeRequest(req, rules);
  } catch (err) {
    assert.ok(err instanceof HandshakeError, String(err));
    return err;
  }
  assert.fail('the request was accepted');
}

describe('acceptKeyFor', () => {
  it('gives the RFC 6455 §1.3 example answer', () => {
    assert.equal(acceptKeyFor(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('agrees with node:crypto on random keys', () => {
    for (let i = 0; i < 50; i++) {
      const key = randomBytes(16).toString('base64');
      const expected = createHash('sha1')
        .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      assert.equal(acceptKeyFor(key), expected, key);
    }
  });
});

describe('readUpgradeRequest: a valid request', () => {
  it('yields the key and nothing offered', () => {
    assert.deepEqual(readUpgradeRequest(request()), { key: KEY, protocols: [], extensions: undefined, origin: undefined });
  });

  it('accepts odd casing and token lists in Upgrade and Connection', () => {
    const offer = readUpgradeRequest(request({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' }));
    assert.equal(offer.key, KEY);
  });

  it('accepts version 8 (hybi-08 to -12 frame as 13 does), as ws does', () => {
    assert.equal(readUpgradeRequest(request({ 'sec-websocket-version': '8' })).key, KEY);
  });

  it('accepts HTTP/1.1 and later, and a request whose method and version are not given', () => {
    for (const httpVersion of ['1.1', '1.2', '2.0']) assert.equal(readUpgradeRequest(request({}, { httpVersion })).key, KEY, httpVersion);
    const { headers } = request();
    assert.equal(readUpgradeRequest({ headers }).key, KEY);
  });

  it('lists the subprotocols in the order offered, trimmed', () => {
    assert.deepEqual(readUpgradeRequest(request({ 'sec-websocket-protocol': 'chat, superchat,v2.json' })).protocols, [
      'chat',
      'superchat',
      'v2.json',
    ]);
    assert.deepEqual(readUpgradeRequest(request({ 'sec-websocket-protocol': ' a\t, b ' })).protocols, ['a', 'b']);
  });

  it('hands the extensions on as sent, for the negotiation to read', () => {
    const header = 'permessage-deflate; client_max_window_bits, x-other';
    assert.equal(readUpgradeRequest(request({ 'sec-websocket-extensions': header })).extensions, header);
  });

  it('reads the origin from Origin, or from Sec-WebSocket-Origin (version 8)', () => {
    assert.equal(readUpgradeRequest(request({ origin: 'https://a' })).origin, 'https://a');
    assert.equal(readUpgradeRequest(request({ 'sec-websocket-origin': 'https://b', 'sec-websocket-version': '8' })).origin, 'https://b');
    assert.equal(readUpgradeRequest(request({ origin: 'https://a', 'sec-websocket-origin': 'https://b' })).origin, 'https://a');
  });

  it('takes repeated headers as one list', () => {
    const offer = readUpgradeRequest(request({ connection: ['keep-alive', 'Upgrade'], 'sec-websocket-protocol': ['a', 'b'] }));
    assert.deepEqual(offer.protocols, ['a', 'b']);
  });

  it('allows exactly maxHeaders header lines', () => {
    const rawHeaders = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `X-${i}` : 'x'));
    assert.equal(readUpgradeRequest(request({}, { rawHeaders })).key, KEY);
    assert.equal(readUpgradeRequest(request({}, { rawHeaders: rawHeaders.slice(0, 10) }), { maxHeaders: 5 }).key, KEY);
  });
});

describe('readUpgradeRequest: refusals', () => {
  const protocolMessage = 'Invalid Sec-WebSocket-Protocol header';
  const keyMessage = 'Missing or invalid Sec-WebSocket-Key header';
  const versionMessage = 'Missing or invalid Sec-WebSocket-Version header';
  /** @type {Array<[string, object, number, string, Array<[string, string]>]>} */
  const refusals = [
    ['a POST', request({}, { method: 'POST' }), 405, 'Invalid HTTP method', [['Allow', 'GET']]],
    ['HTTP/1.0', request({}, { httpVersion: '1.0' }), 400, 'The upgrade request must be HTTP/1.1 or later', []],
    ['HTTP/0.9', request({}, { httpVersion: '0.9' }), 400, 'The upgrade request must be HTTP/1.1 or later', []],
    ['no Upgrade', request({ upgrade: undefined }), 400, 'Invalid Upgrade header', []],
    ['Upgrade: h2c', request({ upgrade: 'h2c' }), 400, 'Invalid Upgrade header', []],
    ['no Connection', request({ connection: undefined }), 400, 'Invalid Connection header', []],
    ['Connection: keep-alive', request({ connection: 'keep-alive' }), 400, 'Invalid Connection header', []],
    ['no key', request({ 'sec-websocket-key': undefined }), 400, keyMessage, []],
    ['a key of 15 bytes', request({ 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAA' }), 400, keyMessage, []],
    ['a key of 17 bytes', request({ 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAAA=' }), 400, keyMessage, []],
    ['a key that is not base64', request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZ!==' }), 400, keyMessage, []],
    ['two keys', request({ 'sec-websocket-key': [KEY, KEY] }), 400, keyMessage, []],
    ['version 7', request({ 'sec-websocket-version': '7' }), 400, versionMessage, [['Sec-WebSocket-Version', '13, 8']]],
    ['version 14', request({ 'sec-websocket-version': '14' }), 400, versionMessage, [['Sec-WebSocket-Version', '13, 8']]],
    ['no version', request({ 'sec-websocket-version': undefined }), 400, versionMessage, [['Sec-WebSocket-Version', '13, 8']]],
    ['no Host', request({ host: undefined }), 400, 'Missing Host header', []],
    ['an empty Host', request({ host: '' }), 400, 'Missing Host header', []],
    ['a subprotocol that is not a token', request({ 'sec-websocket-protocol': 'a b' }), 400, protocolMessage, []],
    ['a subprotocol with a separator', request({ 'sec-websocket-protocol': 'foo;bar' }), 400, protocolMessage, []],
    ['a duplicated subprotocol', request({ 'sec-websocket-protocol': 'chat, chat' }), 400, protocolMessage, []],
    ['an empty subprotocol list', request({ 'sec-websocket-protocol': ' , ' }), 400, protocolMessage, []],
    ['an empty subprotocol header', request({ 'sec-websocket-protocol': '' }), 400, protocolMessage, []],
  ];

  for (const [what, req, status, message, headers] of refusals) {
    it(`${what}: ${status} ${message}`, () => {
      const err = refusal(req);
      assert.equal(err.name, 'HandshakeError');
      assert.equal(err.status, status);
      assert.equal(err.message, message);
      assert.deepEqual(err.headers, headers);
    });
  }

  it('more header lines than maxHeaders (default 100): 431', () => {
    const rawHeaders = Array.from({ length: 202 }, (_, i) => (i % 2 === 0 ? `X-${i}` : 'x'));
    const err = refusal(request({}, { rawHeaders }));
    assert.deepEqual([err.status, err.message], [431, 'More than 100 request headers']);
    const small = refusal(request({}, { rawHeaders: rawHeaders.slice(0, 12) }), { maxHeaders: 5 });
    assert.deepEqual([small.status, small.message], [431, 'More than 5 request headers']);
  });

  it("checks in ws's order: method, version, header count, Upgrade, Connection, key, version, Host", () => {
    const everythingWrong = {
      method: 'POST',
      httpVersion: '1.0',
      rawHeaders: Array.from({ length: 4 }, () => 'x'),
      headers: { 'sec-websocket-protocol': 'a b' },
    };
    const messages = [];
    const req = structuredClone(everythingWrong);
    const fixes = [
      () => (req.method = 'GET'),
      () => (req.httpVersion = '1.1'),
      () => (req.rawHeaders = []),
      () => (req.headers.upgrade = 'websocket'),
      () => (req.headers.connection = 'Upgrade'),
      () => (req.headers['sec-websocket-key'] = KEY),
      () => (req.headers['sec-websocket-version'] = '13'),
      () => (req.headers.host = 'h'),
      () => (req.headers['sec-websocket-protocol'] = 'a'),
    ];
    for (const fix of fixes) {
      messages.push(refusal(req, { maxHeaders: 1 }).message);
      fix();
    }
    assert.deepEqual(messages, [
      'Invalid HTTP method',
      'The upgrade request must be HTTP/1.1 or later',
      'More than 1 request headers',
      'Invalid Upgrade header',
      'Invalid Connection header',
      keyMessage,
      versionMessage,
      'Missing Host header',
      protocolMessage,
    ]);
    assert.deepEqual(readUpgradeRequest(req, { maxHeaders: 1 }).protocols, ['a']);
  });
});

describe('HandshakeError.response', () => {
  it('is a complete plain-text response that closes the connection, the message as its body', () => {
    const err = new HandshakeError('Invalid HTTP method', 405, [['Allow', 'GET']]);
    assert.equal(
      err.response(),
      'HTTP/1.1 405 Method Not Allowed\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 19\r\n' +
        'Allow: GET\r\n' +
        '\r\n' +
        'Invalid HTTP method',
    );
  });

  it('counts the body in UTF-8 bytes, and an empty message says the status text', () => {
    assert.match(new HandshakeError('é', 400).response(), /\r\nContent-Length: 2\r\n\r\né$/);
    const unauthorized = new HandshakeError('', 401).response();
    assert.match(unauthorized, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.match(unauthorized, /\r\nContent-Length: 12\r\n\r\nUnauthorized$/);
  });

  it('keeps a cause', () => {
    const cause = new SyntaxError('why');
    assert.equal(new HandshakeError('x', 400, [], { cause }).cause, cause);
  });
});

describe('acceptResponseLines', () => {
  it('the 101 for the RFC example key', () => {
    assert.deepEqual(acceptResponseLines(KEY), [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    ]);
  });

  it('names the chosen subprotocol and the agreed extensions, only when there are some', () => {
    const lines = acceptResponseLines(KEY, 'chat', 'permessage-deflate; server_no_context_takeover');
    assert.deepEqual(lines.slice(4), [
      'Sec-WebSocket-Protocol: chat',
      'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover',
    ]);
    assert.equal(acceptResponseLines(KEY, '', '').length, 4);
    assert.equal(acceptResponseLines(KEY, undefined, 'permessage-deflate')[4], 'Sec-WebSocket-Extensions: permessage-deflate');
  });
});
