// Decode inputs: masked client→server frames packed back to back and cut into ~256 KiB
// "socket reads". Frames are encoded here, independently of the library under test, so
// a bug in wscodec's encoder cannot hide a bug in its decoder: by the tests' shared frame
// builder (test/helpers/frames.js).

import { frame } from '../test/helpers/frames.js';
import { mulberry32, randBytes } from '../test/helpers/prng.js';

export const READ_SIZE = 256 * 1024;
/** Reads per cycle: the frame stream of one case is ~4 reads long and ends on a frame boundary. */
export const READS_PER_CYCLE = 4;

export const DECODE_SIZES = [16, 125, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];
/** The one size sent as text; the others are binary. */
export const TEXT_SIZE = 125;

export function sizeLabel(n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** `n` seeded random bytes (test/helpers/prng.js, so every run decodes the same bytes) as a Buffer. */
export function randomBytes(rand, n) {
  const bytes = randBytes(rand, n);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A mask key that is never all zero: ws skips unmasking for a zero key. */
export function maskKey(rand) {
  const key = randomBytes(rand, 4);
  if ((key[0] | key[1] | key[2] | key[3]) === 0) key[0] = 1;
  return key;
}

const WORDS = [
  'hey',
  'ok',
  'see',
  'you',
  'at',
  'the',
  'meeting',
  'tomorrow',
  'sounds',
  'good',
  'lol',
  'deploy',
  'is',
  'done',
  'thanks',
  'for',
  'review',
  'café',
  'naïve',
  'über',
  'déjà',
  'vu',
  '👍',
  '🎉',
  '—',
  'ok!',
  'ship',
  'it',
  'merge',
  'later',
  'après',
  'lunch',
  '日本',
  'ça',
  'va',
];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'zoë', 'mallory'];
const ROOMS = ['general', 'random', 'ops', 'dev'];

/**
 * A chat message as JSON, exactly `bytes` UTF-8 bytes: mostly ASCII with the odd
 * accented letter or emoji, like real chat traffic.
 */
export function chatText(rand, bytes) {
  const pick = (list) => list[(rand() * list.length) | 0];
  const head = `{"type":"msg","room":"${pick(ROOMS)}","user":"${pick(USERS)}","id":${(rand() * 1e6) | 0},"text":"`;
  const tail = '"}';
  let budget = bytes - Buffer.byteLength(head) - Buffer.byteLength(tail);
  if (budget < 0) throw new Error(`chatText: ${bytes} bytes is too short`);
  let text = '';
  for (;;) {
    const word = (text ? ' ' : '') + pick(WORDS);
    const len = Buffer.byteLength(word);
    if (len > budget) break;
    text += word;
    budget -= len;
  }
  // Pad with ASCII so the message is exactly the requested size.
  const pad = 'abcdefghijklmnopqrstuvwxyz';
  while (budget-- > 0) text += pad[(rand() * pad.length) | 0];
  const out = head + text + tail;
  if (Buffer.byteLength(out) !== bytes) throw new Error('chatText: size mismatch');
  return out;
}

export function headerLength(payloadLength, masked = true) {
  const base = payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
  return base + (masked ? 4 : 0);
}

/**
 * Builds one decode case: a cycle of F frames of `size` payload bytes whose wire bytes are
 * cut into READS_PER_CYCLE reads. All reads are READ_SIZE except the last, which takes the
 * rest, so the cycle ends on a frame boundary and can be replayed forever, while the other
 * read boundaries fall mid-frame as they would on a socket.
 *
 * One benchmark op pushes `readsPerOp` reads: one ~256 KiB read for frames smaller than a
 * read, or all reads of one frame when a frame is bigger than a read (1 MiB).
 */
export function buildDecodeCase(size, { seed = size, readsPerCycle = READS_PER_CYCLE } = {}) {
  const rand = mulberry32(0x5eed ^ seed);
  const isBinary = size !== TEXT_SIZE;
  const opcode = isBinary ? 2 : 1;
  const frameLength = headerLength(size) + size;
  const frames = Math.max(1, Math.round((readsPerCycle * READ_SIZE) / frameLength));
  const total = frames * frameLength;
  const nReads = Math.max(1, Math.round(total / READ_SIZE));

  const wire = Buffer.allocUnsafe(total);
  const payloads = new Array(frames); // Buffer per frame (views of one slab)
  const texts = isBinary ? null : new Array(frames); // expected strings for text frames
  const slab = isBinary ? randomBytes(rand, frames * size) : Buffer.allocUnsafe(frames * size);
  let pos = 0;
  for (let f = 0; f < frames; f++) {
    const payload = slab.subarray(f * size, (f + 1) * size);
    if (!isBinary) {
      texts[f] = chatText(rand, size);
      payload.write(texts[f], 'utf8');
    }
    payloads[f] = payload;
    const encoded = frame({ opcode, payload, mask: maskKey(rand) });
    wire.set(encoded, pos);
    pos += encoded.length;
  }

  // Read boundaries, and how many frames are complete once reads 0..i have been pushed.
  const reads = [];
  const framesDoneAfterRead = [];
  for (let i = 0; i < nReads; i++) {
    const start = i * READ_SIZE;
    const end = i === nReads - 1 ? total : start + READ_SIZE;
    reads.push(wire.subarray(start, end));
    framesDoneAfterRead.push(Math.floor(end / frameLength));
  }
  const readsPerOp = frameLength > READ_SIZE ? nReads : 1;
  const opsPerCycle = nReads / readsPerOp;

  return {
    size,
    label: sizeLabel(size),
    isBinary,
    frameLength,
    frames,
    wireBytes: total,
    reads, // pristine (still masked) reads: copy before pushing, never push these
    readsPerOp,
    opsPerCycle,
    msgsPerOp: frames / opsPerCycle,
    payloadBytesPerOp: (frames * size) / opsPerCycle,
    wireBytesPerOp: total / opsPerCycle,
    framesDoneAfterRead,
    payloads,
    texts,
    // Text payloads would be garbage after an in-place unmask, so text reads are restored
    // from the pristine copy before every push, for every contender.
    restore: !isBinary,
  };
}

/** Fresh copies of the reads, each in its own ArrayBuffer like a socket read. */
export function copyReads(decodeCase) {
  return decodeCase.reads.map((r) => {
    const b = Buffer.allocUnsafeSlow(r.length);
    b.set(r);
    return b;
  });
}

/** Messages a decoder must have delivered after `pushes` reads from the start of the cycle. */
export function expectedMessages(decodeCase, pushes) {
  const n = decodeCase.reads.length;
  const cycles = Math.floor(pushes / n);
  const rest = pushes % n;
  return cycles * decodeCase.frames + (rest ? decodeCase.framesDoneAfterRead[rest - 1] : 0);
}
