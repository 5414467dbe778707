// The bufferutil drop-in: with wscodec resolvable as `bufferutil` (what
// `npm install bufferutil@npm:wscodec` does), unmodified ws masks and unmasks through
// wscodec's functions, and a ws echo round trip of text and 1 MiB binary still works.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// CommonJS, as ws loads bufferutil: spy on the module ws gets, then echo through ws.
const ECHO = `
const path = require('node:path');
const crypto = require('node:crypto');
const wsDir = path.join(__dirname, 'node_modules/ws');
const resolved = require.resolve('bufferutil', { paths: [wsDir] });
const real = require(resolved);
const calls = { mask: 0, unmask: 0 };
require.cache[resolved].exports = {
  mask(...args) { calls.mask++; return real.mask(...args); },
  unmask(...args) { calls.unmask++; return real.unmask(...args); },
};
const { WebSocket, WebSocketServer } = require(wsDir);
const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 20000);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 4 << 20 }, () => {
  const client = new WebSocket('ws://127.0.0.1:' + wss.address().port);
  const text = 'héllo wörld, '.repeat(100);
  const binary = crypto.randomBytes(1 << 20);
  const got = [];
  client.on('open', () => { client.send(text); client.send(binary); });
  client.on('message', (data, isBinary) => {
    got.push(isBinary ? { binary: crypto.createHash('sha256').update(data).digest('hex') } : { text: data.toString() });
    if (got.length === 2) client.close(1000, 'done');
  });
  client.on('close', (code) => {
    wss.close();
    clearTimeout(timer);
    console.log(JSON.stringify({
      package: require(path.join(path.dirname(resolved), '..', 'package.json')).name,
      backend: real.backend,
      calls,
      code,
      textOk: got[0].text === text,
      binaryOk: got[1].binary === crypto.createHash('sha256').update(binary).digest('hex'),
    }));
  });
});
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
`;

describe('bufferutil drop-in for ws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wscodec-bufferutil-'));
  mkdirSync(join(dir, 'node_modules'));
  // A copy of ws, so its require('bufferutil') resolves next to it and not to our devDependency.
  cpSync(join(root, 'node_modules/ws'), join(dir, 'node_modules/ws'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules/bufferutil'));
  writeFileSync(join(dir, 'echo.cjs'), ECHO);

  for (const backend of ['', 'wasm']) {
    it(`ws masks and unmasks through wscodec (${backend || 'default backend'}) and echoes text and 1 MiB binary`, () => {
      const r = spawnSync(process.execPath, [join(dir, 'echo.cjs')], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30000,
        // ws's own sockets carry this: no wscodec transport applies, so none may be forced.
        env: { ...process.env, WSCODEC_BACKEND: backend, WSCODEC_TRANSPORT: '' },
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.equal(out.package, 'wscodec');
      if (backend) assert.equal(out.backend, backend);
      assert.ok(out.calls.mask > 0, 'the client masked through wscodec');
      assert.ok(out.calls.unmask > 0, 'the server unmasked through wscodec');
      assert.equal(out.code, 1000);
      assert.ok(out.textOk, 'text echoed intact');
      assert.ok(out.binaryOk, '1 MiB binary echoed intact');
    });
  }

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
