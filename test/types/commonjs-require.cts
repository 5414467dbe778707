// Type-checked only (npm run typecheck:test): what a TypeScript CommonJS user of ws writes,
// with 'wscodec' in place of 'ws', must compile against our published types.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS form is what is under test
import WebSocket = require('wscodec');

const server: InstanceType<typeof WebSocket.Server> = new WebSocket.Server({ noServer: true });
const alsoServer = new WebSocket.WebSocketServer({ noServer: true });
const client: WebSocket = new WebSocket('ws://127.0.0.1:1', { handshakeTimeout: 10 });
const stream = WebSocket.createWebSocketStream(client);
const state: number = client.readyState === WebSocket.OPEN ? 1 : 0;
const { FrameDecoder, mask, unmask } = WebSocket;

export { server, alsoServer, client, stream, state, FrameDecoder, mask, unmask };
