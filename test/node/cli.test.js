// The `wscodec` command: echo prints its URL once listening and echoes text as text and
// binary as binary; connect sends stdin lines and prints what comes back.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WS from 'ws';

const BIN = fileURLToPath(new URL('../../bin/wscodec.js', import.meta.url));
let echo;
let url;

before(async () => {
  echo = spawn(process.execPath, [BIN, 'echo', '--port', '0', '--deflate'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line; got ${JSON.stringify(out)}`)), 10_000);
    echo.stdout.on('data', (c) => {
      out += c;
      const m = /ws:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
  });
});

after(async () => {
  echo.kill('SIGTERM');
  await once(echo, 'exit');
});

test('echo: text stays text, binary stays binary, 16 MiB passes, permessage-deflate is negotiated', async () => {
  const ws = new WS(url);
  await once(ws, 'open');
  assert.match(ws.extensions, /permessage-deflate/);
  const got = [];
  ws.on('message', (d, isBinary) => got.push([isBinary, /** @type {Buffer} */ (d).length])); // ws's default binaryType: a Buffer
  ws.send('text');
  ws.send(Buffer.from([1, 2, 3]));
  ws.send(Buffer.alloc(16 * 1024 * 1024, 7));
  const deadline = Date.now() + 20_000;
  while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, [
    [false, 4],
    [true, 3],
    [true, 16 * 1024 * 1024],
  ]);
  ws.close();
  await once(ws, 'close');
});

test('connect: stdin lines are sent, echoes printed, the close code shown', async () => {
  const client = spawn(process.execPath, [BIN, 'connect', url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (c) => {
    out += c;
  });
  client.stdin.end('first line\nsecond ✓\n');
  const timer = setTimeout(() => client.kill(), 10_000);
  const [code] = await once(client, 'exit');
  clearTimeout(timer);
  assert.equal(code, 0, out);
  assert.match(out, /< first line\n< second ✓\n/);
  assert.match(out, /Disconnected \(code: 1000\)/);
});

test('an unknown command prints usage and fails', async () => {
  const child = spawn(process.execPath, [BIN, 'nope'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => {
    err += c;
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 1);
  assert.match(err, /Usage:/);
});
