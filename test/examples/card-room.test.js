// The card-room example: room.js as a pure state machine, then the server over real
// sockets with ws clients as the peers (a foreign implementation talking to ours).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Room, RoomError, MAX_CARDS_PER_PLAYER } from '../../examples/card-room/room.js';
import { startCardRoom, MAX_PAYLOAD } from '../../examples/card-room/server.js';

describe('card room state (room.js)', () => {
  const card = (cardId, count = 1, title = `card ${cardId}`) => ({ cardId, count, title });

  it('gives unique cids that are never reused after a leave', () => {
    const room = new Room();
    const a = room.join();
    const b = room.join();
    room.leave(b);
    const c = room.join();
    assert.deepEqual([a, b, c], [1, 2, 3]);
    assert.equal(room.has(b), false);
    assert.deepEqual(
      room.cards().map((p) => p.cid),
      [a, c],
    );
  });

  it('add replaces the card with the same cardId and keeps others', () => {
    const room = new Room();
    const cid = room.join();
    room.add(cid, card('x', 1, 'Ace'));
    room.add(cid, card('y', 2, 'King'));
    assert.deepEqual(room.add(cid, card('x', 3, 'Queen')), card('x', 3, 'Queen'));
    assert.deepEqual(room.cards(), [{ cid, cards: [card('x', 3, 'Queen'), card('y', 2, 'King')] }]);
  });

  it("keeps each player's cards apart", () => {
    const room = new Room();
    const a = room.join();
    const b = room.join();
    room.add(a, card('x', 1, 'Ace'));
    room.add(b, card('x', 2, 'Two'));
    assert.deepEqual(room.cards(), [
      { cid: a, cards: [card('x', 1, 'Ace')] },
      { cid: b, cards: [card('x', 2, 'Two')] },
    ]);
  });

  it('update changes only the given fields of an existing card', () => {
    const room = new Room();
    const cid = room.join();
    room.add(cid, card('x', 1, 'Ace'));
    assert.deepEqual(room.update(cid, { cardId: 'x', count: 4 }), card('x', 4, 'Ace'));
    assert.deepEqual(room.update(cid, { cardId: 'x', title: 'Ace of spades' }), card('x', 4, 'Ace of spades'));
    assert.throws(() => room.update(cid, { cardId: 'nope', count: 1 }), { name: 'RoomError', message: /no card "nope"/ });
    assert.throws(() => room.update(cid, { cardId: 'x' }), /needs a new count or title/);
  });

  it("remove takes a card out and returns it; win returns the winner's hand", () => {
    const room = new Room();
    const cid = room.join();
    room.add(cid, card('x'));
    room.add(cid, card('y'));
    assert.deepEqual(room.remove(cid, { cardId: 'x' }), card('x'));
    assert.throws(() => room.remove(cid, { cardId: 'x' }), RoomError);
    assert.deepEqual(room.win(cid), [card('y')]);
    assert.deepEqual(room.leave(cid), [card('y')]);
    assert.deepEqual(room.cards(), []);
  });

  it('rejects bad card data and unknown players with RoomError, leaving state unchanged', () => {
    const room = new Room();
    const cid = room.join();
    room.add(cid, card('x'));
    const before = JSON.stringify(room.cards());
    const bad = [
      undefined,
      null,
      'x',
      [],
      {},
      { cardId: '', count: 1, title: 't' },
      { cardId: 7, count: 1, title: 't' },
      { cardId: 'a'.repeat(65), count: 1, title: 't' },
      { cardId: 'y', count: 0, title: 't' },
      { cardId: 'y', count: 1.5, title: 't' },
      { cardId: 'y', count: '2', title: 't' },
      { cardId: 'y', count: 1, title: '   ' },
      { cardId: 'y', count: 1, title: 'a'.repeat(101) },
      { cardId: 'y', count: 1 },
    ];
    for (const data of bad) assert.throws(() => room.add(cid, data), RoomError, JSON.stringify(data));
    assert.throws(() => room.update(cid, { cardId: 'x', count: -1 }), RoomError);
    for (const stranger of [99, undefined, '1']) {
      assert.throws(() => room.add(stranger, card('z')), /no player/);
      assert.throws(() => room.win(stranger), RoomError);
      assert.throws(() => room.leave(stranger), RoomError);
    }
    assert.equal(JSON.stringify(room.cards()), before);
  });

  it('caps cards per player but still allows replacing at the cap', () => {
    const room = new Room();
    const cid = room.join();
    for (let i = 0; i < MAX_CARDS_PER_PLAYER; i++) room.add(cid, card(`c${i}`));
    assert.throws(() => room.add(cid, card('one-too-many')), /at most/);
    assert.equal(room.add(cid, card('c0', 5)).count, 5);
  });

  it('snapshot() and fromSnapshot() round-trip the room, cid counter included', () => {
    const room = new Room();
    const [a, b, c] = [room.join(), room.join(), room.join()];
    room.add(a, card('x', 2, 'Two'));
    room.add(c, card('y', 3, 'Three'));
    room.leave(b);
    const snapshot = JSON.parse(JSON.stringify(room.snapshot()));
    assert.deepEqual(snapshot, { nextCid: 4, players: room.cards() });
    const copy = Room.fromSnapshot(snapshot);
    assert.deepEqual(copy.cards(), room.cards());
    assert.equal(copy.join(), 4, 'a copy hands out the cids the original would');
    assert.throws(() => Room.fromSnapshot({ nextCid: 1, players: [{ cid: 1, cards: [{ cardId: 'x', count: 0, title: 't' }] }] }), /count/);
  });

  it('restore() puts a player back where its cid joined, with its cards, and later joins go above it', () => {
    const room = new Room();
    const a = room.join();
    room.restore(7, [card('x', 5, 'Five')]);
    assert.deepEqual(room.cards(), [
      { cid: a, cards: [] },
      { cid: 7, cards: [card('x', 5, 'Five')] },
    ]);
    room.restore(3, [card('y')]);
    assert.deepEqual(
      room.cards().map((p) => p.cid),
      [a, 3, 7],
      'put back between the players who joined before and after it',
    );
    assert.equal(room.join(), 8);
    assert.deepEqual(
      room.cards().map((p) => p.cid),
      [a, 3, 7, 8],
    );
    assert.throws(() => room.restore(7, []), /already in the room/);
    for (const cid of [0, -1, 1.5, '9']) assert.throws(() => room.restore(cid, []), RoomError);
    assert.throws(() => room.restore(9, 'x'), RoomError);
    assert.throws(
      () =>
        room.restore(
          9,
          Array.from({ length: MAX_CARDS_PER_PLAYER + 1 }, (_, i) => card(`c${i}`)),
        ),
      /at most/,
    );
    assert.equal(room.has(9), false, 'a refused restore leaves no player behind');
  });

  it('hands out frozen cards, so a caller cannot edit the state behind its back', () => {
    const room = new Room();
    const cid = room.join();
    const played = room.add(cid, card('x'));
    assert.throws(() => {
      // @ts-expect-error -- writing to the frozen card is what is under test
      played.count = 99;
    }, TypeError);
    room.cards()[0].cards.pop();
    assert.equal(room.cards()[0].cards.length, 1);
  });
});

/** A ws client that queues parsed server messages so tests can await them in order. */
class Peer {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.queue = [];
    this.waiters = [];
    this.opened = once(this.ws, 'open');
    this.closed = once(this.ws, 'close').then(([code]) => code);
    this.ws.on('message', (data) => {
      this.queue.push(JSON.parse(String(data)));
      this.waiters.shift()?.();
    });
  }

  send(message) {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async next() {
    while (this.queue.length === 0) {
      await Promise.race([
        new Promise((resolve) => this.waiters.push(resolve)),
        this.closed.then(() => {
          throw new Error('closed while waiting for a message');
        }),
      ]);
    }
    return this.queue.shift();
  }

  /** Proves nothing else is queued: a round trip through the server comes back first. */
  async expectNothingPending() {
    this.send('{"act":"client:bogus"}');
    assert.deepEqual(await this.next(), { act: 'server:error', msg: 'unknown act "client:bogus"' });
  }
}

function fetchStatus(url) {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

describe('card room server over real sockets', () => {
  let room;
  const peers = [];
  const connect = async () => {
    const peer = new Peer(room.url);
    peers.push(peer);
    await peer.opened;
    return peer;
  };
  const join = async (peer) => {
    peer.send({ act: 'client:join' });
    const register = await peer.next();
    assert.equal(register.act, 'server:register');
    return register.data.cid;
  };

  before(async () => {
    room = await startCardRoom({ port: 0 });
  });
  after(async () => {
    for (const peer of peers) peer.ws.terminate();
    await room?.close();
  });

  it('serves index.html at / and 404 elsewhere', async () => {
    const page = await fetchStatus(room.httpUrl);
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Card room<\/title>/);
    assert.match(page.body, /new WebSocket\('ws:\/\/' \+ location\.host \+ '\/'\)/);
    assert.equal((await fetchStatus(new URL('/room.js', room.httpUrl))).status, 404);
  });

  it('registers a joiner privately and broadcasts the join to everyone', async () => {
    const [a, b] = [await connect(), await connect()];
    a.send({ act: 'client:join' });
    assert.deepEqual(await a.next(), { act: 'server:register', data: { cid: 1 } });
    const joinNews = { act: 'server:broadcast', msg: 'Player 1 joined', data: { cid: 1, card: null, cards: [{ cid: 1, cards: [] }] } };
    assert.deepEqual(await a.next(), joinNews);
    assert.deepEqual(await b.next(), joinNews, 'watchers that have not joined see the room too');

    assert.equal(await join(b), 2);
    for (const peer of [a, b]) assert.equal((await peer.next()).msg, 'Player 2 joined');
    await b.expectNothingPending(); // b's register went to b only (checked above for a)
  });

  it('broadcasts an added card with the full state; same cardId replaces', async () => {
    const [a, b] = peers;
    a.send({ act: 'client:add', cid: 1, data: { cardId: 'k', count: 2, title: '<b>King</b>' } });
    for (const peer of [a, b]) {
      assert.deepEqual(await peer.next(), {
        act: 'server:broadcast',
        msg: 'Player 1 played 2 × <b>King</b>',
        data: {
          cid: 1,
          card: { cardId: 'k', count: 2, title: '<b>King</b>' },
          cards: [
            { cid: 1, cards: [{ cardId: 'k', count: 2, title: '<b>King</b>' }] },
            { cid: 2, cards: [] },
          ],
        },
      });
    }
    b.send({ act: 'client:add', cid: 2, data: { cardId: 'q', count: 1, title: 'Queen' } });
    a.send({ act: 'client:add', cid: 1, data: { cardId: 'k', count: 5, title: 'King' } });
    // Two senders: both peers must see the same two broadcasts in the same order.
    const seen = await Promise.all([a, b].map(async (p) => [await p.next(), await p.next()]));
    assert.deepEqual(seen[0], seen[1]);
    assert.deepEqual(seen[0][1].data.cards, [
      { cid: 1, cards: [{ cardId: 'k', count: 5, title: 'King' }] },
      { cid: 2, cards: [{ cardId: 'q', count: 1, title: 'Queen' }] },
    ]);
  });

  it('update, remove and win are broadcast', async () => {
    const [a, b] = peers;
    a.send({ act: 'client:update', cid: 1, data: { cardId: 'k', count: 6 } });
    for (const peer of [a, b]) {
      const news = await peer.next();
      assert.equal(news.msg, 'Player 1 changed King to 6');
      assert.deepEqual(news.data.card, { cardId: 'k', count: 6, title: 'King' });
    }
    b.send({ act: 'client:remove', cid: 2, data: { cardId: 'q' } });
    for (const peer of [a, b]) {
      const news = await peer.next();
      assert.equal(news.msg, 'Player 2 took back Queen');
      assert.deepEqual(news.data.cards[1], { cid: 2, cards: [] });
    }
    a.send({ act: 'client:win', cid: 1 });
    for (const peer of [a, b]) {
      assert.deepEqual(await peer.next(), {
        act: 'server:broadcast',
        msg: 'Player 1 wins with 1 card!',
        data: {
          cid: 1,
          card: null,
          cards: [
            { cid: 1, cards: [{ cardId: 'k', count: 6, title: 'King' }] },
            { cid: 2, cards: [] },
          ],
        },
      });
    }
  });

  it('answers every kind of bad message with an error to the sender only, and keeps serving', async () => {
    const [a, b] = peers;
    const watcher = await connect(); // connected, never joined
    const cases = [
      [a, '{"act": "client:add",', 'malformed JSON'],
      [a, '[1, 2]', 'a message must be a JSON object {act, cid, data}'],
      [a, 'null', 'a message must be a JSON object {act, cid, data}'],
      [a, { act: 'client:teleport', cid: 1 }, 'unknown act "client:teleport"'],
      [a, { cid: 1 }, 'unknown act undefined'],
      [a, { act: 'client:join' }, 'already joined as player 1'],
      [a, { act: 'client:add', cid: 2, data: { cardId: 'z', count: 1, title: 'Z' } }, "cid 2 is not this connection's (1)"],
      [a, { act: 'client:add', cid: 1, data: { cardId: 'z', count: -1, title: 'Z' } }, 'count must be an integer from 1 to 9999'],
      [a, { act: 'client:add', cid: 1 }, 'data must be an object like {cardId, count, title}'],
      [a, { act: 'client:remove', cid: 1, data: { cardId: 'nope' } }, 'no card "nope" to remove'],
      [watcher, { act: 'client:add', cid: 1, data: { cardId: 'z', count: 1, title: 'Z' } }, 'join first (client:join)'],
      [watcher, { act: 'client:win' }, 'join first (client:join)'],
    ];
    for (const [peer, message, msg] of cases) {
      peer.send(message);
      assert.deepEqual(await peer.next(), { act: 'server:error', msg }, JSON.stringify(message));
    }
    a.ws.send(Buffer.from('{"act":"client:win","cid":1}'));
    assert.deepEqual(await a.next(), { act: 'server:error', msg: 'binary messages are not supported; send JSON text' });

    // Nothing above reached anyone else, and the room still works for everybody.
    for (const peer of [b, watcher]) await peer.expectNothingPending();
    b.send({ act: 'client:add', cid: 2, data: { cardId: 'j', count: 1, title: 'Jack' } });
    for (const peer of [a, b, watcher]) assert.equal((await peer.next()).msg, 'Player 2 played 1 × Jack');
  });

  it('closes a client that sends more than maxPayload with 1009, as a leave', async () => {
    const [a, b, watcher] = peers;
    const big = await connect();
    const cid = await join(big);
    for (const peer of [a, b, watcher, big]) assert.equal((await peer.next()).msg, `Player ${cid} joined`);
    big.ws.on('error', () => {});
    big.send(JSON.stringify({ act: 'client:win', cid, pad: 'x'.repeat(MAX_PAYLOAD) }));
    assert.equal(await big.closed, 1009);
    for (const peer of [a, b, watcher]) assert.equal((await peer.next()).msg, `Player ${cid} left`);
    peers.pop();
  });

  it('leave removes the player; rejoining gets a fresh cid; a closed socket counts as leave', async () => {
    const [a, b, watcher] = peers;
    a.send({ act: 'client:leave', cid: 1 });
    for (const peer of [a, b, watcher]) {
      const news = await peer.next();
      assert.equal(news.msg, 'Player 1 left');
      assert.deepEqual(
        news.data.cards.map((p) => p.cid),
        [2],
      );
    }
    a.send({ act: 'client:win', cid: 1 });
    assert.deepEqual(await a.next(), { act: 'server:error', msg: 'join first (client:join)' });
    assert.equal(await join(a), 4, 'cids 1 and 3 are gone for good');
    for (const peer of [a, b, watcher]) assert.equal((await peer.next()).msg, 'Player 4 joined');

    b.ws.close(1000);
    await b.closed;
    for (const peer of [a, watcher]) {
      const news = await peer.next();
      assert.equal(news.msg, 'Player 2 left');
      assert.deepEqual(news.data.cards, [{ cid: 4, cards: [] }]);
    }
    peers.splice(1, 1);
  });

  it('close() closes the remaining clients with 1001 and stops listening', async () => {
    const { port } = room;
    await room.close();
    room = undefined;
    assert.deepEqual(await Promise.all(peers.map((peer) => peer.closed)), [1001, 1001]);
    peers.length = 0;
    await assert.rejects(fetchStatus(`http://127.0.0.1:${port}/`), { code: 'ECONNREFUSED' });
  });
});

describe('card room server run directly', () => {
  it('starts with --port, prints its URL and stops on SIGTERM', async () => {
    const script = fileURLToPath(new URL('../../examples/card-room/server.js', import.meta.url));
    const child = spawn(process.execPath, [script, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = await once(child.stdout, 'data');
      const httpUrl = /(http:\/\/\S+\/)/.exec(String(line))?.[1];
      assert.ok(httpUrl, `no URL in ${line}`);
      assert.equal((await fetchStatus(httpUrl)).status, 200);
      child.kill('SIGTERM');
      assert.deepEqual(await once(child, 'exit'), [0, null]);
    } finally {
      child.kill();
    }
  });
});
