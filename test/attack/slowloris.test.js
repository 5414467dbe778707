// Slowloris: clients that dribble an upgrade request head one byte at a time, far slower
// than the server's handshake timeout, must be dropped soon after the timeout (without
// ever getting a 101), and must not stop a normal client from connecting afterwards.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { fdCount, mib, rawConnect, rss, startServer, upgradeRequest, waitUntil, within } from './harness.js';

const HANDSHAKE_TIMEOUT = 500; // ms, given to the server
const DRIBBLERS = 8;
const BYTE_EVERY = 100; // ms: a ~150-byte head would take ~15 s, 30× the timeout
const SILENT = 2; // clients that connect and send nothing at all
// Node's HTTP server checks request timeouts every max(250, timeout / 2) ms, so a slow
// head is dropped between 500 and ~750 ms. 5 s leaves room for a loaded CI machine.
const CLOSE_BOUND = 5_000;

/** Connects and sends `head` one byte every BYTE_EVERY ms (or nothing) until the server closes. */
function slowClient(port, head) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let t0 = 0;
    let sent = 0;
    let timer;
    const received = [];
    socket.on('connect', () => {
      t0 = performance.now();
      if (head === null) return;
      const drip = () => {
        if (sent < head.length && socket.writable) socket.write(head.subarray(sent, ++sent));
      };
      drip();
      timer = setInterval(drip, BYTE_EVERY);
    });
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => {}); // ECONNRESET is one way to be dropped
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: performance.now() - t0, sent, total: head?.length ?? 0, response: Buffer.concat(received).toString('latin1') });
    });
    // A safety net so the test never hangs; a socket still open here fails the bound below.
    setTimeout(() => socket.destroy(), CLOSE_BOUND * 4).unref();
  });
}

test('slowloris: upgrade heads dribbled byte by byte are dropped after the handshake timeout', async (t) => {
  const server = await startServer(t, { args: ['--handshake-timeout', String(HANDSHAKE_TIMEOUT)] });
  const fds0 = fdCount(server.pid);
  const rss0 = rss(server.pid);

  const started = performance.now();
  const results = await Promise.all([
    ...Array.from({ length: DRIBBLERS }, () => slowClient(server.port, upgradeRequest(server.port))),
    ...Array.from({ length: SILENT }, () => slowClient(server.port, null)),
  ]);
  const elapsed = performance.now() - started;

  for (const [i, r] of results.entries()) {
    const who = i < DRIBBLERS ? `dribbler ${i}` : `silent client ${i - DRIBBLERS}`;
    // Not refused on sight: dropped by the timeout (half of it, as the client may see its
    // 'connect' late on a loaded machine).
    assert.ok(r.ms >= HANDSHAKE_TIMEOUT / 2, `${who} closed after ${r.ms.toFixed(0)} ms, well before the timeout`);
    assert.ok(r.ms < CLOSE_BOUND, `${who} still open ${r.ms.toFixed(0)} ms after connecting (bound ${CLOSE_BOUND} ms)`);
    assert.ok(r.sent < r.total || r.total === 0, `${who} managed to send its whole head`);
    assert.doesNotMatch(r.response, /^HTTP\/1\.1 101/, `${who} got a 101`);
    // What Node's parser answers a timed-out head with (or nothing, when it only resets).
    assert.ok(r.response === '' || /^HTTP\/1\.1 408 /.test(r.response), `${who} got ${JSON.stringify(r.response)}`);
  }

  // Every dropped socket's descriptor is released.
  const fdsBack = await waitUntil(() => fdCount(server.pid) <= fds0 + 1, 5_000);
  const fds1 = fdCount(server.pid);
  assert.ok(fdsBack, `server fds ${fds1}, baseline ${fds0}`);

  // And the server still serves a normal client.
  const client = await rawConnect(server.port);
  t.after(() => client.destroy());
  assert.equal(await client.echo('still here'), 'still here');
  await client.closeCleanly();

  const ms = results.map((r) => r.ms);
  t.diagnostic(
    `backend ${server.backend}; handshake timeout ${HANDSHAKE_TIMEOUT} ms; ${DRIBBLERS} dribblers (1 byte / ${BYTE_EVERY} ms) + ${SILENT} silent clients`,
  );
  t.diagnostic(
    `time to close: min ${Math.min(...ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (bound ${CLOSE_BOUND} ms); all done in ${elapsed.toFixed(0)} ms`,
  );
  t.diagnostic(
    `bytes dribbled before the close: ${results
      .slice(0, DRIBBLERS)
      .map((r) => `${r.sent}/${r.total}`)
      .join(', ')}`,
  );
  t.diagnostic(`server answer: ${JSON.stringify(results[0].response.split('\r\n')[0])}`);
  t.diagnostic(`server fds: baseline ${fds0}, after ${fds1}; RSS ${mib(rss0)} → ${mib(rss(server.pid))}`);
});

test('slowloris: a head that is one byte short forever is dropped too, while a normal client connects meanwhile', async (t) => {
  const server = await startServer(t, { args: ['--handshake-timeout', String(HANDSHAKE_TIMEOUT)] });
  // The whole head but its final byte, at once: the parser waits for the blank line.
  const head = upgradeRequest(server.port);
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  let response = '';
  socket.on('data', (c) => {
    response += c.toString('latin1');
  });
  const t0 = performance.now();
  socket.write(head.subarray(0, head.length - 1));
  const closed = new Promise((resolve) => socket.once('close', () => resolve(performance.now() - t0)));

  // Meanwhile a normal client is served at once.
  const client = await rawConnect(server.port);
  t.after(() => client.destroy());
  assert.equal(await client.echo('meanwhile'), 'meanwhile');

  const ms = await within(closed, CLOSE_BOUND, Infinity);
  assert.ok(ms < CLOSE_BOUND, `the incomplete head was not dropped within ${CLOSE_BOUND} ms`);
  assert.ok(ms >= HANDSHAKE_TIMEOUT / 2, `dropped after ${ms.toFixed(0)} ms, well before the timeout`);
  assert.doesNotMatch(response, /101/);
  // The established connection outlives the other socket's timeout.
  assert.equal(await client.echo('after'), 'after');
  await client.closeCleanly();
  t.diagnostic(
    `head ${head.length - 1}/${head.length} bytes sent at once: dropped after ${ms.toFixed(0)} ms with ${JSON.stringify(response.split('\r\n')[0])}`,
  );
});
