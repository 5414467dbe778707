// Group 4: reserved opcodes (3–7 data, 11–15 control) must fail the connection.
import { failsWith, msg, OP, together } from './dsl.js';

function reservedCases(sub, opcodes) {
  const [a, b, c, d, e] = opcodes;
  const hello = { opcode: OP.TEXT, payload: 'Hello, world!' };
  const ping = { opcode: OP.PING, payload: 'ping' };
  return [
    { n: 1, title: `A frame with reserved opcode ${a}`, run: (p) => p.send({ opcode: a }), expect: [] },
    {
      n: 2,
      title: `A frame with reserved opcode ${b} and a payload`,
      run: (p) => p.send({ opcode: b, payload: 'reserved opcode payload' }),
      expect: [],
    },
    {
      n: 3,
      title: `A valid text, a frame with opcode ${c}, a ping`,
      run: (p) => together(p, [hello, { opcode: c }, ping]),
      expect: [msg('Hello, world!')],
    },
    {
      n: 4,
      title: `A valid text, a frame with opcode ${d} and a payload, a ping`,
      run: (p) => together(p, [hello, { opcode: d, payload: 'reserved' }, ping]),
      expect: [msg('Hello, world!')],
    },
    {
      n: 5,
      title: `A valid text, a frame with opcode ${e} and a payload, a ping`,
      run: (p) => together(p, [hello, { opcode: e, payload: 'reserved' }, ping]),
      expect: [msg('Hello, world!')],
    },
  ].map(({ n, ...rest }) => ({ id: `4.${sub}.${n}`, ...rest, close: failsWith(1002) }));
}

export default [...reservedCases(1, [3, 4, 5, 6, 7]), ...reservedCases(2, [11, 12, 13, 14, 15])];
