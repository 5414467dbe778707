// Interop with a real browser: Debian's /usr/bin/chromium, headless, driven by
// playwright-core. Two pages chat through our chat demo (served by our WebSocketServer),
// then a page's own WebSocket talks to our echo server with permessage-deflate.
// A missing chromium fails (see scripts/ensure-system-deps.sh); only
// WSCODEC_SKIP_BROWSER=1 turns this file into a skip.
import { describe, it, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { WebSocketServer } from '../../dist/index.js';
import { startEcho } from '../../dist/node/echo.js';
import { startChat } from '../../dist/demos/chat.js';

const CHROMIUM = '/usr/bin/chromium';
// playwright's launch() gives every browser a fresh temporary --user-data-dir of its own
// and deletes it on close (it refuses a --user-data-dir in args), so none is passed here.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const STEP_MS = 15_000;

if (process.env.WSCODEC_SKIP_BROWSER === '1') {
  test(
    'browser interop',
    { skip: 'WSCODEC_SKIP_BROWSER=1: a developer opted out (no Chromium here); CI never sets it, and without it a missing peer fails' },
    () => {},
  );
} else if (!existsSync(CHROMIUM)) {
  test('browser interop prerequisites', () => {
    assert.fail(
      `${CHROMIUM} does not exist. Install the Debian packages with scripts/ensure-system-deps.sh ` +
        '(as root; npm test runs it in pretest), or set WSCODEC_SKIP_BROWSER=1 to skip on purpose.',
    );
  });
} else {
  describe('chromium ↔ wscodec', () => {
    let browser, chat, echo;

    before(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
      // Our server, passed explicitly: the demo's default must not decide what is tested.
      chat = await startChat({ port: 0, WebSocketServer });
      echo = await startEcho({ port: 0, deflate: true });
    });
    after(async () => {
      await browser?.close();
      await chat?.close();
      await echo?.close();
    });

    /** A page in its own browser context (its own user, as far as the chat knows), connected. */
    async function openChatPage() {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      await page.goto(chat.httpUrl);
      await page.click('#connect');
      await page.waitForFunction(() => document.getElementById('status').textContent === 'Connected.');
      const welcome = await page.locator('#messages li.notice', { hasText: 'You are ' }).first().textContent();
      const name = /You are (\S+)/.exec(welcome)[1];
      return { page, name };
    }

    /** Waits until the page shows `text` from `from` in #messages. */
    async function seen(page, from, text) {
      const line = page.locator('#messages li.message', { hasText: text });
      await line.first().waitFor();
      assert.equal(await line.locator('.from').first().textContent(), `${from}:`);
      assert.equal(await line.count(), 1, `"${text}" shown more than once`);
    }

    it('two pages chat through our server', async (t) => {
      t.diagnostic(`chromium ${browser.version()}`);
      const a = await openChatPage();
      const b = await openChatPage();
      assert.notEqual(a.name, b.name);

      await a.page.fill('#input', 'hello from A ☃');
      await a.page.click('#send');
      await seen(a.page, a.name, 'hello from A ☃');
      await seen(b.page, a.name, 'hello from A ☃');

      await b.page.fill('#input', 'B replies 😀');
      await b.page.press('#input', 'Enter');
      await seen(b.page, b.name, 'B replies 😀');
      await seen(a.page, b.name, 'B replies 😀');

      await a.page.context().close();
      await b.page.context().close();
    });

    it('a browser WebSocket to our echo server: deflate accepted, 1 MiB and text intact', async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(chat.httpUrl); // any page of ours; the echo is another port, same host
        const result = await page.evaluate(
          async ({ url, stepMs }) => {
            const ws = new WebSocket(url);
            ws.binaryType = 'arraybuffer';
            const inbox = [];
            const waiters = [];
            let closed = null;
            ws.onmessage = (e) => (waiters.length ? waiters.shift()(e.data) : inbox.push(e.data));
            ws.onclose = (e) => {
              closed = { code: e.code, reason: e.reason };
            };
            const within = (p, what) =>
              Promise.race([
                p,
                new Promise((_, reject) =>
                  setTimeout(() => reject(new Error(`timed out waiting for ${what}; close: ${JSON.stringify(closed)}`)), stepMs),
                ),
              ]);
            const next = (what) => within(new Promise((r) => (inbox.length ? r(inbox.shift()) : waiters.push(r))), what);
            await within(
              new Promise((resolve, reject) => {
                ws.onopen = resolve;
                ws.onerror = () => reject(new Error('the browser could not open ' + url));
              }),
              'open',
            );

            const out = { extensions: ws.extensions };
            // getRandomValues fills at most 64 KiB per call.
            const sent = new Uint8Array(1 << 20);
            for (let i = 0; i < sent.length; i += 65536) crypto.getRandomValues(sent.subarray(i, i + 65536));
            ws.send(sent);
            const got = await next('the 1 MiB echo');
            out.binaryType = got instanceof ArrayBuffer ? 'ArrayBuffer' : typeof got;
            const back = new Uint8Array(got);
            out.binaryLength = back.length;
            out.firstMismatch = -1;
            for (let i = 0; i < sent.length; i++)
              if (back[i] !== sent[i]) {
                out.firstMismatch = i;
                break;
              }

            // Several compressible texts in a row: both directions keep their deflate context.
            out.texts = [];
            for (const text of ['héllo ☃ 😀', 'héllo ☃ 😀'.repeat(1000), 'x'.repeat(70000), '']) {
              ws.send(text);
              const echoed = await next('a text echo');
              out.texts.push(typeof echoed === 'string' && echoed === text);
            }
            ws.close(1000, 'done');
            await within(
              new Promise((r) =>
                closed
                  ? r()
                  : (ws.onclose = (e) => {
                      closed = { code: e.code, reason: e.reason };
                      r();
                    }),
              ),
              'close',
            );
            out.closed = closed;
            return out;
          },
          { url: echo.url, stepMs: STEP_MS },
        );

        assert.match(result.extensions, /^permessage-deflate\b/, "our server should accept the browser's deflate offer");
        assert.equal(result.binaryType, 'ArrayBuffer');
        assert.equal(result.binaryLength, 1 << 20);
        assert.equal(result.firstMismatch, -1, `1 MiB echo differs from byte ${result.firstMismatch}`);
        assert.deepEqual(result.texts, [true, true, true, true]);
        assert.deepEqual(result.closed, { code: 1000, reason: 'done' });
      } finally {
        await context.close();
      }
    });
  });
}
