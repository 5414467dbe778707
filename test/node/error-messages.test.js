// Error messages and types a ws user's code may match on, side by side with ws's own:
// constructor argument errors and the client's checks of the server's extension answer.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import WS from 'ws';
import { WebSocket } from '../../dist/index.js';
import { portOf } from './client-helpers.js';

const implementations = /** @type {Array<[string, any]>} */ ([
  ['wscodec', WebSocket],
  ['ws', WS],
]);

let server;
let port;
before(async () => {
  // Answers every upgrade with a valid 101 whose Sec-WebSocket-Extensions is the request path's query.
  server = createServer();
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1')
      .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    const extensions = decodeURIComponent(req.url.slice(req.url.indexOf('?') + 1));
    socket.on('error', () => {});
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = portOf(server);
});
after(() => new Promise((resolve) => server.close(resolve)));

for (const [name, Client] of implementations) {
  test(`${name}: invalid or duplicated subprotocols throw ws's SyntaxError`, () => {
    for (const protocols of ['', 'a,b', ['a', 'a'], null, ['ok', 'sp ace']]) {
      assert.throws(
        () => new Client(`ws://127.0.0.1:${port}`, protocols),
        {
          name: 'SyntaxError',
          message: 'An invalid or duplicated subprotocol was specified',
        },
        JSON.stringify(protocols),
      );
    }
  });

  test(`${name}: a URL that does not parse throws SyntaxError 'Invalid URL: …'`, () => {
    assert.throws(() => new Client('foo'), { name: 'SyntaxError', message: 'Invalid URL: foo' });
    assert.throws(() => new Client('ftp://x/'), { name: 'SyntaxError' });
  });

  for (const [answer, message] of [
    ['foo;=', 'Invalid Sec-WebSocket-Extensions header'],
    ['permessage-deflate; client_max_window_bits=7', 'Invalid Sec-WebSocket-Extensions header'],
    ['foo', 'Server indicated an extension that was not requested'],
    ['permessage-deflate, foo', 'Server indicated an extension that was not requested'],
  ]) {
    test(`${name}: a server answering "${answer}" fails with '${message}'`, async () => {
      const ws = new Client(`ws://127.0.0.1:${port}/?${encodeURIComponent(answer)}`);
      const events = [];
      ws.on('open', () => events.push('open'));
      ws.on('error', (err) => events.push(`error:${err.message}`));
      // (events.once would reject on the 'error' event itself)
      const code = await new Promise((resolve) => ws.on('close', resolve));
      assert.deepEqual(events, [`error:${message}`]);
      assert.equal(code, 1006);
    });
  }

  test(`${name}: an extension answer to a client that offered none fails`, async () => {
    const ws = new Client(`ws://127.0.0.1:${port}/?permessage-deflate`, { perMessageDeflate: false });
    const errors = [];
    ws.on('error', (err) => errors.push(err.message));
    await new Promise((resolve) => ws.on('close', resolve));
    assert.deepEqual(errors, ['Server sent a Sec-WebSocket-Extensions header but no extension was requested']);
  });
}
