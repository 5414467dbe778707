// CommonJS entries for require('wscodec') and require('wscodec/codec'): they load the
// ES module build (Node >= 20.19 supports require() of ES modules without a flag).
// require('wscodec') is shaped like require('ws'): the WebSocket class, with ws's statics
// (set in src/index.ts) and our other named exports hung on it too, so destructuring any
// of them (`const { WebSocketServer, FrameDecoder } = require('wscodec')`) works.
import { writeFileSync } from 'node:fs';

const index = `'use strict';
const exported = require('./index.js');
const WebSocket = exported.default;
for (const name of Object.keys(exported)) {
  if (name !== 'default' && !(name in WebSocket)) WebSocket[name] = exported[name];
}
module.exports = WebSocket;
`;
writeFileSync(new URL('../dist/index.cjs', import.meta.url), index);

// Its types for TypeScript's CommonJS users (`import WebSocket = require('wscodec')`, .cts):
// the class, with the named exports as its statics, and the instance type under the same name.
const indexTypes = `import * as exported from './index.js';
declare const WebSocket: typeof exported.WebSocket & Omit<typeof exported, 'default' | 'WebSocket'>;
type WebSocket = exported.WebSocket;
export = WebSocket;
`;
writeFileSync(new URL('../dist/index.d.cts', import.meta.url), indexTypes);
writeFileSync(new URL('../dist/codec-node.cjs', import.meta.url), `'use strict';\nmodule.exports = require('./codec-node.js');\n`);
