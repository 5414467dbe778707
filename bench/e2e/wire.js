// The load generator's side of the wire: the upgrade and the echo counter written from
// RFC 6455 by hand, frames from the tests' independent builder (test/helpers/frames.js), so
// the client shares no code with either server (neither ws nor wscodec is imported here).

import { createHash } from 'node:crypto';
import { OP, frame } from '../../test/helpers/frames.js';

// One fixed key and one fixed mask for every connection and frame: the servers cannot tell,
// and it lets every frame be built once, before timing.
const KEY = 'd3Njb2RlYy1lMmUtYmVuIQ=='; // base64 of the 16 bytes "wscodec-e2e-ben!"
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
export const ACCEPT = createHash('sha1').update(`${KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

export function upgradeRequest(host, port) {
  return Buffer.from(
    `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'latin1',
  );
}

/** The bytes a server must echo back: deterministic, not all zero (so masking shows). */
export function payloadOf(size) {
  const p = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) p[i] = (i * 31 + 7) & 0xff;
  return p;
}

/** One FIN binary frame, masked (client → server frames must be). */
export function maskedFrame(payload) {
  const bytes = frame({ opcode: OP.BINARY, payload, mask: MASK });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** `count` copies of `frame` back to back, so k replies can be answered with one write. */
export function repeated(frame, count) {
  const out = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(out, i * frame.length);
  return out;
}

/**
 * Counts complete messages in the server's (unmasked) byte stream by reading frame headers
 * only; payload bytes are skipped, except for the first message, which is compared with
 * what was sent. A header split across reads is kept in a 14-byte spill area.
 */
export class EchoCounter {
  constructor(expected) {
    this.expected = expected; // payload every echoed message must equal
    this.spill = Buffer.allocUnsafe(14);
    this.spillLen = 0;
    this.left = 0; // payload bytes of the current frame still to skip
    this.fin = false;
    this.inMessage = false; // inside a fragmented message
    this.msgLen = 0; // bytes of the current message so far (fragments add up)
    this.checkAt = 0; // < 0 once the first message has been compared
    this.error = null;
  }

  /** Reads chunk[0..n); returns the number of messages it completed, NaN once the stream is wrong. */
  push(chunk, n = chunk.length) {
    let i = 0;
    let done = 0;
    while (i < n && !this.error) {
      if (this.left > 0) {
        const take = Math.min(this.left, n - i);
        if (this.checkAt >= 0) this.compare(chunk, i, take);
        i += take;
        this.left -= take;
        if (this.left === 0 && this.frameEnd()) done++;
        continue;
      }
      if (this.spillLen === 0) {
        const hl = n - i >= 2 ? this.header(chunk, i, n) : 0;
        if (hl === 0) {
          chunk.copy(this.spill, 0, i, n);
          this.spillLen = n - i;
          break;
        }
        i += hl;
      } else {
        // A header began in an earlier read: complete it in the spill area.
        const had = this.spillLen;
        const add = Math.min(14 - had, n - i);
        chunk.copy(this.spill, had, i, i + add);
        const hl = had + add >= 2 ? this.header(this.spill, 0, had + add) : 0;
        if (hl === 0) {
          this.spillLen = had + add;
          break;
        }
        this.spillLen = 0;
        i += hl - had;
      }
      if (this.left === 0 && this.frameEnd()) done++;
    }
    return this.error ? NaN : done;
  }

  /** Parses one header at buf[i..end); returns its length, or 0 when it is incomplete. */
  header(buf, i, end) {
    const b0 = buf[i];
    const b1 = buf[i + 1];
    const len7 = b1 & 0x7f;
    const hl = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
    if (end - i < hl) return 0;
    const opcode = b0 & 0x0f;
    if (b1 & 0x80) this.error = 'server frame is masked';
    else if (opcode === 8) this.error = 'server sent a close frame';
    else if (opcode !== 2 && opcode !== 0) this.error = `unexpected opcode ${opcode} (binary 2 expected)`;
    else if ((opcode === 0) !== this.inMessage) this.error = 'fragments out of order';
    this.fin = (b0 & 0x80) !== 0;
    this.inMessage = !this.fin;
    this.left = len7 < 126 ? len7 : len7 === 126 ? buf.readUInt16BE(i + 2) : buf.readUInt32BE(i + 2) * 2 ** 32 + buf.readUInt32BE(i + 6);
    this.msgLen += this.left;
    return hl;
  }

  compare(buf, i, length) {
    const at = this.checkAt;
    if (at + length > this.expected.length || this.expected.compare(buf, i, i + length, at, at + length) !== 0) {
      this.error = 'echoed payload differs from what was sent';
    }
    this.checkAt = at + length;
  }

  /** A frame's payload is complete; true when that completes a message. */
  frameEnd() {
    if (!this.fin) return false;
    if (this.msgLen !== this.expected.length) this.error = `echo of ${this.msgLen} bytes, ${this.expected.length} sent`;
    if (this.checkAt >= 0 && this.expected.length > 0) this.checkAt = -1;
    this.msgLen = 0;
    return true;
  }
}
