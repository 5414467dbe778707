// The scan contract is written once, in src/backend/scan-contract.ts, and generated for
// the kernels in other languages (scripts/gen-scan-contract.js). These tests hold every
// build to that one file: the generator reads it as tsc does, both wasm builds and the
// native addon were compiled with exactly its constants, and each kernel lays out the
// frame table and the result block where the contract says, like the JS kernel does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeFrame, Opcode, availableBackends } from 'wscodec/codec';
import * as contract from '../../dist/backend/scan-contract.js';
import { scanJs } from '../../dist/backend/scan-js.js';
import { UTF8_CLASSES, UTF8_TRANSITIONS } from '../../dist/backend/utf8-dfa.js';
import { assemblyScriptSource, cHeaderSource, contractValues, readContract } from '../../scripts/gen-scan-contract.js';

const {
  ENTRY_FLAGS,
  ENTRY_INTS,
  ENTRY_LENGTH,
  ENTRY_OFFSET,
  ERR_RSV_2_3,
  FRAME_BAD_UTF8,
  FRAME_FIN,
  FRAME_OPCODE,
  RESULT_CONSUMED,
  RESULT_ERROR,
  RESULT_INTS,
  RESULT_PARTIAL,
  RESULT_PARTIAL_KEY,
  SCAN_REQUIRE_MASK,
  SCAN_VALIDATE_UTF8,
} = contract;
const tsContract = { ...contract };
const root = new URL('../../', import.meta.url);
const nativeBuilt = availableBackends().includes('native');
const addon = nativeBuilt ? createRequire(import.meta.url)(new URL('build/Release/wscodec.node', root).pathname) : null;

/** @type {Record<string, WebAssembly.Instance & { exports: any }>} */
const wasmBuilds = Object.fromEntries(
  ['wscodec.simd.wasm', 'wscodec.wasm'].map((file) => [
    file,
    new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL(`build/${file}`, root))), {}),
  ]),
);

const concat = (parts) => Uint8Array.from(Buffer.concat(parts));
const key = (k) => ({ mask: Uint8Array.from(k) });
const wordOf = (k) => k[0] | (k[1] << 8) | (k[2] << 16) | (k[3] << 24) | 0;

// One stream that puts every field of the layout to use: opcodes, FIN, bad UTF-8, a
// fragmented message and, last, a frame whose payload has only begun to arrive.
const LAST_KEY = [0xa1, 0xb2, 0xc3, 0xd4];
const whole = [
  ...encodeFrame(Opcode.Text, 'héllo', key([1, 2, 3, 4])),
  ...encodeFrame(Opcode.Text, Uint8Array.of(0xff), key([5, 6, 7, 8])),
  ...encodeFrame(Opcode.Ping, 'p', key([9, 9, 9, 9])),
  ...encodeFrame(Opcode.Binary, new Uint8Array(200).fill(7), { fin: false, ...key([0, 1, 0, 1]) }),
  ...encodeFrame(0, 'tail!', key([3, 3, 3, 3])),
];
const lastFrame = concat(encodeFrame(Opcode.Binary, new Uint8Array(1000).fill(1), key(LAST_KEY)));
const STREAM = concat([...whole, lastFrame.subarray(0, 8 + 100)]);
const SCAN = { flags: SCAN_REQUIRE_MASK | SCAN_VALIDATE_UTF8, maxPayload: 1 << 20 };

/**
 * Each kernel runs on a copy of `stream` placed at `at` in its memory; offsets come back
 * relative to the stream, so all kernels can be compared. Table and result are read
 * strictly through the contract's indices.
 */
function readOut(count, table, result, at) {
  const entries = [];
  for (let i = 0; i < count; i++) {
    const e = i * ENTRY_INTS;
    entries.push({ flags: table[e + ENTRY_FLAGS], offset: table[e + ENTRY_OFFSET] - at, length: table[e + ENTRY_LENGTH] });
  }
  return {
    entries,
    consumed: result[RESULT_CONSUMED] - at,
    error: result[RESULT_ERROR],
    partial: result[RESULT_PARTIAL],
    partialKey: result[RESULT_PARTIAL_KEY],
  };
}

const kernels = {
  js(stream, capacity) {
    const at = 3;
    const bytes = new Uint8Array(at + stream.length);
    bytes.set(stream, at);
    const out = /** @type {import('../../dist/backend/scan-js.js').ScanOutput} */ ({ table: new Int32Array(capacity * ENTRY_INTS) });
    const count = scanJs(bytes, at, bytes.length, SCAN.flags, SCAN.maxPayload, capacity, out, undefined);
    const result = [];
    result[RESULT_CONSUMED] = out.consumed;
    result[RESULT_ERROR] = out.error;
    result[RESULT_PARTIAL] = out.partial ? 1 : 0;
    result[RESULT_PARTIAL_KEY] = out.partialKey;
    return { ...readOut(count, out.table, result, at), bytes: bytes.subarray(at) };
  },
  ...Object.fromEntries(
    Object.entries(wasmBuilds).map(([file, instance]) => [
      file,
      (stream, capacity) => {
        const x = instance.exports;
        const align = (n) => (n + 63) & -64;
        const tables = align(x.heapBase());
        const resultAt = tables + 512;
        const tableAt = align(resultAt + RESULT_INTS * 4);
        const at = align(tableAt + capacity * ENTRY_INTS * 4);
        const missing = at + stream.length - x.memory.buffer.byteLength;
        if (missing > 0) x.memory.grow(Math.ceil(missing / 65536));
        const mem = new Uint8Array(x.memory.buffer);
        mem.set(UTF8_CLASSES, tables);
        mem.set(UTF8_TRANSITIONS, tables + 256);
        x.setUtf8Tables(tables, tables + 256);
        mem.set(stream, at);
        const count = x.scan(at, at + stream.length, SCAN.flags, SCAN.maxPayload, tableAt, capacity, resultAt);
        const table = new Int32Array(x.memory.buffer, tableAt, capacity * ENTRY_INTS);
        const result = new Int32Array(x.memory.buffer, resultAt, RESULT_INTS);
        return { ...readOut(count, table, result, at), bytes: mem.slice(at, at + stream.length) };
      },
    ]),
  ),
  // The addon sizes the table from the array: capacity whole entries, plus a spare word
  // that must stay untouched.
  native:
    nativeBuilt &&
    ((stream, capacity) => {
      addon.setUtf8Tables(UTF8_CLASSES, UTF8_TRANSITIONS);
      const at = 5;
      const bytes = new Uint8Array(at + stream.length);
      bytes.set(stream, at);
      const table = new Int32Array(capacity * ENTRY_INTS + ENTRY_INTS - 1).fill(-7);
      const result = new Int32Array(RESULT_INTS);
      const count = addon.scan(bytes, at, bytes.length, SCAN.flags, SCAN.maxPayload, table, result);
      assert.deepEqual([...table.subarray(capacity * ENTRY_INTS)], new Array(ENTRY_INTS - 1).fill(-7), 'wrote past the whole entries');
      return { ...readOut(count, table, result, at), bytes: bytes.subarray(at) };
    }),
};

describe('scan contract: generated once, held everywhere', () => {
  it('the generator reads every constant of scan-contract.ts with the value tsc gives it', () => {
    assert.deepEqual(contractValues(), tsContract);
  });

  it('the generator refuses what it cannot read instead of skipping it', () => {
    assert.throws(() => readContract('export const A = 1;\nexport const B = A << 1;\n'), /scan-contract\.ts:2: not a plain/);
    assert.throws(() => readContract('export const A = 0x100000000;\n'), /does not fit in 32 bits/);
  });

  it('the generated files in the tree are what the contract gives now (run npm run build)', () => {
    assert.equal(readFileSync(new URL('assembly/scan-contract.ts', root), 'utf8'), assemblyScriptSource());
    assert.equal(readFileSync(new URL('bindings/scan-contract.h', root), 'utf8'), cHeaderSource());
  });

  for (const [file, instance] of Object.entries(wasmBuilds)) {
    it(`${file} exports every constant of the contract, with its value`, () => {
      const exported = Object.fromEntries(Object.keys(tsContract).map((k) => [k, instance.exports[k]?.value]));
      assert.deepEqual(exported, tsContract);
      assert.equal(instance.exports.ENTRY_SIZE.value, ENTRY_INTS * 4);
      assert.equal(instance.exports.RESULT_SIZE.value, RESULT_INTS * 4);
    });
  }

  it(
    'the native addon was compiled with every constant of the contract, with its value',
    { skip: !nativeBuilt && 'the addon is not built here' },
    () => {
      assert.deepEqual({ ...addon.scanContract }, tsContract);
    },
  );

  it('the JS kernel (the reference below) fills the table and result block as the contract describes', () => {
    const out = kernels.js(STREAM, 16);
    const opcodes = out.entries.map((e) => [e.flags & FRAME_OPCODE, (e.flags & FRAME_FIN) !== 0, (e.flags & FRAME_BAD_UTF8) !== 0]);
    assert.deepEqual(opcodes, [
      [1, true, false],
      [1, true, true],
      [9, true, false],
      [2, false, false],
      [0, true, false],
      [2, true, false],
    ]);
    assert.deepEqual(
      out.entries.map((e) => e.length),
      [6, 1, 1, 200, 5, 1000],
    );
    assert.equal(out.entries[5].offset, STREAM.length - 100);
    assert.deepEqual(Buffer.from(out.bytes.subarray(out.entries[0].offset, out.entries[0].offset + 6)).toString(), 'héllo');
    assert.equal(out.consumed, STREAM.length);
    assert.equal(out.error, 0);
    assert.equal(out.partial, 1);
    assert.equal(out.partialKey, wordOf(LAST_KEY));
  });

  for (const [name, run] of Object.entries(kernels)) {
    if (name === 'js') continue;
    it(`the ${name} kernel lays out table and result block like the JS kernel`, { skip: !run && 'the addon is not built here' }, () => {
      const cases = {
        'every field, ending on a partial frame': [STREAM, 16],
        'a full table': [STREAM, 2],
        'a header error': [concat([...encodeFrame(Opcode.Text, 'ok', key([1, 1, 1, 1])), Uint8Array.of(0xa1, 0x80)]), 16],
      };
      for (const [what, [stream, capacity]] of Object.entries(cases)) {
        const want = kernels.js(stream, capacity);
        assert.deepEqual(run(stream, capacity), want, what);
      }
      // The cases do what their names say.
      assert.equal(kernels.js(STREAM, 2).entries.length, 2);
      assert.equal(kernels.js(cases['a header error'][0], 16).error, ERR_RSV_2_3);
    });
  }
});
