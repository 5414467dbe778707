// Runs cases against a peer under test, in either role:
//   runAsClient  the harness connects to a server (e.g. `wscodec echo`) once per case
//   runAsServer  the harness listens; a client under test connects to /runCase?case=N
//                for N = 0, 1, … in turn and echoes whatever it receives
// Each case: handshake, the case's script, then the close, then a verdict.
import net from 'node:net';
import { once } from 'node:events';
import { checkSwitchingResponse, checkUpgradeRequest, HeadReader, newKey, switchingResponse, upgradeRequest } from './wire/http.js';
import { Peer } from './wire/peer.js';
import { findAcceptedOffer, parseExtensionResponse } from './data/pmd.js';
import { judge } from './verdict.js';

const HEAD_TIMEOUT_MS = 5_000;
const CLOSE_TIMEOUT_MS = 3_000;
const CASE_TIMEOUT_MS = 10_000;

/** Reads an HTTP head off `socket`; resolves { head, rest } or rejects. */
function readHead(socket, timeoutMs = HEAD_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const reader = new HeadReader();
    const timer = setTimeout(() => finish(new Error('no complete HTTP head in time')), timeoutMs);
    const onData = (chunk) => {
      try {
        const done = reader.push(chunk);
        if (done) finish(null, done);
      } catch (err) {
        finish(err);
      }
    };
    const onClose = () => finish(new Error('the connection closed during the handshake'));
    const finish = (err, value) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(value);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** The case's script, then the close it expects, then the verdict. */
async function play(kase, peer) {
  const started = performance.now();
  const limit = kase.timeoutMs ?? CASE_TIMEOUT_MS;
  let harnessError = null;
  let timer;
  try {
    await Promise.race([
      kase.run(peer),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`script still running after ${limit} ms`)), limit);
      }),
    ]);
  } catch (err) {
    harnessError = err.message;
  } finally {
    clearTimeout(timer);
  }
  if (kase.close.by === 'harness') {
    const wanted = kase.expect.length;
    await peer.waitUntil(() => peer.trace.length >= wanted || peer.peerClose !== null || peer.violation !== null, limit);
    await peer.sendClose(1000);
  } else {
    await peer.waitForPeerClose(limit);
    // The peer did not fail the connection: close it so the run goes on (the verdict says FAILED).
    if (!peer.peerClose && peer.open) await peer.sendClose(1000);
  }
  await peer.waitForPeerClose(CLOSE_TIMEOUT_MS);
  await peer.work;
  await peer.waitForTcpClose(CLOSE_TIMEOUT_MS);
  await peer.work;
  const summary = { ...peer.summary(), role: peer.role, harnessError };
  return finishResult(kase, summary, performance.now() - started);
}

function finishResult(kase, summary, ms) {
  const { verdict, behavior, closeBehavior, reason } = judge(kase, summary);
  return {
    id: kase.id,
    title: kase.title,
    verdict,
    behavior,
    closeBehavior,
    reason: reason || undefined,
    ms: Math.round(ms),
    observed: {
      trace: summary.trace.length,
      peerClose: summary.peerClose && {
        code: summary.peerClose.code,
        reason: summary.peerClose.reason,
        initiated: summary.peerClose.initiated,
      },
      harnessClose: summary.closeSent?.code,
      tcpClosedBy: summary.tcpTimedOut
        ? 'harness (timeout)'
        : summary.peerEndedTcp
          ? 'peer'
          : summary.harnessEndedTcp
            ? 'harness'
            : 'reset',
      violation: summary.violation ?? undefined,
    },
  };
}

const handshakeFailure = (kase, problem) =>
  finishResult(
    kase,
    {
      trace: [],
      marks: [],
      handshakeProblem: problem,
      role: 'n/a',
    },
    0,
  );

/** Reads the peer's HTTP head, or gives the case's FAILED result when it does not come. */
async function headOrFailure(socket, kase) {
  try {
    return await readHead(socket);
  } catch (err) {
    socket.destroy();
    return { failure: handshakeFailure(kase, err.message) };
  }
}

/**
 * The harness as a client against a server at host:port.
 * @param {{ host?: string, port: number, cases: import('./cases/dsl.js').Case[], onResult?: (result: any) => void }} options
 */
export async function runAsClient({ host = '127.0.0.1', port, cases, onResult = () => {} }) {
  const results = [];
  for (const kase of cases) {
    const result = await clientCase(host, port, kase);
    results.push(result);
    onResult(result);
  }
  return results;
}

async function clientCase(host, port, kase) {
  if (kase.raw) return kase.raw({ host, port });
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  try {
    await once(socket, 'connect');
  } catch (err) {
    return handshakeFailure(kase, `cannot connect: ${err.message}`);
  }
  const key = newKey();
  socket.write(upgradeRequest({ host: `${host}:${port}`, path: `/${kase.id}`, key, extensions: kase.deflate?.offer }));
  const { head, rest, failure } = await headOrFailure(socket, kase);
  if (failure) return failure;
  const problems = checkSwitchingResponse(head, key);
  let deflate = null;
  try {
    deflate = negotiated(kase, head.headers['sec-websocket-extensions']);
  } catch (err) {
    problems.push(err.message);
  }
  if (problems.length > 0) {
    socket.destroy();
    return handshakeFailure(kase, problems.join(', '));
  }
  return play(kase, new Peer(socket, { role: 'client', deflate, rest }));
}

/** What the server's Sec-WebSocket-Extensions means for a case (throws when it is wrong). */
function negotiated(kase, header) {
  if (!header) {
    if (kase.deflate) throw new Error('permessage-deflate was offered but not accepted');
    return null;
  }
  if (!kase.deflate) throw new Error(`an extension nobody offered: ${header}`);
  const params = parseExtensionResponse(header);
  if (findAcceptedOffer(params, kase.deflate.offers) < 0) throw new Error(`the server answered ${header}, which no offer allows`);
  return params;
}

/**
 * @typedef {(baseUrl: string, count: number) => { exited: Promise<{ code: number | null, stderr?: string }>, stop(): void }} StartClient
 */

/**
 * The harness as a server. `startClient(baseUrl, count)` starts the client under test,
 * which must connect to `${baseUrl}/runCase?case=${i}` for i = 0 … count - 1, one after
 * the other, and returns { exited: Promise<{code, stderr}>, stop() }.
 * @param {{ cases: import('./cases/dsl.js').Case[], startClient: StartClient, onResult?: (result: any) => void }} options
 */
export async function runAsServer({ cases, startClient, onResult = () => {} }) {
  const pending = [];
  const waiting = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    if (waiting.length > 0) waiting.shift()(socket);
    else pending.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const client = startClient(`ws://127.0.0.1:${port}`, cases.length);
  let clientGone = /** @type {{ code: number | null, stderr?: string } | null} */ (null);
  client.exited.then((info) => {
    clientGone = info;
    for (const w of waiting.splice(0)) w(null);
  });
  const nextSocket = (timeoutMs) => {
    if (pending.length > 0) return Promise.resolve(pending.shift());
    if (clientGone) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(deliver), 1);
        resolve(null);
      }, timeoutMs);
      const deliver = (socket) => {
        clearTimeout(timer);
        resolve(socket);
      };
      waiting.push(deliver);
    });
  };
  const results = [];
  try {
    for (let i = 0; i < cases.length; i++) {
      const kase = cases[i];
      const socket = await nextSocket(15_000);
      const result = socket
        ? await serverCase(socket, kase, i)
        : handshakeFailure(
            kase,
            clientGone
              ? `the client under test exited (code ${clientGone.code}) ${clientGone.stderr?.slice(-500) ?? ''}`
              : 'the client under test did not connect',
          );
      results.push(result);
      onResult(result);
    }
  } finally {
    client.stop();
    for (const s of pending) s.destroy();
    server.close();
  }
  return results;
}

async function serverCase(socket, kase, index) {
  const { head, rest, failure } = await headOrFailure(socket, kase);
  if (failure) return failure;
  const problems = checkUpgradeRequest(head);
  const path = head.startLine.split(' ')[1];
  if (path !== `/runCase?case=${index}`) problems.push(`asked for ${path}, expected /runCase?case=${index}`);
  const offer = head.headers['sec-websocket-extensions'] ?? '';
  let response;
  let deflate = null;
  if (kase.deflate) {
    if (!/permessage-deflate/i.test(offer)) problems.push('the client did not offer permessage-deflate');
    response = kase.deflate.response;
    deflate = parseExtensionResponse(response);
  }
  if (problems.length > 0) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return handshakeFailure(kase, problems.join(', '));
  }
  socket.write(switchingResponse(head.headers['sec-websocket-key'], response));
  return play(kase, new Peer(socket, { role: 'server', deflate, rest }));
}
