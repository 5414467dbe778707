// 'wscodec' on Node. The ws-compatible WebSocket/WebSocketServer arrive with the Node
// integration; `mask`/`unmask` here make `bufferutil@npm:wscodec` work for ws.
export * from './codec-node.js';
