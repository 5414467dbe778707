// The runs a conformance pass is made of, shared by `npm run conformance` (run.js) and
// the tests: each peer under test in each role, plus ws as the calibration reference.
import { runAsClient, runAsServer } from './runner.js';
import { selectCases } from './cases/index.js';
import { echoClient, startWsServer, startWscodecServer } from './targets.js';

/**
 * One run of a pass; run.js fills in `results` and `seconds`.
 * @typedef {object} PlannedRun
 * @property {string} name
 * @property {string} peer
 * @property {'client' | 'server'} harnessRole
 * @property {'wscodec' | 'ws'} impl
 * @property {string} [backend]
 * @property {boolean} [calibration]
 * @property {any[]} [results]
 * @property {number} [seconds]
 */

/**
 * One run's description; `harnessRole` is what the harness plays against the peer.
 * @param {string[]} backends
 * @param {{ calibration?: boolean }} [options]
 */
export function plannedRuns(backends, { calibration = true } = {}) {
  /** @type {PlannedRun[]} */
  const runs = [];
  for (const backend of backends) {
    runs.push({ name: `wscodec-server-${backend}`, peer: `wscodec echo (${backend})`, harnessRole: 'client', impl: 'wscodec', backend });
    runs.push({
      name: `wscodec-client-${backend}`,
      peer: `wscodec WebSocket client (${backend})`,
      harnessRole: 'server',
      impl: 'wscodec',
      backend,
    });
  }
  if (calibration) {
    runs.push({ name: 'ws-server', peer: 'ws echo server (calibration)', harnessRole: 'client', impl: 'ws', calibration: true });
    runs.push({ name: 'ws-client', peer: 'ws WebSocket client (calibration)', harnessRole: 'server', impl: 'ws', calibration: true });
  }
  return runs;
}

/**
 * Runs one planned run over its cases; resolves the results.
 * @param {PlannedRun} run
 * @param {{ reduced?: boolean, groups?: number[], onResult?: (result: any) => void }} [options]
 */
export async function execute(run, { reduced = false, groups, onResult } = {}) {
  const cases = selectCases({ harnessRole: run.harnessRole, reduced, groups, autobahnOnly: run.calibration === true });
  if (run.harnessRole === 'server') {
    return runAsServer({ cases, startClient: echoClient(run.impl, run.backend), onResult });
  }
  const target = run.impl === 'ws' ? await startWsServer() : await startWscodecServer(run.backend);
  try {
    return await runAsClient({ host: target.host, port: target.port, cases, onResult });
  } finally {
    target.stop();
  }
}

/**
 * ws's known Autobahn pattern, re-expressed for our case ids: NON-STRICT exactly on
 * 6.4.x (ws checks UTF-8 once a message is complete), INFORMATIONAL exactly where the
 * case says the RFC leaves the choice open, OK everywhere else. Returns the cases
 * where a calibration run departs from it — each one a harness bug until shown otherwise.
 */
export function calibrationDepartures(results) {
  const informational = new Set(
    selectCases({ harnessRole: 'client' })
      .concat(selectCases({ harnessRole: 'server' }))
      .filter((k) => k.informational)
      .map((k) => k.id),
  );
  return results.filter((r) => {
    const expected = r.id.startsWith('6.4.') ? 'NON-STRICT' : informational.has(r.id) ? 'INFORMATIONAL' : 'OK';
    return r.verdict !== expected;
  });
}
