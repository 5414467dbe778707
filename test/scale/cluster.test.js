// Scale-out end to end (issue 7): a real redis-server and three `wscodec chat --redis`
// processes share one chat room. What this file pins down:
//   - while Redis is up, every client on every process gets every line exactly once, and
//     the lines of each publisher in the order they were sent (join/leave notices cross too);
//   - a process killed with SIGKILL just vanishes (its clients get no goodbye, the others
//     no leave notices for them) and the surviving processes keep serving each other;
//   - while Redis is down, a line reaches the clients of the process it was typed on and no
//     other; the failure is logged once per outage, not per line; after Redis is back the
//     processes reconnect and resubscribe by themselves and new lines cross again, but the
//     lines from the outage are never replayed (Redis pub/sub keeps nothing).
// Loopback only; every wait is bounded; processes are killed in after().
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WsClient, { WebSocketServer as WsServer } from 'ws';
import { WebSocket } from 'wscodec';
import { startChat } from '../../dist/demos/chat.js';
import { startRedis } from './redis-server.js';

const BIN = fileURLToPath(new URL('../../bin/wscodec.js', import.meta.url));
const PROCESSES = 3;
const CLIENTS_PER_PROCESS = 3;
const LINES_PER_PUBLISHER = 50;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it returns true; fails after `ms`. */
async function waitUntil(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** `wscodec chat --port 0 --redis url` as a child process; resolves once it printed its port. */
async function startServer(redisUrl) {
  const child = spawn(process.execPath, [BIN, 'chat', '--port', '0', '--redis', redisUrl], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { child, stdout: '', stderr: '', port: 0, url: '', exited: once(child, 'exit') };
  child.stdout.setEncoding('utf8').on('data', (s) => (server.stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (server.stderr += s));
  const startup = /wscodec chat demo on http:\/\/127\.0\.0\.1:(\d+)\/ .*redis: (\S+)\)/;
  await Promise.race([
    waitUntil(() => startup.test(server.stdout), 10_000, 'the chat startup line'),
    server.exited.then(([code]) => {
      throw new Error(`chat exited (${code}) before listening: ${server.stderr}`);
    }),
  ]);
  const [, port, shownRedis] = server.stdout.match(startup);
  assert.equal(shownRedis, redisUrl, 'the startup line names the Redis URL');
  server.port = Number(port);
  server.url = `ws://127.0.0.1:${port}/`;
  return server;
}

/**
 * What Client uses of either WebSocket class.
 * @typedef {{ on(event: string, listener: (...args: any[]) => void): unknown, send(data: string): void,
 *   close(code?: number): void, terminate(): void }} ClientSocket
 */

/** A chat client (wscodec's or ws's WebSocket) recording every message it gets. */
class Client {
  /**
   * @param {string} url
   * @param {new (url: string) => ClientSocket} [WebSocketClass] wscodec's by default
   */
  constructor(url, WebSocketClass = WebSocket) {
    this.ws = new WebSocketClass(url);
    this.messages = [];
    this.closed = false;
    this.ws.on('error', () => {});
    this.ws.on('close', () => (this.closed = true));
    this.ws.on('message', (data) => this.messages.push(JSON.parse(String(data))));
  }

  async ready() {
    await waitUntil(() => this.messages.some((m) => m.type === 'welcome'), 5000, 'a welcome');
    this.name = this.messages.find((m) => m.type === 'welcome').name;
    return this;
  }

  /** Texts of the chat lines received so far whose text starts with `prefix`. */
  lines(prefix, from) {
    return this.messages
      .filter((m) => m.type === 'message' && m.text.startsWith(prefix) && (from === undefined || m.from === from))
      .map((m) => m.text);
  }
}

/**
 * Each sender sends a probe line every 100 ms until every receiver has seen a probe from
 * every sender (a backplane subscription is asynchronous, so this is how to know the room
 * is connected end to end). Bounded by `ms`.
 */
async function untilCrossed(senders, receivers, tag, ms) {
  const deadline = Date.now() + ms;
  const crossed = () => receivers.every((r) => senders.every((s, i) => r.lines(`${tag}-${i}-`, s.name).length > 0));
  for (let round = 0; !crossed(); round++) {
    if (Date.now() > deadline) throw new Error(`probes '${tag}' did not cross within ${ms} ms`);
    senders.forEach((s, i) => s.ws.send(`${tag}-${i}-${round}`));
    await sleep(100);
  }
}

/**
 * Every publisher sends `count` lines `${tag}-${i}-${k}`, interleaved, then an end marker;
 * returns once every receiver has every end marker (plus a short settle for stray duplicates).
 */
async function publishRound(publishers, receivers, tag, count) {
  for (let k = 0; k < count; k++) publishers.forEach((p, i) => p.ws.send(`${tag}-${i}-${k}`));
  publishers.forEach((p, i) => p.ws.send(`${tag}-end-${i}`));
  await waitUntil(
    () => receivers.every((r) => publishers.every((_, i) => r.lines(`${tag}-end-${i}`).length > 0)),
    15_000,
    `every '${tag}' end marker everywhere`,
  );
  await sleep(200);
}

/** Asserts each receiver got each publisher's `tag` lines exactly once and in order. */
function assertExactlyOnceInOrder(publishers, receivers, tag, count) {
  for (const r of receivers) {
    publishers.forEach((p, i) => {
      const expected = Array.from({ length: count }, (_, k) => `${tag}-${i}-${k}`);
      assert.deepEqual(r.lines(`${tag}-${i}-`, p.name), expected, `${r.name} got ${p.name}'s '${tag}' lines once each, in order`);
      assert.equal(r.lines(`${tag}-end-${i}`).length, 1, `${r.name} got ${p.name}'s end marker once`);
    });
    assert.equal(r.lines(`${tag}-`).length, publishers.length * (count + 1), `${r.name}: no extra '${tag}' lines`);
  }
}

describe('chat scale-out over Redis (3 processes)', () => {
  let redis;
  const servers = [];
  const clients = []; // clients[p][c]: client c of process p
  const extra = []; // other clients and in-process chats to clean up

  before(async () => {
    redis = await startRedis();
    servers.push(...(await Promise.all(Array.from({ length: PROCESSES }, () => startServer(redis.url)))));
    for (const server of servers) {
      const group = [];
      for (let c = 0; c < CLIENTS_PER_PROCESS; c++) group.push(await new Client(server.url).ready());
      clients.push(group);
    }
    // One probe sender per process is enough to prove every process's subscription.
    await untilCrossed(
      clients.map((g) => g[0]),
      clients.flat(),
      'hello',
      10_000,
    );
  });

  after(async () => {
    for (const c of [...clients.flat(), ...extra.filter((e) => e.ws)]) c.ws.terminate();
    for (const e of extra) if (e.close) await e.close().catch(() => {});
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await redis?.stop();
  });

  it('names guests uniquely across processes; join and leave notices cross processes', async () => {
    const names = clients.flat().map((c) => c.name);
    assert.equal(new Set(names).size, names.length, `unique names: ${names.join(', ')}`);
    assert.ok(
      names.every((n) => /^guest-\d+@[0-9a-f]{4}$/.test(n)),
      'guest-N@tag',
    );

    const newcomer = await new Client(servers[2].url).ready();
    extra.push(newcomer);
    const joined = (c) => c.messages.filter((m) => m.type === 'join' && m.name === newcomer.name);
    await waitUntil(() => clients.flat().every((c) => joined(c).length > 0), 5000, 'the join notice everywhere');
    newcomer.ws.close(1000);
    const left = (c) => c.messages.filter((m) => m.type === 'leave' && m.name === newcomer.name);
    await waitUntil(() => clients.flat().every((c) => left(c).length > 0), 5000, 'the leave notice everywhere');
    await sleep(100);
    for (const c of clients.flat()) {
      assert.equal(joined(c).length, 1, `${c.name}: one join notice`);
      assert.equal(left(c).length, 1, `${c.name}: one leave notice`);
      // 'online' counts the process the newcomer is on, not the whole cluster.
      assert.deepEqual(joined(c)[0], { type: 'join', name: newcomer.name, online: CLIENTS_PER_PROCESS + 1 });
    }
  });

  it('delivers every line to every client on every process exactly once, in order per publisher', async () => {
    const everyone = clients.flat();
    await publishRound(everyone, everyone, 'L', LINES_PER_PUBLISHER);
    assertExactlyOnceInOrder(everyone, everyone, 'L', LINES_PER_PUBLISHER);
  });

  it("works with ws's server class injected too (in-process chats on the same Redis)", async () => {
    const ours = await startChat({ port: 0, redis: redis.url, log: () => {} });
    extra.push(ours);
    const theirs = await startChat({ port: 0, redis: redis.url, WebSocketServer: WsServer, log: () => {} });
    extra.push(theirs);
    assert.equal(theirs.redis, redis.url);
    const a = await new Client(ours.url, WsClient).ready();
    const b = await new Client(theirs.url, WsClient).ready();
    extra.push(a, b);
    const all = [a, b, clients[0][1]];
    await untilCrossed(all, all, 'inproc-probe', 10_000);
    await publishRound(all, all, 'W', 20);
    assertExactlyOnceInOrder(all, all, 'W', 20);
    a.ws.terminate();
    b.ws.terminate();
    await ours.close();
    await theirs.close();
  });

  it('SIGKILL of one process: its clients drop, the other two keep serving each other', async () => {
    const [victim] = servers.splice(2, 1);
    const orphans = clients.splice(2, 1)[0];
    victim.child.kill('SIGKILL');
    await victim.exited;
    await waitUntil(() => orphans.every((c) => c.closed), 5000, "the killed process's clients to see the drop");

    const survivors = clients.flat();
    await publishRound(survivors, survivors, 'K', 20);
    assertExactlyOnceInOrder(survivors, survivors, 'K', 20);
    // A killed process says no goodbye: nobody elsewhere hears its clients leave.
    const orphanNames = new Set(orphans.map((c) => c.name));
    for (const c of survivors) {
      assert.ok(!c.messages.some((m) => m.type === 'leave' && orphanNames.has(m.name)), 'no leave notices from a SIGKILLed process');
    }
  });

  it('Redis restart: local-only while down (logged once, not replayed), then delivery resumes', async () => {
    const [a, b] = clients; // the clients of the two surviving processes
    const [serverA, serverB] = servers;
    const outageLog = /redis \S+ unavailable/g;
    const backLog = /redis \S+ is back/g;
    const count = (server, re) => (server.stderr.match(re) ?? []).length;

    await redis.stop();
    // Until a publish fails the process cannot know; send down-lines until both have logged.
    let sentA = 0;
    let sentB = 0;
    await waitUntil(
      () => {
        a[0].ws.send(`DA-${sentA++}`);
        b[0].ws.send(`DB-${sentB++}`);
        return count(serverA, outageLog) > 0 && count(serverB, outageLog) > 0;
      },
      10_000,
      'both processes to log the Redis outage',
    );
    for (let k = 0; k < 10; k++) {
      a[0].ws.send(`DA-${sentA++}`);
      b[0].ws.send(`DB-${sentB++}`);
    }
    const expectA = Array.from({ length: sentA }, (_, k) => `DA-${k}`);
    const expectB = Array.from({ length: sentB }, (_, k) => `DB-${k}`);
    // Local delivery never depends on Redis: the same process's clients get all of them, in order.
    await waitUntil(
      () => a.every((c) => c.lines('DA-').length === sentA) && b.every((c) => c.lines('DB-').length === sentB),
      5000,
      'local delivery during the outage',
    );
    for (const c of a) assert.deepEqual(c.lines('DA-'), expectA);
    for (const c of b) assert.deepEqual(c.lines('DB-'), expectB);

    await redis.restart();
    // The processes reconnect with back-off and resubscribe on their own; probe until lines cross.
    await untilCrossed([a[0], b[0]], [...a, ...b], 'back', 20_000);
    await waitUntil(() => count(serverA, backLog) === 1 && count(serverB, backLog) === 1, 5000, 'the recovery log lines');
    await publishRound([...a, ...b], [...a, ...b], 'R', 20);
    assertExactlyOnceInOrder([...a, ...b], [...a, ...b], 'R', 20);

    // Lines typed during the outage reached the other process neither then nor later.
    for (const c of a) assert.deepEqual(c.lines('DB-'), [], `${c.name}: B's outage lines are lost, not replayed`);
    for (const c of b) assert.deepEqual(c.lines('DA-'), [], `${c.name}: A's outage lines are lost, not replayed`);
    // One log line per outage, however many lines failed; nothing crashed.
    assert.equal(count(serverA, outageLog), 1, serverA.stderr);
    assert.equal(count(serverB, outageLog), 1, serverB.stderr);
    for (const server of servers) assert.equal(server.child.exitCode, null, 'still running');
  });
});
