/* SHA-256 block function using the x86 SHA extensions (SHA-NI), and the run-time choice
 * between it and the portable one.
 *
 * The SHA instructions keep the eight working variables in two registers laid out as
 * ABEF and CDGH (A in the top lane). SHA256RNDS2 does two rounds: it takes CDGH, ABEF and
 * two pre-added W[t]+K[t] words in its low 64 bits and returns the new ABEF; the old ABEF
 * is then the new CDGH, so the two registers simply swap roles every two rounds.
 * SHA256MSG1/MSG2 compute the sigma0/sigma1 parts of the message schedule, four words
 * at a time.
 *
 * The function is compiled for "sha,sse4.1,ssse3" through a target attribute, so the file
 * builds with the project's default flags; it is only ever called after CPUID said yes. */
#include <stdatomic.h>

#include "common/sha256_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#define DG_SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Two rounds with the low half of W+K, two with the high half. */
#define DG_FOUR_ROUNDS(wk_expr)                                         \
  do {                                                                  \
    const __m128i wk = (wk_expr);                                       \
    const __m128i abef_next = _mm_sha256rnds2_epu32(cdgh, abef, wk);    \
    cdgh = abef;                                                        \
    abef = _mm_sha256rnds2_epu32(cdgh, abef_next, _mm_shuffle_epi32(wk, 0x0E)); \
    cdgh = abef_next;                                                   \
  } while (0)

/* W[t..t+3] from the previous sixteen words held as w0 = W[t-16..t-13] ... w3 = W[t-4..t-1]:
 * W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]. */
DG_SHANI_TARGET static inline __m128i next_words(__m128i w0, __m128i w1, __m128i w2,
                                                 __m128i w3) {
  __m128i partial = _mm_sha256msg1_epu32(w0, w1);           /* W[t-16] + sigma0(W[t-15]) */
  partial = _mm_add_epi32(partial, _mm_alignr_epi8(w3, w2, 4)); /* + W[t-7] */
  return _mm_sha256msg2_epu32(partial, w3);                 /* + sigma1(W[t-2]) */
}

DG_SHANI_TARGET static void sha256_blocks_shani(uint32_t state[8], const uint8_t *p,
                                                size_t nblocks) {
  /* Byte-swaps each 32-bit lane: the message words are big-endian. */
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  const __m128i *k = (const __m128i *)dg_sha256_k();

  /* state[] is A..H in order; build ABEF and CDGH (A, C in the top lanes). */
  __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

  while (nblocks--) {
    const __m128i abef_saved = abef, cdgh_saved = cdgh;
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
    __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
    __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
    __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);

    DG_FOUR_ROUNDS(_mm_add_epi32(w0, _mm_loadu_si128(k + 0)));
    DG_FOUR_ROUNDS(_mm_add_epi32(w1, _mm_loadu_si128(k + 1)));
    DG_FOUR_ROUNDS(_mm_add_epi32(w2, _mm_loadu_si128(k + 2)));
    DG_FOUR_ROUNDS(_mm_add_epi32(w3, _mm_loadu_si128(k + 3)));
    /* Rounds 16..63: each step replaces the oldest four words with the next four. */
    for (int g = 4; g < 16; g += 4) {
      w0 = next_words(w0, w1, w2, w3);
      DG_FOUR_ROUNDS(_mm_add_epi32(w0, _mm_loadu_si128(k + g)));
      w1 = next_words(w1, w2, w3, w0);
      DG_FOUR_ROUNDS(_mm_add_epi32(w1, _mm_loadu_si128(k + g + 1)));
      w2 = next_words(w2, w3, w0, w1);
      DG_FOUR_ROUNDS(_mm_add_epi32(w2, _mm_loadu_si128(k + g + 2)));
      w3 = next_words(w3, w0, w1, w2);
      DG_FOUR_ROUNDS(_mm_add_epi32(w3, _mm_loadu_si128(k + g + 3)));
    }

    abef = _mm_add_epi32(abef, abef_saved);
    cdgh = _mm_add_epi32(cdgh, cdgh_saved);
    p += 64;
  }

  /* Back to A..H order. */
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

static int cpu_has_shani(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  const int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
  if (!ssse3 || !sse41) return 0;
  if (__get_cpuid_max(0, 0) < 7) return 0;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  return (ebx >> 29) & 1; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}

static dg_sha256_blocks_fn detect(void) {
  return cpu_has_shani() ? sha256_blocks_shani : dg_sha256_blocks_portable;
}
#else
static dg_sha256_blocks_fn detect(void) { return dg_sha256_blocks_portable; }
#endif

/* CPUID is slow (and traps in VMs), so the answer is cached; racing first calls just
 * store the same pointer. */
static _Atomic(dg_sha256_blocks_fn) chosen;

dg_sha256_blocks_fn dg_sha256_blocks_best(void) {
  dg_sha256_blocks_fn fn = atomic_load_explicit(&chosen, memory_order_relaxed);
  if (!fn) {
    fn = detect();
    atomic_store_explicit(&chosen, fn, memory_order_relaxed);
  }
  return fn;
}
