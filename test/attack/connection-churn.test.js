// Connection churn: 4 rounds of 5 000 WebSocket connections opened together, checked,
// then closed — half with a closing handshake, half by dropping the TCP socket. After
// every round the server's descriptors must come back to where they started, and its RSS
// must not grow round after round: a per-connection leak would grow linearly with the
// 20 000 connections, a warm heap does not.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { clientFrame, fdCount, mib, MiB, OP, rawConnect, rss, startServer, waitUntil } from './harness.js';

const ROUNDS = 4;
const CONNECTIONS = 5_000;
const CONCURRENCY = 200; // handshakes in flight at once
const SAMPLE_EVERY = 100; // every 100th connection echoes a message and answers a ping
const FD_SLACK = 2; // descriptors the server may hold beyond its baseline (timers, epoll churn)
// Memory is read after each round once the server has run a full GC (gc-hook.js, preloaded
// into the CLI): without it, RSS at a given moment swings by ±20 MiB with V8's GC timing.
// The first round grows the heap and the socket slabs to hold 5 000 connections; later
// rounds reuse them. One connection costs the server ~8 KiB (RSS with 5 000 open minus
// baseline); a leak of a quarter of that over the 15 000 connections of rounds 2–4 is
// 30 MiB, so RSS may grow by less than 24 MiB (measured: within ±10 MiB). The JS heap,
// where a leaked WebSocket, Connection or decoder would sit, is steady to ±0.2 MiB after
// GC, so it may grow by less than 4 MiB: ~280 bytes per connection of rounds 2–4.
const RSS_GROWTH_BOUND = 24 * MiB;
const HEAP_GROWTH_BOUND = 4 * MiB;

/** The soft limit on open files (the server inherits it): each side holds 5 000 sockets at once. */
function openFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line.split(/\s{2,}/)[1]);
}

/** Runs `fn(i)` for i in [0, n) with at most `limit` in flight; returns the results in order. */
async function pool(n, limit, fn) {
  const results = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return results;
}

test(
  `connection churn: ${ROUNDS} rounds of ${CONNECTIONS} connections leave no descriptors and no growing RSS behind`,
  { timeout: 170_000 },
  async (t) => {
    const limit = openFileLimit();
    assert.ok(
      limit >= CONNECTIONS + 500,
      `open-file limit ${limit} is too low for ${CONNECTIONS} connections: raise it (ulimit -n; .ci/run does)`,
    );
    const server = await startServer(t, { gcHook: true });
    const all = new Set();
    t.after(() => {
      for (const c of all) c.destroy();
    });

    // Warm up: the first connection loads the backend, the first message its kernels.
    const warm = await rawConnect(server.port);
    assert.equal(await warm.echo('warm'), 'warm');
    await warm.closeCleanly();
    const gc0 = await server.gc();
    const fds0 = fdCount(server.pid);
    const rss0 = rss(server.pid);
    const rounds = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const t0 = performance.now();
      const clients = await pool(CONNECTIONS, CONCURRENCY, async () => {
        const c = await rawConnect(server.port, { timeout: 30_000 });
        all.add(c);
        return c;
      });
      const openMs = performance.now() - t0;
      // All of them are open at once on the server.
      const fdsOpen = fdCount(server.pid);
      const rssOpen = rss(server.pid);
      assert.ok(fdsOpen >= fds0 + CONNECTIONS, `round ${round}: server holds ${fdsOpen} fds with ${CONNECTIONS} open (baseline ${fds0})`);

      // A sample talks: an echo and a ping each.
      const sample = clients.filter((_, i) => i % SAMPLE_EVERY === 0);
      await Promise.all(
        sample.map(async (c, i) => {
          assert.equal(await c.echo(`r${round} c${i}`), `r${round} c${i}`);
          await c.write(clientFrame(OP.PING, `p${i}`));
          const pong = await c.waitFor(() => c.reader.find(OP.PONG), 10_000, 'pong');
          assert.equal(pong.payload.toString(), `p${i}`);
        }),
      );

      // Close: even ones with the closing handshake, odd ones by dropping the socket.
      const t1 = performance.now();
      await pool(CONNECTIONS, 500, async (i) => {
        const c = clients[i];
        if (i % 2 === 0) {
          await c.closeCleanly(30_000);
          const close = c.reader.find(OP.CLOSE);
          assert.ok(close && close.code === 1000, `round ${round}: connection ${i} got close ${close?.code}`);
        } else {
          c.destroy();
        }
        all.delete(c);
      });
      const back = await waitUntil(() => fdCount(server.pid) <= fds0 + FD_SLACK, 30_000, 50);
      const closeMs = performance.now() - t1;
      const fdsAfter = fdCount(server.pid);
      assert.ok(back, `round ${round}: server fds ${fdsAfter} 30 s after closing, baseline ${fds0}`);
      const { heapUsed } = await server.gc();
      const rssAfter = rss(server.pid);
      rounds.push({ round, openMs, closeMs, fdsOpen, fdsAfter, rssOpen, rssAfter, heapUsed });
      t.diagnostic(
        `round ${round}: ${CONNECTIONS} open in ${openMs.toFixed(0)} ms (server fds ${fdsOpen}, RSS ${mib(rssOpen)}); ${sample.length} echo+ping OK; closed (${CONNECTIONS / 2} handshake, ${CONNECTIONS / 2} dropped) and fds back to ${fdsAfter} in ${closeMs.toFixed(0)} ms; after GC: RSS ${mib(rssAfter)}, heap ${mib(heapUsed)}`,
      );
    }

    // The server still serves.
    const last = await rawConnect(server.port);
    all.add(last);
    assert.equal(await last.echo('done'), 'done');
    await last.closeCleanly();
    all.delete(last);
    await waitUntil(() => fdCount(server.pid) <= fds0 + FD_SLACK, 5_000);

    const first = rounds[0];
    const final = rounds[rounds.length - 1];
    const growth = final.rssAfter - first.rssAfter;
    const heapGrowth = final.heapUsed - first.heapUsed;
    t.diagnostic(
      `backend ${server.backend}; server fds: baseline ${fds0}, after the last round ${final.fdsAfter}, at the end ${fdCount(server.pid)} (slack ${FD_SLACK})`,
    );
    t.diagnostic(
      `server RSS after GC: baseline ${mib(rss0)}; after rounds ${rounds.map((r) => mib(r.rssAfter)).join(', ')}; round ${final.round} vs round 1: ${growth >= 0 ? '+' : ''}${mib(growth)} (bound ${mib(RSS_GROWTH_BOUND)}); with ${CONNECTIONS} open: ${rounds.map((r) => mib(r.rssOpen)).join(', ')}`,
    );
    t.diagnostic(
      `server JS heap after GC: baseline ${mib(gc0.heapUsed)}; after rounds ${rounds.map((r) => mib(r.heapUsed)).join(', ')}; round ${final.round} vs round 1: ${heapGrowth >= 0 ? '+' : ''}${mib(heapGrowth)} (bound ${mib(HEAP_GROWTH_BOUND)})`,
    );
    assert.ok(final.fdsAfter <= fds0 + FD_SLACK, `fds ${final.fdsAfter}, baseline ${fds0}`);
    assert.ok(
      growth < RSS_GROWTH_BOUND,
      `RSS grew by ${mib(growth)} between round 1 and round ${final.round} (bound ${mib(RSS_GROWTH_BOUND)})`,
    );
    assert.ok(
      heapGrowth < HEAP_GROWTH_BOUND,
      `JS heap grew by ${mib(heapGrowth)} between round 1 and round ${final.round} (bound ${mib(HEAP_GROWTH_BOUND)})`,
    );
  },
);
