// What the conformance test files share: run one planned run and turn every case into
// a subtest whose failure message says why.
import assert from 'node:assert/strict';
import { execute } from './suite.js';

export async function runAsSubtests(t, run, options) {
  const results = await execute(run, options);
  assert.ok(results.length > 0, 'the run had cases');
  for (const r of results) {
    await t.test(`${r.id} ${r.title}`, () => {
      assert.ok(r.verdict === 'OK' || r.verdict === 'INFORMATIONAL', `${r.verdict}: ${r.reason ?? ''}`);
    });
  }
  return results;
}
