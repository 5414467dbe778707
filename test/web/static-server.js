// A tiny read-only static file server for browser tests and the browser bench: serves
// the repository root (dist/, build/*.wasm, test/web/vectors.js, ...) with the content
// types a browser insists on (text/javascript for modules, application/wasm so
// WebAssembly.instantiateStreaming accepts the response). GET and HEAD only; nothing
// outside the root is reachable. `pages` adds in-memory documents (path → HTML).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Starts the server on 127.0.0.1 (port 0: any free port).
 * @returns {Promise<{ url: string, requests: {method: string, path: string, status: number, type: string}[], close(): Promise<void> }>}
 */
export async function startStaticServer({ root = REPO_ROOT, port = 0, pages = {} } = {}) {
  const base = path.resolve(root);
  const requests = [];
  const server = createServer(async (req, res) => {
    const send = (status, type, body) => {
      requests.push({ method: req.method, path: req.url, status, type });
      res.writeHead(status, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'text/plain', 'bad url');
    }
    if (Object.hasOwn(pages, pathname)) return send(200, TYPES['.html'], pages[pathname]);
    const file = path.resolve(base, '.' + pathname);
    if (pathname.includes('\0') || (file !== base && !file.startsWith(base + path.sep))) return send(403, 'text/plain', 'forbidden');
    try {
      if (!(await stat(file)).isFile()) return send(404, 'text/plain', 'not found');
      const body = await readFile(file);
      return send(200, TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', body);
    } catch {
      return send(404, 'text/plain', 'not found');
    }
  });
  await /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    })
  );
  const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${actual}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
