// The WHATWG side of ws's WebSocket: onopen/onmessage/onerror/onclose and
// addEventListener, layered on the EventEmitter events the way ws does it, so browser-
// style code runs unchanged. Listeners get event objects; `message` data is a string for
// text and the binaryType's form for binary.

import type { EventEmitter } from 'node:events';

type Kind = 'open' | 'message' | 'error' | 'close';

export class WsEvent {
  constructor(
    readonly type: string,
    readonly target: unknown,
  ) {}
}

export class MessageEvent extends WsEvent {
  constructor(
    target: unknown,
    readonly data: unknown,
  ) {
    super('message', target);
  }
}

export class CloseEvent extends WsEvent {
  constructor(
    target: unknown,
    readonly code: number,
    readonly reason: string,
    readonly wasClean: boolean,
  ) {
    super('close', target);
  }
}

export class ErrorEvent extends WsEvent {
  readonly message: string;
  constructor(
    target: unknown,
    readonly error: unknown,
  ) {
    super('error', target);
    this.message = error instanceof Error ? error.message : String(error);
  }
}

type Listener = ((event: WsEvent) => void) | { handleEvent(event: WsEvent): void };
// The wrapper's links back to what the user passed. Symbols, not plain properties:
// EventEmitter#listeners() unwraps anything carrying a `listener` property (its own
// once() wrappers do), which would hide our wrappers from the lookups below.
const kListener = Symbol('wscodec listener');
const kAttribute = Symbol('wscodec on-event attribute');
/** Implemented by the target: whether both close frames were exchanged (CloseEvent.wasClean). */
export const kWasClean = Symbol('wscodec wasClean');
type Wrapped = ((...args: any[]) => void) & { [kListener]: Listener; [kAttribute]: boolean };
type Target = EventEmitter & { [kWasClean]?: boolean };

/** Turns EventEmitter arguments into the event object a WHATWG listener expects. */
function wrap(target: Target, type: Kind, listener: Listener, attribute: boolean): Wrapped {
  const call = (event: WsEvent) => {
    if (typeof listener === 'function') listener.call(target, event);
    else listener.handleEvent.call(listener, event);
  };
  const wrapped = ((...args: any[]) => {
    switch (type) {
      case 'open':
        return call(new WsEvent('open', target));
      case 'error':
        return call(new ErrorEvent(target, args[0]));
      case 'close':
        return call(new CloseEvent(target, args[0], String(args[1] ?? ''), target[kWasClean] === true));
      case 'message': {
        const [data, isBinary] = args;
        return call(new MessageEvent(target, isBinary ? data : data.toString()));
      }
    }
  }) as Wrapped;
  wrapped[kListener] = listener;
  wrapped[kAttribute] = attribute;
  return wrapped;
}

const KINDS: Kind[] = ['open', 'message', 'error', 'close'];

function isKind(type: string): type is Kind {
  return (KINDS as string[]).includes(type);
}

function wrappers(target: EventEmitter, type: Kind): Wrapped[] {
  return (target.listeners(type) as Wrapped[]).filter((listener) => kListener in listener);
}

/** As in ws: a listener already added (not as an attribute) is not added twice. */
export function addEventListener(target: EventEmitter, type: string, listener: Listener, options: { once?: boolean } = {}): void {
  if (!isKind(type)) return;
  for (const existing of wrappers(target, type)) {
    if (existing[kListener] === listener && !existing[kAttribute]) return;
  }
  const wrapped = wrap(target, type, listener, false);
  if (options.once) target.once(type, wrapped);
  else target.on(type, wrapped);
}

export function removeEventListener(target: EventEmitter, type: string, listener: Listener): void {
  if (!isKind(type)) return;
  for (const existing of wrappers(target, type)) {
    if (existing[kListener] === listener && !existing[kAttribute]) {
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
        for (const existing of wrappers(this, type)) if (existing[kAttribute]) return existing[kListener];
        return null;
      },
      set(this: EventEmitter, handler: unknown) {
        for (const existing of wrappers(this, type)) {
          if (existing[kAttribute]) this.removeListener(type, existing);
        }
        if (typeof handler === 'function') this.on(type, wrap(this, type, handler as Listener, true));
      },
    });
  }
}
