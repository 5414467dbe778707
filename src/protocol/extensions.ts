// The Sec-WebSocket-Extensions header (RFC 6455 §9.1):
//
//   extension-list = 1#extension
//   extension      = token *( OWS ";" OWS extension-param )
//   extension-param = token [ OWS "=" OWS ( token / quoted-string ) ]
//
// The parser is a single forward scan: every character is looked at a bounded number of
// times, so a hostile header costs time linear in its length (ws's regex-era parser was
// CVE-2021-32640). Header, offer and parameter counts are capped on top of that so the
// objects we build stay small too. Empty list elements (`a, , b`) are skipped as
// RFC 7230 §7 asks; names keep their case (they are compared exactly, as ws does).

import { isTchar, isToken } from './http.js';

export { isToken };

export type ExtensionParamValue = string | true;

/** One extension offer or response: the parameters in header order, repeats kept. */
export interface Extension {
  name: string;
  params: Map<string, ExtensionParamValue[]>;
}

export interface ExtensionLimits {
  /** Longest header value accepted, in characters (default 8192). */
  maxLength?: number;
  /** Most extensions in one header (default 32). */
  maxExtensions?: number;
  /** Most parameters on one extension (default 32). */
  maxParams?: number;
}

export const DEFAULT_EXTENSION_LIMITS: Readonly<Required<ExtensionLimits>> = {
  maxLength: 8192,
  maxExtensions: 32,
  maxParams: 32,
};

const SP = 0x20,
  HTAB = 0x09,
  COMMA = 0x2c,
  SEMI = 0x3b,
  EQUALS = 0x3d,
  DQUOTE = 0x22,
  BACKSLASH = 0x5c;

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): number {
    return this.s.charCodeAt(this.i);
  }

  skipOws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== SP && c !== HTAB) break;
      this.i++;
    }
  }

  token(what: string): string {
    const start = this.i,
      s = this.s;
    while (this.i < s.length && isTchar(s.charCodeAt(this.i))) this.i++;
    if (this.i === start) throw this.unexpected(what);
    return s.slice(start, this.i);
  }

  /** A quoted-string whose unescaped value must itself be a token (RFC 6455 §9.1). */
  quoted(): string {
    const s = this.s;
    const start = ++this.i; // past the opening quote
    let value = '';
    let from = start; // start of the run not yet copied into `value`
    for (;;) {
      if (this.i >= s.length) throw this.unexpected("a closing '\"'");
      const c = s.charCodeAt(this.i);
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        value += s.slice(from, this.i);
        from = ++this.i;
        if (this.i >= s.length) throw this.unexpected('an escaped character');
      }
      if (!isTchar(s.charCodeAt(this.i))) throw this.unexpected('a token character inside the quoted value');
      this.i++;
    }
    value += s.slice(from, this.i);
    if (this.i === start) throw this.unexpected('a non-empty quoted value');
    this.i++; // past the closing quote
    return value;
  }

  unexpected(expected: string): SyntaxError {
    const where = this.done ? 'at the end' : `${JSON.stringify(this.s[this.i])} at index ${this.i}`;
    return new SyntaxError(`Invalid Sec-WebSocket-Extensions header: expected ${expected}, found ${where}`);
  }
}

/**
 * Parses a Sec-WebSocket-Extensions value into extensions in header order.
 * @throws SyntaxError on any grammar violation or when a limit is exceeded.
 */
export function parseExtensions(header: string, limits: ExtensionLimits = {}): Extension[] {
  const maxLength = limits.maxLength ?? DEFAULT_EXTENSION_LIMITS.maxLength;
  const maxExtensions = limits.maxExtensions ?? DEFAULT_EXTENSION_LIMITS.maxExtensions;
  const maxParams = limits.maxParams ?? DEFAULT_EXTENSION_LIMITS.maxParams;
  if (header.length > maxLength) {
    throw new SyntaxError(`Invalid Sec-WebSocket-Extensions header: longer than ${maxLength} characters`);
  }

  const sc = new Scanner(header);
  const out: Extension[] = [];
  for (;;) {
    sc.skipOws();
    if (sc.done) break;
    if (sc.peek() === COMMA) {
      sc.i++;
      continue;
    } // empty list element

    if (out.length === maxExtensions) {
      throw new SyntaxError(`Invalid Sec-WebSocket-Extensions header: more than ${maxExtensions} extensions`);
    }
    const ext: Extension = { name: sc.token('an extension name'), params: new Map() };
    out.push(ext);
    let count = 0;
    sc.skipOws();
    while (!sc.done && sc.peek() === SEMI) {
      sc.i++;
      sc.skipOws();
      const key = sc.token('a parameter name');
      let value: ExtensionParamValue = true;
      sc.skipOws();
      if (!sc.done && sc.peek() === EQUALS) {
        sc.i++;
        sc.skipOws();
        value = !sc.done && sc.peek() === DQUOTE ? sc.quoted() : sc.token('a parameter value');
        sc.skipOws();
      }
      if (++count > maxParams) {
        throw new SyntaxError(`Invalid Sec-WebSocket-Extensions header: more than ${maxParams} parameters on "${ext.name}"`);
      }
      const values = ext.params.get(key);
      if (values === undefined) ext.params.set(key, [value]);
      else values.push(value);
    }
    if (sc.done) break;
    if (sc.peek() !== COMMA) throw sc.unexpected("',' or ';'");
    sc.i++;
  }
  if (out.length === 0) throw new SyntaxError('Invalid Sec-WebSocket-Extensions header: no extension');
  return out;
}

export type ExtensionParamInput = string | number | true;

/** What formatExtensions accepts: params as a Map (like parse output) or a plain object. */
export interface ExtensionInput {
  name: string;
  params?:
    | ReadonlyMap<string, ExtensionParamInput | readonly ExtensionParamInput[]>
    | Readonly<Record<string, ExtensionParamInput | readonly ExtensionParamInput[]>>;
}

/**
 * Builds a Sec-WebSocket-Extensions value, e.g. `permessage-deflate; client_max_window_bits=10`.
 * @throws TypeError when a name or value is not a token (the header could not carry it).
 */
export function formatExtensions(extensions: readonly ExtensionInput[]): string {
  let header = '';
  for (const ext of extensions) {
    if (!isToken(ext.name)) throw new TypeError(`Extension name ${JSON.stringify(ext.name)} is not a token`);
    if (header !== '') header += ', ';
    header += ext.name;
    const params = ext.params;
    if (params === undefined) continue;
    const entries = params instanceof Map ? params.entries() : Object.entries(params);
    for (const [key, values] of entries) {
      if (!isToken(key)) throw new TypeError(`Extension parameter name ${JSON.stringify(key)} is not a token`);
      for (const value of Array.isArray(values) ? values : [values]) {
        header += '; ' + key;
        if (value === true) continue;
        const text = String(value);
        if (!isToken(text)) throw new TypeError(`Value ${JSON.stringify(text)} of "${key}" is not a token`);
        header += '=' + text;
      }
    }
  }
  return header;
}
