/* Plans the pieces of a section for secondary LZMA (see lzma_pieces.h). */
#include "lzma/lzma_pieces.h"

#include <stdlib.h>
#include <string.h>

/* Entropy is judged per block of this size: small enough to tell the text and code of a
 * mixed section from its compressed members, big enough for a stable estimate. */
#define CLASS_BLOCK 16384
/* Order-0 bits per byte below which a block is compressed. Deflate data measures ~7.99 on
 * a 16 KiB block; LZMA runs at ~8 MB/s on such bytes, so a block must promise a real gain
 * (about 1%) before it is sent through it. */
#define CLASS_BITS 7.9

static int push(dg_lzma_pieces *p, size_t off, size_t len, int compress) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 16;
    dg_lzma_piece *v = realloc(p->v, cap * sizeof *v);
    if (!v) return 0;
    memset(v + p->cap, 0, (cap - p->cap) * sizeof *v);
    p->v = v;
    p->cap = cap;
  }
  dg_lzma_piece *q = &p->v[p->n++];
  q->off = off;
  q->len = len;
  q->compress = compress;
  q->ok = q->cont = q->keep = 0;
  q->out.n = 0;
  return 1;
}

/* Adds the stretch [off, off + len): raw as one piece, compressed cut into equal pieces of
 * at most DG_LZMA_PIECE. Returns the number of compressed pieces added, -1 on failure. */
static long add_stretch(dg_lzma_pieces *p, size_t off, size_t len, int compress) {
  if (!compress) return push(p, off, len, 0) ? 0 : -1;
  size_t k = (len + DG_LZMA_PIECE - 1) / DG_LZMA_PIECE;
  for (size_t i = 0; i < k; i++) {
    size_t a = off + len * i / k, b = off + len * (i + 1) / k;
    if (!push(p, a, b - a, 1)) return -1;
  }
  return (long)k;
}

static int block_compressible(const uint8_t *in, size_t len) {
  size_t counted;
  return dg_entropy_bits(in, len, &counted) < CLASS_BITS;
}

long dg_lzma_plan(const uint8_t *in, size_t len, int all, dg_lzma_pieces *p) {
  p->n = 0;
  if (all) return add_stretch(p, 0, len, 1);
  long pieces = 0;
  size_t start = 0; /* start of the current stretch of equal class */
  int cls = -1;
  for (size_t at = 0; at < len; at += CLASS_BLOCK) {
    size_t n = len - at < CLASS_BLOCK ? len - at : CLASS_BLOCK;
    /* A short tail is judged with the block before it. */
    int c = (n < CLASS_BLOCK / 4 && cls >= 0) ? cls : block_compressible(in + at, n);
    if (c == cls) continue;
    if (cls >= 0) {
      long k = add_stretch(p, start, at - start, cls);
      if (k < 0) return -1;
      pieces += k;
    }
    start = at;
    cls = c;
  }
  if (cls >= 0) {
    long k = add_stretch(p, start, len - start, cls);
    if (k < 0) return -1;
    pieces += k;
  }
  return pieces;
}

void dg_lzma_pieces_free(dg_lzma_pieces *p) {
  for (size_t i = 0; i < p->cap; i++) dg_lzma_piece_release(&p->v[i]);
  free(p->v);
  p->v = NULL;
  p->n = p->cap = 0;
}
