// What the conformance test files share: run one planned run and turn every case into
// a subtest whose failure message says why.
import assert from 'node:assert/strict';
import { execute } from './suite.js';

/**
 * @param {import('node:test').TestContext} t
 * @param {import('./suite.js').PlannedRun} run
 * @param {Parameters<typeof execute>[1]} [options]
 * @returns {Promise<void>}
 */
export async function runAsSubtests(t, run, options) {
  const results = await execute(run, options);
  assert.ok(results.length > 0, 'the run had cases');
  for (const r of results) {
    await t.test(`${r.id} ${r.title}`, () => {
      assert.ok(r.verdict === 'OK' || r.verdict === 'INFORMATIONAL', `${r.verdict}: ${r.reason ?? ''}`);
    });
  }
}
