// bench/broadcast's report: medians of the fan-out slices, latency percentiles, markdown.

import { environmentMarkdown } from '../env.js';
import { sizeLabel } from '../frames.js';
import { median } from '../stats.js';

// wscodec's fan-out at 64 B against ws + bufferutil (the key of its server in run.js).
export const TARGET = { size: 64, ratio: 3, against: 'ws' };

/** p50/p99 (nearest rank) of a list of milliseconds. */
export function percentiles(values) {
  const v = Float64Array.from(values).sort();
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : NaN);
  return { p50: at(0.5), p99: at(0.99), samples: v.length };
}

const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '–');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const range = (lo, hi) => (Number.isFinite(lo) ? `${lo.toFixed(2)}–${hi.toFixed(2)}×` : '–');
const row = (cells) => `| ${cells.join(' | ')} |`;

/**
 * Per size and server: the median of each round's median slice (rounds are fresh processes,
 * so a round is one draw of a process). Per size and baseline (every server after the
 * first): the first one's ratio to it, the spread of per-round ratios, and the ratio of
 * deliveries per server CPU-second.
 */
export function summarizeFanout(fanout, servers) {
  const [subject, ...baselines] = servers;
  const out = {};
  for (const [size, bySrv] of Object.entries(fanout)) {
    const rounds = [
      ...new Set(
        Object.values(bySrv)
          .flat()
          .map((x) => x.round),
      ),
    ].sort((a, b) => a - b);
    const perRound = (key, f) => rounds.map((r) => median(bySrv[key].filter((x) => x.round === r).map(f)));
    const by = {};
    for (const { key } of servers) {
      by[key] = {
        deliveriesPerSec: median(perRound(key, (x) => x.deliveriesPerSec)),
        serverCpu: median(perRound(key, (x) => x.serverCpu)),
        clientCpu: median(perRound(key, (x) => x.clientCpu)),
        perServerCpuSec: median(perRound(key, (x) => x.deliveriesPerSec / x.serverCpu)),
        stalls: median(perRound(key, (x) => x.stalls / x.messages)),
        slices: bySrv[key].length,
      };
    }
    const own = perRound(subject.key, (x) => x.deliveriesPerSec);
    const vs = {};
    for (const { key } of baselines) {
      const theirs = perRound(key, (x) => x.deliveriesPerSec);
      const ratios = own.map((x, i) => x / theirs[i]).filter(Number.isFinite);
      vs[key] = {
        ratio: by[subject.key].deliveriesPerSec / by[key].deliveriesPerSec,
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        cpuRatio: by[subject.key].perServerCpuSec / by[key].perServerCpuSec,
      };
    }
    out[size] = { servers: by, vs, rounds: rounds.length };
  }
  return out;
}

/** The fan-out section: what was measured, deliveries/s with ratios, then the servers' CPU cost. */
function fanoutMarkdown(p, servers, sum) {
  const [subject, ...baselines] = servers;
  const against = servers.find((s) => s.key === TARGET.against);
  const versus = (b) => `${subject.label} / ${b.label}`;
  const all = (f) => servers.map(f).join(' / ');
  const allLabels = all((s) => s.label);
  const sizes = p.sizes.filter((size) => sum[size]);
  const lines = [
    `## Fan-out: ${fmt(p.subs)} subscribers on one process`,
    '',
    `Recipient deliveries per second: frames received by the load generator's ${fmt(p.subs)} raw-TCP subscribers (they never send) ÷ time from the publish request to the last frame. ` +
      `Servers: ${servers.map((s) => `\`${s.label}\` — ${s.does}`).join('; ')}. ` +
      `All run bench/broadcast/fanout-server.js with the same pacing: ${Object.entries(p.batchOf)
        .map(([s, n]) => `${n} publishes per event-loop turn at ${sizeLabel(Number(s))}`)
        .join(', ')}, then \`setImmediate\`, and no publishing while any subscriber has over 64 KiB queued. ` +
      `${p.rounds} round(s) of fresh processes; in each, all ${servers.length} servers hold their subscribers at once and, per size, take turns in ${p.slices} measured group(s) of one ${p.sliceMs} ms slice each (after one warm-up slice each). ` +
      `The order rotates every group and every round and reverses every ${servers.length} groups, so no server always goes first or always follows the same one. Medians of per-round medians. ` +
      `bufferutil only replaces ws's masking loops, and here the servers neither mask (server frames are unmasked) nor unmask (subscribers never send), so the two ws columns are expected to agree.`,
    '',
    row([
      'message',
      ...servers.map((s) => `${s.label} deliveries/s`),
      ...baselines.flatMap((b) => [versus(b), 'per-round ratios']),
      `target (vs ${against.label})`,
    ]),
    row(['---', ...servers.map(() => '--:'), ...baselines.flatMap(() => ['--:', '--:']), '---']),
  ];
  for (const size of sizes) {
    const s = sum[size];
    const target =
      size === TARGET.size ? `≥ ${TARGET.ratio}×: ${s.vs[against.key].ratio >= TARGET.ratio ? '**met**' : '**not met**'}` : '–';
    lines.push(
      row([
        sizeLabel(size),
        ...servers.map((x) => fmt(s.servers[x.key].deliveriesPerSec)),
        ...baselines.flatMap((b) => [times(s.vs[b.key].ratio), range(s.vs[b.key].ratioMin, s.vs[b.key].ratioMax)]),
        target,
      ]),
    );
  }
  lines.push(
    '',
    row([
      'message',
      `server CPU ${allLabels}`,
      `deliveries per server CPU-s ${allLabels}`,
      ...baselines.map((b) => `${versus(b)} per CPU-s`),
      `load generator CPU ${allLabels}`,
    ]),
    row(['---', '--:', '--:', ...baselines.map(() => '--:'), '--:']),
  );
  for (const size of sizes) {
    const s = sum[size];
    const of = (f) => all((x) => f(s.servers[x.key]));
    lines.push(
      row([
        sizeLabel(size),
        of((x) => pct(x.serverCpu)),
        of((x) => fmt(x.perServerCpuSec)),
        ...baselines.map((b) => times(s.vs[b.key].cpuRatio)),
        of((x) => pct(x.clientCpu)),
      ]),
    );
  }
  lines.push('');
  const saturated = sizes.filter((size) => servers.some((x) => sum[size].servers[x.key].clientCpu >= 0.85));
  if (saturated.length) {
    lines.push(
      `**Caveat:** at ${saturated.map(sizeLabel).join(' and ')} the load generator's CPU was ≥ 85% busy while a server's was not: there deliveries/s is bounded by the receiving side, not by the server, and the per-server-CPU-second column is the better measure of the servers' own cost.`,
      '',
    );
  }
  if (servers.some((s) => s.banner)) lines.push(...servers.map((s) => `- ${s.label}: ${s.banner ?? '?'}`), '');
  return lines;
}

export function broadcastMarkdown({ env, p, servers, fanout, latency, problems, seconds }) {
  const lines = [
    '# Broadcast: wscodec Topics against ws',
    '',
    `Generated by \`npm run bench:broadcast\`${p.name === 'full' ? '' : ` (${p.name})`} in ${seconds.toFixed(0)} s.`,
    '',
    environmentMarkdown(env),
    `- ${p.cpus ? `Servers pinned to CPU ${p.cpus.server}, load generator to CPU ${p.cpus.client} (taskset)` : 'Not pinned to CPUs'}; load average at end: ${env.loadavgEnd.join(' / ')}`,
    '',
    ...fanoutMarkdown(p, servers, summarizeFanout(fanout, servers)),
  ];

  lines.push(`## Redis backplane: added latency per hop`, '');
  if (latency) {
    lines.push(
      `Two wscodec processes (bench/broadcast/relay-server.js: \`Topics\` on \`createRedisBackplane\`) sharing ${latency.redis.banner} on ${latency.redis.url}. ` +
        `A client of process 1 sends ${fmt(latency.messages)} ${p.latency.size}-byte messages, one every ${p.latency.intervalMs} ms; process 1 publishes each to the topic. ` +
        `That client is subscribed too and gets each message from process 1 directly (local path); a client of process 2 gets it through Redis. ` +
        `Times are the load generator's clock from its write to each arrival; "added" is, per message, the Redis arrival minus the local one.`,
      '',
      '| path | p50 ms | p99 ms | messages |',
      '|---|--:|--:|--:|',
      `| local only (process 1 → its own subscriber) | ${ms(latency.local.p50)} | ${ms(latency.local.p99)} | ${fmt(latency.local.samples)} |`,
      `| via Redis (process 1 → Redis → process 2) | ${ms(latency.viaRedis.p50)} | ${ms(latency.viaRedis.p99)} | ${fmt(latency.viaRedis.samples)} |`,
      `| added by the Redis hop | ${ms(latency.added.p50)} | ${ms(latency.added.p99)} | ${fmt(latency.added.samples)} |`,
      '',
      `Missing deliveries: ${latency.missing.local} local, ${latency.missing.remote} via Redis; duplicates: ${latency.duplicates.local} local, ${latency.duplicates.remote} via Redis.`,
      '',
    );
  } else {
    lines.push('Not measured (see problems).', '');
  }
  if (problems.length) lines.push('## Problems', '', ...problems.map((x) => `- ${x}`), '');
  return lines.join('\n');
}
