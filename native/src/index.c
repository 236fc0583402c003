/* Builds the reference index (see index.h): one pass over the reference, hashing every
 * position and inserting the content-sampled ones into a bucketed table whose size is
 * bounded by ref_len / 2 bytes. */
#include "index.h"

#include <stdlib.h>

#define MIN_SLOT_BITS 10
#define MAX_SLOT_BITS 34

/* Largest power-of-two bucket count whose table stays within ref_len / 2 bytes. */
static unsigned choose_slot_bits(uint64_t ref_len, size_t bucket_size) {
  uint64_t budget = ref_len / 2 / bucket_size;
  unsigned bits = MIN_SLOT_BITS;
  while (bits < MAX_SLOT_BITS && (2ULL << bits) <= budget) bits++;
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

/* Buckets are random cache lines: hashing runs PREFETCH_AHEAD positions in front of the
 * insertions so the line is on its way before it is needed. */
#define PREFETCH_AHEAD 64

static void fill(dg_index *idx) {
  const uint8_t *ref = idx->ref;
  uint64_t last = idx->ref_len - DG_IDX_BLOCK;
  for (uint64_t p = 0; p <= last; p++) {
    if (p + PREFETCH_AHEAD <= last) {
      uint64_t ha = dg_idx_hash(ref + p + PREFETCH_AHEAD);
      if (dg_idx_sampled(idx, ha)) dg_idx_prefetch(idx, dg_idx_bucket(idx, ha));
    }
    uint64_t h = dg_idx_hash(ref + p);
    if (!dg_idx_sampled(idx, h)) continue;
    uint64_t b = dg_idx_bucket(idx, h);
    uint8_t tag = dg_idx_tag(idx, h);
    /* A run of identical blocks (zeros, padding) would flood one bucket with its own
     * neighbours: skip a position whose bucket already got one a few bytes back. */
    if (idx->b32) {
      dg_bucket32 *k = idx->b32 + b;
      if (k->pos[0] && k->tag[0] == tag && p - (k->pos[0] - 1) < 2 * DG_IDX_BLOCK) continue;
      INSERT(k, (uint32_t)(p + 1), tag);
    } else {
      dg_bucket64 *k = idx->b64 + b;
      if (k->pos[0] && k->tag[0] == tag && p - (k->pos[0] - 1) < 2 * DG_IDX_BLOCK) continue;
      INSERT(k, p + 1, tag);
    }
  }
}

dg_index *dg_index_new(const uint8_t *ref, uint64_t ref_len, dg_status *status) {
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
  idx->slot_bits = choose_slot_bits(ref_len, bucket);
  size_t buckets = (size_t)1 << idx->slot_bits;
  void *table = calloc(buckets, bucket);
  if (!table) goto nomem;
  if (wide)
    idx->b64 = table;
  else
    idx->b32 = table;
  idx->memory = buckets * bucket + sizeof *idx;
  fill(idx);
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
