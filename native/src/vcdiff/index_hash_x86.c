/* The index fill's hot loop with AVX-512 (see index.h): hashing every reference position is
 * most of the fill's time (the table inserts are only the sampled ones). Eight positions
 * are hashed at once: one 64-byte load, byte permutations (VBMI) that cut out each
 * position's 8- and 4-byte words, two 64-bit multiplies (DQ); the sampled positions are
 * compress-stored. The hashes are exactly dg_idx_hash's, so the table is the same as the
 * portable loop's, byte for byte. */
#include "vcdiff/index.h"

#if (defined(__x86_64__) || defined(__i386__)) && DG_IDX_BLOCK == 12
#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vbmi")))

int dg_idx_hash8_available(void) {
  static int known = -1; /* the same value from any thread */
  if (known < 0)
    known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
  return known;
}

/* Byte permutations: lane i (8 bytes) of `words8` takes bytes i..i+7 of the load; lane i of
 * `words4` takes bytes 8+i..11+i in its low half (the high half is zeroed by the mask). */
AVX512_TARGET static __m512i permutation(int offset) {
  uint8_t idx[64];
  for (int i = 0; i < 8; i++)
    for (int k = 0; k < 8; k++) idx[8 * i + k] = (uint8_t)(offset + i + k);
  return _mm512_loadu_si512(idx);
}

AVX512_TARGET unsigned dg_idx_hash_block8(const dg_index *idx, uint64_t p, unsigned n,
                                          uint64_t *pos, uint64_t *hash) {
  const __m512i words8 = permutation(0), words4 = permutation(8);
  const __mmask64 low4 = 0x0F0F0F0F0F0F0F0FULL;
  const __m512i k1 = _mm512_set1_epi64((long long)0x9E3779B185EBCA87ULL);
  const __m512i k2 = _mm512_set1_epi64((long long)0xC2B2AE3D27D4EB4FULL);
  const __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m128i sample_shift =
      _mm_cvtsi32_si128(64 - (int)idx->slot_bits - DG_IDX_MAX_SAMPLE_BITS);
  const __m512i sample_mask = _mm512_set1_epi64((long long)((1u << idx->sample_bits) - 1));
  unsigned k = 0;
  for (unsigned j = 0; j < n; j += 8) {
    __m512i bytes = _mm512_loadu_si512(idx->ref + p + j);
    __m512i w8 = _mm512_permutexvar_epi8(words8, bytes);
    __m512i w4 = _mm512_maskz_permutexvar_epi8(low4, words4, bytes);
    __m512i h = _mm512_xor_si512(_mm512_mullo_epi64(w8, k1), _mm512_mullo_epi64(w4, k2));
    __m512i sampled = _mm512_and_si512(_mm512_srl_epi64(h, sample_shift), sample_mask);
    __mmask8 keep = _mm512_cmpeq_epi64_mask(sampled, _mm512_setzero_si512());
    __m512i at = _mm512_add_epi64(_mm512_set1_epi64((long long)(p + j)), lanes);
    _mm512_mask_compressstoreu_epi64(pos + k, keep, at);
    _mm512_mask_compressstoreu_epi64(hash + k, keep, h);
    k += (unsigned)__builtin_popcount(keep);
  }
  return k;
}

#else

int dg_idx_hash8_available(void) { return 0; }

unsigned dg_idx_hash_block8(const dg_index *idx, uint64_t p, unsigned n, uint64_t *pos,
                            uint64_t *hash) {
  (void)idx, (void)p, (void)n, (void)pos, (void)hash;
  return 0;
}

#endif
