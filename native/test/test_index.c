/* Tests of the reference index (native/src/index.c): the AVX-512 fill (index_hash_x86.c)
 * must build exactly the table the portable loop builds, for references of every shape
 * and of lengths that end inside a block. */
#include <stdint.h>

#include "vcdiff/index.h"
#include "test_util.h"

/* Builds the index of ref[0, n) with the AVX-512 hashing on or off. */
static dg_index *build(const uint8_t *ref, size_t n, int hash8) {
  dg_status st;
  dg_index *idx = dg_index_alloc(ref, n, &st);
  if (!idx) return NULL;
  idx->hash8 = hash8;
  dg_index_fill(idx);
  return idx;
}

static void same_table(const char *name, const uint8_t *ref, size_t n) {
  dg_index *a = build(ref, n, 0), *b = build(ref, n, 1);
  CHECK(a && b, "%s: built", name);
  if (a && b) {
    size_t bucket = a->b32 ? sizeof(dg_bucket32) : sizeof(dg_bucket64);
    size_t bytes = bucket << a->slot_bits;
    const void *ta = a->b32 ? (const void *)a->b32 : (const void *)a->b64;
    const void *tb = b->b32 ? (const void *)b->b32 : (const void *)b->b64;
    CHECK(a->slot_bits == b->slot_bits && !memcmp(ta, tb, bytes),
          "%s (%zu bytes): the AVX-512 fill builds another table", name, n);
  }
  dg_index_free(a);
  dg_index_free(b);
}

int main(void) {
  if (!dg_idx_hash8_available()) printf("no AVX-512 here: the two fills are the same loop\n");
  size_t n = 5u << 20;
  uint8_t *ref = malloc(n);
  for (size_t i = 0; i < n; i++) ref[i] = (uint8_t)rnd();
  same_table("random", ref, n);
  for (size_t i = 0; i < n; i++) ref[i] = "abcdefgh ijklmn\n"[rnd() % 16];
  same_table("text", ref, n);
  memset(ref, 0, n / 2); /* runs: the insert's run check */
  same_table("half zeros", ref, n);
  for (size_t len = 12; len < 400; len += 7) same_table("short", ref + 1000, len);
  same_table("not a whole block", ref, n - 77);
  free(ref);
  return test_summary();
}
