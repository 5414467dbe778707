// Every protocol violation becomes a ProtocolError carrying the close code to send.
// The `code` strings are ws's, so code written against ws keeps working.

import {
  ERR_CONTROL_FIN,
  ERR_CONTROL_LENGTH,
  ERR_EXPECTED_MASK,
  ERR_LENGTH_64,
  ERR_OPCODE,
  ERR_RSV_1,
  ERR_RSV_2_3,
  ERR_TOO_BIG,
  ERR_UNEXPECTED_MASK,
} from '../backend/scan-contract.js';
import { CloseCode } from './constants.js';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    readonly closeCode: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export const invalidUtf8 = (where: string) =>
  new ProtocolError(`Invalid UTF-8 in ${where}`, CloseCode.InvalidPayload, 'WS_ERR_INVALID_UTF8');

export const tooBig = () =>
  new ProtocolError('Message is larger than maxPayload', CloseCode.MessageTooBig, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');

export const badSequence = (message: string) => new ProtocolError(message, CloseCode.ProtocolError, 'WS_ERR_INVALID_OPCODE');

export const tooManyFragments = (limit: number) =>
  new ProtocolError(`More than ${limit} small fragments in one message`, CloseCode.PolicyViolation, 'WS_ERR_TOO_MANY_FRAGMENTS');

/** The error for a header rule a scan kernel stopped at (ERR_* in scan-contract.ts). */
export function scanError(error: number): ProtocolError {
  const p = CloseCode.ProtocolError;
  switch (error) {
    case ERR_RSV_2_3:
      return new ProtocolError('RSV2 and RSV3 must be clear', p, 'WS_ERR_UNEXPECTED_RSV_2_3');
    case ERR_RSV_1:
      return new ProtocolError('RSV1 must be clear', p, 'WS_ERR_UNEXPECTED_RSV_1');
    case ERR_OPCODE:
      return new ProtocolError('Invalid opcode', p, 'WS_ERR_INVALID_OPCODE');
    case ERR_CONTROL_FIN:
      return new ProtocolError('Control frames must not be fragmented', p, 'WS_ERR_EXPECTED_FIN');
    case ERR_CONTROL_LENGTH:
      return new ProtocolError('Control frame payloads must be at most 125 bytes', p, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
    case ERR_EXPECTED_MASK:
      return new ProtocolError('Frames from a client must be masked', p, 'WS_ERR_EXPECTED_MASK');
    case ERR_UNEXPECTED_MASK:
      return new ProtocolError('Frames from a server must not be masked', p, 'WS_ERR_UNEXPECTED_MASK');
    case ERR_LENGTH_64:
      return new ProtocolError('The most significant bit of a 64-bit length must be 0', p, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH');
    case ERR_TOO_BIG:
      return tooBig();
    default:
      return new ProtocolError(`Unknown frame error ${error}`, p, 'WS_ERR_INVALID_FRAME');
  }
}
