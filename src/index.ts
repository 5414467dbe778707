// 'wscodec' on Node: ws's WebSocket, WebSocketServer and createWebSocketStream, the codec
// API, and `mask`/`unmask` so `bufferutil@npm:wscodec` works for ws.
export * from './codec-node.js';
export { WebSocket, type SendOptions, type BinaryType } from './node/websocket.js';
export { WebSocketServer, type ServerOptions } from './node/server.js';
export { createWebSocketStream } from './node/stream.js';
export { broadcast, type BroadcastOptions } from './node/broadcast.js';
export type { ClientOptions } from './node/client.js';
export type { PerMessageDeflateOptions } from './protocol/deflate.js';
export { WebSocket as default } from './node/websocket.js';
export { Topics, InProcessBus, type Backplane, type BackplaneMessage, type TopicsOptions, type PublishOptions } from './node/topics.js';
export { createRedisBackplane, type RedisBackplaneOptions } from './node/redis-backplane.js';
