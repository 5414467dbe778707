// Ping flood: a client that sends pings as fast as it can and never reads its socket, so
// every auto-pong the server writes piles up. The server promises (maxPendingPongs,
// default 128) to give up on such a peer: it emits an error with close code 1008
// (WS_ERR_PING_FLOOD) and destroys the socket. It sends no close frame — the peer is
// not reading anyway — so the attacker sees the connection reset, and the server's own
// 'close' event reports 1006. Memory must stay bounded and other clients unaffected.
//
// The server runs fixture-server.js, an echo server that prints every connection's
// 'error' and 'close' events, so the test can see what the server decided.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientFrame, mib, MiB, OP, rawConnect, rss, sampleRss, startServer, waitUntil, within } from './harness.js';

const MAX_PINGS = 200_000;
const PINGS_PER_WRITE = 1_000;
// 125 bytes, the most a control frame may carry: pongs then fill the kernel's socket
// buffers (a few MiB on loopback) within the ping budget, so the flood is caught even by
// a guard that only counts pongs stuck behind backpressure.
const PING_PAYLOAD = Buffer.alloc(125, 0x70);
const CLOSE_BOUND = 20_000; // ms from the first ping to the server dropping the connection
// The guard bounds what the server holds for this peer to 128 pongs (16 KiB) plus one
// read's worth of pings; the rest is V8 and socket buffers. An unguarded server would
// buffer every pong: 200 000 × 127 B ≈ 24 MiB of payload alone, several times that as
// Buffers and write requests.
const RSS_BOUND = 32 * MiB;

function pingBatch(n) {
  return Buffer.concat(Array.from({ length: n }, () => clientFrame(OP.PING, PING_PAYLOAD)));
}

/** The fixture's output lines about connection `id`. */
function linesFor(server, id) {
  return server.lines.filter((l) => l.startsWith(`error ${id} `) || l.startsWith(`close ${id} `));
}

/**
 * Runs the flood from a fresh connection (the fixture's connection number `_id`) that never
 * reads. Returns what was observed.
 */
async function flood(server, _id) {
  const attacker = await rawConnect(server.port);
  attacker.socket.pause(); // never read: every pong stays in the socket buffers
  const batch = pingBatch(PINGS_PER_WRITE);
  const gone = new Promise((resolve) => attacker.socket.once('close', resolve));
  const peak = sampleRss(server.pid);
  const t0 = performance.now();
  let sent = 0;
  let writes = 0;
  while (sent < MAX_PINGS && !attacker.closed && !attacker.socketError && performance.now() - t0 < CLOSE_BOUND) {
    const flushed = attacker.socket.write(batch);
    sent += PINGS_PER_WRITE;
    writes++;
    if (!flushed) {
      // Wait for room (the server reads) or for the end (the server drops us).
      await new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          attacker.socket.off('drain', done);
          attacker.socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, 1_000);
        attacker.socket.on('drain', done);
        attacker.socket.on('close', done);
      });
    } else {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const closed = await within(
    gone.then(() => true),
    CLOSE_BOUND,
    false,
  );
  const ms = performance.now() - t0;
  const peakRss = peak();
  // Now read whatever the server did manage to send before the reset, if anything.
  attacker.socket.resume();
  await waitUntil(() => attacker.closed, 1_000);
  attacker.destroy();
  return { attacker, closed, ms, sent, writes, peakRss };
}

test('ping flood: a client that pings without reading is dropped; RSS bounded; others unaffected', async (t) => {
  const server = await startServer(t, { fixture: {} });
  const bystander = await rawConnect(server.port); // connection 1
  t.after(() => bystander.destroy());
  assert.equal(await bystander.echo('before'), 'before');
  const rss0 = rss(server.pid);

  const during = (async () => {
    // The bystander keeps talking while the flood runs.
    for (let i = 0; i < 20; i++) assert.equal(await bystander.echo(`during ${i}`), `during ${i}`);
  })();
  const r = await flood(server, 2); // connection 2
  await during;

  assert.ok(r.closed, `the flooding connection was still open after ${r.ms.toFixed(0)} ms and ${r.sent} pings (budget ${MAX_PINGS})`);
  // What the server decided: the flood error with 1008, then the connection closed.
  await server.waitForLine(/^close 2 /, 5_000);
  r.lines = linesFor(server, 2);
  const errors = r.lines.filter((l) => l.startsWith('error 2 '));
  assert.ok(errors.length >= 1, `no error reported for the flooder: ${JSON.stringify(r.lines.slice(0, 3))}`);
  assert.match(errors[0], /^error 2 1008 WS_ERR_PING_FLOOD /);
  assert.ok(r.lines.includes('close 2 1006'), `close line: ${JSON.stringify(r.lines.filter((l) => l.startsWith('close')))}`);
  // The attacker was not sent a normal closing handshake; if it saw a close frame, it says 1008.
  const closeFrame = r.attacker.reader.find(OP.CLOSE);
  if (closeFrame) assert.equal(closeFrame.code, 1008);
  const pongs = r.attacker.reader.count(OP.PONG);
  assert.ok(pongs <= r.sent, 'more pongs than pings');
  assert.ok(r.peakRss - rss0 < RSS_BOUND, `server RSS grew by ${mib(r.peakRss - rss0)} (bound ${mib(RSS_BOUND)})`);

  assert.equal(await bystander.echo('after'), 'after');
  await bystander.closeCleanly();
  await server.waitForLine(/^close 1 /, 5_000);
  const others = server.lines.filter((l) => /^(error|close) 1 /.test(l));
  assert.deepEqual(others, ['close 1 1000'], 'the bystander saw no error and closed normally');

  t.diagnostic(
    `backend ${server.backend}; flood: ${r.sent} pings of ${PING_PAYLOAD.length} B written (${r.writes} writes of ${PINGS_PER_WRITE}; most still in the kernel's buffers) before the server dropped the connection after ${r.ms.toFixed(0)} ms (bound ${CLOSE_BOUND} ms)`,
  );
  t.diagnostic(
    `attacker saw: ${pongs} pongs, close frame ${closeFrame ? closeFrame.code : 'none'}, socket error ${r.attacker.socketError?.code ?? 'none'}`,
  );
  t.diagnostic(`server said: ${errors[0]} (${errors.length} error events), ${r.lines.find((l) => l.startsWith('close'))}`);
  t.diagnostic(`server RSS: before ${mib(rss0)}, peak ${mib(r.peakRss)} (+${mib(r.peakRss - rss0)}, bound ${mib(RSS_BOUND)})`);
});

// Two regressions found while writing these tests, now fixed in answerPing
// (src/protocol/connection.ts): pongs merely waiting for the end of a read counted as
// a flood, and the flood was reported once per ping left in the read.

test('ping flood: a client that reads every pong may send 200 pings in one write', async (t) => {
  const server = await startServer(t, { fixture: {} });
  const client = await rawConnect(server.port);
  t.after(() => client.destroy());
  // The client reads (its socket flows); it just sends its pings in one burst, as a
  // client that corks its writes or a proxy that coalesces segments would.
  await client.write(pingBatch(200));
  await client.waitFor(() => client.reader.count(OP.PONG) === 200 || client.closed, 10_000, '200 pongs');
  const lines = linesFor(server, 1);
  t.diagnostic(
    `200 pings in one write: ${client.reader.count(OP.PONG)} pongs back, socket ${client.closed ? `closed (${client.socketError?.code ?? 'EOF'})` : 'open'}; server: ${lines[0] ?? 'no event'}`,
  );
  assert.equal(client.reader.count(OP.PONG), 200);
  assert.equal(client.closed, false);
  assert.equal(await client.echo('still open'), 'still open');
  await client.closeCleanly();
});

test('ping flood: the flood is reported once, not once per ping left in the read', async (t) => {
  const server = await startServer(t, { fixture: {} });
  const r = await flood(server, 1);
  assert.ok(r.closed);
  await server.waitForLine(/^close 1 /, 5_000);
  const errors = linesFor(server, 1).filter((l) => l.startsWith('error 1 '));
  t.diagnostic(`'error' emitted ${errors.length} times for one flooding connection`);
  assert.equal(errors.length, 1);
});
