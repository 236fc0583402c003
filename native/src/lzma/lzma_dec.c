/* Persistent xz/LZMA2 section decoding, cut into segments (see lzma_dec.h). */
#include "lzma/lzma_dec.h"

#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xdelta3 uses preset 0 (256 KiB dictionary); an encoder may pick up to preset 9 (64 MiB).
 * Anything needing more memory than that is refused rather than allocated. */
#define DG_LZMA_MEMLIMIT (96ull * 1024 * 1024)
/* A dictionary reset starts a new segment only this many output bytes into the current
 * one: each segment costs a decoder (and its dictionary), and a hostile delta could reset
 * at every chunk. */
#define MIN_SEGMENT (256u * 1024u)

struct dg_lzma_dec {
  int started;           /* stream and block headers read */
  lzma_options_lzma opt; /* LZMA2 options from the block header */
  lzma_stream *cont;     /* raw LZMA2 decoder continuing the stream; NULL before first use */
};

dg_lzma_dec *dg_lzma_dec_new(void) { return calloc(1, sizeof(dg_lzma_dec)); }

static void stream_free(lzma_stream *s) {
  if (!s) return;
  lzma_end(s);
  free(s);
}

void dg_lzma_dec_free(dg_lzma_dec *d) {
  if (!d) return;
  stream_free(d->cont);
  free(d);
}

void dg_lzma_segments_free(dg_lzma_segments *s) {
  for (size_t i = 0; i < s->n; i++) stream_free(s->v[i].strm);
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

static lzma_stream *stream_new(const dg_lzma_dec *d) {
  lzma_stream *s = malloc(sizeof *s);
  if (!s) return NULL;
  *s = (lzma_stream)LZMA_STREAM_INIT;
  lzma_options_lzma opt = d->opt;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  if (lzma_raw_decoder(s, filters) != LZMA_OK) {
    free(s);
    return NULL;
  }
  return s;
}

#define FAIL(st, ...) (snprintf(err, err_cap, __VA_ARGS__), (st))

/* ---- headers (the stream's first section) ------------------------------------------- */

static void free_filter_options(lzma_filter *f) {
  for (int i = 0; i < LZMA_FILTERS_MAX && f[i].id != LZMA_VLI_UNKNOWN; i++) free(f[i].options);
}

/* Reads the xz stream header and the block header at *p, advancing it. xdelta3 writes one
 * block that never ends: LZMA2 alone, no size fields. */
static dg_status read_headers(dg_lzma_dec *d, const uint8_t **p, const uint8_t *end,
                              char *err, size_t err_cap) {
  lzma_stream_flags flags;
  if (end - *p < LZMA_STREAM_HEADER_SIZE || lzma_stream_header_decode(&flags, *p) != LZMA_OK)
    return FAIL(DG_ERR_CORRUPT_DELTA, "not an xz stream");
  *p += LZMA_STREAM_HEADER_SIZE;
  if (*p == end || **p == 0)
    return FAIL(DG_ERR_CORRUPT_DELTA, "xz block header missing");
  lzma_filter filters[LZMA_FILTERS_MAX + 1];
  lzma_block block = {.version = 1, .check = flags.check, .filters = filters};
  block.header_size = lzma_block_header_size_decode(**p);
  if ((size_t)(end - *p) < block.header_size)
    return FAIL(DG_ERR_CORRUPT_DELTA, "xz block header truncated");
  if (lzma_block_header_decode(&block, NULL, *p) != LZMA_OK)
    return FAIL(DG_ERR_CORRUPT_DELTA, "bad xz block header");
  int lzma2 = filters[0].id == LZMA_FILTER_LZMA2 && filters[1].id == LZMA_VLI_UNKNOWN;
  if (lzma2) d->opt = *(const lzma_options_lzma *)filters[0].options;
  free_filter_options(filters);
  if (!lzma2) return FAIL(DG_ERR_UNSUPPORTED, "xz filter chain other than LZMA2 alone");
  if (block.compressed_size != LZMA_VLI_UNKNOWN || block.uncompressed_size != LZMA_VLI_UNKNOWN)
    return FAIL(DG_ERR_UNSUPPORTED, "xz block with declared sizes (xdelta3 never ends one)");
  lzma_filter f[2] = {{LZMA_FILTER_LZMA2, &d->opt}, {LZMA_VLI_UNKNOWN, NULL}};
  if (lzma_raw_decoder_memusage(f) > DG_LZMA_MEMLIMIT)
    return FAIL(DG_ERR_LIMIT, "LZMA stream needs more than %llu MiB of dictionary",
                (unsigned long long)(DG_LZMA_MEMLIMIT >> 20));
  *p += block.header_size;
  d->started = 1;
  return DG_OK;
}

/* ---- walking the chunks ------------------------------------------------------------- */

static int push_segment(dg_lzma_segments *s, const uint8_t *in, uint8_t *out, int fresh) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    dg_lzma_segment *v = realloc(s->v, cap * sizeof *v);
    if (!v) return 0;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = (dg_lzma_segment){.in = in, .out = out, .fresh = fresh};
  return 1;
}

/* LZMA2 chunk header at p (avail bytes): sets the header size, the payload size and the
 * output size. 0 when the header is cut short, -1 when it is not a chunk header. */
static int chunk_header(const uint8_t *p, size_t avail, size_t *hdr, size_t *packed,
                        size_t *unpacked) {
  uint8_t c = p[0];
  if (c == 1 || c == 2) { /* uncompressed; 1 resets the dictionary */
    if (avail < 3) return 0;
    *hdr = 3;
    *packed = *unpacked = ((size_t)p[1] << 8 | p[2]) + 1;
    return 1;
  }
  if (c < 0x80) return -1; /* 0 ends the stream; 3..0x7F are invalid */
  *hdr = c >= 0xC0 ? 6 : 5; /* 0xC0 and up carry a properties byte */
  if (avail < *hdr) return 0;
  *unpacked = ((size_t)(c & 0x1F) << 16 | (size_t)p[1] << 8 | p[2]) + 1;
  *packed = ((size_t)p[3] << 8 | p[4]) + 1;
  return 1;
}

/* Cuts in[0, len) at chunk boundaries: segment 0 continues the stream, and each chunk that
 * resets the dictionary and sets new properties (0xE0 and up), at least MIN_SEGMENT output
 * bytes into the current segment, starts a fresh one. Checks that the chunks tile the
 * payload and produce exactly out_len bytes. */
static dg_status walk(const uint8_t *in, size_t len, uint8_t *out, size_t out_len,
                      dg_lzma_segments *segs, char *err, size_t err_cap) {
  segs->n = 0;
  if (!push_segment(segs, in, out, 0)) return FAIL(DG_ERR_NOMEM, "out of memory");
  size_t at = 0, made = 0, seg_start = 0;
  while (at < len) {
    size_t hdr = 0, packed = 0, unpacked = 0;
    int r = chunk_header(in + at, len - at, &hdr, &packed, &unpacked);
    if (r < 0 && in[at] == 0)
      return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA stream ended (xdelta3 streams never end)");
    if (r < 0)
      return FAIL(DG_ERR_CORRUPT_DELTA, "corrupt LZMA data (LZMA2 control byte 0x%02x)", in[at]);
    if (r == 0 || len - at - hdr < packed)
      return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA section ends inside a chunk");
    if (unpacked > out_len - made)
      return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA section holds more than the %zu bytes declared",
                  out_len);
    if (in[at] >= 0xE0 && made - seg_start >= MIN_SEGMENT) {
      if (!push_segment(segs, in + at, out + made, 1)) return FAIL(DG_ERR_NOMEM, "out of memory");
      seg_start = made;
    }
    at += hdr + packed;
    made += unpacked;
  }
  if (made != out_len)
    return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA section gives %zu bytes, %zu declared", made, out_len);
  for (size_t i = 0; i < segs->n; i++) {
    dg_lzma_segment *s = &segs->v[i];
    const uint8_t *in_end = i + 1 < segs->n ? s[1].in : in + len;
    uint8_t *out_end = i + 1 < segs->n ? s[1].out : out + out_len;
    s->in_len = (size_t)(in_end - s->in);
    s->out_len = (size_t)(out_end - s->out);
  }
  segs->v[segs->n - 1].last = 1;
  return DG_OK;
}

dg_status dg_lzma_dec_plan(dg_lzma_dec *d, const uint8_t *in, size_t in_len, uint8_t *out,
                           size_t out_len, dg_lzma_segments *segs, char *err, size_t err_cap) {
  const uint8_t *p = in, *end = in + in_len;
  segs->n = 0;
  if (!d->started) {
    dg_status st = read_headers(d, &p, end, err, err_cap);
    if (st != DG_OK) return st;
  }
  return walk(p, (size_t)(end - p), out, out_len, segs, err, err_cap);
}

/* ---- decoding ----------------------------------------------------------------------- */

static dg_status lzma_failure(lzma_ret r, char *err, size_t err_cap) {
  if (r == LZMA_MEM_ERROR) return FAIL(DG_ERR_NOMEM, "out of memory in the LZMA decoder");
  if (r == LZMA_STREAM_END)
    return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA stream ended (xdelta3 streams never end)");
  if (r == LZMA_OPTIONS_ERROR) return FAIL(DG_ERR_CORRUPT_DELTA, "unsupported LZMA options");
  return FAIL(DG_ERR_CORRUPT_DELTA, "corrupt LZMA data (liblzma code %d)", (int)r);
}

/* Feeds in[0, in_len) to s and pulls exactly out_len bytes. The chunk walk has matched
 * the sizes in the headers; this catches what only decoding shows. */
static dg_status run(lzma_stream *s, const uint8_t *in, size_t in_len, uint8_t *out,
                     size_t out_len, char *err, size_t err_cap) {
  s->next_in = in;
  s->avail_in = in_len;
  s->next_out = out;
  s->avail_out = out_len;
  /* liblzma may legitimately make no progress once (state changes); twice in a row means
   * the input ran out before the output was complete. */
  int idle = 0;
  while (s->avail_out > 0) {
    size_t before_in = s->avail_in, before_out = s->avail_out;
    lzma_ret r = lzma_code(s, LZMA_RUN);
    if (r != LZMA_OK && r != LZMA_BUF_ERROR) return lzma_failure(r, err, err_cap);
    idle = (s->avail_in == before_in && s->avail_out == before_out) ? idle + 1 : 0;
    if (idle >= 2 || r == LZMA_BUF_ERROR)
      return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA section gives %zu bytes, %zu declared",
                  out_len - s->avail_out, out_len);
  }
  /* The payload must be consumed exactly and hold nothing more. A 1-byte scratch output
   * catches extra data; at least one call is made even when all input is consumed,
   * because liblzma may hold decoded bytes back. */
  idle = 0;
  do {
    uint8_t scratch;
    size_t before_in = s->avail_in;
    s->next_out = &scratch;
    s->avail_out = 1;
    lzma_ret r = lzma_code(s, LZMA_RUN);
    if (r != LZMA_OK && r != LZMA_BUF_ERROR) return lzma_failure(r, err, err_cap);
    if (s->avail_out == 0)
      return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA section holds more than the %zu bytes declared",
                  out_len);
    idle = s->avail_in == before_in ? idle + 1 : 0;
    if (s->avail_in > 0 && (idle >= 2 || r == LZMA_BUF_ERROR))
      return FAIL(DG_ERR_CORRUPT_DELTA, "LZMA section has %zu unused input bytes", s->avail_in);
  } while (s->avail_in > 0);
  return DG_OK;
}

void dg_lzma_dec_segment(dg_lzma_dec *d, dg_lzma_segment *s) {
  char *err = s->err;
  size_t err_cap = sizeof s->err;
  /* Segment 0 continues the stream; only it touches the shared decoder. */
  if (!s->fresh && !d->cont) d->cont = stream_new(d);
  lzma_stream *strm = s->fresh ? stream_new(d) : d->cont;
  if (!strm) {
    s->st = FAIL(DG_ERR_NOMEM, "out of memory creating an LZMA decoder");
    return;
  }
  s->st = run(strm, s->in, s->in_len, s->out, s->out_len, err, err_cap);
  if (!s->fresh) return;
  if (s->last && s->st == DG_OK)
    s->strm = strm; /* continues the stream after this section */
  else
    stream_free(strm);
}

dg_status dg_lzma_dec_finish(dg_lzma_dec *d, dg_lzma_segments *segs, char *err, size_t err_cap) {
  dg_status st = DG_OK;
  for (size_t i = 0; i < segs->n && st == DG_OK; i++)
    if (segs->v[i].st != DG_OK) st = FAIL(segs->v[i].st, "%s", segs->v[i].err);
  dg_lzma_segment *last = segs->n ? &segs->v[segs->n - 1] : NULL;
  if (st == DG_OK && last && last->strm) {
    stream_free(d->cont);
    d->cont = last->strm;
    last->strm = NULL;
  }
  for (size_t i = 0; i < segs->n; i++) { /* after a failure: nothing continues */
    stream_free(segs->v[i].strm);
    segs->v[i].strm = NULL;
  }
  return st;
}
