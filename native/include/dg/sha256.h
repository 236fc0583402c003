/* SHA-256 (FIPS 180-4), streaming. Uses the x86 SHA extensions when the CPU has them
 * (checked once at run time), a portable C implementation otherwise. */
#ifndef DG_SHA256_H
#define DG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t state[8];
  uint64_t total_len; /* bytes hashed so far */
  uint8_t block[64];  /* partial block */
  size_t block_len;
} dg_sha256_ctx;

void dg_sha256_init(dg_sha256_ctx *ctx);
void dg_sha256_update(dg_sha256_ctx *ctx, const uint8_t *data, size_t len);
void dg_sha256_final(dg_sha256_ctx *ctx, uint8_t digest[32]);

/* One-shot helper. */
void dg_sha256(const uint8_t *data, size_t len, uint8_t digest[32]);

/* "sha-ni" or "portable": which block function is in use (for diagnostics/benchmarks). */
const char *dg_sha256_impl(void);

/* Lowercase hex of a digest into out[65] (NUL-terminated). */
void dg_hex(const uint8_t *bytes, size_t len, char *out);

#ifdef __cplusplus
}
#endif
#endif
