// The runtime-agnostic codec API: no node: imports anywhere below this file.

export { FrameDecoder, type FrameDecoderOptions } from './decoder.js';
export { encodeFrame, type EncodeOptions } from './encoder.js';
export { Opcode, CloseCode } from './constants.js';
export { ProtocolError } from './errors.js';
export { isValidCloseCode, encodeClosePayload, decodeClosePayload } from './close.js';
export { mask, unmask } from './mask.js';
export { backend, availableBackends, getBackend } from '../backend/select.js';
export { init, type WasmSource } from '../backend/init.js';
export type { Backend, BackendName } from '../backend/types.js';
