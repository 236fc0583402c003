/* Cutting a section into pieces for secondary LZMA (see lzma_enc.h): which stretches are
 * worth compressing, and pieces small enough that a window's sections keep every core
 * busy, yet big enough that starting each with an empty dictionary costs little. */
#ifndef DG_LZMA_PIECES_H
#define DG_LZMA_PIECES_H

#include "lzma/lzma_enc.h"

/* Longest compressed piece. The data dictionary is 1 MiB (preset 1); measured on the
 * corpus, 2 MiB pieces cost <0.5% in size. */
#define DG_LZMA_PIECE (2u << 20)

typedef struct {
  dg_lzma_piece *v;
  size_t n, cap;
} dg_lzma_pieces;

/* Replaces the plan in *p with one for in[0, len): every byte compressed when `all`, else
 * only the stretches whose order-0 entropy (per 16 KiB block) says LZMA will shrink them.
 * Returns the number of compressed pieces, or -1 when out of memory. The pieces' output
 * buffers are kept for reuse. */
long dg_lzma_plan(const uint8_t *in, size_t len, int all, dg_lzma_pieces *p);
void dg_lzma_pieces_free(dg_lzma_pieces *p);

#endif
