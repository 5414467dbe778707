// The event and exception objects a browser WebSocket hands out, built from the
// runtime's own classes where it has them (MessageEvent, CloseEvent, DOMException) and
// from small stand-ins where it does not (CloseEvent is missing from Node 20, for one).
// Only the global Event is required: browsers, workerd and Node ≥ 20 all have it.

interface CloseEventFields {
  code: number;
  reason: string;
  wasClean: boolean;
}

type EventClass<Init> = new (type: string, init: Init) => Event;

const runtime = globalThis as unknown as {
  MessageEvent?: EventClass<{ data: unknown; origin: string }>;
  CloseEvent?: EventClass<CloseEventFields>;
  DOMException?: new (message: string, name: string) => Error;
};

/** A MessageEvent-like event where the runtime has no MessageEvent. */
class MessageEventShim extends Event {
  readonly data: unknown;
  readonly origin: string;
  readonly lastEventId = '';
  readonly source = null;
  readonly ports: readonly unknown[] = [];
  constructor(type: string, init: { data: unknown; origin: string }) {
    super(type);
    this.data = init.data;
    this.origin = init.origin;
  }
}

/** A CloseEvent-like event where the runtime has no CloseEvent. */
class CloseEventShim extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: CloseEventFields) {
    super(type);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

/**
 * The 'error' event. Browsers fire a bare Event and say nothing about the cause; carrying
 * it (`error`, `message`) costs nothing and is what a server-side caller needs to debug.
 */
class WebSocketErrorEvent extends Event {
  readonly error: Error;
  readonly message: string;
  constructor(error: Error) {
    super('error');
    this.error = error;
    this.message = error.message;
  }
}

export function messageEvent(data: unknown, origin: string): Event {
  const Ctor = runtime.MessageEvent;
  return Ctor !== undefined ? new Ctor('message', { data, origin }) : new MessageEventShim('message', { data, origin });
}

export function closeEvent(fields: CloseEventFields): Event {
  const Ctor = runtime.CloseEvent;
  return Ctor !== undefined ? new Ctor('close', fields) : new CloseEventShim('close', fields);
}

export function errorEvent(error: Error): Event {
  return new WebSocketErrorEvent(error);
}

/** A DOMException with `name`, or an Error carrying that name where DOMException is missing. */
export function domException(message: string, name: 'SyntaxError' | 'InvalidAccessError' | 'InvalidStateError'): Error {
  const Ctor = runtime.DOMException;
  if (Ctor !== undefined) return new Ctor(message, name);
  const err = new Error(message);
  err.name = name;
  return err;
}
