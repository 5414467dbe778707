// 'wscodec/codec' on Node: the wasm kernels are loaded before anything is exported.
import './node/load-wasm.js';
export * from './codec/index.js';
