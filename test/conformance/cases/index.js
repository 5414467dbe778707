// Every case, in Autobahn's group order, and the reduced set `npm test` runs.
import g1 from './g1-framing.js';
import g2 from './g2-pings.js';
import g3 from './g3-reserved-bits.js';
import g4 from './g4-opcodes.js';
import g5 from './g5-fragmentation.js';
import g6 from './g6-utf8.js';
import g7 from './g7-close.js';
import g9, { REDUCED as REDUCED_9 } from './g9-limits.js';
import g10 from './g10-autofragment.js';
import g12, { REDUCED as REDUCED_12 } from './g12-deflate.js';
import g13, { REDUCED as REDUCED_13 } from './g13-deflate-params.js';
import g20 from './g20-beyond.js';

/** @type {{ group: number, title: string, cases: import('./dsl.js').Case[], reduced?: Set<string>, extra?: boolean }[]} */
export const GROUPS = [
  { group: 1, title: 'Framing', cases: g1 },
  { group: 2, title: 'Pings and pongs', cases: g2 },
  { group: 3, title: 'Reserved bits', cases: g3 },
  { group: 4, title: 'Opcodes', cases: g4 },
  { group: 5, title: 'Fragmentation', cases: g5 },
  { group: 6, title: 'UTF-8 handling', cases: g6 },
  { group: 7, title: 'Close handling', cases: g7 },
  { group: 9, title: 'Limits and volume', cases: g9, reduced: REDUCED_9 },
  { group: 10, title: 'Auto-fragmentation', cases: g10 },
  { group: 12, title: 'permessage-deflate over corpora', cases: g12, reduced: REDUCED_12 },
  { group: 13, title: 'permessage-deflate parameters', cases: g13, reduced: REDUCED_13 },
  { group: 20, title: 'Beyond Autobahn', cases: g20, extra: true },
];

/**
 * The cases for a run in which the harness plays `harnessRole`.
 * `reduced`: the subset `npm test` runs; `autobahnOnly`: leave out group 20 (calibration).
 * @param {{ harnessRole?: 'client' | 'server', reduced?: boolean, autobahnOnly?: boolean, groups?: number[] }} [options]
 * @returns {import('./dsl.js').Case[]}
 */
export function selectCases({ harnessRole, reduced = false, autobahnOnly = false, groups } = {}) {
  const out = [];
  for (const g of GROUPS) {
    if (autobahnOnly && g.extra) continue;
    if (groups && !groups.includes(g.group)) continue;
    for (const kase of g.cases) {
      if (reduced && g.reduced && !g.reduced.has(kase.id)) continue;
      if (kase.harnessRoles && !kase.harnessRoles.includes(harnessRole)) continue;
      out.push(kase);
    }
  }
  return out;
}
