// Shared bits of the test/scale/ tests: real wscodec servers and clients on loopback.
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from '../../dist/index.js';

/** Polls `predicate` every 5 ms; throws after `ms`. */
export async function waitFor(predicate, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects after ms unless the promise settles first. */
export function within(promise, ms, what = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A wscodec server on 127.0.0.1:0; `connect()` → { client, socket (server side), messages }. */
export async function startServer(t, options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  const clients = [];
  t.after(async () => {
    for (const c of clients) c.client.terminate();
    await new Promise((resolve) => wss.close(() => resolve()));
  });
  return {
    wss,
    port,
    /** Connects one client and pairs it with its server-side socket. */
    async connect(clientOptions = {}) {
      const connection = once(wss, 'connection');
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, clientOptions);
      const messages = [];
      client.on('message', (data, isBinary) => messages.push({ binary: isBinary, data: Buffer.from(data) }));
      client.on('error', () => {});
      await within(once(client, 'open'), 5000, 'client open');
      const [socket] = await within(connection, 5000, 'server connection');
      const entry = { client, socket, messages, texts: () => messages.map((m) => m.data.toString()) };
      clients.push(entry);
      return entry;
    },
  };
}

/**
 * Checks that `messages` hold, for every publisher tag, exactly seq 0..count-1 in order
 * (payload "tag:seq", text or binary).
 */
export function assertExactlyOnceInOrder(assert, messages, tags, count, label) {
  const seen = new Map(tags.map((tag) => [tag, []]));
  for (const m of messages) {
    const [tag, seq] = m.data.toString().split(':');
    assert.ok(seen.has(tag), `${label}: unexpected message ${m.data.toString()}`);
    seen.get(tag).push(Number(seq));
  }
  const expected = Array.from({ length: count }, (_, i) => i);
  for (const [tag, seqs] of seen) assert.deepEqual(seqs, expected, `${label}: publisher ${tag}`);
  assert.equal(messages.length, tags.length * count, `${label}: total`);
}
