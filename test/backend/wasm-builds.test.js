// The wasm kernels themselves: both builds (SIMD and word-at-a-time) against the JS
// kernels, and the staging stack under nesting and oversized pushes. The constants and
// layout they share with src/backend/scan-contract.ts are checked in contract.test.js.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FrameDecoder, encodeFrame, encodeClosePayload, getBackend, Opcode } from 'wscodec/codec';
import { createWasmBackend } from '../../dist/backend/wasm.js';
import { mulberry32 } from '../helpers/prng.js';

const builds = {
  simd: new URL('../../build/wscodec.simd.wasm', import.meta.url),
  scalar: new URL('../../build/wscodec.wasm', import.meta.url),
};
const instances = Object.fromEntries(
  Object.entries(builds).map(([name, url]) => [name, new WebAssembly.Instance(new WebAssembly.Module(readFileSync(url)), {})]),
);

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function record(backend, bytes, split, options = {}) {
  const events = [];
  const hex = (d) => Buffer.from(d).toString('hex');
  const dec = new FrameDecoder({
    role: 'server',
    backend,
    ...options,
    onMessage: (d, bin) => events.push(['message', bin, hex(d)]),
    onPing: (d) => events.push(['ping', hex(d)]),
    onPong: (d) => events.push(['pong', hex(d)]),
    onClose: (code, reason) => events.push(['close', code, reason]),
    onError: (e) => events.push(['error', e.closeCode, e.code]),
  });
  let at = 0;
  while (at < bytes.length) {
    const n = split(bytes.length - at);
    dec.push(bytes.slice(at, at + n));
    at += n;
  }
  return events;
}

describe('wasm kernels', () => {
  it('both builds and the JS kernels agree on random valid and corrupted streams', () => {
    const backends = { simd: createWasmBackend(instances.simd), scalar: createWasmBackend(instances.scalar), js: getBackend('js') };
    const random = mulberry32(20261121);
    for (let round = 0; round < 300; round++) {
      const parts = [];
      const frames = 1 + Math.floor(random() * 6);
      for (let i = 0; i < frames; i++) {
        const size = [0, 1, 3, 17, 125, 126, 300, 5000, 70000][Math.floor(random() * 9)];
        const payload = new Uint8Array(size);
        // Mostly ASCII with multi-byte runs, so text frames exercise the DFA and its ASCII skip.
        for (let j = 0; j < size; j++) payload[j] = random() < 0.9 ? 0x20 + Math.floor(random() * 90) : 0xc3;
        for (let j = 0; j + 1 < size; j++) if (payload[j] === 0xc3) payload[++j] = 0xa9;
        const kind = random();
        if (kind < 0.4) parts.push(...encodeFrame(Opcode.Text, payload, { mask: true }));
        else if (kind < 0.8) parts.push(...encodeFrame(Opcode.Binary, payload, { mask: true }));
        else parts.push(...encodeFrame(Opcode.Ping, payload.subarray(0, 125), { mask: true }));
      }
      if (random() < 0.3) parts.push(...encodeFrame(Opcode.Close, encodeClosePayload(1000, 'done'), { mask: true }));
      const stream = concat(parts);
      if (random() < 0.5) {
        const flips = 1 + Math.floor(random() * 3);
        for (let f = 0; f < flips; f++) stream[Math.floor(random() * stream.length)] ^= 1 << Math.floor(random() * 8);
      }
      const chunkSeed = Math.floor(random() * 1e9);
      const results = Object.entries(backends).map(([name, b]) => {
        const r = mulberry32(chunkSeed);
        return [name, record(b, stream, (left) => Math.min(left, 1 + Math.floor(r() * 700)))];
      });
      for (const [name, events] of results.slice(1)) {
        assert.deepEqual(events, results[0][1], `round ${round}: ${name} differs from ${results[0][0]}`);
      }
    }
  });

  it('a push larger than the staging window is processed in windows', () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => i * 7);
    const small = new Uint8Array(50).fill(9);
    const stream = concat([
      ...encodeFrame(Opcode.Binary, small, { mask: true }),
      ...encodeFrame(Opcode.Binary, big, { mask: true }),
      ...encodeFrame(Opcode.Binary, small, { mask: true }),
    ]);
    // Many small frames too: more than one staging window's worth of frame-table entries.
    const many = concat(
      Array.from({ length: 20000 }, (_, i) => encodeFrame(Opcode.Binary, new Uint8Array([i & 255, i >> 8]), { mask: true })[0]),
    );
    for (const bytes of [stream, many]) {
      const a = record(getBackend('wasm'), bytes, (left) => left);
      const b = record(getBackend('js'), bytes, (left) => left);
      assert.deepEqual(a, b);
      assert.ok(a.length === 3 || a.length === 20000);
    }
  });

  it('nested pushes into other decoders (deeper than the wasm stack has slots) stay correct', () => {
    const depth = 9;
    const frames = Array.from({ length: depth }, (_, i) =>
      concat([
        ...encodeFrame(Opcode.Text, `level ${i} first`, { mask: true }),
        ...encodeFrame(Opcode.Binary, new Uint8Array(3000).fill(i), { mask: true }),
        ...encodeFrame(Opcode.Text, `level ${i} last`, { mask: true }),
      ]),
    );
    const seen = [];
    const decoders = [];
    for (let i = 0; i < depth; i++) {
      decoders.push(
        new FrameDecoder({
          role: 'server',
          backend: getBackend('wasm'),
          onMessage(data, isBinary) {
            seen.push(`${i}:${isBinary ? data.length + '/' + data[0] : Buffer.from(data).toString()}`);
            // On each level's first message, push the next level's frames from inside this callback.
            if (!isBinary && Buffer.from(data).toString().endsWith('first') && i + 1 < depth) decoders[i + 1].push(frames[i + 1].slice());
          },
          onError: (e) => assert.fail(`level ${i}: ${e.message}`),
        }),
      );
    }
    decoders[0].push(frames[0].slice());
    const expected = [];
    for (let i = 0; i < depth; i++) expected.push(`${i}:level ${i} first`);
    for (let i = depth - 1; i >= 0; i--) expected.push(`${i}:3000/${i}`, `${i}:level ${i} last`);
    assert.deepEqual(seen, expected);
  });
});
