// XOR-unmask a region of linear memory in place. The key is the 32-bit little-endian
// word of the four mask bytes already rotated to the region's start, so the caller can
// continue a payload that arrives in pieces.

export function unmaskRegion(p: usize, end: usize, key: u32): void {
  if (ASC_FEATURE_SIMD) {
    const k = i32x4.splat(key);
    // 64 bytes per iteration: four independent v128 XORs keep the load/store ports busy.
    while (p + 64 <= end) {
      v128.store(p, v128.xor(v128.load(p), k));
      v128.store(p + 16, v128.xor(v128.load(p + 16), k));
      v128.store(p + 32, v128.xor(v128.load(p + 32), k));
      v128.store(p + 48, v128.xor(v128.load(p + 48), k));
      p += 64;
    }
    while (p + 16 <= end) {
      v128.store(p, v128.xor(v128.load(p), k));
      p += 16;
    }
  } else {
    const k64: u64 = ((<u64>key) << 32) | <u64>key;
    while (p + 32 <= end) {
      store<u64>(p, load<u64>(p) ^ k64);
      store<u64>(p + 8, load<u64>(p + 8) ^ k64);
      store<u64>(p + 16, load<u64>(p + 16) ^ k64);
      store<u64>(p + 24, load<u64>(p + 24) ^ k64);
      p += 32;
    }
  }
  // Every block above is a multiple of 4 bytes, so the key is still in phase here.
  while (p + 4 <= end) {
    store<u32>(p, load<u32>(p) ^ key);
    p += 4;
  }
  let k = key;
  while (p < end) {
    store<u8>(p, load<u8>(p) ^ <u8>k);
    k >>>= 8;
    p++;
  }
}
