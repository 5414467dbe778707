// The echo server behind `wscodec echo`: every message goes back as it came (text as
// text, binary as binary). Used by benchmarks, conformance runs and the tests.

import { WebSocketServer } from './server.js';

export interface EchoOptions {
  port?: number;
  host?: string;
  /** Negotiate permessage-deflate when clients offer it. */
  deflate?: boolean;
  maxPayload?: number;
  /** Milliseconds a client has to complete its upgrade request (the server's default otherwise). */
  handshakeTimeout?: number;
}

export interface EchoServer {
  url: string;
  port: number;
  server: WebSocketServer;
  close(): Promise<void>;
}

export async function startEcho(options: EchoOptions = {}): Promise<EchoServer> {
  const host = options.host ?? '127.0.0.1';
  const server = new WebSocketServer({
    port: options.port ?? 0,
    host,
    maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
    perMessageDeflate: options.deflate ? { threshold: 0 } : false,
    ...(options.handshakeTimeout !== undefined && { handshakeTimeout: options.handshakeTimeout }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {}); // protocol errors close the connection; the server carries on
  });
  const { port } = server.address() as { port: number };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `ws://${urlHost}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of server.clients ?? []) ws.terminate();
        server.close(() => resolve());
      }),
  };
}
