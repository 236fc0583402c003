/* Streaming VCDIFF (RFC 3284) decoder, reading everything xdelta3 3.0.x writes.
 *
 * zlib-style push interface: feed delta bytes in chunks of any size, collect target bytes.
 * The source (reference) is a byte span owned by the caller (typically a memory-mapped
 * file) that must stay valid and unchanged for the decoder's lifetime. The SHA-256 of the
 * produced target is computed in the same pass. No length read from the input is trusted:
 * every size is bounded before allocation and every copy is range-checked. */
#ifndef DG_DECODER_H
#define DG_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dg_decoder dg_decoder;

typedef struct {
  int verify_checksum; /* verify VCD_ADLER32 window checksums (default 1) */
} dg_decoder_options;

void dg_decoder_options_init(dg_decoder_options *opts);

/* source may be NULL with source_len 0 (deltas without VCD_SOURCE windows).
 * opts may be NULL for defaults. Returns NULL only when out of memory. */
dg_decoder *dg_decoder_new(const uint8_t *source, uint64_t source_len,
                           const dg_decoder_options *opts);
void dg_decoder_free(dg_decoder *dec);

/* Consume up to in_len bytes of delta from `in` and write up to out_cap bytes of target
 * to `out`. *consumed and *produced are set to what was used. Set `finish` when `in`
 * holds the last bytes of the delta (in_len may then be 0).
 *
 * Returns DG_OK while work remains (call again: with more input once all of `in` was
 * consumed, or with fresh output space if *produced == out_cap), DG_DONE once `finish` was
 * given, the whole delta parsed and every target byte delivered, or an error status. After
 * an error the decoder is dead: every later call returns the same error. */
dg_status dg_decoder_feed(dg_decoder *dec, const uint8_t *in, size_t in_len, int finish,
                          uint8_t *out, size_t out_cap, size_t *consumed, size_t *produced);

/* Human-readable detail of the last error (never NULL; "" when none). */
const char *dg_decoder_error(const dg_decoder *dec);

/* Target bytes produced so far. */
uint64_t dg_decoder_total_out(const dg_decoder *dec);

/* SHA-256 of the whole target; valid after DG_DONE. */
void dg_decoder_sha256(const dg_decoder *dec, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif
#endif
