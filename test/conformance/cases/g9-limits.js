// Group 9: big messages, many fragments, small writes and many round trips. These are
// mostly about not breaking under volume; each must echo exactly what was sent.
import { binaryOf, KiB, MiB, msg, NORMAL, OP, textOf } from './dsl.js';

const make = (binary, n, seed) => (binary ? binaryOf(n, seed) : textOf(n, seed));

/** Big payloads are made when a case first needs them, not when the suite loads. */
function lazy(binary, n, seed) {
  let data;
  return () => (data ??= make(binary, n, seed));
}
const kindOf = (binary) => (binary ? 'binary' : 'text');
const fmt = (n) => (n >= MiB ? `${n / MiB} MiB` : n >= KiB ? `${n / KiB} KiB` : `${n} B`);

function bigMessages(sub, binary) {
  return [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB].map((n, i) => {
    const data = lazy(binary, n, i);
    return {
      id: `9.${sub}.${i + 1}`,
      title: `One ${kindOf(binary)} message of ${fmt(n)}`,
      run: (p) => p.send({ opcode: binary ? OP.BINARY : OP.TEXT, payload: data() }),
      get expect() {
        return [msg(data(), binary)];
      },
      close: NORMAL,
      timeoutMs: 60_000,
    };
  });
}

function fragmented(sub, binary) {
  const data = lazy(binary, 4 * MiB, 7);
  return [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].map((size, i) => ({
    id: `9.${sub}.${i + 1}`,
    title: `A 4 MiB ${kindOf(binary)} message in ${fmt(size)} fragments`,
    run: (p) => p.sendMessage(data(), { binary, fragmentSize: size }),
    get expect() {
      return [msg(data(), binary)];
    },
    close: NORMAL,
    timeoutMs: 60_000,
  }));
}

function smallWrites(sub, binary) {
  const data = lazy(binary, MiB, 8);
  return [64, 128, 256, 512, 1024, 2048].map((chop, i) => ({
    id: `9.${sub}.${i + 1}`,
    title: `A 1 MiB ${kindOf(binary)} frame written ${chop} bytes at a time`,
    run: (p) => p.send({ opcode: binary ? OP.BINARY : OP.TEXT, payload: data() }, { chop }),
    get expect() {
      return [msg(data(), binary)];
    },
    close: NORMAL,
    timeoutMs: 60_000,
  }));
}

const ROUND_TRIPS = 1000;

function roundTrips(sub, binary) {
  return [0, 16, 64, 256, 1024, 4096].map((n, i) => {
    const payloads = Array.from({ length: ROUND_TRIPS }, (_, k) => make(binary, n, k));
    return {
      id: `9.${sub}.${i + 1}`,
      title: `${ROUND_TRIPS} round trips of a ${n}-byte ${kindOf(binary)} message, one at a time`,
      run: async (p) => {
        for (let k = 0; k < ROUND_TRIPS; k++) {
          if (!(await p.send({ opcode: binary ? OP.BINARY : OP.TEXT, payload: payloads[k] }))) return;
          if (!(await p.waitForTrace(k + 1, 10_000))) return;
        }
      },
      expect: payloads.map((d) => msg(d, binary)),
      close: NORMAL,
      timeoutMs: 60_000,
    };
  });
}

export default [
  ...bigMessages(1, false),
  ...bigMessages(2, true),
  ...fragmented(3, false),
  ...fragmented(4, true),
  ...smallWrites(5, false),
  ...smallWrites(6, true),
  ...roundTrips(7, false),
  ...roundTrips(8, true),
];

/** What `npm test` runs of group 9: every kind of case, at the cheaper sizes. */
export const REDUCED = new Set([
  '9.1.1',
  '9.1.3',
  '9.2.1',
  '9.2.3',
  '9.3.1',
  '9.3.5',
  '9.4.1',
  '9.4.9',
  '9.5.1',
  '9.5.6',
  '9.6.1',
  '9.6.6',
  '9.7.2',
  '9.7.5',
  '9.8.1',
  '9.8.6',
]);
