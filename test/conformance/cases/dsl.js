// The small vocabulary cases are written in. A case is data plus a script:
//   { id, title, run(peer), expect, close, failFast?, informational?, deflate?, timeoutMs?, harnessRoles? }
// `expect` lists the messages and pongs the peer must send back (in order); `close`
// says who must start the closing handshake, with which codes, and whether it must be
// clean. See verdict.js for how they are judged.
import { OP, toBytes } from '../wire/frames.js';

export { OP };

/**
 * One case, as described above (`raw` cases do their own connecting, see g20-beyond.js).
 * @typedef {object} Case
 * @property {string} id
 * @property {string} title
 * @property {(peer: import('../wire/peer.js').Peer) => unknown} [run]
 * @property {{ type: string, binary?: boolean, bytes: Uint8Array }[]} expect
 * @property {{ type: string, binary?: boolean, bytes: Uint8Array }[]} [nonStrict]
 * @property {{ by: string, codes: number[], clean: boolean }} close
 * @property {string} [failFast]
 * @property {string} [informational]
 * @property {{ offer?: string, offers?: object[], response?: string }} [deflate]
 * @property {number} [timeoutMs]
 * @property {string[]} [harnessRoles]
 * @property {(target: { host: string, port: number }) => Promise<any>} [raw]
 */

export const msg = (data, binary = false) => ({ type: 'message', binary, bytes: toBytes(data) });
export const pong = (data) => ({ type: 'pong', bytes: toBytes(data) });

/** The harness closes with 1000 once the expected trace is in; the peer must answer cleanly. */
export const NORMAL = Object.freeze({ by: 'harness', codes: [1000], clean: true });

/** The peer must fail the connection itself, with one of `codes`. */
export const failsWith = (...codes) => ({ by: 'peer', codes: codes.length ? codes : [1002], clean: false });

/** Readable ASCII of any length, different per seed, so echoes cannot be confused. */
export function textOf(length, seed = 0) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-*';
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = alphabet.charCodeAt((i * 7 + seed * 13 + (i >> 5)) % alphabet.length);
  return out;
}

/** Pseudo-random bytes (a tiny LCG): cheap, deterministic, every byte value appears. */
export function binaryOf(length, seed = 1) {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Sends each frame as its own write, `delayMs` apart ("frame-wise"). */
export async function framewise(peer, specs, delayMs = 2) {
  for (const spec of specs) {
    await peer.send(spec);
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** Sends frames as one byte stream in `chop`-byte pieces ("octet-wise" when chop is 1). */
export function chopped(peer, specs, chop = 1, delayMs = 0) {
  return peer.sendRaw(Buffer.concat(specs.map((s) => peer.frameBytes(s))), { chop, delayMs });
}

/** Sends frames in one write. */
export async function together(peer, specs) {
  return chopped(peer, specs, 0);
}
