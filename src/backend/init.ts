// Loading the wasm kernels where files can't be read synchronously (browsers, workers):
// until init() resolves the JS backend serves, so the API works from the first line.

import { backend, forceBackend, forcedBackendFromEnv, registerBackend } from './select.js';
import type { BackendName } from './types.js';
import { createWasmBackend, simdSupported } from './wasm.js';

export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string | Response | PromiseLike<Response>;

/** Where the built kernels sit relative to this file (dist/backend/ → build/). */
function defaultSource(): URL {
  // workerd leaves import.meta.url undefined, and forbids compiling wasm from bytes anyway.
  if (typeof import.meta.url !== 'string') {
    throw new Error(
      "wscodec: this runtime has no module URL to find the wasm kernels by; import the .wasm as a module and pass it: import wasm from 'wscodec/wasm/simd'; await init(wasm)",
    );
  }
  return new URL(simdSupported() ? '../../build/wscodec.simd.wasm' : '../../build/wscodec.wasm', import.meta.url);
}

async function instantiate(source: WasmSource): Promise<WebAssembly.Instance> {
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, {});
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return (await WebAssembly.instantiate(source as BufferSource, {})).instance;
  }
  const response = await (typeof source === 'string' || source instanceof URL ? fetch(source) : source);
  if (!response.ok) throw new Error(`wscodec: fetching the wasm kernels failed (${response.status} ${response.url})`);
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return (await WebAssembly.instantiateStreaming(response.clone(), {})).instance;
    } catch {
      // Typically a server that doesn't send application/wasm: compile from the bytes instead.
    }
  }
  return (await WebAssembly.instantiate(await response.arrayBuffer(), {})).instance;
}

/**
 * Loads the wasm backend from a module, bytes, a URL or a Response (default: the built
 * file next to this package, SIMD where supported). Resolves to the active backend.
 */
export async function init(source: WasmSource = defaultSource()): Promise<BackendName> {
  const forced = forcedBackendFromEnv();
  registerBackend(createWasmBackend(await instantiate(source)));
  if (forced) forceBackend(forced);
  return backend;
}
