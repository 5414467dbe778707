// A throwaway redis-server on a free loopback port for the backplane scenario: no
// persistence, stopped at the end (and killed with the other children if the run dies).
// Uses the tests' helper (test/scale/redis-server.js) when it is there, else starts
// redis-server itself.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../codec.js';
import { pinned, stop, track } from '../e2e/processes.js';

const HELPER = path.join(ROOT, 'test', 'scale', 'redis-server.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function own({ cpu, bin = process.env.REDIS_SERVER ?? 'redis-server' }) {
  const port = await freePort();
  const args = [
    ...pinned(cpu),
    bin,
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
  ];
  const child = track(spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  const collect = (s) => (out = (out + s).slice(-4000));
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server not ready within 10 s')), 10_000);
      child.once('error', (err) => (clearTimeout(timer), reject(err)));
      child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`redis-server exited (${signal ?? code})`))));
      child.stdout.on('data', () => /Ready to accept connections/.test(out) && (clearTimeout(timer), resolve()));
    });
  } catch (err) {
    await stop(child, 500);
    throw new Error(`${err.message}${out ? `\n${out.trim()}` : ''}`);
  }
  const version = /Redis version=([\d.]+)/.exec(out)?.[1] ?? /v=([\d.]+)/.exec(out)?.[1];
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, banner: `redis-server ${version ?? '?'}`, stop: () => stop(child) };
}

/** Resolves with `{ url, port, banner, stop() }`. */
export async function startRedisServer({ cpu = null } = {}) {
  if (existsSync(HELPER)) {
    const { startRedis } = await import(pathToFileURL(HELPER).href);
    if (typeof startRedis === 'function') {
      const r = await startRedis();
      return { url: r.url, port: r.port, banner: 'redis-server (test/scale/redis-server.js)', stop: () => r.stop() };
    }
  }
  return own({ cpu });
}
