// UTF-8 test vectors for the text-message validation groups, generated from the
// code-point rules of RFC 3629 rather than copied from any existing suite.
//
// Two kinds of vector, on purpose:
//  - built from a code point (or a JS string): the expected validity is written
//    down by hand next to it, so data.test.js can cross-check it against the
//    reference validator and two independent decoders;
//  - built from raw bytes: validity is computed by isValidUtf8Reference, and the
//    test file checks that answer against TextDecoder and buffer.isUtf8.
// The harness does its own fragmentation, so every vector is one whole message.

/**
 * A deliberately plain RFC 3629 validator: decode each code point, then reject
 * what the RFC forbids. Written for reading, not speed; the harness uses it as
 * the oracle its verdicts are explained with.
 * @param {Uint8Array} bytes
 * @returns {boolean}
 */
export function isValidUtf8Reference(bytes) {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i += 1;
      continue;
    } // ASCII

    let trailing; // continuation bytes that must follow
    let cp; // the bits the lead byte carries
    let min; // smallest code point this length may encode (smaller = overlong)
    if (lead >= 0xc0 && lead <= 0xdf) {
      trailing = 1;
      cp = lead & 0x1f;
      min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      trailing = 2;
      cp = lead & 0x0f;
      min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf7) {
      trailing = 3;
      cp = lead & 0x07;
      min = 0x10000;
    } else return false; // 0x80..0xBF cannot start a character; 0xF8..0xFF never occur in UTF-8

    if (i + trailing >= bytes.length) return false; // truncated at the end
    for (let k = 1; k <= trailing; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return false; // not a continuation byte
      cp = cp * 64 + (b & 0x3f);
    }
    if (cp < min) return false; // overlong: a shorter form exists
    if (cp > 0x10ffff) return false; // beyond Unicode
    if (cp >= 0xd800 && cp <= 0xdfff) return false; // UTF-16 surrogates are not characters
    i += trailing + 1;
  }
  return true;
}

/**
 * Encodes a code point in the original (ISO 10646, up to 31 bits, up to 6 bytes)
 * UTF-8 scheme. `length` may be longer than needed, which is how overlong forms
 * are made; RFC 3629 rules are NOT applied here, that is the point.
 * @param {number} cp
 * @param {number} [length] 1..6, defaults to the shortest form
 * @returns {number[]}
 */
export function encodeCodePoint(cp, length = shortestLength(cp)) {
  if (!Number.isInteger(cp) || cp < 0 || cp > 0x7fffffff) throw new RangeError(`bad code point ${cp}`);
  if (length === 1) {
    if (cp > 0x7f) throw new RangeError(`U+${hex(cp)} does not fit in 1 byte`);
    return [cp];
  }
  const out = new Array(length);
  let rest = cp;
  for (let k = length - 1; k > 0; k--) {
    out[k] = 0x80 | (rest & 0x3f);
    rest = Math.floor(rest / 64); // not >>: 31-bit values would go negative
  }
  // Lead byte: `length` one-bits, a zero, then 7 - length payload bits.
  if (rest >= 2 ** (7 - length)) throw new RangeError(`U+${hex(cp)} does not fit in ${length} bytes`);
  out[0] = ((0xff00 >> length) & 0xff) | rest;
  return out;
}

function shortestLength(cp) {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  if (cp < 0x200000) return 4;
  if (cp < 0x4000000) return 5;
  return 6;
}

const hex = (cp) => cp.toString(16).toUpperCase().padStart(4, '0');
const hexBytes = (bytes) => [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
const utf8 = new TextEncoder();

// Vector builders. `expect` is the hand-written expectation for code-point vectors.
const fromBytes = (title, bytes) => {
  const u8 = Uint8Array.from(bytes);
  return { title, bytes: u8, valid: isValidUtf8Reference(u8) };
};
const fromCodePoint = (title, cp, length, expect) => ({ title, bytes: Uint8Array.from(encodeCodePoint(cp, length)), valid: expect });
const fromCodePoints = (title, cps, expect) => ({ title, bytes: Uint8Array.from(cps.flatMap((cp) => encodeCodePoint(cp))), valid: expect });
const fromText = (title, text) => ({ title, bytes: utf8.encode(text), valid: true });

// Shortest-form first and last code point of each length, extended to the
// pre-RFC 3629 5- and 6-byte forms.
const RANGES = [
  { length: 1, first: 0x00, last: 0x7f },
  { length: 2, first: 0x80, last: 0x7ff },
  { length: 3, first: 0x800, last: 0xffff },
  { length: 4, first: 0x10000, last: 0x1fffff }, // RFC 3629 stops at 0x10FFFF
  { length: 5, first: 0x200000, last: 0x3ffffff },
  { length: 6, first: 0x4000000, last: 0x7fffffff },
];

/** @returns {{ title: string, vectors: { title: string, bytes: Uint8Array, valid: boolean }[] }[]} */
export function utf8VectorGroups() {
  const groups = [];
  const group = (title, vectors) => groups.push({ title, vectors });

  group('Valid text in several scripts', [
    fromText('Empty text', ''),
    fromText('ASCII sentence', 'Hello, world! 0123456789 ~'),
    fromText('Latin with diacritics', 'Grüße, déjà vu: naïve façade in Łódź'),
    fromText('Greek', 'Καλημέρα κόσμε'),
    fromText('Cyrillic', 'Привет, мир'),
    fromText('CJK (Chinese, Japanese, Korean)', '你好，世界 こんにちは 안녕하세요'),
    fromText('Hebrew and Arabic (right-to-left)', 'שלום مرحبا'),
    fromText('Combining marks', 'e\u0301 n\u0303 a\u0308\u0332'),
    fromText('Emoji and other astral characters', '\u{1F600}\u{1F680} \u{1D11E} \u{10348} \u{1F469}\u200D\u{1F4BB}'),
  ]);

  group(
    'First code point of each sequence length',
    RANGES.slice(0, 4).map(({ length, first }) => fromCodePoint(`U+${hex(first)}, first ${length}-byte code point`, first, length, true)),
  );

  group('Last code point of each sequence length', [
    ...RANGES.slice(0, 3).map(({ length, last }) => fromCodePoint(`U+${hex(last)}, last ${length}-byte code point`, last, length, true)),
    fromCodePoint('U+10FFFF, last code point of Unicode', 0x10ffff, 4, true),
  ]);

  // Valid code points where a validator's range checks change (lead byte or
  // allowed second-byte range switches), so off-by-one table errors show up.
  group(
    'Other boundary code points (valid)',
    [
      [0x1000, 'first with lead byte E1'],
      [0xcfff, 'last with lead byte EC'],
      [0xd000, 'first with lead byte ED'],
      [0xd7ff, 'last before the surrogates'],
      [0xe000, 'first after the surrogates'],
      [0xfeff, 'byte order mark'],
      [0xfffd, 'replacement character'],
      [0x40000, 'first with lead byte F1'],
      [0xfffff, 'last with lead byte F3'],
      [0x100000, 'first with lead byte F4'],
    ].map(([cp, why]) => fromCodePoint(`U+${hex(cp)}, ${why}`, cp, undefined, true)),
  );

  group(
    'Code points above U+10FFFF in four bytes',
    [
      [0x110000, 'first above Unicode'],
      [0x13ffff, 'last with lead byte F4'],
      [0x140000, 'first with lead byte F5'],
      [0x1fffff, 'largest four-byte value'],
    ].map(([cp, why]) => fromCodePoint(`U+${hex(cp)}, ${why}`, cp, 4, false)),
  );

  group(
    'Five- and six-byte sequences (removed by RFC 3629)',
    RANGES.slice(4).flatMap(({ length, first, last }) => [
      fromCodePoint(`U+${hex(first)}, first ${length}-byte value`, first, length, false),
      fromCodePoint(`U+${hex(last)}, last ${length}-byte value`, last, length, false),
    ]),
  );

  const continuations = Array.from({ length: 64 }, (_, k) => 0x80 + k);
  const continuationRun = (n) => Array.from({ length: n }, (_, k) => (k % 2 ? 0xbf : 0x80));
  group('Unexpected continuation bytes', [
    fromBytes('First continuation byte 0x80 alone', [0x80]),
    fromBytes('Last continuation byte 0xBF alone', [0xbf]),
    ...[2, 3, 4, 5, 6, 7].map((n) => fromBytes(`${n} continuation bytes`, continuationRun(n))),
    fromBytes('All 64 continuation bytes 0x80..0xBF', continuations),
    fromBytes('Continuation byte after ASCII', [0x41, 0x80]),
    fromBytes('Continuation byte after a complete 2-byte character', [...encodeCodePoint(0xa9), 0x80]),
    fromBytes('Continuation byte after a complete 3-byte character', [...encodeCodePoint(0x20ac), 0xbf]),
  ]);

  // Each start byte of a class followed by a space, all concatenated; plus the
  // start bytes where valid ranges begin or end, singly.
  const leadClasses = [
    [0xc0, 0xdf, 2],
    [0xe0, 0xef, 3],
    [0xf0, 0xf7, 4],
    [0xf8, 0xfb, 5],
    [0xfc, 0xfd, 6],
  ];
  group('Lonely start bytes followed by a space', [
    ...leadClasses.map(([from, to, n]) =>
      fromBytes(
        `Every ${n}-byte start byte 0x${from.toString(16).toUpperCase()}..0x${to.toString(16).toUpperCase()}, each followed by a space`,
        Array.from({ length: to - from + 1 }, (_, k) => [from + k, 0x20]).flat(),
      ),
    ),
    ...[0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4].map((b) =>
      fromBytes(`Start byte 0x${b.toString(16).toUpperCase()} followed by a space`, [b, 0x20]),
    ),
  ]);

  // Drop the last byte of a well-formed encoding; for 2..4 bytes use the lowest
  // and highest valid code point (so truncation is the only fault), for 5 and 6
  // bytes the extremes of the old ranges.
  const truncated = [
    ...[2, 3, 4].flatMap((length) => {
      const { first } = RANGES[length - 1];
      const last = length === 4 ? 0x10ffff : RANGES[length - 1].last;
      return [
        [first, length],
        [last, length],
      ];
    }),
    ...RANGES.slice(4).flatMap(({ length, first, last }) => [
      [first, length],
      [last, length],
    ]),
  ].map(([cp, length]) => ({ cp, length, bytes: encodeCodePoint(cp, length).slice(0, -1) }));
  group(
    'Sequences with the last continuation byte missing',
    truncated.map(({ cp, length, bytes }) => fromBytes(`${length}-byte U+${hex(cp)} without its last byte (${hexBytes(bytes)})`, bytes)),
  );

  group('Concatenated incomplete sequences', [
    fromBytes(
      'All 2..4-byte incomplete sequences above, concatenated',
      truncated.filter((t) => t.length <= 4).flatMap((t) => t.bytes),
    ),
    fromBytes(
      'All 2..6-byte incomplete sequences above, concatenated',
      truncated.flatMap((t) => t.bytes),
    ),
  ]);

  // A character cut short by something that is not a continuation byte, in the
  // middle of a message (validators that only check the end miss these).
  group('Non-continuation byte inside a sequence', [
    fromBytes('2-byte start then ASCII', [0xc2, 0x41]),
    fromBytes('3-byte start then ASCII', [0xe2, 0x41, 0xac]),
    fromBytes('3-byte sequence cut after 2 bytes, then ASCII', [0xe0, 0xa0, 0x41]),
    fromBytes('4-byte sequence cut after 3 bytes, then ASCII', [0xf0, 0x90, 0x80, 0x41]),
    fromBytes('3-byte start then a complete 2-byte character', [0xe2, ...encodeCodePoint(0xa9)]),
    fromBytes('4-byte sequence cut after 2 bytes, then a 3-byte character', [0xf0, 0x9f, ...encodeCodePoint(0x20ac)]),
  ]);

  group('Impossible bytes', [
    fromBytes('0xFE', [0xfe]),
    fromBytes('0xFF', [0xff]),
    fromBytes('0xFE 0xFE 0xFF 0xFF', [0xfe, 0xfe, 0xff, 0xff]),
  ]);

  group(
    'Overlong encodings of U+002F (solidus)',
    [2, 3, 4, 5, 6].map((length) => fromCodePoint(`U+002F in ${length} bytes`, 0x2f, length, false)),
  );

  // The largest value of each length that still has a shorter form.
  group(
    'Maximum overlong sequences',
    [2, 3, 4, 5, 6].map((length) => {
      const cp = RANGES[length - 2].last;
      return fromCodePoint(`U+${hex(cp)} in ${length} bytes`, cp, length, false);
    }),
  );

  group(
    'Overlong encodings of U+0000',
    [2, 3, 4, 5, 6].map((length) => fromCodePoint(`U+0000 in ${length} bytes`, 0, length, false)),
  );

  const highs = [0xd800, 0xdb7f, 0xdb80, 0xdbff];
  const lows = [0xdc00, 0xdf80, 0xdfff];
  group(
    'Single UTF-16 surrogates',
    [...highs, ...lows].map((cp) => fromCodePoint(`Lone surrogate U+${hex(cp)}`, cp, 3, false)),
  );

  group(
    'Paired UTF-16 surrogates',
    highs.flatMap((high) =>
      [0xdc00, 0xdfff].map((low) => fromCodePoints(`Surrogate pair U+${hex(high)} U+${hex(low)}`, [high, low], false)),
    ),
  );

  // Noncharacters are reserved for internal use but are valid UTF-8 (RFC 3629
  // only excludes surrogates and values above U+10FFFF); a validator that
  // rejects them is wrong.
  const fdd = Array.from({ length: 32 }, (_, k) => 0xfdd0 + k);
  group('Noncharacters (valid)', [
    fromCodePoint('Noncharacter U+FDD0', 0xfdd0, 3, true),
    fromCodePoint('Noncharacter U+FDEF', 0xfdef, 3, true),
    fromCodePoints('Noncharacters U+FDD0..U+FDEF', fdd, true),
    ...Array.from({ length: 17 }, (_, plane) => {
      const base = plane * 0x10000;
      return fromCodePoints(`Noncharacters U+${hex(base + 0xfffe)} U+${hex(base + 0xffff)}`, [base + 0xfffe, base + 0xffff], true);
    }),
  ]);

  return groups;
}
