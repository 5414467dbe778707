// 'wscodec' on Node: ws's WebSocket, WebSocketServer and createWebSocketStream, the codec
// API, and `mask`/`unmask` so `bufferutil@npm:wscodec` works for ws.
import { mask, unmask } from './codec-node.js';
import { WebSocketServer } from './node/server.js';
import { createWebSocketStream } from './node/stream.js';
import { WebSocket as WebSocketClass } from './node/websocket.js';

export * from './codec-node.js';
export type { SendOptions, BinaryType, ClientOptions } from './node/websocket.js';
export { WebSocketServer, type ServerOptions } from './node/server.js';
export { createWebSocketStream } from './node/stream.js';
export { broadcast, type BroadcastOptions, type BroadcastSocket } from './node/broadcast.js';
export type { PerMessageDeflateOptions } from './protocol/deflate.js';
// Topics and its backplanes are 'wscodec/topics' (src/topics/), built on this entry.

// `require('ws')` and ws's default export are the WebSocket class carrying the rest as
// statics (`const WebSocket = require('ws'); new WebSocket.Server(...)`); ours is shaped
// the same. mask/unmask ride along because ws requires 'bufferutil' and calls them on
// whatever it gets, which is this class when bufferutil is aliased to wscodec.
export const WebSocket: WebSocketWithStatics = Object.assign(WebSocketClass, {
  WebSocket: WebSocketClass as WebSocketWithStatics,
  WebSocketServer,
  Server: WebSocketServer,
  createWebSocketStream,
  mask,
  unmask,
});
export type WebSocket = WebSocketClass;
export { WebSocket as default };

/**
 * The class's type with those statics. They are typed here, where they are assigned, and
 * not in websocket.ts, which cannot name the server or the stream: they import it. (A
 * `declare module` augmentation of the class would do the same, but makes tsc's incremental
 * builds lose the class's symbol-keyed members.)
 */
type WebSocketWithStatics = typeof WebSocketClass & {
  WebSocket: WebSocketWithStatics;
  WebSocketServer: typeof WebSocketServer;
  Server: typeof WebSocketServer;
  createWebSocketStream: typeof createWebSocketStream;
  mask: typeof mask;
  unmask: typeof unmask;
};
