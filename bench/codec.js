// Loads the library under test. Before the first `npm run build` there is nothing to load
// and the bench runs ws and websocket-driver alone; once dist/ exists an import failure is
// a real problem and is reported as one (run.js then exits non-zero).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT_ENTRY = path.join(ROOT, 'dist', 'codec-node.js');

/**
 * @returns {Promise<{status: 'ok'|'not-built'|'error', codec?: object, error?: Error,
 *   spec: string, backends: string[], active?: string}>}
 */
export async function loadCodec(spec = 'wscodec/codec') {
  const isDefault = spec === 'wscodec/codec';
  if (isDefault && !existsSync(BUILT_ENTRY)) {
    return {
      status: 'not-built',
      spec,
      backends: [],
      error: new Error(`${path.relative(ROOT, BUILT_ENTRY)} does not exist (run npm run build)`),
    };
  }
  const target = isDefault || !/^[./]/.test(spec) ? spec : pathToFileURL(path.resolve(spec)).href;
  try {
    const codec = await import(target);
    for (const name of ['FrameDecoder', 'availableBackends', 'getBackend', 'mask', 'unmask']) {
      if (codec[name] === undefined) throw new Error(`${spec} does not export ${name}`);
    }
    const backends = codec.availableBackends();
    if (!Array.isArray(backends) || backends.length === 0) {
      throw new Error(`availableBackends() returned ${JSON.stringify(backends)}`);
    }
    for (const name of backends) {
      const b = codec.getBackend(name);
      if (!b || typeof b.unmask !== 'function' || typeof b.mask !== 'function') {
        throw new Error(`getBackend(${JSON.stringify(name)}) has no mask/unmask`);
      }
    }
    return { status: 'ok', spec, codec, backends, active: codec.backend };
  } catch (error) {
    return { status: 'error', spec, backends: [], error };
  }
}

export function describeCodecProblem(loaded) {
  if (loaded.status === 'not-built') {
    return `wscodec rows skipped: ${loaded.error.message}.`;
  }
  const err = loaded.error;
  return [
    '!'.repeat(78),
    `!! wscodec FAILED TO LOAD from ${loaded.spec}; its rows are missing from every table.`,
    `!! ${err && err.stack ? err.stack.split('\n').join('\n!! ') : String(err)}`,
    '!'.repeat(78),
  ].join('\n');
}
