// Group 7: the closing handshake (RFC 6455 §5.5.1, §7): nothing is answered after a
// close, close payloads are checked (length, code, UTF-8 reason), valid codes are echoed.
import { closePayload } from '../wire/frames.js';
import { KiB, msg, NORMAL, OP, textOf } from './dsl.js';

/** The harness starts the close; the peer must answer with one of `codes`. */
const answered = (codes, clean = true) => ({ by: 'harness', codes, clean });

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999];

const closeWith =
  (payload, extra = {}) =>
  (p) =>
    p.send({ opcode: OP.CLOSE, payload, ...extra });

export default [
  {
    id: '7.1.1',
    title: 'A text message echoed, then a normal close',
    run: (p) => p.send({ opcode: OP.TEXT, payload: 'Hello World!' }),
    expect: [msg('Hello World!')],
    close: NORMAL,
  },
  {
    id: '7.1.2',
    title: 'A close, then a second close',
    run: async (p) => {
      await p.sendClose(1000);
      await p.send({ opcode: OP.CLOSE, payload: closePayload(1000) });
    },
    expect: [],
    close: NORMAL,
  },
  {
    id: '7.1.3',
    title: 'A close, then a ping (it must not be answered)',
    run: async (p) => {
      await p.sendClose(1000);
      await p.ping('Hello World!');
    },
    expect: [],
    close: NORMAL,
  },
  {
    id: '7.1.4',
    title: 'A close, then a text message (it must not be echoed)',
    run: async (p) => {
      await p.sendClose(1000);
      await p.send({ opcode: OP.TEXT, payload: 'Hello World!' });
    },
    expect: [],
    close: NORMAL,
  },
  {
    id: '7.1.5',
    title: 'The first fragment of a text, a close, then the final fragment',
    run: async (p) => {
      await p.send({ opcode: OP.TEXT, payload: 'fragment1', fin: false });
      await p.sendClose(1000);
      await p.send({ opcode: OP.CONT, payload: 'fragment2' });
    },
    expect: [],
    close: NORMAL,
  },
  {
    id: '7.1.6',
    title: 'Ten 256 KiB texts, a short text, a close and a ping, in one go (how much is echoed depends on buffering)',
    run: async (p) => {
      for (let i = 0; i < 10; i++) await p.send({ opcode: OP.TEXT, payload: textOf(256 * KiB, i) });
      await p.send({ opcode: OP.TEXT, payload: 'Hello World!' });
      await p.sendClose(1000);
      await p.ping('Hello World!');
    },
    expect: [],
    close: NORMAL,
    informational: 'whether the echoes arrive before the close is up to the peer',
  },
  { id: '7.3.1', title: 'A close with no payload', run: (p) => p.sendClose(), expect: [], close: answered([1000, 1005]) },
  {
    id: '7.3.2',
    title: 'A close with a 1-byte payload',
    run: closeWith(Uint8Array.of(0x03)),
    expect: [],
    close: answered([1002], false),
  },
  { id: '7.3.3', title: 'A close with code 1000 and no reason', run: (p) => p.sendClose(1000), expect: [], close: NORMAL },
  {
    id: '7.3.4',
    title: 'A close with code 1000 and a short reason',
    run: (p) => p.sendClose(1000, 'Hello World!'),
    expect: [],
    close: NORMAL,
  },
  {
    id: '7.3.5',
    title: 'A close with code 1000 and a 123-byte reason',
    run: (p) => p.sendClose(1000, textOf(123, 5)),
    expect: [],
    close: NORMAL,
  },
  {
    id: '7.3.6',
    title: 'A close with code 1000 and a 124-byte reason (payload over 125)',
    run: closeWith(closePayload(1000, textOf(124, 6))),
    expect: [],
    close: answered([1002], false),
  },
  {
    id: '7.5.1',
    title: 'A close with code 1000 and a reason that is not UTF-8',
    run: closeWith(
      closePayload(
        1000,
        Uint8Array.of(
          0xce,
          0xba,
          0xe1,
          0xbd,
          0xb9,
          0xcf,
          0x83,
          0xce,
          0xbc,
          0xce,
          0xb5,
          0xed,
          0xa0,
          0x80,
          0x65,
          0x64,
          0x69,
          0x74,
          0x65,
          0x64,
        ),
      ),
    ),
    expect: [],
    close: answered([1007], false),
  },
  ...VALID_CODES.map((code, i) => ({
    id: `7.7.${i + 1}`,
    title: `A close with valid code ${code}`,
    run: (p) => p.sendClose(code),
    expect: [],
    close: answered([code, 1000]),
  })),
  ...INVALID_CODES.map((code, i) => ({
    id: `7.9.${i + 1}`,
    title: `A close with invalid code ${code}`,
    run: closeWith(closePayload(code)),
    expect: [],
    close: answered([1002], false),
  })),
  ...[5000, 65535].map((code, i) => ({
    id: `7.13.${i + 1}`,
    title: `A close with code ${code}, which no range defines`,
    run: closeWith(closePayload(code)),
    expect: [],
    close: answered([1002], false),
    informational: 'RFC 6455 reserves no range above 4999; refusing or accepting are both defensible',
  })),
];
