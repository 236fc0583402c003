/* Secondary LZMA decoding for xdelta3-style deltas.
 *
 * xdelta3 keeps ONE xz stream per section type (data, instructions, addresses) for the
 * whole delta file: every compressed section of that type is a sync-flushed continuation
 * of the same stream, which is never finished. So one dg_lzma_dec lives per section type
 * for the decoder's lifetime and each section's payload continues it.
 *
 * The xz stream and block headers (first section) are parsed here and the LZMA2 chunks go
 * to a raw LZMA2 decoder. Chunk headers give each chunk's sizes, so a section's payload
 * can be walked without decoding it; where a chunk resets the dictionary (our encoder
 * starts every piece that way, see lzma_enc.h) the rest of the section needs nothing
 * before it, and it becomes a segment that a fresh decoder decodes on another thread.
 * A stream without such resets (xdelta3's) is one segment per section: still, the three
 * sections of a window decode in parallel.
 *
 * Use per window: dg_lzma_dec_plan each compressed section, dg_lzma_dec_segment every
 * segment (any order, any thread; segments of one section type share its decoder only
 * through segment 0), then dg_lzma_dec_finish each section. */
#ifndef DG_LZMA_DEC_H
#define DG_LZMA_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "dg/status.h"

typedef struct dg_lzma_dec dg_lzma_dec;

typedef struct {
  const uint8_t *in;
  size_t in_len;
  uint8_t *out;
  size_t out_len;
  int fresh;    /* starts with a dictionary reset: decoded by a new decoder */
  int last;     /* the section's last segment: its decoder continues the stream */
  void *strm;   /* fresh + last: the decoder, handed to the stream by finish */
  dg_status st; /* result of dg_lzma_dec_segment */
  char err[120];
} dg_lzma_segment;

typedef struct {
  dg_lzma_segment *v;
  size_t n, cap;
} dg_lzma_segments;

/* NULL when out of memory. */
dg_lzma_dec *dg_lzma_dec_new(void);
void dg_lzma_dec_free(dg_lzma_dec *d);
void dg_lzma_segments_free(dg_lzma_segments *s);

/* Plans one section: payload in[0, in_len) must produce exactly out_len bytes into out.
 * Reads the stream headers on the stream's first section, checks every chunk header and
 * the sizes, and fills *segs. On failure returns an error status with a reason in err;
 * the stream is then unusable (the caller's decoder dies). */
dg_status dg_lzma_dec_plan(dg_lzma_dec *d, const uint8_t *in, size_t in_len, uint8_t *out,
                           size_t out_len, dg_lzma_segments *segs, char *err, size_t err_cap);

/* Decodes one planned segment; sets s->st and s->err. */
void dg_lzma_dec_segment(dg_lzma_dec *d, dg_lzma_segment *s);

/* After all segments of the section ran: the first failure, if any (reason in err), and
 * the stream continues from the section's last segment. */
dg_status dg_lzma_dec_finish(dg_lzma_dec *d, dg_lzma_segments *segs, char *err, size_t err_cap);

#endif
