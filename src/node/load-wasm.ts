// Node: load the wasm kernels synchronously at import (the file is local), honour
// WSCODEC_BACKEND, and lend the codec Node's simdutf-backed isUtf8 and uninitialised
// allocator.

import { Buffer, isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { setPlatformUtf8 } from '../backend/js.js';
import { setUninitializedAllocator } from '../codec/alloc.js';
import { forceBackend, forcedBackendFromEnv, registerBackend } from '../backend/select.js';
import { createWasmBackend, simdSupported } from '../backend/wasm.js';

const forced = forcedBackendFromEnv();

setPlatformUtf8(isUtf8);
setUninitializedAllocator((size) => Buffer.allocUnsafe(size));

const file = new URL(simdSupported() ? '../../build/wscodec.simd.wasm' : '../../build/wscodec.wasm', import.meta.url);
try {
  const module = new WebAssembly.Module(readFileSync(file));
  registerBackend(createWasmBackend(new WebAssembly.Instance(module, {})));
} catch (err) {
  const why = `the wasm kernels could not be loaded from ${file.pathname}: ${(err as Error).message}`;
  if (forced === 'wasm') throw new Error(`WSCODEC_BACKEND=wasm, but ${why}`);
  process.emitWarning(`wscodec: ${why}; using the JS backend`);
}

if (forced === 'native') {
  throw new Error('WSCODEC_BACKEND=native, but the native addon is not available: it has not been built in this install');
}
forceBackend(forced);
