// The load generator of bench/broadcast: a child process of run.js (spawned with an IPC
// channel, pinned like bench/e2e's client.js), given one job as JSON in argv[2], reporting
// one result message. Raw TCP WebSocket clients from bench/e2e (connect.js, wire.js): no
// ws or wscodec code on this side.
//
// Modes: 'fanout'   `subs` subscribers per server that never send; for each message size,
//                   one warm-up slice per server, then `slices` groups of one measured slice
//                   per server, each group in the next order of turns.js (A B C, B C A, …).
//                   A slice asks the server (HTTP, same port) to publish for sliceMs and
//                   lasts until every frame it published has arrived here.
//        'latency'  one publisher on server 1 (subscribed too: the local path) and one
//                   subscriber on server 2 (the Redis path); messages carry a sequence
//                   number, times are this process's clock.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { openMany, openWebSocket } from '../e2e/connect.js';
import { procStat } from '../e2e/procfs.js';
import { EchoCounter, maskedFrame, payloadOf } from '../e2e/wire.js';
import { turnOrder } from './turns.js';

const job = JSON.parse(process.argv[2]);
const closers = [];

let finished = false;
function finish(message, code = 0) {
  if (finished) return;
  finished = true;
  for (const close of closers) close();
  if (process.send) process.send(message, () => process.exit(code));
  else (console.log(JSON.stringify(message)), process.exit(code));
}
const fail = (err) => finish({ type: 'error', message: String(err?.message ?? err) }, 1);

// The parent is gone: nobody left to stop the servers, so stop them here.
process.on('disconnect', () => {
  for (const { pid } of job.servers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(1);
});
process.on('uncaughtException', fail);
setTimeout(() => fail(new Error(`load deadline of ${job.deadlineMs} ms passed`)), job.deadlineMs).unref();

function getJson(host, port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s) => (body += s));
      res.on('end', () => {
        try {
          const json = JSON.parse(body);
          if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode} ${json.error ?? ''}`));
          else resolve(json);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

class Subscribers {
  constructor(server) {
    this.server = server;
    this.conns = [];
    this.total = 0;
    this.target = Infinity;
    this.lastAt = 0;
    this.done = null;
    this.closing = false;
  }

  async open() {
    const { host, port } = this.server;
    this.conns = await openMany(host, port, job.subs, { batch: job.batch, timeoutMs: job.connectTimeoutMs });
    closers.push(() => this.close());
    for (const conn of this.conns) {
      conn.socket.on('error', fail);
      conn.socket.on('close', () => this.closing || fail(conn.error ?? new Error(`server ${this.server.label} closed a subscriber`)));
    }
  }

  /** Counts frames of `size` bytes from now on. */
  expect(size) {
    const payload = payloadOf(size);
    for (const conn of this.conns) {
      const counter = new EchoCounter(payload);
      conn.listen((buf, n) => {
        const k = counter.push(buf, n);
        if (k === 0) return;
        if (!(k > 0)) return fail(new Error(`${this.server.label}: ${counter.error}`));
        this.total += k;
        if (this.total >= this.target) {
          this.lastAt = performance.now();
          this.done?.();
        }
      });
    }
  }

  /** Publishing for `ms`; resolves once every published frame has arrived. */
  async slice(size, ms) {
    this.total = 0;
    this.target = Infinity;
    const cpu0 = process.cpuUsage();
    const server0 = procStat(this.server.pid);
    const t0 = performance.now();
    const r = await getJson(this.server.host, this.server.port, `/publish?size=${size}&ms=${ms}&batch=${job.batchOf[size]}`);
    if (r.subscribers !== this.conns.length)
      throw new Error(`${this.server.label}: ${r.subscribers} subscribers, ${this.conns.length} connected`);
    const expected = r.messages * this.conns.length;
    if (this.total < expected) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `${this.server.label}: ${expected - this.total} of ${expected} frames still missing ${job.drainTimeoutMs} ms after publishing`,
              ),
            ),
          job.drainTimeoutMs,
        );
        this.target = expected;
        this.done = () => {
          this.done = null;
          clearTimeout(timer);
          resolve();
        };
      });
    } else {
      this.lastAt = performance.now();
    }
    if (this.total !== expected) throw new Error(`${this.server.label}: ${this.total} frames for ${expected} published`);
    const seconds = (this.lastAt - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const server1 = procStat(this.server.pid);
    return {
      messages: r.messages,
      deliveries: expected,
      seconds,
      deliveriesPerSec: expected / seconds,
      stalls: r.stalls,
      serverCpu: server0 && server1 ? (server1.cpu - server0.cpu) / seconds : null,
      clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  }

  close() {
    this.closing = true;
    for (const { socket } of this.conns) socket.destroy();
  }
}

async function fanout() {
  const groups = job.servers.map((s) => new Subscribers(s));
  for (const g of groups) await g.open();
  const out = {};
  for (const size of job.sizes) {
    for (const g of groups) g.expect(size);
    for (const g of groups) await g.slice(size, job.warmMs);
    const slices = groups.map(() => []);
    for (let group = 0; group < job.slices; group++) {
      for (const i of turnOrder(groups.length, group)) slices[i].push(await groups[i].slice(size, job.sliceMs));
    }
    out[size] = slices;
  }
  return { type: 'result', sizes: out };
}

/** Minimal reader of small unmasked binary frames whose payload starts with a u32 sequence number. */
function seqReader(onSeq) {
  let buf = Buffer.alloc(0);
  return (chunk, n) => {
    buf = Buffer.concat([buf, chunk.subarray(0, n)]);
    for (;;) {
      if (buf.length < 2) return;
      const len7 = buf[1] & 0x7f;
      const hl = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
      if (buf.length < hl) return;
      const len = len7 < 126 ? len7 : len7 === 126 ? buf.readUInt16BE(2) : Number(buf.readBigUInt64BE(2));
      if (buf.length < hl + len) return;
      const opcode = buf[0] & 0x0f;
      if (opcode === 8) return fail(new Error('server sent a close frame'));
      if (opcode === 2 && len >= 4) onSeq(buf.readUInt32BE(hl), performance.now());
      buf = buf.subarray(hl + len);
    }
  };
}

async function latency() {
  const [s1, s2] = job.servers;
  const pub = await openWebSocket(s1.host, s1.port, job.connectTimeoutMs);
  const remote = await openWebSocket(s2.host, s2.port, job.connectTimeoutMs);
  closers.push(() => (pub.socket.destroy(), remote.socket.destroy()));
  for (const c of [pub, remote]) {
    c.socket.on('error', fail);
    c.socket.on('close', () => finished || fail(c.error ?? new Error('a server closed a connection')));
  }
  const n = job.messages;
  const PROBE = 0xffffffff; // warm-up messages, not measured
  const sentAt = new Float64Array(n);
  const localAt = new Float64Array(n);
  const remoteAt = new Float64Array(n);
  let dupLocal = 0;
  let dupRemote = 0;
  let remoteCount = 0;
  let localCount = 0;
  let probeSeen = null;
  let allIn = null;
  const check = () => localCount === n && remoteCount === n && allIn?.();
  pub.listen(
    seqReader((seq, t) => {
      if (seq === PROBE || seq >= n) return;
      if (localAt[seq]) dupLocal++;
      else ((localAt[seq] = t), localCount++, check());
    }),
  );
  remote.listen(
    seqReader((seq, t) => {
      if (seq === PROBE) return probeSeen?.();
      if (seq >= n) return;
      if (remoteAt[seq]) dupRemote++;
      else ((remoteAt[seq] = t), remoteCount++, check());
    }),
  );
  const frameOf = (seq) => {
    const p = Buffer.alloc(job.size);
    p.writeUInt32BE(seq, 0);
    return maskedFrame(p);
  };
  // Until the subscription on server 2 has reached Redis, publishes from server 1 go nowhere:
  // probe until one arrives, then a few more to warm both paths.
  const probe = frameOf(PROBE);
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    probeSeen = resolve;
    const tick = () => {
      if (!probeSeen) return;
      if (performance.now() - t0 > job.connectTimeoutMs) return reject(new Error('no message crossed the Redis backplane'));
      pub.socket.write(probe);
      setTimeout(tick, 20);
    };
    tick();
  });
  probeSeen = null;
  for (let i = 0; i < job.warmMessages; i++) {
    pub.socket.write(probe);
    await new Promise((r) => setTimeout(r, job.intervalMs));
  }
  await new Promise((r) => setTimeout(r, 100));
  const done = new Promise((resolve, reject) => {
    allIn = resolve;
    closers.push(() => reject(new Error('closed')));
  });
  for (let seq = 0; seq < n; seq++) {
    const frame = frameOf(seq);
    sentAt[seq] = performance.now();
    pub.socket.write(frame);
    await new Promise((r) => setTimeout(r, job.intervalMs));
  }
  const timeout = new Promise((resolve) => setTimeout(resolve, job.drainTimeoutMs));
  await Promise.race([done, timeout]);
  const local = [];
  const viaRedis = [];
  const added = [];
  for (let i = 0; i < n; i++) {
    if (localAt[i]) local.push(localAt[i] - sentAt[i]);
    if (remoteAt[i]) viaRedis.push(remoteAt[i] - sentAt[i]);
    if (localAt[i] && remoteAt[i]) added.push(remoteAt[i] - localAt[i]);
  }
  return {
    type: 'result',
    messages: n,
    local,
    viaRedis,
    added,
    missing: { local: n - localCount, remote: n - remoteCount },
    duplicates: { local: dupLocal, remote: dupRemote },
  };
}

(job.mode === 'latency' ? latency() : fanout()).then(finish, fail);
