// Which backend serves: native > wasm > js, unless WSCODEC_BACKEND forces one. The JS
// backend is always registered, so the API works before (or without) any wasm load.

import { jsBackend } from './js.js';
import type { Backend, BackendName } from './types.js';

const PREFERENCE: readonly BackendName[] = ['native', 'wasm', 'js'];
const registry = new Map<BackendName, Backend>([['js', jsBackend]]);
let forced: BackendName | undefined;
let active: Backend = jsBackend;

/** The active backend's name (a live binding: it changes when init() loads wasm). */
export let backend: BackendName = 'js';

/** Reads WSCODEC_BACKEND where the runtime has an environment; a bad value is an error. */
export function forcedBackendFromEnv(): BackendName | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.WSCODEC_BACKEND?.trim();
  if (!value) return undefined;
  if (!(PREFERENCE as readonly string[]).includes(value)) {
    throw new Error(`WSCODEC_BACKEND must be one of ${PREFERENCE.join(', ')}; got '${value}'`);
  }
  return value as BackendName;
}

export function forceBackend(name: BackendName | undefined): void {
  forced = name;
  choose();
}

export function registerBackend(b: Backend): void {
  registry.set(b.name, b);
  choose();
}

function choose(): void {
  const name = forced && registry.has(forced) ? forced : PREFERENCE.find((n) => registry.has(n))!;
  active = registry.get(name)!;
  backend = name;
}

export function activeBackend(): Backend {
  return active;
}

/** Names of the backends that can serve here, fastest first. */
export function availableBackends(): BackendName[] {
  return PREFERENCE.filter((n) => registry.has(n));
}

export function getBackend(name: BackendName): Backend {
  const b = registry.get(name);
  if (!b) throw new Error(`wscodec backend '${name}' is not available here (available: ${availableBackends().join(', ')})`);
  return b;
}
