// Writes the scan contract (src/backend/scan-contract.ts, its only definition) out for the
// kernels in other languages: assembly/scan-contract.ts and bindings/scan-contract.h.
// Every build path runs this first (build:wasm, and scripts/build-native.js, which npm
// install, build:native and test:sanitize all go through), so the outputs are not
// committed and cannot go stale. No dependencies and no TypeScript compiler: it must
// also run inside a user's npm install, where devDependencies are absent. That is why
// the contract is kept to lines a strict line parser understands; anything else is an
// error naming the line, never a silent skip.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'src/backend/scan-contract.ts';
const OUTPUTS = { assemblyscript: 'assembly/scan-contract.ts', c: 'bindings/scan-contract.h' };

const CONSTANT = /^export const ([A-Z][A-Z0-9_]*) = (0x[0-9a-fA-F]+|[0-9]+);(\s*\/\/.*)?$/;

/**
 * Parses the contract into items in file order: { name, literal, value, comment } for a
 * constant, { text } for a comment or blank line worth carrying over. The file's leading
 * comment (up to the first blank line) describes the source, so it is left behind.
 */
export function readContract(text = readFileSync(root + SOURCE, 'utf8')) {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i].startsWith('//')) i++;
  while (i < lines.length && lines[i].trim() === '') i++;
  const items = [];
  let inDoc = false;
  for (; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    const m = CONSTANT.exec(line);
    if (inDoc || line === '' || line.startsWith('//') || line.startsWith('/**')) {
      // Both C++ and AssemblyScript read these comment forms as they are.
      items.push({ text: line });
      inDoc = (inDoc || line.startsWith('/**')) && !line.endsWith('*/');
    } else if (m) {
      const value = Number(m[2]);
      if (value > 0xffffffff) throw new Error(`${SOURCE}:${i + 1}: ${m[1]} does not fit in 32 bits`);
      items.push({ name: m[1], literal: m[2], value, comment: m[3] ?? '' });
    } else {
      throw new Error(`${SOURCE}:${i + 1}: not a plain \`export const NAME = <integer>;\` line: ${line}`);
    }
  }
  while (items.length && items[items.length - 1].text === '') items.pop();
  return items;
}

/** The contract as an object of name → value (what the compiled TS module exports). */
export function contractValues(items = readContract()) {
  return Object.fromEntries(items.filter((c) => c.name).map((c) => [c.name, c.value]));
}

// The error word of the result block is signed in every kernel; the rest are bit masks,
// sizes and indices, unsigned so C++ compares them with counts without sign warnings.
const signed = (name) => name.startsWith('ERR_');

const banner = (comment) =>
  `${comment} GENERATED from ${SOURCE} by scripts/gen-scan-contract.js on every build.\n` + `${comment} Edit that file, not this one.\n`;

export function assemblyScriptSource(items = readContract()) {
  const body = items.map((c) =>
    c.name ? `export const ${c.name}: ${signed(c.name) ? 'i32' : 'u32'} = ${c.literal};${c.comment}` : c.text,
  );
  return `${banner('//')}\n${body.join('\n')}\n`;
}

export function cHeaderSource(items = readContract()) {
  const body = items.map((c) =>
    c.name ? `constexpr ${signed(c.name) ? 'int32_t' : 'uint32_t'} ${c.name} = ${c.literal};${c.comment}` : c.text,
  );
  const list = items.filter((c) => c.name).map((c) => `    {"${c.name}", ${c.name}},`);
  return `${banner('//')}#pragma once
#include <cstdint>

namespace wscodec {

${body.join('\n')}

// Every constant by name: the addon exports them so test/backend/contract.test.js can
// hold the compiled build to the TypeScript contract.
struct ContractConstant {
  const char* name;
  double value;
};
inline constexpr ContractConstant SCAN_CONTRACT[] = {
${list.join('\n')}
};

}  // namespace wscodec
`;
}

/** Writes the outputs asked for, touching a file only when its text changes (make stays incremental). */
export function writeScanContract(which = Object.keys(OUTPUTS)) {
  const items = readContract();
  const sources = { assemblyscript: assemblyScriptSource, c: cHeaderSource };
  for (const kind of which) {
    if (!(kind in OUTPUTS)) throw new Error(`unknown output ${kind} (expected ${Object.keys(OUTPUTS).join(' or ')})`);
    const path = root + OUTPUTS[kind];
    const text = sources[kind](items);
    let old = null;
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      /* first build */
    }
    if (old !== text) writeFileSync(path, text);
  }
}

// `node scripts/gen-scan-contract.js [assemblyscript] [c]`: the outputs named, or both.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv.slice(2);
  writeScanContract(which.length ? which : undefined);
}
