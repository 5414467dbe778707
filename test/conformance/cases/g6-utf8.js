// Group 6: UTF-8 in text messages (RFC 6455 §8.1). Valid text must come back intact
// however it is fragmented; invalid text must fail the connection with 1007 — and as
// soon as the first byte that cannot start or continue a character arrives, not when
// the message ends (6.4: the harness pauses right after the bad bytes and watches).
import { utf8VectorGroups } from '../data/utf8-vectors.js';
import { failsWith, msg, NORMAL, OP, together } from './dsl.js';

const utf8 = (s) => new TextEncoder().encode(s);
const frame = (opcode, payload, fin = true) => ({ opcode, payload, fin });

/** One message as one frame per piece. */
const framesOf = (pieces) => pieces.map((piece, i) => frame(i === 0 ? OP.TEXT : OP.CONT, piece, i === pieces.length - 1));

/** Splits bytes into pieces at every `step` bytes. */
function pieces(bytes, step) {
  const out = [];
  for (let at = 0; at < bytes.length; at += step) out.push(bytes.subarray(at, at + step));
  return out;
}

const mixed = utf8('Hello-µ@ßöäüàá-UTF-8!!');
const kosme = utf8('κόσμε');
// A surrogate (U+D800, ED A0 80) in the middle of otherwise valid text.
const badMiddle = Uint8Array.of(...kosme, 0xed, 0xa0, 0x80, ...utf8('edited'));
// F4 90 would be above U+10FFFF: the second byte is where it becomes invalid.
const badAtSecondByte = Uint8Array.of(...kosme, 0xf4, 0x90, 0x80, 0x80, ...utf8('edited'));

const PAUSE_MS = 1000;

/** Sends `first`, then the bad bytes, pauses, marks, then sends the rest (fail-fast probe). */
function failFastCase(id, title, send) {
  return {
    id,
    title,
    expect: [],
    close: failsWith(1007),
    failFast: 'rest sent',
    run: async (p) => {
      await send.before(p);
      await p.waitForPeerClose(PAUSE_MS);
      p.mark('rest sent');
      await send.after(p);
      await p.waitForPeerClose(PAUSE_MS);
    },
  };
}

/** For a frame written in raw pieces: the frame's bytes cut at `cuts` (byte offsets into the payload). */
function rawPieces(p, payload, cuts) {
  const bytes = p.frameBytes(frame(OP.TEXT, payload));
  const header = bytes.length - payload.length;
  const bounds = [0, ...cuts.map((c) => header + c), bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}

const basics = [
  { id: '6.1.1', title: 'An empty text frame', run: (p) => p.send(frame(OP.TEXT, '')), expect: [msg('')], close: NORMAL },
  {
    id: '6.1.2',
    title: 'A text of three empty fragments',
    run: (p) => together(p, framesOf(['', '', ''])),
    expect: [msg('')],
    close: NORMAL,
  },
  {
    id: '6.1.3',
    title: 'Empty, non-empty, empty fragments',
    run: (p) => together(p, framesOf(['', 'middle frame payload', ''])),
    expect: [msg('middle frame payload')],
    close: NORMAL,
  },
  {
    id: '6.2.1',
    title: 'Valid mixed-script text in one frame',
    run: (p) => p.send(frame(OP.TEXT, mixed)),
    expect: [msg(mixed)],
    close: NORMAL,
  },
  {
    id: '6.2.2',
    title: 'The same text in two fragments split between characters',
    run: (p) => together(p, framesOf([mixed.subarray(0, 16), mixed.subarray(16)])),
    expect: [msg(mixed)],
    close: NORMAL,
  },
  {
    id: '6.2.3',
    title: 'The same text as one frame per byte (splitting characters)',
    run: (p) => together(p, framesOf(pieces(mixed, 1))),
    expect: [msg(mixed)],
    close: NORMAL,
  },
  {
    id: '6.2.4',
    title: 'Greek text as one frame per byte',
    run: (p) => together(p, framesOf(pieces(kosme, 1))),
    expect: [msg(kosme)],
    close: NORMAL,
  },
  {
    id: '6.3.1',
    title: 'Invalid UTF-8 (a surrogate) in one frame',
    run: (p) => p.send(frame(OP.TEXT, badMiddle)),
    expect: [],
    close: failsWith(1007),
  },
  {
    id: '6.3.2',
    title: 'The same invalid text as one frame per byte',
    run: (p) => together(p, framesOf(pieces(badMiddle, 1))),
    expect: [],
    close: failsWith(1007),
  },
  failFastCase('6.4.1', 'Fail fast: a fragment with a surrogate, a pause, then the final fragment', {
    before: (p) => together(p, [frame(OP.TEXT, kosme, false), frame(OP.CONT, Uint8Array.of(0xed, 0xa0, 0x80), false)]),
    after: (p) => p.send(frame(OP.CONT, 'edited')),
  }),
  failFastCase('6.4.2', 'Fail fast: a fragment ending in F4, the next starting with 90 (above U+10FFFF), a pause, the rest', {
    before: (p) => together(p, [frame(OP.TEXT, Uint8Array.of(...kosme, 0xf4), false), frame(OP.CONT, Uint8Array.of(0x90), false)]),
    after: (p) => p.send(frame(OP.CONT, Uint8Array.of(0x80, 0x80, ...utf8('edited')))),
  }),
  (() => {
    let parts;
    return failFastCase('6.4.3', 'Fail fast inside ONE frame: written as valid bytes, then the bad 4 bytes, a pause, the rest', {
      before: async (p) => {
        parts = rawPieces(p, badAtSecondByte, [kosme.length, kosme.length + 4]);
        await p.sendRaw(parts[0]);
        await new Promise((r) => setTimeout(r, 50));
        await p.sendRaw(parts[1]);
      },
      after: (p) => p.sendRaw(parts[2]),
    });
  })(),
  (() => {
    let parts;
    return failFastCase('6.4.4', 'Fail fast inside ONE frame: written up to the one byte that makes it invalid, a pause, the rest', {
      before: async (p) => {
        parts = rawPieces(p, badAtSecondByte, [kosme.length + 1, kosme.length + 2]);
        await p.sendRaw(parts[0]);
        await new Promise((r) => setTimeout(r, 50));
        await p.sendRaw(parts[1]);
      },
      after: (p) => p.sendRaw(parts[2]),
    });
  })(),
];

/** Generated vectors (data/utf8-vectors.js), each as one text frame. */
function vectorCases() {
  return utf8VectorGroups().flatMap((group, g) =>
    group.vectors.map((v, i) => ({
      id: `6.${g + 5}.${i + 1}`,
      title: `${group.title}: ${v.title}`,
      run: (p) => p.send(frame(OP.TEXT, v.bytes)),
      expect: v.valid ? [msg(v.bytes)] : [],
      close: v.valid ? NORMAL : failsWith(1007),
    })),
  );
}

export default [...basics, ...vectorCases()];
