// The backplane contract for Topics (issue 7) and InProcessBus, the dependency-free
// implementation that lets several Topics instances in one process share publishes.

export interface BackplaneMessage {
  /** Id of the Topics instance that published it (`Topics#id`); it ignores its own. */
  origin: string;
  binary: boolean;
  data: Uint8Array;
}

export interface Backplane {
  /** Resolves once the message was handed on; rejects when it cannot be (e.g. Redis down). */
  publish(topic: string, message: BackplaneMessage): Promise<void>;
  subscribe(topic: string): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  /** Sets the one handler for incoming messages (Topics sets it). */
  onMessage(handler: (topic: string, message: BackplaneMessage) => void): void;
  close(): Promise<void>;
}

interface Member {
  topics: Set<string>;
  handler: ((topic: string, message: BackplaneMessage) => void) | null;
}

const closedError = () => new Error('Backplane is closed');

/**
 * A bus inside one process: every `attach()`ed backplane receives the publishes of every
 * other one for the topics it subscribed to. Delivery is asynchronous (a microtask per
 * publish) and in publish order, like a real broker; payloads are copied once on publish.
 */
export class InProcessBus {
  private readonly members = new Set<Member>();

  attach(): Backplane {
    const members = this.members;
    const member: Member = { topics: new Set(), handler: null };
    members.add(member);
    let closed = false;
    return {
      publish(topic, message) {
        if (closed) return Promise.reject(closedError());
        const copy: BackplaneMessage = { origin: message.origin, binary: message.binary, data: message.data.slice() };
        const targets = [...members].filter((m) => m !== member && m.topics.has(topic));
        if (targets.length > 0) {
          queueMicrotask(() => {
            for (const m of targets) {
              // A member that unsubscribed or closed after the publish no longer gets it.
              if (!m.topics.has(topic) || m.handler === null) continue;
              try {
                m.handler(topic, copy);
              } catch {
                // one receiver failing must not stop the others
              }
            }
          });
        }
        return Promise.resolve();
      },
      subscribe(topic) {
        if (closed) return Promise.reject(closedError());
        member.topics.add(topic);
        return Promise.resolve();
      },
      unsubscribe(topic) {
        member.topics.delete(topic);
        return Promise.resolve();
      },
      onMessage(handler) {
        member.handler = handler;
      },
      close() {
        closed = true;
        member.topics.clear();
        member.handler = null;
        members.delete(member);
        return Promise.resolve();
      },
    };
  }
}
