/* A fast LZMA2 encoder for secondary compression of large section pieces.
 *
 * liblzma's fastest presets run at 9-15 MB/s on delta sections (new machine code, VCDIFF
 * instructions): its match finder and its symbol queue cost ~100 ns per literal. This
 * encoder parses greedily with a one-step lazy check, finds matches through three small
 * hash tables (4-byte keys, two ways; near 3-byte keys; very near 2-byte values) after
 * trying the four repeat distances, and range-codes each symbol at once, branch-free.
 * Measured on biome's delta sections: 3x liblzma preset 1's speed, sections within
 * +-0.5 % of its size. The output is ordinary LZMA2 (lc=4, lp=0, pb=0) that any LZMA2
 * decoder reads, liblzma's in xdelta3 included.
 *
 * A call writes one self-contained run of chunks: the first resets the dictionary and sets
 * the properties, a chunk that does not shrink is stored as LZMA2 uncompressed chunks, and
 * no end marker is written (the caller's xz block goes on). */
#ifndef DG_LZMA_FAST_H
#define DG_LZMA_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "vcdiff/encoder_internal.h"

/* Appends the LZMA2 chunks of in[0, len) to out, with no match reaching back more than
 * dict_size bytes (the dictionary size declared in the xz block header). 0 when out of
 * memory. */
int dg_lzma_fast_encode(const uint8_t *in, size_t len, uint32_t dict_size, dg_buf *out);

#endif
