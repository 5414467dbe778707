// Group 20: cases Autobahn lacks — masking direction, absurd lengths, maxPayload,
// permessage-deflate misuse, and abuse of the HTTP handshake.
import net from 'node:net';
import { once } from 'node:events';
import { negotiationSets } from '../data/pmd.js';
import { newKey, upgradeRequest } from '../wire/http.js';
import { failsWith, MiB, msg, NORMAL, OP, textOf } from './dsl.js';

/** The server's maxPayload in a conformance run (targets.js starts peers with it). */
const MAX_PAYLOAD = 16 * MiB;
const HANDSHAKE_TIMEOUT_MS = 2_000;

const DEFLATE = negotiationSets()[0];
// A raw DEFLATE block with BTYPE = 11, which RFC 1951 reserves: no inflater accepts it.
const CORRUPT_DEFLATE = Uint8Array.of(0x07, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);

const framing = [
  {
    id: '20.1.1',
    title: 'An unmasked frame from a client',
    harnessRoles: ['client'],
    run: (p) => p.send({ opcode: OP.TEXT, payload: 'Hello, world!', mask: false }),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '20.1.2',
    title: 'A masked frame from a server',
    harnessRoles: ['server'],
    run: (p) => p.send({ opcode: OP.TEXT, payload: 'Hello, world!', mask: true }),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '20.2.1',
    title: 'A 64-bit length with its top bit set',
    run: (p) => p.send({ opcode: OP.BINARY, payload: new Uint8Array(16), lengthForm: 64, declaredLength: (1n << 63n) + 16n }),
    expect: [],
    close: failsWith(1002, 1009),
  },
  {
    id: '20.2.2',
    title: 'A frame one byte over maxPayload (16 MiB)',
    timeoutMs: 30_000,
    run: (p) => p.send({ opcode: OP.BINARY, payload: new Uint8Array(MAX_PAYLOAD + 1) }),
    expect: [],
    close: failsWith(1009),
  },
  {
    id: '20.2.3',
    title: 'A message whose fragments add up to one byte over maxPayload',
    timeoutMs: 30_000,
    run: (p) => p.sendMessage(new Uint8Array(MAX_PAYLOAD + 1), { binary: true, fragmentSize: MAX_PAYLOAD / 2 }),
    expect: [],
    close: failsWith(1009),
  },
  {
    id: '20.2.4',
    title: 'A message of exactly maxPayload is fine',
    timeoutMs: 30_000,
    run: (p) => p.send({ opcode: OP.TEXT, payload: textOf(MAX_PAYLOAD, 20) }),
    expect: [msg(textOf(MAX_PAYLOAD, 20))],
    close: NORMAL,
  },
];

const deflate = [
  {
    id: '20.3.1',
    title: 'permessage-deflate: RSV1 on a ping',
    deflate: DEFLATE,
    run: (p) => p.send({ opcode: OP.PING, payload: 'ping', rsv1: true }),
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '20.3.2',
    title: 'permessage-deflate: RSV1 on a continuation frame',
    deflate: DEFLATE,
    run: async (p) => {
      await p.send({ opcode: OP.TEXT, payload: 'fragment1', fin: false });
      await p.send({ opcode: OP.CONT, payload: 'fragment2', rsv1: true });
    },
    expect: [],
    close: failsWith(1002),
  },
  {
    id: '20.3.3',
    title: 'permessage-deflate: a compressed message that is not DEFLATE data',
    deflate: DEFLATE,
    run: (p) => p.send({ opcode: OP.BINARY, payload: CORRUPT_DEFLATE, rsv1: true }),
    expect: [],
    close: failsWith(1007, 1002),
  },
  {
    id: '20.3.4',
    title: 'permessage-deflate: a small message that inflates past maxPayload (a deflate bomb)',
    deflate: DEFLATE,
    timeoutMs: 30_000,
    run: (p) => p.sendMessage(new Uint8Array(MAX_PAYLOAD + MiB), { binary: true, compress: true }),
    expect: [],
    close: failsWith(1009),
  },
  {
    id: '20.3.5',
    title: 'permessage-deflate: compressed and uncompressed messages mixed',
    deflate: DEFLATE,
    run: async (p) => {
      await p.sendMessage('compressed one', { compress: true });
      await p.sendMessage('plain one');
      await p.sendMessage(textOf(5000, 3), { compress: true, fragmentSize: 700 });
    },
    expect: [msg('compressed one'), msg('plain one'), msg(textOf(5000, 3))],
    close: NORMAL,
  },
];

// ---- the HTTP handshake ------------------------------------------------------------

/**
 * Sends `request` (optionally a byte at a time, `delayMs` apart) and reads what comes
 * back until the server closes or `timeoutMs` passes.
 */
async function exchange({ host, port }, request, { dribbleMs = 0, timeoutMs = 5_000 } = {}) {
  const socket = net.connect({ host, port });
  await once(socket, 'connect');
  const started = performance.now();
  let response = '';
  let closedAt = null;
  socket.on('data', (d) => {
    response += d.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise((resolve) =>
    socket.once('close', () => {
      closedAt = performance.now() - started;
      resolve();
    }),
  );
  if (dribbleMs > 0) {
    for (let i = 0; i < request.length && closedAt === null && performance.now() - started < timeoutMs; i++) {
      socket.write(request[i]);
      await new Promise((r) => setTimeout(r, dribbleMs));
    }
  } else {
    socket.write(request);
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, timeoutMs))]);
  socket.destroy();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
  return { status, response, closedAt };
}

function rawCase(id, title, check) {
  return {
    id,
    title,
    harnessRoles: ['client'],
    expect: [],
    close: NORMAL,
    raw: async (target) => {
      const started = performance.now();
      const { verdict, reason, observed } = await check(target);
      return {
        id,
        title,
        verdict,
        behavior: verdict,
        closeBehavior: verdict,
        reason,
        ms: Math.round(performance.now() - started),
        observed,
      };
    },
  };
}

const request = (extra) => upgradeRequest({ host: 'localhost', path: '/', key: newKey(), extra });

function expectStatus(status, extra, header) {
  return async (target) => {
    const got = await exchange(target, typeof extra === 'string' ? extra : request(extra));
    const problems = [];
    if (got.status !== status) problems.push(`status ${got.status}, expected ${status}`);
    if (header && !header.test(got.response)) problems.push(`no ${header} in the response`);
    if (got.closedAt === null) problems.push('the connection was left open');
    return { verdict: problems.length ? 'FAILED' : 'OK', reason: problems.join('; ') || undefined, observed: { status: got.status } };
  };
}

const handshake = [
  // RFC 6455 §4.4 asks for "an appropriate HTTP error code (such as 426 Upgrade Required)" and
  // shows 400 in its own example; ws answers 400, and so do we.
  rawCase(
    '20.4.1',
    'Handshake: Sec-WebSocket-Version 7 gets 400 and the versions we speak',
    expectStatus(400, { 'Sec-WebSocket-Version': '7' }, /sec-websocket-version: 13/i),
  ),
  rawCase('20.4.2', 'Handshake: no Sec-WebSocket-Key gets 400', expectStatus(400, { 'Sec-WebSocket-Key': null })),
  rawCase('20.4.3', 'Handshake: a key that is not 16 bytes gets 400', expectStatus(400, { 'Sec-WebSocket-Key': 'c2hvcnQ=' })),
  rawCase('20.4.4', 'Handshake: no Upgrade header gets 400 (or 426)', async (target) => {
    const got = await exchange(target, request({ Upgrade: null }));
    const ok = (got.status === 400 || got.status === 426) && got.closedAt !== null;
    return { verdict: ok ? 'OK' : 'FAILED', reason: ok ? undefined : `status ${got.status}`, observed: { status: got.status } };
  }),
  rawCase(
    '20.4.5',
    'Handshake: 64 KiB of headers gets 431',
    expectStatus(431, Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`X-Filler-${i}`, 'x'.repeat(1000)]))),
  ),
  rawCase('20.4.6', 'Handshake: a request head dribbled one byte per 100 ms is dropped after the handshake timeout', async (target) => {
    const got = await exchange(target, request({}), { dribbleMs: 100, timeoutMs: HANDSHAKE_TIMEOUT_MS + 5_000 });
    const ok = got.closedAt !== null && got.closedAt < HANDSHAKE_TIMEOUT_MS + 3_000 && !got.response.includes(' 101 ');
    return {
      verdict: ok ? 'OK' : 'FAILED',
      reason: ok ? undefined : got.closedAt === null ? 'still open' : `closed after ${Math.round(got.closedAt)} ms, response ${got.status}`,
      observed: { closedAfterMs: got.closedAt && Math.round(got.closedAt), status: got.status },
    };
  }),
];

export default [...framing, ...deflate, ...handshake];
