// Interop with a foreign implementation: python-websockets (Debian's python3-websockets,
// run by Debian's /usr/bin/python3, not whatever python3 is first on PATH).
//   (a) its client against our echo server, with and without permessage-deflate;
//   (b) its echo server against our client.
// The peers are small scripts in peers/ that print one JSON line per fact; the assertions
// live here. A missing prerequisite fails (see scripts/ensure-system-deps.sh); only
// WSCODEC_SKIP_PYTHON=1 turns this file into a skip.
import { describe, it, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from '../../dist/index.js';
import { startEcho } from '../../dist/node/echo.js';
import { within } from '../helpers/within.js';

const PYTHON = '/usr/bin/python3';
const PEERS = fileURLToPath(new URL('./peers/', import.meta.url));
const STEP_MS = 20_000; // any single wait; the whole file stays well under a minute

/** The python-websockets version, or a reason it cannot be used. */
function probePython() {
  if (!existsSync(PYTHON)) return { missing: `${PYTHON} does not exist` };
  const r = spawnSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8', timeout: STEP_MS });
  if (r.status !== 0)
    return { missing: `${PYTHON} cannot import websockets: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  return { version: r.stdout.trim() };
}

const withTimeout = (promise, what, ms = STEP_MS) => within(promise, what, ms);

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * A Python process whose stdout is JSON lines. `next()` resolves with the next line;
 * `stop()` ends it (stdin EOF, then SIGKILL) and is safe to call twice.
 */
class PythonPeer {
  constructor(script, args = []) {
    this.proc = spawn(PYTHON, [PEERS + script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.setEncoding('utf8').on('data', (s) => (this.stderr += s));
    this.lines = [];
    this.waiters = [];
    this.exited = once(this.proc, 'exit').then(([code, signal]) => {
      for (const w of this.waiters.splice(0)) w.reject(this.error(`exited (code ${code}, signal ${signal})`));
      return { code, signal };
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const value = JSON.parse(line);
      const w = this.waiters.shift();
      if (w) w.resolve(value);
      else this.lines.push(value);
    });
  }

  error(what) {
    return new Error(`python peer ${what}; its stderr:\n${this.stderr}`);
  }

  next(what = 'a line from the python peer') {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.reject(this.error('already exited'));
    return withTimeout(new Promise((resolve, reject) => this.waiters.push({ resolve, reject })), what);
  }

  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.stdin.end();
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(t);
    }
  }
}

/** Our client plus a queue of received messages, so tests await them in order. */
function openClient(url, options) {
  const ws = new WebSocket(url, options);
  const inbox = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const w = waiters.shift();
    if (w) w({ data, isBinary });
    else inbox.push({ data, isBinary });
  });
  ws.on('error', () => {}); // surfaces as 'close' / failed waits with a message below
  const closed = once(ws, 'close').then(([code, reason]) => ({ code, reason: String(reason) }));
  return {
    ws,
    closed,
    opened: withTimeout(once(ws, 'open'), `our client to open ${url}`),
    next: () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : withTimeout(new Promise((r) => waiters.push(r)), 'an echoed message')),
  };
}

const python = process.env.WSCODEC_SKIP_PYTHON === '1' ? { skipped: true } : probePython();

if (python.skipped) {
  test(
    'python-websockets interop',
    {
      skip: 'WSCODEC_SKIP_PYTHON=1: a developer opted out (no Python websockets here); CI never sets it, and without it a missing peer fails',
    },
    () => {},
  );
} else if (python.missing) {
  test('python-websockets interop prerequisites', () => {
    assert.fail(
      `${python.missing}. Install the Debian packages with scripts/ensure-system-deps.sh ` +
        '(as root; npm test runs it in pretest), or set WSCODEC_SKIP_PYTHON=1 to skip on purpose.',
    );
  });
} else {
  describe(`python-websockets ${python.version} client → our echo server`, () => {
    let echo, plainEcho;
    const serverCloses = []; // {code, reason} as our server saw each client's close

    before(async () => {
      echo = await startEcho({ port: 0, deflate: true });
      plainEcho = await startEcho({ port: 0, deflate: false });
      for (const { server } of [echo, plainEcho]) {
        server.on('connection', (ws) => ws.on('close', (code, reason) => serverCloses.push({ code, reason: String(reason) })));
      }
    });
    after(async () => {
      await echo?.close();
      await plainEcho?.close();
    });

    /** Runs py_client.py to completion and checks every round trip it reports. */
    async function runClient(t, url, mode, expectDeflate) {
      const peer = new PythonPeer('py_client.py', [url, mode]);
      try {
        const open = await peer.next('the python client to connect');
        assert.equal(open.step, 'open', `python client failed to open: ${peer.stderr}`);
        t.diagnostic(`python3-websockets ${open.version}; negotiated extensions: "${open.extensions}"`);
        if (expectDeflate) assert.match(open.extensions, /^permessage-deflate\b/);
        else assert.equal(open.extensions, '');

        for (const [step, type, len] of [
          ['text', 'str', 21],
          ['binary', 'bytes', 256],
          ['binary-1MiB', 'bytes', 1 << 20],
          ['binary-16MiB', 'bytes', 16 << 20],
        ]) {
          const r = await peer.next(`the python client's ${step} round trip`);
          assert.equal(r.step, step);
          assert.deepEqual(
            { type: r.got_type, len: r.got_len, sha256: r.got_sha256 },
            { type, len, sha256: r.sent_sha256 },
            `${step} did not come back as sent`,
          );
          assert.equal(r.sent_len, len);
        }

        const close = await peer.next('the python client to close');
        assert.deepEqual(
          close,
          { step: 'close', code: 4001, reason: 'py says bye \u2603' },
          'python should see our server echo its close code and reason',
        );
        const exit = await withTimeout(peer.exited, 'the python client to exit');
        assert.equal(exit.code, 0, `python client exited with ${exit.code}: ${peer.stderr}`);
        // Our side saw the same close (the 'close' event may trail the TCP FIN slightly).
        await withTimeout(
          (async () => {
            while (serverCloses.length === 0) await new Promise((r) => setTimeout(r, 10));
          })(),
          "our server's close event",
        );
        assert.deepEqual(serverCloses.shift(), { code: 4001, reason: 'py says bye \u2603' });
      } finally {
        await peer.stop();
      }
    }

    it("with permessage-deflate (websockets' default offer)", async (t) => {
      await runClient(t, echo.url, 'deflate', true);
    });
    it('with compression=None', async (t) => {
      await runClient(t, echo.url, 'none', false);
    });
    it('deflate offered to a server that has it off: declined, data intact', async (t) => {
      await runClient(t, plainEcho.url, 'deflate', false);
    });
  });

  describe(`our client → python-websockets ${python.version} echo server`, () => {
    let server, url;

    before(async () => {
      server = new PythonPeer('py_echo_server.py');
      const hello = await server.next('the python server to listen');
      assert.equal(hello.event, 'listening', server.stderr);
      url = `ws://127.0.0.1:${hello.port}/`;
    });
    after(async () => {
      await server?.stop();
    });

    it('negotiates deflate; text, binary, 1 MiB, pings both ways, close 4002', async (t) => {
      const c = openClient(url);
      try {
        await c.opened;
        t.diagnostic(`python3-websockets ${python.version}; our client negotiated "${c.ws.extensions}"`);
        assert.match(c.ws.extensions, /permessage-deflate/);

        const text = 'héllo ☃ 😀 from node';
        c.ws.send(text);
        let m = await c.next();
        assert.equal(m.isBinary, false);
        assert.equal(String(m.data), text);

        const small = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        c.ws.send(small);
        m = await c.next();
        assert.equal(m.isBinary, true);
        assert.deepEqual(Buffer.from(m.data), small);

        const big = randomBytes(1 << 20);
        c.ws.send(big);
        m = await c.next();
        assert.equal(m.isBinary, true);
        assert.equal(m.data.length, big.length);
        assert.equal(sha256(m.data), sha256(big), '1 MiB did not come back byte-identical');

        // Our ping, their pong.
        const pong = withTimeout(once(c.ws, 'pong'), 'a pong from python');
        c.ws.ping(Buffer.from('js-ping'));
        assert.equal(String((await pong)[0]), 'js-ping');

        // Their ping, our (automatic) pong: the server only replies once it got it.
        c.ws.send('please-ping');
        m = await c.next();
        assert.equal(String(m.data), 'pong-received');

        c.ws.close(4002, 'js says bye');
        assert.deepEqual(await withTimeout(c.closed, 'our close event'), { code: 4002, reason: 'js says bye' });
        const seen = await server.next('the python server to report the close');
        assert.deepEqual({ code: seen.code, reason: seen.reason }, { code: 4002, reason: 'js says bye' });
        assert.match(seen.extensions, /permessage-deflate/);
      } finally {
        c.ws.terminate();
      }
    });

    it('without deflate; the server closes with 4003 and we echo it', async () => {
      const c = openClient(url, { perMessageDeflate: false });
      try {
        await c.opened;
        assert.equal(c.ws.extensions, '');
        c.ws.send('plain');
        assert.equal(String((await c.next()).data), 'plain');

        c.ws.send('please-close');
        assert.deepEqual(await withTimeout(c.closed, 'our close event'), { code: 4003, reason: 'py closes' });
        const seen = await server.next('the python server to report the close');
        assert.deepEqual(
          { code: seen.code, reason: seen.reason, extensions: seen.extensions },
          { code: 4003, reason: 'py closes', extensions: '' },
        );
      } finally {
        c.ws.terminate();
      }
    });
  });
}
