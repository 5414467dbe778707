// 'unexpected-response' as ws@8 has it, run against our client and ws's with the same
// raw servers and the same assertions: the response is a Readable whose body the listener
// reads (framed by Content-Length, by chunked coding, or by the connection's end), and
// the WebSocket stays CONNECTING until the user ends it: close()/terminate() give 'error'
// ('closed before the connection was established') then 'close' 1006; req.abort() or the
// server closing the socket change nothing; a request error (socket reset, bad chunked
// framing, req.destroy(err)) fails the WebSocket with that error.

import { strict as assert } from 'node:assert';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import WS from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { BodyDecoder, bodyFraming } from '../../dist/protocol/http-body.js';
import { failed, portOf, within } from './client-helpers.js';

/** @typedef {import('../../dist/protocol/http.js').HttpParseError} HttpParseError */

/** Our client and ws's, run through the same code: the class column is deliberately loose. */
const CLIENTS = /** @type {Array<[string, any]>} */ ([
  ['our client', WebSocket],
  ['ws client', WS],
]);
const CLOSED_EARLY = 'WebSocket was closed before the connection was established';
const HEAD_401 = 'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n';

/**
 * A TCP server that answers each connection's first bytes (the upgrade request) with
 * `respond(socket)` and ends its side when the client ends; `closed()` waits until every
 * connection it accepted is gone on the server's side (so a test sees the client let go).
 */
async function rawServer(respond) {
  const sockets = new Set();
  const gone = [];
  const server = createNetServer((socket) => {
    sockets.add(socket);
    gone.push(once(socket, 'close'));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.once('data', () => respond(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${portOf(server)}/`,
    closed: () => within(Promise.all(gone), 'the connection to close at the server'),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every event the WebSocket emits, with its readyState then. */
function watch(ws) {
  const events = [];
  ws.on('open', () => events.push(['open']));
  ws.on('error', (err) => events.push(['error', err.message, ws.readyState]));
  ws.on('close', (code) => events.push(['close', code, ws.readyState]));
  return events;
}

/** The listener's (request, response), once 'unexpected-response' comes. */
function unexpected(ws) {
  return within(new Promise((resolve) => ws.once('unexpected-response', (req, res) => resolve({ req, res }))), "'unexpected-response'");
}

/** The body read to 'end' (or rejected on 'aborted'/'error'). */
function readBody(res) {
  return within(
    new Promise((resolve, reject) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('aborted', () => reject(new Error("unexpected 'aborted'")));
      res.on('error', reject);
    }),
    "the response's 'end'",
  );
}

/** The response's 'close' (events.once would reject on the 'error' before it). */
function closedResponse(res) {
  return within(new Promise((resolve) => res.once('close', resolve)), "the response's 'close'");
}

/** Waits long enough for an automatic close to have happened, then checks none did. */
async function stillConnecting(ws, events) {
  await delay(60);
  assert.equal(ws.readyState, WebSocket.CONNECTING);
  assert.deepEqual(events, []);
}

/** close() while CONNECTING: 'error' (CLOSING) and 'close' 1006 (CLOSED), as ws. */
async function closeConnecting(ws, method = 'close') {
  const result = failed(ws);
  ws[method]();
  assert.equal(ws.readyState, WebSocket.CLOSING);
  const { err, code, states } = await result;
  assert.equal(err.message, CLOSED_EARLY);
  assert.deepEqual([code, states], [1006, [2, 3]]);
}

describe('the body of an unexpected response', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: framed by Content-Length, read to 'end'; the WebSocket stays CONNECTING until close()`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Content-Length: 3\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        assert.equal(res.statusCode, 401);
        assert.equal(res.statusMessage, 'Unauthorized');
        assert.equal(res.httpVersion, '1.1');
        assert.equal(res.headers['content-type'], 'text/plain');
        assert.deepEqual(res.rawHeaders, ['Content-Type', 'text/plain', 'Content-Length', '3']);
        assert.equal(typeof res.pipe, 'function');
        assert.equal(await readBody(res), 'foo');
        assert.equal(res.complete, true);
        await stillConnecting(ws, events);
        await closeConnecting(ws);
        await server.closed();
      } finally {
        await server.close();
      }
    });

    test(`${name}: chunked, across writes, with extensions and trailers`, async () => {
      const server = await rawServer((socket) => {
        socket.write(`${HEAD_401}Transfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n`);
        setTimeout(() => socket.write('4;name=value\r\n bar\r\n0\r\nX-Trailer: yes\r\n\r\n'), 20);
      });
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        assert.equal(await readBody(res), 'foo bar');
        assert.deepEqual(res.rawTrailers, ['X-Trailer', 'yes']);
        assert.deepEqual({ ...res.trailers }, { 'x-trailer': 'yes' });
        await stillConnecting(ws, events);
        await closeConnecting(ws, 'terminate');
        await server.closed();
      } finally {
        await server.close();
      }
    });

    test(`${name}: neither length nor chunked: the body ends with the connection; still CONNECTING after`, async () => {
      const server = await rawServer((socket) => {
        socket.write(`${HEAD_401}\r\nfoo`);
        setTimeout(() => socket.end('bar'), 20);
      });
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        assert.equal(await readBody(res), 'foobar');
        await server.closed();
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });

    test(`${name}: a body larger than the buffers is held back until read, then arrives whole`, async () => {
      const body = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = i % 251;
      const server = await rawServer((socket) =>
        socket.write(Buffer.concat([Buffer.from(`${HEAD_401}Content-Length: ${body.length}\r\n\r\n`), body])),
      );
      try {
        const ws = new Client(server.url);
        const { res } = await unexpected(ws);
        await delay(100);
        // Nobody reads: the response buffers a bounded amount, not the 8 MiB on the wire.
        assert.ok(res.readableLength < 1024 * 1024, `${res.readableLength} bytes buffered`);
        const hash = createHash('sha1');
        let length = 0;
        res.on('data', (chunk) => {
          hash.update(chunk);
          length += chunk.length;
        });
        await within(once(res, 'end'), "the response's 'end'");
        assert.equal(length, body.length);
        assert.equal(hash.digest('hex'), createHash('sha1').update(body).digest('hex'));
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });
  }
});

describe('ending the WebSocket from the listener', () => {
  for (const [name, Client] of CLIENTS) {
    for (const method of ['close', 'terminate']) {
      test(`${name}: ${method}() in res.on('end'): 'error' then 'close' 1006, the connection dropped`, async () => {
        // The server keeps the connection open: only the client can end it.
        const server = await rawServer((socket) =>
          socket.write(`HTTP/1.1 502 Bad Gateway\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nfoo`),
        );
        try {
          const ws = new Client(server.url);
          const seen = [];
          const result = failed(ws);
          ws.on('unexpected-response', (req, res) => {
            const chunks = [];
            res.on('data', (chunk) => chunks.push(chunk));
            res.on('end', () => {
              seen.push([res.statusCode, Buffer.concat(chunks).toString(), ws.readyState]);
              ws[method]();
              seen.push(ws.readyState);
            });
          });
          const { err, code, states } = await result;
          assert.deepEqual(seen, [[502, 'foo', 0], 2]);
          assert.equal(err.message, CLOSED_EARLY);
          assert.deepEqual([code, states], [1006, [2, 3]]);
          await server.closed();
        } finally {
          await server.close();
        }
      });
    }
  }
});

describe('the request aborted by the listener', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: req.abort() with the body in: 'abort', res 'end', connection dropped, WebSocket still CONNECTING`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Content-Length: 3\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { req, res } = await unexpected(ws);
        const log = [];
        req.on('abort', () => log.push('abort'));
        // As ws's own test: the unread body still ends after the abort.
        const ended = within(once(res, 'end'), "the response's 'end'");
        req.abort();
        await ended;
        assert.deepEqual(log, ['abort']);
        await server.closed();
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });

    test(`${name}: req.abort() mid-body: res 'aborted' and 'close', no 'end', WebSocket still CONNECTING`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Content-Length: 6\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { req, res } = await unexpected(ws);
        const log = [];
        for (const event of ['end', 'aborted', 'close']) res.on(event, () => log.push(event));
        res.on('error', (err) => log.push(`error ${err.code} ${err.message}`));
        req.abort();
        await closedResponse(res);
        assert.deepEqual(log, ['aborted', 'error ECONNRESET aborted', 'close']);
        assert.equal(res.complete, false);
        await server.closed();
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });

    test(`${name}: req.destroy(err): the WebSocket fails with err, 'close' 1006`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Content-Length: 3\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url);
        const result = failed(ws);
        const { req } = await unexpected(ws);
        req.on('error', () => {});
        req.destroy(new Error('boom'));
        const { err, code, states } = await result;
        assert.equal(err.message, 'boom');
        assert.deepEqual([code, states], [1006, [2, 3]]);
        await server.closed();
      } finally {
        await server.close();
      }
    });
  }
});

describe('the server ending the connection after the response', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: after the whole body: res 'end', the WebSocket still CONNECTING`, async () => {
      const server = await rawServer((socket) => socket.end(`${HEAD_401}Content-Length: 3\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        assert.equal(await readBody(res), 'foo');
        await server.closed();
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });

    test(`${name}: mid-body: res 'aborted' (ECONNRESET 'aborted'), no 'end', the WebSocket still CONNECTING`, async () => {
      const server = await rawServer((socket) => {
        socket.write(`${HEAD_401}Content-Length: 6\r\n\r\nfoo`);
        setTimeout(() => socket.end(), 20);
      });
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        const log = [];
        res.on('data', (chunk) => log.push(`data ${chunk}`));
        for (const event of ['end', 'aborted', 'close']) res.on(event, () => log.push(event));
        res.on('error', (err) => log.push(`error ${err.code} ${err.message}`));
        await closedResponse(res);
        assert.deepEqual(log, ['data foo', 'aborted', 'error ECONNRESET aborted', 'close']);
        assert.deepEqual([res.aborted, res.complete], [true, false]);
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });

    test(`${name}: mid-body, nobody listening for the response's 'error': nothing throws`, async () => {
      const server = await rawServer((socket) => {
        socket.write(`${HEAD_401}Content-Length: 6\r\n\r\nfoo`);
        setTimeout(() => socket.end(), 20);
      });
      try {
        const ws = new Client(server.url);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        await within(once(res, 'aborted'), "the response's 'aborted'");
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });

    test(`${name}: reset mid-body: the WebSocket fails with ECONNRESET, 'close' 1006`, async () => {
      const server = await rawServer((socket) => {
        socket.write(`${HEAD_401}Content-Length: 6\r\n\r\nfoo`);
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
      try {
        const ws = new Client(server.url);
        const result = failed(ws);
        const { res } = await unexpected(ws);
        const aborted = within(once(res, 'aborted'), "the response's 'aborted'");
        const { err, code, states } = await result;
        assert.equal(err.code, 'ECONNRESET');
        assert.deepEqual([code, states], [1006, [2, 3]]);
        await aborted;
      } finally {
        await server.close();
      }
    });

    test(`${name}: bad chunked framing fails the WebSocket with llhttp's error; the data before it is kept`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Transfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\nzz\r\n`));
      try {
        const ws = new Client(server.url);
        const seen = [];
        const result = failed(ws);
        ws.on('unexpected-response', (req, res) => {
          res.on('data', (chunk) => seen.push(`data ${chunk}`));
          res.on('aborted', () => seen.push('aborted'));
        });
        const { err, code, states } = await result;
        assert.equal(err.code, 'HPE_INVALID_CHUNK_SIZE');
        assert.equal(err.message, 'Parse Error: Invalid character in chunk size');
        assert.deepEqual([code, states], [1006, [2, 3]]);
        await server.closed();
        await within(
          (async () => {
            while (seen.length < 2) await delay(5);
          })(),
          "the response's 'aborted'",
        );
        assert.deepEqual(seen, ['data foo', 'aborted']);
      } finally {
        await server.close();
      }
    });
  }
});

describe('handshakeTimeout after an unexpected response', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: a body left unread times the handshake out`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Content-Length: 3\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url, { handshakeTimeout: 100 });
        const result = failed(ws);
        await unexpected(ws);
        const { err, code, states } = await result;
        assert.equal(err.message, 'Opening handshake has timed out');
        assert.deepEqual([code, states], [1006, [2, 3]]);
        await server.closed();
      } finally {
        await server.close();
      }
    });

    test(`${name}: a body read to its end stops the timeout`, async () => {
      const server = await rawServer((socket) => socket.write(`${HEAD_401}Content-Length: 3\r\n\r\nfoo`));
      try {
        const ws = new Client(server.url, { handshakeTimeout: 50 });
        const events = watch(ws);
        const { res } = await unexpected(ws);
        assert.equal(await readBody(res), 'foo');
        await delay(100);
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        await server.close();
      }
    });
  }
});

describe('a WebSocketServer that is closing answers 503', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: res.resume() drains the 503; close() then ends the WebSocket`, async () => {
      const http = createHttpServer();
      const wss = new WebSocketServer({ noServer: true });
      http.on('upgrade', (req, socket, head) => {
        wss.close();
        wss.handleUpgrade(req, socket, head, () => assert.fail('a closing server accepted a connection'));
      });
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      try {
        const ws = new Client(`ws://127.0.0.1:${portOf(http)}/`);
        const events = watch(ws);
        const { res } = await unexpected(ws);
        assert.equal(res.statusCode, 503);
        res.resume();
        await within(once(res, 'end'), "the 503's 'end'");
        assert.equal(res.complete, true);
        await stillConnecting(ws, events);
        await closeConnecting(ws);
      } finally {
        http.closeAllConnections();
        await new Promise((resolve) => http.close(() => resolve()));
      }
    });
  }
});

describe('BodyDecoder', () => {
  const decode = (framing, bytes, splits) => {
    const decoder = new BodyDecoder(framing);
    const out = [];
    let at = 0;
    for (const end of [...splits, bytes.length]) {
      decoder.push(bytes.subarray(at, end), (data) => out.push(Buffer.from(data).toString('latin1')));
      at = end;
    }
    return { body: out.join(''), done: decoder.done, trailers: decoder.rawTrailers };
  };
  /** @type {import('../../dist/protocol/http-body.js').BodyFraming} */
  const chunked = { kind: 'chunked' };

  test('chunked: the same body and trailers however the bytes are split', () => {
    const wire = Buffer.from('3\r\nfoo\r\nA;x="a b"\r\n0123456789\r\n0\r\nX-A: 1\r\nX-B:  2 \r\n\r\nafter', 'latin1');
    for (let i = 0; i <= wire.length; i++) {
      for (const splits of [[i], [i, Math.min(wire.length, i + 1)], Array.from({ length: i }, (_, k) => k)]) {
        assert.deepEqual(
          decode(chunked, wire, splits),
          { body: 'foo0123456789', done: true, trailers: ['X-A', '1', 'X-B', '2'] },
          `split at ${splits}`,
        );
      }
    }
  });

  test("chunked framing faults are llhttp's, after the data before them", () => {
    const fault = (wire, code, message, before = '') => {
      const out = [];
      const decoder = new BodyDecoder(chunked);
      assert.throws(
        () => decoder.push(Buffer.from(wire, 'latin1'), (data) => out.push(Buffer.from(data).toString())),
        (/** @type {HttpParseError} */ err) => {
          assert.deepEqual([err.code, err.message], [code, `Parse Error: ${message}`]);
          return true;
        },
      );
      assert.equal(out.join(''), before);
    };
    fault('zz\r\n', 'HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
    fault('\r\n', 'HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
    fault('3 \r\n', 'HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
    fault('3\rx', 'HPE_STRICT', 'Expected LF after chunk size');
    fault('3\nfoo', 'HPE_CR_EXPECTED', 'Missing expected CR after chunk size');
    fault('3\r\nfooX', 'HPE_STRICT', 'Expected LF after chunk data', 'foo');
    fault('3\r\nfoo\n', 'HPE_CR_EXPECTED', 'Missing expected CR after chunk data', 'foo');
    fault('fffffffffffffffff\r\n', 'HPE_INVALID_CHUNK_SIZE', 'Chunk size overflow');
    fault('3;a\x01\r\n', 'HPE_STRICT', 'Invalid character in chunk extensions');
    fault('3\r\nfoo\r\n0\r\nno colon\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN', 'Invalid header token', 'foo');
  });

  test('Content-Length takes that many bytes; close-delimited ends only with the connection', () => {
    assert.deepEqual(decode({ kind: 'length', length: 3 }, Buffer.from('foobar'), [1]), { body: 'foo', done: true, trailers: [] });
    const decoder = new BodyDecoder({ kind: 'close' });
    decoder.push(Buffer.from('foo'), () => {});
    assert.equal(decoder.done, false);
    assert.equal(decoder.finish(), true);
    assert.equal(new BodyDecoder({ kind: 'length', length: 3 }).finish(), false);
  });

  test('framing from the head, with the faults llhttp finds there', () => {
    const head = (statusCode, rawHeaders) => {
      /** @type {Record<string, string>} */
      const headers = {};
      for (let i = 0; i < rawHeaders.length; i += 2) {
        const key = rawHeaders[i].toLowerCase();
        headers[key] = key in headers ? `${headers[key]}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
      }
      return { httpVersion: '1.1', statusCode, statusMessage: '', headers, rawHeaders };
    };
    assert.deepEqual(bodyFraming(head(401, ['Content-Length', '3'])), { kind: 'length', length: 3 });
    assert.deepEqual(bodyFraming(head(401, ['Content-Length', '0'])), { kind: 'none' });
    assert.deepEqual(bodyFraming(head(304, ['Content-Length', '10'])), { kind: 'none' });
    assert.deepEqual(bodyFraming(head(204, [])), { kind: 'none' });
    assert.deepEqual(bodyFraming(head(401, [])), { kind: 'close' });
    assert.deepEqual(bodyFraming(head(401, ['Transfer-Encoding', 'gzip, Chunked'])), { kind: 'chunked' });
    assert.deepEqual(bodyFraming(head(401, ['Transfer-Encoding', 'chunked, gzip'])), { kind: 'close' });
    const fault = (rawHeaders, code, message) =>
      assert.throws(
        () => bodyFraming(head(401, rawHeaders)),
        (/** @type {HttpParseError} */ err) => err.code === code && err.message === `Parse Error: ${message}`,
      );
    fault(['Content-Length', '3', 'Content-Length', '3'], 'HPE_UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length');
    fault(['Content-Length', '3x'], 'HPE_INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length');
    fault(['Content-Length', ''], 'HPE_INVALID_CONTENT_LENGTH', 'Empty Content-Length');
    fault(
      ['Transfer-Encoding', 'chunked', 'Content-Length', '3'],
      'HPE_INVALID_CONTENT_LENGTH',
      "Content-Length can't be present with Transfer-Encoding",
    );
  });
});
