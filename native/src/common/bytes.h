/* Unaligned little-endian loads and the common-prefix length: the inner loops of match
 * finding (encoder_match.c, the index, lzma_fast.c). */
#ifndef DG_BYTES_H
#define DG_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t dg_load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline uint32_t dg_load32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Length of the common prefix of a and b, at most max: 8 bytes per compare. */
static inline size_t dg_common_prefix(const uint8_t *a, const uint8_t *b, size_t max) {
  size_t n = 0;
  while (n + 8 <= max) {
    uint64_t x = dg_load64(a + n) ^ dg_load64(b + n);
    if (x) return n + ((size_t)__builtin_ctzll(x) >> 3);
    n += 8;
  }
  while (n < max && a[n] == b[n]) n++;
  return n;
}

#endif
