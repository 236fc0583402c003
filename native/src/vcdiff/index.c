/* Builds the reference index (see index.h): one pass over the reference, hashing every
 * position and inserting the content-sampled ones into a bucketed table whose size is
 * bounded by ref_len / 2 bytes (3/8 of it for references over 64 MiB). */
#include "vcdiff/index.h"

#include <stdlib.h>

#define MIN_SLOT_BITS 10
#define MAX_SLOT_BITS 34

/* Largest power-of-two bucket count whose table stays within ref_len / 2 bytes, 3/8 of it
 * above 64 MiB: with the mapped reference and the encoder's ~60 MiB of window state that
 * keeps the peak within 1.5 x reference + 64 MiB. (A bigger table for small references
 * finds a few more short matches in zips but halves the speed: measured, not worth it.) */
static unsigned choose_slot_bits(uint64_t ref_len, size_t bucket_size) {
  uint64_t budget = (ref_len <= (UINT64_C(64) << 20) ? ref_len / 2 : ref_len / 8 * 3) / bucket_size;
  unsigned bits = MIN_SLOT_BITS;
  while (bits < MAX_SLOT_BITS && (2ULL << bits) <= budget) bits++;
  return bits;
}

/* Densest sampling with at most ~2.5 positions per table entry (older ones are evicted).
 * Measured on the corpus: up to that, denser sampling with eviction finds more than
 * sparser sampling that fits; beyond it (1 in 4 on zips) it is slower and worse. */
static unsigned choose_sample_bits(uint64_t ref_len, unsigned slot_bits) {
  uint64_t entries = ((uint64_t)DG_IDX_WAYS << slot_bits);
  unsigned bits = 1;
  while (bits < DG_IDX_MAX_SAMPLE_BITS && 2 * (ref_len >> bits) > 5 * entries) bits++;
  return bits;
}

/* Newest position goes to way 0; older ones shift down and the oldest falls out. */
#define INSERT(k, value, t)                                              \
  do {                                                                   \
    for (unsigned w = DG_IDX_WAYS - 1; w > 0; w--) {                     \
      (k)->pos[w] = (k)->pos[w - 1];                                     \
      (k)->tag[w] = (k)->tag[w - 1];                                     \
    }                                                                    \
    (k)->pos[0] = (value);                                               \
    (k)->tag[0] = (t);                                                   \
  } while (0)

/* Buckets are random cache lines: positions are hashed a block ahead of their insertion,
 * and the sampled buckets prefetched, so several misses are in flight at once. A block of
 * 256 positions holds 32 sampled ones (16 above 64 MiB): with 64 (8) the inserts still
 * waited on memory and the fill took a third longer; 512-2048 gain nothing more. */
#define BLOCK 256

static void insert(dg_index *idx, uint64_t p, uint64_t h) {
  uint64_t b = dg_idx_bucket(idx, h);
  uint8_t tag = dg_idx_tag(idx, h);
  /* A run of identical blocks (zeros, padding) would flood one bucket with its own
   * neighbours: skip a position whose bucket already got one a few bytes back. */
  if (idx->b32) {
    dg_bucket32 *k = idx->b32 + b;
    if (k->pos[0] && k->tag[0] == tag && p - (k->pos[0] - 1) < 2 * DG_IDX_BLOCK) return;
    INSERT(k, (uint32_t)(p + 1), tag);
  } else {
    dg_bucket64 *k = idx->b64 + b;
    if (k->pos[0] && k->tag[0] == tag && p - (k->pos[0] - 1) < 2 * DG_IDX_BLOCK) return;
    INSERT(k, p + 1, tag);
  }
}

/* One block of positions to insert: the sampled ones only, with their hashes. */
typedef struct {
  uint64_t p[BLOCK], h[BLOCK];
  unsigned n;
} sampled_block;

/* Hashes positions [p, p + n), keeps the sampled ones (branch-free: which positions are
 * sampled is random, a branch per position would mispredict) and prefetches their
 * buckets. Whole blocks go eight positions at a time where the CPU has AVX-512. */
static void hash_block(const dg_index *idx, uint64_t p, unsigned n, sampled_block *out) {
  unsigned k = 0;
  if (n == BLOCK && p + BLOCK + 56 <= idx->ref_len && idx->hash8) {
    k = dg_idx_hash_block8(idx, p, n, out->p, out->h);
    n = 0;
  }
  for (unsigned i = 0; i < n; i++) {
    uint64_t h = dg_idx_hash(idx->ref + p + i);
    out->p[k] = p + i;
    out->h[k] = h;
    k += (unsigned)dg_idx_sampled(idx, h);
  }
  out->n = k;
  for (unsigned i = 0; i < k; i++) dg_idx_prefetch(idx, dg_idx_bucket(idx, out->h[i]));
}

static void fill(dg_index *idx) {
  uint64_t count = idx->ref_len - DG_IDX_BLOCK + 1; /* positions with a full block */
  sampled_block blocks[2];
  blocks[0].n = blocks[1].n = 0;
  for (uint64_t p = 0;; p += BLOCK) {
    unsigned n = p < count ? (unsigned)(count - p < BLOCK ? count - p : BLOCK) : 0;
    sampled_block *cur = &blocks[(p / BLOCK) & 1], *prev = &blocks[((p / BLOCK) & 1) ^ 1];
    if (n) hash_block(idx, p, n, cur);
    for (unsigned i = 0; i < prev->n; i++) insert(idx, prev->p[i], prev->h[i]);
    if (!n) break;
  }
}

dg_index *dg_index_new(const uint8_t *ref, uint64_t ref_len, dg_status *status) {
  dg_index *idx = dg_index_alloc(ref, ref_len, status);
  if (idx) dg_index_fill(idx);
  return idx;
}

void dg_index_fill(dg_index *idx) {
  if (idx->slot_bits) fill(idx);
}

dg_index *dg_index_alloc(const uint8_t *ref, uint64_t ref_len, dg_status *status) {
  if (status) *status = DG_OK;
  if (!ref && ref_len) {
    if (status) *status = DG_ERR_INVALID_ARGUMENT;
    return NULL;
  }
  dg_index *idx = calloc(1, sizeof *idx);
  if (!idx) goto nomem;
  idx->ref = ref;
  idx->ref_len = ref_len;
  if (ref_len < DG_IDX_BLOCK) return idx; /* nothing findable: self-copies only */
  int wide = ref_len >= UINT32_MAX;
  size_t bucket = wide ? sizeof(dg_bucket64) : sizeof(dg_bucket32);
  idx->hash8 = dg_idx_hash8_available();
  idx->slot_bits = choose_slot_bits(ref_len, bucket);
  idx->sample_bits = choose_sample_bits(ref_len, idx->slot_bits);
  size_t buckets = (size_t)1 << idx->slot_bits;
  void *table = calloc(buckets, bucket);
  if (!table) goto nomem;
  if (wide)
    idx->b64 = table;
  else
    idx->b32 = table;
  idx->memory = buckets * bucket + sizeof *idx;
  return idx;
nomem:
  free(idx);
  if (status) *status = DG_ERR_NOMEM;
  return NULL;
}

void dg_index_free(dg_index *idx) {
  if (!idx) return;
  free(idx->b32);
  free(idx->b64);
  free(idx);
}

uint64_t dg_index_ref_len(const dg_index *idx) { return idx ? idx->ref_len : 0; }

size_t dg_index_memory(const dg_index *idx) { return idx ? idx->memory : 0; }
