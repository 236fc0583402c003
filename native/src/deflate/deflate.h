/* The deflate engine: the contract between the archive transform (native/src/archive/,
 * which finds deflate streams in zip and gzip files) and the code that turns one raw
 * deflate stream (RFC 1951) into its content plus a recipe, and back, bit-exact.
 *
 * Nothing here uses the system zlib or node's zlib: their output changes between versions
 * and platforms, so a delta made against them would stop rebuilding. The re-encoder is this
 * project's own deterministic code, and a recipe names the version of its semantics.
 *
 * Encode side: dg_deflate_analyse() inflates a stream, finds the cheapest recipe that
 * rebuilds it exactly (an exact producer model, a model plus sparse corrections, a token
 * form that is exact for any encoder, or "raw" when nothing pays or the stream is not
 * valid deflate), PROVES it by rebuilding and comparing, and hands out the content and the
 * recipe through sinks. A stream whose rebuild is not exact never gets that recipe.
 *
 * Decode side: a dg_deflate_rebuilder takes the recipe and the content in pushes of any
 * size and produces the exact stream bytes, with bounded memory.
 *
 * Both sides may be given the PAIRED REFERENCE STREAM: the deflate stream of the reference
 * that holds the same entry (same zip entry name, same gzip member), as compressed bytes
 * plus its length. A recipe may then say "these blocks are the reference's blocks, bit for
 * bit (shifted to the current bit position)" and re-deflate only around the changes: that
 * is what makes decoding faster than the producer's own compression, and encoding cheaper
 * than proving every byte by a full re-deflate. Pairing is a hint: without it (NULL, 0)
 * everything still works, only slower. The decoder must be given exactly the stream the
 * encoder was given (the archive layer records the pairing in its layout). */
#ifndef DG_DEFLATE_H
#define DG_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "dg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a stream is rebuilt; the first byte of every recipe. */
typedef enum {
  DG_DEFLATE_TIER_RAW = 0,       /* keep the compressed bytes as they are (no content) */
  DG_DEFLATE_TIER_MODEL = 1,     /* an exact producer model: a few bytes of parameters */
  DG_DEFLATE_TIER_CORRECTED = 2, /* the nearest model plus sparse corrections */
  DG_DEFLATE_TIER_TOKENS = 3     /* an encoder-agnostic skeleton of the token stream */
} dg_deflate_tier;

/* What the container knows about the producer; hints narrow the search, never decide it.
 * Zero / -1 means unknown. */
typedef struct {
  int gzip_xfl;                  /* gzip XFL byte (2: slowest, 4: fastest), -1 unknown */
  int gzip_os;                   /* gzip OS byte, -1 unknown */
  int zip_version_made_by;       /* zip central directory "version made by", -1 unknown */
  int zip_flags;                 /* zip general purpose flags (bits 1-2: level class), -1 */
  uint64_t declared_size;        /* content size the container declares (untrusted), 0 */
  uint64_t max_content_size;     /* refuse (tier RAW) a stream inflating beyond this: zip
                                    bombs; 0 means DG_DEFLATE_DEFAULT_MAX_CONTENT */
  unsigned threads;              /* threads the analysis may use; 0: one */
} dg_deflate_hints;

#define DG_DEFLATE_DEFAULT_MAX_CONTENT (1ull << 36)

void dg_deflate_hints_init(dg_deflate_hints *h);

/* A sink receives output in pieces; it returns 0 to go on, non-zero to stop the call
 * (which then returns DG_ERR_IO). */
typedef int (*dg_sink_fn)(void *ctx, const uint8_t *bytes, size_t len);

typedef struct {
  dg_deflate_tier tier;
  uint64_t stream_len;  /* compressed bytes the deflate stream occupies from its start
                           (the end of its final block, rounded up to a byte) */
  uint64_t content_len; /* inflated bytes (0 for tier RAW) */
  uint64_t recipe_len;  /* recipe bytes written to the recipe sink */
  uint32_t crc32;       /* CRC-32 (IEEE) of the content, for the container's checks */
} dg_deflate_analysis;

/* Analyses the raw deflate stream that starts at in[0] (in_len bytes are available; the
 * stream may end before that: result->stream_len tells where). Writes the content to
 * `content` and the recipe to `recipe`, both in order, then returns DG_DONE.
 *
 * For tier RAW nothing is written to `content`, and the recipe is the single tier byte;
 * the caller keeps the stream's bytes itself (result->stream_len of them; when the data is
 * not valid deflate, stream_len is in_len).
 *
 * Deterministic: the same input and hints give the same recipe and content on every
 * machine and for any number of threads. Memory is bounded (a few MiB plus, for the token
 * tier, nothing that grows with the stream: the recipe streams out). `in` is read-only
 * and may be a memory mapping; the analysis may read it more than once. */
dg_status dg_deflate_analyse(const uint8_t *in, size_t in_len, const dg_deflate_hints *hints,
                             const uint8_t *ref_stream, size_t ref_stream_len,
                             dg_sink_fn content, void *content_ctx,
                             dg_sink_fn recipe, void *recipe_ctx,
                             dg_deflate_analysis *result);

/* ---- decode side ----------------------------------------------------------------------- */

typedef struct dg_deflate_rebuilder dg_deflate_rebuilder;

/* A rebuilder for one stream from its recipe and the paired reference stream given to the
 * analysis (NULL, 0 when none was). Both spans must stay valid until the rebuilder is freed. Returns NULL and sets *status on a recipe it cannot read
 * (DG_ERR_CORRUPT_DELTA) or a semantics version it does not implement (DG_ERR_UNSUPPORTED).
 * Not for tier RAW (the container copies those bytes itself). */
dg_deflate_rebuilder *dg_deflate_rebuilder_new(const uint8_t *recipe, size_t recipe_len,
                                               const uint8_t *ref_stream, size_t ref_stream_len,
                                               dg_status *status);
void dg_deflate_rebuilder_free(dg_deflate_rebuilder *r);

/* Same push contract as dg_decoder_feed: consume content bytes from `in`, write stream
 * bytes to `out`; `finish` marks the end of the content. DG_OK: call again (with more
 * input once `in` is consumed, or more room when *produced == out_cap); DG_DONE: the whole
 * stream was produced; errors: DG_ERR_CORRUPT_DELTA when content and recipe disagree
 * (content longer or shorter than the recipe says, a correction that does not apply).
 * After an error every later call returns it again. */
dg_status dg_deflate_rebuilder_feed(dg_deflate_rebuilder *r, const uint8_t *in, size_t in_len,
                                    int finish, uint8_t *out, size_t out_cap,
                                    size_t *consumed, size_t *produced);
const char *dg_deflate_rebuilder_error(const dg_deflate_rebuilder *r);

#ifdef __cplusplus
}
#endif

#endif
