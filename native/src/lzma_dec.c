/* Persistent xz/LZMA2 stream decoder for xdelta3's secondary compression (see lzma_dec.h). */
#include "lzma_dec.h"

#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>

/* xdelta3 uses preset 0 (256 KiB dictionary); an encoder may pick up to preset 9 (64 MiB).
 * Anything needing more memory than that is refused rather than allocated. */
#define DG_LZMA_MEMLIMIT (96ull * 1024 * 1024)

struct dg_lzma_dec {
  lzma_stream strm;
};

dg_lzma_dec *dg_lzma_dec_new(void) {
  dg_lzma_dec *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  lzma_stream init = LZMA_STREAM_INIT;
  d->strm = init;
  /* Check type NONE is what xdelta3 writes; no flags, so an unusual check is accepted too
   * (the block never ends, so a check is never evaluated anyway). */
  if (lzma_stream_decoder(&d->strm, DG_LZMA_MEMLIMIT, 0) != LZMA_OK) {
    free(d);
    return NULL;
  }
  return d;
}

void dg_lzma_dec_free(dg_lzma_dec *d) {
  if (!d) return;
  lzma_end(&d->strm);
  free(d);
}

static dg_status lzma_failure(lzma_ret r, char *err, size_t err_cap) {
  switch (r) {
    case LZMA_MEM_ERROR:
      snprintf(err, err_cap, "out of memory in the LZMA decoder");
      return DG_ERR_NOMEM;
    case LZMA_MEMLIMIT_ERROR:
      snprintf(err, err_cap, "LZMA stream needs more than %llu MiB of dictionary",
               (unsigned long long)(DG_LZMA_MEMLIMIT >> 20));
      return DG_ERR_LIMIT;
    case LZMA_STREAM_END:
      snprintf(err, err_cap, "LZMA stream ended (xdelta3 streams never end)");
      return DG_ERR_CORRUPT_DELTA;
    case LZMA_FORMAT_ERROR:
      snprintf(err, err_cap, "not an xz stream");
      return DG_ERR_CORRUPT_DELTA;
    case LZMA_OPTIONS_ERROR:
      snprintf(err, err_cap, "unsupported xz/LZMA options");
      return DG_ERR_CORRUPT_DELTA;
    default:
      snprintf(err, err_cap, "corrupt LZMA data (liblzma code %d)", (int)r);
      return DG_ERR_CORRUPT_DELTA;
  }
}

dg_status dg_lzma_dec_section(dg_lzma_dec *d, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_len, char *err, size_t err_cap) {
  lzma_stream *s = &d->strm;
  s->next_in = in;
  s->avail_in = in_len;
  s->next_out = out;
  s->avail_out = out_len;

  /* Pull the declared output. liblzma may legitimately make no progress once (state
   * changes); twice in a row means the input ran out before the output was complete. */
  int idle = 0;
  while (s->avail_out > 0) {
    size_t before_in = s->avail_in, before_out = s->avail_out;
    lzma_ret r = lzma_code(s, LZMA_RUN);
    if (r != LZMA_OK && r != LZMA_BUF_ERROR) return lzma_failure(r, err, err_cap);
    idle = (s->avail_in == before_in && s->avail_out == before_out) ? idle + 1 : 0;
    if (idle >= 2 || r == LZMA_BUF_ERROR) {
      snprintf(err, err_cap, "LZMA section gives %zu bytes, %zu declared",
               out_len - s->avail_out, out_len);
      return DG_ERR_CORRUPT_DELTA;
    }
  }
  /* The payload must be consumed exactly and hold nothing more: what is left may only be
   * framing that yields no bytes (e.g. a chunk header), and no decoded byte may still be
   * pending. A 1-byte scratch output catches extra data; at least one call is made even
   * when all input is consumed, because liblzma may hold decoded bytes back. */
  idle = 0;
  do {
    uint8_t scratch;
    size_t before_in = s->avail_in;
    s->next_out = &scratch;
    s->avail_out = 1;
    lzma_ret r = lzma_code(s, LZMA_RUN);
    if (r != LZMA_OK && r != LZMA_BUF_ERROR) return lzma_failure(r, err, err_cap);
    if (s->avail_out == 0) {
      snprintf(err, err_cap, "LZMA section holds more than the %zu bytes declared", out_len);
      return DG_ERR_CORRUPT_DELTA;
    }
    idle = s->avail_in == before_in ? idle + 1 : 0;
    if (s->avail_in > 0 && (idle >= 2 || r == LZMA_BUF_ERROR)) {
      snprintf(err, err_cap, "LZMA section has %zu unused input bytes", s->avail_in);
      return DG_ERR_CORRUPT_DELTA;
    }
  } while (s->avail_in > 0);
  return DG_OK;
}
