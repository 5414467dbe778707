// 'wscodec' on Node: ws's WebSocket, WebSocketServer and createWebSocketStream, the codec
// API, and `mask`/`unmask` so `bufferutil@npm:wscodec` works for ws.
import { mask, unmask } from './codec-node.js';
import { WebSocketServer } from './node/server.js';
import { createWebSocketStream } from './node/stream.js';
import { WebSocket } from './node/websocket.js';

export * from './codec-node.js';
export { WebSocket, type SendOptions, type BinaryType } from './node/websocket.js';
export { WebSocketServer, type ServerOptions } from './node/server.js';
export { createWebSocketStream } from './node/stream.js';
export { broadcast, type BroadcastOptions } from './node/broadcast.js';
export type { ClientOptions } from './node/client.js';
export type { PerMessageDeflateOptions } from './protocol/deflate.js';
export { Topics, InProcessBus, type Backplane, type BackplaneMessage, type TopicsOptions, type PublishOptions } from './node/topics.js';
export { createRedisBackplane, type RedisBackplaneOptions } from './node/redis-backplane.js';

// `require('ws')` and ws's default export are the WebSocket class carrying the rest as
// statics (`const WebSocket = require('ws'); new WebSocket.Server(...)`); ours is shaped
// the same. mask/unmask ride along because ws requires 'bufferutil' and calls them on
// whatever it gets, which is this class when bufferutil is aliased to wscodec.
Object.assign(WebSocket, { WebSocket, WebSocketServer, Server: WebSocketServer, createWebSocketStream, mask, unmask });
export { WebSocket as default };
