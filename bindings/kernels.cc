#include "kernels.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define WSCODEC_X86 1
#include <immintrin.h>
#elif defined(__ARM_NEON)
// arm64: compiled, but it cannot be run on this project's x86-64 machines.
#define WSCODEC_NEON 1
#include <arm_neon.h>
#endif

namespace wscodec {
namespace {

// The scan's constants come from scan-contract.h (via kernels.h). scan() moves FIN (0x80)
// and RSV1 (0x40) of the first header byte into the entry flags with shifts, which only
// holds while the contract keeps those bits where the shifts put them.
static_assert(FRAME_FIN == 0x80 >> 3 && FRAME_RSV1 == 0x40 >> 1, "update the flag shifts in scan()");

// Mirrors src/backend/utf8-dfa.ts.
constexpr uint32_t UTF8_REJECT = 12;

uint8_t utf8_classes[256];
uint8_t utf8_transitions[256];
bool utf8_ready = false;

inline uint32_t load32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t load64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
inline void store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void store64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

// The bytes after a block: whole 4-byte words keep the key in phase, then single bytes.
inline void xor_tail(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key) {
  size_t i = 0;
  const uint64_t k64 = (uint64_t(key) << 32) | key;
  for (; i + 8 <= n; i += 8) store64(dst + i, load64(src + i) ^ k64);
  for (; i + 4 <= n; i += 4) store32(dst + i, load32(src + i) ^ key);
  for (uint32_t k = key; i < n; i++, k >>= 8) dst[i] = src[i] ^ uint8_t(k);
}

#if WSCODEC_X86
// 32 bytes a step, four steps unrolled. The key is a little-endian word, so splatting it
// keeps every lane in phase. In-place and copying forms share it (dst may equal src).
__attribute__((target("avx2"))) void xor_avx2(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key) {
  const __m256i k = _mm256_set1_epi32(int(key));
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 64));
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 96));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 32), _mm256_xor_si256(b, k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 64), _mm256_xor_si256(c, k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 96), _mm256_xor_si256(d, k));
  }
  for (; i + 32 <= n; i += 32) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
  }
  xor_tail(dst + i, src + i, n - i, key);
}

void xor_sse2(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key) {
  const __m128i k = _mm_set1_epi32(int(key));
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), _mm_xor_si128(b, k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 32), _mm_xor_si128(c, k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 48), _mm_xor_si128(d, k));
  }
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
  }
  xor_tail(dst + i, src + i, n - i, key);
}

using XorFn = void (*)(uint8_t*, const uint8_t*, size_t, uint32_t);
// Chosen once, at load: AVX2 where the CPU has it, SSE2 (x86-64's baseline) otherwise.
// WSCODEC_NATIVE_XOR=sse2 forces the baseline, so tests can cover it on AVX2 machines.
bool use_avx2() {
  const char* force = std::getenv("WSCODEC_NATIVE_XOR");
  if (force != nullptr && std::strcmp(force, "sse2") == 0) return false;
  return __builtin_cpu_supports("avx2");
}
const bool avx2 = use_avx2();
const XorFn xor_impl = avx2 ? xor_avx2 : xor_sse2;
const char* const xor_name = avx2 ? "avx2" : "sse2";

inline size_t ascii_prefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    int high = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    if (high != 0) return i + size_t(__builtin_ctz(unsigned(high)));
  }
  return i;
}

#elif WSCODEC_NEON
void xor_neon(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key) {
  const uint8x16_t k = vreinterpretq_u8_u32(vdupq_n_u32(key));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) vst1q_u8(dst + i, veorq_u8(vld1q_u8(src + i), k));
  xor_tail(dst + i, src + i, n - i, key);
}
using XorFn = void (*)(uint8_t*, const uint8_t*, size_t, uint32_t);
const XorFn xor_impl = xor_neon;
const char* const xor_name = "neon";
inline size_t ascii_prefix(const uint8_t*, size_t) { return 0; }
#else
using XorFn = void (*)(uint8_t*, const uint8_t*, size_t, uint32_t);
const XorFn xor_impl = xor_tail;
const char* const xor_name = "scalar";
inline size_t ascii_prefix(const uint8_t*, size_t) { return 0; }
#endif

int32_t check_first_byte(uint32_t b0, uint32_t flags) {
  if (b0 & 0x30) return ERR_RSV_2_3;
  const uint32_t opcode = b0 & 0x0f;
  if ((opcode > 2 && opcode < 8) || opcode > 10) return ERR_OPCODE;
  if ((b0 & 0x40) && (!(flags & SCAN_ALLOW_RSV1) || opcode == 0 || opcode >= 8)) return ERR_RSV_1;
  if (opcode >= 8 && !(b0 & 0x80)) return ERR_CONTROL_FIN;
  return 0;
}

int32_t check_second_byte(uint32_t b0, uint32_t b1, uint32_t flags) {
  if (b1 & 0x80) {
    if (flags & SCAN_REJECT_MASK) return ERR_UNEXPECTED_MASK;
  } else if (flags & SCAN_REQUIRE_MASK) {
    return ERR_EXPECTED_MASK;
  }
  if ((b0 & 0x08) && (b1 & 0x7f) > 125) return ERR_CONTROL_LENGTH;
  return 0;
}

}  // namespace

void xor_in_place(uint8_t* p, size_t n, uint32_t key) { xor_impl(p, p, n, key); }
void xor_copy(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key) { xor_impl(dst, src, n, key); }
const char* simd_path() { return xor_name; }

bool set_utf8_tables(const uint8_t* classes, size_t class_count, const uint8_t* transitions, size_t transition_count) {
  if (class_count != 256 || transition_count > sizeof utf8_transitions) return false;
  std::memcpy(utf8_classes, classes, 256);
  std::memset(utf8_transitions, UTF8_REJECT, sizeof utf8_transitions);
  std::memcpy(utf8_transitions, transitions, transition_count);
  utf8_ready = true;
  return true;
}

uint32_t utf8_step(uint32_t state, const uint8_t* p, const uint8_t* end) {
  if (!utf8_ready) return UTF8_REJECT;
  while (p < end) {
    if (state == 0) {
      p += ascii_prefix(p, size_t(end - p));
      while (p < end && *p < 0x80) p++;
      if (p == end) break;
    }
    state = utf8_transitions[state + utf8_classes[*p]];
    if (state == UTF8_REJECT) return state;
    p++;
  }
  return state;
}

uint32_t scan(uint8_t* bytes, uint32_t start, uint32_t end, uint32_t flags, uint32_t max_payload,
              int32_t* table, uint32_t capacity, ScanResult* out) {
  uint32_t p = start;
  uint32_t count = 0;
  int32_t error = 0;
  int32_t partial = 0;
  uint32_t partial_key = 0;
  while (count < capacity) {
    const uint32_t avail = end - p;
    if (avail == 0) break;
    const uint32_t b0 = bytes[p];
    if ((error = check_first_byte(b0, flags)) != 0) break;
    if (avail < 2) break;
    const uint32_t b1 = bytes[p + 1];
    if ((error = check_second_byte(b0, b1, flags)) != 0) break;

    uint32_t header = 2;
    uint64_t length = b1 & 0x7f;
    if (length == 126) {
      if (avail < 4) break;
      length = (uint32_t(bytes[p + 2]) << 8) | bytes[p + 3];
      header = 4;
    } else if (length == 127) {
      if (avail < 10) break;
      length = __builtin_bswap64(load64(bytes + p + 2));
      if (length >> 63) { error = ERR_LENGTH_64; break; }
      header = 10;
    }
    if (length > max_payload && !(b0 & 0x08)) { error = ERR_TOO_BIG; break; }
    const bool masked = b1 & 0x80;
    uint32_t key = 0;
    if (masked) {
      if (avail < header + 4) break;
      key = load32(bytes + p + header);
      header += 4;
    }

    const uint32_t payload = p + header;
    const uint32_t size = uint32_t(length);
    uint32_t frame_flags = (b0 & 0x0f) | ((b0 & 0x80) >> 3) | ((b0 & 0x40) >> 1);
    int32_t* entry = table + count * ENTRY_INTS;
    count++;
    if (avail - header < size) {
      if (masked) xor_in_place(bytes + payload, end - payload, key);
      entry[ENTRY_FLAGS] = int32_t(frame_flags);
      entry[ENTRY_OFFSET] = int32_t(payload);
      entry[ENTRY_LENGTH] = int32_t(size);
      partial = 1;
      partial_key = key;
      p = end;
      break;
    }
    const uint32_t next = payload + size;
    if (masked) xor_in_place(bytes + payload, size, key);
    if (frame_flags == (1 | FRAME_FIN) && (flags & SCAN_VALIDATE_UTF8)) {
      if (utf8_step(0, bytes + payload, bytes + next) != 0) frame_flags |= FRAME_BAD_UTF8;
    }
    entry[ENTRY_FLAGS] = int32_t(frame_flags);
    entry[ENTRY_OFFSET] = int32_t(payload);
    entry[ENTRY_LENGTH] = int32_t(size);
    p = next;
  }
  out->consumed = p;
  out->error = error;
  out->partial = partial;
  out->partial_key = partial_key;
  return count;
}

}  // namespace wscodec
