// Every process the benchmark starts is registered here and stopped on the way out,
// including when the run fails or is interrupted, so no echo server outlives it.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';

const live = new Set();

function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

let installed = false;
/** Kill registered children on exit, SIGINT, SIGTERM and uncaught errors. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killAll); // synchronous: kill() needs no event loop
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${live.size} child process(es)\n`);
      killAll();
      process.exit(code);
    });
  }
}

export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stop(child, graceMs = 2000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Splits a command line on spaces, honouring '…' and "…" quoting (no other shell syntax). */
export function splitCommand(text) {
  const words = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m; (m = re.exec(text));) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/**
 * CPUs for the servers and the load generator, or null when they cannot be pinned. Pinned,
 * the measured server and the load generator each have a core of their own for the whole
 * run instead of wherever the scheduler puts them next to whatever else the machine runs.
 */
export function cpuPlan() {
  const n = os.cpus().length;
  if (n < 2 || spawnSync('taskset', ['-c', '0', 'true']).status !== 0) return null;
  return { server: n - 1, client: 0 };
}

/** argv prefix that runs a command on one CPU (all its threads), or [] for no pinning. */
export const pinned = (cpu) => (cpu == null ? [] : ['taskset', '-c', String(cpu)]);

const READY = /ws:\/\/([\w.-]+|\[[\da-fA-F:]+\]):(\d+)/;

/**
 * Starts an echo server from a command line (`node …` runs under this same Node binary,
 * without a shell, so the pid is the server's own and /proc reads measure the server),
 * optionally pinned to `cpu`, and resolves once it prints its ws:// URL. `bin` replaces the
 * command's first word (the report shows `bun …`, the process runs the fetched binary).
 */
export async function startServer(command, { cwd, cpu, bin, env = {}, timeoutMs = 15_000 } = {}) {
  const words = splitCommand(command);
  if (bin) words[0] = bin;
  else if (words[0] === 'node') words[0] = process.execPath;
  // taskset execs the command, so the pid stays the server's.
  const [file, ...args] = [...pinned(cpu), ...words];
  const child = track(spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-4000)));
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ws:// line within ${timeoutMs} ms`)), timeoutMs);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`exited (${signal ?? code}) before listening`)));
      child.stdout.setEncoding('utf8').on('data', (s) => {
        stdout = (stdout + s).slice(-4000);
        const m = READY.exec(stdout);
        if (!m) return;
        clearTimeout(timer);
        const line = stdout
          .split('\n')
          .find((l) => READY.test(l))
          .trim();
        resolve({ child, pid: child.pid, host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]), banner: line, stderr: () => stderr });
      });
    });
  } catch (err) {
    await stop(child, 500);
    throw new Error(`server \`${command}\`: ${err.message}${stderr ? `\n${stderr.trim()}` : ''}`);
  }
}
