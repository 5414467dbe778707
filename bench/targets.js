// Performance goals the report annotates with ✔/✘. Informational only: nothing fails on them.

import { DECODE_SIZES, sizeLabel } from './frames.js';

export const TARGETS = [
  { contender: 'wscodec wasm', size: 16, vs: 'vsWsBu', min: 3 },
  { contender: 'wscodec wasm', size: 125, vs: 'vsWsBu', min: 3 },
  { contender: 'wscodec wasm', size: 64 * 1024, vs: 'vsWsBu', min: 1.2 },
  // Native targets apply where the addon is built; elsewhere they read "not measured".
  { contender: 'wscodec native', size: 16, vs: 'vsWsBu', min: 3 },
  { contender: 'wscodec native', size: 64 * 1024, vs: 'vsWsBu', min: 1.5 },
  ...DECODE_SIZES.map((size) => ({ contender: 'wscodec js', size, vs: 'vsWsJs', min: 1.5 })),
];

const VS_LABEL = { vsWsBu: 'ws + bufferutil', vsWsJs: 'ws (pure JS)' };

export function targetText(t) {
  return `${t.contender} decode ≥ ${t.min}× ${VS_LABEL[t.vs]} at ${sizeLabel(t.size)}`;
}

/** Each target with the measured median ratio; met is null when it was not measured. */
export function evaluateTargets(decodeCases) {
  return TARGETS.map((t) => {
    const entry = decodeCases.find((c) => c.size === t.size);
    const row = entry?.results.find((r) => r.name === t.contender);
    const ratio = row ? row[t.vs] : null;
    // A decoder that delivered wrong output has not met anything, however fast it was.
    const met = ratio == null ? null : ratio >= t.min && row.ok !== false;
    return { ...t, text: targetText(t), ratio, outputOk: row ? row.ok !== false : null, met };
  });
}

export function targetsFor(evaluated, name, size) {
  return evaluated.filter((t) => t.contender === name && t.size === size);
}
