#!/usr/bin/env node
// `npm run test:transports`: the suites that open sockets, once more on each transport
// that takes TCP sockets over (npm test runs them on the automatic choice). A transport
// that should run here and does not is a failure, not a skip: the native transport
// wherever the addon loaded, the direct transport always (wasm is always there).
//   --only native|direct   one of them

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { only: { type: 'string' } } });

// Every suite whose peers talk over TCP to a wscodec server or client in this process or
// its children. Not the browser suites (Chromium's own sockets) nor the codec ones.
const FOLDERS = ['node', 'transports', 'consumers', 'examples', 'scale', 'attack'];
const EXTRA = ['test/interop/python.test.js'];

const files = [
  ...FOLDERS.flatMap((folder) =>
    readdirSync(`${root}test/${folder}`)
      .filter((name) => name.endsWith('.test.js'))
      .map((name) => `test/${folder}/${name}`),
  ),
  ...EXTRA,
];

/** What runs here: asked of wscodec itself, so the answer is the install's, not a guess. */
const probe = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const c = await import('./dist/index.js'); const s = await import('./dist/node/transports/select.js');
     console.log(JSON.stringify({ backend: c.backend, transports: s.availableTransports() }));`,
  ],
  { cwd: root, encoding: 'utf8', env: { ...process.env, WSCODEC_TRANSPORT: '', WSCODEC_BACKEND: '' } },
);
if (probe.status !== 0) throw new Error(`could not ask wscodec what runs here: ${probe.stderr}`);
const here = JSON.parse(probe.stdout.trim().split('\n').at(-1));

const runs = [
  // The addon's transport with the addon's kernels.
  { name: 'native', env: { WSCODEC_TRANSPORT: 'native', WSCODEC_BACKEND: 'native' }, expected: here.backend === 'native' },
  // What an install without the addon gets: the JS transport reading into wasm memory.
  { name: 'direct', env: { WSCODEC_TRANSPORT: 'direct', WSCODEC_BACKEND: 'wasm' }, expected: true },
].filter((run) => values.only === undefined || run.name === values.only);

let failed = 0;
for (const run of runs) {
  if (!here.transports.includes(run.name)) {
    if (!run.expected) {
      console.log(`# ${run.name} transport: not expected here (backend ${here.backend}), not run`);
      continue;
    }
    console.error(`# ${run.name} transport: should run here but is not available (${here.transports.join(', ')})`);
    failed++;
    continue;
  }
  // Each transport's own test file forces that transport: only in its own run.
  const own = files.filter((file) => !/^test\/transports\/(native|direct)\.test\.js$/.test(file) || file.includes(run.name));
  console.log(
    `# ${run.name} transport: ${own.length} files (${Object.entries(run.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')})`,
  );
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...own], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...run.env },
  });
  if (result.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
