/* Adler-32 (RFC 1950): A = 1 + sum of bytes, B = sum of the A values, both mod 65521.
 *
 * The decoder checksums every window it produces, so this sits on the hot path. With AVX2,
 * 32 bytes are folded per step: A gains the plain byte sum (SAD against zero) and B gains
 * 32 x (A before the block) + the byte sum weighted 32..1 (maddubs). Sums are reduced only
 * every NMAX bytes, the longest run for which the scalar B cannot overflow 32 bits; the
 * vector path combines its lanes in 64 bits. */
#include "dg/adler32.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DG_HAVE_X86 1
#endif

#define ADLER_MOD 65521u
#define NMAX 5552u

static uint32_t adler32_scalar(uint32_t adler, const uint8_t *p, size_t len) {
  uint32_t a = adler & 0xFFFF, b = adler >> 16;
  while (len > 0) {
    size_t n = len < NMAX ? len : NMAX;
    len -= n;
    while (n >= 8) {
      a += p[0]; b += a; a += p[1]; b += a; a += p[2]; b += a; a += p[3]; b += a;
      a += p[4]; b += a; a += p[5]; b += a; a += p[6]; b += a; a += p[7]; b += a;
      p += 8;
      n -= 8;
    }
    while (n--) {
      a += *p++;
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return (b << 16) | a;
}

#ifdef DG_HAVE_X86
__attribute__((target("avx2"))) static uint64_t sum_u64x4(__m256i v) {
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_extract_epi64(s, 1);
}

__attribute__((target("avx2"))) static uint64_t sum_u32x8(__m256i v) {
  __m256i wide = _mm256_add_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)),
                                   _mm256_cvtepu32_epi64(_mm256_extracti128_si256(v, 1)));
  return sum_u64x4(wide);
}

__attribute__((target("avx2"))) static uint32_t adler32_avx2(uint32_t adler, const uint8_t *p,
                                                             size_t len) {
  const __m256i weights = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
                                           19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
                                           5, 4, 3, 2, 1);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i zero = _mm256_setzero_si256();
  uint64_t a = adler & 0xFFFF, b = adler >> 16;
  while (len >= 32) {
    size_t blocks = len / 32;
    if (blocks > NMAX / 32) blocks = NMAX / 32;
    len -= blocks * 32;
    __m256i byte_sum = zero;   /* 4 x u64: bytes of the blocks so far */
    __m256i prefix_sum = zero; /* 4 x u64: sum over blocks of byte_sum before each block */
    __m256i weighted = zero;   /* 8 x u32: bytes weighted 32..1 within their block */
    for (size_t i = 0; i < blocks; i++) {
      __m256i v = _mm256_loadu_si256((const __m256i *)p);
      prefix_sum = _mm256_add_epi64(prefix_sum, byte_sum);
      byte_sum = _mm256_add_epi64(byte_sum, _mm256_sad_epu8(v, zero));
      weighted = _mm256_add_epi32(weighted, _mm256_madd_epi16(_mm256_maddubs_epi16(v, weights), ones));
      p += 32;
    }
    b += blocks * 32 * a + 32 * sum_u64x4(prefix_sum) + sum_u32x8(weighted);
    a += sum_u64x4(byte_sum);
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return adler32_scalar((uint32_t)(b << 16 | a), p, len);
}
#endif

uint32_t dg_adler32(uint32_t adler, const uint8_t *data, size_t len) {
#ifdef DG_HAVE_X86
  static int avx2 = -1;
  if (avx2 < 0) avx2 = __builtin_cpu_supports("avx2") ? 1 : 0; /* same value from any thread */
  if (avx2 && len >= 64) return adler32_avx2(adler, data, len);
#endif
  return adler32_scalar(adler, data, len);
}
