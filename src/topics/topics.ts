// Topics (issue 7): publish/subscribe over WebSocket connections. A publish is framed once
// and written to every local subscriber synchronously (the broadcast helper), then handed to
// an optional backplane so subscribers in other processes get it too. Messages coming back
// from the backplane with our own origin are ignored, so every subscriber gets each message
// exactly once. The backplane is subscribed to a topic while it has local subscribers.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { broadcast, type BroadcastSocket } from '../node/broadcast.js';
import type { Backplane, BackplaneMessage } from './backplane.js';

/**
 * What can subscribe: our WebSocket, or any socket with ws's readyState, send() and
 * 'close' event (broadcast frames a message once for ours, and calls send() on others).
 */
export interface TopicSocket extends BroadcastSocket {
  on(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

export interface TopicsOptions {
  /** Where publishes go to reach other processes; without one, Topics is local only. */
  backplane?: Backplane;
}

export interface PublishOptions {
  /** Send as binary (default: true unless `data` is a string). */
  binary?: boolean;
  /** Skip this local socket (typically the sender). */
  except?: TopicSocket;
}

const CLOSING = 2;

/**
 * Events: 'subscribed' (topic) once the backplane confirmed a subscription, 'unsubscribed'
 * (topic) likewise, and 'error' (err) when a backplane subscribe/unsubscribe fails — emitted
 * only if someone listens. `publish` reports backplane failures by rejecting.
 */
export class Topics extends EventEmitter {
  readonly id: string = randomBytes(9).toString('base64url');
  private readonly backplane: Backplane | null;
  private readonly topics = new Map<string, Set<TopicSocket>>();
  private readonly sockets = new Map<TopicSocket, { topics: Set<string>; onClose: () => void }>();
  private closed = false;

  constructor(options: TopicsOptions = {}) {
    super();
    this.backplane = options.backplane ?? null;
    this.backplane?.onMessage((topic, message) => this.receive(topic, message));
  }

  /** Adds `ws` to `topic` (idempotent). A socket that closes leaves all its topics. */
  subscribe(ws: TopicSocket, topic: string): void {
    if (this.closed || ws.readyState >= CLOSING) return;
    let entry = this.sockets.get(ws);
    if (entry === undefined) {
      const onClose = () => this.removeSocket(ws);
      entry = { topics: new Set(), onClose };
      this.sockets.set(ws, entry);
      ws.on('close', onClose);
    }
    if (entry.topics.has(topic)) return;
    entry.topics.add(topic);
    let set = this.topics.get(topic);
    if (set === undefined) {
      set = new Set();
      this.topics.set(topic, set);
      set.add(ws);
      this.backplaneSubscribe(topic);
    } else {
      set.add(ws);
    }
  }

  unsubscribe(ws: TopicSocket, topic: string): void {
    const entry = this.sockets.get(ws);
    if (entry === undefined || !entry.topics.delete(topic)) return;
    if (entry.topics.size === 0) {
      ws.off('close', entry.onClose);
      this.sockets.delete(ws);
    }
    this.leave(ws, topic);
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /**
   * Writes `data` to every open local subscriber of `topic` before returning, then hands it
   * to the backplane. Resolves with the local count once the backplane accepted it; rejects
   * with the backplane's error otherwise (local delivery has happened either way).
   */
  publish(topic: string, data: string | Uint8Array, options: PublishOptions = {}): Promise<number> {
    if (this.closed) return Promise.reject(new Error('Topics is closed'));
    const binary = options.binary ?? typeof data !== 'string';
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const set = this.topics.get(topic);
    let count: number;
    try {
      count = set === undefined ? 0 : broadcast(set, bytes, { binary, except: options.except });
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.backplane === null) return Promise.resolve(count);
    let handedOn: Promise<void>;
    try {
      handedOn = this.backplane.publish(topic, { origin: this.id, binary, data: bytes });
    } catch (err) {
      return Promise.reject(err);
    }
    return handedOn.then(() => count);
  }

  /** Forgets every subscription and closes the backplane (if any). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [ws, entry] of this.sockets) ws.off('close', entry.onClose);
    this.sockets.clear();
    this.topics.clear();
    if (this.backplane !== null) await this.backplane.close();
  }

  private receive(topic: string, message: BackplaneMessage): void {
    if (this.closed || message.origin === this.id) return;
    const set = this.topics.get(topic);
    if (set !== undefined) broadcast(set, message.data, { binary: message.binary });
  }

  private removeSocket(ws: TopicSocket): void {
    const entry = this.sockets.get(ws);
    if (entry === undefined) return;
    ws.off('close', entry.onClose);
    this.sockets.delete(ws);
    for (const topic of entry.topics) this.leave(ws, topic);
  }

  private leave(ws: TopicSocket, topic: string): void {
    const set = this.topics.get(topic);
    if (set === undefined || !set.delete(ws) || set.size > 0) return;
    this.topics.delete(topic);
    if (this.backplane === null) return;
    this.backplane.unsubscribe(topic).then(
      () => this.emit('unsubscribed', topic),
      (err) => this.report(err),
    );
  }

  private backplaneSubscribe(topic: string): void {
    if (this.backplane === null) return;
    this.backplane.subscribe(topic).then(
      () => {
        if (this.topics.has(topic)) this.emit('subscribed', topic);
      },
      (err) => this.report(err),
    );
  }

  private report(err: unknown): void {
    if (!this.closed && this.listenerCount('error') > 0) this.emit('error', err);
  }
}
