/* Reference index internals shared by index.c and the encoder's match finder.
 *
 * The index samples the reference by CONTENT, not by position: a position p is indexed
 * when the hash of ref[p, p + DG_IDX_BLOCK) has its sampling bits zero (about one position
 * in 2^sample_bits). The target scanner applies the same test, so it only probes the table
 * (a likely cache miss) at about one target position in 2^sample_bits, yet any match
 * longer than DG_IDX_BLOCK plus a few sampling gaps is still found, wherever it lies in
 * the reference. Buckets hold DG_IDX_WAYS entries in one cache line half. */
#ifndef DG_INDEX_H
#define DG_INDEX_H

#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "dg/encoder.h"

#define DG_IDX_BLOCK 12 /* bytes hashed per indexed position: shortest findable match */
#define DG_IDX_MAX_SAMPLE_BITS 4
#define DG_IDX_WAYS 3 /* entries per bucket; a bucket is 16 bytes (32 with 64-bit positions) */

/* Positions are stored + 1 (0 = empty). Each entry has an 8-bit tag of its hash so most
 * wrong candidates are rejected without touching the reference (a cache miss). */
typedef struct {
  uint32_t pos[DG_IDX_WAYS];
  uint8_t tag[DG_IDX_WAYS];
  uint8_t unused;
} dg_bucket32;

typedef struct {
  uint64_t pos[DG_IDX_WAYS];
  uint8_t tag[DG_IDX_WAYS];
  uint8_t unused[5];
} dg_bucket64;

struct dg_index {
  const uint8_t *ref;
  uint64_t ref_len;
  unsigned slot_bits;   /* table has 2^slot_bits buckets */
  unsigned sample_bits; /* one position in 2^sample_bits is indexed (by content) */
  dg_bucket32 *b32;     /* when ref_len < 2^32 - 1 */
  dg_bucket64 *b64;     /* larger references */
  size_t memory;
  int hash8;            /* the fill hashes with AVX-512 (dg_idx_hash_block8) */
};

/* 64-bit hash of the DG_IDX_BLOCK bytes at p (its top bits are well mixed). */
static inline uint64_t dg_idx_hash(const uint8_t *p) {
#if DG_IDX_BLOCK == 8
  uint64_t h = dg_load64(p) * 0x9E3779B185EBCA87ULL;
#elif DG_IDX_BLOCK == 12
  uint64_t h = dg_load64(p) * 0x9E3779B185EBCA87ULL ^ dg_load32(p + 8) * 0xC2B2AE3D27D4EB4FULL;
#else
  uint64_t h = dg_load64(p) * 0x9E3779B185EBCA87ULL ^ dg_load64(p + 8) * 0xC2B2AE3D27D4EB4FULL;
#endif
  /* Only the top bits are used (bucket, sampling, tag), and the top bits of a product
   * already depend on every input bit: no final mixing step needed. */
  return h;
}

/* Sampling bits sit just below the bucket bits, so they are independent of the bucket. */
static inline int dg_idx_sampled(const dg_index *idx, uint64_t h) {
  return ((h >> (64 - idx->slot_bits - DG_IDX_MAX_SAMPLE_BITS)) &
          ((1u << idx->sample_bits) - 1)) == 0;
}

static inline uint64_t dg_idx_bucket(const dg_index *idx, uint64_t h) {
  return h >> (64 - idx->slot_bits);
}

static inline uint8_t dg_idx_tag(const dg_index *idx, uint64_t h) {
  return (uint8_t)(h >> (64 - idx->slot_bits - DG_IDX_MAX_SAMPLE_BITS - 8));
}

static inline void dg_idx_prefetch(const dg_index *idx, uint64_t b) {
  if (idx->b32)
    __builtin_prefetch(idx->b32 + b);
  else
    __builtin_prefetch(idx->b64 + b);
}

/* The index fill's hashing with AVX-512 (index_hash_x86.c): when available, hashes the n
 * positions p..p+n-1 (n a multiple of 8; reads ref[p, p + n + 56)) and stores the sampled
 * ones and their hashes in order; returns how many. Same hashes as dg_idx_hash. */
int dg_idx_hash8_available(void);
unsigned dg_idx_hash_block8(const dg_index *idx, uint64_t p, unsigned n, uint64_t *pos,
                            uint64_t *hash);

/* Fills pos[] with the positions (not + 1) of bucket b whose tag matches; returns count. */
static inline unsigned dg_idx_lookup(const dg_index *idx, uint64_t b, uint8_t tag,
                                     uint64_t pos[DG_IDX_WAYS]) {
  unsigned n = 0;
  if (idx->b32) {
    const dg_bucket32 *k = idx->b32 + b;
    for (unsigned w = 0; w < DG_IDX_WAYS; w++)
      if (k->pos[w] && k->tag[w] == tag) pos[n++] = k->pos[w] - 1;
  } else {
    const dg_bucket64 *k = idx->b64 + b;
    for (unsigned w = 0; w < DG_IDX_WAYS; w++)
      if (k->pos[w] && k->tag[w] == tag) pos[n++] = k->pos[w] - 1;
  }
  return n;
}

#endif
