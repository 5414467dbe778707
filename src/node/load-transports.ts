// Node: make the transports that take over TCP sockets available (each registers itself
// when its module loads and it can run here), then honour WSCODEC_TRANSPORT: a forced
// transport that is not available is an error at start.

import './transports/direct.js';
import './transports/native.js';
import { checkForcedTransport } from './transports/select.js';

checkForcedTransport();
