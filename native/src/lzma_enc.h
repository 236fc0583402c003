/* Secondary LZMA compression of VCDIFF sections, framed the way xdelta3 -d reads it:
 * one xz stream (LZMA2 filter, check NONE) per section type for the whole delta file;
 * each compressed section is varint(uncompressed length) + the bytes the stream produced
 * for that section with LZMA_SYNC_FLUSH. The stream is never finished. */
#ifndef DG_LZMA_ENC_H
#define DG_LZMA_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "encoder_internal.h"

typedef struct dg_lzma_enc dg_lzma_enc;

/* preset 0..9; dict_size 0 keeps the preset's dictionary. NULL when out of memory or when
 * liblzma refuses the options. */
dg_lzma_enc *dg_lzma_enc_new(int preset, uint32_t dict_size);
void dg_lzma_enc_free(dg_lzma_enc *z);

/* Appends the framed compressed form of in[0, len) (len > 0) to out. 0 on failure. */
int dg_lzma_enc_section(dg_lzma_enc *z, const uint8_t *in, size_t len, dg_buf *out);

/* Order-0 entropy in bits per byte of a sample (up to 64 spread 1 KiB chunks) of the
 * bytes; *counted is the number of bytes sampled. */
double dg_entropy_bits(const uint8_t *in, size_t len, size_t *counted);

/* Cheap guess whether LZMA would shrink these bytes: order-0 entropy of a sample below
 * ~7.9 bits per byte. Deflate streams and random data fail it; code, text, tables pass. */
int dg_lzma_worth_trying(const uint8_t *in, size_t len);

/* Compressed/raw size ratio of a quick trial on a sample (~48 KiB) of the bytes; used by
 * AUTO on large sections, where the trial costs little next to the real compression. */
double dg_lzma_trial_ratio(const uint8_t *in, size_t len);

#endif
