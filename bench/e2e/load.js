// Echo traffic against one server, switched on and off in slices so the load generator can
// alternate between two servers every fraction of a second: whatever else the machine is
// doing then lands on both servers' slices alike.
//
// Cheap by construction: one frame (or `depth` frames back to back) is built once and
// re-sent, replies are counted from frame headers, every read gets at most one write.

import { performance } from 'node:perf_hooks';
import { openMany } from './connect.js';
import { procStat } from './procfs.js';
import { EchoCounter, maskedFrame, payloadOf, repeated } from './wire.js';

export class EchoLoad {
  /**
   * @param {{host: string, port: number, pid: number}} server
   * @param {{size: number, depth: number, conns: number, batch: number, connectTimeoutMs: number, maxSamples: number}} o
   *   depth 1 = one message in flight per connection (then round-trip latency is recorded).
   */
  constructor(server, o, onFatal) {
    this.server = server;
    this.o = o;
    this.onFatal = onFatal;
    this.payload = payloadOf(o.size);
    this.frame = maskedFrame(this.payload);
    this.batch = repeated(this.frame, o.depth);
    this.conns = [];
    this.starts = [];
    this.active = false; // sending
    this.measuring = false; // counting
    this.closing = false;
    this.outstanding = 0; // messages sent and not yet echoed, over all connections
    this.count = 0;
    this.samples = new Float64Array(1 << 16);
    this.nSamples = 0;
    this.drained = null;
  }

  async open() {
    const { host, port } = this.server;
    this.conns = await openMany(host, port, this.o.conns, { batch: this.o.batch, timeoutMs: this.o.connectTimeoutMs });
    for (const conn of this.conns) this.wire(conn);
  }

  wire(conn) {
    const { socket } = conn;
    const { depth } = this.o;
    const { frame, batch } = this;
    const counter = new EchoCounter(this.payload);
    let sentAt = 0;
    socket.on('error', this.onFatal);
    socket.on('close', () => this.closing || this.onFatal(conn.error ?? new Error(`server ${this.server.port} closed a connection`)));
    conn.listen((buf, n) => {
      const k = counter.push(buf, n);
      if (k === 0) return;
      if (!(k <= depth)) return this.onFatal(new Error(counter.error ?? `${k} echoes for ${depth} in flight`));
      this.outstanding -= k;
      if (depth === 1) {
        const now = performance.now();
        if (this.measuring) {
          this.count++;
          this.record(now - sentAt);
        }
        if (this.active) {
          sentAt = now;
          socket.write(frame);
          this.outstanding++;
        }
      } else {
        if (this.measuring) this.count += k;
        if (this.active) {
          socket.write(k === depth ? batch : batch.subarray(0, k * frame.length));
          this.outstanding += k;
        }
      }
      if (!this.active && this.outstanding === 0) this.drained?.();
    });
    if (conn.error) throw conn.error;
    this.starts.push(() => {
      sentAt = performance.now();
      socket.write(batch);
      this.outstanding += depth;
    });
  }

  record(ms) {
    if (this.nSamples === this.samples.length) {
      if (this.nSamples >= this.o.maxSamples) return;
      const grown = new Float64Array(Math.min(this.samples.length * 2, this.o.maxSamples));
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.nSamples++] = ms;
  }

  /** Traffic for `ms`, then stop sending and wait until every message in flight is back. */
  async slice(ms, measure, drainTimeoutMs) {
    this.count = 0;
    this.active = true;
    const cpu0 = process.cpuUsage();
    const server0 = procStat(this.server.pid);
    const t0 = performance.now();
    this.measuring = measure;
    for (const start of this.starts) start();
    await new Promise((r) => setTimeout(r, ms));
    this.measuring = false;
    this.active = false;
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const server1 = procStat(this.server.pid);
    await this.drain(drainTimeoutMs);
    const seconds = (t1 - t0) / 1000;
    return {
      messages: this.count,
      seconds,
      msgPerSec: this.count / seconds,
      serverCpu: server0 && server1 ? (server1.cpu - server0.cpu) / seconds : null,
      serverFaultsPerMsg: server0 && server1 && this.count ? (server1.minflt - server0.minflt) / this.count : null,
      clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  }

  drain(timeoutMs) {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.outstanding} echoes still missing ${timeoutMs} ms after the slice`)),
        timeoutMs,
      );
      this.drained = () => {
        this.drained = null;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Round-trip percentiles over every measured slice (depth 1 only). */
  latency() {
    if (this.o.depth !== 1 || this.nSamples === 0) return null;
    const lat = this.samples.subarray(0, this.nSamples).sort();
    const at = (p) => lat[Math.min(this.nSamples - 1, Math.floor(p * this.nSamples))];
    return { p50: at(0.5), p99: at(0.99), samples: this.nSamples };
  }

  close() {
    this.closing = true;
    for (const { socket } of this.conns) socket.destroy();
  }
}
