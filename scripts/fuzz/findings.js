// Findings on disk: writing a reproducer file for each distinct difference, and --replay to decode one again.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as codec from 'wscodec/codec'; // the built package (dist/); loads native and wasm first
import { ROLES, hex } from './corpus.js';
import { decodeOnce } from './differential.js';

export const MAX_FINDING_FILES = 25; // per run: a systematic bug should not fill the disk

export function writeFinding(dir, n, seed, input, finding) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${n}.json`);
  const repro = {
    seed,
    inputIndex: input.index,
    reproduce: `node scripts/fuzz.js --replay ${file}`,
    ...finding,
    hex: hex(input.bytes),
    length: input.bytes.length,
    options: input.options,
    chunkings: input.chunkings,
    mutations: input.mutations,
    base: input.base,
  };
  writeFileSync(file, JSON.stringify(repro, null, 1));
  return file;
}

/** --replay FILE: decode a finding's input again on every backend and chunking, print what each reports. */
export function replay(file) {
  const f = JSON.parse(readFileSync(file, 'utf8'));
  const bytes = Uint8Array.from(Buffer.from(f.hex, 'hex'));
  const backends = codec.availableBackends().map((n) => codec.getBackend(n));
  let differs = false;
  for (const role of f.role ? [f.role] : ROLES) {
    let ref;
    for (const backend of backends) {
      f.chunkings.forEach((chunks, c) => {
        const got = decodeOnce(bytes, f.options, role, backend, chunks, false);
        const text = JSON.stringify(got);
        ref ??= text;
        differs ||= text !== ref || !!got.problem;
        console.log(`${role} ${backend.name} / chunking ${c}: ${text}`);
      });
    }
  }
  console.log(differs ? 'replay: the backends or chunkings still disagree (or an invariant broke)' : 'replay: everything agrees');
  process.exit(differs ? 1 : 0);
}
