// 'wscodec/web': the WHATWG WebSocket over any byte stream, for browsers, workerd and
// anything else with web streams. Nothing below this file imports node: or uses Node
// globals. The JS kernels serve until `init()` loads the wasm ones (pass a
// WebAssembly.Module, bytes, a URL or a Response; workerd needs the Module).
export { WebSocket, type WebSocketOptions, type BinaryType } from './websocket.js';
export type { ByteStreamPair } from './stream-transport.js';
export { init, type WasmSource } from '../backend/init.js';
