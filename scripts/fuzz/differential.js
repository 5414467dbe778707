// The differential check: one input decoded on every backend and chunking, invariants checked, results compared.
import { createHash } from 'node:crypto';
import * as codec from 'wscodec/codec'; // the built package (dist/); loads native and wasm first
import { ROLES, hex } from './corpus.js';

// ---- decoding and the differential check ----------------------------------------------------------

/** Small payloads as hex, big ones as length + hash: events stay cheap to compare and to print. */
const digest = (d) => (d.length <= 64 ? hex(d) : `${d.length}:${createHash('sha256').update(d).digest('hex').slice(0, 16)}`);

/** The error pairs the decoder is documented to produce (src/codec/errors.ts, close.ts); the differential tests check against the same list. */
export const KNOWN_ERRORS = {
  1002: [
    'WS_ERR_EXPECTED_MASK',
    'WS_ERR_UNEXPECTED_MASK',
    'WS_ERR_UNEXPECTED_RSV_2_3',
    'WS_ERR_UNEXPECTED_RSV_1',
    'WS_ERR_INVALID_OPCODE',
    'WS_ERR_EXPECTED_FIN',
    'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
    'WS_ERR_INVALID_CLOSE_CODE',
  ],
  1007: ['WS_ERR_INVALID_UTF8'],
  1008: ['WS_ERR_TOO_MANY_FRAGMENTS'],
  1009: ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
};

/**
 * Decodes with one backend and one chunking. Returns { events, closed } or { problem }:
 * a throw out of push, or a broken invariant (two errors, an event after an error or a
 * close, an error pair that is not documented).
 */
export function decodeOnce(bytes, options, role, backend, { sizes, shift }, plantBug) {
  const events = [];
  const record = (e) => events.push(e);
  const dec = new codec.FrameDecoder({
    ...options,
    role,
    backend,
    // Digests are taken inside the callbacks: zero-copy views die when they return.
    onMessage: (d, isBinary, compressed) => record(['message', digest(d), plantBug ? !isBinary : isBinary, compressed]),
    onPing: (d) => record(['ping', digest(d)]),
    onPong: (d) => record(['pong', digest(d)]),
    onClose: (code, reason) => record(['close', code, reason]),
    onError: (err) => record(['error', err?.closeCode, err?.code]),
  });
  const hosts = [];
  let o = 0;
  try {
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i];
      let chunk = bytes.slice(o, o + n); // a copy each: push() owns (and may unmask) its chunk
      if (shift !== null) {
        const at = (shift + 3 * i) % 16;
        const host = new Uint8Array(n + 32).fill(0xa5);
        host.set(chunk, at);
        chunk = host.subarray(at, at + n);
        hosts.push([host, at, n]);
      }
      dec.push(chunk);
      o += n;
    }
  } catch (err) {
    return { problem: `push threw: ${err?.stack ?? err}`, events };
  }
  // The decoder owns a chunk, not the memory around it.
  const clean = (host, from, to) => host.subarray(from, to).every((x) => x === 0xa5);
  for (const [host, at, n] of hosts) {
    if (!clean(host, 0, at) || !clean(host, at + n, host.length))
      return { problem: 'the decoder wrote outside the chunk it was given', events };
  }
  const last = events.length - 1;
  const errors = events.filter((e) => e[0] === 'error');
  const closeAt = events.findIndex((e) => e[0] === 'close');
  if (errors.length > 1) return { problem: 'more than one error', events };
  if (errors.length === 1 && events[last][0] !== 'error') return { problem: 'an event after the error', events };
  if (closeAt >= 0 && closeAt !== last) return { problem: 'an event after the close', events };
  if (errors.length === 1 && !(KNOWN_ERRORS[errors[0][1]] ?? []).includes(errors[0][2]))
    return { problem: `undocumented error pair ${errors[0][1]} ${errors[0][2]}`, events };
  if ((dec.error === undefined) !== (errors.length === 0)) return { problem: 'dec.error does not match onError', events };
  return { events, closed: dec.closed };
}

/**
 * Runs one input everywhere. `mark(role, backend, chunking)` tells the watchdog where it is.
 * Returns { signatures, findings: [...], messages }.
 */
export function runInput(input, backends, mark, plant) {
  const findings = [];
  const signatures = [];
  let messages = 0; // role runs that got as far as delivering a message: a depth proxy
  for (let r = 0; r < ROLES.length; r++) {
    const role = ROLES[r];
    let ref;
    let refLabel;
    for (let b = 0; b < backends.length; b++) {
      for (let c = 0; c < input.chunkings.length; c++) {
        mark(r, b, c);
        if (plant.hang && input.index === 3 && b === backends.length - 1) for (;;); // the watchdog must catch this
        const label = `${backends[b].name} / chunking ${c}`;
        const got = decodeOnce(input.bytes, input.options, role, backends[b], input.chunkings[c], plant.bug && b === 1);
        if (got.problem) {
          findings.push({ kind: 'invariant', role, where: label, problem: got.problem, events: got.events });
          continue;
        }
        if (ref === undefined) {
          ref = got;
          refLabel = label;
          continue;
        }
        if (JSON.stringify(got) !== JSON.stringify(ref)) {
          findings.push({ kind: 'disagreement', role, reference: refLabel, where: label, referenceResult: ref, result: got });
        }
      }
    }
    if (ref) {
      const err = ref.events.find((e) => e[0] === 'error');
      const kinds = [...new Set(ref.events.map((e) => e[0]))].sort().join('+') || 'nothing';
      signatures.push(`${role}|${kinds}|${err ? err[2] : ref.closed ? 'closed' : 'open'}`);
      if (kinds.includes('message')) messages++;
    }
  }
  return { signatures, findings, messages };
}
