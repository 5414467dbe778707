// Measurements on fresh server processes, each driven by its own load-generator process;
// everything is stopped afterwards. Fresh servers keep cells independent (no heap left
// over from the previous cell) and cost little next to the measured time.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssKiB } from './procfs.js';
import { pinned, startServer, stop, track } from './processes.js';

const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `script` (a load generator) with `job` as its argument, pinned to the client CPU;
 * `onMessage(msg, child)` sees its messages other than the final result/error. Resolves
 * with its result; rejects on its error report, a crash, or `timeoutMs`.
 */
export function runLoadScript(script, job, timeoutMs, cpus, { onMessage = () => {}, cwd } = {}) {
  // spawn with an 'ipc' slot rather than fork, so that taskset can come first.
  const [bin, ...args] = [...pinned(cpus?.client), process.execPath, script, JSON.stringify(job)];
  const child = track(spawn(bin, args, { cwd, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-2000)));
  return new Promise((resolve, reject) => {
    let result = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (msg) => {
      if (msg.type === 'result' || msg.type === 'error') result = msg;
      else Promise.resolve(onMessage(msg, child)).catch((err) => (child.kill('SIGKILL'), reject(err)));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (result?.type === 'result' && code === 0) resolve(result);
      else reject(new Error(`load generator: ${result?.message ?? `exited (${signal ?? code})`}${stderr ? `\n${stderr.trim()}` : ''}`));
    });
  });
}

/** Runs client.js (the e2e load generator) with `job`. */
function runClient(job, timeoutMs, cpus, onMessage) {
  return runLoadScript(CLIENT, job, timeoutMs, cpus, { onMessage });
}

/**
 * Starts the servers (`{ command, bin?, env? }` each; `env` adds to the run's `env`), runs
 * `fn(servers)`, stops them; a server that died fails the run.
 */
async function withServers(specs, cwd, cpus, env, fn) {
  const servers = [];
  try {
    for (const s of specs) servers.push(await startServer(s.command, { cwd, cpu: cpus?.server, bin: s.bin, env: { ...env, ...s.env } }));
    const out = await fn(servers);
    for (const s of servers) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) {
        throw new Error(`server exited during the run (${s.child.signalCode ?? s.child.exitCode})\n${s.stderr()}`);
      }
    }
    return { ...out, banners: servers.map((s) => s.banner) };
  } finally {
    await Promise.all(servers.map((s) => stop(s.child)));
  }
}

/**
 * One cell, every server in `specs`: fresh processes, one load generator taking turns
 * between them (see client.js). Resolves with `{ servers: [{ slices, latencyMs }, …], banners }`
 * in the order of `specs`.
 */
export function measureThroughput({ specs, cwd, cpus, cell, p }) {
  return withServers(specs, cwd, cpus, p.serverEnv, async (servers) => {
    const n = specs.length;
    const connectMs = n * Math.ceil(p.conns / p.batch) * p.connectTimeoutMs;
    const slicesMs = n * (p.warmMs + p.slices * p.sliceMs);
    const deadlineMs = connectMs + slicesMs + n * (p.slices + 1) * p.drainTimeoutMs;
    const job = {
      mode: cell.mode,
      size: cell.size,
      depth: p.depth,
      conns: p.conns,
      warmMs: p.warmMs,
      sliceMs: p.sliceMs,
      slices: p.slices,
      batch: p.batch,
      connectTimeoutMs: p.connectTimeoutMs,
      drainTimeoutMs: p.drainTimeoutMs,
      maxSamples: p.maxSamples,
      deadlineMs,
      servers: servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid })),
    };
    return runClient(job, deadlineMs + 5000, cpus);
  });
}

/** Samples RSS every 250 ms for `ms`; the last reading is the settled one. */
async function settledRss(pid, ms) {
  const readings = [];
  for (let t = 0; t < ms; t += 250) {
    await sleep(Math.min(250, ms - t));
    readings.push(rssKiB(pid));
  }
  return { kib: readings.at(-1), readings };
}

/** Server RSS growth per idle connection, (after − before) / count, in KiB; `spec` as for measureThroughput. */
export function measureIdle({ spec, cwd, cpus, p }) {
  return withServers([spec], cwd, cpus, p.serverEnv, async ([server]) => {
    const { count, warmConns, settleMs } = p.idle;
    let before;
    let after;
    let openMs;
    const connectMs = Math.ceil((count + warmConns) / p.batch) * p.connectTimeoutMs;
    const deadlineMs = connectMs + 2 * settleMs + 10_000;
    const job = {
      mode: 'idle',
      count,
      warmConns,
      batch: p.batch,
      connectTimeoutMs: p.connectTimeoutMs,
      deadlineMs,
      host: server.host,
      port: server.port,
      serverPid: server.pid,
    };
    const cpu0 = cpuSeconds(server.pid);
    await runClient(job, deadlineMs + 5000, cpus, async (msg, child) => {
      if (msg.type === 'warmed') {
        before = await settledRss(server.pid, settleMs);
        child.send({ type: 'open' });
      } else if (msg.type === 'opened') {
        if (msg.count !== count) throw new Error(`opened ${msg.count} of ${count} connections`);
        openMs = msg.openMs;
        after = await settledRss(server.pid, settleMs);
        child.send({ type: 'close' });
      }
    });
    if (before?.kib == null || after?.kib == null) throw new Error(`cannot read VmRSS of pid ${server.pid} (is /proc mounted?)`);
    return {
      count,
      beforeKiB: before.kib,
      afterKiB: after.kib,
      perConnKiB: (after.kib - before.kib) / count,
      readings: { before: before.readings, after: after.readings },
      openMs,
      serverCpuSeconds: cpuSeconds(server.pid) - cpu0,
    };
  });
}
