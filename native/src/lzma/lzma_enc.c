/* Secondary LZMA sections for the encoder, assembled from LZMA2 chunks (see lzma_enc.h). */
#include "lzma/lzma_enc.h"

#include <lzma.h>
#include <stdlib.h>
#include <string.h>

#include "lzma/lzma_fast.h"
#include "vcdiff/vcdiff.h"

#define LZMA2_RAW_CHUNK 65536 /* most bytes one uncompressed LZMA2 chunk holds */
#define LZMA2_DICT_RESET_RAW 0x01 /* control byte: uncompressed chunk, dictionary reset */
#define LZMA2_RAW 0x02            /* control byte: uncompressed chunk */

void dg_lzma_stream_init(dg_lzma_stream *z, int preset, uint32_t dict_size) {
  z->fast = preset == DG_LZMA_PRESET_AUTO;
  z->preset = z->fast ? DG_LZMA_SMALL_PRESET : preset;
  z->dict_size = dict_size;
  z->started = 0;
  z->tail = NULL;
}

static void encoder_free(void *strm) {
  if (!strm) return;
  lzma_end(strm);
  free(strm);
}

void dg_lzma_stream_free(dg_lzma_stream *z) {
  encoder_free(z->tail);
  z->tail = NULL;
}

void dg_lzma_link(const dg_lzma_stream *z, dg_lzma_piece *pieces, size_t n, int last) {
  for (size_t i = 0; i < n; i++) pieces[i].cont = pieces[i].keep = pieces[i].fast = 0;
  if (!n) return;
  pieces[0].cont = pieces[0].compress && z->tail;
  /* Small pieces go through liblzma while a later window may continue their dictionary:
   * for a few KiB of instructions that matters more than speed (the tar deltas grow
   * 0.6 % without it). In the last window nothing continues them. */
  for (size_t i = 0; i < n; i++)
    pieces[i].fast = z->fast && pieces[i].compress && !pieces[i].cont &&
                     (last || pieces[i].len >= DG_LZMA_FAST_MIN);
  pieces[n - 1].keep = pieces[n - 1].compress && !pieces[n - 1].fast;
}

static int stream_options(const dg_lzma_stream *z, lzma_options_lzma *opt) {
  if (lzma_lzma_preset(opt, (uint32_t)z->preset)) return 0;
  if (z->dict_size) opt->dict_size = z->dict_size;
  /* Fast presets: shorter "nice" matches are ~6% faster on delta sections for +0.01%. */
  if (z->preset <= 3) opt->nice_len = 16;
  return 1;
}

/* A raw LZMA2 encoder: its first chunk resets the dictionary and sets the properties. */
static lzma_stream *encoder_new(const dg_lzma_stream *z) {
  lzma_options_lzma opt;
  if (!stream_options(z, &opt)) return NULL;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  lzma_stream *strm = malloc(sizeof *strm);
  if (!strm) return NULL;
  *strm = (lzma_stream)LZMA_STREAM_INIT;
  if (lzma_raw_encoder(strm, filters) != LZMA_OK) {
    free(strm);
    return NULL;
  }
  return strm;
}

void dg_lzma_compress_piece(const dg_lzma_stream *z, const uint8_t *section, dg_lzma_piece *p) {
  p->ok = 0;
  p->out.n = 0;
  p->kept = NULL;
  if (p->fast) {
    lzma_options_lzma opt;
    if (stream_options(z, &opt))
      p->ok = dg_lzma_fast_encode(section + p->off, p->len, opt.dict_size, &p->out);
    return;
  }
  lzma_stream *strm = p->cont ? z->tail : encoder_new(z);
  if (!strm) return;
  /* The piece kept for the next section is only sync-flushed: its chunks are complete and
   * the stream goes on. Any other one is finished. */
  lzma_action action = p->keep ? LZMA_SYNC_FLUSH : LZMA_FINISH;
  strm->next_in = section + p->off;
  strm->avail_in = p->len;
  lzma_ret r = LZMA_OK;
  while (r == LZMA_OK) {
    if (p->out.cap - p->out.n < 4096 &&
        !dg_buf_reserve(&p->out, p->out.cap > p->len / 2 ? p->out.cap : p->len / 2 + 4096))
      break;
    strm->next_out = p->out.p + p->out.n;
    strm->avail_out = p->out.cap - p->out.n;
    r = lzma_code(strm, action);
    p->out.n = p->out.cap - strm->avail_out;
  }
  if (p->keep && r == LZMA_STREAM_END) { /* the flush is complete */
    p->kept = strm;
    p->ok = 1;
    return;
  }
  /* The stream's own encoder is released by dg_lzma_assemble, never here. */
  if (!p->cont) encoder_free(strm);
  /* A finished raw LZMA2 stream ends with the end-of-payload control byte 0: dropped, the
   * xz block goes on (xdelta3 treats an ended stream as an error). */
  if (r != LZMA_STREAM_END || !p->out.n || p->out.p[p->out.n - 1] != 0) return;
  p->out.n--;
  p->ok = 1;
}

/* The xz stream header and the block header (check NONE, LZMA2 with the stream's
 * dictionary size, no size fields: the block never ends); with out NULL, only their size.
 * 0 on failure. */
static size_t put_headers(const dg_lzma_stream *z, dg_buf *out) {
  lzma_options_lzma opt;
  if (!stream_options(z, &opt)) return 0;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  lzma_stream_flags flags = {.version = 0, .check = LZMA_CHECK_NONE};
  lzma_block block = {.version = 0, .check = LZMA_CHECK_NONE, .filters = filters,
                      .compressed_size = LZMA_VLI_UNKNOWN,
                      .uncompressed_size = LZMA_VLI_UNKNOWN};
  if (lzma_block_header_size(&block) != LZMA_OK) return 0;
  size_t size = LZMA_STREAM_HEADER_SIZE + block.header_size;
  if (!out) return size;
  if (!dg_buf_reserve(out, size)) return 0;
  if (lzma_stream_header_encode(&flags, out->p + out->n) != LZMA_OK) return 0;
  out->n += LZMA_STREAM_HEADER_SIZE;
  if (lzma_block_header_encode(&block, out->p + out->n) != LZMA_OK) return 0;
  out->n += block.header_size;
  return size;
}

static size_t raw_chunks_size(size_t len) {
  return len + 3 * ((len + LZMA2_RAW_CHUNK - 1) / LZMA2_RAW_CHUNK);
}

/* in[0, len) as uncompressed chunks, the first resetting the dictionary (the piece after
 * may be compressed against nothing but itself; the decoder's dictionary must agree). */
static int put_raw_chunks(const uint8_t *in, size_t len, dg_buf *out) {
  if (!dg_buf_reserve(out, raw_chunks_size(len))) return 0;
  for (size_t at = 0; at < len; at += LZMA2_RAW_CHUNK) {
    size_t n = len - at < LZMA2_RAW_CHUNK ? len - at : LZMA2_RAW_CHUNK;
    uint8_t *q = out->p + out->n;
    q[0] = at == 0 ? LZMA2_DICT_RESET_RAW : LZMA2_RAW;
    q[1] = (uint8_t)((n - 1) >> 8);
    q[2] = (uint8_t)(n - 1);
    memcpy(q + 3, in + at, n);
    out->n += 3 + n;
  }
  return 1;
}

void dg_lzma_piece_release(dg_lzma_piece *p) {
  encoder_free(p->kept);
  p->kept = NULL;
  dg_buf_free(&p->out);
}

size_t dg_lzma_framed_size(const dg_lzma_stream *z, size_t len, const dg_lzma_piece *pieces,
                           size_t n) {
  size_t size = (size_t)vcd_varint_len(len);
  if (!z->started) {
    size_t headers = put_headers(z, NULL);
    if (!headers) return 0;
    size += headers;
  }
  for (size_t i = 0; i < n; i++)
    size += pieces[i].compress ? pieces[i].out.n : raw_chunks_size(pieces[i].len);
  return size;
}

int dg_lzma_assemble(dg_lzma_stream *z, const uint8_t *section, size_t len,
                     dg_lzma_piece *pieces, size_t n, dg_buf *out) {
  if (!dg_buf_reserve(out, 10)) return 0;
  out->n += (size_t)vcd_varint_put(out->p + out->n, len);
  if (!z->started) {
    if (!put_headers(z, out)) return 0;
    z->started = 1;
  }
  /* The kept encoder changes hands: the old one was used up (continued and kept, or
   * finished), or the dictionary moved on without it (uncompressed chunks reset it). */
  void *kept = n && pieces[n - 1].keep ? pieces[n - 1].kept : NULL;
  if (z->tail != kept) encoder_free(z->tail);
  z->tail = kept;
  if (n) pieces[n - 1].kept = NULL;
  for (size_t i = 0; i < n; i++) {
    const dg_lzma_piece *p = &pieces[i];
    if (!p->compress) {
      if (!put_raw_chunks(section + p->off, p->len, out)) return 0;
      continue;
    }
    if (!p->ok || !dg_buf_reserve(out, p->out.n)) return 0;
    memcpy(out->p + out->n, p->out.p, p->out.n);
    out->n += p->out.n;
  }
  return 1;
}

/* log2(x) for x >= 1, within ~0.01 (no libm needed): exponent from the leading bit,
 * mantissa through a quadratic fit of log2(1 + f). */
static double log2_approx(uint32_t x) {
  int e = 31 - __builtin_clz(x);
  double f = (double)x / (double)(1u << e) - 1.0;
  return e + f * (1.3465 - 0.3465 * f);
}

double dg_entropy_bits(const uint8_t *in, size_t len, size_t *counted_out) {
  /* Sample up to 64 chunks of 1 KiB spread over the bytes. */
  uint32_t hist[256] = {0};
  size_t chunk = 1024, chunks = len / chunk, counted = 0;
  if (chunks <= 64) {
    for (size_t i = 0; i < len; i++) hist[in[i]]++;
    counted = len;
  } else {
    size_t stride = len / 64;
    for (size_t c = 0; c < 64; c++) {
      const uint8_t *p = in + c * stride;
      for (size_t i = 0; i < chunk; i++) hist[p[i]]++;
    }
    counted = 64 * chunk;
  }
  *counted_out = counted;
  if (!counted) return 8.0;
  /* entropy = log2(N) - sum(c * log2(c)) / N */
  double sum = 0;
  for (int i = 0; i < 256; i++)
    if (hist[i]) sum += hist[i] * log2_approx(hist[i]);
  return log2_approx((uint32_t)counted) - sum / (double)counted;
}

/* Trial compression of a few spread-out chunks with a throwaway raw LZMA2 encoder. */
#define TRIAL_CHUNK 16384
#define TRIAL_CHUNKS 3

double dg_lzma_trial_ratio(const uint8_t *in, size_t len) {
  lzma_options_lzma opt;
  if (lzma_lzma_preset(&opt, 0)) return 1.0;
  opt.dict_size = 64 * 1024;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  static __thread uint8_t out[TRIAL_CHUNK + TRIAL_CHUNK / 4];
  size_t in_total = 0, out_total = 0;
  int chunks = len <= TRIAL_CHUNK ? 1 : TRIAL_CHUNKS;
  for (int c = 0; c < chunks; c++) {
    size_t n = len < TRIAL_CHUNK ? len : TRIAL_CHUNK;
    size_t at = (len - n) / (TRIAL_CHUNKS - 1) * (size_t)c;
    lzma_stream strm = LZMA_STREAM_INIT;
    if (lzma_raw_encoder(&strm, filters) != LZMA_OK) return 1.0;
    strm.next_in = in + at;
    strm.avail_in = n;
    strm.next_out = out;
    strm.avail_out = sizeof out;
    lzma_ret r;
    do r = lzma_code(&strm, LZMA_FINISH);
    while (r == LZMA_OK && strm.avail_out);
    size_t made = sizeof out - strm.avail_out;
    lzma_end(&strm);
    if (r != LZMA_STREAM_END) return 1.0; /* output did not fit: incompressible */
    in_total += n;
    out_total += made;
  }
  return (double)out_total / (double)in_total;
}
