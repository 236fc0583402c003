/* Adler-32: known values, and the vector path equal to a plain reference loop on random
 * data, lengths and split points (the split points cross the 32-byte blocks and NMAX runs). */
#include <stdint.h>

#include "dg/adler32.h"
#include "test_util.h"

static uint32_t reference_adler32(const uint8_t *p, size_t len) {
  uint64_t a = 1, b = 0;
  for (size_t i = 0; i < len; i++) {
    a = (a + p[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (uint32_t)(b << 16 | a);
}

int main(void) {
  CHECK(dg_adler32(1, (const uint8_t *)"", 0) == 1, "empty");
  CHECK(dg_adler32(1, (const uint8_t *)"Wikipedia", 9) == 0x11E60398, "Wikipedia");

  size_t n = 200000;
  uint8_t *buf = malloc(n);
  uint32_t seed = 12345;
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    buf[i] = (uint8_t)(seed >> 16);
  }
  for (int round = 0; round < 200; round++) {
    seed = seed * 1103515245u + 12345u;
    size_t len = (seed >> 8) % n;
    uint32_t want = reference_adler32(buf, len);
    uint32_t whole = dg_adler32(1, buf, len);
    uint32_t split = 1;
    size_t off = 0;
    while (off < len) {
      seed = seed * 1103515245u + 12345u;
      size_t k = (seed >> 8) % 7000;
      if (k > len - off) k = len - off;
      split = dg_adler32(split, buf + off, k);
      off += k;
    }
    CHECK(whole == want, "len %zu: %08x != %08x", len, whole, want);
    CHECK(split == want, "split len %zu: %08x != %08x", len, split, want);
  }
  /* All 0xFF maximises every partial sum: the overflow case. */
  memset(buf, 0xFF, n);
  CHECK(dg_adler32(1, buf, n) == reference_adler32(buf, n), "all 0xFF");
  free(buf);
  return test_summary();
}
