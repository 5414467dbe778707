// The node:zlib MessageCompressor: round trips with and without context takeover at every
// window size, fragments, interop with plain zlib and RFC 7692's examples, the maxPayload
// bound against a deflate bomb (in a child process, measuring peak RSS), corrupt input,
// the process-wide concurrency limit, call-order delivery, lazy handles and close().
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createZlibCompressor } from '../../dist/node/zlib-compressor.js';
import { ProtocolError } from '../../dist/codec/errors.js';
import { deflateParams } from '../helpers/deflate-params.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const hex = (s) => Buffer.from(s.replace(/0x|\s/g, ''), 'hex');

const params = deflateParams;
/**
 * @param {'server' | 'client'} role
 * @param {object} [p] negotiated parameters over the defaults
 * @param {{ maxPayload?: number } & import('../../dist/protocol/deflate.js').PerMessageDeflateOptions} [options]
 */
const make = (role, p = {}, { maxPayload = 0, ...options } = {}) => createZlibCompressor({ params: params(p), role, maxPayload, options });
const call = (fn) => new Promise((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data))));
const compress = (c, data, fin = true) => call((cb) => c.compress(data, fin, cb));
const decompress = (c, data) => call((cb) => c.decompress(data, cb));
// Sync-flushed data never reaches a BFINAL block, so zlib's one-shot inflate must not
// wait for one.
const inflateSync = (data, options) => zlib.inflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH, ...options });
const deflateSync = (data, options) => zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH, ...options });
const isProtocolError = (closeCode, code) => (err) => err instanceof ProtocolError && err.closeCode === closeCode && err.code === code;

// Deterministic data: random bytes, and text with repeats at short and long distances.
function random(n, seed = 1) {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
function text(n, seed = 7) {
  const words = ['héllo', 'wörld', 'permessage', 'deflate', '{"id":', '},', 'window', 'λ', '🙂', ' '];
  const r = random(n, seed);
  let s = '';
  for (let i = 0; s.length < n; i++)
    s += words[r[i % n] % words.length] + (r[(i * 7) % n] % 5 === 0 ? random(300, i).toString('hex') : ' ');
  return Buffer.from(s.slice(0, n));
}
// Random bytes with 40-byte repeats at distances just under, at and beyond every window
// size (256 B … 32 KiB): a deflater using a bigger window than negotiated will use
// distances beyond it, which deflateStats() below reports.
const DISTANCES = [200, 250, 251, 255, 256, 300, 511, 600, 1023, 1500, 2047, 3000, 4095, 6000, 8191, 12000, 16383, 24000, 32767];
function windowStress(n) {
  const out = random(n, 11);
  const pick = random(n, 12);
  for (let at = 256, i = 0; at + 40 <= n; at += 97, i++) {
    const d = DISTANCES[pick[i] % DISTANCES.length];
    if (d <= at) out.copy(out, at, at - d, at - d + 40);
  }
  return out;
}

// Walks a raw DEFLATE stream (RFC 1951) and reports the farthest match distance it uses:
// the exact test of a window limit (zlib's inflater also accepts distances that reach
// back into its current output buffer, whatever its window).
const LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
  24577,
];
const DEXT = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
function huffman(lengths) {
  const counts = new Array(16).fill(0);
  for (const l of lengths) counts[l]++;
  counts[0] = 0;
  const offsets = [0, 0];
  for (let l = 1; l < 15; l++) offsets[l + 1] = offsets[l] + counts[l];
  const symbols = [];
  lengths.forEach((l, sym) => {
    if (l) symbols[offsets[l]++] = sym;
  });
  return { counts, symbols };
}
const FIXED_LIT = huffman([...Array(288)].map((_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8)));
const FIXED_DIST = huffman(new Array(30).fill(5));
function deflateStats(buf) {
  let pos = 0,
    bitBuf = 0,
    bitCnt = 0,
    maxDistance = 0,
    length = 0;
  const bits = (n) => {
    while (bitCnt < n) {
      if (pos >= buf.length) throw new Error('DEFLATE stream ends early');
      bitBuf |= buf[pos++] << bitCnt;
      bitCnt += 8;
    }
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCnt -= n;
    return v;
  };
  const decode = ({ counts, symbols }) => {
    let code = 0,
      first = 0,
      index = 0;
    for (let len = 1; len <= 15; len++) {
      code |= bits(1);
      if (code - first < counts[len]) return symbols[index + code - first];
      index += counts[len];
      first = (first + counts[len]) << 1;
      code <<= 1;
    }
    throw new Error('bad Huffman code');
  };
  while (pos < buf.length) {
    const final = bits(1),
      type = bits(2);
    if (type === 0) {
      bitBuf = bitCnt = 0;
      const len = buf[pos] | (buf[pos + 1] << 8);
      pos += 4 + len;
      length += len;
    } else {
      let lit = FIXED_LIT,
        dist = FIXED_DIST;
      if (type === 2) {
        const hlit = bits(5) + 257,
          hdist = bits(5) + 1,
          hclen = bits(4) + 4;
        const cl = new Array(19).fill(0);
        for (let i = 0; i < hclen; i++) cl[CL_ORDER[i]] = bits(3);
        const clCode = huffman(cl);
        const lengths = [];
        while (lengths.length < hlit + hdist) {
          const sym = decode(clCode);
          if (sym < 16) lengths.push(sym);
          else {
            const [value, n] = sym === 16 ? [lengths.at(-1), 3 + bits(2)] : sym === 17 ? [0, 3 + bits(3)] : [0, 11 + bits(7)];
            for (let i = 0; i < n; i++) lengths.push(value);
          }
        }
        lit = huffman(lengths.slice(0, hlit));
        dist = huffman(lengths.slice(hlit));
      } else if (type !== 1) throw new Error('reserved block type');
      for (;;) {
        const sym = decode(lit);
        if (sym < 256) {
          length++;
          continue;
        }
        if (sym === 256) break;
        length += LBASE[sym - 257] + bits(LEXT[sym - 257]);
        const d = decode(dist);
        const distance = DBASE[d] + bits(DEXT[d]);
        maxDistance = Math.max(maxDistance, distance);
      }
    }
    if (final) break;
  }
  return { maxDistance, length };
}

/** @type {Array<[string, Buffer]>} */
const MESSAGES = [
  ['text', text(5000)],
  ['text again', text(5000)],
  ['binary', random(10_000)],
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('x')],
  ['large', Buffer.concat([text(1 << 20, 3), random(1 << 20, 4)])],
];

// Count zlib operations running at once (each write() runs one _transform) and record
// every stream that does work.
const streams = new Set();
let running = 0,
  maxRunning = 0;
const zlibProto = Object.getPrototypeOf(zlib.DeflateRaw.prototype);
const originalTransform = zlibProto._transform;
before(() => {
  const pending = new WeakSet();
  const settle = (stream) => {
    if (pending.delete(stream)) running--;
  };
  function onClose() {
    settle(this);
  }
  zlibProto._transform = function (chunk, encoding, cb) {
    // A zlib error never calls cb; the stream's 'close' settles the count then.
    if (!streams.has(this)) {
      streams.add(this);
      this.on('close', onClose);
    }
    pending.add(this);
    running++;
    maxRunning = Math.max(maxRunning, running);
    return originalTransform.call(this, chunk, encoding, (...args) => {
      settle(this);
      cb(...args);
    });
  };
});
after(() => {
  zlibProto._transform = originalTransform;
});

describe('round trips', () => {
  for (const takeover of [true, false]) {
    for (const [from, to] of /** @type {Array<['server' | 'client', 'server' | 'client']>} */ ([
      ['server', 'client'],
      ['client', 'server'],
    ])) {
      it(`${from} → ${to}, ${takeover ? 'with' : 'without'} context takeover`, async () => {
        const p = { serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover };
        const sender = make(from, p),
          receiver = make(to, p);
        const sizes = [];
        for (const [name, msg] of MESSAGES) {
          const wire = await compress(sender, msg);
          assert.ok(wire instanceof Uint8Array);
          sizes.push(wire.length);
          assert.deepEqual(Buffer.from(await decompress(receiver, wire)), msg, name);
          if (!takeover) {
            // Each message stands alone: plain zlib inflates it without any history.
            assert.deepEqual(inflateSync(Buffer.concat([wire, TAIL])), msg, `${name} alone`);
          }
        }
        // The repeated text message refers back to the first one only with takeover.
        if (takeover) assert.ok(sizes[1] < sizes[0] / 4, `second copy ${sizes[1]} B vs first ${sizes[0]} B`);
        else assert.equal(sizes[1], sizes[0]);
        sender.close();
        receiver.close();
      });
    }
  }

  it('an empty message is the single byte 0x00, with or without history', async () => {
    const c = make('server');
    assert.deepEqual(Buffer.from(await compress(c, Buffer.alloc(0))), Buffer.from([0x00]));
    await compress(c, Buffer.from('hello'));
    const empty = await compress(c, Buffer.alloc(0));
    assert.deepEqual(Buffer.from(empty), Buffer.from([0x00]));
    c.close();
  });
});

describe('window bits 8–15', () => {
  const data = [windowStress(40_000), text(3000), windowStress(5000), random(1000)];

  it('the stress data and the distance walker are what the tests below rely on', () => {
    const all = Buffer.concat(data);
    const stats = deflateStats(deflateSync(all));
    assert.equal(stats.length, all.length);
    assert.ok(stats.maxDistance > 1 << 14, `a 15-bit window reaches ${stats.maxDistance} back`);
  });

  for (let bits = 8; bits <= 15; bits++) {
    it(`server_max_window_bits=${bits} / client_max_window_bits=${bits}`, async () => {
      const p = { serverMaxWindowBits: bits, clientMaxWindowBits: bits };
      const server = make('server', p),
        client = make('client', p);
      for (const [from, to] of [
        [server, client],
        [client, server],
      ]) {
        const wires = [];
        for (const msg of data) {
          const wire = await compress(from, msg);
          wires.push(wire, TAIL);
          assert.deepEqual(Buffer.from(await decompress(to, wire)), msg);
        }
        // What we send never reaches back further than the negotiated window (zlib stops
        // 262 bytes short of its window), and uses more than the next smaller one. For 8
        // that holds although zlib deflates with 9: 512 - 262 = 250 bytes back at most.
        const whole = Buffer.concat(wires);
        const { maxDistance, length } = deflateStats(whole);
        assert.equal(length, Buffer.concat(data).length);
        assert.ok(
          maxDistance <= Math.min(1 << bits, (1 << Math.max(bits, 9)) - 262),
          `farthest match ${maxDistance} with ${bits} window bits`,
        );
        if (bits > 9) assert.ok(maxDistance > 1 << (bits - 1), `farthest match ${maxDistance} uses the ${bits}-bit window`);
        assert.deepEqual(inflateSync(whole, { windowBits: bits }), Buffer.concat(data));
      }
      // And we inflate what zlib produces with that window.
      const theirs = deflateSync(data[0], { windowBits: bits });
      assert.deepEqual(theirs.subarray(-4), TAIL);
      assert.deepEqual(Buffer.from(await decompress(make('client', p), theirs.subarray(0, -4))), data[0]);
      server.close();
      client.close();
    });
  }

  it("inflates with the peer's negotiated window, so a peer exceeding it is caught", async () => {
    // The repeat starts past zlib's first 16 KiB output buffer, so only the window can serve it.
    const farBack = Buffer.concat([random(20_000, 5), random(500, 6), random(20_000, 5)]);
    const wire = deflateSync(farBack).subarray(0, -4);
    assert.deepEqual(Buffer.from(await decompress(make('client'), wire)), farBack);
    await assert.rejects(
      decompress(make('client', { serverMaxWindowBits: 9 }), wire),
      isProtocolError(1007, 'WS_ERR_INVALID_COMPRESSED_DATA'),
    );
  });
});

describe('fragments', () => {
  for (const takeover of [true, false]) {
    it(`fin=false pieces inflate to their concatenation (${takeover ? 'with' : 'without'} takeover)`, async () => {
      const p = { serverNoContextTakeover: !takeover };
      const server = make('server', p),
        client = make('client', p);
      const pieces = [text(3000, 1), random(2000), Buffer.alloc(0), text(10, 2), text(4000, 1)];
      for (let round = 0; round < 3; round++) {
        const wire = [];
        for (let i = 0; i < pieces.length; i++) wire.push(await compress(server, pieces[i], i === pieces.length - 1));
        assert.deepEqual(Buffer.from(await decompress(client, Buffer.concat(wire))), Buffer.concat(pieces), `round ${round}`);
      }
      // An empty final fragment after a non-empty one still closes the message properly.
      const a = await compress(server, text(500, 9), false);
      const b = await compress(server, Buffer.alloc(0), true);
      assert.deepEqual(Buffer.from(await decompress(client, Buffer.concat([a, b]))), text(500, 9));
      server.close();
      client.close();
    });
  }
});

describe('interop', () => {
  it('inflates the RFC 7692 §7.2.3 examples', async () => {
    const c = make('client');
    const hello = 'Hello';
    const got = async (h) => Buffer.from(await decompress(c, hex(h))).toString();
    assert.equal(await got('0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00'), hello); // §7.2.3.1
    assert.equal(await got('0xf2 0x00 0x11 0x00 0x00'), hello); // §7.2.3.2, shared window
    assert.equal(await got('0x00 0x05 0x00 0xfa 0xff 0x48 0x65 0x6c 0x6c 0x6f 0x00'), hello); // §7.2.3.3 stored
    assert.equal(await got('0xf2 0x48 0x05 0x00 0x00 0x00 0xff 0xff 0xca 0xc9 0xc9 0x07 0x00'), hello); // §7.2.3.5
    assert.equal(await got('0xf3 0x48 0xcd 0xc9 0xc9 0x07 0x00 0x00'), hello); // §7.2.3.4, BFINAL
    // After a BFINAL block the peer starts a new DEFLATE stream; so do we.
    assert.equal(await got('0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00'), hello);
    assert.equal(await got('0xf2 0x00 0x11 0x00 0x00'), hello);
    c.close();
  });

  it('compresses "Hello" twice as §7.2.3.1–2 show', async () => {
    const c = make('server');
    assert.deepEqual(Buffer.from(await compress(c, Buffer.from('Hello'))), hex('f2 48 cd c9 c9 07 00'));
    assert.deepEqual(Buffer.from(await compress(c, Buffer.from('Hello'))), hex('f2 00 11 00 00'));
    c.close();
  });

  it('a whole context-takeover conversation inflates with one plain zlib stream, and back', async () => {
    const c = make('server');
    const msgs = [text(1000, 1), text(1000, 1), random(300), Buffer.alloc(0), text(20000, 2)];
    const wires = [];
    for (const m of msgs) wires.push(await compress(c, m), TAIL);
    assert.deepEqual(inflateSync(Buffer.concat(wires)), Buffer.concat(msgs));

    // zlib's own sync-flushed stream, cut at each flush, is a series of messages for us.
    const deflate = zlib.createDeflateRaw();
    const receiver = make('client');
    for (const m of msgs) {
      const chunks = [];
      deflate.on('data', (d) => chunks.push(d));
      deflate.write(m);
      await /** @type {Promise<void>} */ (new Promise((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, resolve)));
      deflate.removeAllListeners('data');
      const wire = Buffer.concat(chunks);
      assert.deepEqual(wire.subarray(-4), TAIL);
      assert.deepEqual(Buffer.from(await decompress(receiver, wire.subarray(0, -4))), m);
    }
    deflate.close();
    c.close();
    receiver.close();
  });

  it('accepts Uint8Array input that is not a Buffer', async () => {
    const c = make('server');
    const msg = new Uint8Array(text(2000));
    const wire = await compress(c, msg);
    assert.deepEqual(new Uint8Array(await decompress(make('client'), new Uint8Array(wire))), msg);
    c.close();
  });
});

describe('errors', () => {
  it('corrupt data fails with 1007, and the next message starts afresh', async () => {
    const c = make('client');
    for (const bad of [hex('ff ff ff ff'), hex('00 05 00 00 00 48 65 6c 6c 6f'), random(1000, 3), hex('07')]) {
      await assert.rejects(
        decompress(c, bad),
        (/** @type {Error} */ err) => isProtocolError(1007, 'WS_ERR_INVALID_COMPRESSED_DATA')(err) && err.cause instanceof Error,
      );
      assert.equal(Buffer.from(await decompress(c, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
    }
    c.close();
  });

  it('maxPayload: exactly the limit passes, one byte more fails with 1009', async () => {
    const msg = text(100_000);
    const wire = deflateSync(msg).subarray(0, -4);
    assert.equal((await decompress(make('client', {}, { maxPayload: msg.length }), wire)).length, msg.length);
    await assert.rejects(
      decompress(make('client', {}, { maxPayload: msg.length - 1 }), wire),
      isProtocolError(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'),
    );
  });

  it('a deflate bomb fails with 1009 without inflating it (peak RSS)', () => {
    // A fresh process, so the peak RSS it reports belongs to this test alone. The control
    // run inflates the same bomb with a high limit, proving the measurement would catch it.
    const script = `
      import zlib from 'node:zlib';
      import { createZlibCompressor } from ${JSON.stringify(new URL('../../dist/node/zlib-compressor.js', import.meta.url).href)};
      const MiB = 1 << 20;
      const deflate = zlib.createDeflateRaw();
      const chunks = [];
      deflate.on('data', (d) => chunks.push(d));
      const zeros = Buffer.alloc(MiB);
      for (let i = 0; i < 100; i++) deflate.write(zeros);
      await new Promise((r) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, r));
      const bomb = Buffer.concat(chunks).subarray(0, -4);
      const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
      const run = (maxPayload) => new Promise((resolve) => {
        const c = createZlibCompressor({ params, role: 'server', maxPayload, options: {} });
        c.decompress(bomb, (err, data) => { c.close(); resolve(err ? { closeCode: err.closeCode, code: err.code } : { length: data.length }); });
      });
      global.gc();
      const peak = () => process.resourceUsage().maxRSS * 1024;
      const before = peak();
      const bounded = await run(MiB);
      const boundedGrowth = peak() - before;
      const control = await run(200 * MiB);
      const controlGrowth = peak() - before;
      console.log(JSON.stringify({ bombBytes: bomb.length, bounded, boundedGrowth, control, controlGrowth }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout);
    const MiB = 1 << 20;
    assert.ok(r.bombBytes < MiB, `the bomb is small on the wire (${r.bombBytes} B)`);
    assert.deepEqual(r.bounded, { closeCode: 1009, code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
    assert.deepEqual(r.control, { length: 100 * MiB });
    assert.ok(r.boundedGrowth < 16 * MiB, `peak RSS grew ${(r.boundedGrowth / MiB).toFixed(1)} MiB with maxPayload 1 MiB`);
    assert.ok(r.controlGrowth > 90 * MiB, `control run grew ${(r.controlGrowth / MiB).toFixed(1)} MiB`);
  });
});

describe('scheduling', () => {
  it('never runs more zlib operations at once than concurrencyLimit, and uses them all', { timeout: 60_000 }, async () => {
    for (const limit of [1, 3, 10]) {
      maxRunning = 0;
      const cs = Array.from({ length: 4 * limit + 5 }, () => make('server', {}, { concurrencyLimit: limit }));
      const done = [];
      await Promise.all(cs.map((c, i) => compress(c, random(64 * 1024, i + 1)).then(() => done.push(i))));
      assert.equal(maxRunning, limit, `limit ${limit}`);
      if (limit === 1)
        assert.deepEqual(
          done,
          cs.map((_, i) => i),
          'with one slot, operations run in call order',
        );
      for (const c of cs) c.close();
    }
  });

  it('the default limit is 10, shared by every compressor in the process', async () => {
    maxRunning = 0;
    const cs = Array.from({ length: 30 }, (_, i) => make(i % 2 ? 'server' : 'client'));
    await Promise.all(cs.flatMap((c, i) => [compress(c, random(32 * 1024, i + 1)), decompress(c, hex('f2 48 cd c9 c9 07 00'))]));
    assert.equal(maxRunning, 10);
    for (const c of cs) c.close();
  });

  it('calls back in call order across compress and decompress', async () => {
    const c = make('server');
    const order = [];
    const big = random(4 << 20);
    const hello = hex('f2 48 cd c9 c9 07 00');
    await new Promise((resolve) => {
      c.compress(big, true, (err) => {
        assert.ifError(err);
        order.push('compress big');
      });
      c.decompress(hello, (err) => {
        assert.ifError(err);
        order.push('decompress 1');
      });
      c.compress(Buffer.from('x'), true, (err) => {
        assert.ifError(err);
        order.push('compress small');
      });
      c.decompress(hex('ff ff'), (err) => {
        assert.ok(err);
        order.push('decompress corrupt');
      });
      c.decompress(hello, (err, data) => {
        assert.ifError(err);
        order.push(`decompress ${Buffer.from(data)}`);
        resolve();
      });
    });
    assert.deepEqual(order, ['compress big', 'decompress 1', 'compress small', 'decompress corrupt', 'decompress Hello']);
    c.close();
  });
});

describe('resources', () => {
  it('creates zlib handles lazily, reuses them across messages, frees them on close()', async () => {
    // Backing stores are released a collection late, hence two.
    const external = () => {
      gc();
      gc();
      return process.memoryUsage().external;
    };
    const MiB = 1 << 20;
    const base = external();
    const cs = Array.from({ length: 100 }, () => make('server'));
    assert.ok(external() - base < MiB, 'idle compressors hold no zlib memory');
    await Promise.all(cs.map((c) => compress(c, text(100))));
    // zlib's own state is malloc'd out of V8's sight, but each stream's 16 KiB output
    // Buffer shows up, and only while the stream exists.
    const busy = external() - base;
    assert.ok(busy > 100 * 15 * 1024, `100 deflate streams hold ${(busy / MiB).toFixed(2)} MiB of output buffers`);
    for (const c of cs) c.close();
    streams.clear(); // our own bookkeeping must not keep them alive either
    await new Promise((resolve) => setImmediate(resolve)); // destroy() lets go on the next tick
    assert.ok(external() - base < busy / 4, 'close() frees them, though the compressors live on');

    for (const takeover of [true, false]) {
      streams.clear();
      const p = { serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover };
      const c = make('server', p),
        peer = make('client', p);
      for (let i = 0; i < 5; i++) await decompress(peer, await compress(c, text(2000, i)));
      assert.deepEqual([...streams].map((s) => s.constructor.name).sort(), ['DeflateRaw', 'InflateRaw'], 'one stream per direction');
      c.close();
      peer.close();
      assert.ok(
        [...streams].every((s) => s.destroyed),
        'close() destroys them',
      );
    }
  });

  it('after close() no callback fires and held slots go back to the limiter', { timeout: 20_000 }, async () => {
    const limit = 2; // a limiter of its own
    const fired = [];
    const a = make('server', {}, { concurrencyLimit: limit });
    const b = make('server', {}, { concurrencyLimit: limit });
    const big = random(2 << 20);
    a.compress(big, true, () => fired.push('a'));
    b.compress(big, true, () => fired.push('b'));
    const queued = make('server', {}, { concurrencyLimit: limit });
    queued.compress(big, true, () => fired.push('queued'));
    queued.close(); // waiting: must not take a slot when one frees up
    a.close(); // running: gives its slot back
    b.close();
    a.compress(big, true, () => fired.push('after close'));
    a.decompress(hex('f2 48 cd c9 c9 07 00'), () => fired.push('after close'));
    a.close(); // twice is fine
    // Both slots are free: two new operations run (and nothing else calls back).
    const c1 = make('server', {}, { concurrencyLimit: limit }),
      c2 = make('server', {}, { concurrencyLimit: limit });
    await Promise.all([compress(c1, text(1000)), compress(c2, text(1000))]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(fired, []);
    c1.close();
    c2.close();
  });

  it('close() from inside a callback stops later callbacks', async () => {
    const c = make('server');
    const fired = [];
    await new Promise((resolve) => {
      c.compress(text(100), true, () => {
        fired.push(1);
        c.close();
        setTimeout(resolve, 50);
      });
      c.compress(text(100), true, () => fired.push(2));
    });
    assert.deepEqual(fired, [1]);
  });
});
