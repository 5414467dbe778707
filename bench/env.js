// What the numbers were measured on: the header of every report.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './codec.js';

function version(pkg) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

export function environment({ codecLoad, bufferutilAddon, wsSummary, timing }) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cpuCount: cpus.length,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    wscodec: {
      status: codecLoad.status,
      version: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      spec: codecLoad.spec,
      backends: codecLoad.backends,
      active: codecLoad.active ?? null,
      error: codecLoad.error ? String(codecLoad.error.message ?? codecLoad.error) : null,
      forced: process.env.WSCODEC_BACKEND ?? null,
    },
    versions: {
      ws: version('ws'),
      bufferutil: version('bufferutil'),
      'websocket-driver': version('websocket-driver'),
      benchmark: version('benchmark'),
    },
    bufferutilAddon,
    wsInstances: wsSummary,
    timing,
  };
}

/** Markdown bullet list for the top of each report. */
export function environmentMarkdown(env) {
  const c = env.wscodec;
  const backends =
    c.status === 'ok'
      ? `${c.backends.join(', ')} (active: **${c.active}**${c.forced ? `, forced by WSCODEC_BACKEND=${c.forced}` : ''})`
      : `none — wscodec ${c.status === 'not-built' ? 'not built' : 'failed to load'}: ${c.error}`;
  return [
    `- Date: ${env.date}`,
    `- Node ${env.node} (V8 ${env.v8}), ${env.platform}`,
    `- CPU: ${env.cpu} × ${env.cpuCount} (load average at start: ${env.loadavg.join(' / ')})`,
    `- wscodec ${c.version} backends: ${backends}`,
    `- ws ${env.versions.ws}, bufferutil ${env.versions.bufferutil} (native addon: ${env.bufferutilAddon}), websocket-driver ${env.versions['websocket-driver']}, benchmark.js ${env.versions.benchmark}`,
    `- ${env.wsInstances}`,
  ].join('\n');
}
