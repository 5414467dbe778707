// The Worker that test/web/workerd.test.js runs inside workerd (through miniflare).
// Everything here is what a real Cloudflare Worker would write: the codec and the web
// client come from dist/ as ES modules, and the wasm kernels arrive as CompiledWasm
// modules, because workerd refuses to compile wasm from bytes at run time.
//
//   GET /vectors          the shared test vectors on every backend workerd has
//   GET /client?port=N    the byte-stream WebSocket over connect() to 127.0.0.1:N
//                         (default options: permessage-deflate is offered, and used if
//                         the server accepts)
import { connect } from 'cloudflare:sockets';
import * as codec from '../../../dist/codec/index.js';
import { WebSocket, init as webInit } from '../../../dist/web/index.js';
import simdWasm from '../../../build/wscodec.simd.wasm';
import scalarWasm from '../../../build/wscodec.wasm';
import { codecVectors, runVector, encodeVectors } from '../vectors.js';

/** A failure as data, so the test sees workerd's own words instead of a bare 500. */
function describeError(err) {
  return { name: err?.name ?? typeof err, message: String(err?.message ?? err) };
}

function runAll(backendObject) {
  return codecVectors().map((vector) => ({ name: vector.name, events: runVector(codec, vector, backendObject) }));
}

async function vectors() {
  const before = { backend: codec.backend, available: codec.availableBackends() };
  const results = { js: runAll(codec.getBackend('js')) };
  // Both builds in turn: init() replaces the registered 'wasm' backend, and the object
  // taken before the second init() keeps working on its own instance.
  const afterSimd = await codec.init(simdWasm);
  results['wasm-simd'] = runAll(codec.getBackend('wasm'));
  const afterScalar = await codec.init(scalarWasm);
  results['wasm-scalar'] = runAll(codec.getBackend('wasm'));
  return {
    before,
    after: { simd: afterSimd, scalar: afterScalar, backend: codec.backend, available: codec.availableBackends() },
    results,
    encoded: encodeVectors(codec),
  };
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A cheap content fingerprint for large payloads (FNV-1a, 32 bit). */
function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function bigPayload(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/**
 * Opens a TCP socket with connect(), hands its streams to our WebSocket, sends a text,
 * a small binary and a 70 000-byte binary (64-bit length, several TCP reads), then
 * closes with 4000 once all three came back. Returns every event in order.
 */
async function client(port, options) {
  const events = [];
  const started = Date.now();
  const big = bigPayload(70_000);
  // The client's own entry loads the kernels too (the same registry as dist/codec's).
  const backend = codec.backend === 'wasm' ? codec.backend : await webInit(simdWasm);
  let socket;
  try {
    socket = connect({ hostname: '127.0.0.1', port });
  } catch (err) {
    return { events, connectError: describeError(err) };
  }
  // connect() returns at once; a refusal (policy or network) surfaces on `opened`.
  const opened = socket.opened.then(
    (info) => ({ ok: true, info: { remoteAddress: info?.remoteAddress ?? null } }),
    (err) => ({ ok: false, error: describeError(err) }),
  );

  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, [], {
    stream: { readable: socket.readable, writable: socket.writable },
    ...options,
  });
  const initial = { readyState: ws.readyState, binaryType: ws.binaryType, url: ws.url };
  ws.binaryType = 'arraybuffer';

  const done = new Promise((resolve) => {
    let echoes = 0;
    ws.addEventListener('open', () => {
      events.push({ type: 'open', readyState: ws.readyState, protocol: ws.protocol, extensions: ws.extensions });
      ws.send('héllo wörld 🌍');
      ws.send(new Uint8Array([0, 1, 2, 0xfe, 0xff]));
      ws.send(big.buffer);
    });
    ws.addEventListener('message', (/** @type {MessageEvent} */ e) => {
      const { data } = e;
      if (typeof data === 'string') {
        events.push({ type: 'message', kind: 'string', data });
      } else if (data instanceof ArrayBuffer) {
        const bytes = new Uint8Array(data);
        events.push(
          bytes.length > 64
            ? { type: 'message', kind: 'arraybuffer', length: bytes.length, fnv1a: fnv1a(bytes) }
            : { type: 'message', kind: 'arraybuffer', hex: hex(bytes) },
        );
      } else {
        events.push({ type: 'message', kind: Object.prototype.toString.call(data) });
      }
      if (++echoes === 3) {
        ws.close(4000, 'done here');
        events.push({ type: 'after-close-call', readyState: ws.readyState });
      }
    });
    ws.addEventListener('error', (/** @type {ErrorEvent} */ e) => {
      events.push({ type: 'error', message: String(e?.error?.message ?? e?.message ?? '') });
    });
    ws.addEventListener('close', (/** @type {CloseEvent} */ e) => {
      events.push({ type: 'close', code: e.code, reason: e.reason, wasClean: e.wasClean, readyState: ws.readyState });
      resolve();
    });
  });
  const timedOut = await Promise.race([done.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), 10_000))]);
  if (timedOut) {
    try {
      await socket.close();
    } catch {
      /* already gone */
    }
  }
  return {
    backend,
    initial,
    opened: await opened,
    events,
    timedOut,
    expected: { bigLength: big.length, bigFnv1a: fnv1a(big) },
    ms: Date.now() - started,
  };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/vectors') return Response.json(await vectors());
      if (url.pathname === '/client') {
        const port = Number(url.searchParams.get('port'));
        // Default options: permessage-deflate is offered wherever CompressionStream('deflate-raw') exists.
        return Response.json(await client(port, {}));
      }
      return new Response('not found', { status: 404 });
    } catch (err) {
      return Response.json({ thrown: describeError(err), stack: String(err?.stack ?? '') }, { status: 500 });
    }
  },
};
