// Deterministic payload corpora for the permessage-deflate groups.
//
// Why generated instead of files: any size is available without storing data,
// the same (kind, size, seed) always gives the same bytes (so a failing case can
// be replayed from its title), and the kinds span the compression spectrum from
// very redundant (json) to incompressible (random).
//
// Text kinds are built from whole pre-encoded tokens, so a cut can only happen
// between code points; the tail that no token fits into is padded with ASCII
// spaces. Hence valid UTF-8 at every size, including 0 and 1.

/** @typedef {'text' | 'json' | 'html' | 'binary' | 'random'} CorpusKind */

/**
 * Every kind, and whether the harness sends it as a text (true) or binary message.
 * @type {readonly CorpusKind[]}
 */
export const CORPUS_KINDS = Object.freeze(['text', 'json', 'html', 'binary', 'random']);
const TEXT_KINDS = new Set(['text', 'json', 'html']);

/** @param {string} kind @returns {boolean} true if this kind is sent as a text message */
export function corpusIsText(kind) {
  if (!(/** @type {readonly string[]} */ (CORPUS_KINDS).includes(kind))) throw new TypeError(`unknown corpus kind ${kind}`);
  return TEXT_KINDS.has(kind);
}

/**
 * @param {CorpusKind} kind
 * @param {number} size exact byte length of the result
 * @param {number} [seed] an integer; distinct 32-bit seeds give unrelated corpora
 * @returns {Uint8Array}
 */
export function corpus(kind, size, seed = 0) {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad corpus size ${size}`);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`corpus seed must be an integer, got ${seed}`);
  const generate = GENERATORS[kind];
  if (!generate) throw new TypeError(`unknown corpus kind ${kind}`);
  const out = new Uint8Array(size);
  generate(new Writer(out), new Rng(seed));
  return out;
}

// xoshiro128** seeded through splitmix32: small, fast in 32-bit JS arithmetic,
// and statistically good enough that 'random' is incompressible. Written from
// the published algorithm descriptions.
class Rng {
  constructor(seed) {
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32); // fold 53-bit seeds into 32 bits
    // State lives in an Int32Array: 32-bit values kept in closure variables
    // or fields get boxed as heap numbers by V8 (measured: about twice as
    // slow). A class, not closures, because fresh closures per corpus() call
    // made V8 deoptimise the generators.
    const st = new Int32Array(4);
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      st[k] = z ^ (z >>> 16);
    }
    if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1; // the all-zero state would stay zero forever
    this.st = st;
  }

  /** next 32 random bits, as a signed int32 */
  next() {
    const st = this.st;
    const b = st[1];
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = b << 9;
    st[2] ^= st[0];
    st[3] ^= b;
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = (st[3] << 11) | (st[3] >>> 21);
    return result;
  }

  /** integer in [0, n) */
  int(n) {
    return Math.floor((this.next() >>> 0) * (n / 4294967296));
  }

  pick(list) {
    return list[this.int(list.length)];
  }
}

// Appends whole tokens; once one does not fit, the writer is full and the rest
// is padded with spaces (a token is never split, which keeps text valid UTF-8).
class Writer {
  constructor(out) {
    this.out = out;
    this.pos = 0;
    this.full = out.length === 0;
  }

  /** @param {Uint8Array} tok */
  put(tok) {
    if (this.full) return;
    const { out } = this;
    let pos = this.pos;
    if (pos + tok.length > out.length) {
      this.pad();
      return;
    }
    // A byte loop beats out.set() for the short tokens that dominate here.
    for (let k = 0; k < tok.length; k++) out[pos++] = tok[k];
    this.pos = pos;
  }

  /** Decimal digits of a non-negative integer, as one token. */
  putInt(n) {
    const digits = DIGITS;
    let len = 0;
    do {
      digits[15 - len++] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    this.put(digits.subarray(16 - len));
  }

  pad() {
    this.out.fill(0x20, this.pos);
    this.pos = this.out.length;
    this.full = true;
  }
}
const DIGITS = new Uint8Array(16);

const enc = new TextEncoder();
const tokens = (words) => words.map((w) => enc.encode(w));
const capitalise = (w) => w.charAt(0).toUpperCase() + w.slice(1);

// A small vocabulary: mostly common English words, plus some 2-, 3- and 4-byte
// UTF-8 so text corpora exercise multi-byte characters across frame boundaries.
const WORDS = [
  'the',
  'of',
  'and',
  'to',
  'in',
  'is',
  'that',
  'it',
  'was',
  'for',
  'on',
  'are',
  'with',
  'as',
  'they',
  'be',
  'at',
  'one',
  'have',
  'this',
  'from',
  'by',
  'word',
  'but',
  'what',
  'some',
  'we',
  'can',
  'out',
  'other',
  'were',
  'all',
  'there',
  'when',
  'use',
  'your',
  'how',
  'said',
  'each',
  'which',
  'time',
  'will',
  'about',
  'many',
  'then',
  'them',
  'would',
  'like',
  'long',
  'make',
  'thing',
  'see',
  'him',
  'two',
  'look',
  'more',
  'day',
  'could',
  'come',
  'number',
  'sound',
  'most',
  'people',
  'over',
  'know',
  'water',
  'than',
  'call',
  'first',
  'down',
  'side',
  'been',
  'now',
  'find',
  'message',
  'frame',
  'socket',
  'server',
  'client',
  'café',
  'naïve',
  'über',
  'façade',
  'jalapeño',
  'smörgåsbord',
  'Zürich',
  'coöperate',
  'déjà',
  'señor',
  'κόσμος',
  'мир',
  '東京',
  'データ',
  '서울',
  '€100',
  '½',
  '\u{1F642}',
  '\u{1F30D}',
  '\u{1D11E}',
];
const WORD_TOKENS = tokens(WORDS);
const CAPITAL_TOKENS = tokens(WORDS.map(capitalise));
// Separator and word fused into one token: fewer put() calls per word.
const SPACED_TOKENS = tokens(WORDS.map((w) => ` ${w}`));
const COMMA_TOKENS = tokens(WORDS.map((w) => `, ${w}`));
const [SPACE, NEWLINES] = tokens([' ', '\n\n']);
const SENTENCE_ENDS = tokens(['.', '.', '.', '.', '.', '.', '.', '?', '!', ';']);

function sentence(w, rng) {
  const n = 4 + rng.int(13);
  w.put(rng.pick(CAPITAL_TOKENS));
  for (let k = 1; k < n; k++) w.put(rng.pick(rng.int(9) === 0 ? COMMA_TOKENS : SPACED_TOKENS));
  w.put(rng.pick(SENTENCE_ENDS));
}

function generateText(w, rng) {
  while (!w.full) {
    sentence(w, rng);
    w.put(rng.int(6) === 0 ? NEWLINES : SPACE);
  }
}

// Newline-delimited JSON records: the usual shape of chat/API traffic, highly
// redundant keys, varied values. Each full line parses; the cut tail is padding.
const J = Object.fromEntries(
  Object.entries({
    id: '{"id":',
    user: ',"user":"',
    email: '","email":"',
    at: '@example.com","active":',
    t: 'true',
    f: 'false',
    score: ',"score":',
    dot: '.',
    tags: ',"tags":["',
    sep: '","',
    note: '"],"note":"',
    end: '"}\n',
    dash: '-',
  }).map(([k, v]) => [k, enc.encode(v)]),
);

function generateJson(w, rng) {
  let id = 1000 + rng.int(1000);
  while (!w.full) {
    w.put(J.id);
    w.putInt(id);
    id += 1 + rng.int(3);
    w.put(J.user);
    w.put(rng.pick(WORD_TOKENS));
    w.put(J.dash);
    w.putInt(rng.int(100));
    w.put(J.email);
    w.put(rng.pick(WORD_TOKENS));
    w.put(J.at);
    w.put(rng.int(4) ? J.t : J.f);
    w.put(J.score);
    w.putInt(rng.int(100));
    w.put(J.dot);
    w.putInt(rng.int(10));
    w.putInt(rng.int(10));
    w.put(J.tags);
    const tags = 1 + rng.int(3);
    for (let k = 0; k < tags; k++) {
      if (k) w.put(J.sep);
      w.put(rng.pick(WORD_TOKENS));
    }
    w.put(J.note);
    const words = 3 + rng.int(8);
    w.put(rng.pick(WORD_TOKENS));
    for (let k = 1; k < words; k++) w.put(rng.pick(SPACED_TOKENS));
    w.put(J.end);
  }
}

// Markup: repeated tag structure with words in between, like a rendered page.
const H = Object.fromEntries(
  Object.entries({
    head: '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Corpus</title></head>\n<body>\n',
    section: '<section class="card" id="s',
    h2: '"><h2>',
    h2end: '</h2>\n<p>',
    a: ' <a href="/items/',
    a2: '">',
    aend: '</a> ',
    em: ' <em>',
    emend: '</em> ',
    pend: '.</p>\n<ul>',
    li: '<li>',
    liend: '</li>',
    end: '</ul></section>\n',
  }).map(([k, v]) => [k, enc.encode(v)]),
);

function generateHtml(w, rng) {
  w.put(H.head);
  let id = 1;
  while (!w.full) {
    w.put(H.section);
    w.putInt(id++);
    w.put(H.h2);
    w.put(rng.pick(CAPITAL_TOKENS));
    w.put(SPACE);
    w.put(rng.pick(WORD_TOKENS));
    w.put(H.h2end);
    const words = 8 + rng.int(20);
    for (let k = 0; k < words; k++) {
      const r = rng.int(12);
      if (r === 0) {
        w.put(H.a);
        w.putInt(rng.int(5000));
        w.put(H.a2);
        w.put(rng.pick(WORD_TOKENS));
        w.put(H.aend);
      } else if (r === 1) {
        w.put(H.em);
        w.put(rng.pick(WORD_TOKENS));
        w.put(H.emend);
      } else w.put(rng.pick(SPACED_TOKENS));
    }
    w.put(H.pend);
    const items = 1 + rng.int(4);
    for (let k = 0; k < items; k++) {
      w.put(H.li);
      w.put(rng.pick(WORD_TOKENS));
      w.put(H.liend);
    }
    w.put(H.end);
  }
}

// Binary telemetry-like records (32 bytes, little-endian): constant magic,
// counters, a few enum-like fields and random-walk samples. Compressible, but
// not trivially, the way real binary protocols are. Cut mid-record is fine here.
function generateBinary(w, rng) {
  const { out } = w;
  const rec = new Uint8Array(32);
  const view = new DataView(rec.buffer);
  rec.set([0x57, 0x53, 0x52, 0x31]); // "WSR1"
  const walk = [rng.int(1000), rng.int(1000), rng.int(1000), rng.int(1000)];
  let seq = 0;
  let time = rng.next() >>> 0;
  for (let pos = 0; pos < out.length; pos += 32) {
    view.setUint32(4, seq++, true);
    time = (time + 1000 + rng.int(16)) >>> 0;
    view.setUint32(8, time, true);
    view.setUint16(12, [1, 2, 4, 8][rng.int(4)], true);
    view.setUint16(14, rng.int(8) === 0 ? 0x8000 : 0, true);
    for (let k = 0; k < 4; k++) {
      walk[k] += rng.int(33) - 16;
      view.setInt32(16 + 4 * k, walk[k], true);
    }
    const n = Math.min(32, out.length - pos);
    for (let k = 0; k < n; k++) out[pos + k] = rec[k];
  }
}

// Incompressible: raw PRNG output, four bytes per draw.
function generateRandom(w, rng) {
  const { out } = w;
  const whole = out.length & ~3;
  for (let pos = 0; pos < whole; pos += 4) {
    const x = rng.next();
    out[pos] = x;
    out[pos + 1] = x >>> 8;
    out[pos + 2] = x >>> 16;
    out[pos + 3] = x >>> 24;
  }
  for (let pos = whole, x = rng.next(); pos < out.length; pos++, x >>>= 8) out[pos] = x;
}

const GENERATORS = {
  text: generateText,
  json: generateJson,
  html: generateHtml,
  binary: generateBinary,
  random: generateRandom,
};
