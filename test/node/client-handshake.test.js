// Client handshake edge cases, each run against our client and ws's client with the same
// server so the expected events, states and timing are ws@8's: a peer that is not an
// HTTP server, close()/terminate() from an 'upgrade' listener and while connecting, and
// the response-head parser failing at the first byte that cannot be HTTP.

import { strict as assert } from 'node:assert';
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { describe, test } from 'node:test';
import WS from 'ws';
import { WebSocket } from '../../dist/index.js';
import { HttpParseError, ResponseHeadParser } from '../../dist/protocol/http.js';
import { failed, portOf, recordingServer, upgradeResponder, within } from './client-helpers.js';

/** Our client and ws's, run through the same code: the class column is deliberately loose. */
const CLIENTS = /** @type {Array<[string, any]>} */ ([
  ['our client', WebSocket],
  ['ws client', WS],
]);
const CLOSED_EARLY = 'WebSocket was closed before the connection was established';

/** A TCP server that writes `bytes` to each connection and otherwise keeps it open. */
async function rawServer(bytes) {
  const sockets = new Set();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume();
    for (const chunk of bytes) socket.write(chunk);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: portOf(server),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a server that does not speak HTTP', () => {
  const answers = [
    ['an SSH banner', ['SSH-2.0-OpenSSH_9.6\r\n'], 'HPE_INVALID_CONSTANT'],
    ['a line of text', ['foo\r\n'], 'HPE_INVALID_CONSTANT'],
    ['a split status line going wrong', ['HTT', 'P/1.1 1', 'x'], 'HPE_INVALID_STATUS'],
    ['a bad HTTP version', ['HTTP/2 101 Switching Protocols\r\n'], 'HPE_INVALID_VERSION'],
    ['a bad header line', ['HTTP/1.1 101 Switching Protocols\r\nno colon here\r\n\r\n'], 'HPE_INVALID_HEADER_TOKEN'],
  ];
  for (const [name, Client] of CLIENTS) {
    for (const [what, bytes, code] of answers) {
      test(`${name}: ${what} fails at once with ${code}: 'error' (CLOSING), then 'close' 1006`, async () => {
        const server = await rawServer(bytes);
        try {
          // No handshakeTimeout: the failure must come from the bytes, not from a timer.
          const ws = new Client(`ws://127.0.0.1:${server.port}/`);
          const { err, code: closeCode, states } = await failed(ws, 2000);
          assert.equal(err.code, code, err.message);
          assert.match(err.message, /^Parse Error: /);
          assert.deepEqual([closeCode, states], [1006, [2, 3]]);
        } finally {
          await server.close();
        }
      });
    }
  }
});

describe("close() or terminate() in an 'upgrade' listener", () => {
  for (const [name, Client] of CLIENTS) {
    for (const method of ['close', 'terminate']) {
      test(`${name}: ${method}() aborts: no 'open', '${CLOSED_EARLY}', 'close' 1006`, async () => {
        const server = await recordingServer();
        try {
          const ws = new Client(`ws://127.0.0.1:${server.port}/`);
          const log = [];
          ws.on('upgrade', (res) => {
            log.push(['upgrade', res.statusCode, ws.readyState]);
            ws[method]();
            log.push([method, ws.readyState]);
          });
          const { err, code, states } = await failed(ws);
          assert.equal(err.message, CLOSED_EARLY);
          assert.deepEqual(log, [
            ['upgrade', 101, 0],
            [method, 2],
          ]);
          assert.deepEqual([code, states], [1006, [2, 3]]);
        } finally {
          await server.close();
        }
      });
    }
  }
});

describe('close() or terminate() while connecting', () => {
  for (const [name, Client] of CLIENTS) {
    for (const method of ['close', 'terminate']) {
      test(`${name}: ${method}() right away: readyState 2 at once, 'error' on the next tick, then 'close' 1006 (3)`, async () => {
        const server = await recordingServer();
        try {
          const ws = new Client(`ws://127.0.0.1:${server.port}/`);
          const log = [];
          ws.on('error', (err) => log.push(['error', err.message, ws.readyState]));
          ws.on('close', (code) => log.push(['close', code, ws.readyState]));
          ws.on('open', () => log.push(['open']));
          const closed = new Promise((resolve) => ws.on('close', resolve));
          ws[method]();
          log.push(['returned', ws.readyState]);
          ws.close(); // while CLOSING: nothing more happens
          ws.terminate();
          log.push(['again', ws.readyState]);
          await within(closed, "'close'");
          assert.deepEqual(log, [
            ['returned', 2],
            ['again', 2],
            ['error', CLOSED_EARLY, 2],
            ['close', 1006, 3],
          ]);
        } finally {
          await server.close();
        }
      });

      test(`${name}: ${method}() while the server is thinking: the same, and nothing after`, async () => {
        // The server holds the upgrade; the client gives up meanwhile.
        const server = await upgradeResponder(() => {});
        try {
          const ws = new Client(`ws://127.0.0.1:${server.port}/`);
          const result = failed(ws);
          await within(
            new Promise((resolve) => {
              const poll = setInterval(() => server.upgrades > 0 && (clearInterval(poll), resolve()), 5);
            }),
            'the upgrade request',
          );
          let errorsSoFar = 0;
          ws.on('error', () => errorsSoFar++);
          ws[method]();
          assert.equal(ws.readyState, 2);
          assert.equal(errorsSoFar, 0);
          const { err, code, states } = await result;
          assert.equal(err.message, CLOSED_EARLY);
          assert.deepEqual([code, states], [1006, [2, 3]]);
        } finally {
          await server.close();
        }
      });
    }

    test(`${name}: handshakeTimeout: CLOSING, then 'Opening handshake has timed out' and 'close' 1006`, async () => {
      const server = await upgradeResponder(() => {});
      try {
        const ws = new Client(`ws://127.0.0.1:${server.port}/`, { handshakeTimeout: 100 });
        const { err, code, states } = await failed(ws);
        assert.equal(err.message, 'Opening handshake has timed out');
        assert.deepEqual([code, states], [1006, [2, 3]]);
      } finally {
        await server.close();
      }
    });

    test(`${name}: close() in an 'unexpected-response' listener: '${CLOSED_EARLY}', 'close' 1006`, async () => {
      const server = await upgradeResponder((req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
      try {
        const ws = new Client(`ws://127.0.0.1:${server.port}/`);
        const seen = [];
        ws.on('unexpected-response', (req, res) => {
          seen.push([res.statusCode, ws.readyState]);
          ws.close();
          seen.push(ws.readyState);
        });
        const { err, code } = await failed(ws);
        assert.deepEqual(seen, [[403, 0], 2]);
        assert.equal(err.message, CLOSED_EARLY);
        assert.equal(code, 1006);
      } finally {
        await server.close();
      }
    });
  }
});

describe('ResponseHeadParser fails at the first byte that cannot be HTTP', () => {
  const parse = (...chunks) => {
    const parser = new ResponseHeadParser();
    let result = null;
    for (const chunk of chunks) {
      const bytes = Buffer.from(chunk, 'latin1');
      // Once the head is complete, later bytes belong to the WebSocket, not the parser.
      if (result === null) result = parser.push(bytes);
      else result.rest = Buffer.concat([result.rest, bytes]);
    }
    return result;
  };
  const fails = (code, ...chunks) =>
    assert.throws(
      () => parse(...chunks),
      (err) => err instanceof HttpParseError && err.code === code,
    );

  test('wrong bytes fail before any line end; a good head parses split anywhere', () => {
    fails('HPE_INVALID_CONSTANT', 'S');
    fails('HPE_INVALID_CONSTANT', 'HTT', 'p');
    fails('HPE_INVALID_VERSION', 'HTTP/2');
    fails('HPE_INVALID_VERSION', 'HTTP/1.1x');
    fails('HPE_INVALID_STATUS', 'HTTP/1.1 10x');
    fails('HPE_INVALID_STATUS', 'HTTP/1.1 1011');
    fails('HPE_INVALID_STATUS', 'HTTP/1.1 101 Switching\0');
    fails('HPE_INVALID_STATUS', 'HTTP/1.1 10\r\n');
    // ...while a good head still parses, split anywhere, with the bytes after it.
    const text = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00';
    for (let i = 0; i <= text.length; i++) {
      const { head, rest } = parse(text.slice(0, i), text.slice(i));
      assert.equal(head.statusCode, 101);
      assert.equal(head.statusMessage, 'Switching Protocols');
      assert.equal(head.httpVersion, '1.1');
      assert.equal(head.headers.upgrade, 'websocket');
      assert.deepEqual([...rest], [0x81, 0]);
    }
    assert.equal(parse('HTTP/1.0 404\r\n\r\n').head.statusMessage, '');
    assert.equal(parse('HTTP/1.1 101 Swi'), null);
  });

  test('a status line that never ends is a header overflow, not a wait', () => {
    fails('HPE_HEADER_OVERFLOW', 'HTTP/1.1 200 ' + 'x'.repeat(17 * 1024));
  });
});
