// Topics over createRedisBackplane against a real redis-server on loopback: exactly once
// and in order across two "processes" (two Topics, two backplanes); a publish while Redis
// is down rejects after local delivery; after a restart the backplanes reconnect and
// resubscribe; close() leaves nothing that keeps a process alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Topics, createRedisBackplane } from '../../dist/topics/index.js';
import { startRedis } from './redis-server.js';
import { startServer, waitFor, within, assertExactlyOnceInOrder } from './topics-helpers.js';

/**
 * The next `name` event within ms. (Not events.once: that also listens for 'error', which
 * makes the backplane forward ioredis's connection errors, and rejects on the first one.)
 */
function nextEvent(emitter, name, ms) {
  let listener;
  return within(new Promise((resolve) => emitter.once(name, (listener = resolve))), ms, `'${name}'`).finally(() =>
    emitter.off(name, listener),
  );
}

const prefix = () => `wscodec-test-${randomBytes(4).toString('hex')}:`;

/** Waits until `topics` reports the backplane subscription to `topic` as confirmed. */
function subscribed(topics, topic) {
  return within(
    new Promise((resolve) => {
      const onSub = (t) => {
        if (t !== topic) return;
        topics.off('subscribed', onSub);
        resolve();
      };
      topics.on('subscribed', onSub);
    }),
    5000,
    `backplane subscription to ${topic}`,
  );
}

async function twoProcesses(t, redis) {
  const options = { prefix: prefix() };
  const [bpA, bpB] = await Promise.all([createRedisBackplane(redis.url, options), createRedisBackplane(redis.url, options)]);
  const topicsA = new Topics({ backplane: bpA });
  const topicsB = new Topics({ backplane: bpB });
  t.after(() => Promise.all([topicsA.close(), topicsB.close()]));
  const serverA = await startServer(t);
  const serverB = await startServer(t, { perMessageDeflate: true });
  return { bpA, bpB, topicsA, topicsB, serverA, serverB };
}

test('redis backplane: every subscriber in both processes gets every message once, in order', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const { topicsA, topicsB, serverA, serverB } = await twoProcesses(t, redis);

  const onA = [await serverA.connect(), await serverA.connect()];
  const onB = [await serverB.connect(), await serverB.connect({ perMessageDeflate: false })];
  assert.match(onB[0].client.extensions, /permessage-deflate/);
  const ready = [subscribed(topicsA, 'room'), subscribed(topicsB, 'room')];
  for (const c of onA) topicsA.subscribe(c.socket, 'room');
  for (const c of onB) topicsB.subscribe(c.socket, 'room');
  await Promise.all(ready);

  const N = 200;
  const publishers = [
    { tag: 'p0', topics: topicsA, binary: false },
    { tag: 'p1', topics: topicsB, binary: true },
    { tag: 'p2', topics: topicsA, binary: false },
  ];
  const pending = [];
  for (let i = 0; i < N; i++) {
    for (const p of publishers) {
      const payload = `${p.tag}:${i}`;
      pending.push(p.topics.publish('room', p.binary ? Buffer.from(payload) : payload));
    }
  }
  const counts = await within(Promise.all(pending), 10_000, 'publishes');
  assert.ok(counts.every((n) => n === 2));

  const all = [...onA, ...onB];
  await waitFor(() => all.every((c) => c.messages.length >= 3 * N), 10_000, 'every client to get every message');
  await new Promise((resolve) => setTimeout(resolve, 100)); // room for duplicates to show up
  all.forEach((c, i) => assertExactlyOnceInOrder(assert, c.messages, ['p0', 'p1', 'p2'], N, `client ${i}`));
  for (const c of all) assert.ok(c.messages.every((m) => m.binary === m.data.toString().startsWith('p1')));
});

test('redis backplane: down → publish rejects after local delivery; restart → reconnects and resubscribes', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const { bpA, bpB, topicsA, topicsB, serverA, serverB } = await twoProcesses(t, redis);
  const topicErrors = [];
  topicsA.on('error', (err) => topicErrors.push(err));
  topicsB.on('error', (err) => topicErrors.push(err));

  const a = await serverA.connect();
  const b = await serverB.connect();
  const ready = [subscribed(topicsA, 'room'), subscribed(topicsB, 'room')];
  topicsA.subscribe(a.socket, 'room');
  topicsB.subscribe(b.socket, 'room');
  await Promise.all(ready);
  assert.equal(await topicsA.publish('room', 'before'), 1);
  await waitFor(() => a.messages.length === 1 && b.messages.length === 1, 5000, 'before');

  // Redis goes away; both backplanes notice and start reconnecting (no crash, no unhandled error).
  const reconnecting = [nextEvent(bpA, 'reconnecting', 5000), nextEvent(bpB, 'reconnecting', 5000)];
  await redis.stop();
  await Promise.all(reconnecting);

  const started = Date.now();
  await assert.rejects(within(topicsA.publish('room', 'during-outage'), 2000, 'publish while down'));
  assert.ok(Date.now() - started < 1000, 'the publish rejects at once instead of queueing');
  await waitFor(() => a.messages.length === 2, 5000, 'local delivery during the outage');
  assert.equal(a.messages[1].data.toString(), 'during-outage');

  // A subscription made during the outage takes effect once Redis is back.
  const late = await serverB.connect();
  topicsB.subscribe(late.socket, 'late');

  const back = [nextEvent(bpA, 'ready', 10_000), nextEvent(bpB, 'ready', 10_000)];
  await redis.restart();
  await Promise.all(back);

  assert.equal(await topicsA.publish('room', 'after'), 1);
  assert.equal(await topicsB.publish('room', 'after-from-b'), 1);
  assert.equal(await topicsA.publish('late', 'late-news'), 0);
  await waitFor(
    () => b.messages.length === 3 && a.messages.length === 4 && late.messages.length === 1,
    10_000,
    'messages after the restart',
  );
  // Order holds per publisher only: 'after' (from A, via Redis) and 'after-from-b' (from B)
  // may arrive either way round.
  assert.deepEqual(b.texts().slice(0, 1), ['before']);
  assert.deepEqual(b.texts().slice(1).sort(), ['after', 'after-from-b']);
  assert.deepEqual(a.texts().slice(0, 2), ['before', 'during-outage']);
  assert.deepEqual(a.texts().slice(2).sort(), ['after', 'after-from-b']);
  assert.deepEqual(late.texts(), ['late-news']);
  assert.deepEqual(topicErrors, []);
});

const DIST = JSON.stringify(new URL('../../dist/topics/index.js', import.meta.url).href);

/**
 * Runs an ES module script in a child node (argv[1] = redis url) that must exit by itself
 * — i.e. leave no handle open — within 10 s. `onOutput(text, child)` sees stdout as it comes.
 * @param {import('node:test').TestContext} t
 * @param {string} script
 * @param {string} url
 * @param {(text: string, child: import('node:child_process').ChildProcess) => void} [onOutput]
 */
async function runChild(t, script, url, onOutput = () => {}) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    onOutput(out, child);
  });
  child.stderr.on('data', (d) => (out += d));
  const [code] = await within(once(child, 'exit'), 10_000, 'the child process to exit by itself');
  assert.equal(code, 0, out);
  return out;
}

const CHILD_SETUP = `
  import { Topics, createRedisBackplane } from ${DIST};
  import { EventEmitter } from 'node:events';
  // Any socket with ws's readyState, send() and 'close': Topics delivers with send().
  const fakeSocket = () => Object.assign(new EventEmitter(), { readyState: 1, frames: 0, send() { this.frames++; } });
`;

test('redis backplane: starting against a Redis that is down rejects and leaves nothing open', async (t) => {
  const redis = await startRedis();
  await redis.stop();
  await assert.rejects(within(createRedisBackplane(redis.url), 5000, 'createRedisBackplane'));
  const out = await runChild(
    t,
    `${CHILD_SETUP}
    await createRedisBackplane(process.argv[1]).then(() => console.log('resolved?'), (err) => console.log('rejected: ' + err.message));
  `,
    redis.url,
  );
  assert.match(out, /rejected: /);
});

test('redis backplane: close() leaves no open handles, with Redis up or down', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const up = await runChild(
    t,
    `${CHILD_SETUP}
    const backplane = await createRedisBackplane(process.argv[1], { prefix: 'exit-test:' });
    const topics = new Topics({ backplane });
    const ws = fakeSocket();
    topics.subscribe(ws, 'x');
    await new Promise((resolve) => topics.once('subscribed', resolve));
    await topics.publish('x', 'hi');
    await topics.close();
    console.log('closed ' + ws.frames);
  `,
    redis.url,
  );
  assert.match(up, /closed 1/);

  // Closed during an outage, while the connections are reconnecting.
  let stopping = null;
  const down = await runChild(
    t,
    `${CHILD_SETUP}
    const backplane = await createRedisBackplane(process.argv[1], { prefix: 'exit-test:' });
    const topics = new Topics({ backplane });
    topics.subscribe(fakeSocket(), 'x');
    await new Promise((resolve) => topics.once('subscribed', resolve));
    backplane.once('reconnecting', async () => {
      await topics.close();
      console.log('closed while down');
    });
    console.log('up');
  `,
    redis.url,
    (out) => {
      if (stopping === null && out.includes('up')) stopping = redis.stop();
    },
  );
  await stopping;
  assert.match(down, /closed while down/);
});
