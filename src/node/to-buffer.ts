import { Buffer } from 'node:buffer';

/** The bytes as a Buffer (the same memory: ws's events hand out Buffers). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
