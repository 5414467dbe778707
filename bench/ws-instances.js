// Two independent module instances of ws: one that uses bufferutil and one pure JS.
// ws decides once, when lib/buffer-util.js is first required, from WS_NO_BUFFER_UTIL, so
// the second instance is loaded after clearing ws from the require cache.

import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

const wsDir = path.dirname(require.resolve('ws/package.json'));
const bufferUtilDir = path.dirname(require.resolve('bufferutil/package.json'));

function loadWs() {
  const ws = require('ws');
  // buffer-util is not in ws's "exports"; an absolute path reaches the same cached module.
  const bufferUtilModule = path.join(wsDir, 'lib', 'buffer-util.js');
  return { Receiver: ws.Receiver, bufferUtil: require(bufferUtilModule), bufferUtilModule };
}

/** bufferutil as required by name, plus proof that it is the compiled addon. */
export function loadBufferutil() {
  const native = require('bufferutil');
  const fallback = require(path.join(bufferUtilDir, 'fallback.js'));
  const addon = Object.keys(require.cache).find((k) => k.startsWith(bufferUtilDir) && k.endsWith('.node'));
  const isNative =
    native !== fallback &&
    native.unmask !== fallback.unmask &&
    /\[native code\]/.test(Function.prototype.toString.call(native.unmask)) &&
    Boolean(addon);
  if (!isNative) {
    throw new Error(
      'bufferutil resolved to its JS fallback, not the native addon: the "bufferutil" rows ' +
        'would be meaningless. Reinstall bufferutil (prebuilt linux-x64 binary expected).',
    );
  }
  return { native, fallback, addon: path.relative(process.cwd(), addon) };
}

/**
 * Calls `unmask` from ws's buffer-util on a buffer large enough to pass ws's JS threshold
 * and reports whether bufferutil's native unmask was reached (by swapping in a spy).
 */
function reachesBufferutil(wsBufferUtil, native) {
  const { mask, unmask } = native;
  let calls = 0;
  native.mask = (...args) => (calls++, mask(...args));
  native.unmask = (...args) => (calls++, unmask(...args));
  try {
    wsBufferUtil.unmask(Buffer.alloc(1024), Buffer.from([1, 2, 3, 4]));
    wsBufferUtil.mask(Buffer.alloc(1024), Buffer.from([1, 2, 3, 4]), Buffer.alloc(1024), 0, 1024);
  } finally {
    native.mask = mask;
    native.unmask = unmask;
  }
  return calls > 0;
}

export function loadWsInstances() {
  const { native } = loadBufferutil();
  const http = require('node:http');
  if (typeof http.websocketMask === 'function') {
    // Node ≥ 26.12: ws uses http.websocketMask whatever WS_NO_BUFFER_UTIL says.
    throw new Error(
      'this Node has http.websocketMask, which ws prefers over bufferutil and its JS path; ' +
        'the "ws + bufferutil" and "ws (pure JS)" rows cannot be separated here',
    );
  }

  const saved = process.env.WS_NO_BUFFER_UTIL;
  delete process.env.WS_NO_BUFFER_UTIL;
  for (const key of Object.keys(require.cache)) if (key.startsWith(wsDir + path.sep)) delete require.cache[key];
  const withBu = loadWs();

  for (const key of Object.keys(require.cache)) if (key.startsWith(wsDir + path.sep)) delete require.cache[key];
  process.env.WS_NO_BUFFER_UTIL = '1';
  let pureJs;
  try {
    pureJs = loadWs();
  } finally {
    if (saved === undefined) delete process.env.WS_NO_BUFFER_UTIL;
    else process.env.WS_NO_BUFFER_UTIL = saved;
  }

  const checks = {
    separateInstances: withBu.Receiver !== pureJs.Receiver && withBu.bufferUtil !== pureJs.bufferUtil,
    bufferutilInstanceUsesNative: reachesBufferutil(withBu.bufferUtil, native),
    pureJsInstanceUsesNative: reachesBufferutil(pureJs.bufferUtil, native),
  };
  if (!checks.separateInstances || !checks.bufferutilInstanceUsesNative || checks.pureJsInstanceUsesNative) {
    throw new Error(`ws instances are not what they should be: ${JSON.stringify(checks)}`);
  }
  return {
    withBufferutil: withBu,
    pureJs,
    checks,
    summary: 'ws instance 1 → bufferutil native unmask reached: yes; ' + 'ws instance 2 (WS_NO_BUFFER_UTIL=1) → reached: no (pure JS)',
  };
}
