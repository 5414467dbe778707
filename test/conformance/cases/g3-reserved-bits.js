// Group 3: with no extension negotiated every RSV bit must be clear (RFC 6455 §5.2).
// `rsv` counts like the three header bits: 4 is RSV1, 2 is RSV2, 1 is RSV3.
import { chopped, failsWith, framewise, msg, OP, together } from './dsl.js';

const bits = (rsv) => ({ rsv1: (rsv & 4) !== 0, rsv2: (rsv & 2) !== 0, rsv3: (rsv & 1) !== 0 });
const hello = { opcode: OP.TEXT, payload: 'Hello, world!' };
const ping = { opcode: OP.PING, payload: 'still there?' };

const afterEcho = (frame) => [hello, frame, ping];

export default [
  {
    id: '3.1',
    title: 'A text frame with RSV = 1',
    run: (p) => p.send({ ...hello, ...bits(1) }),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '3.2',
    title: 'A valid text, then a text frame with RSV = 2, then a ping',
    run: (p) => together(p, afterEcho({ ...hello, ...bits(2) })),
    expect: [msg('Hello, world!')],
    close: failsWith(1002),
  },
  {
    id: '3.3',
    title: 'As 3.2 with RSV = 3, each frame its own write',
    run: (p) => framewise(p, afterEcho({ ...hello, ...bits(3) })),
    expect: [msg('Hello, world!')],
    close: failsWith(1002),
  },
  {
    id: '3.4',
    title: 'As 3.2 with RSV = 4, written one byte at a time',
    run: (p) => chopped(p, afterEcho({ ...hello, ...bits(4) }), 1),
    expect: [msg('Hello, world!')],
    close: failsWith(1002),
  },
  {
    id: '3.5',
    title: 'A binary frame with RSV = 5',
    run: (p) => p.send({ opcode: OP.BINARY, payload: Uint8Array.of(0, 1, 2, 255), ...bits(5) }),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '3.6',
    title: 'A ping with RSV = 6',
    run: (p) => p.send({ ...ping, ...bits(6) }),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '3.7',
    title: 'A close frame with RSV = 7',
    run: (p) => p.send({ opcode: OP.CLOSE, payload: Uint8Array.of(0x03, 0xe8), ...bits(7) }),
    // The harness did send a close frame, so the peer's 1002 is its answer to it.
    expect: [],
    close: { by: 'harness', codes: [1002], clean: false },
  },
];
