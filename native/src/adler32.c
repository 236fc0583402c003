/* Adler-32 (RFC 1950): A = 1 + sum of bytes, B = sum of the A values, both mod 65521.
 * Sums are reduced only every NMAX bytes, the largest run for which B cannot overflow
 * 32 bits; the inner loop is unrolled so the compiler can vectorise it. */
#include "dg/adler32.h"

#define ADLER_MOD 65521u
#define NMAX 5552u

uint32_t dg_adler32(uint32_t adler, const uint8_t *p, size_t len) {
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
