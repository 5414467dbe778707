// encodeFrame byte layout (against the independent builder in helpers/wire.js) and
// round trips through FrameDecoder; close payloads and isValidCloseCode; mask/unmask
// (top-level and every backend's) against a reference XOR at many lengths/alignments.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  OP,
  KEY,
  frame,
  concat,
  bytes,
  hex,
  chop,
  decode,
  forEachBackend,
  codec,
  mulberry32,
  randBytes,
  xorMask,
  closePayload,
} from '../helpers/wire.js';
import { mixedUtf8 } from '../helpers/utf8.js';

const { encodeFrame, Opcode, CloseCode, encodeClosePayload, decodeClosePayload, isValidCloseCode, ProtocolError } = codec;
const flat = (parts) => {
  assert.ok(Array.isArray(parts), 'encodeFrame returns an array');
  for (const p of parts) assert.ok(p instanceof Uint8Array, 'of Uint8Array');
  return concat(parts);
};
const payloadOf = (n, seed = n) => randBytes(mulberry32(seed + 1), n);

describe('constants', () => {
  test('Opcode values', () => {
    const expected = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 };
    for (const [k, v] of Object.entries(expected)) assert.equal(Opcode[k], v, k);
  });
  test('CloseCode values', () => {
    const expected = {
      Normal: 1000,
      GoingAway: 1001,
      ProtocolError: 1002,
      UnsupportedData: 1003,
      NoStatus: 1005,
      Abnormal: 1006,
      InvalidPayload: 1007,
      PolicyViolation: 1008,
      MessageTooBig: 1009,
      MandatoryExtension: 1010,
      InternalError: 1011,
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(CloseCode[k], v, k);
  });
});

describe('encodeFrame layout', () => {
  const DATA_LENGTHS = [0, 1, 125, 126, 65535, 65536, 70000];
  const CONTROL_LENGTHS = [0, 1, 125];
  const combos = [];
  for (const op of [Opcode.Text, Opcode.Binary]) {
    for (const fin of [true, false]) for (const rsv1 of [false, true]) combos.push({ op, fin, rsv1, lengths: DATA_LENGTHS });
  }
  for (const fin of [true, false]) combos.push({ op: Opcode.Continuation, fin, rsv1: false, lengths: DATA_LENGTHS });
  for (const op of [Opcode.Ping, Opcode.Pong]) combos.push({ op, fin: true, rsv1: false, lengths: CONTROL_LENGTHS });
  combos.push({ op: Opcode.Close, fin: true, rsv1: false, lengths: [0, 2, 125] });

  for (const { op, fin, rsv1, lengths } of combos) {
    for (const mask of [false, KEY]) {
      test(`opcode ${op} fin=${fin} rsv1=${rsv1} ${mask ? 'masked' : 'unmasked'}: bytes match the RFC layout`, () => {
        for (const n of lengths) {
          const payload = op === Opcode.Close && n > 0 ? closePayload(1000, 'r'.repeat(n - 2)) : payloadOf(n);
          const got = flat(encodeFrame(op, payload.slice(), { fin, rsv1, mask: mask ? KEY.slice() : false }));
          const expected = frame({ opcode: op, fin, rsv1, payload, mask: mask || undefined });
          assert.equal(got.length, expected.length, `length ${n}: frame size`);
          assert.equal(hex(got.subarray(0, 14)), hex(expected.subarray(0, 14)), `length ${n}: header`);
          assert.ok(Buffer.from(got).equals(Buffer.from(expected)), `length ${n}: frame bytes`);
        }
      });
    }
  }

  test('defaults: fin = true, rsv1 = false, unmasked', () => {
    assert.equal(hex(flat(encodeFrame(Opcode.Binary, Uint8Array.of(1, 2)))), '82020102');
    assert.equal(hex(flat(encodeFrame(Opcode.Text, 'hi', {}))), '81026869');
  });

  test('length forms are minimal: 7-bit ≤ 125, 16-bit ≤ 65535, 64-bit above', () => {
    for (const [n, b1, ext] of /** @type {Array<[number, number, string]>} */ ([
      [0, 0, ''],
      [125, 125, ''],
      [126, 126, '007e'],
      [65535, 126, 'ffff'],
      [65536, 127, '0000000000010000'],
      [70000, 127, '0000000000011170'],
    ])) {
      const f = flat(encodeFrame(Opcode.Binary, new Uint8Array(n)));
      assert.equal(f[1], b1, `second byte for ${n}`);
      assert.equal(hex(f.subarray(2, 2 + ext.length / 2)), ext, `extended length for ${n}`);
      assert.equal(f.length, 2 + ext.length / 2 + n);
    }
  });

  test('invalid combinations are either refused or encoded exactly as asked', () => {
    /** @type {Array<[import('wscodec/codec').Opcode, import('wscodec/codec').EncodeOptions]>} */
    const cases = [
      [Opcode.Ping, { fin: false }],
      [Opcode.Close, { rsv1: true }],
      [Opcode.Continuation, { rsv1: true }],
    ];
    for (const [op, o] of cases) {
      let parts;
      try {
        parts = encodeFrame(op, Uint8Array.of(1), o);
      } catch {
        continue;
      }
      assert.equal(hex(flat(parts)), hex(frame({ opcode: op, payload: [1], fin: o.fin ?? true, rsv1: !!o.rsv1 })));
    }
  });

  test('string payloads are UTF-8 encoded', () => {
    for (const s of ['', 'hello', 'héllo €𝄞', '€'.repeat(100), '😀'.repeat(17500)]) {
      const b = new TextEncoder().encode(s);
      assert.equal(hex(flat(encodeFrame(Opcode.Text, s))), hex(frame({ opcode: OP.TEXT, payload: b })), `unmasked "${s.slice(0, 10)}"`);
      assert.equal(
        hex(flat(encodeFrame(Opcode.Text, s, { mask: KEY.slice() }))),
        hex(frame({ opcode: OP.TEXT, payload: b, mask: KEY })),
        `masked "${s.slice(0, 10)}"`,
      );
    }
    assert.equal(hex(flat(encodeFrame(Opcode.Ping, 'ping!'))), hex(frame({ opcode: OP.PING, payload: 'ping!' })));
  });

  test('payloads and mask keys that are views at odd byteOffsets', () => {
    for (const n of [5, 200, 70000]) {
      for (const off of [1, 2, 3]) {
        const host = payloadOf(n + 8, n + off);
        const view = host.subarray(off, off + n);
        const keyHost = Uint8Array.of(9, 0x11, 0x22, 0x33, 0x44, 9, 9);
        const key = keyHost.subarray(off, off + 4);
        const expectedPlain = frame({ opcode: OP.BINARY, payload: view });
        const expectedMasked = frame({ opcode: OP.BINARY, payload: view, mask: key });
        assert.equal(hex(flat(encodeFrame(Opcode.Binary, view))), hex(expectedPlain), `unmasked n=${n} off=${off}`);
        assert.equal(hex(flat(encodeFrame(Opcode.Binary, view, { mask: key }))), hex(expectedMasked), `masked n=${n} off=${off}`);
      }
    }
  });

  test("masking does not modify the caller's payload", () => {
    const p = payloadOf(1000);
    const copy = p.slice();
    flat(encodeFrame(Opcode.Binary, p, { mask: KEY.slice() }));
    flat(encodeFrame(Opcode.Binary, p, { mask: true }));
    assert.ok(Buffer.from(p).equals(Buffer.from(copy)));
    const small = Uint8Array.of(1, 2, 3);
    flat(encodeFrame(Opcode.Binary, small, { mask: true }));
    assert.equal(hex(small), '010203');
  });

  test('mask: true uses a fresh key per frame and masks with it', () => {
    const keys = new Set();
    const payload = bytes('the same payload every time');
    for (let i = 0; i < 64; i++) {
      const f = flat(encodeFrame(Opcode.Text, payload, { mask: true }));
      assert.equal(f[1] & 0x80, 0x80, 'MASK bit set');
      const key = f.subarray(2, 6);
      keys.add(hex(key));
      assert.equal(hex(f), hex(frame({ opcode: OP.TEXT, payload, mask: key })), 'payload masked with the key in the header');
    }
    assert.ok(keys.size >= 62, `only ${keys.size} distinct keys in 64 frames`);
  });

  test('mask: true keys stay distinct over many frames (pool refills)', () => {
    const keys = new Set();
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const f = flat(encodeFrame(Opcode.Binary, new Uint8Array(i % 200), { mask: true }));
      const off = i % 200 > 125 ? 4 : 2;
      keys.add(hex(f.subarray(off, off + 4)));
    }
    assert.ok(keys.size >= n - 10, `${n - keys.size} repeated keys in ${n} frames`);
  });

  test('large unmasked payloads are not copied: [header, payload]', () => {
    const p = payloadOf(1024 * 1024);
    const parts = encodeFrame(Opcode.Binary, p);
    assert.equal(parts.length, 2);
    assert.equal(parts[1].buffer, p.buffer, "payload is the caller's memory");
    assert.equal(parts[1].byteLength, p.byteLength);
    assert.equal(hex(parts[0]), '827f0000000000100000');
  });

  test('masked and small frames come as one buffer', () => {
    assert.equal(encodeFrame(Opcode.Binary, payloadOf(70000), { mask: true }).length, 1);
    assert.equal(encodeFrame(Opcode.Text, 'small', { mask: KEY.slice() }).length, 1);
    assert.equal(encodeFrame(Opcode.Text, 'small').length, 1);
  });
});

forEachBackend((backend) => {
  describe('encodeFrame → FrameDecoder round trip', () => {
    for (const masked of [false, true]) {
      const role = masked ? 'server' : 'client';
      const mask = () => (masked ? true : false);
      test(`${role}: text and binary at every length form, compressed or not`, () => {
        for (const n of [0, 1, 125, 126, 65535, 65536, 70000]) {
          for (const rsv1 of [false, true]) {
            const t = mixedUtf8(n);
            const b = payloadOf(n);
            const stream = concat(
              flat(encodeFrame(Opcode.Text, t.slice(), { mask: mask(), rsv1 })),
              flat(encodeFrame(Opcode.Binary, b.slice(), { mask: mask(), rsv1 })),
            );
            const rec = decode(stream, { role, backend, allowRsv1: true }, n < 200 ? 'bytewise' : (u8) => chop(u8, 1000));
            assert.deepEqual(
              rec.events,
              [
                ['message', hex(t), false, rsv1],
                ['message', hex(b), true, rsv1],
              ],
              `length ${n}`,
            );
          }
        }
      });

      test(`${role}: fragmented message with interleaved controls`, () => {
        const stream = concat(
          flat(encodeFrame(Opcode.Text, 'frag', { fin: false, mask: mask() })),
          flat(encodeFrame(Opcode.Ping, 'pi', { mask: mask() })),
          flat(encodeFrame(Opcode.Continuation, 'men', { fin: false, mask: mask() })),
          flat(encodeFrame(Opcode.Pong, new Uint8Array(125).fill(1), { mask: mask() })),
          flat(encodeFrame(Opcode.Continuation, 'ted ✓', { mask: mask() })),
          flat(encodeFrame(Opcode.Close, encodeClosePayload(1000, 'done'), { mask: mask() })),
        );
        for (const feed of ['whole', 'bytewise']) {
          const rec = decode(stream, { role, backend }, feed);
          assert.deepEqual(rec.events, [
            ['ping', hex(bytes('pi'))],
            ['pong', '01'.repeat(125)],
            ['message', hex(bytes('fragmented ✓')), false, false],
            ['close', 1000, 'done'],
          ]);
        }
      });

      test(`${role}: string payloads round trip`, () => {
        const strings = ['', 'ascii', 'héllo €𝄞 ✓', '€'.repeat(100), '𝄞'.repeat(20000)];
        const stream = concat(strings.map((s) => flat(encodeFrame(Opcode.Text, s, { mask: mask() }))));
        const rec = decode(stream, { role, backend }, (u8) => chop(u8, 333));
        assert.deepEqual(
          rec.events.map((e) => Buffer.from(e[1], 'hex').toString('utf8')),
          strings,
        );
      });

      test(`${role}: explicit mask key round trips`, () => {
        if (!masked) return;
        for (const key of [Uint8Array.of(0, 0, 0, 0), Uint8Array.of(255, 255, 255, 255), KEY]) {
          const rec = decode(flat(encodeFrame(Opcode.Binary, Uint8Array.of(9, 8, 7, 6, 5), { mask: key.slice() })), { role, backend });
          assert.deepEqual(rec.events, [['message', '0908070605', true, false]]);
        }
      });
    }

    test('unmasked frames are rejected by a server decoder, masked ones by a client decoder', () => {
      assert.equal(decode(flat(encodeFrame(Opcode.Text, 'x')), { role: 'server', backend }).events[0][2], 'WS_ERR_EXPECTED_MASK');
      assert.equal(
        decode(flat(encodeFrame(Opcode.Text, 'x', { mask: true })), { role: 'client', backend }).events[0][2],
        'WS_ERR_UNEXPECTED_MASK',
      );
    });
  });
});

describe('close payloads', () => {
  const cr = (r) => ({ code: r.code, reason: r.reason });
  test('encodeClosePayload', () => {
    assert.equal(hex(encodeClosePayload()), '');
    assert.equal(hex(encodeClosePayload(1000)), '03e8');
    assert.equal(hex(encodeClosePayload(1000, '')), '03e8');
    assert.equal(hex(encodeClosePayload(4999, 'bye ✓')), '1387' + hex(bytes('bye ✓')));
    assert.equal(hex(encodeClosePayload(3000, 'r'.repeat(123))), '0bb8' + '72'.repeat(123));
  });

  test('decodeClosePayload: empty → 1005, code only, code + UTF-8 reason', () => {
    assert.deepEqual(cr(decodeClosePayload(new Uint8Array(0))), { code: 1005, reason: '' });
    assert.deepEqual(cr(decodeClosePayload(Uint8Array.of(0x03, 0xe8))), { code: 1000, reason: '' });
    assert.deepEqual(cr(decodeClosePayload(closePayload(1001, 'going ↓ 👋'))), { code: 1001, reason: 'going ↓ 👋' });
  });

  const throwsProtocol = (fn, closeCode, code) =>
    assert.throws(fn, (e) => {
      assert.ok(e instanceof ProtocolError, 'a ProtocolError');
      assert.equal(e.closeCode, closeCode);
      assert.equal(e.code, code);
      return true;
    });

  test('decodeClosePayload: 1-byte payload → 1002 WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', () => {
    throwsProtocol(() => decodeClosePayload(Uint8Array.of(3)), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
  });

  test('decodeClosePayload: invalid UTF-8 reason → 1007 WS_ERR_INVALID_UTF8', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      throwsProtocol(() => decodeClosePayload(concat(closePayload(1000), bad)), 1007, 'WS_ERR_INVALID_UTF8');
    }
  });

  test('decodeClosePayload agrees with isValidCloseCode for every code 0–5000 and round trips', () => {
    for (let code = 0; code <= 5000; code++) {
      const p = closePayload(code, 'r');
      if (isValidCloseCode(code)) {
        assert.deepEqual(cr(decodeClosePayload(p)), { code, reason: 'r' }, `code ${code}`);
        assert.equal(hex(encodeClosePayload(code, 'r')), hex(p), `encode ${code}`);
      } else {
        throwsProtocol(() => decodeClosePayload(p), 1002, 'WS_ERR_INVALID_CLOSE_CODE');
      }
    }
    throwsProtocol(() => decodeClosePayload(closePayload(65535)), 1002, 'WS_ERR_INVALID_CLOSE_CODE');
  });

  test('isValidCloseCode: exactly 1000–1003, 1007–1014, 3000–4999 among 0–5000', () => {
    const expected = (c) => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
    const wrong = [];
    for (let c = 0; c <= 5000; c++) if (isValidCloseCode(c) !== expected(c)) wrong.push(c);
    assert.deepEqual(wrong, []);
    for (const c of [5001, 9999, 65535, -1000]) assert.equal(isValidCloseCode(c), false, `${c}`);
  });
});

// ---- mask / unmask -------------------------------------------------------------------------
function impls() {
  /** @type {Array<[string, typeof codec.mask, typeof codec.unmask]>} */
  const list = [['top-level mask/unmask', codec.mask, codec.unmask]];
  for (const name of codec.availableBackends()) {
    const b = codec.getBackend(name);
    list.push([`backend ${name}`, (...a) => b.mask(...a), (...a) => b.unmask(...a)]);
  }
  return list;
}

/** A view of `n` random bytes at byteOffset `off` inside a bigger random buffer. */
function placed(rng, n, off, guard = 8) {
  const big = randBytes(rng, off + n + guard);
  return { big, view: big.subarray(off, off + n), before: big.slice(0, off), after: big.slice(off + n) };
}
function keyAt(rng, off) {
  const big = randBytes(rng, off + 4 + 3);
  return big.subarray(off, off + 4);
}

describe('mask / unmask against a reference', () => {
  test('every backend has mask and unmask functions', () => {
    for (const name of codec.availableBackends()) {
      const b = codec.getBackend(name);
      assert.equal(b.name, name);
      assert.equal(typeof b.mask, 'function');
      assert.equal(typeof b.unmask, 'function');
    }
    assert.equal(typeof codec.mask, 'function');
    assert.equal(typeof codec.unmask, 'function');
  });

  for (const [label, mask, unmask] of impls()) {
    describe(label, () => {
      test('mask: lengths 0–300, source/output/key alignments and output offsets', () => {
        const rng = mulberry32(101);
        const check = (n, srcOff, outOff, offset, keyOff) => {
          const src = placed(rng, n + 3, srcOff); // source longer than length: only `length` bytes are used
          const srcCopy = src.big.slice();
          const out = placed(rng, offset + n + 5, outOff);
          const outCopy = out.big.slice();
          const key = keyAt(rng, keyOff);
          mask(src.view, key, out.view, offset, n);
          const what = `n=${n} srcOff=${srcOff} outOff=${outOff} offset=${offset} keyOff=${keyOff}`;
          const ref = xorMask(src.view.subarray(0, n), key);
          assert.equal(hex(out.view.subarray(offset, offset + n)), hex(ref), what);
          assert.equal(
            hex(out.big.subarray(0, outOff + offset)),
            hex(outCopy.subarray(0, outOff + offset)),
            `${what}: bytes before untouched`,
          );
          assert.equal(
            hex(out.big.subarray(outOff + offset + n)),
            hex(outCopy.subarray(outOff + offset + n)),
            `${what}: bytes after untouched`,
          );
          assert.equal(hex(src.big), hex(srcCopy), `${what}: source untouched`);
        };
        for (let n = 0; n <= 70; n++) {
          for (let srcOff = 0; srcOff < 4; srcOff++) {
            for (let outOff = 0; outOff < 4; outOff++) {
              for (const offset of [0, 1, 3, 6]) check(n, srcOff, outOff, offset, (n + srcOff + outOff) & 3);
            }
          }
        }
        for (let n = 71; n <= 300; n++) check(n, n & 3, (n >> 2) & 3, [0, 1, 3, 6, 9][n % 5], (n >> 4) & 3);
      });

      test('unmask: lengths 0–300 at byteOffsets 0–3 with unaligned keys, in place', () => {
        const rng = mulberry32(202);
        for (let n = 0; n <= 300; n++) {
          for (let off = 0; off < 4; off++) {
            const buf = placed(rng, n, off);
            const orig = buf.big.slice();
            const key = keyAt(rng, (n + off) & 3);
            unmask(buf.view, key);
            const what = `n=${n} off=${off}`;
            assert.equal(hex(buf.view), hex(xorMask(orig.subarray(off, off + n), key)), what);
            assert.equal(hex(buf.big.subarray(0, off)), hex(orig.subarray(0, off)), `${what}: before untouched`);
            assert.equal(hex(buf.big.subarray(off + n)), hex(orig.subarray(off + n)), `${what}: after untouched`);
          }
        }
      });

      test('Node Buffers (pooled, arbitrary byteOffset) work too', () => {
        const rng = mulberry32(303);
        for (const n of [0, 1, 7, 31, 32, 33, 47, 48, 49, 64, 100, 1000]) {
          const src = Buffer.from(randBytes(rng, n));
          const out = Buffer.alloc(n + 2);
          const key = Buffer.from(randBytes(rng, 4));
          mask(src, key, out, 2, n);
          assert.equal(hex(out.subarray(2)), hex(xorMask(src, key)), `mask n=${n}`);
          const buf = Buffer.from(src);
          unmask(buf, key);
          assert.equal(hex(buf), hex(xorMask(src, key)), `unmask n=${n}`);
        }
      });

      test('large buffers: 1 MiB, 1 MiB + 3 at byteOffset 1, 8 MiB + 1 at byteOffset 3', () => {
        const rng = mulberry32(404);
        for (const [n, off] of [
          [1024 * 1024, 0],
          [1024 * 1024 + 3, 1],
          [8 * 1024 * 1024 + 1, 3],
        ]) {
          const key = keyAt(rng, off);
          const buf = placed(rng, n, off);
          const orig = buf.view.slice();
          const ref = xorMask(orig, key);
          unmask(buf.view, key);
          assert.ok(Buffer.from(buf.view).equals(Buffer.from(ref)), `unmask ${n}`);
          const out = placed(rng, n + 5, (off + 1) & 3);
          mask(orig, key, out.view, 5, n);
          assert.ok(Buffer.from(out.view.subarray(5)).equals(Buffer.from(ref)), `mask ${n}`);
          // round trip
          unmask(buf.view, key);
          assert.ok(Buffer.from(buf.view).equals(Buffer.from(orig)), `round trip ${n}`);
        }
      });
    });
  }
});
