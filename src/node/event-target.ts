// The WHATWG side of ws's WebSocket: onopen/onmessage/onerror/onclose and
// addEventListener, layered on the EventEmitter events the way ws does it, so browser-
// style code runs unchanged. Listeners get event objects; `message` data is a string for
// text and the binaryType's form for binary.

import type { EventEmitter } from 'node:events';

type Kind = 'open' | 'message' | 'error' | 'close';

export class WsEvent {
  constructor(readonly type: string, readonly target: unknown) {}
}

export class MessageEvent extends WsEvent {
  constructor(target: unknown, readonly data: unknown) {
    super('message', target);
  }
}

export class CloseEvent extends WsEvent {
  readonly wasClean: boolean;
  constructor(target: unknown, readonly code: number, readonly reason: string) {
    super('close', target);
    this.wasClean = code !== 1006;
  }
}

export class ErrorEvent extends WsEvent {
  readonly message: string;
  constructor(target: unknown, readonly error: unknown) {
    super('error', target);
    this.message = error instanceof Error ? error.message : String(error);
  }
}

type Listener = ((event: WsEvent) => void) | { handleEvent(event: WsEvent): void };
type Wrapped = ((...args: any[]) => void) & { listener: Listener; attribute: boolean };

/** Turns EventEmitter arguments into the event object a WHATWG listener expects. */
function wrap(target: EventEmitter, type: Kind, listener: Listener, attribute: boolean): Wrapped {
  const call = (event: WsEvent) => {
    if (typeof listener === 'function') listener.call(target, event);
    else listener.handleEvent(event);
  };
  const wrapped = ((...args: any[]) => {
    switch (type) {
      case 'open': return call(new WsEvent('open', target));
      case 'error': return call(new ErrorEvent(target, args[0]));
      case 'close': return call(new CloseEvent(target, args[0], String(args[1] ?? '')));
      case 'message': {
        const [data, isBinary] = args;
        return call(new MessageEvent(target, isBinary ? data : data.toString()));
      }
    }
  }) as Wrapped;
  wrapped.listener = listener;
  wrapped.attribute = attribute;
  return wrapped;
}

const KINDS: Kind[] = ['open', 'message', 'error', 'close'];

function isKind(type: string): type is Kind {
  return (KINDS as string[]).includes(type);
}

export function addEventListener(target: EventEmitter, type: string, listener: Listener, options: { once?: boolean } = {}): void {
  if (!isKind(type)) return;
  for (const existing of target.listeners(type) as Wrapped[]) {
    if (existing.listener === listener && !existing.attribute) return;
  }
  const wrapped = wrap(target, type, listener, false);
  if (options.once) target.once(type, wrapped);
  else target.on(type, wrapped);
}

export function removeEventListener(target: EventEmitter, type: string, listener: Listener): void {
  if (!isKind(type)) return;
  for (const existing of target.listeners(type) as Wrapped[]) {
    if (existing.listener === listener && !existing.attribute) {
      target.removeListener(type, existing);
      return;
    }
  }
}

/** Defines onopen/onmessage/onerror/onclose on a class whose instances are EventEmitters. */
export function defineEventAttributes(proto: object): void {
  for (const type of KINDS) {
    Object.defineProperty(proto, `on${type}`, {
      enumerable: true,
      configurable: true,
      get(this: EventEmitter) {
        for (const existing of this.listeners(type) as Wrapped[]) if (existing.attribute) return existing.listener;
        return null;
      },
      set(this: EventEmitter, handler: unknown) {
        for (const existing of this.listeners(type) as Wrapped[]) {
          if (existing.attribute) this.removeListener(type, existing);
        }
        if (typeof handler === 'function') this.on(type, wrap(this, type, handler as Listener, true));
      },
    });
  }
}
