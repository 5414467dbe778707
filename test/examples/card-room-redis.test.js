// The card room shared through Redis (issue 7): a real redis-server and card-room processes
// started with `server.js --port 0 --redis URL`, clients over WebSocket (ws). Pinned down:
//   - players on different processes see each other join, under cids unique across processes;
//   - moves sent concurrently from two processes are applied in one order everywhere (both
//     clients get the same sequence of broadcasts, hence the same final state);
//   - a move the room rejects gets server:error to its player only;
//   - a process started later gets the current state;
//   - while Redis is down moves get server:error; a player who disconnects meanwhile is
//     gone afterwards; Redis restarts empty (no persistence) and the processes put the
//     room back from what they hold: every connected player with the same cards;
//   - the players of a process killed with SIGKILL leave the room on the others, and
//     those of a process stopped with SIGTERM at once.
// Loopback only; every wait is bounded; every process is killed in after().
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startRedis } from '../scale/redis-server.js';
import { waitFor as waitUntil } from '../scale/topics-helpers.js';

const SCRIPT_URL = new URL('../../examples/card-room/server.js', import.meta.url).href;
const SCRIPT = fileURLToPath(SCRIPT_URL);

const processes = [];

/** `server.js --port 0 --redis url` as a child process; resolves once it printed its port. */
async function startProcess(redisUrl) {
  const child = spawn(process.execPath, [SCRIPT, '--port', '0', '--redis', redisUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, stdout: '', stderr: '', exited: once(child, 'exit') };
  processes.push(proc);
  child.stdout.setEncoding('utf8').on('data', (s) => (proc.stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (proc.stderr += s));
  const startup = /card room on http:\/\/127\.0\.0\.1:(\d+)\/ .*shared through redis (\S+) as ([0-9a-f]+)\)/;
  await Promise.race([
    waitUntil(() => startup.test(proc.stdout), 10_000, 'the card room startup line'),
    proc.exited.then(([code]) => {
      throw new Error(`card room exited (${code}) before listening: ${proc.stderr}`);
    }),
  ]);
  const [, port, shownRedis, tag] = proc.stdout.match(startup);
  assert.equal(shownRedis, redisUrl);
  Object.assign(proc, { port: Number(port), url: `ws://127.0.0.1:${port}/`, tag });
  return proc;
}

/** A room client recording every message. */
class Client {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.messages = [];
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => this.messages.push(JSON.parse(String(data))));
  }

  async open() {
    if (this.ws.readyState !== WebSocket.OPEN) await once(this.ws, 'open');
    return this;
  }

  send(act, data) {
    this.ws.send(JSON.stringify({ act, cid: this.cid, data }));
  }

  get broadcasts() {
    return this.messages.filter((m) => m.act === 'server:broadcast');
  }

  get errors() {
    return this.messages.filter((m) => m.act === 'server:error');
  }

  /** The room as of the last broadcast this client got. */
  get state() {
    return this.broadcasts.at(-1)?.data.cards;
  }

  async join() {
    this.send('client:join');
    await waitUntil(() => this.messages.some((m) => m.act === 'server:register'), 5000, 'server:register');
    this.cid = this.messages.find((m) => m.act === 'server:register').data.cid;
    return this.cid;
  }

  /** Waits for a broadcast whose msg matches `pattern`. */
  async sees(pattern, ms = 5000) {
    await waitUntil(() => this.broadcasts.some((m) => pattern.test(m.msg)), ms, `a broadcast matching ${pattern}`);
  }
}

const clients = [];
/** Waits until every one of `clients` got a broadcast matching `pattern`. */
const allSee = (clients, pattern) => Promise.all(clients.map((client) => client.sees(pattern)));
/** A room state as {cid: cards}. */
const byCid = (state) => Object.fromEntries(state.map((p) => [p.cid, p.cards]));
async function connect(proc) {
  const client = await new Client(proc.url).open();
  clients.push(client);
  return client;
}

/**
 * Plays the card `data` from `client` once; resolves null when its broadcast arrives, or
 * the error message if the room refused it.
 */
async function play(client, data) {
  const [b, e] = [client.broadcasts.length, client.errors.length];
  const played = (m) => m.data.card?.title === data.title && m.data.cid === client.cid;
  client.send('client:add', data);
  await waitUntil(() => client.broadcasts.slice(b).some(played) || client.errors.length > e, 5000, `an answer to playing ${data.title}`);
  return client.errors.length > e ? client.errors.at(-1).msg : null;
}

describe('card room shared through Redis', { timeout: 60_000 }, () => {
  let redis;
  let A;
  let B;
  let C;
  let a;
  let b;
  let c;
  const card = (cardId, count, title) => ({ cardId, count, title });

  before(async () => {
    redis = await startRedis();
    [A, B] = [await startProcess(redis.url), await startProcess(redis.url)];
    [a, b] = await Promise.all([connect(A), connect(B)]);
  });

  after(async () => {
    for (const client of clients) client.ws.terminate();
    for (const proc of processes) proc.child.kill('SIGKILL');
    await Promise.all(processes.map((proc) => (proc.child.exitCode === null && proc.child.signalCode === null ? proc.exited : null)));
    await redis?.stop();
  });

  it('players on two processes see each other join, with cids unique across processes', async () => {
    assert.notEqual(A.tag, B.tag);
    await a.join();
    await allSee([a, b], new RegExp(`Player ${a.cid} joined`));
    await b.join();
    await allSee([a, b], new RegExp(`Player ${b.cid} joined`));
    // One room, one cid counter, whichever process the player is on.
    assert.deepEqual([a.cid, b.cid], [1, 2]);
    assert.deepEqual(a.state, [
      { cid: a.cid, cards: [] },
      { cid: b.cid, cards: [] },
    ]);
    assert.deepEqual(b.state, a.state);
  });

  it('moves sent concurrently on A and B are applied in the same order on both', async () => {
    const [startA, startB] = [a.broadcasts.length, b.broadcasts.length];
    const moves = 15;
    for (let i = 0; i < moves; i++) {
      // Both players use the same cardIds, and each move depends on the one before it.
      a.send('client:add', card(`c${i % 4}`, i + 1, `A${i}`));
      b.send('client:add', card(`c${i % 4}`, i + 1, `B${i}`));
      if (i % 3 === 2) {
        a.send('client:update', { cardId: `c${i % 4}`, count: 100 + i });
        b.send('client:remove', { cardId: `c${i % 4}` });
      }
    }
    const expected = moves * 2 + 10;
    await waitUntil(
      () => a.broadcasts.length - startA === expected && b.broadcasts.length - startB === expected,
      10_000,
      'every move on both',
    );
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    // Same broadcasts in the same order, each carrying the same whole-room state.
    assert.deepEqual(a.broadcasts.slice(startA), b.broadcasts.slice(startB));
    assert.deepEqual(
      a.state.map((p) => p.cid),
      [a.cid, b.cid],
    );
    assert.equal(a.state[0].cards.length, 4);
    // B removed c2, c1, c0, c3, c2 right after adding them (i = 2, 5, 8, 11, 14) and re-added
    // c0 and c1 after that; A kept all four.
    assert.deepEqual(b.state[1].cards.map((x) => x.cardId).sort(), ['c0', 'c1']);
  });

  it('an invalid move gets server:error on the acting player only', async () => {
    const [errorsB, broadcastsA, broadcastsB] = [b.errors.length, a.broadcasts.length, b.broadcasts.length];
    a.send('client:update', { cardId: 'no-such-card', count: 2 });
    await waitUntil(() => a.errors.length === 1, 5000, 'the server:error');
    assert.match(a.errors[0].msg, /no card "no-such-card"/);
    // A valid move from B afterwards: once B sees it, the invalid one has long gone by.
    b.send('client:add', card('after', 1, 'After'));
    await allSee([a, b], /After/);
    assert.equal(b.errors.length, errorsB);
    assert.equal(a.broadcasts.length, broadcastsA + 1);
    assert.equal(b.broadcasts.length, broadcastsB + 1);
    assert.deepEqual(b.state, a.state);
  });

  it('a process started later gets the current state', async () => {
    C = await startProcess(redis.url);
    c = await connect(C);
    const before = a.state;
    await c.join();
    await allSee([a, b, c], new RegExp(`Player ${c.cid} joined`));
    assert.deepEqual(c.state, [...before, { cid: c.cid, cards: [] }]);
    assert.deepEqual(a.state, c.state);
    assert.deepEqual(b.state, c.state);
    // And it takes part in the order from then on.
    c.send('client:add', card('late', 3, 'Late'));
    await allSee([a, b, c], /Late/);
    assert.deepEqual(a.state, c.state);
    assert.deepEqual(b.state, c.state);
  });

  it('refuses moves while Redis is down; once it is back (empty) the processes put the room back', async () => {
    // A fourth player, on B, who will disconnect during the outage.
    const d = await connect(B);
    await d.join();
    await a.sees(new RegExp(`Player ${d.cid} joined`));
    await waitUntil(() => [b, c].every((x) => x.state?.length === 4), 5000, 'the join on every process');
    const before = byCid(a.state);
    assert.deepEqual(Object.keys(before).map(Number), [a.cid, b.cid, c.cid, d.cid]);

    await redis.stop();
    const errors = a.errors.length;
    // Closing the connection is noticed at once; bounded anyway.
    await waitUntil(
      () => /Redis connection lost/.test(A.stderr) && /Redis connection lost/.test(B.stderr),
      5000,
      'the outage to be noticed',
    );
    a.send('client:add', card('during', 1, 'During'));
    b.send('client:add', card('during', 1, 'During'));
    await waitUntil(() => a.errors.length > errors && b.errors.at(-1)?.msg.includes('Redis'), 5000, 'the outage errors');
    assert.match(a.errors.at(-1).msg, /Redis connection is down/);
    assert.ok(!a.broadcasts.some((m) => /During/.test(m.msg)));
    d.ws.close();
    await once(d.ws, 'close');

    // The test's redis-server keeps nothing on disk: it comes back with no room at all.
    await redis.restart();
    // Wait until every process is reconnected and resynchronised (each logs it).
    await waitUntil(() => [A, B, C].every((p) => /Redis connection restored/.test(p.stderr)), 10_000, 'every process to reconnect');
    // From then on moves work at once.
    assert.equal(await play(a, card('after-outage', 1, 'AfterOutageA')), null);
    assert.equal(await play(b, card('after-outage', 1, 'AfterOutageB')), null);
    for (const client of [a, b, c]) {
      await client.sees(/AfterOutageA/);
      await client.sees(/AfterOutageB/);
    }
    assert.deepEqual(b.state, a.state);
    assert.deepEqual(c.state, a.state);
    assert.ok(!a.state.some((p) => p.cards.some((x) => x.title === 'During')));
    // Every player still connected is back, in join order, with the cards it had, plus the
    // new one; the player who left during the outage is not. (Each process puts its own
    // players back, at different moments.)
    assert.deepEqual(
      a.state.map((p) => p.cid),
      [a.cid, b.cid, c.cid],
    );
    const after = byCid(a.state);
    const withoutNew = (cards) => cards.filter((x) => x.cardId !== 'after-outage');
    for (const cid of [a.cid, b.cid, c.cid]) assert.deepEqual(withoutNew(after[cid]), before[cid], `player ${cid}`);
    assert.deepEqual(after[a.cid].find((x) => x.cardId === 'after-outage').title, 'AfterOutageA');
    // And new players get cids never used before.
    const e = await connect(C);
    assert.ok((await e.join()) > d.cid);
    e.send('client:leave');
    await a.sees(new RegExp(`Player ${e.cid} left`));
  });

  it('the players of a killed process leave the room on the others', async () => {
    C.child.kill('SIGKILL');
    await C.exited;
    // Heartbeats every 1 s, dropped after 3 s of silence.
    await a.sees(new RegExp(`Player ${c.cid} left`), 8000);
    await b.sees(new RegExp(`Player ${c.cid} left`), 8000);
    // (In either order: after the outage each process put its own players back.)
    assert.deepEqual(a.state.map((p) => p.cid).sort(), [a.cid, b.cid]);
    assert.deepEqual(b.state, a.state);
  });

  it('a process stopped with SIGTERM takes its players out at once', async () => {
    B.child.kill('SIGTERM');
    assert.deepEqual(await B.exited, [0, null]);
    await a.sees(new RegExp(`Player ${b.cid} left`), 2000);
    assert.deepEqual(
      a.state.map((p) => p.cid),
      [a.cid],
    );
  });
});

describe('card room --redis without a usable Redis', () => {
  it('startCardRoom rejects with the connection error and leaves nothing open', async () => {
    // In a child process that does not call exit(): it ends by itself only if no socket,
    // server or retry timer was left behind. Port 1 on loopback: refused at once.
    const code = `import(${JSON.stringify(SCRIPT_URL)}).then((m) => m.startCardRoom({ port: 0, redis: 'redis://:secret@127.0.0.1:1' }))
      .then(() => console.log('started?!'), (err) => console.log('rejected: ' + err.message));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [exitCode, signal] = await once(child, 'exit');
    clearTimeout(timer);
    assert.equal(signal, null, `still running after 10 s: ${stdout}`);
    assert.equal(exitCode, 0);
    assert.match(stdout, /^rejected: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: connect ECONNREFUSED/);
  });

  it('the command line refuses a malformed URL (exit 2) and an unreachable Redis (exit 1)', async () => {
    const run = async (url) => {
      const child = spawn(process.execPath, [SCRIPT, '--port', '0', '--redis', url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = await once(child, 'exit');
      clearTimeout(timer);
      return { code, stderr };
    };
    const bad = await run('http://127.0.0.1:6379');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--redis must be a redis:\/\/ or rediss:\/\/ URL/);
    const down = await run('redis://127.0.0.1:1');
    assert.equal(down.code, 1);
    assert.match(down.stderr, /card room: cannot start: .*ECONNREFUSED/);
  });
});
