// wscodec as the client: the harness is the server and our WebSocket client (in a child
// process, on every backend) connects once per case and echoes. It must mask every
// frame and close correctly; every case must be OK or INFORMATIONAL.
import { test } from 'node:test';
import { availableBackends } from 'wscodec/codec';
import { plannedRuns } from './suite.js';
import { runAsSubtests } from './conformance-helpers.js';

for (const run of plannedRuns(availableBackends(), { calibration: false }).filter((r) => r.harnessRole === 'server')) {
  test(`conformance: ${run.peer}`, { timeout: 600_000 }, (t) => runAsSubtests(t, run, { reduced: true }));
}
