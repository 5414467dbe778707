// Starting and stopping the peers under test as child processes, one per backend, so
// WSCODEC_BACKEND takes effect and a crash in a peer cannot take the harness with it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));

export const MAX_PAYLOAD = 16 * 1024 * 1024;
export const HANDSHAKE_TIMEOUT_MS = 2_000;

function envFor(backend) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, MAX_PAYLOAD: String(MAX_PAYLOAD) };
  delete env.WSCODEC_BACKEND;
  if (backend) env.WSCODEC_BACKEND = backend;
  return env;
}

function stopper(child) {
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
}

/** Spawns a server that prints "... listening on ws://host:port"; resolves { port, stop }. */
function startServer(args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      stopper(child)();
      reject(new Error(`server did not start: ${stderr}`));
    }, 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ host: '127.0.0.1', port: Number(m[1]), stop: stopper(child), child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${stderr}`));
    });
  });
}

/** `wscodec echo` on a backend, with the limits the cases assume. */
export function startWscodecServer(backend) {
  return startServer(
    [
      path.join(root, 'bin/wscodec.js'),
      'echo',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--deflate',
      '--max-payload',
      String(MAX_PAYLOAD),
      '--handshake-timeout',
      String(HANDSHAKE_TIMEOUT_MS),
    ],
    envFor(backend),
  );
}

export function startWsServer() {
  return startServer([path.join(here, 'peers/ws-echo-server.js')], envFor());
}

/** A `startClient` for runAsServer: the echo client on `impl` ('wscodec' or 'ws'). */
export function echoClient(impl, backend) {
  return (base, count) => {
    const child = spawn(process.execPath, [path.join(here, 'peers/echo-client.js'), '--impl', impl, base, String(count)], {
      cwd: root,
      env: envFor(backend),
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
    return { exited, stop: stopper(child) };
  };
}
