// The load generator: a child process of run.js (spawned with an IPC channel), given one
// job as JSON in argv[2], reporting one result message. Separate from run.js so that the
// parent stays idle while timing, and so a wedged generator can simply be killed.
//
// Modes: 'one'  each connection sends one message, waits for its echo, sends the next;
//        'pipe' each connection keeps `depth` messages in flight;
//        'idle' opens connections and leaves them idle, stepping through the phases the
//               parent drives (it reads the server's RSS between them).

import { performance } from 'node:perf_hooks';
import { openMany } from './connect.js';
import { EchoLoad } from './load.js';
import { EchoCounter, maskedFrame, payloadOf } from './wire.js';

const job = JSON.parse(process.argv[2]);
const sockets = []; // idle mode's
const closers = []; // throughput mode's loads

let finished = false;
function finish(message, code = 0) {
  if (finished) return;
  finished = true;
  for (const close of closers) close();
  for (const s of sockets) s.destroy();
  if (process.send) process.send(message, () => process.exit(code));
  else (console.log(JSON.stringify(message)), process.exit(code));
}
const fail = (err) => finish({ type: 'error', message: String(err?.message ?? err) }, 1);

// The parent is gone (even SIGKILLed): nobody to report to, and nobody left to stop the
// servers this run started, so stop them here.
process.on('disconnect', () => {
  for (const { pid } of job.servers ?? [{ pid: job.serverPid }]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(1);
});
process.on('uncaughtException', fail);
setTimeout(() => fail(new Error(`client deadline of ${job.deadlineMs} ms passed`)), job.deadlineMs);

/**
 * Every server gets the same connections and the same warm-up; then each cycle measures one
 * slice per server, the order running forward and backward in turn (A B C, C B A, A B C, …),
 * so slow patches of a shared machine fall on all of them, and a linear drift cancels out
 * within two cycles for every pair: each server's mean position in a cycle is the middle.
 */
async function throughput() {
  const depth = job.mode === 'one' ? 1 : job.depth;
  const loads = job.servers.map((server) => new EchoLoad(server, { ...job, depth }, fail));
  for (const load of loads) {
    closers.push(() => load.close());
    await load.open();
  }
  for (const load of loads) await load.slice(job.warmMs, false, job.drainTimeoutMs);
  const slices = loads.map(() => []);
  const forward = loads.map((_, i) => i);
  const backward = [...forward].reverse();
  for (let cycle = 0; cycle < job.slices; cycle++) {
    for (const i of cycle % 2 ? backward : forward) slices[i].push(await loads[i].slice(job.sliceMs, true, job.drainTimeoutMs));
  }
  return { type: 'result', servers: loads.map((l, i) => ({ slices: slices[i], latencyMs: l.latency() })) };
}

/** Waits for the parent's next command of the idle protocol. */
const command = (type) =>
  new Promise((resolve) => {
    process.on('message', function on(msg) {
      if (msg?.type !== type) return;
      process.removeListener('message', on);
      resolve(msg);
    });
  });

async function idle() {
  // Warm the server's accept/upgrade/echo paths, then let those connections go, so the
  // parent's "before" reading is of a server that has already done this work once.
  const payload = payloadOf(20);
  const warm = await openMany(job.host, job.port, job.warmConns, { batch: job.batch, timeoutMs: job.connectTimeoutMs });
  await Promise.all(
    warm.map(
      (conn) =>
        new Promise((resolve, reject) => {
          const counter = new EchoCounter(payload);
          conn.socket.on('error', reject);
          conn.listen((buf, n) => {
            const k = counter.push(buf, n);
            if (k === 1) resolve();
            else if (k !== 0) reject(new Error(counter.error ?? 'too many echoes'));
          });
          conn.socket.write(maskedFrame(payload));
        }),
    ),
  );
  await Promise.all(warm.map(({ socket }) => new Promise((resolve) => socket.once('close', resolve).destroy())));
  process.send({ type: 'warmed' });

  await command('open');
  const t0 = performance.now();
  const conns = await openMany(job.host, job.port, job.count, { batch: job.batch, timeoutMs: job.connectTimeoutMs });
  for (const conn of conns) {
    sockets.push(conn.socket);
    conn.socket.on('close', () => fail(conn.error ?? new Error('the server closed an idle connection')));
  }
  process.send({ type: 'opened', count: conns.length, openMs: performance.now() - t0 });

  await command('close');
  const lost = conns.filter((c) => c.error || c.socket.destroyed).length;
  for (const s of sockets) s.removeAllListeners('close');
  if (lost) throw new Error(`${lost} idle connections failed while open`);
  return { type: 'result', opened: conns.length };
}

(job.mode === 'idle' ? idle() : throughput()).then(finish, fail);
