// A broadcast that reaches a socket while the server is in the middle of sending it a
// fragmented message (send with fin: false) must not put a data frame between the
// fragments: RFC 6455 §5.4 forbids it and ws's client fails the connection with 1002. The
// broadcast waits for the last fragment, then goes out; both messages arrive whole. Checked
// with ws clients (a foreign reader), with and without permessage-deflate (the deflate
// case covers the shared, precompressed broadcast frame).
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import WS from 'ws';
import { WebSocketServer, broadcast } from '../../dist/index.js';
import { Topics } from '../../dist/topics/index.js';
import { waitFor } from '../scale/topics-helpers.js';
import { portOf } from './client-helpers.js';

/** A server and one ws client; resolves with the server-side socket and what the client got. */
async function pair(t, perMessageDeflate) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = new WS(`ws://127.0.0.1:${portOf(server)}/`, { perMessageDeflate: !!perMessageDeflate });
  const got = [];
  const problems = [];
  client.on('message', (data, isBinary) => got.push(isBinary ? Buffer.from(/** @type {Buffer} */ (data)) : String(data)));
  client.on('error', (err) => problems.push(`error: ${err.message}`));
  client.on('close', (code) => problems.push(`close ${code}`));
  const [[socket]] = await Promise.all([accepted, once(client, 'open')]);
  t.after(async () => {
    client.terminate();
    for (const s of server.clients) s.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
  return { server, socket, client, got, problems };
}

for (const [name, deflate] of [
  ['plain', false],
  ['permessage-deflate', { threshold: 0 }],
]) {
  describe(`broadcast during a fragmented send (${name})`, () => {
    test('waits for the last fragment, then both messages arrive whole and in that order', async (t) => {
      const { socket, got, problems } = await pair(t, deflate);
      socket.send('first half, ', { fin: false });
      const before = socket.bufferedAmount;
      assert.equal(broadcast([socket], 'news from elsewhere'), 1);
      assert.equal(broadcast([socket], Buffer.from([1, 2, 3])), 1);
      // Held back, and counted as buffered meanwhile.
      assert.ok(socket.bufferedAmount > before, `bufferedAmount ${socket.bufferedAmount} > ${before}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(got, [], 'nothing complete yet: the broadcast did not interleave');
      socket.send('second half, ', { fin: false });
      socket.send('end', { fin: true });
      socket.send('after');
      await waitFor(() => got.length === 4 || problems.length > 0, 5000, 'four messages');
      assert.deepEqual(problems, []);
      assert.deepEqual(got, ['first half, second half, end', 'news from elsewhere', Buffer.from([1, 2, 3]), 'after']);
    });

    test('Topics.publish is held the same way; a close mid-message drops it without a crash', async (t) => {
      const { socket, client, got, problems } = await pair(t, deflate);
      const topics = new Topics();
      t.after(() => topics.close());
      topics.subscribe(socket, 'room');
      socket.send(Buffer.from('abc'), { fin: false });
      assert.equal(await topics.publish('room', 'published'), 1);
      socket.send(Buffer.from('def'), { fin: true });
      await waitFor(() => got.length === 2 || problems.length > 0, 5000, 'two messages');
      assert.deepEqual(got, [Buffer.from('abcdef'), 'published']);

      socket.send('never finished', { fin: false });
      await topics.publish('room', 'held forever');
      socket.close(1000, 'bye'); // a close frame may come between fragments
      const [code] = await once(client, 'close');
      assert.equal(code, 1000);
      assert.deepEqual(got.slice(2), []);
      assert.deepEqual(problems, ['close 1000']);
    });
  });
}
