// Shared tools for the attack tests: a server in a child process (the `wscodec echo` CLI
// or fixture-server.js), its RSS and fd count read from /proc, a raw WebSocket client
// that writes masked frames itself and parses what the server sends back, and small
// waiting helpers. Nothing here imports the library: the attacker speaks bytes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { OP, frame } from '../helpers/frames.js';

export { sleep };

export const CLI = fileURLToPath(new URL('../../bin/wscodec.js', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('./fixture-server.js', import.meta.url));
export const GC_HOOK = fileURLToPath(new URL('./gc-hook.js', import.meta.url));
export const MiB = 1024 * 1024;

export { OP };

// Every child this process starts, so an abrupt exit still kills them.
const children = new Set();
process.once('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/**
 * Starts a server in a child process and waits for its "listening on ws://…" line.
 * `args`: the CLI's arguments after `echo`, or, with `fixture: options`, fixture-server.js
 * with those WebSocketServer options. The child is stopped by t.after (SIGTERM, then
 * SIGKILL after 5 s). With `gcHook`, gc-hook.js is preloaded and `gc()` makes the server
 * collect garbage and report its memory. Returns { pid, port, url, lines (stdout lines so
 * far), waitForLine, gc, stop, … }.
 * @param {import('node:test').TestContext} t
 * @param {{ args?: string[], fixture?: object, env?: NodeJS.ProcessEnv, gcHook?: boolean }} [options]
 */
export async function startServer(t, { args = [], fixture, env, gcHook = false } = {}) {
  const argv = [
    ...(gcHook ? ['--expose-gc', '--import', GC_HOOK] : []),
    ...(fixture !== undefined ? [FIXTURE, JSON.stringify(fixture)] : [CLI, 'echo', '--port', '0', '--host', '127.0.0.1', ...args]),
  ];
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  t.after(stop);

  const lines = [];
  const lineWaiters = new Set();
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    out += chunk;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
    for (const w of lineWaiters) w();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    err += chunk;
  });

  const waitForLine = (re, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => re.test(l));
        if (line !== undefined) {
          lineWaiters.delete(check);
          clearTimeout(timer);
          resolve(line);
        }
      };
      const timer = setTimeout(() => {
        lineWaiters.delete(check);
        reject(new Error(`no line matching ${re} within ${ms} ms; stdout: ${JSON.stringify(lines)}; stderr: ${JSON.stringify(err)}`));
      }, ms);
      lineWaiters.add(check);
      check();
    });

  let line;
  try {
    line = await Promise.race([
      waitForLine(/listening on ws:\/\/127\.0\.0\.1:\d+/, 15_000),
      exited.then(({ code, signal }) => {
        throw new Error(`server exited early (${code ?? signal}): ${err}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)/.exec(line)[1]);
  let gcSeq = 0;
  /** (gcHook) Full GC in the server; resolves to { rss, heapUsed, external, arrayBuffers } in bytes. */
  const gc = async () => {
    assert.ok(gcHook, 'startServer({ gcHook: true }) for gc()');
    const seq = ++gcSeq;
    child.kill('SIGUSR2');
    const reported = await waitForLine(new RegExp(`^gc ${seq} `), 10_000);
    const figures = {};
    for (const [, k, v] of reported.matchAll(/(\w+)=(\d+)/g)) figures[k] = Number(v);
    return figures;
  };
  return {
    pid: child.pid,
    port,
    url: `ws://127.0.0.1:${port}`,
    banner: line,
    backend: /backend: (\w+)/.exec(line)?.[1] ?? 'unknown',
    lines,
    waitForLine,
    gc,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop,
  };
}

/** Resident set size of a process in bytes (VmRSS). */
export function rss(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `VmRSS of ${pid}`);
  return Number(m[1]) * 1024;
}

/** Peak resident set size of a process in bytes (VmHWM). */
export function peakRss(pid) {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `VmHWM of ${pid}`);
  return Number(m[1]) * 1024;
}

/** Open file descriptors of a process. */
export function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Samples RSS every `every` ms until stop() is called; stop() returns the peak: the largest
 * value sampled or the kernel's high-water mark (VmHWM), whichever is higher. VmHWM never
 * misses a spike between samples, though it also remembers anything before sampling began,
 * so the figure can only overstate growth.
 */
export function sampleRss(pid, every = 5) {
  let max = rss(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rss(pid));
    } catch {
      /* exited */
    }
  }, every);
  return () => {
    clearInterval(timer);
    try {
      max = Math.max(max, rss(pid), peakRss(pid));
    } catch {
      /* exited */
    }
    return max;
  };
}

export const mib = (n) => `${(n / MiB).toFixed(1)} MiB`;

/** Resolves with `promise`'s value, or with `fallback` after `ms` (an unref'd timer: it never holds the process). */
export function within(promise, ms, fallback = undefined) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, fallback);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `fn` until it returns a truthy value or `ms` pass; returns the last value. */
export async function waitUntil(fn, ms, every = 25) {
  const deadline = Date.now() + ms;
  let v = fn();
  while (!v && Date.now() < deadline) {
    await sleep(every);
    v = fn();
  }
  return v;
}

/** A random 4-byte mask key with at least one non-zero byte. */
export function maskKey() {
  const key = randomBytes(4);
  if (key.readUInt32BE(0) === 0) key[0] = 1;
  return key;
}

/**
 * One client frame: masked (as RFC 6455 §5.3 requires), minimal length form.
 * o: { fin = true, rsv1 = false, key = random }
 * @param {number} opcode
 * @param {string | Uint8Array} [payload]
 * @param {{ fin?: boolean, rsv1?: boolean, key?: Uint8Array }} [o]
 */
export function clientFrame(opcode, payload = Buffer.alloc(0), o = {}) {
  const bytes = frame({ opcode, payload, fin: o.fin ?? true, rsv1: o.rsv1, mask: o.key ?? maskKey() });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function closeFrame(code = 1000, reason = '') {
  const r = Buffer.from(reason);
  const payload = Buffer.alloc(2 + r.length);
  payload.writeUInt16BE(code, 0);
  r.copy(payload, 2);
  return clientFrame(OP.CLOSE, payload);
}

/** Parses unmasked server frames off a byte stream. */
export class FrameReader {
  constructor() {
    this.buffer = Buffer.alloc(0);
    this.frames = [];
    this.bytes = 0;
    this.error = null;
  }

  push(chunk) {
    this.bytes += chunk.length;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (masked) {
        this.error = new Error('server sent a masked frame');
        at += 4;
      }
      if (b.length < at + len) return;
      const frame = {
        fin: (b[0] & 0x80) !== 0,
        rsv1: (b[0] & 0x40) !== 0,
        opcode: b[0] & 0x0f,
        payload: b.subarray(at, at + len),
      };
      if (frame.opcode === OP.CLOSE) {
        frame.code = len >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        frame.reason = len > 2 ? frame.payload.subarray(2).toString() : '';
      }
      this.frames.push(frame);
      this.buffer = b.subarray(at + len);
    }
  }

  find(opcode) {
    return this.frames.find((f) => f.opcode === opcode);
  }

  count(opcode) {
    let n = 0;
    for (const f of this.frames) if (f.opcode === opcode) n++;
    return n;
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The bytes of an upgrade request head (RFC 6455 §4.1).
 * @param {number} port
 * @param {{ extensions?: string, path?: string }} [options]
 */
export function upgradeRequest(port, { extensions, path = '/' } = {}) {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (extensions) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * Opens a TCP connection and completes a WebSocket handshake with raw bytes.
 * Resolves to a RawClient once the 101 head is read (rejects on anything else or after `timeout`).
 * @param {number} port
 * @param {{ extensions?: string, timeout?: number }} [options]
 * @returns {Promise<RawClient>}
 */
export function rawConnect(port, { extensions, timeout = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`handshake not done in ${timeout} ms`)), timeout);
    function fail(err) {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
      const text = head.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(text)) {
        socket.destroy();
        reject(new Error(`expected 101, got ${JSON.stringify(text)}`));
        return;
      }
      resolve(new RawClient(socket, text, head.subarray(end + 4)));
    };
    const onClose = () => fail(new Error(`closed during the handshake; got ${JSON.stringify(head.toString('latin1'))}`));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    socket.setNoDelay(true);
    socket.write(upgradeRequest(port, { extensions }));
  });
}

/** A connected raw client: frames it receives are parsed into `reader.frames`. */
export class RawClient {
  constructor(socket, head, rest) {
    this.socket = socket;
    this.head = head;
    this.reader = new FrameReader();
    this.ended = false; // the server's FIN arrived
    this.closed = false;
    this.socketError = null;
    this.endedAt = 0;
    this.closedAt = 0;
    this.waiters = new Set();
    socket.on('data', (chunk) => {
      this.reader.push(chunk);
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.endedAt = performance.now();
      this.notify();
    });
    socket.on('error', (err) => {
      this.socketError = err;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = performance.now();
      this.notify();
    });
    if (rest.length > 0) this.reader.push(rest);
  }

  notify() {
    for (const w of this.waiters) w();
  }

  /** Resolves with fn()'s first truthy value; rejects after `ms`. */
  waitFor(fn, ms, what = 'condition') {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v;
        try {
          v = fn();
        } catch (e) {
          done();
          reject(e);
          return;
        }
        if (v) {
          done();
          resolve(v);
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${what}: not within ${ms} ms (frames ${this.reader.frames.length}, ended ${this.ended}, closed ${this.closed}, error ${this.socketError?.code})`,
          ),
        );
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  /** Writes bytes; resolves once they are handed to the kernel (or the socket is gone). */
  write(bytes) {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) {
        resolve(false);
        return;
      }
      this.socket.write(bytes, (err) => resolve(!err));
    });
  }

  /** Sends a text message and waits for its echo (one text frame back). */
  async echo(text, ms = 10_000) {
    const before = this.reader.frames.length;
    await this.write(clientFrame(OP.TEXT, text));
    const frame = await this.waitFor(() => this.reader.frames.slice(before).find((f) => f.opcode === OP.TEXT), ms, 'echo');
    return frame.payload.toString();
  }

  /** Close handshake from our side: close frame, wait for the server's, then FIN. */
  async closeCleanly(ms = 10_000) {
    await this.write(closeFrame(1000));
    await this.waitFor(() => this.reader.find(OP.CLOSE) || this.closed, ms, 'server close frame');
    this.socket.end();
    await this.waitFor(() => this.closed, ms, 'socket closed');
  }

  destroy() {
    this.socket.destroy();
  }
}
