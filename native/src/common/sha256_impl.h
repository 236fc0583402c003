/* Internal: SHA-256 block functions and run-time selection. */
#ifndef DG_SHA256_IMPL_H
#define DG_SHA256_IMPL_H
#include <stddef.h>
#include <stdint.h>

typedef void (*dg_sha256_blocks_fn)(uint32_t state[8], const uint8_t *p, size_t nblocks);

void dg_sha256_blocks_portable(uint32_t state[8], const uint8_t *p, size_t nblocks);
/* The best block function this CPU supports (SHA-NI when present). */
dg_sha256_blocks_fn dg_sha256_blocks_best(void);
const uint32_t *dg_sha256_k(void);

#endif
