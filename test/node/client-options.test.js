// Client options ws users rely on, each run against our client and ws's own client with
// the same servers, so the expectation is ws@8's behaviour and not our reading of it:
// agent (a plain http.Agent subclass and a CONNECT proxy agent), net/tls pass-through
// (lookup, family, localAddress, servername), finishRequest, followRedirects and
// maxRedirects with the 'redirect' event, userinfo/auth, ws+unix:, protocolVersion 8
// and the options object createConnection receives.

import { strict as assert } from 'node:assert';
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { failed, opened, portOf, recordingServer, shut, upgradeResponder, within } from './client-helpers.js';

/** Our client and ws's, run through the same code: the class column is deliberately loose. */
const CLIENTS = /** @type {Array<[string, any]>} */ ([
  ['our client', WebSocket],
  ['ws client', WS],
]);
const basic = (userinfo) => `Basic ${Buffer.from(userinfo).toString('base64')}`;

let tlsFiles;
before(() => {
  tlsFiles = selfSignedCert();
});

/** Our WebSocketServer on an https server; records each request and the SNI name it came with. */
async function tlsServer() {
  const https = createHttpsServer(tlsFiles);
  const names = [];
  https.on('secureConnection', (socket) => names.push(socket.servername));
  const wss = new WebSocketServer({ server: https });
  const requests = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    requests.push(req);
  });
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  return {
    port: portOf(https),
    names,
    requests,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
      https.closeAllConnections();
      await new Promise((resolve) => https.close(() => resolve()));
    },
  };
}

/** A CONNECT proxy that knows hosts nobody else can resolve: `routes` maps host:port to a local port. */
async function connectProxy(routes) {
  const seen = [];
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = createNetServer((client) => {
    track(client);
    let buffered = Buffer.alloc(0);
    client.on('data', function onData(chunk) {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.removeListener('data', onData);
      const [method, authority] = buffered.subarray(0, end).toString('latin1').split(' ');
      seen.push(`${method} ${authority}`);
      const port = routes[authority];
      if (method !== 'CONNECT' || port === undefined) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        return;
      }
      const upstream = netConnect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
      track(upstream);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: portOf(server),
    seen,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What proxy agents do: createConnection opens a CONNECT tunnel and hands back its socket. */
class TunnelAgent extends HttpAgent {
  constructor(proxyPort) {
    super();
    this.proxyPort = proxyPort;
  }

  /**
   * The asynchronous form Node allows: the socket goes to `callback`, nothing is returned
   * (@types/node types only the form that returns the socket).
   * @returns {any}
   */
  createConnection(options, callback) {
    const socket = netConnect(this.proxyPort, '127.0.0.1');
    const authority = `${options.host}:${options.port}`;
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    let buffered = Buffer.alloc(0);
    const onError = (err) => callback(err);
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      if (!buffered.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 200')) {
        socket.destroy();
        callback(new Error('the proxy refused the tunnel'));
        return;
      }
      callback(null, socket);
    };
    socket.on('data', onData);
    socket.on('error', onError);
  }
}

describe('agent', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: the connection is made by the agent's createConnection`, async () => {
      const server = await recordingServer();
      class ObservedAgent extends HttpAgent {
        calls = [];
        createConnection(options, callback) {
          this.calls.push({ host: options.host, port: Number(options.port) });
          return super.createConnection(options, callback);
        }
      }
      const agent = new ObservedAgent();
      const ws = new Client(`ws://127.0.0.1:${server.port}/via-agent`, { agent });
      try {
        await opened(ws);
        const req = await server.nextRequest();
        assert.equal(req.url, '/via-agent');
        assert.deepEqual(agent.calls, [{ host: '127.0.0.1', port: server.port }]);
        ws.send('through the agent');
        const [echo] = await within(once([...server.wss.clients][0], 'message'), 'a message');
        assert.equal(echo.toString(), 'through the agent');
      } finally {
        await shut(ws);
        agent.destroy();
        await server.close();
      }
    });

    test(`${name}: a CONNECT proxy agent reaches a host only the proxy can resolve`, async () => {
      const server = await recordingServer();
      const proxy = await connectProxy({ 'echo.proxied.invalid:8080': server.port });
      const agent = new TunnelAgent(proxy.port);
      const ws = new Client('ws://echo.proxied.invalid:8080/tunnel?x=1', { agent });
      try {
        await opened(ws);
        const req = await server.nextRequest();
        assert.equal(req.url, '/tunnel?x=1');
        assert.equal(req.headers.host, 'echo.proxied.invalid:8080');
        assert.deepEqual(proxy.seen, ['CONNECT echo.proxied.invalid:8080']);
        const [server1] = server.wss.clients;
        server1.send('hello through the tunnel');
        const [data] = await within(once(ws, 'message'), 'a message');
        assert.equal(data.toString(), 'hello through the tunnel');
      } finally {
        await shut(ws);
        agent.destroy();
        await proxy.close();
        await server.close();
      }
    });
  }
});

describe('net and tls options pass through', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: lookup, family and localAddress reach net.connect`, async (t) => {
      if (process.platform !== 'linux') return t.skip('127.0.0.2 is a loopback address on Linux only');
      const server = await recordingServer();
      const lookups = [];
      const lookup = (hostname, options, callback) => {
        lookups.push({ hostname, family: options.family });
        if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
        else callback(null, '127.0.0.1', 4);
      };
      const ws = new Client(`ws://made-up.invalid:${server.port}/`, { lookup, family: 4, localAddress: '127.0.0.2' });
      try {
        await opened(ws);
        const req = await server.nextRequest();
        assert.deepEqual(lookups, [{ hostname: 'made-up.invalid', family: 4 }]);
        assert.equal(req.socket.remoteAddress, '127.0.0.2');
      } finally {
        await shut(ws);
        await server.close();
      }
    });

    test(`${name}: net.connect and tls.connect are looked up when connecting (patches apply, as ws's tests rely on)`, async () => {
      const seen = [];
      const original = { net: net.connect, tls: tls.connect };
      net.connect = (options) => {
        seen.push(['net', options.host, String(options.port)]);
        return original.net(options);
      };
      // A stand-in that fails at once: a plain Duplex, not a TLSSocket.
      tls.connect = /** @type {typeof tls.connect} */ (
        (options) => {
          seen.push(['tls', options.servername]);
          const socket = new Duplex({
            read() {},
            write(_chunk, _encoding, callback) {
              callback();
            },
          });
          process.nextTick(() => socket.destroy(new Error('patched tls.connect')));
          return socket;
        }
      );
      const server = await recordingServer();
      try {
        const ws = new Client(`ws://127.0.0.1:${server.port}/`);
        await opened(ws);
        await shut(ws);
        const secure = new Client('wss://sni.example.test:1/', { servername: '' });
        const errors = [];
        secure.on('error', (err) => errors.push(err.message));
        await within(new Promise((resolve) => secure.on('close', resolve)), 'the patched tls socket to fail');
        assert.deepEqual(seen, [
          ['net', '127.0.0.1', String(server.port)],
          ['tls', ''],
        ]);
        assert.deepEqual(errors, ['patched tls.connect']);
      } finally {
        net.connect = original.net;
        tls.connect = original.tls;
        await server.close();
      }
    });

    test(`${name}: servername: an explicit one wins (even ''), else the host, none for an IP`, async () => {
      const server = await tlsServer();
      /** @type {Array<[string, object, string | false]>} */
      const cases = [
        [`wss://localhost:${server.port}/`, { servername: 'sni.example.test' }, 'sni.example.test'],
        [`wss://localhost:${server.port}/`, {}, 'localhost'],
        [`wss://localhost:${server.port}/`, { servername: '' }, false],
        [`wss://127.0.0.1:${server.port}/`, {}, false],
      ];
      try {
        for (const [url, options, expected] of cases) {
          // The certificate names localhost and 127.0.0.1; the SNI name under test may differ.
          const ws = new Client(url, { ca: tlsFiles.cert, checkServerIdentity: () => undefined, ...options });
          await opened(ws);
          assert.equal(server.names.at(-1), expected, `${url} ${JSON.stringify(options)}`);
          await shut(ws);
        }
        assert.equal(server.requests.length, cases.length);
      } finally {
        await server.close();
      }
    });
  }
});

describe('finishRequest', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: the callback gets the request and the WebSocket, may set headers late, and ends it`, async () => {
      const server = await recordingServer();
      const host = `127.0.0.1:${server.port}`;
      /** @type {{ host: unknown, websocket: unknown }} */
      let seen;
      const ws = new Client(`ws://${host}/late`, {
        finishRequest(request, websocket) {
          seen = { host: request.getHeader('host'), websocket };
          // As in ws's own test: wait for the TCP connection, then finish the request.
          request.on('socket', (socket) => {
            socket.on('connect', () => {
              request.setHeader('Cookie', 'foo=bar');
              request.end();
            });
          });
        },
      });
      try {
        await opened(ws);
        const req = await server.nextRequest();
        assert.equal(seen.host, host);
        assert.equal(seen.websocket, ws);
        assert.equal(req.headers.cookie, 'foo=bar');
      } finally {
        await shut(ws);
        await server.close();
      }
    });

    test(`${name}: nothing is sent until the callback ends the request`, async () => {
      const server = await recordingServer();
      /** @type {import('node:http').ClientRequest} */
      let request;
      const ws = new Client(`ws://127.0.0.1:${server.port}/`, {
        finishRequest(req) {
          request = req;
        },
      });
      try {
        let upgrades = 0;
        server.http.on('upgrade', () => upgrades++);
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.equal(upgrades, 0);
        assert.equal(ws.readyState, 0);
        request.setHeader('Authorization', 'Bearer token');
        request.end();
        await opened(ws);
        const req = await server.nextRequest();
        assert.equal(req.headers.authorization, 'Bearer token');
      } finally {
        await shut(ws);
        await server.close();
      }
    });
  }
});

describe('followRedirects and maxRedirects', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: a 302 with a relative Location is followed; 'redirect' gets (url, request); url follows`, async () => {
      const target = new WebSocketServer({ noServer: true });
      const server = await upgradeResponder((req, socket) => {
        if (req.url === '/start') socket.end('HTTP/1.1 302 Found\r\nLocation: /target?y=2\r\n\r\n');
        else target.handleUpgrade(req, socket, Buffer.alloc(0), (ws) => target.emit('connection', ws, req));
      });
      const base = `ws://127.0.0.1:${server.port}`;
      const ws = new Client(`${base}/start`, { followRedirects: true });
      const redirects = [];
      ws.on('redirect', (url, request) =>
        redirects.push({
          url,
          hasHeaders: typeof request.getHeader === 'function',
          key: request.getHeader('sec-websocket-key') !== undefined,
        }),
      );
      try {
        await opened(ws);
        assert.deepEqual(redirects, [{ url: `${base}/target?y=2`, hasHeaders: true, key: true }]);
        assert.equal(ws.url, `${base}/target?y=2`);
        assert.equal(server.upgrades, 2);
      } finally {
        await shut(ws);
        for (const client of target.clients) client.terminate();
        target.close();
        await server.close();
      }
    });

    test(`${name}: abort() of the redirected request in 'redirect' fails the WebSocket with 'socket hang up'`, async () => {
      const server = await upgradeResponder((_req, socket) => socket.end('HTTP/1.1 302 Found\r\nLocation: /foo\r\n\r\n'));
      const ws = new Client(`ws://127.0.0.1:${server.port}/`, { followRedirects: true });
      const events = [];
      ws.on('redirect', (url, request) => {
        events.push(`redirect ${new URL(url).pathname}`);
        request.on('socket', () => request.abort());
      });
      ws.on('open', () => events.push('open'));
      ws.on('error', (err) => events.push(`error ${err.message}`));
      try {
        const code = await within(new Promise((resolve) => ws.on('close', resolve)), 'close');
        assert.equal(code, 1006);
        assert.deepEqual(events, ['redirect /foo', 'error socket hang up']);
      } finally {
        await server.close();
      }
    });

    test(`${name}: a 301 from ws: to wss: is followed`, async () => {
      const secure = await tlsServer();
      const server = await upgradeResponder((req, socket) => {
        socket.end(`HTTP/1.1 301 Moved Permanently\r\nLocation: wss://localhost:${secure.port}/secure\r\n\r\n`);
      });
      const ws = new Client(`ws://127.0.0.1:${server.port}/plain`, { followRedirects: true, ca: tlsFiles.cert });
      try {
        await opened(ws);
        assert.equal(ws.url, `wss://localhost:${secure.port}/secure`);
        assert.equal(secure.requests[0].url, '/secure');
      } finally {
        await shut(ws);
        await secure.close();
        await server.close();
      }
    });

    for (const listening of [false, true]) {
      test(`${name}: credentials follow a same-host redirect; another host gets them only with a 'redirect' listener (${listening})`, async () => {
        const other = await recordingServer();
        const hops = [];
        const home = await upgradeResponder((req, socket) => {
          hops.push({ url: req.url, authorization: req.headers.authorization, cookie: req.headers.cookie });
          const location = req.url === '/first' ? '/again' : `ws://127.0.0.1:${other.port}/away`;
          socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\n\r\n`);
        });
        const headers = { Authorization: 'Bearer secret', Cookie: 'a=b', 'X-Kept': 'yes' };
        const ws = new Client(`ws://127.0.0.1:${home.port}/first`, { followRedirects: true, headers });
        if (listening) ws.on('redirect', () => {});
        try {
          await opened(ws);
          assert.deepEqual(hops, [
            { url: '/first', authorization: 'Bearer secret', cookie: 'a=b' },
            { url: '/again', authorization: 'Bearer secret', cookie: 'a=b' },
          ]);
          const req = await other.nextRequest();
          assert.equal(req.url, '/away');
          assert.equal(req.headers.authorization, listening ? 'Bearer secret' : undefined);
          assert.equal(req.headers.cookie, listening ? 'a=b' : undefined);
          assert.equal(req.headers['x-kept'], 'yes');
          assert.equal(req.headers.host, `127.0.0.1:${other.port}`);
        } finally {
          await shut(ws);
          await other.close();
          await home.close();
        }
      });
    }

    test(`${name}: the first URL's userinfo is sent on every hop to the same host`, async () => {
      const server = await recordingServer();
      // Our server answers every upgrade; the first one is answered with a redirect instead.
      const answer = server.http.listeners('upgrade');
      server.http.removeAllListeners('upgrade');
      server.http.on('upgrade', (req, socket, head) => {
        if (req.url !== '/start') for (const listener of answer) listener.call(server.http, req, socket, head);
        else socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://other:creds@127.0.0.1:${server.port}/next\r\n\r\n`);
      });
      const ws = new Client(`ws://first:creds@127.0.0.1:${server.port}/start`, { followRedirects: true });
      try {
        await opened(ws);
        const req = await server.nextRequest();
        assert.equal(req.url, '/next');
        assert.equal(req.headers.authorization, basic('first:creds'));
      } finally {
        await shut(ws);
        await server.close();
      }
    });

    test(`${name}: one redirect over maxRedirects fails with 'Maximum redirects exceeded'`, async () => {
      const server = await upgradeResponder((req, socket) => socket.end('HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n'));
      try {
        const ws = new Client(`ws://127.0.0.1:${server.port}/`, { followRedirects: true, maxRedirects: 2 });
        const { err, code, states } = await failed(ws);
        assert.equal(err.message, 'Maximum redirects exceeded');
        assert.deepEqual([code, states], [1006, [2, 3]]);
        assert.equal(server.upgrades, 3);

        const byDefault = new Client(`ws://127.0.0.1:${server.port}/`, { followRedirects: true });
        const second = await failed(byDefault);
        assert.equal(second.err.message, 'Maximum redirects exceeded');
        assert.equal(server.upgrades, 3 + 11); // the default is 10
      } finally {
        await server.close();
      }
    });

    test(`${name}: without followRedirects a 302 fails like any other status`, async () => {
      const server = await upgradeResponder((req, socket) => socket.end('HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n'));
      try {
        const ws = new Client(`ws://127.0.0.1:${server.port}/`);
        let redirected = false;
        ws.on('redirect', () => (redirected = true));
        const { err, code, states } = await failed(ws);
        assert.equal(err.message, 'Unexpected server response: 302');
        assert.deepEqual([code, states], [1006, [2, 3]]); // CLOSING while 'error' runs
        assert.equal(redirected, false);
        assert.equal(server.upgrades, 1);
      } finally {
        await server.close();
      }
    });

    test(`${name}: a Location that is not a WebSocket URL fails with ws's SyntaxError`, async () => {
      const server = await upgradeResponder((req, socket) => socket.end('HTTP/1.1 302 Found\r\nLocation: ftp://localhost/\r\n\r\n'));
      try {
        const ws = new Client(`ws://127.0.0.1:${server.port}/`, { followRedirects: true });
        const { err, code } = await failed(ws);
        assert.ok(err instanceof SyntaxError);
        assert.equal(err.message, 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"');
        assert.equal(code, 1006);
      } finally {
        await server.close();
      }
    });
  }
});

describe('userinfo and auth', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: ws://user:pass@host and auth become Authorization: Basic (the URL wins)`, async () => {
      const server = await recordingServer();
      /** @type {Array<[string, object, string]>} */
      const cases = [
        [`ws://us%40er:p%3Ass@127.0.0.1:${server.port}/`, {}, basic('us@er:p:ss')],
        [`ws://127.0.0.1:${server.port}/`, { auth: 'user:pass' }, basic('user:pass')],
        [`ws://url:wins@127.0.0.1:${server.port}/`, { auth: 'user:pass' }, basic('url:wins')],
        [`ws://user:pass@127.0.0.1:${server.port}/`, { headers: { Authorization: 'Bearer explicit' } }, 'Bearer explicit'],
      ];
      try {
        for (const [url, options, expected] of cases) {
          const ws = new Client(url, options);
          await opened(ws);
          const req = await server.nextRequest();
          assert.equal(req.headers.authorization, expected, url);
          assert.equal(req.headers.host, `127.0.0.1:${server.port}`);
          await shut(ws);
        }
      } finally {
        await server.close();
      }
    });
  }
});

describe('ws+unix:', () => {
  let socketDir;
  before(() => {
    socketDir = mkdtempSync(join(tmpdir(), 'wscodec-unix-'));
  });
  after(() => rmSync(socketDir, { recursive: true, force: true }));

  for (const [name, Client] of CLIENTS) {
    test(`${name}: connects over the Unix socket, the request path after the colon`, async () => {
      const path = join(socketDir, `${name.split(' ')[0]}.sock`);
      const server = await recordingServer([path]);
      try {
        for (const [url, requestPath] of [
          [`ws+unix:${path}:/chat?room=1`, '/chat?room=1'],
          [`ws+unix:${path}`, '/'],
        ]) {
          const ws = new Client(url);
          await opened(ws);
          assert.equal(ws.url, url);
          const req = await server.nextRequest();
          assert.equal(req.url, requestPath);
          assert.equal(req.headers.host, 'localhost');
          ws.send('over a unix socket');
          const [data] = await within(once([...server.wss.clients].at(-1), 'message'), 'a message');
          assert.equal(data.toString(), 'over a unix socket');
          await shut(ws);
        }
      } finally {
        await server.close();
      }
    });

    test(`${name}: bad URLs throw ws's SyntaxErrors; a missing socket fails with ENOENT`, async () => {
      assert.throws(() => new Client('ws+unix:'), { name: 'SyntaxError', message: "The URL's pathname is empty" });
      assert.throws(() => new Client('foo'), { name: 'SyntaxError', message: 'Invalid URL: foo' });
      assert.throws(() => new Client('ftp://localhost/'), {
        name: 'SyntaxError',
        message: 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"',
      });
      const ws = new Client(`ws+unix:${join(socketDir, 'nobody-here.sock')}`);
      const { err, code } = await failed(ws);
      assert.equal(err.code, 'ENOENT');
      assert.equal(code, 1006);
    });
  }
});

describe('protocolVersion', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: 8 is sent with Sec-WebSocket-Origin; anything but 8 or 13 throws ws's RangeError`, async () => {
      const server = new WsServer({ port: 0, host: '127.0.0.1' });
      await once(server, 'listening');
      const requests = [];
      server.on('connection', (ws, req) => {
        requests.push(req);
        ws.on('message', (data) => ws.send(data));
      });
      const ws = new Client(`ws://127.0.0.1:${portOf(server)}/`, { protocolVersion: 8, origin: 'https://example.test' });
      try {
        await opened(ws);
        assert.equal(requests[0].headers['sec-websocket-version'], '8');
        assert.equal(requests[0].headers['sec-websocket-origin'], 'https://example.test');
        assert.equal(requests[0].headers.origin, undefined);
        ws.send('hybi-08 framing is RFC 6455 framing');
        const [data] = await within(once(ws, 'message'), 'a message');
        assert.equal(data.toString(), 'hybi-08 framing is RFC 6455 framing');
      } finally {
        await shut(ws);
        await new Promise((resolve) => server.close(resolve));
      }
      for (const version of [7, 12, 1000]) {
        assert.throws(() => new Client('ws://127.0.0.1:1/', { protocolVersion: version }), {
          name: 'RangeError',
          message: `Unsupported protocol version: ${version} (supported versions: 8, 13)`,
        });
      }
    });
  }
});

describe('createConnection', () => {
  for (const [name, Client] of CLIENTS) {
    test(`${name}: gets ws's options object (port as a string, the target, the headers, every option)`, async () => {
      const server = await recordingServer();
      const seen = [];
      const createConnection = (options) => {
        seen.push(options);
        return netConnect({ host: '127.0.0.1', port: server.port });
      };
      const options = { createConnection, handshakeTimeout: 4000, family: 4, headers: { 'X-Custom': 'yes' }, custom: 'kept' };
      const first = new Client('ws://made-up.invalid:1234/p?q=1', ['chat'], options);
      const second = new Client('ws://made-up.invalid/', options);
      try {
        await opened(first);
        await opened(second);
        const [a, b] = seen;
        assert.equal(a.host, 'made-up.invalid');
        assert.equal(a.port, '1234');
        assert.equal(b.port, 80);
        assert.equal(a.defaultPort, 80);
        assert.equal(a.path, undefined);
        assert.equal(a.method, 'GET');
        assert.equal(a.timeout, 4000);
        assert.equal(a.family, 4);
        assert.equal(a.custom, 'kept');
        assert.equal(a.createConnection, createConnection);
        assert.equal(a.headers['X-Custom'], 'yes');
        assert.equal(a.headers['Sec-WebSocket-Protocol'], 'chat');
        assert.equal(String(a.headers['Sec-WebSocket-Version']), '13');
        assert.match(a.headers['Sec-WebSocket-Key'], /^[A-Za-z0-9+/]{22}==$/);
        const req = await server.nextRequest();
        assert.equal(req.headers.host, 'made-up.invalid:1234');
        assert.equal(req.url, '/p?q=1');
      } finally {
        await shut(first);
        await shut(second);
        await server.close();
      }
    });
  }
});
