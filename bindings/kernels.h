// The native kernels: the same contracts as assembly/ (src/backend/scan-contract.ts),
// working in place on the caller's memory. No N-API here, so they can be tested alone.
#pragma once
#include <cstddef>
#include <cstdint>

// Generated from src/backend/scan-contract.ts by scripts/gen-scan-contract.js, which
// scripts/build-native.js runs before node-gyp.
#include "scan-contract.h"

namespace wscodec {

// XORs p[0, n) with a little-endian key word in phase with p.
void xor_in_place(uint8_t* p, size_t n, uint32_t key);
// dst[i] = src[i] ^ key bytes, for i < n (bufferutil's mask).
void xor_copy(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key);

// The UTF-8 DFA tables come from JS (src/backend/utf8-dfa.ts is their single source).
bool set_utf8_tables(const uint8_t* classes, size_t class_count, const uint8_t* transitions, size_t transition_count);
uint32_t utf8_step(uint32_t state, const uint8_t* p, const uint8_t* end);

// The result block's words, which the addon copies out at the RESULT_* indices.
struct ScanResult {
  uint32_t consumed;
  int32_t error;
  int32_t partial;
  uint32_t partial_key;
};

// Scans bytes[start, end) of `bytes` into `table` (capacity entries of ENTRY_INTS words);
// table offsets are relative to `bytes`.
uint32_t scan(uint8_t* bytes, uint32_t start, uint32_t end, uint32_t flags, uint32_t max_payload,
              int32_t* table, uint32_t capacity, ScanResult* out);

// Which XOR path runs here: "avx2", "sse2", "neon" or "scalar".
const char* simd_path();

}  // namespace wscodec
