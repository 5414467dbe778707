// The harness's own HTTP/1.1 Upgrade tools (RFC 6455 §4), both sides: a client that
// writes the request and checks the 101, and a server side that reads a request head.
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HEAD = 64 * 1024;

export function acceptFor(key) {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export function newKey() {
  return randomBytes(16).toString('base64');
}

/**
 * The request head a client sends; `extra` adds or overrides headers (null drops one).
 * @param {{ host: string, path?: string, key: string, extensions?: string, protocols?: string,
 *   extra?: Record<string, string | null> }} request
 */
export function upgradeRequest({ host, path = '/', key, extensions, protocols, extra = {} }) {
  const headers = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
  };
  if (extensions) headers['Sec-WebSocket-Extensions'] = extensions;
  if (protocols) headers['Sec-WebSocket-Protocol'] = protocols;
  Object.assign(headers, extra);
  const lines = [`GET ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) if (value !== null) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Collects bytes until a complete HTTP head. Returns { head, rest } once one is in,
 * where `head` is { startLine, headers (lower-case names; repeated ones joined by ', ') }.
 */
export class HeadReader {
  constructor() {
    this.buffer = Buffer.alloc(0);
  }

  push(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buffer.length > MAX_HEAD) throw new Error('HTTP head too large');
      return null;
    }
    const text = this.buffer.subarray(0, end).toString('latin1');
    const rest = this.buffer.subarray(end + 4);
    const [startLine, ...lines] = text.split('\r\n');
    const headers = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    return { head: { startLine, headers }, rest };
  }
}

const hasToken = (value, token) => (value ?? '').split(',').some((part) => part.trim().toLowerCase() === token);

/** Problems with a 101 response to a request sent with `key`; [] when it is right. */
export function checkSwitchingResponse(head, key) {
  const problems = [];
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head.startLine);
  if (!status || status[1] !== '101') problems.push(`status line ${JSON.stringify(head.startLine)}`);
  if (!hasToken(head.headers.upgrade, 'websocket')) problems.push('no Upgrade: websocket');
  if (!hasToken(head.headers.connection, 'upgrade')) problems.push('no Connection: Upgrade');
  if (head.headers['sec-websocket-accept'] !== acceptFor(key)) problems.push('wrong Sec-WebSocket-Accept');
  return problems;
}

/** Problems with a client's upgrade request; [] when it is right. */
export function checkUpgradeRequest(head) {
  const problems = [];
  if (!/^GET \S+ HTTP\/1\.1$/.test(head.startLine)) problems.push(`request line ${JSON.stringify(head.startLine)}`);
  const h = head.headers;
  if (!h.host) problems.push('no Host');
  if (!hasToken(h.upgrade, 'websocket')) problems.push('no Upgrade: websocket');
  if (!hasToken(h.connection, 'upgrade')) problems.push('no Connection: Upgrade');
  if (h['sec-websocket-version'] !== '13') problems.push('Sec-WebSocket-Version is not 13');
  const key = h['sec-websocket-key'];
  if (!key || Buffer.from(key, 'base64').length !== 16) problems.push('Sec-WebSocket-Key is not 16 bytes of base64');
  return problems;
}

export function switchingResponse(key, extensions) {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptFor(key)}`,
  ];
  if (extensions) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
