// 10 000 tiny fragments: a text message started and then continued one byte at a time.
// The decoder counts fragments under 64 bytes per message (maxFragments, 1024 by
// default) and fails the connection with 1008 past that, so the server must send a close
// frame with 1008 long before the attacker is done, and end the connection. A legitimate
// message of 500 small fragments must still be echoed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientFrame, fdCount, mib, MiB, OP, rawConnect, rss, sampleRss, sleep, startServer, waitUntil } from './harness.js';

const MAX_FRAGMENTS = 1024; // the decoder's default
const ATTACK_FRAGMENTS = 10_000;
const BATCH = 100; // fragments per write, each write followed by a ping whose pong we wait for
// The decoder keeps one message buffer for a fragmented message (4 KiB to start with, so
// ≤ 4 KiB for 1024 one-byte fragments) and drops it when it fails: the attack itself
// should cost the server kilobytes. The bound leaves room for V8's young generation and
// socket buffers, which a few thousand frames' worth of garbage can touch for the first
// time; a decoder that kept a per-fragment object (≥ 100 bytes each) for 10 000
// fragments on 8 connections would still stay under it, so RSS alone cannot catch that —
// the 1008 before all fragments are sent does.
const RSS_BOUND = 24 * MiB;

test('tiny fragments: a legitimate message in 500 small fragments is echoed', async (t) => {
  const server = await startServer(t);
  const client = await rawConnect(server.port);
  t.after(() => client.destroy());
  const text = Array.from({ length: 500 }, (_, i) => String.fromCharCode(0x61 + (i % 26))).join('');
  const frames = [];
  for (let i = 0; i < 500; i++) {
    frames.push(clientFrame(i === 0 ? OP.TEXT : OP.CONT, text[i], { fin: i === 499 }));
  }
  await client.write(Buffer.concat(frames));
  const echoed = await client.waitFor(() => client.reader.find(OP.TEXT), 10_000, 'echo of the fragmented message');
  assert.equal(echoed.fin, true);
  assert.equal(echoed.payload.toString(), text);
  assert.equal(client.reader.find(OP.CLOSE), undefined, 'no close frame');
  // Again, byte-sized writes (one fragment per TCP segment at most): still fine.
  const before = client.reader.frames.length;
  for (let i = 0; i < 500; i++) {
    await client.write(clientFrame(i === 0 ? OP.TEXT : OP.CONT, text[i], { fin: i === 499 }));
  }
  const again = await client.waitFor(() => client.reader.frames.slice(before).find((f) => f.opcode === OP.TEXT), 10_000, 'second echo');
  assert.equal(again.payload.toString(), text);
  await client.closeCleanly();
  t.diagnostic('500 one-byte fragments: echoed as one 500-byte text message, twice (one write, then one write per fragment)');
});

test('tiny fragments: 10 000 one-byte continuations get close 1008 long before the end, and memory stays flat', async (t) => {
  const server = await startServer(t);
  // Warm the server up (first connection, first message) so the baseline is not its cold start.
  const warm = await rawConnect(server.port);
  assert.equal(await warm.echo('warm'), 'warm');
  await warm.closeCleanly();
  await sleep(200);
  const fds0 = fdCount(server.pid);
  const rss0 = rss(server.pid);

  const client = await rawConnect(server.port);
  t.after(() => client.destroy());
  const peak = sampleRss(server.pid);
  const t0 = performance.now();
  await client.write(clientFrame(OP.TEXT, 'x', { fin: false }));
  let sent = 1; // frames of the message, the first one included
  let batches = 0;
  // Each batch ends with a ping (control frames may come between fragments, RFC 6455
  // §5.4); waiting for its pong proves the server has taken the whole batch in, so the
  // close frame is observed right after the batch that crossed the limit, however slow
  // the machine is.
  while (sent < ATTACK_FRAGMENTS && !client.reader.find(OP.CLOSE) && !client.ended && !client.closed) {
    const n = Math.min(BATCH, ATTACK_FRAGMENTS - sent);
    const batch = [];
    for (let i = 0; i < n; i++) batch.push(clientFrame(OP.CONT, 'x', { fin: false }));
    batch.push(clientFrame(OP.PING, `b${batches}`));
    if (!(await client.write(Buffer.concat(batch)))) break;
    sent += n;
    batches++;
    await client.waitFor(
      () => client.reader.count(OP.PONG) === batches || client.reader.find(OP.CLOSE) || client.closed,
      10_000,
      `pong ${batches} or close`,
    );
  }
  const sentAtClose = sent;
  const close = await client.waitFor(() => client.reader.find(OP.CLOSE), 10_000, 'close frame');
  const closeMs = performance.now() - t0;
  // The server ends its side after the close frame (RFC 6455 §7.1.1: the server closes TCP first).
  await client.waitFor(() => client.ended || client.closed, 10_000, 'server FIN');
  const endMs = performance.now() - t0;
  client.socket.end();
  await client.waitFor(() => client.closed, 10_000, 'socket closed');
  const peakRss = peak();

  assert.equal(close.code, 1008, `close code ${close.code} (${close.reason})`);
  assert.ok(sentAtClose < ATTACK_FRAGMENTS, `the close came only after all ${ATTACK_FRAGMENTS} fragments were sent`);
  assert.ok(sentAtClose > MAX_FRAGMENTS, `closed after ${sentAtClose} fragments, within the allowed ${MAX_FRAGMENTS}`);
  // Precisely: in answer to the batch holding fragment MAX_FRAGMENTS + 1.
  assert.equal(sentAtClose, 1 + Math.ceil(MAX_FRAGMENTS / BATCH) * BATCH, 'the close answers the batch that crossed the limit');
  const frames = client.reader.frames;
  assert.equal(
    frames.filter((f) => f.opcode !== OP.CLOSE && f.opcode !== OP.PONG).length,
    0,
    'nothing but pongs and the close frame was sent back',
  );
  assert.equal(client.reader.count(OP.PONG), batches - 1, 'every batch but the last one was answered');
  assert.equal(client.reader.error, null);

  const fdsBack = await waitUntil(() => fdCount(server.pid) <= fds0, 5_000);
  const fds1 = fdCount(server.pid);
  const rss1 = rss(server.pid);
  assert.ok(fdsBack, `server fds ${fds1}, baseline ${fds0}`);
  assert.ok(peakRss - rss0 < RSS_BOUND, `server RSS grew by ${mib(peakRss - rss0)} (bound ${mib(RSS_BOUND)})`);

  // The server carries on.
  const next = await rawConnect(server.port);
  t.after(() => next.destroy());
  assert.equal(await next.echo('next'), 'next');
  await next.closeCleanly();

  t.diagnostic(
    `backend ${server.backend}; fragments sent before the close frame was read: ${sentAtClose} of ${ATTACK_FRAGMENTS} (limit ${MAX_FRAGMENTS} small fragments; ${BATCH} per write, each write acknowledged by a ping)`,
  );
  t.diagnostic(`close frame: code ${close.code} after ${closeMs.toFixed(0)} ms; server FIN after ${endMs.toFixed(0)} ms`);
  t.diagnostic(
    `server RSS: before ${mib(rss0)}, peak ${mib(peakRss)} (+${mib(peakRss - rss0)}, bound ${mib(RSS_BOUND)}), after ${mib(rss1)}`,
  );
  t.diagnostic(`server fds: before ${fds0}, after ${fds1}`);
});

test('tiny fragments: 8 connections attacking at once each get 1008; a bystander is unaffected', async (t) => {
  const server = await startServer(t);
  const bystander = await rawConnect(server.port);
  t.after(() => bystander.destroy());
  assert.equal(await bystander.echo('before'), 'before');
  const rss0 = rss(server.pid);
  const peak = sampleRss(server.pid);
  const clients = await Promise.all(Array.from({ length: 8 }, () => rawConnect(server.port)));
  t.after(() => clients.forEach((c) => c.destroy()));
  // Every attacker sends all 10 000 fragments in one go (≈ 70 KB); the bystander talks meanwhile.
  const attack = Buffer.concat([
    clientFrame(OP.TEXT, 'x', { fin: false }),
    ...Array.from({ length: ATTACK_FRAGMENTS - 1 }, () => clientFrame(OP.CONT, 'x', { fin: false })),
  ]);
  const t0 = performance.now();
  const writes = clients.map((c) => c.write(attack));
  assert.equal(await bystander.echo('during'), 'during');
  await Promise.all(writes);
  const codes = await Promise.all(clients.map((c) => c.waitFor(() => c.reader.find(OP.CLOSE), 10_000, 'close frame').then((f) => f.code)));
  await Promise.all(clients.map((c) => c.waitFor(() => c.ended || c.closed, 10_000, 'server FIN')));
  const ms = performance.now() - t0;
  const peakRss = peak();
  assert.deepEqual(codes, Array(8).fill(1008));
  assert.ok(peakRss - rss0 < RSS_BOUND, `server RSS grew by ${mib(peakRss - rss0)} (bound ${mib(RSS_BOUND)})`);
  assert.equal(await bystander.echo('after'), 'after');
  await bystander.closeCleanly();
  t.diagnostic(
    `8 × ${ATTACK_FRAGMENTS} fragments in one write each: all closed with ${codes[0]} within ${ms.toFixed(0)} ms; RSS ${mib(rss0)} → peak ${mib(peakRss)} (+${mib(peakRss - rss0)})`,
  );
});
