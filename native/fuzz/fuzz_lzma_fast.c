/* libFuzzer target for the fast LZMA2 encoder (native/src/lzma_fast.c).
 *
 * Input layout: [ctl][bytes to compress]. The dictionary size is 2^(12 + ctl % 12)
 * bytes (4 KiB, liblzma's least, .. 8 MiB), so the distance limit is hit often. Each input
 * is encoded, and liblzma's LZMA2 decoder, given only that dictionary, must give the bytes
 * back exactly; anything else aborts. The input is copied into an exactly-sized heap block
 * so ASan sees any read past it. */
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lzma/lzma_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint32_t dict_size = 1u << (12 + data[0] % 12);
  size_t n = size - 1;
  uint8_t *in = malloc(n ? n : 1);
  if (!in) abort();
  memcpy(in, data + 1, n);
  dg_buf lz = {0};
  if (!dg_lzma_fast_encode(in, n, dict_size, &lz)) abort();
  /* The run of chunks has no end marker (the caller's stream goes on): add one. */
  if (!dg_buf_reserve(&lz, 1)) abort();
  lz.p[lz.n++] = 0;
  lzma_options_lzma opt;
  if (lzma_lzma_preset(&opt, 0)) abort();
  opt.dict_size = dict_size;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  uint8_t *out = malloc(n + 1);
  size_t in_pos = 0, out_pos = 0;
  lzma_ret r = lzma_raw_buffer_decode(filters, NULL, lz.p, &in_pos, lz.n, out, &out_pos, n + 1);
  if (r != LZMA_OK || in_pos != lz.n || out_pos != n || (n && memcmp(out, in, n))) abort();
  free(out);
  dg_buf_free(&lz);
  free(in);
  return 0;
}
