// Summaries (medians), targets and the markdown report of the e2e benchmark: one table per
// scenario, one row per server and one column per message size, every ratio against the
// baseline measured in the same run (ws + bufferutil; server B in two-server mode).
// The table helpers and number formats are the micro-benchmark's, so both reports read alike.

import { sizeLabel } from '../frames.js';
import { fmtHz, fmtRatio, table } from '../report.js';
import { median } from '../stats.js';
import { commandLine } from './contenders.js';

const SCENARIO_TEXT = { 'one-in-flight': 'one in flight', pipelined: 'pipelined', 'idle-memory': 'idle memory' };
const finite = (x) => (Number.isFinite(x) ? x : null);
/** Server CPU seconds per echoed message in one slice (NaN without /proc). */
const cpuPerMsg = (slice) => (slice.serverCpu == null ? NaN : slice.serverCpu / slice.msgPerSec);
/**
 * A load generator this busy (share of its core) was the bottleneck rather than the server:
 * it has one core to itself, which caps one-in-flight echoes near 200 k msg/s on this machine.
 */
const CLIENT_BOUND = 0.9;
const clientBound = (side) => side?.clientCpu >= CLIENT_BOUND;

/**
 * Per server: the median over its measured slices (throughput) or runs (idle) across all
 * rounds. Against the baseline `base`: each round's ratio (throughput: the median of its
 * per-cycle ratios), then the median over rounds, since a round's fresh processes are its
 * independent draw. Latency: each round's p99 ratio, then the median over rounds.
 */
export function summarize(cell, keys, base) {
  const has = (k) => cell.rounds.filter((r) => r?.[k]);
  const paired = (k) => cell.rounds.filter((r) => r?.[k] && r?.[base]);
  const s = { sides: {}, ratio: {}, ratios: {} };
  if (cell.mode === 'one') s.p99Ratio = {};
  if (cell.mode !== 'idle') Object.assign(s, { pairRatios: {}, cpuRatio: {} });
  for (const k of keys) {
    const rounds = has(k).map((r) => r[k]);
    if (cell.mode === 'idle') {
      const med = (f) => median(rounds.map(f));
      s.sides[k] = { perConnKiB: med((r) => r.perConnKiB), beforeKiB: med((r) => r.beforeKiB), afterKiB: med((r) => r.afterKiB) };
      if (k !== base) s.ratios[k] = paired(k).map((r) => r[k].perConnKiB / r[base].perConnKiB);
    } else {
      const slices = rounds.flatMap((r) => r.slices);
      const med = (f) => median(slices.map(f));
      s.sides[k] = {
        msgPerSec: med((x) => x.msgPerSec),
        p50: median(rounds.map((r) => r.latencyMs?.p50)),
        p99: median(rounds.map((r) => r.latencyMs?.p99)),
        serverCpu: med((x) => x.serverCpu),
        cpuUsPerMsg: med((x) => cpuPerMsg(x) * 1e6),
        faultsPerMsg: med((x) => x.serverFaultsPerMsg),
        clientCpu: med((x) => x.clientCpu),
      };
      if (k === base) continue;
      s.pairRatios[k] = paired(k).map((r) => r[k].slices.map((x, i) => x.msgPerSec / r[base].slices[i].msgPerSec));
      s.ratios[k] = s.pairRatios[k].map(median);
      // The baseline's CPU per message over this server's, per cycle: > 1 means cheaper than ws.
      s.cpuRatio[k] = median(paired(k).map((r) => median(r[k].slices.map((x, i) => cpuPerMsg(r[base].slices[i]) / cpuPerMsg(x)))));
      if (s.p99Ratio) s.p99Ratio[k] = median(paired(k).map((r) => r[k].latencyMs?.p99 / r[base].latencyMs?.p99));
    }
    if (k !== base) s.ratio[k] = median(s.ratios[k]);
  }
  return s;
}

/** Every target of every server, met/missed (null: not measured, or a calibration run). */
export function evaluateTargets(cells, servers, { calibration }) {
  return servers.flatMap((s) =>
    s.targets.map((t) => {
      let ratio = null;
      let where = null;
      let cpuRatio = null;
      let busyClient = false;
      if (t.id === 'p99') {
        // "No worse than ws at any size": the worst size decides.
        for (const c of cells.filter((x) => x.mode === 'one')) {
          const r = finite(c.summary.p99Ratio[s.key]);
          if (r != null && (ratio == null || r > ratio)) [ratio, where] = [r, sizeLabel(c.size)];
        }
      } else {
        const cell = cells.find((c) => c.id === t.id);
        ratio = finite(cell?.summary.ratio[s.key]);
        cpuRatio = finite(cell?.summary.cpuRatio?.[s.key]);
        busyClient = clientBound(cell?.summary.sides[s.key]);
      }
      const met = ratio == null || calibration ? null : t.min != null ? ratio >= t.min : ratio <= t.max;
      return { key: s.key, label: s.label, ...t, ratio, where, met, cpuRatio, clientBound: busyClient };
    }),
  );
}

const limit = (t) => (t.min != null ? `≥ ${t.min}×` : `≤ ${t.max}×`);
const targetMark = (t) => `${t.met == null ? '· not measured' : t.met ? '✔ met' : '✘ missed'} (${limit(t)})`;
const shortMark = (t) => (t?.met == null ? '' : t.met ? ' ✔' : ' ✘');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '—');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '—');
const kib = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const mib = (x) => (Number.isFinite(x) ? (x / 1024).toFixed(1) : '—');

/** msg/s per server (rows) and size (columns); contenders also show their ratio and target mark. */
function rateTable(cells, servers, base, targets) {
  const head = ['server', ...cells.map((c) => sizeLabel(c.size))];
  const rows = servers.map((s) => [
    s.label,
    ...cells.map((c) => {
      const side = c.summary.sides[s.key];
      const rate = `${fmtHz(side?.msgPerSec)}${clientBound(side) ? ' †' : ''}`;
      if (s === base) return rate;
      const t = targets.find((x) => x.key === s.key && x.id === c.id);
      return `${rate} (${fmtRatio(c.summary.ratio[s.key])})${shortMark(t)}`;
    }),
  ]);
  return table(head, rows, ['', ...cells.map(() => 'r')]);
}

/** Server CPU per echoed message; the ratio is the baseline's over this server's (> 1: cheaper). */
function cpuTable(cells, servers, base) {
  const head = ['server', ...cells.map((c) => `${sizeLabel(c.size)} µs/msg`)];
  const rows = servers.map((s) => [
    s.label,
    ...cells.map((c) => {
      const us = c.summary.sides[s.key]?.cpuUsPerMsg;
      const text = Number.isFinite(us) ? us.toFixed(us < 10 ? 2 : 1) : '—';
      return s === base ? text : `${text} (${fmtRatio(c.summary.cpuRatio[s.key])})`;
    }),
  ]);
  return table(head, rows, ['', ...cells.map(() => 'r')]);
}

const CLIENT_BOUND_NOTE = `† the load generator used ≥ ${CLIENT_BOUND * 100}% of its core: the server was not the bottleneck, so its msg/s (and ratio) understates it; server CPU per message compares such servers fairly.`;

function latencyTable(cells, servers, base, targets) {
  const head = ['server', ...cells.map((c) => `${sizeLabel(c.size)} p50 / p99 ms`)];
  const rows = servers.map((s) => [
    s.label,
    ...cells.map((c) => {
      const side = c.summary.sides[s.key];
      const text = `${ms(side?.p50)} / ${ms(side?.p99)}`;
      if (s === base) return text;
      const r = finite(c.summary.p99Ratio[s.key]);
      const t = targets.find((x) => x.key === s.key && x.id === 'p99');
      const mark = t && r != null && t.met != null ? (r <= t.max ? ' ✔' : ' ✘') : '';
      return `${text} (p99 ${fmtRatio(r)})${mark}`;
    }),
  ]);
  return table(head, rows, ['', ...cells.map(() => 'r')]);
}

function memoryTable(cell, servers, base, targets) {
  const head = ['server', 'KiB/conn', `× ${base.label}`, 'RSS MiB before → after', 'target'];
  const rows = servers.map((s) => {
    const side = cell.summary.sides[s.key];
    const t = targets.find((x) => x.key === s.key && x.id === cell.id);
    return [
      s.label,
      kib(side?.perConnKiB),
      s === base ? '' : fmtRatio(cell.summary.ratio[s.key]),
      `${mib(side?.beforeKiB)} → ${mib(side?.afterKiB)}`,
      t ? targetMark(t) : '',
    ];
  });
  return table(head, rows, ['', 'r', 'r', 'r', '']);
}

function diagnosticsTable(cells, servers, base) {
  const rows = cells.flatMap((c) =>
    servers.map((s) => {
      const sum = c.summary;
      const side = sum.sides[s.key] ?? {};
      // Each round's ratio, and for throughput the spread of its cycles.
      const ratios =
        s === base
          ? ''
          : (sum.ratios[s.key] ?? [])
              .map((r, i) => {
                const cycles = sum.pairRatios?.[s.key][i];
                return cycles ? `${r.toFixed(2)} (${Math.min(...cycles).toFixed(2)}–${Math.max(...cycles).toFixed(2)})` : r.toFixed(2);
              })
              .join(', ');
      const idle = c.mode === 'idle';
      return [
        `${SCENARIO_TEXT[c.scenario]}${idle ? '' : ` ${sizeLabel(c.size)}`}`,
        s.label,
        ratios,
        idle ? '' : `${pct(side.serverCpu)} / ${pct(side.clientCpu)}`,
        idle || !Number.isFinite(side.faultsPerMsg) ? '' : side.faultsPerMsg.toFixed(1),
      ];
    }),
  );
  const head = ['cell', 'server', `× ${base.label} per round (cycles min–max)`, 'CPU server / client', 'server page faults/msg'];
  return table(head, rows, ['', '', '', 'r', 'r']);
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

function serversTable(servers) {
  const rows = servers.map((s) => [
    `${s.label}${s.baseline ? ' (baseline)' : ''}`,
    `\`${commandLine(s)}\``,
    s.unavailable
      ? `✘ not available: ${s.unavailable}`
      : `${s.banner ? `“${s.banner}”` : 'measured'}${s.pkg ? ` (binary from npm ${s.pkg})` : ''}`,
  ]);
  return table(['server', 'command', 'listening line, or why not measured'], rows);
}

export function e2eMarkdown({ env, servers, p, cells, targets, problems, calibration }) {
  const base = servers.find((s) => s.baseline);
  const measured = servers.filter((s) => !s.unavailable);
  const out = ['# wscodec end-to-end echo benchmark', ''];
  if (calibration)
    out.push('**Calibration run: both servers are ws. Ratios measure the harness (ideal: 1.00×); targets do not apply.**', '');
  out.push(
    environmentLines(env),
    `- ${p.cpus ? `Servers pinned to CPU ${p.cpus.server}, load generator to CPU ${p.cpus.client} (taskset)` : 'Processes not pinned to CPUs'}`,
    `- ${p.name} preset: throughput cells ${p.rounds} round(s) of fresh servers, ${p.conns} connections to each, ${p.warmMs / 1000} s warm-up each, then ${p.slices} cycles of one ${p.sliceMs / 1000} s slice per server (${(p.rounds * p.slices * p.sliceMs) / 1000} s measured per server and cell); pipelined depth ${p.depth}. Idle memory: ${p.idleRounds} round(s) of one fresh run per server with ${p.idle.count.toLocaleString('en-US')} connections`,
    `- Server environment: ${
      Object.keys(p.serverEnv).length
        ? Object.entries(p.serverEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') + ' (--steady-malloc)'
        : 'inherited, glibc malloc defaults'
    }`,
    '',
    '## Servers',
    '',
    serversTable(servers),
    '',
  );
  if (problems.length) out.push(`**${problems.length} problem(s):**`, '', ...problems.map((x) => `- ${x}`), '');
  if (targets.length) {
    const rows = targets.map((t) => [
      t.label,
      `${t.text} ${limit(t)}`,
      `${fmtRatio(t.ratio)}${t.where ? ` (worst: ${t.where})` : ''}${t.clientBound ? ' †' : ''}`,
      targetMark(t),
      t.cpuRatio == null ? '' : fmtRatio(t.cpuRatio),
    ]);
    const head = ['server', 'target', 'measured', 'result', `server CPU/msg: ${base.label} ÷ this`];
    out.push(`## Targets (median ratio against ${base.label})`, '', table(head, rows, ['', '', 'r', '', 'r']), '');
    if (targets.some((t) => t.clientBound)) out.push(CLIENT_BOUND_NOTE, '');
  }
  const scenario = (name) => cells.filter((c) => c.scenario === name);
  const throughput = (list, title) => {
    if (!list.length) return;
    out.push(`## ${title}: binary echo, messages per second (× ${base.label})`, '', rateTable(list, measured, base, targets), '');
    if (list.some((c) => measured.some((s) => clientBound(c.summary.sides[s.key])))) out.push(CLIENT_BOUND_NOTE, '');
    out.push(`### ${title}: server CPU per message (${base.label} ÷ this)`, '', cpuTable(list, measured, base), '');
  };
  throughput(scenario('one-in-flight'), 'One in flight');
  if (scenario('one-in-flight').length) {
    out.push('### One in flight: round-trip latency', '', latencyTable(scenario('one-in-flight'), measured, base, targets), '');
  }
  throughput(scenario('pipelined'), `Pipelined (${p.depth} in flight per connection)`);
  const idle = cells.find((c) => c.mode === 'idle');
  if (idle) {
    out.push(`## Idle memory: server VmRSS growth per open connection (${idle.count.toLocaleString('en-US')} connections)`, '');
    out.push(memoryTable(idle, measured, base, targets), '');
  }
  out.push('## Diagnostics', '', diagnosticsTable(cells, measured, base), '', NOTES(p, base.label), '');
  return out.join('\n');
}

const NOTES = (p, B) => `Notes
- ✔/✘ after a figure: a target of that server for that cell (see Targets). Ratios are medians
  over rounds of each round's median per-cycle ratio against ${B}, measured in the same run.
- Throughput round: every server starts afresh, with one load-generator process (raw \`net\` sockets
  reading into one shared buffer, hand-written Upgrade, frames masked once with a fixed key and
  re-sent, replies counted from frame headers alone, the first echo on each connection compared byte
  for byte). It shares no code with any server. Everything runs on 127.0.0.1.
- The load generator holds ${p.conns} connections to each server and drives one server at a time: after all
  warm up, ${p.slices} cycles each give every server one slice, in forward and backward order in turn
  (A B C, C B A, …). Between slices it stops sending and waits for every echo in flight, so slices
  never overlap and slow patches of a shared machine fall on all servers alike. Rounds rotate which
  server goes first and start fresh processes (see page faults below for why fresh processes
  matter). The servers share one CPU and the load generator has the other (taskset), so no server
  competes with the load generator for a core; servers not being driven sit idle.
- msg/s: median over a server's slices. p50/p99: over every measured slice of a round, then the
  median over rounds; "p99 1.05×" is that server's p99 over ${B}'s in the same rounds.
- Page faults/msg: the server's minor faults per echoed message. With glibc's defaults a process
  that frees the top of its heap gives it back (trim) and faults it in again for the next large
  buffer: at 64 KiB some processes take ~16 faults per message (every page of it) for their whole
  life and others ~1, which moved identical ws servers by ±30% in calibration. That is real cost,
  so it stays in by default and rounds of fresh processes average over it; \`--steady-malloc\`
  (MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_ for every server) takes it out.
- One in flight: each of ${p.conns} connections sends a message, waits for the whole echo, sends the next;
  latency is send → last byte of the echo, taken in the load generator. Pipelined: each connection
  keeps ${p.depth} messages in flight and answers every read with one write of as many frames as it
  received echoes.
- CPU: user + system time over the measured slices (median; 100% = one core; helper threads
  can push it past 100%). A server near 100% is the bottleneck, as intended; a load generator near
  100% (marked †) means the msg/s ratio understates the faster server. Server CPU per message
  (per slice; the baseline's over the server's per cycle, then medians as above) does not depend
  on who was the bottleneck, though a server with idle time batches less per wakeup and so pays
  somewhat more per message than it would saturated.
- Idle memory: one fresh server process at a time. After it listens, ${p.idle.warmConns} connections each echo one
  20 B message and close; ${p.idle.settleMs / 1000} s later VmRSS is read ("before"); then ${p.idle.count.toLocaleString('en-US')} connections are opened
  (${p.batch} handshakes at a time) and left idle, and ${p.idle.settleMs / 1000} s later VmRSS is read again ("after").
  Per connection = (after − before) / ${p.idle.count.toLocaleString('en-US')}. RSS includes garbage the server's GC has not
  collected yet; no server is modified to force a GC.
- Anchors: Bun's and Deno's binaries come from npm (bench/e2e/anchors.js, cached in bench/.anchors/).
  eiows is not measured: every version compiles against Node's internal headers, which only a full
  Node source tree of the running version has, and its install fetches that tree from GitHub or
  nodejs.org (not reachable here).`;
