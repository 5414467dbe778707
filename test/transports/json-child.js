// A fixture server run as a child process (so WSCODEC_TRANSPORT and WSCODEC_BACKEND,
// read when wscodec loads, pick what it runs on) that prints one JSON event per line,
// starting with { event: 'listening', port }.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { within } from '../helpers/within.js';

/**
 * Starts `script` with `env` added; resolves once it listens. `next(match, what, from)`
 * waits (bounded) for the first event from number `from` on that matches.
 * @param {string} script
 * @param {Record<string, string>} env
 */
export async function startJsonChild(script, env) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  /** @type {any[]} */
  const seen = [];
  /** @type {(() => void)[]} */
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    seen.push(JSON.parse(line));
    for (const w of waiting.splice(0)) w();
  });
  /** @type {(match: (e: any) => boolean, what: string, from?: number) => Promise<any>} */
  const next = (match, what, from = 0) =>
    within(
      new Promise((resolve) => {
        const look = () => {
          const found = seen.slice(from).find(match);
          if (found) resolve(found);
          else waiting.push(look);
        };
        look();
      }),
      what,
    );
  const exited = once(child, 'exit');
  const { port } = await Promise.race([
    next((e) => e.event === 'listening', 'the fixture listening'),
    exited.then(() => Promise.reject(new Error(`the fixture exited: ${stderr}`))),
  ]);
  return {
    port,
    child,
    seen,
    next,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await exited;
      }
    },
  };
}
