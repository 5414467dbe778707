// npm install's native step: build the addon with the node-gyp devDependency when a C++
// toolchain is present. It must never fail the install: on any problem it prints one
// line and the wasm backend serves instead. WSCODEC_SANITIZE=1 builds with ASan+UBSan.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { writeScanContract } from './gen-scan-contract.js';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const addonPath = `${root}build/Release/wscodec.node`;

function unavailable(reason) {
  console.log(`wscodec: native backend unavailable (${reason}); the wasm backend will be used`);
  process.exit(0);
}

if (process.env.WSCODEC_SKIP_NATIVE) unavailable('WSCODEC_SKIP_NATIVE is set');
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  unavailable('node-gyp is not installed');
}
// The kernels include bindings/scan-contract.h, generated here from the TS contract so
// that every way of building the addon (install, build:native, test:sanitize) has it.
try {
  writeScanContract(['c']);
} catch (err) {
  rmSync(addonPath, { force: true });
  unavailable(`cannot generate bindings/scan-contract.h: ${err.message}`);
}
// Offline: build against the headers installed with this Node (npm passes its nodedir
// setting through the environment; a direct run finds them beside the binary).
const prefix = dirname(dirname(process.execPath));
const nodedir = !process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
const sanitize = process.env.WSCODEC_SANITIZE ? ['--', '-Dsanitize=true'] : [];
// configure + build, not rebuild: rebuild deletes build/, where the wasm kernels live too.
for (const step of [
  ['configure', ...nodedir, ...sanitize],
  ['build', ...nodedir],
]) {
  const run = spawnSync(process.execPath, [gyp, ...step], { cwd: root, encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    // Never leave an addon from an earlier build that no longer matches the sources.
    rmSync(addonPath, { force: true });
    const lines = `${run.stderr ?? ''}\n${run.stdout ?? ''}`.split('\n').map((l) => l.trim());
    const reason =
      lines.find((l) => /error|not found|No such file/i.test(l) && !/^gyp info/.test(l)) ??
      run.error?.message ??
      `node-gyp ${step[0]} failed`;
    unavailable(reason.slice(0, 200));
  }
}
if (sanitize.length) {
  // An ASan build only loads into a node started with libasan preloaded (see .ci/run).
  console.log('wscodec: native backend built with ASan and UBSan');
  process.exit(0);
}
try {
  console.log(`wscodec: native backend built (${require(addonPath).simdPath})`);
} catch (err) {
  rmSync(addonPath, { force: true });
  unavailable(`the built addon does not load: ${err.message.split('\n')[0]}`);
}
