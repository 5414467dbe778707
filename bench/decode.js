// Decode suite: every contender decodes the same masked client frames, pushed as ~256 KiB
// reads. Correctness is checked outside the clock before timing, and the message count is
// checked again after timing so a decoder that failed mid-run cannot look fast.

import { buildDecodeCase, copyReads, expectedMessages } from './frames.js';
import { isolated, measure } from './measure.js';
import { median } from './stats.js';

function sameBytes(data, expected) {
  if (!(data instanceof Uint8Array) || data.length !== expected.length) return false;
  return Buffer.from(data.buffer, data.byteOffset, data.length).equals(expected);
}

function describe(data) {
  if (typeof data === 'string') return `string(${data.length}) ${JSON.stringify(data.slice(0, 40))}`;
  if (data instanceof Uint8Array)
    return `${data.constructor.name}(${data.length}) ${Buffer.from(data.buffer, data.byteOffset, Math.min(16, data.length)).toString('hex')}`;
  return String(data);
}

/**
 * Pushes two cycles of fresh reads and checks every message: count, type, content, and
 * (for copying decoders) that messages kept from the first cycle are still intact at the end.
 */
export function verifyContender(contender, decodeCase) {
  const { frames, payloads, texts, isBinary } = decodeCase;
  const result = { expected: 2 * frames, delivered: 0, errors: [], mismatches: 0, firstMismatch: null, keptCorrupted: 0 };
  const kept = [];
  const keep = !contender.zeroCopy; // zero-copy views are only valid inside the callback
  const push = contender.make({
    onMessage(data, binary) {
      const j = result.delivered++ % frames;
      const ok = binary === isBinary && (typeof data === 'string' ? !isBinary && data === texts[j] : sameBytes(data, payloads[j]));
      if (!ok) {
        result.mismatches++;
        result.firstMismatch ??= `message #${result.delivered - 1}: got isBinary=${binary} ${describe(data)}, want isBinary=${isBinary} ${describe(isBinary ? payloads[j] : texts[j])}`;
      } else if (keep && typeof data !== 'string' && result.delivered <= frames) {
        kept.push(data);
      }
    },
    onError(err) {
      result.errors.push(String(err && err.message ? `${err.code ?? ''} ${err.message}` : err));
    },
  });
  for (let cycle = 0; cycle < 2; cycle++) for (const read of copyReads(decodeCase)) push(read);
  for (let j = 0; j < kept.length; j++) if (!sameBytes(kept[j], payloads[j])) result.keptCorrupted++;
  result.ok = result.delivered === result.expected && result.mismatches === 0 && result.errors.length === 0 && result.keptCorrupted === 0;
  return result;
}

// Compiled once per contender by isolated(): see measure.js. Must not use outer variables.
function opFactory(push, reads, pristine, readsPerOp, restore) {
  const n = reads.length;
  let idx = 0;
  let pushes = 0;
  return {
    op() {
      for (let r = 0; r < readsPerOp; r++) {
        const read = reads[idx];
        if (restore) read.set(pristine[idx]);
        push(read);
        if (++idx === n) idx = 0;
      }
      pushes += readsPerOp;
    },
    pushes: () => pushes,
  };
}

function timeContender(contender, decodeCase, settings) {
  let messages = 0;
  const errors = [];
  const push = contender.make({
    onMessage() {
      messages++;
    },
    onError(err) {
      errors.push(String(err && err.message ? err.message : err));
    },
  });
  const { op, pushes } = isolated(opFactory)(push, copyReads(decodeCase), decodeCase.reads, decodeCase.readsPerOp, decodeCase.restore);
  const stats = measure(`${decodeCase.label} ${contender.name}`, op, settings);
  const expected = expectedMessages(decodeCase, pushes());
  stats.check = {
    pushes: pushes(),
    expected,
    delivered: messages,
    errors: errors.slice(0, 3),
    ok: expected === messages && errors.length === 0,
  };
  return stats;
}

/**
 * Runs every size × contender for `rounds` rounds (contender order reversed every other
 * round). Returns one entry per size with per-contender medians and per-round ratios.
 */
export function runDecode({ sizes, contenders, settings, rounds, log }) {
  const cases = [];
  for (const size of sizes) {
    const decodeCase = buildDecodeCase(size);
    const entry = {
      size,
      label: decodeCase.label,
      isBinary: decodeCase.isBinary,
      frames: decodeCase.frames,
      readsPerCycle: decodeCase.reads.length,
      readsPerOp: decodeCase.readsPerOp,
      msgsPerOp: decodeCase.msgsPerOp,
      payloadBytesPerOp: decodeCase.payloadBytesPerOp,
      wireBytesPerOp: decodeCase.wireBytesPerOp,
      restore: decodeCase.restore,
      results: [],
    };
    const byName = new Map();
    for (const c of contenders) {
      const verify = verifyContender(c, decodeCase);
      if (!verify.ok) log(`  ✘ ${decodeCase.label} ${c.name}: verification failed ${JSON.stringify(verify)}`);
      const row = { name: c.name, family: c.family, verify, rounds: [] };
      byName.set(c.name, row);
      entry.results.push(row);
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...contenders].reverse() : contenders;
      for (const c of order) {
        const row = byName.get(c.name);
        const stats = timeContender(c, decodeCase, settings);
        row.rounds.push(stats);
        log(
          `  ${decodeCase.label.padStart(7)}  ${c.name.padEnd(22)} round ${r + 1}/${rounds}  ` +
            `${stats.hz.toFixed(1).padStart(10)} ops/s ±${stats.rme.toFixed(1)}%` +
            (stats.check.ok ? '' : `  ✘ delivered ${stats.check.delivered}/${stats.check.expected} ${stats.check.errors.join('; ')}`),
        );
      }
    }
    summarize(entry);
    cases.push(entry);
  }
  return cases;
}

function summarize(entry) {
  const wsBu = entry.results.find((r) => r.name === 'ws + bufferutil');
  const wsJs = entry.results.find((r) => r.name === 'ws (pure JS)');
  for (const row of entry.results) {
    row.hz = median(row.rounds.map((s) => s.hz));
    // rme of the round closest to the median: the margin that belongs to the number shown.
    const mid = row.rounds.reduce((a, b) => (Math.abs(b.hz - row.hz) < Math.abs(a.hz - row.hz) ? b : a));
    row.rme = mid.rme;
    row.msgsPerSec = row.hz * entry.msgsPerOp;
    row.gbps = (row.hz * entry.payloadBytesPerOp) / 1e9;
    // Ratios are taken within a round (same conditions), then the median over rounds.
    row.vsWsBu = wsBu ? median(row.rounds.map((s, i) => s.hz / wsBu.rounds[i].hz)) : null;
    row.vsWsJs = wsJs ? median(row.rounds.map((s, i) => s.hz / wsJs.rounds[i].hz)) : null;
    row.ok = row.verify.ok && row.rounds.every((s) => s.check.ok);
  }
}
