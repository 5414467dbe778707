// The decoders under test, behind one shape:
//   { name, family, baseline?, make({ onMessage(data, isBinary), onError(err) }) → push(chunk) }
// Each `push` is the most direct entry point the library has, so that no stream or socket
// overhead is measured (ws: Receiver#_write; websocket-driver: Hybi#parse; wscodec: push).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const WS_BU = 'ws + bufferutil';
export const WS_JS = 'ws (pure JS)';
export const DRIVER = 'websocket-driver';

function wsContender(name, Receiver, baseline) {
  return {
    name,
    family: 'ws',
    baseline,
    make({ onMessage, onError }) {
      // maxPayload 0 = no limit; allowSynchronousEvents defaults to true (ws ≥ 8.17).
      const rx = new Receiver({ isServer: true, maxPayload: 0 });
      rx.on('message', onMessage);
      rx.on('conclude', (code) => onError(new Error(`unexpected close frame ${code}`)));
      const cb = (err) => {
        if (err) onError(err);
      };
      return (chunk) => rx._write(chunk, undefined, cb);
    },
  };
}

function driverContender() {
  const driver = require('websocket-driver');
  // Just enough of an http.IncomingMessage for Server.http() to pick the hybi (RFC 6455) driver.
  const request = {
    method: 'GET',
    url: '/',
    headers: {
      host: 'localhost',
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    },
  };
  return {
    name: DRIVER,
    family: 'websocket-driver',
    make({ onMessage, onError }) {
      const d = driver.http(request, { maxLength: 2 ** 31 - 1 });
      // Text arrives as a string (the driver always decodes it), binary as a Buffer.
      d.on('message', (event) => onMessage(event.data, typeof event.data !== 'string'));
      d.on('error', onError);
      d.on('close', (event) => onError(new Error(`closed ${event.code} ${event.reason}`)));
      // start() writes the 101 response (to nobody) and opens the connection; parse() is
      // the driver's own socket-data entry point.
      if (!d.start() || d.getState() !== 'open') throw new Error('websocket-driver did not open');
      return (chunk) => d.parse(chunk);
    },
  };
}

function codecContender(codec, backendName, zeroCopy) {
  const backend = codec.getBackend(backendName);
  return {
    name: `wscodec ${backendName}${zeroCopy ? ' zeroCopy' : ''}`,
    family: 'wscodec',
    backend: backendName,
    zeroCopy,
    make({ onMessage, onError }) {
      const dec = new codec.FrameDecoder({
        role: 'server',
        maxPayload: 0,
        zeroCopy,
        backend,
        onMessage,
        onPing() {},
        onPong() {},
        onClose: (code) => onError(new Error(`unexpected close frame ${code}`)),
        onError,
      });
      if (backend.name !== undefined && backend.name !== backendName) {
        throw new Error(`getBackend('${backendName}').name is '${backend.name}'`);
      }
      return (chunk) => dec.push(chunk);
    },
  };
}

/**
 * @param {{withBufferutil, pureJs}} ws  from loadWsInstances()
 * @param {object|null} codec  the loaded wscodec/codec module, or null
 * @param {string[]} backends  codec.availableBackends()
 */
export function decodeContenders(ws, codec, backends) {
  const list = [wsContender(WS_BU, ws.withBufferutil.Receiver, 'wsBu'), wsContender(WS_JS, ws.pureJs.Receiver, 'wsJs'), driverContender()];
  if (codec) {
    for (const name of backends) list.push(codecContender(codec, name, false));
    // Zero-copy delivery is measured on wasm, where it saves the per-message copy out of
    // linear memory; fall back to the first backend if wasm is missing.
    const zc = backends.includes('wasm') ? 'wasm' : backends[0];
    list.push(codecContender(codec, zc, true));
  }
  return list;
}
