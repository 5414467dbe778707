// Close frame payloads (RFC 6455 §5.5.1, §7.4): a 2-byte code, then a UTF-8 reason.

import { CloseCode } from './constants.js';
import { invalidUtf8, ProtocolError } from './errors.js';

/** Codes a peer may send: 1000–1003, 1007–1014 (IANA-registered) and 3000–4999. */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

const encoder = new TextEncoder();
// ignoreBOM: a reason that starts with U+FEFF must come back unchanged.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Encodes a close payload; no code gives an empty payload. */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('A close reason needs a close code');
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`Invalid close code ${code}`);
  const text = encoder.encode(reason);
  if (text.length > 123) throw new RangeError('A close reason must be at most 123 bytes of UTF-8');
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/** Decodes a received close payload; an empty one means 1005 (no status). */
export function decodeClosePayload(bytes: Uint8Array, validateUtf8 = true): { code: number; reason: string } {
  if (bytes.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (bytes.length === 1) {
    throw new ProtocolError('A close payload must not be 1 byte long', CloseCode.ProtocolError, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
  }
  const code = (bytes[0] << 8) | bytes[1];
  if (!isValidCloseCode(code)) {
    throw new ProtocolError(`Invalid close code ${code}`, CloseCode.ProtocolError, 'WS_ERR_INVALID_CLOSE_CODE');
  }
  const text = bytes.subarray(2);
  try {
    return { code, reason: (validateUtf8 ? strictDecoder : lenientDecoder).decode(text) };
  } catch {
    throw invalidUtf8('the close reason');
  }
}
