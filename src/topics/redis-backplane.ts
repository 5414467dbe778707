// A Redis pub/sub backplane for Topics. ioredis (an optional peer dependency) is loaded
// with import() only when this is used, so the package works without it. Two connections:
// a publisher without an offline queue (a publish while Redis is down rejects at once) and
// a subscriber that reconnects with capped exponential back-off and resubscribes to every
// topic it had.
//
// Channel: `${prefix}${topic}`. Message: [flags (bit 0: binary)] [origin length] [origin] [payload].

import { EventEmitter } from 'node:events';
import type { Backplane, BackplaneMessage } from './backplane.js';

export interface RedisBackplaneOptions {
  /** Channel prefix (default 'wscodec:'). */
  prefix?: string;
  /** Reject a publish that got no reply within this many ms (default 5000). */
  commandTimeout?: number;
  /** Longest wait between reconnect attempts in ms (default 2000). */
  maxRetryDelay?: number;
}

const FLAG_BINARY = 1;

function encodeEnvelope(message: BackplaneMessage): Buffer {
  const origin = Buffer.from(message.origin);
  if (origin.length > 255) throw new RangeError('Backplane origin ids are at most 255 bytes');
  const out = Buffer.allocUnsafe(2 + origin.length + message.data.length);
  out[0] = message.binary ? FLAG_BINARY : 0;
  out[1] = origin.length;
  origin.copy(out, 2);
  out.set(message.data, 2 + origin.length);
  return out;
}

function decodeEnvelope(buf: Buffer): BackplaneMessage | null {
  if (buf.length < 2 || buf.length < 2 + buf[1]) return null;
  const end = 2 + buf[1];
  return { binary: (buf[0] & FLAG_BINARY) !== 0, origin: buf.toString('utf8', 2, end), data: buf.subarray(end) };
}

/**
 * ioredis is an optional peer dependency: a codec user never installs it, so it is imported
 * here, on first use, and its absence is an error that says what to install.
 */
async function importIoredis(): Promise<typeof import('ioredis')> {
  try {
    return await import('ioredis');
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    // Only ioredis itself missing; a broken install (a dependency of ioredis missing) stays as it is.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes("'ioredis'")) {
      throw new Error("createRedisBackplane needs the 'ioredis' package: npm install ioredis", { cause: err });
    }
    throw err;
  }
}

/**
 * Connects to Redis at `url` and resolves once both connections are ready (rejects, leaving
 * nothing open, if the first connection attempt fails). Events on the result: 'ready' (both
 * connections usable and every topic resubscribed), 'reconnecting' (delay ms), 'error' (err,
 * forwarded from ioredis only while someone listens; nothing is thrown or crashes).
 */
export async function createRedisBackplane(url: string, options: RedisBackplaneOptions = {}): Promise<Backplane & EventEmitter> {
  const mod = await importIoredis();
  const Redis = ((mod as { default?: unknown }).default ?? (mod as { Redis?: unknown }).Redis) as typeof mod.default;
  const prefix = options.prefix ?? 'wscodec:';
  const maxDelay = options.maxRetryDelay ?? 2000;
  const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt - 1, 10), maxDelay);

  const emitter = new EventEmitter();
  const pub = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0, // a publish in flight when the connection drops rejects instead of being resent
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeout ?? 5000,
    retryStrategy,
    // ioredis arms this timer on disconnect() even when the socket is already gone (Redis
    // down), which would keep the process alive for its default 2 s after close().
    disconnectTimeout: 200,
  });
  const sub = new Redis(url, {
    lazyConnect: true,
    autoResubscribe: false, // done below, so 'ready' can mean "resubscribed"
    maxRetriesPerRequest: null, // (un)subscribes wait for the connection
    retryStrategy,
    disconnectTimeout: 200,
  });

  const channels = new Set<string>();
  let handler: ((topic: string, message: BackplaneMessage) => void) | null = null;
  let closed = false;
  let subReady = false;

  const forwardError = (err: Error) => {
    if (!closed && emitter.listenerCount('error') > 0) emitter.emit('error', err);
  };
  const checkReady = () => {
    if (!closed && subReady && pub.status === 'ready') emitter.emit('ready');
  };
  for (const client of [pub, sub]) {
    client.on('error', forwardError); // also keeps ioredis from logging unhandled errors
    client.on('reconnecting', (delay: number) => {
      if (!closed) emitter.emit('reconnecting', delay);
    });
  }
  pub.on('ready', checkReady);
  sub.on('close', () => {
    subReady = false;
  });
  sub.on('ready', () => {
    const resubscribe = channels.size > 0 ? sub.subscribe(...channels) : Promise.resolve(0);
    resubscribe.then(
      () => {
        if (sub.status !== 'ready') return;
        subReady = true;
        checkReady();
      },
      (err: Error) => forwardError(err), // the connection dropped again; the next 'ready' retries
    );
  });
  sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    if (closed || handler === null) return;
    const name = channel.toString('utf8');
    if (!name.startsWith(prefix)) return;
    const decoded = decodeEnvelope(message);
    if (decoded === null) return forwardError(new Error(`Malformed backplane message on ${name}`));
    handler(name.slice(prefix.length), decoded);
  });

  // Resolves once `client`'s socket is gone. Call before disconnect(): while 'reconnecting'
  // (or 'end'/'wait') there is no socket, disconnect() only cancels the timer, and no 'end' follows.
  const endOf = (client: typeof pub) =>
    new Promise<void>((resolve) => {
      if (client.status === 'end' || client.status === 'reconnecting' || client.status === 'wait') return resolve();
      const timer = setTimeout(resolve, 1000); // bound, in case ioredis never says 'end'
      timer.unref();
      client.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const shutdown = async () => {
    closed = true;
    const ends = [endOf(pub), endOf(sub)];
    pub.disconnect();
    sub.disconnect();
    await Promise.all(ends);
  };

  try {
    await Promise.all([pub.connect(), sub.connect()]);
    if (!subReady) await new Promise<void>((resolve) => emitter.once('ready', resolve));
  } catch (err) {
    await shutdown();
    throw err;
  }

  const backplane: Backplane = {
    publish(topic, message) {
      if (closed) return Promise.reject(new Error('Backplane is closed'));
      let envelope: Buffer;
      try {
        envelope = encodeEnvelope(message);
      } catch (err) {
        return Promise.reject(err);
      }
      return pub.publish(prefix + topic, envelope).then(() => undefined);
    },
    async subscribe(topic) {
      if (closed) throw new Error('Backplane is closed');
      const channel = prefix + topic;
      channels.add(channel);
      await sub.subscribe(channel);
    },
    async unsubscribe(topic) {
      const channel = prefix + topic;
      if (closed || !channels.delete(channel)) return;
      await sub.unsubscribe(channel);
    },
    onMessage(h) {
      handler = h;
    },
    async close() {
      if (!closed) await shutdown();
    },
  };
  return Object.assign(emitter, backplane);
}
