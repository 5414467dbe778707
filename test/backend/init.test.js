// The runtime-agnostic entry (what browsers and workers get): the JS backend serves
// until init() resolves, then wasm does, from a Module, bytes, or a Response.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const root = new URL('../..', import.meta.url);

function run(script, env = {}) {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, WSCODEC_BACKEND: '', ...env },
    encoding: 'utf8',
    timeout: 30000,
  }).trim();
}

const prelude = `
  import { readFileSync } from 'node:fs';
  import * as codec from './dist/codec/index.js';
  const bytes = readFileSync('./build/wscodec.wasm');
  // A Uint8Array, so slice() copies (Buffer's slice is a view, and push unmasks in place).
  const frame = new Uint8Array(Buffer.concat(codec.encodeFrame(codec.Opcode.Text, 'héllo', { mask: true })));
  const decodeOnce = () => { let got; new codec.FrameDecoder({ role: 'server', onMessage: (d) => { got = Buffer.from(d).toString(); } }).push(frame.slice()); return got; };
`;

describe('init() on the runtime-agnostic entry', () => {
  for (const [what, expr] of [
    ['bytes', 'bytes'],
    ['a WebAssembly.Module', 'new WebAssembly.Module(bytes)'],
    ['a Response', "new Response(bytes, { headers: { 'content-type': 'application/wasm' } })"],
    ['a Response with the wrong content type', 'new Response(bytes)'],
  ]) {
    it(`serves with js before and wasm after init(${what})`, () => {
      const out = run(`${prelude}
        const before = [codec.backend, codec.availableBackends().join(), decodeOnce()];
        const name = await codec.init(${expr});
        console.log(JSON.stringify({ before, after: [name, codec.backend, codec.availableBackends().join(), decodeOnce()] }));`);
      assert.deepEqual(JSON.parse(out), { before: ['js', 'js', 'héllo'], after: ['wasm', 'wasm', 'wasm,js', 'héllo'] });
    });
  }

  it('WSCODEC_BACKEND=js keeps js active after init()', () => {
    const out = run(`${prelude} await codec.init(bytes); console.log(codec.backend, codec.availableBackends().join());`, {
      WSCODEC_BACKEND: 'js',
    });
    assert.equal(out, 'js wasm,js');
  });

  it('a failed fetch rejects with the reason and leaves js serving', () => {
    const out = run(`${prelude}
      try { await codec.init(new Response('nope', { status: 404 })); console.log('resolved'); }
      catch (e) { console.log(e.message.includes('404'), codec.backend, decodeOnce()); }`);
    assert.equal(out, 'true js héllo');
  });
});
