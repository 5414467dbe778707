// wscodec as the server: the harness connects to `wscodec echo` on every backend and
// plays groups 1–7 and 10 in full, reduced 9/12/13 and group 20. Every case must be OK
// or INFORMATIONAL (`npm run conformance` runs everything and writes the report).
import { test } from 'node:test';
import { availableBackends } from 'wscodec/codec';
import { plannedRuns } from './suite.js';
import { runAsSubtests } from './conformance-helpers.js';

for (const run of plannedRuns(availableBackends(), { calibration: false }).filter((r) => r.harnessRole === 'client')) {
  test(`conformance: ${run.peer}`, { timeout: 600_000 }, (t) => runAsSubtests(t, run, { reduced: true }));
}
