// The chat demo end to end: the page over HTTP, and three ws clients (a foreign
// implementation as the peer) chatting through our server until close() tears it all down.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { once } from 'node:events';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import { startChat, CHAT_MAX_PAYLOAD } from '../../dist/demos/chat.js';

/** GET without keep-alive, so no pooled socket outlives the test. */
function fetchText(url) {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

/** A ws client that queues every parsed server message so tests can await them in order. */
class Peer {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.queue = [];
    this.waiters = [];
    this.closed = once(this.ws, 'close').then(([code, reason]) => ({ code, reason: String(reason) }));
    this.ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'the chat only ever sends text');
      this.queue.push(JSON.parse(String(data)));
      this.waiters.shift()?.();
    });
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

  async take(n) {
    const out = [];
    while (out.length < n) out.push(await this.next());
    return out;
  }
}

// Ours is the default; ws's server through the injection option is the reference.
for (const [label, WebSocketServer] of /** @type {Array<[string, import('../../dist/demos/chat.js').ChatServerClass | undefined]>} */ ([
  ['wscodec server', undefined],
  ['ws server', WsServer],
])) {
  describe(`chat demo (${label})`, () => {
    let chat;
    const peers = [];

    before(async () => {
      chat = await startChat({ port: 0, WebSocketServer });
    });
    after(async () => {
      for (const peer of peers) peer.ws.terminate();
      await chat?.close();
    });

    it('reports where it listens, on an ephemeral port', () => {
      assert.ok(chat.port > 0);
      assert.equal(chat.url, `ws://127.0.0.1:${chat.port}/`);
      assert.equal(chat.httpUrl, `http://127.0.0.1:${chat.port}/`);
    });

    it('serves the self-contained page at / and 404 elsewhere', async () => {
      const page = await fetchText(chat.httpUrl);
      assert.equal(page.status, 200);
      assert.match(page.type, /^text\/html/);
      for (const id of ['connect', 'send', 'input', 'messages', 'status']) {
        assert.match(page.body, new RegExp(`id="${id}"`), `#${id} missing`);
      }
      assert.match(page.body, /new WebSocket\('ws:\/\/' \+ location\.host \+ '\/'\)/);
      assert.doesNotMatch(page.body, /innerHTML/, 'user text must go through textContent');
      assert.doesNotMatch(page.body, /(src|href)=["']?(https?:)?\/\//, 'no external resources');

      const missing = await fetchText(new URL('/nope', chat.httpUrl));
      assert.equal(missing.status, 404);
    });

    it('refuses WebSocket upgrades on other paths', async () => {
      const stray = new WebSocket(new URL('/elsewhere', chat.url));
      const [err] = await once(stray, 'error');
      assert.match(err.message, /Unexpected server response: 400/);
    });

    it('welcomes each client and announces joins to everyone', async () => {
      for (let i = 1; i <= 3; i++) {
        const peer = new Peer(chat.url);
        peers.push(peer);
        assert.deepEqual(await peer.next(), { type: 'welcome', name: `guest-${i}`, online: i });
        assert.deepEqual(await peer.next(), { type: 'join', name: `guest-${i}`, online: i });
        for (const earlier of peers.slice(0, -1)) {
          assert.deepEqual(await earlier.next(), { type: 'join', name: `guest-${i}`, online: i });
        }
      }
    });

    it('delivers every text message to all clients exactly once, in one order', async () => {
      const perPeer = 20;
      const texts = (i) => Array.from({ length: perPeer }, (_, k) => `p${i} #${k} <b>&amp; ünïcode 🎉</b>`);
      // Interleave the senders so the server really has to order concurrent traffic.
      for (let k = 0; k < perPeer; k++) peers.forEach((peer, i) => peer.ws.send(texts(i)[k]));

      const seen = await Promise.all(peers.map((peer) => peer.take(perPeer * peers.length)));
      for (const messages of seen) {
        assert.deepEqual(messages, seen[0], 'all clients see the same sequence');
        peers.forEach((_, i) => {
          const fromPeer = messages.filter((m) => m.from === `guest-${i + 1}`).map((m) => m.text);
          assert.deepEqual(fromPeer, texts(i), `guest-${i + 1}'s lines, once each, in order`);
        });
        assert.ok(messages.every((m) => m.type === 'message'));
      }
    });

    it('answers a binary message with an error to the sender only', async () => {
      const [a, b, c] = peers;
      a.ws.send(Buffer.from([1, 2, 3]));
      assert.deepEqual(await a.next(), { type: 'error', text: 'binary messages are not supported' });
      // A marker sent after the binary frame must be the next thing the others see.
      a.ws.send('marker');
      for (const peer of [a, b, c]) {
        assert.deepEqual(await peer.next(), { type: 'message', from: 'guest-1', text: 'marker' });
      }
    });

    it('closes a client that exceeds maxPayload with 1009 and announces it left', async () => {
      const big = new Peer(chat.url);
      await big.take(2); // welcome, join
      for (const peer of peers) assert.equal((await peer.next()).name, 'guest-4');
      big.ws.on('error', () => {}); // ws reports the server's close as an error too
      big.ws.send('x'.repeat(CHAT_MAX_PAYLOAD + 1));
      assert.equal((await big.closed).code, 1009);
      for (const peer of peers) {
        assert.deepEqual(await peer.next(), { type: 'leave', name: 'guest-4', online: 3 });
      }
    });

    it('announces a leave when a client disconnects; names are never reused', async () => {
      const gone = peers.pop();
      gone.ws.close(1000);
      await gone.closed;
      for (const peer of peers) {
        assert.deepEqual(await peer.next(), { type: 'leave', name: 'guest-3', online: 2 });
      }
      const again = new Peer(chat.url);
      peers.push(again);
      assert.deepEqual(await again.next(), { type: 'welcome', name: 'guest-5', online: 3 });
      await again.next(); // own join
      for (const peer of peers.slice(0, -1)) assert.equal((await peer.next()).name, 'guest-5');
    });

    it('close() closes every client with 1001 and leaves no handles behind', async () => {
      const { port } = chat;
      await chat.close();
      const closes = await Promise.all(peers.map((peer) => peer.closed));
      for (const close of closes) assert.deepEqual(close, { code: 1001, reason: 'server shutting down' });
      peers.length = 0;
      chat = undefined;

      // libuv releases a closed handle a loop turn or two later, so poll (bounded).
      const tcp = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'));
      for (let i = 0; i < 100 && tcp().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(tcp(), [], 'no listening or connected sockets remain');
      await assert.rejects(fetchText(`http://127.0.0.1:${port}/`), { code: 'ECONNREFUSED' });
    });
  });
}
