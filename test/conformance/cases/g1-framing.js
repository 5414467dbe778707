// Group 1: plain text and binary messages at every length-encoding boundary.
import { binaryOf, msg, NORMAL, OP, textOf } from './dsl.js';

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

function echoCases(sub, binary) {
  const kind = binary ? 'binary' : 'text';
  const make = (n) => (binary ? binaryOf(n, n) : textOf(n, n));
  const cases = SIZES.map((n, i) => {
    const data = make(n);
    return {
      id: `1.${sub}.${i + 1}`,
      title: `A ${kind} message of ${n} bytes`,
      run: (p) => p.send({ opcode: binary ? OP.BINARY : OP.TEXT, payload: data }),
      expect: [msg(data, binary)],
      close: NORMAL,
    };
  });
  const data = make(65536);
  cases.push({
    id: `1.${sub}.8`,
    title: `A ${kind} message of 65536 bytes written in 997-byte chunks`,
    run: (p) => p.send({ opcode: binary ? OP.BINARY : OP.TEXT, payload: data }, { chop: 997 }),
    expect: [msg(data, binary)],
    close: NORMAL,
  });
  return cases;
}

export default [...echoCases(1, false), ...echoCases(2, true)];
