// Tests for the conformance harness's data modules: UTF-8 vectors and their
// reference validator, payload corpora, and the harness's own permessage-deflate
// codec and negotiation data. Everything is checked against independent
// implementations (TextDecoder, buffer.isUtf8, plain node:zlib), never against
// the product.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import { utf8VectorGroups, isValidUtf8Reference, encodeCodePoint } from './data/utf8-vectors.js';
import { corpus, CORPUS_KINDS, corpusIsText } from './data/corpora.js';
import {
  createPmdCodec,
  negotiationSets,
  parseExtensionResponse,
  parseExtensionOffers,
  formatPmdParams,
  findAcceptedOffer,
  pmdCodecOptions,
} from './data/pmd.js';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const { Z_SYNC_FLUSH } = zlib.constants;

// A tiny seeded PRNG of the test's own (mulberry32), so the random checks are
// reproducible and independent of the corpora module's generator.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
function decoderAccepts(bytes) {
  try {
    fatalDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('UTF-8 vectors', () => {
  const groups = utf8VectorGroups();
  const all = groups.flatMap((g) => g.vectors.map((v) => ({ group: g.title, ...v })));

  it('has 120..160 vectors in non-empty groups of Uint8Array vectors', () => {
    assert.ok(all.length >= 120 && all.length <= 160, `${all.length} vectors`);
    for (const g of groups) assert.ok(g.vectors.length > 0, g.title);
    for (const v of all) {
      assert.ok(v.bytes instanceof Uint8Array, v.title);
      assert.equal(typeof v.valid, 'boolean', v.title);
    }
  });

  it('has unique group titles and globally unique vector titles', () => {
    const groupTitles = groups.map((g) => g.title);
    assert.equal(new Set(groupTitles).size, groupTitles.length);
    const vectorTitles = all.map((v) => v.title);
    const dupes = vectorTitles.filter((t, i) => vectorTitles.indexOf(t) !== i);
    assert.deepEqual(dupes, []);
  });

  it('every vector agrees with TextDecoder (fatal) and buffer.isUtf8', () => {
    for (const v of all) {
      assert.equal(decoderAccepts(v.bytes), v.valid, `TextDecoder: ${v.group} / ${v.title}`);
      assert.equal(isUtf8(v.bytes), v.valid, `isUtf8: ${v.group} / ${v.title}`);
    }
  });

  it('every stated expectation agrees with the reference validator', () => {
    for (const v of all) assert.equal(isValidUtf8Reference(v.bytes), v.valid, `${v.group} / ${v.title}`);
  });

  it('each group is all-valid or all-invalid, as written down here independently', () => {
    const validGroups = new Set([
      'Valid text in several scripts',
      'First code point of each sequence length',
      'Last code point of each sequence length',
      'Other boundary code points (valid)',
      'Noncharacters (valid)',
    ]);
    for (const g of groups) {
      const expect = validGroups.has(g.title);
      for (const v of g.vectors) assert.equal(v.valid, expect, `${g.title} / ${v.title}`);
    }
    // Guard against the set silently going stale when titles change.
    for (const title of validGroups)
      assert.ok(
        groups.some((g) => g.title === title),
        title,
      );
  });

  it('encodeCodePoint matches TextEncoder for shortest forms', () => {
    const enc = new TextEncoder();
    const r = rng(7);
    const cps = [0, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x10ffff];
    for (let k = 0; k < 2000; k++) cps.push(r.int(0x110000));
    for (const cp of cps) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // TextEncoder would substitute U+FFFD
      assert.deepEqual(encodeCodePoint(cp), [...enc.encode(String.fromCodePoint(cp))], `U+${cp.toString(16)}`);
    }
  });

  it('the reference validator agrees with TextDecoder on 20 000 UTF-8-like random byte strings', () => {
    const r = rng(20240601);
    const edgeBytes = [
      0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7,
      0xf8, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
    ];
    const randomCodePoint = () => {
      switch (r.int(4)) {
        case 0:
          return 0x80 + r.int(0x780);
        case 1:
          return 0x800 + r.int(0xf800); // includes surrogates
        case 2:
          return 0x10000 + r.int(0x100000);
        default:
          return r.int(0x200000); // some above U+10FFFF
      }
    };
    const piece = () => {
      switch (r.int(6)) {
        case 0:
          return [r.int(0x80)];
        case 1:
        case 2:
          return encodeCodePoint(randomCodePoint()); // may be a surrogate or > U+10FFFF
        case 3:
          return [r.pick(edgeBytes)];
        case 4:
          return encodeCodePoint(randomCodePoint()).slice(0, -1); // truncated
        default: {
          // possibly overlong, possibly 5/6 bytes
          const cp = r.int(0x110000);
          const min = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
          return encodeCodePoint(cp, min + r.int(7 - min));
        }
      }
    };
    let valid = 0;
    for (let n = 0; n < 20000; n++) {
      const bytes = Uint8Array.from(Array.from({ length: 1 + r.int(6) }, piece).flat());
      const expected = decoderAccepts(bytes);
      if (isValidUtf8Reference(bytes) !== expected || isUtf8(bytes) !== expected) {
        assert.fail(`disagreement on ${Buffer.from(bytes).toString('hex')}: decoder says ${expected}`);
      }
      if (expected) valid++;
    }
    // Not vacuous: a healthy share of both outcomes.
    assert.ok(valid > 2000 && valid < 18000, `${valid} valid of 20000`);
  });
});

describe('corpora', () => {
  const TEXT = CORPUS_KINDS.filter(corpusIsText);

  it('lists five kinds, text kinds are text/json/html', () => {
    assert.deepEqual([...CORPUS_KINDS], ['text', 'json', 'html', 'binary', 'random']);
    assert.deepEqual(TEXT, ['text', 'json', 'html']);
    assert.throws(() => corpusIsText('nope'), TypeError);
    // @ts-expect-error -- an unknown kind on purpose: corpus() must refuse it
    assert.throws(() => corpus('nope', 10, 1), TypeError);
    assert.throws(() => corpus('text', -1, 1), RangeError);
    assert.throws(() => corpus('text', 1.5, 1), RangeError);
  });

  it('is deterministic and seed-dependent', () => {
    for (const kind of CORPUS_KINDS) {
      assert.deepEqual(corpus(kind, 5000, 42), corpus(kind, 5000, 42), kind);
      assert.notDeepEqual(corpus(kind, 5000, 42), corpus(kind, 5000, 43), kind);
    }
  });

  it('has exactly the requested size, and text kinds are valid UTF-8 at every size', () => {
    const r = rng(99);
    const sizes = [
      ...Array.from({ length: 65 }, (_, k) => k),
      127,
      128,
      255,
      256,
      1000,
      1023,
      4093,
      4096,
      65535,
      65536,
      65537,
      69999,
      70000,
    ];
    for (let k = 0; k < 60; k++) sizes.push(1 + r.int(70000));
    for (const kind of CORPUS_KINDS) {
      for (const size of sizes) {
        const bytes = corpus(kind, size, size * 7 + 1);
        assert.ok(bytes instanceof Uint8Array);
        assert.equal(bytes.length, size, `${kind} ${size}`);
        if (corpusIsText(kind)) assert.ok(isUtf8(bytes), `${kind} ${size} not UTF-8`);
      }
    }
  });

  it('text kinds really contain multi-byte characters, including 4-byte ones', () => {
    for (const kind of TEXT) {
      const bytes = corpus(kind, 65536, 5);
      assert.ok(
        bytes.some((b) => b >= 0xc2 && b <= 0xdf),
        `${kind}: no 2-byte character`,
      );
      assert.ok(
        bytes.some((b) => b >= 0xf0),
        `${kind}: no 4-byte character`,
      );
    }
  });

  it('json is newline-delimited records that parse', () => {
    const lines = Buffer.from(corpus('json', 20000, 3))
      .toString('utf8')
      .split('\n')
      .slice(0, -1);
    assert.ok(lines.length > 50);
    for (const line of lines) assert.equal(typeof JSON.parse(line).id, 'number');
  });

  it("'random' does not compress, text and json compress well", () => {
    const size = 256 << 10;
    const ratio = (kind) => zlib.deflateRawSync(corpus(kind, size, 11)).length / size;
    assert.ok(ratio('random') >= 0.99, `random ${ratio('random')}`);
    assert.ok(ratio('text') < 0.45, `text ${ratio('text')}`);
    assert.ok(ratio('json') < 0.35, `json ${ratio('json')}`);
    assert.ok(ratio('html') < 0.4, `html ${ratio('html')}`);
    assert.ok(ratio('binary') < 0.7, `binary ${ratio('binary')}`);
  });

  it('generates 16 MiB of each kind in well under a second', () => {
    for (const kind of CORPUS_KINDS) {
      corpus(kind, 1 << 16, 1); // warm up the JIT
      // CPU time, not wall time: generation is single-threaded, and this way
      // a busy machine does not fail the test.
      const cpu0 = process.cpuUsage();
      corpus(kind, 16 << 20, 1);
      const { user, system } = process.cpuUsage(cpu0);
      const ms = (user + system) / 1000;
      assert.ok(ms < 800, `${kind}: ${ms.toFixed(0)} ms CPU`);
    }
  });
});

/** 50 messages of mixed kinds and sizes 0..200 000 (log-spread, plus edges). */
function mixedMessages(seed) {
  const r = rng(seed);
  const fixed = [0, 1, 125, 126, 65535, 65536, 200000, 0];
  return Array.from({ length: 50 }, (_, k) => {
    const size = k < fixed.length ? fixed[k] : Math.min(200000, Math.floor(Math.exp(r.next() * Math.log(200001))) - 1);
    return corpus(CORPUS_KINDS[k % CORPUS_KINDS.length], size, seed + k);
  });
}

async function compressAll(codec, messages) {
  const out = [];
  for (const m of messages) out.push(await codec.compress(m));
  return out;
}

/** Streams 100 MiB of zeros through deflate without ever holding them. */
async function zeroBomb(mib) {
  const d = zlib.createDeflateRaw({ level: 9 });
  const chunks = [];
  d.on('data', (c) => chunks.push(c));
  const zeros = Buffer.alloc(1 << 20);
  for (let k = 0; k < mib; k++) d.write(zeros);
  await /** @type {Promise<void>} */ (new Promise((resolve) => d.flush(Z_SYNC_FLUSH, resolve)));
  d.close();
  const all = Buffer.concat(chunks);
  return all.subarray(0, all.length - 4);
}

const rejectsWith = (promise, code) =>
  assert.rejects(promise, (/** @type {any} */ err) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });

describe('permessage-deflate codec', () => {
  const messages = mixedMessages(1234);

  it('round-trips 50 mixed messages for every window size and context-takeover combination', async () => {
    // (deflate, inflate) no-context-takeover pairs that must interoperate: a
    // receiver keeping its window is fine with a sender that resets.
    const modes = [
      [false, false],
      [true, true],
      [true, false],
    ];
    for (let bits = 8; bits <= 15; bits++) {
      for (const [deflateNoContextTakeover, inflateNoContextTakeover] of modes) {
        const a = createPmdCodec({ deflateWindowBits: bits, deflateNoContextTakeover });
        const b = createPmdCodec({ inflateWindowBits: bits, inflateNoContextTakeover });
        const compressed = await compressAll(a, messages);
        for (let k = 0; k < messages.length; k++) {
          const back = await b.decompress(compressed[k], { maxBytes: 200000 });
          assert.ok(
            Buffer.from(back).equals(messages[k]),
            `bits ${bits} noctx ${deflateNoContextTakeover}/${inflateNoContextTakeover} message ${k}`,
          );
        }
        a.close();
        b.close();
      }
    }
  });

  it('a larger receiving window than the sending one also works', async () => {
    const a = createPmdCodec({ deflateWindowBits: 9 });
    const b = createPmdCodec({ inflateWindowBits: 15 });
    for (const m of messages.slice(0, 20)) assert.ok(Buffer.from(await b.decompress(await a.compress(m))).equals(m));
    a.close();
    b.close();
  });

  it('interoperates with plain zlib in both directions', async () => {
    const a = createPmdCodec({ deflateNoContextTakeover: true });
    for (const m of messages) {
      const c = await a.compress(m);
      const back = zlib.inflateRawSync(Buffer.concat([c, TRAILER]), { finishFlush: Z_SYNC_FLUSH });
      assert.ok(back.equals(m));
    }
    a.close();
    // zlib's sync-flushed output, trailer removed, decodes with our codec.
    const b = createPmdCodec({ inflateNoContextTakeover: true });
    for (const m of messages.slice(0, 20)) {
      const c = zlib.deflateRawSync(m, { finishFlush: Z_SYNC_FLUSH });
      assert.ok(Buffer.from(await b.decompress(c.subarray(0, c.length - 4))).equals(m));
    }
    b.close();
  });

  it('keeps the LZ77 window with context takeover and drops it without', async () => {
    const m = corpus('random', 8000, 5); // incompressible on its own, so only history helps
    const sizes = async (options) => {
      const c = createPmdCodec(options);
      const out = [(await c.compress(m)).length, (await c.compress(m)).length];
      c.close();
      return out;
    };
    const [first, second] = await sizes({});
    assert.ok(second < first / 10, `takeover: ${first} then ${second}`);
    const [first2, second2] = await sizes({ deflateNoContextTakeover: true });
    assert.equal(second2, first2);
    // A takeover message cannot be decoded by a receiver without the history.
    const a = createPmdCodec();
    await a.compress(m);
    const dependent = await a.compress(m);
    const fresh = createPmdCodec();
    await rejectsWith(fresh.decompress(dependent), 'BAD_DEFLATE');
    // Nor by a receiver that agreed on no context takeover: this is how the
    // harness catches a peer that ignores *_no_context_takeover.
    const strict = createPmdCodec({ inflateNoContextTakeover: true });
    const b = createPmdCodec();
    const independent = await b.compress(m);
    assert.ok(Buffer.from(await strict.decompress(independent)).equals(m));
    await rejectsWith(strict.decompress(await b.compress(m)), 'BAD_DEFLATE');
    a.close();
    b.close();
    fresh.close();
    strict.close();
  });

  it('processes concurrent calls strictly in call order', async () => {
    const a = createPmdCodec();
    const b = createPmdCodec();
    const sample = messages.slice(0, 30);
    const compressed = await Promise.all(sample.map((m) => a.compress(m)));
    const back = await Promise.all(compressed.map((c) => b.decompress(c)));
    back.forEach((m, k) => assert.ok(Buffer.from(m).equals(sample[k]), `message ${k}`));
    a.close();
    b.close();
  });

  it('compresses consecutive empty messages to decodable payloads', async () => {
    const a = createPmdCodec();
    const b = createPmdCodec();
    for (let k = 0; k < 3; k++) {
      const c = await a.compress(new Uint8Array(0));
      assert.ok(c.length >= 1);
      assert.equal((await b.decompress(c)).length, 0);
    }
    a.close();
    b.close();
  });

  it('accepts a message ending in a BFINAL block and keeps the window after it (RFC 7692 §7.2.3.3)', async () => {
    const hello = Buffer.from('Hello');
    // Message 1: a complete DEFLATE stream (BFINAL set), as zlib's Z_FINISH makes.
    const first = zlib.deflateRawSync(hello);
    // Message 2: compressed against "Hello" as history, so it back-references message 1.
    const d = zlib.createDeflateRaw({ dictionary: hello });
    const chunks = [];
    d.on('data', (c) => chunks.push(c));
    d.write(hello);
    await /** @type {Promise<void>} */ (new Promise((resolve) => d.flush(Z_SYNC_FLUSH, resolve)));
    d.close();
    const second = Buffer.concat(chunks).subarray(0, -4);
    const b = createPmdCodec();
    assert.equal(Buffer.from(await b.decompress(first)).toString(), 'Hello');
    assert.equal(Buffer.from(await b.decompress(second)).toString(), 'Hello');
    assert.equal(Buffer.from(await b.decompress(zlib.deflateRawSync(Buffer.from('again')))).toString(), 'again');
    b.close();
  });

  it('rejects corrupt data with BAD_DEFLATE', async () => {
    const corrupt = [
      [0xff], // reserved block type 11
      [0x00, 0x05, 0x00, 0x00, 0x00], // stored block whose NLEN is not ~LEN
      [], // empty payload: trailer alone is an unfinished stored block
    ];
    for (const bytes of corrupt) {
      const b = createPmdCodec({ inflateNoContextTakeover: true });
      await rejectsWith(b.decompress(Uint8Array.from(bytes)), 'BAD_DEFLATE');
      // Without context takeover the codec carries on with the next message.
      const good = zlib.deflateRawSync(Buffer.from('ok'), { finishFlush: Z_SYNC_FLUSH });
      assert.equal(Buffer.from(await b.decompress(good.subarray(0, -4))).toString(), 'ok');
      b.close();
    }
    // With context takeover the shared window is lost: later messages are refused.
    const b = createPmdCodec();
    await rejectsWith(b.decompress(Uint8Array.of(0xff)), 'BAD_DEFLATE');
    await rejectsWith(b.decompress(Uint8Array.of(0x00)), 'BROKEN');
    b.close();
  });

  it('enforces maxBytes exactly', async () => {
    const m = corpus('text', 10000, 1);
    const a = createPmdCodec({ deflateNoContextTakeover: true });
    const c = await a.compress(m);
    const b = createPmdCodec({ inflateNoContextTakeover: true });
    assert.equal((await b.decompress(c, { maxBytes: 10000 })).length, 10000);
    await rejectsWith(b.decompress(c, { maxBytes: 9999 }), 'TOO_BIG');
    assert.equal((await b.decompress(c, { maxBytes: 10000 })).length, 10000, 'usable after TOO_BIG');
    a.close();
    b.close();
  });

  it('stops a 100 MiB decompression bomb quickly, without inflating it all', async () => {
    const bomb = await zeroBomb(100);
    assert.ok(bomb.length < 200000);
    const cpuMs = (since) => {
      const u = process.cpuUsage(since);
      return (u.user + u.system) / 1000;
    };
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

    // Reference: what inflating all of it costs in CPU (output discarded).
    const full = process.cpuUsage();
    const inflater = zlib.createInflateRaw();
    inflater.on('data', () => {});
    inflater.write(Buffer.concat([bomb, TRAILER]));
    await /** @type {Promise<void>} */ (new Promise((resolve) => inflater.flush(Z_SYNC_FLUSH, resolve)));
    inflater.close();
    const fullCpu = cpuMs(full);

    const rss0 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const b = createPmdCodec();
    await rejectsWith(b.decompress(bomb, { maxBytes: 1 << 20 }), 'TOO_BIG');
    const ms = performance.now() - t0;
    const grown = (process.memoryUsage().rss - rss0) / (1 << 20);
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
    assert.ok(grown < 200, `RSS grew ${grown.toFixed(0)} MiB`);

    // The rejection alone does not prove zlib stopped: a runaway inflater keeps
    // burning CPU in the background. Wait until the process is idle, then
    // compare CPU time (unaffected by other load on the machine) with the reference.
    for (let k = 0, last = cpuMs(cpu0); k < 60; k++) {
      await sleep(50);
      const now = cpuMs(cpu0);
      if (now - last < 5) break;
      last = now;
    }
    const ours = cpuMs(cpu0);
    assert.ok(ours < fullCpu / 3, `bomb cost ${ours.toFixed(0)} ms CPU, a full inflate ${fullCpu.toFixed(0)} ms`);
    b.close();
  });

  it('window bits 8: deflate uses 9, inflate of such streams works with a real 8-bit window', async () => {
    const a = createPmdCodec({ deflateWindowBits: 8 });
    const b = createPmdCodec({ inflateWindowBits: 8 });
    for (const m of messages.slice(0, 25)) assert.ok(Buffer.from(await b.decompress(await a.compress(m))).equals(m));
    a.close();
    b.close();
  });

  it('validates options and inputs, and refuses work after close()', async () => {
    assert.throws(() => createPmdCodec({ deflateWindowBits: 7 }), RangeError);
    assert.throws(() => createPmdCodec({ inflateWindowBits: 16 }), RangeError);
    const c = createPmdCodec();
    // @ts-expect-error -- a string on purpose: the codec takes only a Uint8Array
    await assert.rejects(c.compress('text'), TypeError);
    const pending = c.compress(corpus('text', 1 << 20, 1));
    c.close();
    await pending.then(
      () => {},
      (err) => assert.equal(err.code, 'CLOSED'),
    );
    await rejectsWith(c.compress(new Uint8Array(1)), 'CLOSED');
    await rejectsWith(c.decompress(new Uint8Array(1)), 'CLOSED');
  });
});

describe('permessage-deflate negotiation', () => {
  const sets = negotiationSets();
  const WS_STYLE_OFFER = 'permessage-deflate; client_max_window_bits';

  it('has seven sets with ids 1..7 and distinct titles and offers', () => {
    assert.equal(sets.length, 7);
    assert.deepEqual(
      sets.map((s) => s.id),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(new Set(sets.map((s) => s.title)).size, 7);
    assert.equal(new Set(sets.map((s) => s.offer)).size, 7);
    assert.equal(sets[0].offer, 'permessage-deflate');
    assert.equal(parseExtensionOffers(sets[6].offer).length, 3);
  });

  it('offers parse back to their parameter records, and format round-trips', () => {
    for (const s of sets) {
      assert.deepEqual(parseExtensionOffers(s.offer), s.offers, s.title);
      assert.equal(parseExtensionOffers(s.offer).map(formatPmdParams).join(', '), s.offer);
    }
  });

  it('responses parse back, are valid answers to a ws-style offer, and give codec options', () => {
    const wsOffer = parseExtensionOffers(WS_STYLE_OFFER);
    for (const s of sets) {
      const agreed = parseExtensionResponse(s.response);
      const p = s.responseParams;
      assert.equal(agreed.serverNoContextTakeover, p.serverNoContextTakeover, s.title);
      assert.equal(agreed.clientNoContextTakeover, p.clientNoContextTakeover, s.title);
      assert.equal(agreed.serverMaxWindowBits, p.serverMaxWindowBits ?? 15, s.title);
      assert.equal(agreed.clientMaxWindowBits, p.clientMaxWindowBits ?? 15, s.title);
      assert.equal(formatPmdParams(parseExtensionOffers(s.response)[0]), s.response);
      assert.equal(findAcceptedOffer(agreed, wsOffer), 0, `${s.title}: ${s.response}`);
      const server = pmdCodecOptions(agreed, 'server');
      const client = pmdCodecOptions(agreed, 'client');
      assert.deepEqual(server, {
        deflateWindowBits: agreed.serverMaxWindowBits,
        deflateNoContextTakeover: agreed.serverNoContextTakeover,
        inflateWindowBits: agreed.clientMaxWindowBits,
        inflateNoContextTakeover: agreed.clientNoContextTakeover,
      });
      assert.deepEqual(client, {
        deflateWindowBits: server.inflateWindowBits,
        deflateNoContextTakeover: server.inflateNoContextTakeover,
        inflateWindowBits: server.deflateWindowBits,
        inflateNoContextTakeover: server.deflateNoContextTakeover,
      });
    }
  });

  it('a server echoing an offer is matched to that offer; a non-answer is not', () => {
    for (const s of sets) {
      s.offers.forEach((offer, k) => {
        const echo = { ...offer, clientMaxWindowBits: offer.clientMaxWindowBits === true ? 10 : offer.clientMaxWindowBits };
        assert.equal(findAcceptedOffer(parseExtensionResponse(formatPmdParams(echo)), s.offers), k, `${s.title} offer ${k}`);
      });
    }
    const [, noCtx, small] = sets;
    assert.equal(findAcceptedOffer(parseExtensionResponse('permessage-deflate'), small.offers), -1, 'window not echoed');
    assert.equal(
      findAcceptedOffer(parseExtensionResponse('permessage-deflate; server_max_window_bits=10'), small.offers),
      -1,
      'window too big',
    );
    assert.equal(findAcceptedOffer(parseExtensionResponse('permessage-deflate'), noCtx.offers), -1, 'no_context_takeover dropped');
    assert.equal(
      findAcceptedOffer(parseExtensionResponse('permessage-deflate; client_max_window_bits=9'), sets[0].offers),
      -1,
      'unoffered client window',
    );
  });

  it('parseExtensionResponse rejects malformed or unexpected answers', () => {
    assert.equal(parseExtensionResponse(undefined), null);
    assert.equal(parseExtensionResponse(''), null);
    assert.equal(parseExtensionResponse('permessage-deflate; server_max_window_bits="10"').serverMaxWindowBits, 10);
    const bad = [
      'permessage-deflate; foo',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=09',
      'permessage-deflate; server_max_window_bits="1 0"',
      'permessage-deflate; server_max_window_bits="10',
      'permessage-deflate, permessage-deflate',
      'x-webkit-deflate-frame',
      'permessage-deflate;',
      ', permessage-deflate',
    ];
    for (const header of bad) assert.throws(() => parseExtensionResponse(header), SyntaxError, header);
  });

  it('each set negotiates codecs that talk in both directions', async () => {
    const sample = mixedMessages(77).slice(0, 12);
    for (const s of sets) {
      const agreed = parseExtensionResponse(s.response);
      const client = createPmdCodec(pmdCodecOptions(agreed, 'client'));
      const server = createPmdCodec(pmdCodecOptions(agreed, 'server'));
      for (const m of sample) {
        assert.ok(Buffer.from(await server.decompress(await client.compress(m))).equals(m), `${s.title} c->s`);
        assert.ok(Buffer.from(await client.decompress(await server.compress(m))).equals(m), `${s.title} s->c`);
      }
      client.close();
      server.close();
    }
  });
});
