/* Secondary LZMA decoding for xdelta3-style deltas.
 *
 * xdelta3 keeps ONE xz stream per section type (data, instructions, addresses) for the
 * whole delta file: every compressed section of that type is a sync-flushed continuation
 * of the same stream, which is never finished. So one dg_lzma_dec lives per section type
 * for the decoder's lifetime and each section's payload is fed to it in order. */
#ifndef DG_LZMA_DEC_H
#define DG_LZMA_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "dg/status.h"

typedef struct dg_lzma_dec dg_lzma_dec;

/* NULL when out of memory. */
dg_lzma_dec *dg_lzma_dec_new(void);
void dg_lzma_dec_free(dg_lzma_dec *d);

/* Decodes one section payload: consumes ALL of in[0, in_len) and produces EXACTLY out_len
 * bytes into out. On failure returns an error status and writes a short reason into
 * err[0, err_cap). After a failure the stream is unusable (the caller's decoder dies). */
dg_status dg_lzma_dec_section(dg_lzma_dec *d, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_len, char *err, size_t err_cap);

#endif
