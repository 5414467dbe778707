// 'wscodec/codec' on Node: the native and wasm kernels are loaded before anything is exported.
import './node/load-backends.js';
export * from './codec/index.js';
