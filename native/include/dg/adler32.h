/* Adler-32 as used by xdelta3's VCD_ADLER32 window checksum (zlib definition). */
#ifndef DG_ADLER32_H
#define DG_ADLER32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Continue an Adler-32 from `adler` (start with 1) over `len` bytes. */
uint32_t dg_adler32(uint32_t adler, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
