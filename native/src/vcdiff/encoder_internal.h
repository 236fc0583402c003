/* Internals shared by the encoder's files:
 *   encoder_match.c   finds matches in (a stretch of) one target window -> list of dg_op
 *   encoder_emit.c    turns the ops into the three VCDIFF sections (code table, addresses)
 *   encoder.c         streaming API, windows (matched in parallel parts when slow),
 *                     file/window headers, secondary compression
 *   lzma_pieces.c     which stretches of a section LZMA compresses, in which pieces
 *   lzma_enc.c        the pieces' LZMA2 chunks, assembled into the per-type xz streams
 *   parallel.c        the fork-join helper */
#ifndef DG_ENCODER_INTERNAL_H
#define DG_ENCODER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dg/encoder.h"

/* Growable byte buffer. */
typedef struct {
  uint8_t *p;
  size_t n, cap;
} dg_buf;

/* Ensures room for `extra` more bytes; 0 on out of memory. */
int dg_buf_reserve(dg_buf *b, size_t extra);
void dg_buf_free(dg_buf *b);

/* One step of a window's encoding: lit_len literal bytes (taken from the target at the
 * current position), then a copy of copy_len bytes (none when 0) from the reference at
 * absolute position src, or, when self is set, from the window itself at offset src. */
typedef struct {
  uint32_t lit_len;
  uint32_t copy_len : 31;
  uint32_t self : 1;
  uint64_t src;
} dg_op;

typedef struct {
  dg_op *v;
  size_t n, cap;
} dg_ops;

#define DG_REPS 4

/* Windows of at least DG_SPLIT_MIN bytes are probed on their first 1/DG_PROBE_DIV; when
 * that stretch is mostly literals (binaries, deflate data: where matching is slow), the
 * rest is matched in DG_PARTS parts in parallel (see encoder.c). Only below
 * DG_PARTS_MAX_REF of reference: each window's source segment must stay below 4 GiB,
 * which the parts would not know of each other. */
#define DG_SPLIT_MIN (2u << 20)
#define DG_PROBE_DIV 8
#define DG_PARTS 4
#define DG_PARTS_MAX_REF (UINT64_C(3) << 30)

/* Match finder state; the repeat offsets carry over from window to window. */
typedef struct {
  const dg_index *idx;
  int64_t rep[DG_REPS];  /* reference position minus target position of recent copies,
                            most recent first */
  uint64_t recent_src[4]; /* reference positions of recent copies (~ the NEAR cache) */
  int64_t anchor;         /* rep-style offset of the last long copy: the main diagonal */
  uint64_t anchor_len;    /* length of the copy that set it */
  unsigned recent_next;
  /* Local table: every reference position near the current copy diagonal (reference
   * position = target position + rep[0]), by hash of a few bytes; finds the short matches
   * the sampled index cannot (edited code reuses fragments of the code around it). */
  uint64_t *local_table; /* 4 ways of reference position + 1 (32 bits each) per bucket */
  uint32_t *local_tags;  /* 4 x 8 more hash bits per bucket: reject most misses unread */
  unsigned local_bits;
  uint64_t *local_direct_table; /* incompressible windows: one position + 1 per bucket,
                                   with 32 check bits of the hash above it */
  int local_direct;      /* which of the two tables the current window uses */
  uint64_t local_next;   /* next reference position to insert */
  uint32_t *self_table;  /* window offset + 1 of recent positions, by hash of a few bytes */
  unsigned self_bits;
} dg_matcher;

int dg_matcher_init(dg_matcher *m, const dg_index *idx, uint32_t window_size);
void dg_matcher_free(dg_matcher *m);
/* Copies the state that carries from window to window (recent offsets, diagonal), not
 * the tables: dst goes on where src stands. */
void dg_matcher_copy_state(dg_matcher *dst, const dg_matcher *src);

/* A stretch of a window to match. */
typedef struct {
  const uint8_t *win; /* the whole window, n bytes; win[0] is target byte win_abs */
  size_t n;
  uint64_t win_abs;
  size_t from, to; /* scan from `from`; stop at `to` or just past it, inside a match */
  size_t limit;    /* no match reaches past this (<= n); bytes near it stay literal */
  int fresh;       /* forget the positions seen before `from` (else continue a scan) */
  int compressible; /* dg_window_compressible(win, n), judged once per window */
  int literal_heavy; /* the window's probe found it literal-heavy (it is matched in parts) */
} dg_match_job;

/* Whether a window's bytes look compressible (see encoder_match.c). */
int dg_window_compressible(const uint8_t *win, size_t n);

/* Appends the ops encoding win[from, *stop) to ops (self-copy sources are window
 * offsets). *stop is where the scan ended: at or after `to`, at most `limit`; when it
 * stopped near the limit, the ops reach it. Returns 0 on out of memory. */
int dg_match_range(dg_matcher *m, const dg_match_job *job, dg_ops *ops, size_t *stop);

/* Source segment and sections of one window. */
typedef struct {
  uint64_t seg_pos, seg_len; /* seg_len 0: no VCD_SOURCE */
  dg_buf data, inst, addr;
} dg_sections;

/* Encodes the ops of lists[0..nlists) in order (together they cover win[0, n); a list may
 * end with literals the next one continues) into s (sections emptied first). Returns 0
 * on out of memory. */
int dg_emit_window(const dg_ops *const *lists, size_t nlists, const uint8_t *win, size_t n,
                   dg_sections *s);

#endif
