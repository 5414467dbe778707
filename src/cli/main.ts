// The `wscodec` command line: an echo server (for benchmarks and conformance runs), the
// chat demo, and an interactive client like wscat.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { backend } from '../codec-node.js';
import { startChat } from '../demos/chat.js';
import { startEcho } from '../node/echo.js';
import { preferredTransport } from '../node/transports/select.js';
import { WebSocket } from '../node/websocket.js';

const USAGE = `Usage:
  wscodec echo [--port N] [--host H] [--deflate] [--max-payload BYTES] [--handshake-timeout MS]
                                                   echo server (text stays text, binary stays binary)
  wscodec chat [--port N] [--host H] [--redis redis://HOST:PORT]
                                                   chat demo: a page and a broadcasting WebSocket endpoint;
                                                   with --redis, every process on that Redis shares the room
  wscodec connect <url> [--protocol P]... [--no-deflate]
                                                   interactive client: stdin lines are sent, messages printed
Set WSCODEC_BACKEND=native|wasm|js to pin the codec backend, WSCODEC_TRANSPORT=native|direct|stream the transport.`;

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'echo':
      return runEcho(rest);
    case 'chat':
      return runChat(rest);
    case 'connect':
      return runConnect(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`wscodec: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 1;
  }
}

function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${JSON.stringify(value)}`);
  return port;
}

function countOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** Closes `stop` on SIGINT/SIGTERM so the process exits cleanly. */
function stopOnSignal(stop: () => Promise<void>): void {
  const onSignal = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function runEcho(argv: string[]): Promise<undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      deflate: { type: 'boolean' },
      'max-payload': { type: 'string' },
      'handshake-timeout': { type: 'string' },
    },
  });
  const echo = await startEcho({
    port: portOf(values.port, 9001),
    host: values.host,
    deflate: values.deflate,
    maxPayload: countOf(values['max-payload'], '--max-payload'),
    handshakeTimeout: countOf(values['handshake-timeout'], '--handshake-timeout'),
  });
  console.log(
    `wscodec echo server listening on ${echo.url} (backend: ${backend}, transport: ${preferredTransport()}${values.deflate ? ', permessage-deflate' : ''})`,
  );
  stopOnSignal(echo.close);
  return undefined;
}

async function runChat(argv: string[]): Promise<undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      redis: { type: 'string' },
    },
  });
  const chat = await startChat({ port: portOf(values.port, 8080), host: values.host, redis: values.redis });
  console.log(
    `wscodec chat demo on ${chat.httpUrl} (WebSocket endpoint ${chat.url}, backend: ${backend}${chat.redis ? `, redis: ${chat.redis}` : ''})`,
  );
  stopOnSignal(chat.close);
  return undefined;
}

async function runConnect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      protocol: { type: 'string', multiple: true },
      'no-deflate': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new Error('connect needs exactly one URL');
  const ws = new WebSocket(positionals[0], values.protocol ?? [], { perMessageDeflate: !values['no-deflate'] });
  let lines: ReturnType<typeof createInterface> | undefined;
  return new Promise((resolve) => {
    ws.on('open', () => {
      console.log(`Connected to ${ws.url}${ws.protocol ? ` (protocol ${ws.protocol})` : ''}. Lines you type are sent; end input to close.`);
      // Read stdin only once open, so piped lines are not read before they can be sent.
      lines = createInterface({ input: process.stdin, terminal: false });
      lines.on('line', (line) => ws.send(line));
      lines.on('close', () => ws.close(1000));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      console.log(isBinary ? `< [binary, ${data.length} bytes] ${data.subarray(0, 32).toString('hex')}` : `< ${data.toString()}`);
    });
    ws.on('error', (err: Error) => console.error(`error: ${err.message}`));
    ws.on('close', (code: number, reason: Buffer) => {
      console.log(`Disconnected (code: ${code}${reason.length ? `, reason: "${reason.toString()}"` : ''})`);
      lines?.close();
      process.stdin.destroy();
      resolve(code === 1000 || code === 1005 ? 0 : 1);
    });
  });
}
