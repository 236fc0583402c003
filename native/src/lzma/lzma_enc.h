/* Secondary LZMA compression of VCDIFF sections, framed the way xdelta3 -d reads it:
 * one xz stream (LZMA2 filter, check NONE) per section type for the whole delta file, its
 * block never finished; each compressed section is varint(uncompressed length) + a run of
 * complete LZMA2 chunks (the stream and block headers go before the first one).
 *
 * The chunks are assembled here rather than taken from one long-lived liblzma stream, so
 * that a section can be cut into pieces (see lzma_pieces.h):
 *   - a piece to compress goes through its own fresh LZMA2 encoder (by default our fast
 *     one, lzma_fast.h, for large pieces; liblzma's raw encoder for the rest), so its
 *     chunks start with a dictionary reset and need nothing before them: pieces compress
 *     in parallel, and any LZMA2 decoder (xdelta3's liblzma stream decoder too) reads the
 *     concatenation as one stream;
 *   - a piece that would not shrink (deflate data) is written as LZMA2 uncompressed
 *     chunks, at memory-copy speed, instead of going through the match finder for nothing.
 * When liblzma compressed a section's last piece, its encoder is kept (sync-flushed, not
 * finished) and compresses the first piece of that type's next section, as one stream
 * would: small sections keep the dictionary of the windows before them. In the last
 * window nothing follows, so there every fresh piece goes through the fast encoder.
 * Output depends only on the input and the options, never on the number of threads. */
#ifndef DG_LZMA_ENC_H
#define DG_LZMA_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "vcdiff/encoder_internal.h"

/* One stretch of a section. */
typedef struct {
  size_t off, len;
  int compress; /* 0: stored as uncompressed chunks */
  int cont;     /* compress with the stream's kept encoder (set by dg_lzma_link) */
  int keep;     /* sync-flush and keep the encoder for the next section (dg_lzma_link) */
  int fast;     /* compress with lzma_fast.h rather than liblzma (dg_lzma_link) */
  void *kept;   /* that encoder, once compressed */
  dg_buf out;   /* compress: the piece's LZMA2 chunks (filled by dg_lzma_compress_piece) */
  int ok;
} dg_lzma_piece;

/* With DG_LZMA_PRESET_AUTO, pieces that start afresh are compressed by our fast encoder
 * (lzma_fast.h) when they have at least DG_LZMA_FAST_MIN bytes or are in the last window;
 * the others by liblzma at DG_LZMA_SMALL_PRESET. Presets 0..9 use liblzma for every piece. */
#define DG_LZMA_FAST_MIN (64u * 1024u)
#define DG_LZMA_SMALL_PRESET 1

/* The xz stream of one section type. */
typedef struct {
  int fast;           /* auto mode */
  int preset;         /* liblzma's, for the pieces it compresses (and the header's dict) */
  uint32_t dict_size; /* 0: the preset's */
  int started;        /* stream and block headers written */
  void *tail;         /* encoder of the last piece written, when it was compressed */
} dg_lzma_stream;

void dg_lzma_stream_init(dg_lzma_stream *z, int preset, uint32_t dict_size);
void dg_lzma_stream_free(dg_lzma_stream *z);

/* Marks which of a section's pieces continues the kept encoder, which keeps its own, and
 * which go through the fast encoder. `last` says no window follows: nothing will continue
 * a kept encoder, so every fresh piece may go through the fast one. */
void dg_lzma_link(const dg_lzma_stream *z, dg_lzma_piece *pieces, size_t n, int last);

/* Compresses section[p->off, +p->len) into p->out and sets p->ok. Thread-safe for
 * different pieces (only the one `cont` piece of a section uses the stream's encoder). */
void dg_lzma_compress_piece(const dg_lzma_stream *z, const uint8_t *section, dg_lzma_piece *p);

/* Size of what dg_lzma_assemble will append (the compressed pieces done); 0 on failure. */
size_t dg_lzma_framed_size(const dg_lzma_stream *z, size_t len, const dg_lzma_piece *pieces,
                           size_t n);

/* Appends the framed section (varint length, headers on first use, the pieces' chunks in
 * order) to out, and passes the kept encoder on. The pieces must tile section[0, len),
 * linked and the compressed ones done. 0 on failure. */
int dg_lzma_assemble(dg_lzma_stream *z, const uint8_t *section, size_t len,
                     dg_lzma_piece *pieces, size_t n, dg_buf *out);

/* Frees what a piece holds (its output buffer, an encoder it kept and nobody took). */
void dg_lzma_piece_release(dg_lzma_piece *p);

/* Order-0 entropy in bits per byte of a sample (up to 64 spread 1 KiB chunks) of the
 * bytes; *counted is the number of bytes sampled. */
double dg_entropy_bits(const uint8_t *in, size_t len, size_t *counted);

/* Compressed/raw size ratio of a quick trial on a sample (~48 KiB) of the bytes. */
double dg_lzma_trial_ratio(const uint8_t *in, size_t len);

#endif
