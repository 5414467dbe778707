// Topics (issue 7) with real wscodec servers and clients on loopback: local pub/sub, and
// two Topics in one process sharing an InProcessBus (exactly once, in order per publisher).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topics, InProcessBus } from '../../dist/topics/index.js';
import { startServer, waitFor, assertExactlyOnceInOrder } from './topics-helpers.js';

test('local topics: subscribe, publish counts, text vs binary, except, unsubscribe', async (t) => {
  const server = await startServer(t);
  const topics = new Topics();
  t.after(() => topics.close());
  const [a, b, c] = [await server.connect(), await server.connect(), await server.connect()];

  topics.subscribe(a.socket, 'news');
  topics.subscribe(a.socket, 'news'); // idempotent
  topics.subscribe(b.socket, 'news');
  topics.subscribe(c.socket, 'other');
  assert.equal(topics.subscriberCount('news'), 2);
  assert.equal(topics.subscriberCount('other'), 1);
  assert.equal(topics.subscriberCount('nobody'), 0);
  assert.equal(typeof topics.id, 'string');
  assert.ok(topics.id.length > 0);

  assert.equal(await topics.publish('news', 'hello'), 2);
  assert.equal(await topics.publish('news', new Uint8Array([1, 2, 3])), 2);
  assert.equal(await topics.publish('news', 'as-binary', { binary: true }), 2);
  assert.equal(await topics.publish('news', Buffer.from('as-text'), { binary: false }), 2);
  assert.equal(await topics.publish('news', 'not-to-a', { except: a.socket }), 1);
  assert.equal(await topics.publish('nobody', 'void'), 0);
  assert.equal(await topics.publish('other', 'done'), 1);

  await waitFor(() => a.messages.length === 4 && b.messages.length === 5 && c.messages.length === 1, 5000, 'deliveries');
  const expectA = [
    { binary: false, data: Buffer.from('hello') },
    { binary: true, data: Buffer.from([1, 2, 3]) },
    { binary: true, data: Buffer.from('as-binary') },
    { binary: false, data: Buffer.from('as-text') },
  ];
  assert.deepEqual(a.messages, expectA);
  assert.deepEqual(b.messages, [...expectA, { binary: false, data: Buffer.from('not-to-a') }]);
  assert.deepEqual(c.messages, [{ binary: false, data: Buffer.from('done') }]);

  topics.unsubscribe(b.socket, 'news');
  topics.unsubscribe(b.socket, 'news'); // no-op
  topics.unsubscribe(c.socket, 'never-subscribed'); // no-op
  assert.equal(topics.subscriberCount('news'), 1);
  assert.equal(await topics.publish('news', 'after-unsubscribe'), 1);
  assert.equal(await topics.publish('other', 'marker'), 1);
  await waitFor(() => a.messages.length === 5 && c.messages.length === 2, 5000, 'deliveries after unsubscribe');
  assert.equal(a.messages[4].data.toString(), 'after-unsubscribe');
  assert.equal(b.messages.length, 5);
});

test('local topics: delivery is synchronous; a socket that closes leaves every topic', async (t) => {
  const server = await startServer(t);
  const topics = new Topics();
  t.after(() => topics.close());
  const a = await server.connect();
  const b = await server.connect();
  for (const topic of ['x', 'y', 'z']) topics.subscribe(a.socket, topic);
  topics.subscribe(b.socket, 'x');

  // Written before publish returns: the socket's outgoing bytes hold the frame already
  // (held until the next tick, so that a burst of publishes leaves in one write).
  const buffered = a.socket.bufferedAmount;
  const pending = topics.publish('y', 'sync');
  assert.equal(a.socket.bufferedAmount - buffered, 2 + 'sync'.length, 'one unmasked text frame, queued synchronously');
  assert.equal(await pending, 1);

  a.client.close();
  await waitFor(
    () => topics.subscriberCount('x') === 1 && topics.subscriberCount('y') === 0 && topics.subscriberCount('z') === 0,
    5000,
    'auto-unsubscribe on close',
  );
  assert.equal(await topics.publish('x', 'still-b'), 1);
  await waitFor(() => b.messages.length === 1, 5000, 'b gets x');

  // Subscribing a socket that is already closed is a no-op (nothing would ever remove it).
  topics.subscribe(a.socket, 'x');
  assert.equal(topics.subscriberCount('x'), 1);
});

test('backplane ref-counting, and a failing backplane rejects publish after local delivery', async (t) => {
  const server = await startServer(t);
  const calls = [];
  let failPublish = null;
  const inner = new InProcessBus().attach();
  const spy = {
    publish: (topic, message) => {
      calls.push(['publish', topic, message.origin, message.binary, Buffer.from(message.data).toString()]);
      return failPublish ? Promise.reject(failPublish) : inner.publish(topic, message);
    },
    subscribe: (topic) => (calls.push(['subscribe', topic]), inner.subscribe(topic)),
    unsubscribe: (topic) => (calls.push(['unsubscribe', topic]), inner.unsubscribe(topic)),
    onMessage: (handler) => inner.onMessage(handler),
    close: () => (calls.push(['close']), inner.close()),
  };
  const topics = new Topics({ backplane: spy });
  const errors = [];
  topics.on('error', (err) => errors.push(err));
  const a = await server.connect();
  const b = await server.connect();

  topics.subscribe(a.socket, 't');
  topics.subscribe(b.socket, 't');
  topics.subscribe(a.socket, 't');
  assert.deepEqual(calls, [['subscribe', 't']]);
  topics.unsubscribe(a.socket, 't');
  assert.deepEqual(calls, [['subscribe', 't']]);

  assert.equal(await topics.publish('t', 'ok'), 1);
  assert.deepEqual(calls.at(-1), ['publish', 't', topics.id, false, 'ok']);

  failPublish = new Error('backplane down');
  const pending = topics.publish('t', 'local-anyway');
  await assert.rejects(pending, /backplane down/);
  await waitFor(() => b.messages.length === 2, 5000, 'local delivery despite the failure');
  assert.equal(b.messages[1].data.toString(), 'local-anyway');
  failPublish = null;

  b.client.close();
  await waitFor(() => calls.some((c) => c[0] === 'unsubscribe'), 5000, 'backplane unsubscribe');
  assert.deepEqual(
    calls.filter((c) => c[0] !== 'publish'),
    [
      ['subscribe', 't'],
      ['unsubscribe', 't'],
    ],
  );

  await topics.close();
  assert.deepEqual(calls.at(-1), ['close']);
  await assert.rejects(topics.publish('t', 'closed'), /closed/);
  assert.deepEqual(errors, []);
});

test('two Topics on one InProcessBus: exactly once, in order per publisher, deflate client too', async (t) => {
  const bus = new InProcessBus();
  const topicsA = new Topics({ backplane: bus.attach() });
  const topicsB = new Topics({ backplane: bus.attach() });
  t.after(() => Promise.all([topicsA.close(), topicsB.close()]));
  assert.notEqual(topicsA.id, topicsB.id);
  const serverA = await startServer(t);
  const serverB = await startServer(t, { perMessageDeflate: true });

  const onA = [await serverA.connect(), await serverA.connect(), await serverA.connect()];
  const onB = [await serverB.connect(), await serverB.connect({ perMessageDeflate: false })];
  const deflated = onB[0];
  assert.match(deflated.client.extensions, /permessage-deflate/);
  assert.equal(onB[1].client.extensions, '');
  const bystander = await serverA.connect();
  for (const c of onA) topicsA.subscribe(c.socket, 'room');
  for (const c of onB) topicsB.subscribe(c.socket, 'room');
  topicsA.subscribe(bystander.socket, 'elsewhere');

  // p0 and p2 publish through A, p1 (binary) through B; interleaved.
  const N = 200;
  const publishers = [
    { tag: 'p0', topics: topicsA, binary: false },
    { tag: 'p1', topics: topicsB, binary: true },
    { tag: 'p2', topics: topicsA, binary: false },
  ];
  const counts = [];
  for (let i = 0; i < N; i++) {
    for (const p of publishers) {
      const payload = `${p.tag}:${i}`;
      counts.push(p.topics.publish('room', p.binary ? Buffer.from(payload) : payload));
    }
  }
  const resolved = await Promise.all(counts);
  for (let k = 0; k < resolved.length; k++) assert.equal(resolved[k], publishers[k % 3].topics === topicsA ? 3 : 2);

  const all = [...onA, ...onB];
  await waitFor(() => all.every((c) => c.messages.length >= 3 * N), 10_000, 'every client to get every message');
  await new Promise((resolve) => setTimeout(resolve, 50)); // room for duplicates to show up
  all.forEach((c, i) => assertExactlyOnceInOrder(assert, c.messages, ['p0', 'p1', 'p2'], N, `client ${i}`));
  for (const c of all) assert.ok(c.messages.every((m) => m.binary === m.data.toString().startsWith('p1')));

  // A large message (64-bit length) through the bus to the deflate-negotiated client.
  const big = Buffer.alloc(70_000, 7);
  assert.equal(await topicsA.publish('room', big), 3);
  await waitFor(() => deflated.messages.length === 3 * N + 1, 5000, 'big message');
  assert.deepEqual(deflated.messages.at(-1), { binary: true, data: big });
  assert.equal(bystander.messages.length, 0);

  // Once B is closed, A's publishes still resolve and B's clients get nothing more.
  await topicsB.close();
  assert.equal(await topicsA.publish('room', 'after-close'), 3);
  await waitFor(() => onA.every((c) => c.messages.at(-1).data.toString() === 'after-close'), 5000, 'A clients');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(onB[1].messages.length, 3 * N + 1);
});
