// Deflate bomb: with permessage-deflate negotiated and maxPayload at 1 MiB, one ~200 KB
// compressed message that inflates to 200 MiB of zeros. The server must stop inflating
// as soon as the output passes maxPayload and fail the connection with 1009, its RSS must
// not follow the bomb, and it must keep serving (compressed messages included).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { clientFrame, fdCount, mib, MiB, OP, rawConnect, rss, sampleRss, startServer, waitUntil } from './harness.js';

const MAX_PAYLOAD = 1 * MiB;
const BOMB_SIZE = 200 * MiB;
// The server may hold up to maxPayload of inflated output (plus zlib's 16 KiB chunk and
// window) per connection before it gives up; everything else is V8 and socket buffers.
// 200 MiB of zeros would show as ≥ 200 MiB. 64 MiB: well above the ~1 MiB the limit
// allows, well below the bomb.
const RSS_BOUND = 64 * MiB;
const SERVER_ARGS = ['--deflate', '--max-payload', String(MAX_PAYLOAD)];
// server_no_context_takeover: every echo can be inflated on its own.
const EXTENSIONS = 'permessage-deflate; server_no_context_takeover; client_max_window_bits';
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** RFC 7692 §7.2.1: compress with a sync flush, then drop the trailing 00 00 ff ff. */
function compress(data) {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH, level: 9 });
  assert.deepEqual(out.subarray(-4), TAIL);
  return out.subarray(0, out.length - 4);
}

function inflate(payload) {
  return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
}

let bombCache;
function bomb() {
  bombCache ??= compress(Buffer.alloc(BOMB_SIZE));
  return bombCache;
}

async function connectDeflate(port) {
  const client = await rawConnect(port, { extensions: EXTENSIONS });
  assert.match(client.head, /^sec-websocket-extensions: permessage-deflate/im, 'permessage-deflate negotiated');
  return client;
}

/** Sends a compressed text message and returns the (inflated) echo. */
async function compressedEcho(client, text) {
  const before = client.reader.frames.length;
  await client.write(clientFrame(OP.TEXT, compress(Buffer.from(text)), { rsv1: true }));
  const frame = await client.waitFor(() => client.reader.frames.slice(before).find((f) => f.opcode === OP.TEXT), 10_000, 'compressed echo');
  return frame.rsv1 ? inflate(frame.payload).toString() : frame.payload.toString();
}

test('deflate bomb: compressed messages up to maxPayload are echoed', async (t) => {
  const server = await startServer(t, { args: SERVER_ARGS });
  const client = await connectDeflate(server.port);
  t.after(() => client.destroy());
  assert.equal(await compressedEcho(client, 'hello, deflate'), 'hello, deflate');
  // 900 KiB that compress to ~1 KB: under the limit, so it must pass.
  const big = 'z'.repeat(900 * 1024);
  assert.equal(await compressedEcho(client, big), big);
  await client.closeCleanly();
  t.diagnostic('14 B and 900 KiB compressed text messages echoed (limit 1 MiB)');
});

test('deflate bomb: 200 MiB of zeros in a ~200 KB message is refused with 1009, RSS bounded', async (t) => {
  const payload = bomb();
  const server = await startServer(t, { args: SERVER_ARGS });
  const warm = await connectDeflate(server.port);
  assert.equal(await compressedEcho(warm, 'warm'), 'warm');
  await warm.closeCleanly();
  const fds0 = fdCount(server.pid);
  const rss0 = rss(server.pid);

  const client = await connectDeflate(server.port);
  t.after(() => client.destroy());
  const peak = sampleRss(server.pid);
  const t0 = performance.now();
  await client.write(clientFrame(OP.TEXT, payload, { rsv1: true }));
  const close = await client.waitFor(() => client.reader.find(OP.CLOSE), 20_000, 'close frame');
  const closeMs = performance.now() - t0;
  await client.waitFor(() => client.ended || client.closed, 10_000, 'server FIN');
  client.socket.end();
  await client.waitFor(() => client.closed, 10_000, 'socket closed');
  const peakRss = peak();

  assert.equal(close.code, 1009, `close code ${close.code} (${close.reason})`);
  assert.equal(client.reader.frames.filter((f) => f.opcode !== OP.CLOSE).length, 0, 'nothing but the close frame came back');
  assert.ok(peakRss - rss0 < RSS_BOUND, `server RSS grew by ${mib(peakRss - rss0)} (bound ${mib(RSS_BOUND)})`);
  const fdsBack = await waitUntil(() => fdCount(server.pid) <= fds0, 5_000);
  assert.ok(fdsBack, `server fds ${fdCount(server.pid)}, baseline ${fds0}`);

  // The server keeps serving, compression included.
  const next = await connectDeflate(server.port);
  t.after(() => next.destroy());
  assert.equal(await compressedEcho(next, 'after the bomb'), 'after the bomb');
  await next.closeCleanly();

  t.diagnostic(
    `backend ${server.backend}; bomb: ${mib(BOMB_SIZE)} of zeros → ${payload.length} B compressed (ratio ${(BOMB_SIZE / payload.length).toFixed(0)}:1), maxPayload ${mib(MAX_PAYLOAD)}`,
  );
  t.diagnostic(`close ${close.code} after ${closeMs.toFixed(0)} ms`);
  t.diagnostic(
    `server RSS: before ${mib(rss0)}, peak ${mib(peakRss)} (+${mib(peakRss - rss0)}, bound ${mib(RSS_BOUND)}), after ${mib(rss(server.pid))}; fds ${fds0} → ${fdCount(server.pid)}`,
  );
});

test('deflate bomb: 8 bombs at once (4 of them fragmented) all get 1009; a bystander is unaffected', async (t) => {
  const payload = bomb();
  const server = await startServer(t, { args: SERVER_ARGS });
  const bystander = await connectDeflate(server.port);
  t.after(() => bystander.destroy());
  assert.equal(await compressedEcho(bystander, 'before'), 'before');
  const rss0 = rss(server.pid);

  const clients = await Promise.all(Array.from({ length: 8 }, () => connectDeflate(server.port)));
  t.after(() => clients.forEach((c) => c.destroy()));
  // Fragmented: RSV1 on the first frame only (RFC 7692 §6.1), 16 KiB per fragment.
  const FRAG = 16 * 1024;
  const fragmented = [];
  for (let at = 0; at < payload.length; at += FRAG) {
    const last = at + FRAG >= payload.length;
    fragmented.push(clientFrame(at === 0 ? OP.TEXT : OP.CONT, payload.subarray(at, at + FRAG), { fin: last, rsv1: at === 0 }));
  }
  const whole = clientFrame(OP.TEXT, payload, { rsv1: true });
  const peak = sampleRss(server.pid);
  const t0 = performance.now();
  await Promise.all(clients.map((c, i) => c.write(i % 2 === 0 ? whole : Buffer.concat(fragmented))));
  assert.equal(await compressedEcho(bystander, 'during'), 'during');
  const codes = await Promise.all(clients.map((c) => c.waitFor(() => c.reader.find(OP.CLOSE), 30_000, 'close frame').then((f) => f.code)));
  const ms = performance.now() - t0;
  await Promise.all(clients.map((c) => c.waitFor(() => c.ended || c.closed, 10_000, 'server FIN')));
  const peakRss = peak();

  assert.deepEqual(codes, Array(8).fill(1009));
  assert.ok(peakRss - rss0 < RSS_BOUND, `server RSS grew by ${mib(peakRss - rss0)} (bound ${mib(RSS_BOUND)})`);
  assert.equal(await compressedEcho(bystander, 'after'), 'after');
  await bystander.closeCleanly();
  t.diagnostic(`8 bombs (${fragmented.length} fragments each for 4 of them): all closed with 1009 within ${ms.toFixed(0)} ms`);
  t.diagnostic(`server RSS: before ${mib(rss0)}, peak ${mib(peakRss)} (+${mib(peakRss - rss0)}, bound ${mib(RSS_BOUND)})`);
});
