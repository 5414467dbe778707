#!/usr/bin/env node
// `npm run conformance`: every case, on every backend, in both roles, plus the ws
// calibration runs; writes conformance/report/: summary.md (committed) and a JSON file per
// run (build output, git-ignored).
//   --reduced            only what `npm test` runs
//   --backends a,b       default: native,wasm,js
//   --groups 1,2,6       only these groups
//   --no-calibration     skip the ws runs
//   --out DIR            default: conformance/report
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { calibrationDepartures, execute, plannedRuns } from './suite.js';
import { notPassing, writeReport } from './report.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    reduced: { type: 'boolean', default: false },
    backends: { type: 'string', default: 'native,wasm,js' },
    groups: { type: 'string' },
    'no-calibration': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'conformance/report') },
  },
});

const groups = values.groups?.split(',').map(Number);
const runs = plannedRuns(values.backends.split(',').filter(Boolean), { calibration: !values['no-calibration'] });
let bad = 0;
const notes = [];
for (const run of runs) {
  const started = performance.now();
  let done = 0;
  process.stdout.write(`${run.name}: `);
  run.results = await execute(run, {
    reduced: values.reduced,
    groups,
    onResult: (r) => {
      done++;
      if (r.verdict !== 'OK') process.stdout.write(`\n  ${r.id} ${r.verdict}: ${r.reason ?? ''}`);
      else if (done % 50 === 0) process.stdout.write(done === 50 ? '\n  .' : '.');
    },
  });
  run.seconds = (performance.now() - started) / 1000;
  if (run.calibration) {
    const departures = calibrationDepartures(run.results);
    notes.push(
      `Calibration ${run.name}: ${departures.length === 0 ? "reproduces ws's known pattern (NON-STRICT exactly on 6.4.x, INFORMATIONAL exactly on the informational cases)" : `departs on ${departures.map((r) => `${r.id} (${r.verdict})`).join(', ')}`}.`,
    );
    bad += departures.length;
  } else {
    bad += notPassing(run.results).length;
  }
  console.log(`\n  ${run.results.length} cases in ${run.seconds.toFixed(1)} s`);
}
console.log(`\n${writeReport(values.out, runs, { notes })}`);
console.log(`\nReport written to ${path.relative(process.cwd(), values.out) || '.'}/`);
process.exitCode = bad > 0 ? 1 : 0;
