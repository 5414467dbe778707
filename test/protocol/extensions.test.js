// Sec-WebSocket-Extensions grammar (RFC 6455 §9.1): parse and format, malformed input,
// limits, and a ReDoS guard (CVE-2021-32640 was exactly this header in ws).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseExtensions, formatExtensions, isToken, DEFAULT_EXTENSION_LIMITS } from '../../dist/protocol/extensions.js';

// Plain objects are easier to compare than Maps.
const plain = (exts) => exts.map((e) => [e.name, [...e.params].map(([k, v]) => [k, v])]);

describe('parseExtensions', () => {
  it('parses a bare extension', () => {
    assert.deepEqual(plain(parseExtensions('permessage-deflate')), [['permessage-deflate', []]]);
  });

  it('parses parameters with and without values, in order', () => {
    assert.deepEqual(plain(parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits=10')), [
      [
        'permessage-deflate',
        [
          ['client_max_window_bits', [true]],
          ['server_max_window_bits', ['10']],
        ],
      ],
    ]);
  });

  it('accepts optional whitespace around every separator', () => {
    const spaced = plain(parseExtensions(' \tfoo \t; a \t= \t1\t ;b ,\t bar ; c="x" '));
    assert.deepEqual(spaced, [
      [
        'foo',
        [
          ['a', ['1']],
          ['b', [true]],
        ],
      ],
      ['bar', [['c', ['x']]]],
    ]);
    assert.deepEqual(plain(parseExtensions('foo;a=1;b,bar;c=x')), spaced);
  });

  it('unquotes quoted-string values, including quoted-pairs', () => {
    assert.deepEqual(plain(parseExtensions('foo; bits="10"; x="a\\b\\c"; y = "1" ')), [
      [
        'foo',
        [
          ['bits', ['10']],
          ['x', ['abc']],
          ['y', ['1']],
        ],
      ],
    ]);
  });

  it('keeps every offer of a repeated extension, in order, and repeated params', () => {
    const exts = parseExtensions(
      'permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover, permessage-deflate; a=1; a=2',
    );
    assert.deepEqual(plain(exts), [
      ['permessage-deflate', [['server_max_window_bits', ['8']]]],
      ['permessage-deflate', [['server_no_context_takeover', [true]]]],
      ['permessage-deflate', [['a', ['1', '2']]]],
    ]);
    assert.ok(exts[0].params instanceof Map);
  });

  it('skips empty list elements (RFC 7230 §7)', () => {
    assert.deepEqual(plain(parseExtensions(', foo, ,bar,')), [
      ['foo', []],
      ['bar', []],
    ]);
  });

  it('keeps the case of names', () => {
    assert.deepEqual(plain(parseExtensions('Foo; Bar=Baz')), [['Foo', [['Bar', ['Baz']]]]]);
  });

  /** @type {Array<[string, RegExp]>} */
  const malformed = [
    ['', /no extension/],
    ['  ', /no extension/],
    [' , ,', /no extension/],
    ['foo bar', /expected ',' or ';', found "b"/],
    ['foo;', /expected a parameter name, found at the end/],
    ['foo; ', /parameter name/],
    ['foo;;a', /parameter name/],
    [';a', /extension name/],
    ['foo; a=', /parameter value/],
    ['foo; a= ;b', /parameter value/],
    ['foo; a=1=2', /',' or ';'/],
    ['foo; a="1', /closing/],
    ['foo; a=""', /non-empty quoted value/],
    ['foo; a="1 2"', /token character/],
    ['foo; a="1,2"', /token character/],
    ['foo; a="1\\', /escaped character/],
    ['foo; a="\\ "', /token character/],
    ['foo; a="1"x', /',' or ';'/],
    ['foo; a=1 "x"', /',' or ';'/],
    ['foo; a b', /',' or ';'/],
    ['fo"o', /',' or ';'/],
    ['foo@bar', /"@" at index 3/],
    ['foo=1', /"=" at index 3/],
    ['foo; a=é', /parameter value/],
    ['f\u0000oo', /',' or ';'/],
    ['foo;\r\n a=1', /parameter name/],
  ];
  for (const [header, message] of malformed) {
    it(`rejects ${JSON.stringify(header)}`, () => {
      assert.throws(
        () => parseExtensions(header),
        (err) => err instanceof SyntaxError && message.test(err.message),
      );
    });
  }

  it('enforces the length, extension and parameter limits', () => {
    const { maxLength, maxExtensions, maxParams } = DEFAULT_EXTENSION_LIMITS;
    assert.throws(
      () => parseExtensions('a'.repeat(maxLength + 1)),
      (e) => e instanceof SyntaxError && /longer than/.test(e.message),
    );
    assert.equal(parseExtensions('a'.repeat(maxLength))[0].name.length, maxLength);
    assert.equal(parseExtensions(Array(maxExtensions).fill('x').join(',')).length, maxExtensions);
    assert.throws(
      () =>
        parseExtensions(
          Array(maxExtensions + 1)
            .fill('x')
            .join(','),
        ),
      /more than 32 extensions/,
    );
    const params = (n) => 'x' + '; p'.repeat(n);
    assert.deepEqual(parseExtensions(params(maxParams))[0].params.get('p').length, maxParams);
    assert.throws(() => parseExtensions(params(maxParams + 1)), /more than 32 parameters on "x"/);
    assert.equal(parseExtensions('x, y', { maxExtensions: 2 }).length, 2);
    assert.throws(() => parseExtensions('x, y, z', { maxExtensions: 2 }), SyntaxError);
    assert.throws(() => parseExtensions('x'.repeat(10), { maxLength: 9 }), SyntaxError);
  });

  it('runs in linear time on pathological 64 KiB headers (ReDoS guard)', () => {
    const limits = { maxLength: Infinity, maxExtensions: Infinity, maxParams: Infinity };
    const normal = 'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate';
    const size = 64 * 1024;
    const fill = (unit, tail) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size - tail.length) + tail;
    // Shapes that made backtracking parsers explode: long whitespace runs before a bad
    // character, endless "a; b=" chains, unterminated quoted strings, nested separators.
    const hostile = [
      'a' + ' '.repeat(size - 2) + '@',
      fill('a;b=', '"'),
      fill('a; b=c ', ' ='),
      'a; b="' + 'c'.repeat(size - 7) + '\\',
      fill('a,', '@'),
      fill('a;', ' '),
      fill(' ;', ''),
      fill('\t', 'x;'),
    ];
    const time = (fn, reps) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) fn();
      return Number(process.hrtime.bigint() - t0) / reps;
    };
    const tryParse = (h) => {
      try {
        parseExtensions(h, limits);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
    };
    for (let i = 0; i < 200; i++) tryParse(normal); // warm up
    // Per-character cost of a normal header is the yardstick. A linear parser stays within
    // a constant of it (hostile shapes allocate more per character, e.g. one Map per
    // "a,"); a quadratic one pays ~32 Ki steps per character here, orders beyond 200x.
    const perChar = time(() => tryParse(normal), 2000) / normal.length;
    for (const h of hostile) {
      assert.equal(h.length, size);
      tryParse(h); // warm up this shape
      const perHostileChar = time(() => tryParse(h), 5) / h.length;
      assert.ok(
        perHostileChar < perChar * 200,
        `${JSON.stringify(h.slice(0, 12))}…: ${perHostileChar.toFixed(1)} ns/char vs ${perChar.toFixed(1)} ns/char normally`,
      );
    }
    // And with the default limits it is refused before any scanning.
    assert.throws(() => parseExtensions(hostile[0]), /longer than/);
  });
});

describe('formatExtensions', () => {
  it('formats names, bare params, values, repeats and several extensions', () => {
    assert.equal(
      formatExtensions([
        { name: 'permessage-deflate', params: { client_max_window_bits: true, server_max_window_bits: 10 } },
        { name: 'permessage-deflate', params: new Map([['a', ['1', true]]]) },
        { name: 'x-foo' },
      ]),
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; a=1; a, x-foo',
    );
    assert.equal(formatExtensions([]), '');
  });

  it('round-trips through parseExtensions', () => {
    const header = 'a; b; c=1, a; d=x-y, e';
    assert.equal(formatExtensions(parseExtensions(header)), header);
  });

  it('refuses names and values the header could not carry', () => {
    assert.throws(() => formatExtensions([{ name: 'a b' }]), TypeError);
    assert.throws(() => formatExtensions([{ name: '' }]), TypeError);
    assert.throws(() => formatExtensions([{ name: 'a', params: { 'b=': true } }]), TypeError);
    assert.throws(() => formatExtensions([{ name: 'a', params: { b: 'x y' } }]), TypeError);
    assert.throws(() => formatExtensions([{ name: 'a', params: { b: '' } }]), TypeError);
  });

  it('isToken follows RFC 7230 tchar', () => {
    assert.ok(isToken("!#$%&'*+-.^_`|~09AZaz"));
    for (const c of '"(),/:;<=>?@[\\]{} \t\u00e9\u007f') assert.equal(isToken(`a${c}`), false, JSON.stringify(c));
    assert.equal(isToken(''), false);
  });
});
