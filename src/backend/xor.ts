// Word-at-a-time XOR in JavaScript: four bytes per step through an Int32Array over the
// aligned middle of the region, bytes at the unaligned edges. ws's pure-JS path XORs a
// byte at a time; this is the JS backend's reason to exist.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes a typed-array view costs more than the bytes it saves. */
const WORD_MIN = 24;

/** The key word for a region starting `offset` bytes into a payload. */
export function rotateKey(key: number, offset: number): number {
  const shift = (offset & 3) * 8;
  return shift === 0 ? key | 0 : (key >>> shift) | (key << (32 - shift));
}

/** Reads four mask-key bytes as a little-endian word. */
export function keyWord(key: Uint8Array, at = 0): number {
  return key[at] | (key[at + 1] << 8) | (key[at + 2] << 16) | (key[at + 3] << 24) | 0;
}

/** A word view over a whole ArrayBuffer, for xorInPlace calls on many regions of it. */
export function wordsOf(bytes: Uint8Array): Int32Array {
  return new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >>> 2);
}

/**
 * XORs bytes[start, end) in place with `key` (little-endian word in phase with `start`).
 * `words` may be wordsOf(bytes), saving a view per call when there are many calls.
 */
export function xorInPlace(bytes: Uint8Array, start: number, end: number, key: number, words?: Int32Array): void {
  let p = start;
  if (end - p >= WORD_MIN) {
    const base = bytes.byteOffset;
    while (((base + p) & 3) !== 0) {
      bytes[p++] ^= key;
      key = (key >>> 8) | (key << 24);
    }
    const count = (end - p) >>> 2;
    let i = 0;
    if (words === undefined) {
      words = new Int32Array(bytes.buffer, base + p, count);
    } else {
      i = (base + p) >>> 2;
    }
    const k = LITTLE_ENDIAN ? key : swap32(key);
    const last = i + count;
    for (const n4 = last - 3; i < n4; i += 4) {
      words[i] ^= k;
      words[i + 1] ^= k;
      words[i + 2] ^= k;
      words[i + 3] ^= k;
    }
    for (; i < last; i++) words[i] ^= k;
    p += count << 2;
  }
  while (p < end) {
    bytes[p++] ^= key;
    key = (key >>> 8) | (key << 24);
  }
}

function swap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
