// One WebSocket connection as the harness sees it once the handshake is done. The
// harness plays a correct endpoint (it answers pings and close frames, masks when it
// is the client) while a case drives it to send anything at all, chopped and paced as
// the case wants. Everything the peer under test does is recorded: the messages and
// pongs it sends (the trace), its close frame and when it came, who ended TCP, and the
// first protocol rule it broke.
import { setTimeout as sleep } from 'node:timers/promises';
import { buildFrame, closePayload, FrameReader, OP, toBytes } from './frames.js';
import { createPmdCodec, pmdCodecOptions } from '../data/pmd.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function validCloseCode(code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export class Peer {
  /**
   * @param {import('node:net').Socket} socket  a connected net.Socket, past the HTTP head
   * @param {object} options
   * @param {'client' | 'server'} options.role  what the harness is: 'client' or 'server'
   * @param {ReturnType<typeof import('../data/pmd.js').parseExtensionResponse>} [options.deflate]
   *   negotiated permessage-deflate params, or null
   * @param {Uint8Array} [options.rest]  bytes that came after the HTTP head
   * @param {number} [options.maxMessage]  largest message the harness will assemble
   */
  constructor(socket, { role, deflate = null, rest, maxMessage = 64 * 1024 * 1024 }) {
    this.socket = socket;
    this.role = role;
    this.deflate = deflate;
    this.maxMessage = maxMessage;
    this.startedAt = performance.now();
    this.reader = new FrameReader({ peerIsClient: role === 'server', allowRsv1: deflate !== null });
    this.codec = deflate ? createPmdCodec(codecParams(role, deflate)) : null;
    this.trace = [];
    this.pings = [];
    this.marks = [];
    this.violation = null;
    this.peerClose = null; // { code, reason, marks, initiated, at }
    this.closeSent = null; // { code, at }
    this.message = null; // the data message being assembled
    this.peerEndedTcp = false;
    this.harnessEndedTcp = false;
    this.tcpTimedOut = false;
    this.socketError = null;
    this.writesRefused = 0;
    this.closed = false;
    this.work = Promise.resolve();
    this.waiters = new Set();
    this.closedPromise = new Promise((resolve) => socket.once('close', resolve)).then(() => {
      this.closed = true;
      this.closedAt = performance.now();
      this.codec?.close();
      this.wake();
    });
    socket.on('error', (/** @type {NodeJS.ErrnoException} */ err) => {
      this.socketError ??= err.code ?? err.message;
    });
    socket.on('end', () => {
      this.peerEndedTcp = !this.harnessEndedTcp;
      this.wake();
    });
    socket.on('data', (chunk) => this.receive(chunk));
    if (rest && rest.length > 0) this.receive(rest);
  }

  get open() {
    return !this.closed && !this.socket.destroyed;
  }

  /** Records a point in the case's script; the peer's close is judged against marks. */
  mark(name) {
    this.marks.push(name);
  }

  // ---- sending -------------------------------------------------------------

  /**
   * Sends one frame described as for buildFrame; the mask follows the harness's role.
   * @param {import('./frames.js').FrameSpec} spec
   * @param {{ chop?: number, delayMs?: number }} [pacing]
   */
  send(spec, pacing) {
    return this.sendRaw(this.frameBytes(spec), pacing);
  }

  /**
   * A frame's bytes, masked as the harness's role requires; a close frame is noted as sent.
   * @param {import('./frames.js').FrameSpec} spec
   */
  frameBytes(spec) {
    if (spec.opcode === OP.CLOSE && !this.closeSent) {
      const p = toBytes(spec.payload);
      this.closeSent = { code: p.length >= 2 ? (p[0] << 8) | p[1] : 1005, at: performance.now() };
    }
    return buildFrame({ ...spec, mask: spec.mask ?? this.role === 'client' });
  }

  /**
   * Writes bytes, optionally in `chop`-byte pieces with `delayMs` between them.
   * @param {Uint8Array} bytes
   * @param {{ chop?: number, delayMs?: number }} [pacing]
   */
  async sendRaw(bytes, { chop = 0, delayMs = 0 } = {}) {
    const step = chop > 0 ? chop : bytes.length || 1;
    for (let at = 0; at < bytes.length; at += step) {
      if (!this.open) {
        this.writesRefused++;
        return false;
      }
      const ok = this.socket.write(bytes.subarray(at, at + step));
      if (!ok) await this.drained();
      if (delayMs > 0 && at + step < bytes.length) await sleep(delayMs);
    }
    return true;
  }

  drained() {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /**
   * A whole data message, possibly compressed and split into `fragmentSize` frames.
   * @param {string | Uint8Array | number[]} data
   * @param {{ binary?: boolean, fragmentSize?: number, compress?: boolean, chop?: number, delayMs?: number }} [options]
   */
  async sendMessage(data, { binary = false, fragmentSize = 0, compress = false, chop, delayMs } = {}) {
    let body = toBytes(data);
    if (compress) {
      if (!this.codec) throw new Error('sendMessage: compression asked for but not negotiated');
      body = await this.codec.compress(body);
    }
    const opcode = binary ? OP.BINARY : OP.TEXT;
    if (!(fragmentSize > 0) || body.length <= fragmentSize) {
      return this.send({ opcode, payload: body, rsv1: compress }, { chop, delayMs });
    }
    for (let at = 0; at < body.length; at += fragmentSize) {
      const first = at === 0;
      const fin = at + fragmentSize >= body.length;
      const sent = await this.send(
        {
          opcode: first ? opcode : OP.CONT,
          payload: body.subarray(at, at + fragmentSize),
          fin,
          rsv1: compress && first,
        },
        { chop, delayMs },
      );
      if (!sent) return false;
    }
    return true;
  }

  ping(payload) {
    return this.send({ opcode: OP.PING, payload });
  }

  pong(payload) {
    return this.send({ opcode: OP.PONG, payload });
  }

  /**
   * Starts the closing handshake (no code: an empty close payload).
   * @param {number} [code]
   * @param {string | Uint8Array} [reason]
   */
  sendClose(code, reason = '') {
    if (this.closeSent) return Promise.resolve(false);
    return this.send({ opcode: OP.CLOSE, payload: closePayload(code, reason) });
  }

  // ---- waiting -------------------------------------------------------------

  wake() {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves true when `test()` holds, false after `timeoutMs` or once the socket is closed. */
  waitUntil(test, timeoutMs) {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (test()) finish(true);
        else if (this.closed) finish(false);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (value) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      this.waiters.add(check);
    });
  }

  /** Waits until the trace holds `n` items (messages and pongs). */
  waitForTrace(n, timeoutMs = 10_000) {
    return this.waitUntil(() => this.trace.length >= n, timeoutMs);
  }

  /** A pause that ends early if the peer closes (frame or TCP): how fail-fast is observed. */
  waitForPeerClose(timeoutMs) {
    return this.waitUntil(() => this.peerClose !== null || this.peerEndedTcp || this.closed, timeoutMs);
  }

  /** Waits for the TCP connection to close; past `timeoutMs` the harness drops it. */
  async waitForTcpClose(timeoutMs) {
    const closed = await this.waitUntil(() => this.closed, timeoutMs);
    if (!closed) {
      this.tcpTimedOut = true;
      this.harnessEndedTcp = true;
      this.socket.destroy();
      await this.closedPromise;
    }
  }

  // ---- receiving -----------------------------------------------------------

  receive(chunk) {
    const frames = this.reader.push(chunk);
    const marks = this.marks.length;
    for (const frame of frames) {
      frame.marks = marks;
      this.work = this.work.then(() => this.handleFrame(frame));
    }
    if (this.reader.violation) this.work = this.work.then(() => this.violate(this.reader.violation));
    this.work = this.work.catch((err) => this.violate(`harness error: ${err.message}`));
  }

  /** The peer broke a rule: remember the first one and fail the connection (close 1002). */
  violate(reason) {
    if (this.violation) return;
    this.violation = reason;
    this.sendClose(1002).then(() => this.endTcpIfServer());
    this.wake();
  }

  async handleFrame(frame) {
    if (this.violation) return;
    if (this.peerClose) return this.violate('a frame after the close frame');
    if (frame.opcode >= 8) return this.handleControl(frame);
    if (frame.opcode !== OP.CONT) {
      if (this.message) return this.violate('a new message before the fragmented one ended');
      this.message = { binary: frame.opcode === OP.BINARY, compressed: frame.rsv1, parts: [], length: 0 };
    } else {
      if (!this.message) return this.violate('a continuation frame with no message to continue');
      if (frame.rsv1) return this.violate('RSV1 on a continuation frame');
    }
    const m = this.message;
    m.parts.push(frame.payload);
    m.length += frame.payload.length;
    if (m.length > this.maxMessage) return this.violate('a message larger than the harness accepts');
    if (!frame.fin) return;
    this.message = null;
    /** @type {Uint8Array} */
    let bytes = Buffer.concat(m.parts);
    if (m.compressed) {
      try {
        bytes = await this.codec.decompress(bytes, { maxBytes: this.maxMessage });
      } catch (err) {
        return this.violate(`a compressed message that does not inflate (${err.message})`);
      }
    }
    if (!m.binary) {
      try {
        strictUtf8.decode(bytes);
      } catch {
        return this.violate('a text message that is not valid UTF-8');
      }
    }
    this.trace.push({ type: 'message', binary: m.binary, bytes, compressed: m.compressed });
    this.wake();
  }

  handleControl(frame) {
    if (frame.opcode === OP.PING) {
      this.pings.push(frame.payload);
      if (!this.closeSent) this.pong(frame.payload);
      return;
    }
    if (frame.opcode === OP.PONG) {
      this.trace.push({ type: 'pong', bytes: frame.payload });
      this.wake();
      return;
    }
    const p = frame.payload;
    if (p.length === 1) return this.violate('a close payload of 1 byte');
    const code = p.length >= 2 ? (p[0] << 8) | p[1] : 1005;
    if (p.length >= 2 && !validCloseCode(code)) return this.violate(`a close frame with code ${code}`);
    let reason;
    try {
      reason = strictUtf8.decode(p.subarray(2));
    } catch {
      return this.violate('a close reason that is not valid UTF-8');
    }
    this.peerClose = {
      code,
      reason,
      marks: frame.marks,
      initiated: this.closeSent === null,
      at: performance.now() - this.startedAt,
    };
    // Answer as a correct endpoint would: echo the code, then (as the server) end TCP.
    const answered = this.closeSent ? Promise.resolve() : this.sendClose(p.length >= 2 ? code : undefined);
    answered.then(() => this.endTcpIfServer());
    this.wake();
  }

  /** The server ends TCP once the closing handshake is done (RFC 6455 §7.1.1). */
  endTcpIfServer() {
    if (this.role !== 'server' || !this.open) return;
    if (!(this.closeSent && (this.peerClose || this.violation))) return;
    this.harnessEndedTcp = true;
    this.socket.end();
  }

  /** What the verdict needs, as plain data. */
  summary() {
    return {
      trace: this.trace,
      peerClose: this.peerClose,
      closeSent: this.closeSent,
      violation: this.violation,
      marks: this.marks,
      peerEndedTcp: this.peerEndedTcp,
      harnessEndedTcp: this.harnessEndedTcp,
      tcpTimedOut: this.tcpTimedOut,
      socketError: this.socketError,
      writesRefused: this.writesRefused,
    };
  }
}

/** Which window and context rules apply to what the harness sends and receives. */
function codecParams(role, agreed) {
  // Inflating with the negotiated window (not 15) is what catches a peer that reaches further back.
  const options = pmdCodecOptions(agreed, role);
  for (const key of ['deflateWindowBits', 'inflateWindowBits']) options[key] ??= 15;
  return options;
}
