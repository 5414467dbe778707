// The report: one JSON file per run and a readable summary of all runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VERDICTS } from './verdict.js';

export function countVerdicts(results) {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
  for (const r of results) counts[r.verdict]++;
  return counts;
}

/** Cases whose verdict is neither OK nor INFORMATIONAL. */
export const notPassing = (results) => results.filter((r) => r.verdict !== 'OK' && r.verdict !== 'INFORMATIONAL');

/** runs: [{ name, peer, harnessRole, results, seconds }] */
export function writeReport(dir, runs, { title = 'wscodec conformance report', notes = [] } = {}) {
  mkdirSync(dir, { recursive: true });
  for (const run of runs) {
    writeFileSync(path.join(dir, `${run.name}.json`), `${JSON.stringify({ ...run, counts: countVerdicts(run.results) }, null, 2)}\n`);
  }
  const lines = [`# ${title}`, '', `Generated ${new Date().toISOString()} by \`npm run conformance\` (Node ${process.version}).`, ''];
  lines.push('| run | peer under test | harness plays | cases | OK | NON-STRICT | INFORMATIONAL | FAILED | seconds |');
  lines.push('|---|---|---|--:|--:|--:|--:|--:|--:|');
  for (const run of runs) {
    const c = countVerdicts(run.results);
    lines.push(
      `| ${run.name} | ${run.peer} | ${run.harnessRole} | ${run.results.length} | ${c.OK} | ${c['NON-STRICT']} | ${c.INFORMATIONAL} | ${c.FAILED} | ${run.seconds.toFixed(1)} |`,
    );
  }
  for (const note of notes) lines.push('', note);
  for (const run of runs) {
    const odd = run.results.filter((r) => r.verdict !== 'OK');
    if (odd.length === 0) continue;
    lines.push('', `## ${run.name}: cases not OK`, '', '| case | verdict | title | why |', '|---|---|---|---|');
    for (const r of odd) lines.push(`| ${r.id} | ${r.verdict} | ${r.title} | ${(r.reason ?? '').replaceAll('|', '\\|')} |`);
  }
  writeFileSync(path.join(dir, 'summary.md'), `${lines.join('\n')}\n`);
  return lines.join('\n');
}
