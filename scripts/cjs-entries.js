// CommonJS entries for require('wscodec') and require('wscodec/codec'): they load the
// ES module build (Node >= 20.19 supports require() of ES modules without a flag).
import { writeFileSync } from 'node:fs';

for (const name of ['index', 'codec-node']) {
  writeFileSync(new URL(`../dist/${name}.cjs`, import.meta.url), `'use strict';\nmodule.exports = require('./${name}.js');\n`);
}
