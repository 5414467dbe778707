// Issue 7: broadcast / Topics.publish reach permessage-deflate clients compressed, once
// per group of connections with the same server window, not once per client. Checks:
// every client (ws's client with and without server context takeover and with small
// windows, our client, a client without deflate) gets every message byte-exact and in
// order while per-connection sends (which compress with context takeover) are interleaved
// with shared ones; RSV1 on the wire follows the threshold; one compression per group.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import WS from 'ws';
import { WebSocket, WebSocketServer, broadcast } from '../../dist/index.js';
import { Topics } from '../../dist/topics/index.js';
import { createZlibCompressor } from '../../dist/node/zlib-compressor.js';
import { deflateParams } from '../helpers/deflate-params.js';

const CLIENTS = [
  { name: 'ws-takeover', kind: 'ws', deflate: true, bits: 15 },
  { name: 'ws-no-server-takeover', kind: 'ws', deflate: { serverNoContextTakeover: true }, bits: 15 },
  { name: 'ws-window-9', kind: 'ws', deflate: { serverMaxWindowBits: 9 }, bits: 9 },
  { name: 'ws-window-10', kind: 'ws', deflate: { serverMaxWindowBits: 10 }, bits: 10 },
  { name: 'ws-window-8', kind: 'ws', deflate: { serverMaxWindowBits: 8 }, bits: 8 },
  { name: 'ours-takeover', kind: 'ours', deflate: true, bits: 15 },
  { name: 'ws-plain', kind: 'ws', deflate: false, bits: 0 },
  { name: 'ours-plain', kind: 'ours', deflate: false, bits: 0 },
];
const GROUPS = new Set(CLIENTS.filter((c) => c.deflate).map((c) => c.bits)).size; // 15, 9, 10, 8

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
/** Repetitive text of about `size` bytes: each message echoes phrases from the previous ones. */
function text(tag, i, size) {
  let s = `${tag}#${i}:`;
  let k = i;
  while (s.length < size) {
    s += ` ${WORDS[k % WORDS.length]}-${WORDS[(k * 7) % WORDS.length]} ${tag}`;
    k = (k * 31 + 7) % 97;
  }
  return s.slice(0, size);
}

async function startServer(perMessageDeflate) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  await once(server, 'listening');
  return server;
}

/** Connects every client kind; resolves with [{ spec, client, socket (server side), got, problems }]. */
async function connectAll(server) {
  const { port } = server.address();
  const bySpec = new Map();
  server.on('connection', (socket, req) => bySpec.get(req.url.slice(1))?.resolve(socket));
  return Promise.all(
    CLIENTS.map(async (spec) => {
      let resolve;
      const serverSide = new Promise((r) => (resolve = r));
      bySpec.set(spec.name, { resolve });
      const Client = /** @type {any} */ (spec.kind === 'ours' ? WebSocket : WS); // ours or ws's, same calls
      const client = new Client(`ws://127.0.0.1:${port}/${spec.name}`, { perMessageDeflate: spec.deflate });
      const entry = { spec, client, socket: null, got: [], problems: [] };
      client.on('message', (data, isBinary) => entry.got.push({ data: Buffer.from(data), isBinary }));
      client.on('error', (err) => entry.problems.push(`error: ${err.message}`));
      client.on('close', (code) => entry.problems.push(`close ${code}`));
      await once(client, 'open');
      entry.socket = await serverSide;
      entry.socket.on('error', (err) => entry.problems.push(`server-side error: ${err.message}`));
      assert.equal(client.extensions !== '' && client.extensions !== undefined, !!spec.deflate, `${spec.name} extensions`);
      return entry;
    }),
  );
}

/**
 * Counts broadcast's shared compressions (one per group of connections per call) from
 * outside: broadcast deflates a shared message with zlib.deflateRawSync, which nothing
 * else here calls (connections compress with zlib streams, the test inflates), so while
 * the spy is in place each call is one. syncBuiltinESMExports() makes the named export
 * broadcast imports from node:zlib follow the patched property (and restore() undo it).
 */
function spyOnSharedCompressions() {
  const original = zlib.deflateRawSync;
  const spy = {
    calls: 0,
    restore() {
      zlib.deflateRawSync = original;
      syncBuiltinESMExports();
    },
  };
  zlib.deflateRawSync = (...args) => {
    spy.calls++;
    return original(...args);
  };
  syncBuiltinESMExports();
  return spy;
}

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const threshold of [0, undefined]) {
  describe(`broadcast to deflate clients, threshold ${threshold ?? 'default (1024)'}`, () => {
    let server;
    let entries;
    before(async () => {
      server = await startServer(threshold === undefined ? true : { threshold });
      entries = await connectAll(server);
    });
    after(async () => {
      for (const e of entries ?? []) e.client.terminate();
      await new Promise((r) => server.close(() => r()));
    });

    test('interleaved per-connection sends, broadcasts and publishes arrive byte-exact and in order', async (t) => {
      const compressions = spyOnSharedCompressions();
      t.after(() => compressions.restore());
      const topics = new Topics();
      for (const e of entries) topics.subscribe(e.socket, 'room');
      const expected = new Map(entries.map((e) => [e, []]));
      const sockets = entries.map((e) => e.socket);
      const sizes = [40, 300, 1023, 1024, 1500, 3000, 9000, 70000];
      const before = compressions.calls;
      let expectedCompressions = 0;
      const minThreshold = threshold ?? 1024;
      let step = 0;
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 12; i++, step++) {
          // A per-connection message, repetitive and sharing phrases with its predecessors,
          // so the connection's compressor (context takeover) references back into history.
          for (const e of entries) {
            const msg = text(`own-${e.spec.name}`, step, sizes[(step + round) % sizes.length]);
            e.socket.send(msg);
            expected.get(e).push({ data: msg, isBinary: false });
          }
          // Then one or two shared messages, also repetitive (a wrong window corrupts them).
          const size = sizes[(step * 3 + round) % sizes.length];
          const shared = text('shared', step, size);
          const viaTopics = step % 2 === 0;
          const c0 = compressions.calls;
          const n = viaTopics ? await topics.publish('room', shared) : broadcast(sockets, shared);
          assert.equal(n, entries.length);
          const perPublish = size >= minThreshold ? GROUPS : 0;
          assert.equal(compressions.calls - c0, perPublish, `compressions for a ${size}-byte publish`);
          expectedCompressions += perPublish;
          for (const e of entries) expected.get(e).push({ data: shared, isBinary: false });
          if (step % 3 === 0) {
            const bin = Buffer.from(text('binary', step, 2048));
            broadcast(sockets, bin);
            expectedCompressions += GROUPS;
            for (const e of entries) expected.get(e).push({ data: bin, isBinary: true });
          }
        }
        // Let some rounds hit the wire between batches, others pile up behind pending deflates.
        if (round % 2 === 1) await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(compressions.calls - before, expectedCompressions);
      const total = expected.get(entries[0]).length;
      await waitFor(() => entries.every((e) => e.got.length >= total || e.problems.length > 0), 20000, 'all messages');
      for (const e of entries) {
        assert.deepEqual(e.problems, [], `${e.spec.name}: no errors or closes`);
        const want = expected.get(e);
        assert.equal(e.got.length, want.length, `${e.spec.name}: message count`);
        for (let k = 0; k < want.length; k++) {
          const w = want[k];
          const g = e.got[k];
          assert.equal(g.isBinary, w.isBinary, `${e.spec.name} #${k} type`);
          if (!g.data.equals(Buffer.from(w.data))) {
            assert.fail(`${e.spec.name} #${k}: got ${g.data.subarray(0, 60)}… want ${Buffer.from(w.data).subarray(0, 60)}…`);
          }
        }
      }
      await topics.close();
    });

    test('the clients can still talk back (inflate side untouched)', async () => {
      for (const e of entries) {
        const reply = once(e.socket, 'message');
        const msg = text(`back-${e.spec.name}`, 1, 5000);
        e.client.send(msg);
        const [data] = await reply;
        assert.equal(Buffer.from(data).toString(), msg);
      }
      for (const e of entries) assert.deepEqual(e.problems, []);
    });
  });
}

// ---- on the wire: a raw socket that negotiates permessage-deflate itself ----

/** Connects a raw TCP client offering permessage-deflate; returns a frame reader. */
async function rawClient(port, offer) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${offer}\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  /** @type {string | null} */
  let headers = null;
  const frames = [];
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (headers === null) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      headers = buf.subarray(0, end).toString();
      buf = buf.subarray(end + 4);
    }
    for (;;) {
      if (buf.length < 2) return;
      const b0 = buf[0];
      const b1 = buf[1];
      assert.equal(b1 & 0x80, 0, 'server frames are unmasked');
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      frames.push({ fin: !!(b0 & 0x80), rsv1: !!(b0 & 0x40), opcode: b0 & 0x0f, payload: Buffer.from(buf.subarray(off, off + len)) });
      buf = buf.subarray(off + len);
    }
  });
  await waitFor(() => headers !== null, 5000, 'handshake response');
  const accept = createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  assert.match(headers, /^HTTP\/1\.1 101/);
  assert.ok(headers.includes(accept));
  assert.match(headers, /permessage-deflate/i);
  return { socket, frames, headers };
}

describe('on the wire (raw client inflating with context takeover)', () => {
  let server;
  before(async () => {
    server = await startServer(true);
  }); // threshold 1024
  after(async () => {
    await new Promise((r) => server.close(() => r()));
  });

  for (const offer of [
    'permessage-deflate',
    'permessage-deflate; server_max_window_bits=9',
    'permessage-deflate; server_no_context_takeover',
  ]) {
    test(`RSV1 follows the threshold; one inflate stream decodes shared and own messages: ${offer}`, async () => {
      const conn = once(server, 'connection');
      const raw = await rawClient(server.address().port, offer);
      const [socket] = await conn;
      const bits = /server_max_window_bits=(\d+)/.exec(offer)?.[1];
      const noTakeover = offer.includes('no_context_takeover');
      const sent = [];
      for (let i = 0; i < 30; i++) {
        const size = [100, 1023, 1024, 4000, 20000][i % 5];
        const shared = text('wire', i, size);
        broadcast([socket], shared);
        sent.push({ data: shared, compressed: size >= 1024 });
        if (i % 2 === 0) {
          const own = text('own-wire', i, 3000);
          socket.send(own);
          sent.push({ data: own, compressed: true });
        }
      }
      await waitFor(() => raw.frames.length >= sent.length, 10000, 'frames');
      // The client's inflater, with context takeover unless negotiated otherwise: one
      // stream over every compressed message, each with the 00 00 FF FF tail restored.
      const inflater = zlib.createInflateRaw({ windowBits: bits ? Number(bits) : 15 });
      const inflate = (payload) =>
        new Promise((resolve, reject) => {
          const out = [];
          const onData = (c) => out.push(c);
          inflater.on('data', onData);
          inflater.once('error', reject);
          inflater.write(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]));
          inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            inflater.off('data', onData);
            inflater.off('error', reject);
            resolve(Buffer.concat(out));
          });
        });
      for (let k = 0; k < sent.length; k++) {
        const f = raw.frames[k];
        assert.equal(f.fin, true);
        assert.equal(f.opcode, 1);
        assert.equal(f.rsv1, sent[k].compressed, `frame ${k} (${sent[k].data.length} bytes) RSV1`);
        const data = f.rsv1 ? await inflate(f.payload) : f.payload;
        if (data.toString() !== sent[k].data)
          assert.fail(`frame ${k} content: got ${data.subarray(0, 60)}… want ${sent[k].data.slice(0, 60)}…`);
        if (noTakeover && f.rsv1) inflater.reset();
      }
      inflater.close();
      raw.socket.destroy();
    });
  }
});

// ---- the compressor's forgetContext(), serialized with operations already in its lane ----

describe('ZlibCompressor.forgetContext', () => {
  const params = deflateParams;
  const compress = (c, data, fin = true) =>
    new Promise((resolve, reject) => c.compress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
  const fresh = (payload) =>
    zlib.inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const msg = Buffer.from(randomBytes(3000).toString('base64')); // compresses only by referencing an earlier copy

  test('ops called before it keep the context; the next message starts from an empty window', async () => {
    const c = createZlibCompressor({ params: params(), role: 'server', maxPayload: 0, options: {} });
    const a = compress(c, msg); // in flight while forgetContext() is called
    const b = compress(c, msg); // called before forgetContext(): keeps context (references a)
    c.forgetContext();
    const d = compress(c, msg); // first call after: fresh window
    const e = compress(c, msg); // context again (references d)
    const [pa, pb, pd, pe] = await Promise.all([a, b, d, e]);
    assert.ok(pb.length < pa.length / 4, 'b references a');
    assert.throws(() => fresh(pb), 'b is not decodable alone');
    assert.equal(fresh(pd).toString(), msg.toString(), 'd is decodable by a fresh inflater');
    assert.ok(pe.length < pd.length / 4, 'e references d');
    c.close();
  });

  test('called inside a fragmented message, it applies at the next message', async () => {
    const c = createZlibCompressor({ params: params(), role: 'server', maxPayload: 0, options: {} });
    const inflater = zlib.createInflateRaw();
    const p1 = await compress(c, msg);
    const f1 = await compress(c, msg.subarray(0, 2000), false);
    c.forgetContext();
    const f2 = await compress(c, msg.subarray(2000), true);
    const p3 = await compress(c, msg);
    // A context-takeover inflater decodes the whole sequence.
    const chunks = [];
    inflater.on('data', (chunk) => chunks.push(chunk));
    for (const part of [p1, Buffer.concat([f1, f2]), p3]) {
      inflater.write(Buffer.concat([part, Buffer.from([0, 0, 0xff, 0xff])]));
      await /** @type {Promise<void>} */ (new Promise((r) => inflater.flush(zlib.constants.Z_SYNC_FLUSH, r)));
    }
    assert.equal(Buffer.concat(chunks).toString(), msg.toString().repeat(3));
    assert.equal(fresh(p3).toString(), msg.toString(), 'the next whole message starts fresh');
    inflater.close();
    c.close();
  });

  test('a no-op without server context takeover', async () => {
    const c = createZlibCompressor({ params: params({ serverNoContextTakeover: true }), role: 'server', maxPayload: 0, options: {} });
    await compress(c, msg);
    c.forgetContext();
    assert.equal(fresh(await compress(c, msg)).toString(), msg.toString());
    c.close();
  });
});
