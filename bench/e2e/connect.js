// Opening client connections: raw TCP plus a hand-written HTTP/1.1 Upgrade, in bounded
// batches so the server's accept backlog never has to drop a SYN.
//
// Reads use net's `onread` option: the kernel copies into one preallocated buffer shared by
// every socket of the process and the callback gets (buffer, length), so no Buffer is
// allocated and no 'data' event emitted per read. Handlers must not keep that buffer.

import net from 'node:net';
import { ACCEPT, upgradeRequest } from './wire.js';

const END = Buffer.from('\r\n\r\n');
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/** One client connection; bytes go to `onBytes(buffer, length)` once `listen` is called. */
class Connection {
  constructor(host, port) {
    this.onBytes = null;
    this.pending = []; // copies of bytes that arrived while nobody listened
    this.error = null; // first socket error, recorded rather than thrown
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (n, buf) => this.read(buf, n) },
    });
    this.socket.on('error', (err) => (this.error ??= err));
  }

  read(buf, n) {
    if (this.onBytes) this.onBytes(buf, n);
    else this.pending.push(Buffer.from(buf.subarray(0, n)));
  }

  listen(onBytes) {
    this.onBytes = onBytes;
    for (const chunk of this.pending.splice(0)) onBytes(chunk, chunk.length);
  }
}

/** Resolves with a Connection once the server answered 101 with the right Sec-WebSocket-Accept. */
export function openWebSocket(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const conn = new Connection(host, port);
    const { socket } = conn;
    let head = Buffer.alloc(0);
    let timer;
    const fail = (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const onClose = () => fail(conn.error ?? new Error('closed during the handshake'));
    timer = setTimeout(() => fail(new Error(`handshake not done within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(upgradeRequest(host, port)));
    socket.once('close', onClose);
    conn.listen((buf, n) => {
      head = Buffer.concat([head, buf.subarray(0, n)]);
      const end = head.indexOf(END);
      if (end < 0) {
        if (head.length > 16384) fail(new Error('response headers over 16 KiB'));
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(text)) return fail(new Error(`upgrade refused: ${text.split('\r\n')[0]}`));
      const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(text)?.[1];
      if (accept !== ACCEPT) return fail(new Error(`bad Sec-WebSocket-Accept ${accept}`));
      if (/\r\nsec-websocket-extensions:/i.test(text))
        return fail(new Error('server negotiated an extension; both servers must run without permessage-deflate'));
      clearTimeout(timer);
      socket.removeListener('close', onClose);
      conn.onBytes = null;
      if (end + 4 < head.length) conn.pending.push(head.subarray(end + 4));
      resolve(conn);
    });
  });
}

/** Opens `count` connections, at most `batch` handshakes in flight at a time. */
export async function openMany(host, port, count, { batch = 200, timeoutMs = 10_000 } = {}) {
  const out = [];
  try {
    while (out.length < count) {
      const n = Math.min(batch, count - out.length);
      const settled = await Promise.allSettled(Array.from({ length: n }, () => openWebSocket(host, port, timeoutMs)));
      for (const s of settled) if (s.status === 'fulfilled') out.push(s.value);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw new Error(`connection ${out.length + 1} of ${count}: ${failed.reason.message}`);
    }
  } catch (err) {
    for (const c of out) c.socket.destroy();
    throw err;
  }
  return out;
}
