// RFC 6455 §5 framing rules, one test per rule, on every backend, fed whole and
// one byte per push. Each case violates exactly one rule, so the expected close code
// and error code are unambiguous.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  OP,
  KEY,
  frame,
  header,
  text,
  binary,
  cont,
  ping,
  pong,
  close,
  closePayload,
  concat,
  bytes,
  hex,
  decode,
  collect,
  forEachBackend,
  headerLength,
  lengthFieldEnd,
} from '../helpers/wire.js';
import { mixedUtf8 } from '../helpers/utf8.js';

const err = (closeCode, code) => ['error', closeCode, code];
const msg = (payload, isBinary = false, compressed = false) => ['message', hex(bytes(payload)), isBinary, compressed];
const K = KEY;
const MiB = 1024 * 1024;

/**
 * A case: name, opts (decoder options), stream (bytes), expect (events),
 * by: the last byte index at which an error must already have been reported.
 */
const CASES = [];
const rule = (name, c) => CASES.push({ name, opts: {}, ...c });

// --- masking -------------------------------------------------------------------------
{
  const f = { opcode: OP.TEXT, payload: 'Hello' };
  rule('server: unmasked text frame → 1002 WS_ERR_EXPECTED_MASK', {
    opts: { role: 'server' },
    stream: frame(f),
    expect: [err(1002, 'WS_ERR_EXPECTED_MASK')],
    by: 1,
  });
  rule('server: unmasked ping → 1002 WS_ERR_EXPECTED_MASK', {
    opts: { role: 'server' },
    stream: ping('p'),
    expect: [err(1002, 'WS_ERR_EXPECTED_MASK')],
    by: 1,
  });
  rule('server: unmasked close → 1002 WS_ERR_EXPECTED_MASK', {
    opts: { role: 'server' },
    stream: close(1000, ''),
    expect: [err(1002, 'WS_ERR_EXPECTED_MASK')],
    by: 1,
  });
  const first = text('ok', K);
  rule('server: masked message then unmasked binary → message, then 1002 WS_ERR_EXPECTED_MASK', {
    opts: { role: 'server' },
    stream: concat(first, binary([1, 2, 3])),
    expect: [msg('ok'), err(1002, 'WS_ERR_EXPECTED_MASK')],
    by: first.length + 1,
  });
  rule('client: masked text frame → 1002 WS_ERR_UNEXPECTED_MASK', {
    opts: { role: 'client' },
    stream: text('Hello', K),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_MASK')],
    by: 1,
  });
  rule('client: masked pong → 1002 WS_ERR_UNEXPECTED_MASK', {
    opts: { role: 'client' },
    stream: pong('x', K),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_MASK')],
    by: 1,
  });
  rule('server: all-zero mask key is a valid key', {
    opts: { role: 'server' },
    stream: text('zero key', [0, 0, 0, 0]),
    expect: [msg('zero key')],
  });
  rule('server: masked empty payload', {
    opts: { role: 'server' },
    stream: concat(text('', K), binary('', K)),
    expect: [msg(''), msg('', true)],
  });
}

// --- reserved bits ---------------------------------------------------------------------
for (const [bits, label] of [
  [{ rsv2: true }, 'RSV2'],
  [{ rsv3: true }, 'RSV3'],
  [{ rsv2: true, rsv3: true }, 'RSV2+RSV3'],
]) {
  rule(`${label} on a text frame → 1002 WS_ERR_UNEXPECTED_RSV_2_3`, {
    stream: text('abc', K, bits),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_2_3')],
    by: 0 + 5,
  });
  rule(`${label} on a ping → 1002 WS_ERR_UNEXPECTED_RSV_2_3`, {
    stream: ping('abc', K, bits),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_2_3')],
    by: 5,
  });
  rule(`${label} with allowRsv1 → still 1002 WS_ERR_UNEXPECTED_RSV_2_3`, {
    opts: { allowRsv1: true },
    stream: binary('abc', K, bits),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_2_3')],
    by: 5,
  });
}
{
  const a = text('ab', K, { fin: false });
  rule('RSV3 on a continuation frame → 1002 WS_ERR_UNEXPECTED_RSV_2_3', {
    stream: concat(a, cont('cd', K, { rsv3: true })),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_2_3')],
    by: a.length + 5,
  });
}
rule('RSV1 on text without allowRsv1 → 1002 WS_ERR_UNEXPECTED_RSV_1', {
  stream: text('abc', K, { rsv1: true }),
  expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')],
  by: 5,
});
rule('RSV1 on binary without allowRsv1 → 1002 WS_ERR_UNEXPECTED_RSV_1', {
  opts: { role: 'client' },
  stream: binary([1, 2], undefined, { rsv1: true }),
  expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')],
  by: 1,
});
for (const [op, label] of [
  [OP.PING, 'ping'],
  [OP.PONG, 'pong'],
  [OP.CLOSE, 'close'],
]) {
  rule(`RSV1 on a ${label} even with allowRsv1 → 1002 WS_ERR_UNEXPECTED_RSV_1`, {
    opts: { allowRsv1: true },
    stream: frame({ opcode: op, payload: op === OP.CLOSE ? closePayload(1000) : 'x', mask: K, rsv1: true }),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')],
    by: 5,
  });
}
{
  const a = text('ab', K, { fin: false, rsv1: true });
  rule('RSV1 on a continuation frame even with allowRsv1 → 1002 WS_ERR_UNEXPECTED_RSV_1', {
    opts: { allowRsv1: true },
    stream: concat(a, cont('cd', K, { rsv1: true })),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')],
    by: a.length + 5,
  });
  const b = binary('ab', K, { fin: false });
  rule('RSV1 on a continuation of an uncompressed message with allowRsv1 → 1002 WS_ERR_UNEXPECTED_RSV_1', {
    opts: { allowRsv1: true },
    stream: concat(b, cont('cd', K, { rsv1: true })),
    expect: [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')],
    by: b.length + 5,
  });
}
rule('allowRsv1: RSV1 text is delivered compressed and not UTF-8 validated', {
  opts: { allowRsv1: true },
  stream: text([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80], K, { rsv1: true }),
  expect: [msg([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80], false, true)],
});
rule('allowRsv1: RSV1 binary is delivered with compressed=true', {
  opts: { allowRsv1: true },
  stream: binary([0, 1, 2, 0xff], K, { rsv1: true }),
  expect: [msg([0, 1, 2, 0xff], true, true)],
});
rule('allowRsv1: fragmented compressed text (RSV1 on first frame only), bytes not validated', {
  opts: { allowRsv1: true },
  stream: concat(text([0xf8, 0x88], K, { fin: false, rsv1: true }), ping('i', K), cont([0x80, 0x80], K, { fin: false }), cont([0xc1], K)),
  expect: [['ping', hex(bytes('i'))], msg([0xf8, 0x88, 0x80, 0x80, 0xc1], false, true)],
});
rule('allowRsv1: text without RSV1 is compressed=false and still validated', {
  opts: { allowRsv1: true },
  stream: concat(text('fine', K), text([0x61, 0xff], K)),
  expect: [msg('fine'), err(1007, 'WS_ERR_INVALID_UTF8')],
});
rule('allowRsv1: compressed and plain messages alternate', {
  opts: { allowRsv1: true, role: 'client' },
  stream: concat(binary([9], undefined, { rsv1: true }), binary([8]), text('t', undefined, { rsv1: true }), text('u')),
  expect: [msg([9], true, true), msg([8], true, false), msg('t', false, true), msg('u', false, false)],
});

// --- opcodes ---------------------------------------------------------------------------
for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
  rule(`reserved opcode 0x${op.toString(16)} → 1002 WS_ERR_INVALID_OPCODE`, {
    stream: frame({ opcode: op, payload: 'x', mask: K }),
    expect: [err(1002, 'WS_ERR_INVALID_OPCODE')],
    by: 5,
  });
}
{
  const m = text('done', K);
  rule('continuation with no message in progress → 1002 WS_ERR_INVALID_OPCODE', {
    stream: cont('x', K),
    expect: [err(1002, 'WS_ERR_INVALID_OPCODE')],
    by: 5,
  });
  rule('continuation after a completed message → 1002 WS_ERR_INVALID_OPCODE', {
    stream: concat(m, cont('x', K)),
    expect: [msg('done'), err(1002, 'WS_ERR_INVALID_OPCODE')],
    by: m.length + 5,
  });
  const a = text('ab', K, { fin: false });
  rule('text frame while a fragmented message is in progress → 1002 WS_ERR_INVALID_OPCODE', {
    stream: concat(a, text('cd', K)),
    expect: [err(1002, 'WS_ERR_INVALID_OPCODE')],
    by: a.length + 5,
  });
  const b = binary('ab', K, { fin: false });
  rule('binary frame while a fragmented message is in progress → 1002 WS_ERR_INVALID_OPCODE', {
    stream: concat(b, binary('cd', K)),
    expect: [err(1002, 'WS_ERR_INVALID_OPCODE')],
    by: b.length + 5,
  });
  rule('new fragmented message while one is in progress → 1002 WS_ERR_INVALID_OPCODE', {
    opts: { role: 'client' },
    stream: concat(text('a', undefined, { fin: false }), binary('b', undefined, { fin: false })),
    expect: [err(1002, 'WS_ERR_INVALID_OPCODE')],
    by: 3 + 1,
  });
}

// --- control frames ---------------------------------------------------------------------
for (const [op, label, p] of [
  [OP.PING, 'ping', 'x'],
  [OP.PONG, 'pong', 'x'],
  [OP.CLOSE, 'close', closePayload(1000)],
]) {
  rule(`${label} with FIN=0 → 1002 WS_ERR_EXPECTED_FIN`, {
    stream: frame({ opcode: op, payload: p, mask: K, fin: false }),
    expect: [err(1002, 'WS_ERR_EXPECTED_FIN')],
    by: 5,
  });
  rule(`${label} with 126-byte payload → 1002 WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH`, {
    stream: frame({ opcode: op, payload: op === OP.CLOSE ? closePayload(1000, 'r'.repeat(124)) : 'z'.repeat(126), mask: K }),
    expect: [err(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH')],
    by: 7,
  });
}
rule('ping with 300-byte payload (16-bit form) → 1002 WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', {
  opts: { role: 'client' },
  stream: ping(new Uint8Array(300)),
  expect: [err(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH')],
  by: 3,
});
rule('close payload of length 1 → 1002 WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', {
  stream: frame({ opcode: OP.CLOSE, payload: [0x03], mask: K }),
  expect: [err(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH')],
  by: 6,
});
for (const n of [0, 1, 125]) {
  const p = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 255) & 0xff);
  rule(`ping and pong with ${n}-byte payload are delivered exactly`, {
    stream: concat(ping(p, K), pong(p, K)),
    expect: [
      ['ping', hex(p)],
      ['pong', hex(p)],
    ],
  });
}
rule('control frames interleaved between fragments are delivered in order, message after', {
  stream: concat(
    text('Hel', K, { fin: false }),
    ping('p1', K),
    cont('lo, ', K, { fin: false }),
    pong('q', K),
    ping('', K),
    cont('world', K),
    close(1000, 'bye', K),
  ),
  expect: [['ping', hex(bytes('p1'))], ['pong', hex(bytes('q'))], ['ping', ''], msg('Hello, world'), ['close', 1000, 'bye']],
});

// --- close payloads ---------------------------------------------------------------------
rule('empty close → onClose(1005, "")', { stream: close(undefined, '', K), expect: [['close', 1005, '']] });
rule('close with code and UTF-8 reason', { stream: close(1001, 'going ↓ away 👋', K), expect: [['close', 1001, 'going ↓ away 👋']] });
rule('close with 123-byte reason (125-byte payload)', {
  stream: close(4000, 'r'.repeat(123), K),
  expect: [['close', 4000, 'r'.repeat(123)]],
});
for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
  rule(`close code ${code} is accepted`, { stream: close(code, '', K), expect: [['close', code, '']] });
}
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
  rule(`close code ${code} → 1002 WS_ERR_INVALID_CLOSE_CODE`, {
    stream: close(code, 'x', K),
    expect: [err(1002, 'WS_ERR_INVALID_CLOSE_CODE')],
  });
}
rule('close reason with invalid UTF-8 → 1007 WS_ERR_INVALID_UTF8', {
  stream: frame({ opcode: OP.CLOSE, payload: concat(closePayload(1000), [0x61, 0xc3, 0x28]), mask: K }),
  expect: [err(1007, 'WS_ERR_INVALID_UTF8')],
});
rule('close reason with a surrogate → 1007 WS_ERR_INVALID_UTF8', {
  stream: frame({ opcode: OP.CLOSE, payload: concat(closePayload(1000), [0xed, 0xa0, 0x80]), mask: K }),
  expect: [err(1007, 'WS_ERR_INVALID_UTF8')],
});
rule('close reason truncated mid-code-point → 1007 WS_ERR_INVALID_UTF8', {
  stream: frame({ opcode: OP.CLOSE, payload: concat(closePayload(1000), [0xe2, 0x82]), mask: K }),
  expect: [err(1007, 'WS_ERR_INVALID_UTF8')],
});

// --- payload length -------------------------------------------------------------------
for (const ext of [
  [0x80, 0, 0, 0, 0, 0, 0, 0],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x80, 0, 0, 0, 0, 0, 0, 5],
]) {
  rule(`64-bit length ${hex(Uint8Array.from(ext))} (MSB set) → 1002 WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH`, {
    stream: header({ opcode: OP.BINARY, lenForm: 64, extLen: ext, mask: K }),
    expect: [err(1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH')],
    by: 13,
  });
}
{
  const a = binary('ab', K, { fin: false });
  rule('64-bit length with MSB set on a continuation → 1002 WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', {
    stream: concat(a, header({ opcode: OP.CONT, lenForm: 64, extLen: [0x80, 0, 0, 0, 0, 0, 0, 1], mask: K })),
    expect: [err(1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH')],
    by: a.length + 13,
  });
}
for (const [what, f] of [
  ['16-bit form for 5 bytes', { lenForm: 16 }],
  ['64-bit form for 5 bytes', { lenForm: 64 }],
]) {
  rule(`non-minimal length (${what}) is accepted`, {
    stream: concat(text('hello', K, f), binary('hello', K, f)),
    expect: [msg('hello'), msg('hello', true)],
  });
}
rule('non-minimal length: 16-bit and 64-bit forms of 0', {
  stream: concat(text('', K, { lenForm: 16 }), binary('', K, { lenForm: 64 })),
  expect: [msg(''), msg('', true)],
});
rule('non-minimal length: 64-bit form for 300 bytes', {
  opts: { role: 'client' },
  stream: binary(new Uint8Array(300).fill(7), undefined, { lenForm: 64 }),
  expect: [msg(new Uint8Array(300).fill(7), true)],
});
{
  const f = { opcode: OP.TEXT, payload: 'x'.repeat(11), mask: K };
  rule('frame over maxPayload → 1009 WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', {
    opts: { maxPayload: 10 },
    stream: frame(f),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
    by: headerLength(f) - 1,
  });
  rule('frame over maxPayload: reported with only the header received', {
    opts: { maxPayload: 10 },
    stream: header(f),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
  });
  rule('frame of exactly maxPayload is delivered', {
    opts: { maxPayload: 11 },
    stream: frame(f),
    expect: [msg('x'.repeat(11))],
  });
  rule('16-bit length over maxPayload (header only) → 1009', {
    opts: { maxPayload: 1000 },
    stream: header({ opcode: OP.BINARY, len: 1001, mask: K }),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
  });
  rule('64-bit length over maxPayload (header only) → 1009', {
    opts: { maxPayload: 65536 },
    stream: header({ opcode: OP.BINARY, len: 65537, mask: K }),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
  });
  rule('default maxPayload is 100 MiB: 100 MiB + 1 declared → 1009', {
    stream: header({ opcode: OP.BINARY, len: 100 * MiB + 1, mask: K }),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
  });
  rule('default maxPayload is 100 MiB: exactly 100 MiB declared is not an error', {
    stream: header({ opcode: OP.BINARY, len: 100 * MiB, mask: K }),
    expect: [],
  });
  rule('maxPayload 0 (no limit, 2 GiB - 1): 2^31 declared → 1009', {
    opts: { maxPayload: 0 },
    stream: header({ opcode: OP.BINARY, len: 2 ** 31, mask: K }),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
  });
  rule('maxPayload 0: 2^31 - 1 declared is not an error', {
    opts: { maxPayload: 0 },
    stream: header({ opcode: OP.BINARY, len: 2 ** 31 - 1, mask: K }),
    expect: [],
  });
  rule('maxPayload 0: 2^40 declared (MSB clear) → 1009', {
    opts: { maxPayload: 0 },
    stream: header({ opcode: OP.BINARY, len: 2 ** 40, mask: K }),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
  });
  const a = text('123456', K, { fin: false });
  const c = { opcode: OP.CONT, payload: '12345', mask: K };
  rule('fragments summing over maxPayload → 1009 at the length of the overflowing fragment', {
    opts: { maxPayload: 10 },
    stream: concat(a, frame(c)),
    expect: [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')],
    by: a.length + headerLength(c) - 1,
  });
  rule('fragments summing to exactly maxPayload are delivered', {
    opts: { maxPayload: 10 },
    stream: concat(a, cont('1234', K)),
    expect: [msg('1234561234')],
  });
}
{
  const small = (i, fin) => (i === 0 ? binary([i], K, { fin }) : cont([i], K, { fin }));
  rule('maxFragments: 3 small fragments with maxFragments 2 → 1008 WS_ERR_TOO_MANY_FRAGMENTS', {
    opts: { maxFragments: 2 },
    stream: concat(small(0, false), small(1, false), small(2, true)),
    expect: [err(1008, 'WS_ERR_TOO_MANY_FRAGMENTS')],
  });
  rule('maxFragments: 2 small fragments with maxFragments 2 are fine', {
    opts: { maxFragments: 2 },
    stream: concat(small(0, false), small(1, true)),
    expect: [msg([0, 1], true)],
  });
}

// --- UTF-8 (details in utf8.test.js) ----------------------------------------------------
rule('invalid UTF-8 in a text frame → 1007 WS_ERR_INVALID_UTF8', {
  stream: text([0x48, 0x69, 0xff, 0x21], K),
  expect: [err(1007, 'WS_ERR_INVALID_UTF8')],
  by: 6 + 2,
});
rule('text ending mid-code-point → 1007 at the final fragment', {
  stream: concat(text([0x61, 0xf0, 0x9f], K, { fin: false }), cont([0x98], K)),
  expect: [err(1007, 'WS_ERR_INVALID_UTF8')],
});
rule('binary frames are not UTF-8 validated', {
  stream: binary([0xff, 0xc0, 0x80], K),
  expect: [msg([0xff, 0xc0, 0x80], true)],
});

// --- the rule table on every backend -------------------------------------------------
forEachBackend((backend) => {
  for (const c of CASES) {
    for (const feed of ['whole', 'bytewise']) {
      test(`${c.name} [${feed}]`, () => {
        const rec = decode(c.stream, { ...c.opts, backend }, feed);
        assert.deepEqual(rec.events, c.expect);
        if (feed === 'bytewise' && c.by !== undefined) {
          assert.ok(rec.state.errorPush >= 0, 'an error was reported');
          assert.ok(rec.state.errorPush <= c.by, `error reported at byte ${rec.state.errorPush}, expected by byte ${c.by}`);
        }
      });
    }
  }

  test('maxPayload error arrives once the length field is complete, before the mask key', () => {
    for (const f of [
      { opcode: OP.TEXT, payload: 'x'.repeat(11), mask: K },
      { opcode: OP.BINARY, len: 1001, mask: K },
      { opcode: OP.BINARY, len: 70000, mask: K },
    ]) {
      const h = header(f);
      const rec = collect({ backend, maxPayload: 10 });
      rec.push(h.slice(0, lengthFieldEnd(f) + 1));
      assert.deepEqual(rec.events, [err(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')], `declared ${h[1] & 0x7f}`);
    }
  });

  test('protocol errors are reported through onError, never thrown from push', () => {
    for (const c of CASES) {
      const rec = collect({ ...c.opts, backend });
      assert.doesNotThrow(() => rec.push(c.stream.slice()), c.name);
    }
  });

  test('dec.error and dec.closed start cleared', () => {
    const rec = collect({ backend });
    assert.equal(rec.dec.error, undefined);
    assert.equal(rec.dec.closed, false);
  });

  // --- length boundaries ----------------------------------------------------------------
  describe('length boundaries', () => {
    const LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 70000];
    for (const n of LENGTHS) {
      for (const kind of ['text', 'binary']) {
        for (const role of ['server', 'client']) {
          const payload = kind === 'text' ? mixedUtf8(n) : Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
          const f = { opcode: kind === 'text' ? OP.TEXT : OP.BINARY, payload, mask: role === 'server' ? K : undefined };
          const stream = frame(f);
          const form = n <= 125 ? 7 : n <= 65535 ? 16 : 64;
          // a ping after it proves the decoder resumes at the right byte
          const stream2 = concat(stream, ping('after', f.mask));
          for (const feed of ['whole', 'bytewise']) {
            test(`${kind} ${n} bytes (${form}-bit length), ${role} [${feed}]`, () => {
              assert.equal(stream[1] & 0x7f, form === 7 ? n : form === 16 ? 126 : 127);
              const rec = decode(stream2, { role, backend }, feed);
              assert.equal(rec.events.length, 2);
              assert.deepEqual(rec.events[0], ['message', hex(payload), kind === 'binary', false]);
              assert.deepEqual(rec.events[1], ['ping', hex(bytes('after'))]);
            });
          }
        }
      }
    }
  });
});
