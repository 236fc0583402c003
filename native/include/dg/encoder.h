/* Streaming VCDIFF encoder whose output `xdelta3 -d` decodes.
 *
 * The reference is indexed once into a dg_index (read-only afterwards, so several encoders
 * may share one index, also across threads). An encoder then takes target bytes in chunks
 * of any size and emits delta bytes window by window (VCD_SOURCE windows only, at most
 * window_size target bytes each). Matches are searched in the WHOLE reference and in the
 * target already seen inside the current window. SHA-256 of the target in the same pass. */
#ifndef DG_ENCODER_H
#define DG_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reference index ---------------------------------------------------------------- */

typedef struct dg_index dg_index;

/* Builds the match index over ref[0, ref_len). The span must outlive the index.
 * ref may be NULL with ref_len 0 (encode with no reference: self-copies only).
 * Expensive (linear in ref_len); run it off the JS thread. Memory: at most about
 * ref_len / 2 bytes. Returns NULL and sets *status on failure (may be NULL). */
dg_index *dg_index_new(const uint8_t *ref, uint64_t ref_len, dg_status *status);
/* dg_index_new in two steps (the binding builds under a SIGBUS guard and must be able to
 * free an index whose fill was cut short): alloc makes the empty table, fill reads ref. */
dg_index *dg_index_alloc(const uint8_t *ref, uint64_t ref_len, dg_status *status);
void dg_index_fill(dg_index *idx);
void dg_index_free(dg_index *idx);
uint64_t dg_index_ref_len(const dg_index *idx);
/* Bytes of heap the index holds (for external-memory accounting). */
size_t dg_index_memory(const dg_index *idx);

/* ---- encoder ------------------------------------------------------------------------ */

typedef enum {
  DG_SECONDARY_NONE = 0, /* plain RFC 3284 sections (header indicator without bit 0) */
  DG_SECONDARY_LZMA = 1, /* LZMA every section >= 10 bytes, like xdelta3's default */
  DG_SECONDARY_AUTO = 2  /* LZMA, but skip sections that would not shrink (default) */
} dg_secondary;

/* Secondary LZMA's default: our own fast LZMA2 encoder for every piece that starts afresh
 * (3x liblzma preset 1's speed on delta sections, within 0.5% of its size), except pieces
 * under 64 KiB in windows that others follow: liblzma preset 1 keeps their dictionary for
 * the next window (instruction and address sections of copy-rich deltas). */
#define DG_LZMA_PRESET_AUTO (-1)

typedef struct {
  uint32_t window_size;   /* target bytes per window; default DG_MAX_WINDOW_SIZE (16 MiB) */
  dg_secondary secondary; /* default DG_SECONDARY_AUTO */
  int lzma_preset;        /* DG_LZMA_PRESET_AUTO (default), or 0..9: liblzma's preset for
                             every piece (data dict per preset; others use 256 KiB) */
  int checksum;           /* write VCD_ADLER32 (default 1) */
  unsigned threads;       /* threads for a window's parts, LZMA pieces and hashing; 0
                             (default): one per CPU, at most 4. The delta is the same
                             whatever the value. */
  const char *app_header; /* optional application header bytes (NULL: none) */
  size_t app_header_len;
} dg_encoder_options;

void dg_encoder_options_init(dg_encoder_options *opts);

typedef struct dg_encoder dg_encoder;

/* idx may be NULL (no reference). idx must outlive the encoder. opts may be NULL.
 * Returns NULL and sets *status (may be NULL) on bad options or out of memory. */
dg_encoder *dg_encoder_new(const dg_index *idx, const dg_encoder_options *opts,
                           dg_status *status);
void dg_encoder_free(dg_encoder *enc);

/* Same contract as dg_decoder_feed: consume target bytes from `in`, write delta bytes to
 * `out`; `finish` marks the end of the target. DG_OK: call again; DG_DONE: complete. */
dg_status dg_encoder_feed(dg_encoder *enc, const uint8_t *in, size_t in_len, int finish,
                          uint8_t *out, size_t out_cap, size_t *consumed, size_t *produced);

const char *dg_encoder_error(const dg_encoder *enc);
uint64_t dg_encoder_total_in(const dg_encoder *enc);  /* target bytes consumed */
uint64_t dg_encoder_total_out(const dg_encoder *enc); /* delta bytes produced */
/* SHA-256 of the whole target; valid after DG_DONE. */
void dg_encoder_sha256(const dg_encoder *enc, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif
#endif
