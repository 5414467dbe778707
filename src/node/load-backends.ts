// Node: load the native addon and the wasm kernels synchronously at import (both are
// local files), honour WSCODEC_BACKEND, and lend the codec Node's simdutf-backed isUtf8
// and uninitialised allocator.

import { Buffer, isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPlatformUtf8 } from '../backend/js.js';
import { createNativeBackend, type NativeAddon } from '../backend/native.js';
import { forceBackend, forcedBackendFromEnv, registerBackend } from '../backend/select.js';
import { createWasmBackend, simdSupported } from '../backend/wasm.js';
import { setUninitializedAllocator, setViewMaker } from '../codec/alloc.js';

const forced = forcedBackendFromEnv();

setPlatformUtf8(isUtf8);
setUninitializedAllocator((size) => Buffer.allocUnsafe(size));
setViewMaker((buffer, byteOffset, length) => Buffer.from(buffer as ArrayBuffer, byteOffset, length));

/** Where `npm install` builds the addon (node-gyp's output; see scripts/build-native.js). */
export const ADDON_PATH = new URL('../../build/Release/wscodec.node', import.meta.url);

try {
  const addon = createRequire(import.meta.url)(ADDON_PATH.pathname) as NativeAddon;
  registerBackend(createNativeBackend(addon));
} catch (err) {
  // Optional by design: no compiler at install time means no addon, and wasm serves.
  if (forced === 'native') {
    throw new Error(
      `WSCODEC_BACKEND=native, but the native addon could not be loaded from ${ADDON_PATH.pathname} ` +
        `(${(err as Error).message.split('\n')[0]}). It is built by npm install when a C++ toolchain is present.`,
    );
  }
}

const wasmFile = new URL(simdSupported() ? '../../build/wscodec.simd.wasm' : '../../build/wscodec.wasm', import.meta.url);
try {
  const module = new WebAssembly.Module(readFileSync(wasmFile));
  registerBackend(createWasmBackend(new WebAssembly.Instance(module, {})));
} catch (err) {
  const why = `the wasm kernels could not be loaded from ${wasmFile.pathname}: ${(err as Error).message}`;
  if (forced === 'wasm') throw new Error(`WSCODEC_BACKEND=wasm, but ${why}`);
  process.emitWarning(`wscodec: ${why}; using the JS backend`);
}

forceBackend(forced);
