// Group 2: pings must be answered with a pong carrying the same payload; pongs need no answer.
import { chopped, failsWith, NORMAL, OP, pong, textOf } from './dsl.js';

const binaryPayload = Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff);
const p125 = textOf(125, 3);
const tenPings = Array.from({ length: 10 }, (_, i) => `payload of ping number ${i + 1}`);

export default [
  { id: '2.1', title: 'A ping with no payload', run: (p) => p.ping(), expect: [pong([])], close: NORMAL },
  {
    id: '2.2',
    title: 'A ping with a short text payload',
    run: (p) => p.ping('Hello, world!'),
    expect: [pong('Hello, world!')],
    close: NORMAL,
  },
  {
    id: '2.3',
    title: 'A ping with a short binary payload',
    run: (p) => p.ping(binaryPayload),
    expect: [pong(binaryPayload)],
    close: NORMAL,
  },
  { id: '2.4', title: 'A ping with a 125-byte payload', run: (p) => p.ping(p125), expect: [pong(p125)], close: NORMAL },
  {
    id: '2.5',
    title: 'A ping with a 126-byte payload (control frames are at most 125)',
    run: (p) => p.ping(textOf(126, 4)),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '2.6',
    title: 'A ping with a 125-byte payload written one byte at a time',
    run: (p) => p.send({ opcode: OP.PING, payload: p125 }, { chop: 1, delayMs: 1 }),
    expect: [pong(p125)],
    close: NORMAL,
  },
  { id: '2.7', title: 'An unsolicited pong with no payload', run: (p) => p.pong(), expect: [], close: NORMAL },
  { id: '2.8', title: 'An unsolicited pong with a payload', run: (p) => p.pong('unsolicited pong payload'), expect: [], close: NORMAL },
  {
    id: '2.9',
    title: 'An unsolicited pong, then a ping',
    run: async (p) => {
      await p.pong('unsolicited pong payload');
      await p.ping('ping payload');
    },
    expect: [pong('ping payload')],
    close: NORMAL,
  },
  {
    id: '2.10',
    title: 'Ten pings in a row',
    run: async (p) => {
      for (const t of tenPings) await p.ping(t);
    },
    expect: tenPings.map(pong),
    close: NORMAL,
  },
  {
    id: '2.11',
    title: 'Ten pings written as one stream, one byte at a time',
    run: (p) =>
      chopped(
        p,
        tenPings.map((t) => ({ opcode: OP.PING, payload: t })),
        1,
      ),
    expect: tenPings.map(pong),
    close: NORMAL,
  },
];
