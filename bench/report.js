// Markdown reports (also what is printed to stdout). Columns are padded so the tables read
// well in a terminal and still render as markdown.

import { environmentMarkdown } from './env.js';
import { READ_SIZE, sizeLabel } from './frames.js';
import { BUFFERUTIL, PURE_JS, crossoverPoints, suggestedThresholds } from './mask.js';
import { targetsFor } from './targets.js';

export function table(headers, rows, align = []) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const width = headers.map((_, i) => Math.max(3, ...cells.map((r) => [...r[i]].length)));
  const pad = (text, i) => {
    const gap = ' '.repeat(width[i] - [...text].length);
    return align[i] === 'r' ? gap + text : text + gap;
  };
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

const en = (x, digits) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function fmtHz(x) {
  if (!Number.isFinite(x)) return '—';
  return en(x, x < 100 ? 1 : 0);
}
export function fmtSI(x) {
  if (!Number.isFinite(x)) return '—';
  if (x >= 1e9) return `${en(x / 1e9, 2)} G`;
  if (x >= 1e6) return `${en(x / 1e6, 2)} M`;
  if (x >= 1e3) return `${en(x / 1e3, 1)} k`;
  return en(x, 1);
}
export function fmtGB(x) {
  if (!Number.isFinite(x)) return '—';
  return en(x, x < 0.1 ? 3 : 2);
}
export function fmtRatio(x) {
  return x == null || !Number.isFinite(x) ? '—' : `${en(x, 2)}×`;
}
const fmtRme = (x) => (Number.isFinite(x) ? `±${en(x, 1)}%` : '—');

function targetCell(evaluated, name, size) {
  return targetsFor(evaluated, name, size)
    .map((t) => `${t.met ? '✔' : '✘'} ≥${t.min}× ${t.vs === 'vsWsBu' ? 'ws+bu' : 'ws JS'}`)
    .join(', ');
}

function checkCell(row) {
  if (row.ok) return '✔';
  if (!row.verify.ok) {
    const v = row.verify;
    if (v.errors.length) return `✘ error: ${v.errors[0]}`;
    if (v.mismatches) return `✘ ${v.mismatches} wrong messages`;
    if (v.keptCorrupted) return `✘ ${v.keptCorrupted} kept messages changed later`;
    return `✘ ${v.delivered}/${v.expected} messages`;
  }
  const bad = row.rounds.find((s) => !s.check.ok).check;
  return `✘ timed run delivered ${bad.delivered}/${bad.expected}${bad.errors.length ? `: ${bad.errors[0]}` : ''}`;
}

export function decodeTables(cases, evaluated) {
  const out = [];
  for (const c of cases) {
    const what = c.isBinary ? 'binary' : 'text (chat-style JSON, mostly ASCII, some multi-byte)';
    const op =
      c.readsPerOp === 1
        ? `one op = one ${sizeLabel(READ_SIZE)} read ≈ ${en(c.msgsPerOp, c.msgsPerOp % 1 ? 1 : 0)} messages`
        : `one op = one message = ${c.readsPerOp} reads of ~${sizeLabel(READ_SIZE)}`;
    out.push(
      `### ${c.label} ${what}\n\n${op}; cycle of ${c.frames.toLocaleString('en-US')} frame${c.frames === 1 ? '' : 's'} in ${c.readsPerCycle} reads${c.restore ? '; reads restored before every push (†)' : ''}\n`,
    );
    const rows = c.results.map((r) => [
      r.name,
      fmtHz(r.hz),
      fmtSI(r.msgsPerSec),
      fmtGB(r.gbps),
      fmtRme(r.rme),
      fmtRatio(r.vsWsBu),
      fmtRatio(r.vsWsJs),
      targetCell(evaluated, r.name, c.size),
      checkCell(r),
    ]);
    out.push(
      table(['contender', 'ops/s', 'msgs/s', 'GB/s', '± rme', 'vs ws+bufferutil', 'vs ws (pure JS)', 'target', 'output'], rows, [
        '',
        'r',
        'r',
        'r',
        'r',
        'r',
        'r',
      ]),
    );
    out.push('');
  }
  return out.join('\n');
}

export function targetsTable(evaluated) {
  return table(
    ['target', 'measured (median)', 'met'],
    evaluated.map((t) => [
      t.text,
      fmtRatio(t.ratio),
      t.met == null ? 'not measured' : t.met ? '✔' : t.outputOk === false ? '✘ (wrong output)' : '✘',
    ]),
    ['', 'r', ''],
  );
}

const DECODE_NOTES = (meta) => `Notes
- Input: masked client→server frames (random non-zero mask keys) packed back to back and cut into
  ${sizeLabel(READ_SIZE)} reads; read boundaries fall mid-frame. Every contender is fed Node Buffers through its
  most direct entry point (ws: \`Receiver#_write\`, websocket-driver: hybi \`parse()\` on an open server
  connection, wscodec: \`FrameDecoder#push\`), in one process, and counts messages in its callback.
- GB/s counts payload bytes. Ratios are computed within each round, then the median over ${meta.rounds} round(s) is
  shown; ops/s is the median over rounds and ± rme (benchmark.js relative margin of error) is that round's.
  Contender order is reversed every other round.
- Before timing, each contender decoded two full cycles from fresh copies and every message was compared
  with what was sent (count, text/binary, bytes; default-mode messages are also re-checked after the second
  cycle to prove they are safe to keep). After timing, the number of messages delivered is compared with the
  number of frames completed by the pushed reads ("output" column).
- † Decoders unmask in place, so the same reads are re-pushed as they are for binary sizes (harmless: no
  validation), but text reads are restored from a pristine copy (a ${sizeLabel(READ_SIZE)} memcpy) before every push,
  for every contender alike.
- ws delivers a binary message that fits in one read as a view of that read (no copy); wscodec's default
  mode copies every message out (safe to keep); "zeroCopy" rows deliver views valid only during the callback.
  websocket-driver always decodes text to a JS string and copies every message.
- Targets apply to the default-mode rows only.`;

export function decodeMarkdown({ env, cases, evaluated, meta }) {
  return [
    '# wscodec decode benchmark',
    '',
    environmentMarkdown(env),
    '',
    '## Targets',
    '',
    targetsTable(evaluated),
    '',
    '## Results',
    '',
    decodeTables(cases, evaluated),
    DECODE_NOTES(meta),
    '',
    '![decode throughput relative to ws + bufferutil](ratios.svg)',
    '',
  ].join('\n');
}

export function maskTables(rows) {
  const out = [];
  for (const op of ['unmask', 'mask']) {
    const body = [];
    for (const entry of rows.filter((r) => r.op === op)) {
      entry.results.forEach((r, i) => {
        body.push([
          i === 0 ? sizeLabel(entry.size) : '',
          r.name,
          fmtSI(r.callsPerSec),
          en(r.nsPerCall, r.nsPerCall < 100 ? 1 : 0),
          fmtGB(r.gbps),
          fmtRme(r.rme),
          fmtRatio(r.vsBufferutil),
        ]);
      });
    }
    out.push(`### ${op}\n`);
    out.push(table(['size', 'contender', 'calls/s', 'ns/call', 'GB/s', '± rme', 'vs bufferutil'], body, ['', '', 'r', 'r', 'r', 'r', 'r']));
    out.push('');
  }
  return out.join('\n');
}

export function crossoverTables(rows, mainRows = [], backends = []) {
  const out = [];
  for (const op of ['unmask', 'mask']) {
    const opRows = rows.filter((r) => r.op === op);
    if (!opRows.length) continue;
    const names = opRows[0].results.map((r) => r.name);
    const body = opRows.map((entry) => {
      const fastest = entry.results.reduce((a, b) => (b.nsPerCall < a.nsPerCall ? b : a));
      return [sizeLabel(entry.size), ...entry.results.map((r) => en(r.nsPerCall, 1)), fastest.name];
    });
    out.push(`### ${op}: ns per call\n`);
    out.push(table(['size', ...names, 'fastest'], body, ['', ...names.map(() => 'r'), '']));
    out.push('');
  }
  const points = crossoverPoints(rows);
  out.push('Faster than the pure-JS byte loop at this size and every larger one measured:\n');
  out.push(
    table(
      ['op', 'contender', 'from'],
      points.map((p) => [p.op, p.name, p.beatsJsFrom == null ? 'never (≤ 128 B)' : sizeLabel(p.beatsJsFrom)]),
    ),
  );
  out.push('');
  const suggested = suggestedThresholds(rows, mainRows, backends);
  if (suggested.length) {
    out.push('Suggested "stay in JS below N bytes": the size from which a direct backend call beats the best JS kernel');
    out.push("(the byte loop or wscodec's js backend, whichever is faster there) at that size and every larger size measured:\n");
    out.push(
      table(
        ['op', 'backend', 'stay in JS below'],
        suggested.map((p) => [p.op, p.backend, p.from == null ? 'always (never wins)' : sizeLabel(p.from)]),
      ),
    );
    out.push('');
  }
  return out.join('\n');
}

const MASK_NOTES = `Notes
- bufferutil signatures on Node Buffers: \`unmask(buffer, key)\` in place, \`mask(source, key, output, offset, length)\`.
  Inputs sit in one slab laid out like frames in a socket read (payload i right after its 6/8/14-byte
  header), so offsets are as unaligned as they are in ws. One benchmark op calls the function on up to 512
  different payloads (64 KiB per op for small sizes) so the loop overhead disappears; ns/call = 1e9 / calls/s.
- "pure JS" is bufferutil's own fallback.js (the byte loop ws also uses). "wscodec export" is the module's
  \`mask\`/\`unmask\`, i.e. the active backend behind the small-size JS threshold. Each backend row calls
  \`getBackend(name).mask/.unmask\` directly (no threshold).
- Below its threshold the export runs the same byte loop as "pure JS", so differences between those two
  columns at small sizes are noise (and so is a "from 8 B" for the export in the crossover summary).
- Before timing, every contender was checked against the byte loop on sizes 0–71 and awkward larger sizes
  at shifted offsets, including that nothing outside the target range is written.`;

export function maskMarkdown({ env, rows, crossover, failures, backends = [] }) {
  return [
    '# wscodec mask/unmask benchmark',
    '',
    environmentMarkdown(env),
    '',
    failures.length
      ? `**Correctness failures (these contenders' numbers are meaningless):**\n\n${failures.map((f) => `- ${f}`).join('\n')}\n`
      : 'All contenders produced correct output (checked before timing).\n',
    '## Throughput',
    '',
    maskTables(rows),
    '## Crossover (where a call beats staying in JS)',
    '',
    crossover.length ? crossoverTables(crossover, rows, backends) : '(not run)\n',
    MASK_NOTES,
    '',
  ].join('\n');
}

export { BUFFERUTIL, PURE_JS };
