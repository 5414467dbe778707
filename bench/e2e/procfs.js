// Reading another process's memory and CPU time from /proc (Linux), so neither server has
// to be modified or instrumented to be measured.

import { readFileSync } from 'node:fs';

/** Resident set size in KiB (VmRSS), or null where /proc is unavailable. */
export function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// USER_HZ: 100 on every Linux that Node supports in practice (sysconf is not reachable
// from JS); it only scales the CPU percentage shown in the diagnostics.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, every thread) and minor page faults of `pid` so far, or null.
 * Faults matter at 64 KiB: see the notes on glibc heap trimming in report.js.
 */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields are counted after its ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND, minflt: Number(f[7]) };
  } catch {
    return null;
  }
}

export const cpuSeconds = (pid) => procStat(pid)?.cpu ?? null;
