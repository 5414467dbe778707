// Mask/unmask suite (bufferutil signatures) on Node Buffers, and the small-size
// "crossover" table used to pick the size below which staying in JS is faster.

import { mulberry32 } from '../test/helpers/prng.js';
import { headerLength, maskKey, randomBytes } from './frames.js';
import { isolated, measure } from './measure.js';

export const MASK_SIZES = [16, 125, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];
export const CROSSOVER_SIZES = [4, 8, 16, 32, 64, 128];

export const BUFFERUTIL = 'bufferutil (native)';
export const PURE_JS = 'pure JS (bufferutil fallback.js)';
export const WS_BUFFER_UTIL = 'ws buffer-util (JS <32/<48 B, else bufferutil)';

/**
 * Contenders are objects with mask/unmask methods; they are called as methods
 * (`target.unmask(buf, key)`) so a backend that relies on `this` works.
 */
export function maskContenders({ bufferutil, ws, codec, backends, crossover = false }) {
  const list = [
    { name: BUFFERUTIL, target: bufferutil.native, baseline: true },
    { name: PURE_JS, target: bufferutil.fallback, baseline: true },
  ];
  if (codec) {
    for (const name of backends) list.push({ name: `wscodec ${name}`, target: codec.getBackend(name) });
    list.push({ name: `wscodec export (${codec.backend})`, target: codec, exported: true });
  }
  if (crossover) list.push({ name: WS_BUFFER_UTIL, target: ws.withBufferutil.bufferUtil });
  return list;
}

/** Calls per op: enough small calls that the benchmark loop's own cost disappears. */
export function batchFor(size) {
  return Math.max(1, Math.min(512, Math.floor(65536 / size)));
}

/**
 * Inputs laid out like frames in a socket read: payload i sits right after its frame
 * header, so offsets are as unaligned as they are for real (6, 8 or 14 bytes in).
 */
function makeInputs(size, rand) {
  const batch = batchFor(size);
  const stride = headerLength(size) + size;
  const wire = Buffer.allocUnsafeSlow(stride * batch);
  const views = [];
  const offsets = [];
  for (let i = 0; i < batch; i++) {
    offsets.push(i * stride + headerLength(size));
    views.push(wire.subarray(offsets[i], offsets[i] + size));
  }
  const sourceSlab = randomBytes(rand, size * batch);
  const sources = views.map((_, i) => sourceSlab.subarray(i * size, (i + 1) * size));
  wire.set(randomBytes(rand, wire.length));
  return { batch, wire, views, offsets, sources, key: maskKey(rand) };
}

// Compiled once per contender by isolated() (see measure.js); no outer variables allowed.
function unmaskOpFactory(target, views, key) {
  const n = views.length;
  return function op() {
    for (let i = 0; i < n; i++) target.unmask(views[i], key);
  };
}
function maskOpFactory(target, sources, key, out, offsets, length) {
  const n = sources.length;
  return function op() {
    for (let i = 0; i < n; i++) target.mask(sources[i], key, out, offsets[i], length);
  };
}

function timeOne(contender, op, size, inputs, settings) {
  const fn =
    op === 'unmask'
      ? isolated(unmaskOpFactory)(contender.target, inputs.views, inputs.key)
      : isolated(maskOpFactory)(contender.target, inputs.sources, inputs.key, inputs.wire, inputs.offsets, size);
  const stats = measure(`${op} ${size} ${contender.name}`, fn, settings);
  const callsPerSec = stats.hz * inputs.batch;
  return {
    hz: stats.hz,
    rme: stats.rme,
    batch: inputs.batch,
    callsPerSec,
    nsPerCall: 1e9 / callsPerSec,
    gbps: (callsPerSec * size) / 1e9,
  };
}

/**
 * Checks every contender against the byte loop on awkward sizes and offsets, and that
 * mask() writes exactly [offset, offset + length) of the output.
 */
export function verifyMaskContenders(contenders) {
  const rand = mulberry32(0xa5a5);
  const sizes = [...Array(72).keys(), 125, 126, 127, 128, 129, 1000, 1023, 1024, 1025, 4099, 65539];
  const failures = [];
  for (const c of contenders) {
    for (const size of sizes) {
      const shift = size % 8; // vary alignment of the buffer inside its ArrayBuffer
      const key = maskKey(rand);
      const data = randomBytes(rand, size);
      const want = Buffer.from(data);
      for (let i = 0; i < size; i++) want[i] ^= key[i & 3];

      const slab = Buffer.alloc(size + 16, 0xee);
      const buf = slab.subarray(shift, shift + size);
      buf.set(data);
      try {
        c.target.unmask(buf, key);
        if (!buf.equals(want)) failures.push(`${c.name}: unmask(${size} B at +${shift}) wrong bytes`);
        else if (slab.subarray(0, shift).some((b) => b !== 0xee) || slab.subarray(shift + size).some((b) => b !== 0xee)) {
          failures.push(`${c.name}: unmask(${size} B at +${shift}) wrote outside the buffer`);
        }

        const out = Buffer.alloc(size + 32, 0xee);
        const offset = 3 + shift;
        c.target.mask(data, key, out, offset, size);
        if (!out.subarray(offset, offset + size).equals(want)) failures.push(`${c.name}: mask(${size} B, offset ${offset}) wrong bytes`);
        else if (out.subarray(0, offset).some((b) => b !== 0xee) || out.subarray(offset + size).some((b) => b !== 0xee)) {
          failures.push(`${c.name}: mask(${size} B, offset ${offset}) wrote outside [offset, offset+length)`);
        }
      } catch (err) {
        failures.push(`${c.name}: ${size} B threw ${err && err.message}`);
      }
    }
  }
  return failures;
}

/** Returns [{ op, size, results: [{ name, ...timing, vsBufferutil }] }]. */
export function runMaskSuite({ sizes, contenders, settings, log, title = 'mask' }) {
  const rows = [];
  const rand = mulberry32(0x3a5c);
  for (const op of ['unmask', 'mask']) {
    for (const size of sizes) {
      const inputs = makeInputs(size, rand);
      const entry = { op, size, batch: inputs.batch, results: [] };
      for (const c of contenders) {
        const t = timeOne(c, op, size, inputs, settings);
        entry.results.push({ name: c.name, ...t });
        log(
          `  ${title} ${op.padEnd(6)} ${String(size).padStart(7)} B  ${c.name.padEnd(34)} ${t.nsPerCall.toFixed(1).padStart(9)} ns/call ${t.gbps.toFixed(2).padStart(7)} GB/s ±${t.rme.toFixed(1)}%`,
        );
      }
      const base = entry.results.find((r) => r.name === BUFFERUTIL);
      for (const r of entry.results) r.vsBufferutil = r.callsPerSec / base.callsPerSec;
      rows.push(entry);
    }
  }
  return rows;
}

/**
 * Smallest size from which `name` is faster than every `refs` contender at that size and
 * every larger size in `rows` (null: never). `rows` may mix both suites.
 */
function winsFrom(rows, op, name, refs) {
  const bySize = new Map();
  for (const r of rows) if (r.op === op && !bySize.has(r.size)) bySize.set(r.size, r);
  const sorted = [...bySize.values()].sort((a, b) => a.size - b.size);
  let from = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const it = sorted[i].results.find((r) => r.name === name);
    const best = Math.min(...sorted[i].results.filter((r) => refs.includes(r.name)).map((r) => r.nsPerCall));
    if (it && it.nsPerCall < best) from = sorted[i].size;
    else break;
  }
  return from;
}

/** For each contender other than the JS loop: from which size it beats the JS byte loop. */
export function crossoverPoints(rows) {
  const points = [];
  for (const op of ['unmask', 'mask']) {
    const names =
      rows
        .find((r) => r.op === op)
        ?.results.map((r) => r.name)
        .filter((n) => n !== PURE_JS) ?? [];
    for (const name of names) points.push({ op, name, beatsJsFrom: winsFrom(rows, op, name, [PURE_JS]) });
  }
  return points;
}

/**
 * Where each non-JS wscodec backend starts to beat the best JavaScript kernel available
 * (the byte loop or wscodec's js backend), over the crossover and main sizes together:
 * the threshold below which the exported mask/unmask should stay in JS.
 */
export function suggestedThresholds(crossoverRows, mainRows, backends) {
  // Small sizes come from the crossover table only (same batch layout, measured together).
  const maxCross = Math.max(0, ...crossoverRows.map((r) => r.size));
  const rows = [...crossoverRows, ...mainRows.filter((r) => r.size > maxCross)];
  const out = [];
  for (const op of ['unmask', 'mask']) {
    for (const b of backends.filter((n) => n !== 'js')) {
      out.push({ op, backend: b, from: winsFrom(rows, op, `wscodec ${b}`, [PURE_JS, 'wscodec js']) });
    }
    out.push({ op, backend: 'bufferutil (reference)', from: winsFrom(rows, op, BUFFERUTIL, [PURE_JS, 'wscodec js']) });
  }
  return out;
}
