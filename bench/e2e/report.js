// Summaries (medians), targets and the markdown report of the e2e benchmark.
// The table helpers and number formats are the micro-benchmark's, so both reports read alike.

import { sizeLabel } from '../frames.js';
import { fmtHz, fmtRatio, table } from '../report.js';
import { median } from '../stats.js';

/** Goals from the design brief; informational, nothing fails on them. */
export const TARGETS = [
  { id: 'one-in-flight/20', min: 1.2, text: 'msg/s ≥ 1.2× ws, 20 B, one in flight' },
  { id: 'one-in-flight/65536', min: 1.5, text: 'msg/s ≥ 1.5× ws, 64 KiB, one in flight' },
  { id: 'pipelined/20', min: 2, text: 'msg/s ≥ 2× ws, 20 B, pipelined' },
  { id: 'idle-memory', max: 0.5, text: 'idle memory per connection ≤ 0.5× ws' },
];

const SCENARIO_TEXT = { 'one-in-flight': 'one in flight', pipelined: 'pipelined', 'idle-memory': 'idle memory' };

/**
 * Per server: the median over its measured slices (throughput) or runs (idle) across all
 * rounds. A/B: each round's ratio (throughput: the median of its slice-pair ratios), then
 * the median over rounds, since a round's fresh processes are its independent draw.
 */
export function summarize(cell) {
  const done = cell.rounds.filter((r) => r?.a && r?.b);
  if (cell.mode === 'idle') {
    const side = (k) => ({
      perConnKiB: median(done.map((r) => r[k].perConnKiB)),
      beforeKiB: median(done.map((r) => r[k].beforeKiB)),
      afterKiB: median(done.map((r) => r[k].afterKiB)),
    });
    const ratios = done.map((r) => r.a.perConnKiB / r.b.perConnKiB);
    return { a: side('a'), b: side('b'), ratios, ratio: median(ratios) };
  }
  const slices = (k) => done.flatMap((r) => r[k].slices);
  const side = (k) => ({
    msgPerSec: median(slices(k).map((s) => s.msgPerSec)),
    p50: median(done.map((r) => r[k].latencyMs?.p50)),
    p99: median(done.map((r) => r[k].latencyMs?.p99)),
    serverCpu: median(slices(k).map((s) => s.serverCpu)),
    faultsPerMsg: median(slices(k).map((s) => s.serverFaultsPerMsg)),
    clientCpu: median(slices(k).map((s) => s.clientCpu)),
  });
  const pairRatios = done.map((r) => r.a.slices.map((s, i) => s.msgPerSec / r.b.slices[i].msgPerSec));
  const ratios = pairRatios.map(median);
  return { a: side('a'), b: side('b'), pairRatios, ratios, ratio: median(ratios) };
}

export function evaluateTargets(cells, { calibration }) {
  return TARGETS.map((t) => {
    const cell = cells.find((c) => c.id === t.id);
    const ratio = cell && Number.isFinite(cell.summary.ratio) ? cell.summary.ratio : null;
    const met = ratio == null || calibration ? null : t.min != null ? ratio >= t.min : ratio <= t.max;
    return { ...t, ratio, met };
  });
}

const targetMark = (t) => `${t.met == null ? '·' : t.met ? '✔ met' : '✘ missed'} (${t.min != null ? `≥ ${t.min}×` : `≤ ${t.max}×`})`;
const ms = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '—');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '—');
const kib = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const mib = (x) => (Number.isFinite(x) ? (x / 1024).toFixed(1) : '—');

function throughputTable(cells, targets, A, B) {
  const rows = cells
    .filter((c) => c.mode !== 'idle')
    .map((c) => {
      const s = c.summary;
      const t = targets.find((x) => x.id === c.id);
      const lat = (side) => (c.mode === 'one' ? `${ms(side.p50)} / ${ms(side.p99)}` : '');
      return [
        SCENARIO_TEXT[c.scenario],
        sizeLabel(c.size),
        fmtHz(s.a.msgPerSec),
        fmtHz(s.b.msgPerSec),
        fmtRatio(s.ratio),
        lat(s.a),
        lat(s.b),
        t ? targetMark(t) : '',
      ];
    });
  const head = ['scenario', 'size', `${A} msg/s`, `${B} msg/s`, `${A}/${B}`, `${A} p50 / p99 ms`, `${B} p50 / p99 ms`, 'target'];
  return table(head, rows, ['', 'r', 'r', 'r', 'r', 'r', 'r', '']);
}

function memoryTable(cells, targets, A, B) {
  const c = cells.find((x) => x.mode === 'idle');
  if (!c) return null;
  const s = c.summary;
  const t = targets.find((x) => x.id === c.id);
  const head = [
    'connections',
    `${A} KiB/conn`,
    `${B} KiB/conn`,
    `${A}/${B}`,
    `${A} RSS MiB before → after`,
    `${B} RSS MiB before → after`,
    'target',
  ];
  const row = [
    c.count.toLocaleString('en-US'),
    kib(s.a.perConnKiB),
    kib(s.b.perConnKiB),
    fmtRatio(s.ratio),
    `${mib(s.a.beforeKiB)} → ${mib(s.a.afterKiB)}`,
    `${mib(s.b.beforeKiB)} → ${mib(s.b.afterKiB)}`,
    targetMark(t),
  ];
  return table(head, [row], ['r', 'r', 'r', 'r', 'r', 'r', '']);
}

function diagnosticsTable(cells, A, B) {
  const rows = cells.map((c) => {
    const s = c.summary;
    // Each round's ratio, and for throughput the spread of its slice pairs.
    const ratios = s.ratios
      .map((r, i) =>
        s.pairRatios
          ? `${r.toFixed(2)} (${Math.min(...s.pairRatios[i]).toFixed(2)}–${Math.max(...s.pairRatios[i]).toFixed(2)})`
          : r.toFixed(2),
      )
      .join(', ');
    const cpu = (side) => (c.mode === 'idle' ? '' : `${pct(side.serverCpu)} / ${pct(side.clientCpu)}`);
    const faults = (side) => (c.mode === 'idle' || !Number.isFinite(side.faultsPerMsg) ? '' : side.faultsPerMsg.toFixed(1));
    return [
      `${SCENARIO_TEXT[c.scenario]}${c.mode === 'idle' ? '' : ` ${sizeLabel(c.size)}`}`,
      ratios,
      cpu(s.a),
      cpu(s.b),
      c.mode === 'idle' ? '' : `${faults(s.a)} / ${faults(s.b)}`,
    ];
  });
  const head = [
    'cell',
    `${A}/${B} per round (slice pairs min–max)`,
    `CPU server / client (${A})`,
    `CPU server / client (${B})`,
    `server page faults/msg (${A} / ${B})`,
  ];
  return table(head, rows, ['', '', 'r', 'r', 'r']);
}

export function environmentLines(env) {
  return [
    `- Date: ${env.date}`,
    `- Node ${env.node} (V8 ${env.v8}), ${env.platform}`,
    `- CPU: ${env.cpu} × ${env.cpuCount} (load average at start: ${env.loadavg.join(' / ')}, at end: ${env.loadavgEnd?.join(' / ') ?? '?'})`,
    `- ws ${env.versions.ws}, bufferutil ${env.versions.bufferutil} (native addon: ${env.bufferutilAddon}); wscodec ${env.wscodec.version}` +
      (env.wscodec.status === 'ok' ? ` (backends ${env.wscodec.backends.join(', ')}; automatic choice: ${env.wscodec.active})` : ''),
  ].join('\n');
}

export function e2eMarkdown({ env, servers, p, cells, targets, problems, calibration }) {
  const [A, B] = servers.map((s) => s.label);
  const out = ['# wscodec end-to-end echo benchmark', ''];
  if (calibration)
    out.push('**Calibration run: both servers are ws. Ratios measure the harness (ideal: 1.00×); targets do not apply.**', '');
  out.push(environmentLines(env));
  for (const s of servers) out.push(`- ${s.label}: \`${s.command}\`${s.banner ? ` — “${s.banner}”` : ''}`);
  out.push(
    `- ${p.cpus ? `Servers pinned to CPU ${p.cpus.server}, load generator to CPU ${p.cpus.client} (taskset)` : 'Processes not pinned to CPUs'}`,
    `- ${p.name} preset: throughput cells ${p.rounds} round(s) of fresh servers, ${p.conns} connections to each, ${p.warmMs / 1000} s warm-up each, then ${p.slices} pairs of ${p.sliceMs / 1000} s slices (${(p.rounds * p.slices * p.sliceMs) / 1000} s measured per server and cell); pipelined depth ${p.depth}. Idle memory: ${p.idleRounds} round(s) of one fresh run per server with ${p.idle.count.toLocaleString('en-US')} connections`,
    `- Server environment: ${
      Object.keys(p.serverEnv).length
        ? Object.entries(p.serverEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') + ' (--steady-malloc)'
        : 'inherited, glibc malloc defaults'
    }`,
    '',
  );
  if (problems.length) out.push(`**${problems.length} problem(s):**`, '', ...problems.map((x) => `- ${x}`), '');
  out.push(
    '## Targets',
    '',
    table(
      ['target', 'measured (median ratio)', 'result'],
      targets.map((t) => [t.text, fmtRatio(t.ratio), targetMark(t)]),
      ['', 'r', ''],
    ),
    '',
  );
  out.push('## Throughput (binary echo, messages per second)', '', throughputTable(cells, targets, A, B), '');
  const mem = memoryTable(cells, targets, A, B);
  if (mem) out.push('## Idle memory (server VmRSS growth per open connection)', '', mem, '');
  out.push('## Diagnostics', '', diagnosticsTable(cells, A, B), '');
  out.push(NOTES(p, A, B), '');
  return out.join('\n');
}

const NOTES = (p, A, B) => `Notes
- Throughput round: both servers start afresh, with one load-generator process (raw \`net\` sockets
  reading into one shared buffer, hand-written Upgrade, frames masked once with a fixed key and
  re-sent, replies counted from frame headers alone, the first echo on each connection compared byte
  for byte). It shares no code with either server. Everything runs on 127.0.0.1.
- The load generator holds ${p.conns} connections to each server and drives one server at a time: after both
  warm up, ${p.slices} pairs of slices alternate A B, B A, A B … Between slices it stops sending and
  waits for every echo in flight, so slices never overlap and slow patches of a shared machine fall
  on both servers alike. Rounds flip which server goes first and start fresh processes (see page
  faults below for why fresh processes matter). The servers share one CPU and the load generator
  has the other (taskset), so neither competes with the other for a core.
- msg/s: median over a server's slices. ${A}/${B}: each round's median slice-pair ratio, then the median
  over rounds. p50/p99: over every measured slice of a round, then the median over rounds.
- Page faults/msg: the server's minor faults per echoed message. With glibc's defaults a process
  that frees the top of its heap gives it back (trim) and faults it in again for the next large
  buffer: at 64 KiB some processes take ~16 faults per message (every page of it) for their whole
  life and others ~1, which moved identical ws servers by ±30% in calibration. That is real cost,
  so it stays in by default and rounds of fresh processes average over it; \`--steady-malloc\`
  (MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_ for both servers) takes it out.
- One in flight: each of ${p.conns} connections sends a message, waits for the whole echo, sends the next;
  latency is send → last byte of the echo, taken in the load generator. Pipelined: each connection
  keeps ${p.depth} messages in flight and answers every read with one write of as many frames as it
  received echoes.
- CPU: user + system time over the measured slices (median; 100% = one core; Node's helper threads
  can push it past 100%). A server near 100% is the bottleneck, as intended; a load generator near
  100% would mean the ratio understates the faster server.
- Idle memory: one fresh server process at a time. After it listens, ${p.idle.warmConns} connections each echo one
  20 B message and close; ${p.idle.settleMs / 1000} s later VmRSS is read ("before"); then ${p.idle.count.toLocaleString('en-US')} connections are opened
  (${p.batch} handshakes at a time) and left idle, and ${p.idle.settleMs / 1000} s later VmRSS is read again ("after").
  Per connection = (after − before) / ${p.idle.count.toLocaleString('en-US')}. RSS includes garbage the server's GC has not
  collected yet; neither server is modified to force a GC.`;
