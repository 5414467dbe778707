// The wasm module's exports. Memory is managed from JS (src/backend/wasm.ts): everything
// above heapBase() is the JS side's to lay out; nothing here allocates.


export * from './scan-contract';
export * from './scan';
export { unmaskRegion } from './mask';
export { utf8Step, setUtf8Tables, UTF8_REJECT } from './utf8';

export function heapBase(): usize {
  return __heap_base;
}
