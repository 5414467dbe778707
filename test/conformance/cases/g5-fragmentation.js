// Group 5: fragmentation rules (RFC 6455 §5.4): control frames are never fragmented,
// continuations need a message to continue, and control frames may come between fragments.
import { chopped, failsWith, framewise, msg, NORMAL, OP, pong, together } from './dsl.js';

const frag = (opcode, payload, fin) => ({ opcode, payload, fin });
const twoFragments = [frag(OP.TEXT, 'fragment1', false), frag(OP.CONT, 'fragment2', true)];
const withPing = [frag(OP.TEXT, 'fragment1', false), { opcode: OP.PING, payload: 'ping payload' }, frag(OP.CONT, 'fragment2', true)];
const orphanFinal = [frag(OP.CONT, 'non-continuation payload', true), { opcode: OP.TEXT, payload: 'Hello, world!' }];
const orphanOpen = [frag(OP.CONT, 'non-continuation payload', false), { opcode: OP.TEXT, payload: 'Hello, world!' }];

/** The same frames three ways: one write, one write per frame, one byte per write. */
function threeWays(first, title, frames, expect, close) {
  return [
    { id: `5.${first}`, title: `${title} (one write)`, run: (p) => together(p, frames), expect, close },
    { id: `5.${first + 1}`, title: `${title} (a write per frame)`, run: (p) => framewise(p, frames), expect, close },
    { id: `5.${first + 2}`, title: `${title} (a byte per write)`, run: (p) => chopped(p, frames, 1, 0), expect, close },
  ];
}

async function fiveFragmentsWithPings(p, write) {
  const parts = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
  for (let i = 0; i < parts.length; i++) {
    await write(frag(i === 0 ? OP.TEXT : OP.CONT, parts[i], i === parts.length - 1));
    if (i === 1) await write({ opcode: OP.PING, payload: 'pongme 1!' });
    if (i === 3) await write({ opcode: OP.PING, payload: 'pongme 2!' });
    await new Promise((r) => setTimeout(r, 100));
  }
}

export default [
  {
    id: '5.1',
    title: 'A ping in two fragments',
    run: (p) => together(p, [frag(OP.PING, 'fragment1', false), frag(OP.CONT, 'fragment2', true)]),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '5.2',
    title: 'A pong in two fragments',
    run: (p) => together(p, [frag(OP.PONG, 'fragment1', false), frag(OP.CONT, 'fragment2', true)]),
    expect: [],
    close: failsWith(1002),
  },
  ...threeWays(3, 'A text message in two fragments', twoFragments, [msg('fragment1fragment2')], NORMAL),
  ...threeWays(
    6,
    'A text message in two fragments with a ping between',
    withPing,
    [pong('ping payload'), msg('fragment1fragment2')],
    NORMAL,
  ),
  ...threeWays(9, 'A final continuation with nothing to continue, then a text', orphanFinal, [], failsWith(1002)),
  ...threeWays(12, 'A non-final continuation with nothing to continue, then a text', orphanOpen, [], failsWith(1002)),
  {
    id: '5.15',
    title: 'A two-fragment text, then an orphan continuation, then a text',
    run: (p) => together(p, [...twoFragments, frag(OP.CONT, 'fragment3', false), frag(OP.CONT, 'fragment4', true)]),
    expect: [msg('fragment1fragment2')],
    close: failsWith(1002),
  },
  {
    id: '5.16',
    title: 'Twice: an orphan non-final continuation, then a two-fragment text',
    run: (p) => together(p, [...orphanOpen.slice(0, 1), ...twoFragments, ...orphanOpen.slice(0, 1), ...twoFragments]),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '5.17',
    title: 'Twice: an orphan final continuation, then a two-fragment text',
    run: (p) => together(p, [...orphanFinal.slice(0, 1), ...twoFragments, ...orphanFinal.slice(0, 1), ...twoFragments]),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '5.18',
    title: 'Two text fragments that both carry the text opcode',
    run: (p) => together(p, [frag(OP.TEXT, 'fragment1', false), frag(OP.TEXT, 'fragment2', true)]),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '5.19',
    title: 'A text in five fragments 100 ms apart, with pings after the second and fourth',
    run: (p) => fiveFragmentsWithPings(p, (f) => p.send(f)),
    expect: [pong('pongme 1!'), pong('pongme 2!'), msg('fragment1fragment2fragment3fragment4fragment5')],
    close: NORMAL,
  },
  {
    id: '5.20',
    title: 'As 5.19, every frame written one byte at a time',
    run: (p) => fiveFragmentsWithPings(p, (f) => p.send(f, { chop: 1 })),
    expect: [pong('pongme 1!'), pong('pongme 2!'), msg('fragment1fragment2fragment3fragment4fragment5')],
    close: NORMAL,
  },
];
