// A throwaway redis-server on a free 127.0.0.1 port for test/scale/. Nothing is persisted.
//   const redis = await startRedis();  // { url, port, stop(), restart() }
//   t.after(() => redis.stop());
// restart() stops it (if running) and starts it again on the same port. Any server still
// running when the test process exits is killed.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once a PING on port gets +PONG; false if that does not happen by the deadline. */
async function waitForPong(port, child, deadline) {
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      const done = (value) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(500, () => done(false));
      socket.on('error', () => done(false));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        reply += chunk.toString('latin1');
        if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
      });
    });
    if (ok) return true;
    await sleep(25);
  }
  return false;
}

async function launch(port) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', tmpdir()];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const spawned = new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned.catch((err) => {
    throw new Error(`cannot start ${REDIS_SERVER} (apt-get install redis-server): ${err.message}`);
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!(await waitForPong(port, child, Date.now() + 10_000))) {
    await kill(child);
    throw new Error(`redis-server on port ${port} did not come up:\n${output}`);
  }
  return child;
}

async function kill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Starts redis-server on a free loopback port and waits until it answers PING. */
export async function startRedis() {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let child;
    try {
      child = await launch(port);
    } catch (err) {
      lastError = err; // e.g. the port was taken between freePort() and the launch
      if (/cannot start/.test(err.message)) throw err;
      continue;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      /** Stops the server (SIGTERM, then SIGKILL after 3 s); safe to call twice. */
      async stop() {
        if (child) await kill(child);
        child = null;
      },
      /** Stops it if running and starts it again on the same port. */
      async restart() {
        if (child) await kill(child);
        child = null;
        child = await launch(port);
      },
    };
  }
  throw lastError;
}
