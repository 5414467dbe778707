#!/usr/bin/env node
// The native anchors of the e2e benchmark: Bun's built-in WebSocket server (uWebSockets
// inside) and Deno's Deno.upgradeWebSocket (fastwebsockets inside). Both ship as a single
// binary inside an npm package; they are fetched on demand, not as devDependencies,
// because only this benchmark needs them and each is ~100 MB unpacked. Each gets an npm
// prefix of its own under bench/.anchors/ (gitignored): `npm install --no-save` prunes what
// is not in the prefix's package.json, so a shared prefix would let one fetch delete the
// other. Once cached, a run needs no network.
//
//   node bench/e2e/anchors.js [bun] [deno]   fetch what is missing, print the binaries
//
// eiows (a uWebSockets-derived engine for socket.io) is not an anchor: every version
// compiles against Node's internal headers (src/crypto/crypto_tls.h, stream_base-inl.h …),
// which /usr/include/node does not have, and its install script downloads the matching
// Node source tree (git clone of github.com/nodejs/node for 6.x–9.x, nodejs.org for 11.x,
// which also needs Node ≥ 22). Neither host is reachable here, so it cannot be built.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../codec.js';

export const CACHE = path.join(ROOT, 'bench', '.anchors');

// Exact versions: ratios from two runs compare only when the anchors are the same builds.
export const ANCHORS = {
  bun: { pkg: '@oven/bun-linux-x64', version: '1.4.5', bin: 'bin/bun' },
  deno: { pkg: '@deno/linux-x64-glibc', version: '2.9.6', bin: 'deno' },
};

const rel = (p) => path.relative(process.cwd(), p) || '.';
/** What a failed command said, without npm's pointer to its debug log. */
const said = (text) =>
  (text ?? '')
    .trim()
    .split('\n')
    .filter((l) => l && !/A complete log of this run/.test(l))
    .slice(-2)
    .join(' ⏎ ');

/** Why these packages cannot run here (they are linux-x64-glibc builds), or null. */
function platformProblem() {
  const glibc = process.report?.getReport().header.glibcVersionRuntime;
  if (process.platform === 'linux' && process.arch === 'x64' && glibc) return null;
  return `the anchors are linux-x64-glibc builds; this is ${process.platform}-${process.arch}${glibc ? '' : ' without glibc'}`;
}

function installedVersion(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** The npm that runs this script under `npm run`, else the one on PATH. */
function npm(args, cwd) {
  const cli = process.env.npm_execpath;
  const [bin, ...pre] = cli && /npm-cli\.c?js$/.test(cli) ? [process.execPath, cli] : ['npm'];
  return spawnSync(bin, [...pre, ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
}

/**
 * Makes the anchor `name` available, fetching it from npm when the cache lacks that exact
 * version (unless `fetch` is false: then only the cache counts). Returns
 * `{ name, bin, version, pkg }`, or `{ name, pkg, error }` saying why not (never throws:
 * the caller reports an anchor it could not get and measures the rest).
 */
export function ensureAnchor(name, { fetch = true, log = () => {} } = {}) {
  const a = ANCHORS[name];
  if (!a) throw new Error(`unknown anchor ${name} (${Object.keys(ANCHORS).join(', ')})`);
  const pkg = `${a.pkg}@${a.version}`;
  const platform = platformProblem();
  if (platform) return { name, pkg, error: platform };
  const prefix = path.join(CACHE, name);
  const dir = path.join(prefix, 'node_modules', a.pkg);
  const bin = path.join(dir, a.bin);
  if (installedVersion(dir) !== a.version || !existsSync(bin)) {
    if (!fetch)
      return {
        name,
        pkg,
        error: `not in ${rel(prefix)} and fetching is off (--no-fetch); \`node bench/e2e/anchors.js ${name}\` fetches it`,
      };
    log(`fetching ${pkg} from npm into ${rel(prefix)} (once; later runs use the cache)`);
    mkdirSync(prefix, { recursive: true });
    // A package.json of its own: npm then never mistakes the repository for this prefix.
    const manifest = path.join(prefix, 'package.json');
    if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: `wscodec-anchor-${name}`, private: true })}\n`);
    const args = ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', prefix, pkg];
    const r = npm(args, prefix);
    if (r.error || r.status !== 0) {
      return { name, pkg, error: `npm install ${pkg} failed (${r.error?.message ?? `exit ${r.status}`}): ${said(r.stderr)}` };
    }
    if (!existsSync(bin)) return { name, pkg, error: `npm installed ${pkg} but ${rel(bin)} is missing` };
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (v.error || v.status !== 0) {
    return {
      name,
      pkg,
      error: `${rel(bin)} --version failed (${v.error?.message ?? v.signal ?? `exit ${v.status}`}): ${said(v.stderr)}`,
    };
  }
  return {
    name,
    pkg,
    bin,
    version: v.stdout
      .trim()
      .split('\n')[0]
      .replace(/\s*\(.*$/, ''),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  let failed = 0;
  for (const name of names.length ? names : Object.keys(ANCHORS)) {
    const r = ensureAnchor(name, { log: (line) => console.error(line) });
    if (r.error) failed++;
    console.log(r.error ? `${name}: NOT AVAILABLE (${r.pkg}): ${r.error}` : `${name}: ${r.bin} (${r.version})`);
  }
  process.exitCode = failed ? 1 : 0;
}
