// The UTF-8 step of every kernel on inputs long enough for the SIMD build's 16-byte
// block path: every bad sequence at every offset across several block boundaries,
// random mutations, and valid text split anywhere. All kernels must return the same
// DFA state, and agree with node:buffer's isUtf8 on whole inputs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { UTF8_CLASSES, UTF8_TRANSITIONS, UTF8_REJECT, utf8StepJs } from '../../dist/backend/utf8-dfa.js';
import { randomUtf8, mixedUtf8 } from '../helpers/utf8.js';
import { mulberry32 } from '../helpers/wire.js';

const BASE = 65536;
const kernels = Object.fromEntries(
  ['wscodec.simd.wasm', 'wscodec.wasm'].map((file) => {
    /** @type {any} the build's exports: memory and its kernel functions */
    const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL(`../../build/${file}`, import.meta.url))), {}).exports;
    e.memory.grow(32);
    const mem = new Uint8Array(e.memory.buffer);
    mem.set(UTF8_CLASSES, 1024);
    mem.set(UTF8_TRANSITIONS, 1280);
    e.setUtf8Tables(1024, 1280);
    // Steps over `bytes` in the given pieces, carrying the state like the decoder does.
    return [
      file,
      (bytes, cuts = []) => {
        mem.set(bytes, BASE);
        let state = 0;
        let at = 0;
        for (const end of [...cuts, bytes.length]) {
          state = e.utf8Step(state, BASE + at, BASE + end);
          at = end;
        }
        return state;
      },
    ];
  }),
);
kernels.js = (bytes, cuts = []) => {
  let state = 0;
  let at = 0;
  for (const end of [...cuts, bytes.length]) {
    state = utf8StepJs(bytes, state, at, end);
    at = end;
  }
  return state;
};

function agree(bytes, cuts, label) {
  const states = Object.entries(kernels).map(([name, step]) => [name, step(bytes, cuts)]);
  for (const [name, state] of states) assert.equal(state, states[0][1], `${label}: ${name} vs ${states[0][0]}`);
  return states[0][1];
}

const BAD = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xc2],
  [0xc2, 0x41],
  [0xe0, 0x80, 0x80],
  [0xe0, 0x9f, 0xbf],
  [0xe2, 0x82],
  [0xe2, 0x82, 0x41],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xf0, 0x9f, 0x98],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xe2, 0x82, 0xac, 0x80],
  [0xf0, 0x9f, 0x98, 0x80, 0x80],
  [0xc3, 0xa9, 0xa9],
];

describe('UTF-8 kernels on long inputs', () => {
  it('every bad sequence at every offset 0..70 of ASCII and of mixed text is rejected by all', () => {
    const backgrounds = [new Uint8Array(96).fill(0x61), mixedUtf8(96)];
    for (const background of backgrounds) {
      assert.ok(isUtf8(background));
      for (const bad of BAD) {
        for (let offset = 0; offset <= 70; offset++) {
          // Insert at a code-point boundary of the background so only `bad` is wrong.
          let at = offset;
          while (at < background.length && (background[at] & 0xc0) === 0x80) at++;
          const bytes = new Uint8Array([...background.subarray(0, at), ...bad, ...background.subarray(at)]);
          assert.equal(isUtf8(bytes), false);
          assert.equal(agree(bytes, [], `bad ${bad} at ${at}`), UTF8_REJECT, `bad ${bad} at ${at}`);
        }
      }
    }
  });

  it('valid text of every length to 300 is accepted, whole and split anywhere, with equal states', () => {
    const rng = mulberry32(77);
    for (let n = 0; n <= 300; n++) {
      const bytes = randomUtf8(rng, n);
      assert.ok(isUtf8(bytes));
      assert.equal(agree(bytes, [], `valid n=${n}`), 0);
      const cuts = [...new Set(Array.from({ length: 3 }, () => Math.floor(rng() * (bytes.length + 1))))].sort((a, b) => a - b);
      assert.equal(agree(bytes, cuts, `valid n=${n} cuts=${cuts}`), 0);
      // Cut short: every kernel must be in the same waiting (or rejecting) state.
      if (bytes.length > 0) {
        const short = bytes.subarray(0, bytes.length - 1 - Math.floor(rng() * Math.min(3, bytes.length)));
        const state = agree(short, [], `truncated n=${n}`);
        assert.equal(state === 0, isUtf8(short));
      }
    }
  });

  it('random mutations of long text: all kernels agree with isUtf8', () => {
    const rng = mulberry32(4242);
    for (let round = 0; round < 4000; round++) {
      const bytes = randomUtf8(rng, 32 + Math.floor(rng() * 200));
      const flips = Math.floor(rng() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rng() * bytes.length)] = Math.floor(rng() * 256);
      const state = agree(bytes, [], `round ${round}`);
      assert.equal(state === 0, isUtf8(bytes), `round ${round}: ${Buffer.from(bytes).toString('hex')}`);
    }
  });
});
