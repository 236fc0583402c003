/* Streaming VCDIFF encoder: buffers target bytes into windows, encodes each full window
 * (match -> sections -> optional secondary LZMA -> window header) into an output buffer
 * that later calls drain. See dg/encoder.h for the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg/adler32.h"
#include "dg/fault_guard.h"
#include "dg/limits.h"
#include "dg/sha256.h"
#include "vcdiff/encoder_internal.h"
#include "lzma/lzma_enc.h"
#include "lzma/lzma_pieces.h"
#include "common/parallel.h"
#include "vcdiff/vcdiff.h"

#define SMALL_DICT (256u * 1024u) /* dictionary of the instruction/address streams */
/* AUTO: sections below AUTO_MIN_COMPRESS stay raw (a compressed section costs ~10 bytes
 * of framing; xdelta3's own threshold is 10); up to AUTO_SMALL a trial on the whole section
 * decides, counting the stream headers it would add; bigger ones are planned block by
 * block (lzma_pieces.c): only stretches that look compressible go through LZMA. */
#define AUTO_MIN_COMPRESS 48
#define AUTO_SMALL 16384
#define XZ_HEADERS 24 /* xz stream header + block header, written on a stream's first use */

enum { SEC_DATA, SEC_INST, SEC_ADDR, SEC_COUNT };

struct dg_encoder {
  dg_encoder_options opts;
  dg_index *own_index; /* empty index used when the caller gave none */
  uint8_t *win;
  size_t win_len;
  uint64_t total_in, total_out;
  unsigned windows;   /* windows written so far */
  int header_done, done;
  dg_sha256_ctx sha;
  uint8_t digest[32];
  dg_matcher matcher[1 + DG_PARTS]; /* [0] scans windows and carries the state; the others
                                       match the parts of literal-heavy windows */
  int parts_ready;                    /* matcher[1..] allocated */
  dg_ops ops;                         /* the window's ops: a first scan ... */
  dg_ops part_ops[DG_PARTS];          /* ... and the ops of the rest, in parts */
  const dg_ops *lists[1 + DG_PARTS];  /* the window's op lists, in order */
  size_t nlists;
  dg_sections sec;
  dg_lzma_stream lzma[SEC_COUNT];
  dg_lzma_pieces plan[SEC_COUNT];
  struct piece_ref *jobs; /* the pieces to compress in this window */
  size_t jobs_cap;
  dg_buf out;
  size_t out_pos;
  int faulted; /* a helper thread hit a SIGBUS guard (dg/fault_guard.h) */
  dg_status failed;
  char error[160];
};

void dg_encoder_options_init(dg_encoder_options *opts) {
  memset(opts, 0, sizeof *opts);
  /* The largest window xdelta3 -d accepts: fewer window headers and self-copies reaching
   * further back (measured 2-30% smaller deltas than 8 MiB windows on the corpus). */
  opts->window_size = DG_MAX_WINDOW_SIZE;
  opts->secondary = DG_SECONDARY_AUTO;
  opts->lzma_preset = DG_LZMA_PRESET_AUTO;
  opts->checksum = 1;
}

static const char *check_options(const dg_encoder_options *o) {
  if (o->window_size < DG_MIN_WINDOW_SIZE || o->window_size > DG_MAX_WINDOW_SIZE)
    return "window_size must be between 16 KiB and 16 MiB";
  if (o->secondary != DG_SECONDARY_NONE && o->secondary != DG_SECONDARY_LZMA &&
      o->secondary != DG_SECONDARY_AUTO)
    return "unknown secondary compression mode";
  if (o->lzma_preset != DG_LZMA_PRESET_AUTO && (o->lzma_preset < 0 || o->lzma_preset > 9))
    return "lzma_preset must be 0..9 (or DG_LZMA_PRESET_AUTO)";
  if (o->app_header_len > DG_MAX_APP_HEADER) return "application header too long";
  if (o->app_header_len && !o->app_header) return "application header bytes missing";
  return NULL;
}

dg_encoder *dg_encoder_new(const dg_index *idx, const dg_encoder_options *opts,
                           dg_status *status) {
  dg_encoder_options defaults;
  if (!opts) {
    dg_encoder_options_init(&defaults);
    opts = &defaults;
  }
  if (status) *status = DG_OK;
  if (check_options(opts)) {
    if (status) *status = DG_ERR_INVALID_ARGUMENT;
    return NULL;
  }
  dg_encoder *enc = calloc(1, sizeof *enc);
  if (!enc) goto nomem;
  enc->opts = *opts;
  if (!idx) {
    enc->own_index = dg_index_new(NULL, 0, NULL);
    if (!enc->own_index) goto nomem;
    idx = enc->own_index;
  }
  enc->win = malloc(opts->window_size);
  if (!enc->win || !dg_matcher_init(&enc->matcher[0], idx, opts->window_size)) goto nomem;
  dg_sha256_init(&enc->sha);
  /* Instructions and addresses gain nothing from a big dictionary (measured); capping it
   * keeps those encoders small. */
  for (int k = 0; k < SEC_COUNT; k++)
    dg_lzma_stream_init(&enc->lzma[k], opts->lzma_preset, k == SEC_DATA ? 0 : SMALL_DICT);
  enc->failed = DG_OK;
  return enc;
nomem:
  dg_encoder_free(enc);
  if (status) *status = DG_ERR_NOMEM;
  return NULL;
}

void dg_encoder_free(dg_encoder *enc) {
  if (!enc) return;
  dg_index_free(enc->own_index);
  free(enc->win);
  for (int p = 0; p <= DG_PARTS; p++) dg_matcher_free(&enc->matcher[p]);
  for (int p = 0; p < DG_PARTS; p++) free(enc->part_ops[p].v);
  free(enc->ops.v);
  dg_buf_free(&enc->sec.data);
  dg_buf_free(&enc->sec.inst);
  dg_buf_free(&enc->sec.addr);
  for (int i = 0; i < SEC_COUNT; i++) {
    dg_lzma_pieces_free(&enc->plan[i]);
    dg_lzma_stream_free(&enc->lzma[i]);
  }
  free(enc->jobs);
  dg_buf_free(&enc->out);
  free(enc);
}

static dg_status fail(dg_encoder *enc, dg_status s, const char *msg) {
  enc->failed = s;
  snprintf(enc->error, sizeof enc->error, "%s", msg);
  return s;
}

static int write_file_header(dg_encoder *enc) {
  const dg_encoder_options *o = &enc->opts;
  if (!dg_buf_reserve(&enc->out, 16 + o->app_header_len)) return 0;
  uint8_t *p = enc->out.p + enc->out.n;
  *p++ = VCD_MAGIC0;
  *p++ = VCD_MAGIC1;
  *p++ = VCD_MAGIC2;
  *p++ = VCD_VERSION;
  uint8_t ind = 0;
  if (o->secondary != DG_SECONDARY_NONE) ind |= VCD_HDR_SECONDARY;
  if (o->app_header) ind |= VCD_HDR_APPHEADER;
  *p++ = ind;
  if (ind & VCD_HDR_SECONDARY) *p++ = VCD_SEC_LZMA;
  if (ind & VCD_HDR_APPHEADER) {
    p += vcd_varint_put(p, o->app_header_len);
    memcpy(p, o->app_header, o->app_header_len);
    p += o->app_header_len;
  }
  enc->out.n = (size_t)(p - enc->out.p);
  return 1;
}

/* Plans section k's pieces (enc->plan[k]) in a window (`last`: no window follows); returns
 * whether the section is compressed at all, -1 when out of memory. */
static int plan_section(dg_encoder *enc, int k, const dg_buf *raw, int last) {
  dg_secondary mode = enc->opts.secondary;
  enc->plan[k].n = 0;
  if (mode == DG_SECONDARY_NONE || raw->n < VCD_MIN_COMPRESS) return 0;
  int all = mode == DG_SECONDARY_LZMA;
  if (!all && raw->n < AUTO_MIN_COMPRESS) return 0;
  if (!all && raw->n <= AUTO_SMALL) {
    /* Small sections: the stream headers (first use) and the framing can outweigh the
     * gain; a trial on the whole section tells (the real stream does a little better). */
    double r = dg_lzma_trial_ratio(raw->p, raw->n);
    size_t est = (size_t)(r * (double)raw->n) + (enc->lzma[k].started ? 0 : XZ_HEADERS) +
                 (size_t)vcd_varint_len(raw->n);
    if (est >= raw->n) return 0;
    all = 1;
  }
  long pieces = dg_lzma_plan(raw->p, raw->n, all, &enc->plan[k]);
  if (pieces <= 0) return pieces < 0 ? -1 : 0;
  dg_lzma_link(&enc->lzma[k], enc->plan[k].v, enc->plan[k].n, last);
  return 1;
}

/* One piece to compress: section k, piece i. */
typedef struct piece_ref {
  int k;
  size_t i;
} piece_ref;

typedef struct {
  dg_encoder *enc;
  const dg_buf **raw;
  const piece_ref *jobs;
} pack_ctx;

static void compress_one(void *arg, size_t j) {
  pack_ctx *c = arg;
  int k = c->jobs[j].k;
  dg_lzma_compress_piece(&c->enc->lzma[k], c->raw[k]->p, &c->enc->plan[k].v[c->jobs[j].i]);
}

static unsigned thread_count(const dg_encoder *enc) {
  return enc->opts.threads ? enc->opts.threads : dg_default_threads();
}

static size_t piece_len(const dg_encoder *enc, piece_ref r) { return enc->plan[r.k].v[r.i].len; }

/* Lists the pieces to compress, biggest first (so that the last to start is a short one).
 * Returns the count, or -1 when out of memory. */
static long list_jobs(dg_encoder *enc, const int want[]) {
  size_t n = 0;
  for (int k = 0; k < SEC_COUNT; k++)
    if (want[k]) n += enc->plan[k].n;
  if (n > enc->jobs_cap) {
    piece_ref *v = realloc(enc->jobs, n * sizeof *v);
    if (!v) return -1;
    enc->jobs = v;
    enc->jobs_cap = n;
  }
  n = 0;
  for (int k = 0; k < SEC_COUNT; k++)
    for (size_t i = 0; want[k] && i < enc->plan[k].n; i++) {
      if (!enc->plan[k].v[i].compress) continue;
      size_t at = n++;
      /* Insertion sort: windows have a handful of pieces, rarely a few hundred. */
      for (; at > 0 && piece_len(enc, enc->jobs[at - 1]) < enc->plan[k].v[i].len; at--)
        enc->jobs[at] = enc->jobs[at - 1];
      enc->jobs[at] = (piece_ref){k, i};
    }
  return (long)n;
}

/* LZMA is the slow part of encoding: the pieces of the three sections are compressed on
 * several threads (assembled later, straight into the output). 0 on failure. */
static int compress_sections(dg_encoder *enc, const dg_buf *raw[], const int want[]) {
  long n = list_jobs(enc, want);
  if (n < 0) return 0;
  pack_ctx c = {enc, raw, enc->jobs};
  if (!dg_parallel_for((size_t)n, thread_count(enc), compress_one, &c)) {
    enc->faulted = 1;
    return 0;
  }
  for (long j = 0; j < n; j++)
    if (!enc->plan[enc->jobs[j].k].v[enc->jobs[j].i].ok) return 0;
  return 1;
}

/* ---- matching a window, in parallel parts where it is slow ---------------------------- */

/* A probe counts as literal-heavy from this fraction of literal bytes: binaries and
 * deflate data are far above it (and slow to match), copy-rich text far below (and fast;
 * its self-copies often reach across the parts, which the parts would lose). */
#define LITERAL_HEAVY_DIV 16

static int literal_heavy(const dg_ops *ops, size_t covered) {
  size_t lit = 0;
  for (size_t i = 0; i < ops->n; i++) lit += ops->v[i].lit_len;
  return lit >= covered / LITERAL_HEAVY_DIV;
}

typedef struct {
  dg_encoder *enc;
  dg_match_job job[DG_PARTS];
  int ok[DG_PARTS];
} parts_ctx;

static void match_part(void *arg, size_t p) {
  parts_ctx *c = arg;
  size_t stop;
  c->enc->part_ops[p].n = 0;
  c->ok[p] = dg_match_range(&c->enc->matcher[1 + p], &c->job[p], &c->enc->part_ops[p], &stop);
}

/* Matches [from, n) in DG_PARTS parts on several threads, each starting from matcher[0]'s
 * state and ending at the next one's start; matcher[0] then goes on from the last. The
 * parts depend on the window alone, never on the number of threads. */
static int match_parts(dg_encoder *enc, const dg_match_job *whole, size_t from) {
  if (!enc->parts_ready) {
    for (int p = 1; p <= DG_PARTS; p++)
      if (!dg_matcher_init(&enc->matcher[p], enc->matcher[0].idx, enc->opts.window_size))
        return 0;
    enc->parts_ready = 1;
  }
  parts_ctx c = {.enc = enc};
  size_t rest = whole->n - from;
  for (int p = 0; p < DG_PARTS; p++) {
    c.job[p] = *whole;
    c.job[p].literal_heavy = 1;
    c.job[p].from = from + rest * (size_t)p / DG_PARTS;
    c.job[p].to = c.job[p].limit = from + rest * (size_t)(p + 1) / DG_PARTS;
    c.job[p].fresh = 1;
    dg_matcher_copy_state(&enc->matcher[1 + p], &enc->matcher[0]);
  }
  if (!dg_parallel_for(DG_PARTS, thread_count(enc), match_part, &c)) {
    enc->faulted = 1;
    return 0;
  }
  for (int p = 0; p < DG_PARTS; p++) {
    if (!c.ok[p]) return 0;
    enc->lists[enc->nlists++] = &enc->part_ops[p]; /* emitted from here: no copy */
  }
  dg_matcher_copy_state(&enc->matcher[0], &enc->matcher[DG_PARTS]);
  return 1;
}

/* Fills enc->lists with the window's ops. */
static int match_window(dg_encoder *enc) {
  size_t n = enc->win_len, stop;
  dg_match_job job = {enc->win, n, enc->total_in - n, 0, n, n, 1,
                      dg_window_compressible(enc->win, n), 0};
  enc->ops.n = 0;
  enc->lists[0] = &enc->ops;
  enc->nlists = 1;
  int split = n >= DG_SPLIT_MIN && dg_index_ref_len(enc->matcher[0].idx) < DG_PARTS_MAX_REF;
  if (split) job.to = n / DG_PROBE_DIV;
  if (!dg_match_range(&enc->matcher[0], &job, &enc->ops, &stop)) return 0;
  if (stop >= n) return 1;
  if (literal_heavy(&enc->ops, stop)) return match_parts(enc, &job, stop);
  /* Copy-rich: the same scan goes on over the rest of the window. */
  job.from = stop;
  job.to = n;
  job.fresh = 0;
  enc->part_ops[0].n = 0;
  enc->lists[enc->nlists++] = &enc->part_ops[0];
  return dg_match_range(&enc->matcher[0], &job, &enc->part_ops[0], &stop);
}

/* The window's SHA-256 and Adler-32 are taken beside its matching (job 1 next to job 0):
 * on copy-rich targets the scan is one thread, and hashing after it cost a fifth of the
 * time. */
typedef struct {
  dg_encoder *enc;
  int matched;
  uint32_t adler;
} window_jobs;

static void window_job(void *arg, size_t i) {
  window_jobs *w = arg;
  dg_encoder *enc = w->enc;
  if (i == 0) {
    w->matched = match_window(enc);
    return;
  }
  dg_sha256_update(&enc->sha, enc->win, enc->win_len);
  if (enc->opts.checksum) w->adler = dg_adler32(1, enc->win, enc->win_len);
}

static int match_and_hash_window(dg_encoder *enc, uint32_t *adler) {
  window_jobs w = {enc, 0, 1};
  if (!dg_parallel_for(2, thread_count(enc), window_job, &w)) enc->faulted = 1;
  *adler = w.adler;
  return w.matched && !enc->faulted;
}

/* Encodes the buffered window; `last`: no window follows it. */
static dg_status encode_window(dg_encoder *enc, int last) {
  const uint8_t *win = enc->win;
  size_t n = enc->win_len;
  uint32_t adler;
  if (!match_and_hash_window(enc, &adler) ||
      !dg_emit_window(enc->lists, enc->nlists, win, n, &enc->sec))
    return enc->faulted ? fail(enc, DG_ERR_IO, DG_FAULT_MESSAGE)
                        : fail(enc, DG_ERR_NOMEM, "out of memory while encoding a window");

  const dg_buf *raw[SEC_COUNT] = {&enc->sec.data, &enc->sec.inst, &enc->sec.addr};
  size_t stored[SEC_COUNT]; /* bytes each section takes in the delta */
  int want[SEC_COUNT];
  uint8_t delta_ind = 0;
  for (int k = 0; k < SEC_COUNT; k++) {
    want[k] = plan_section(enc, k, raw[k], last);
    if (want[k] < 0) return fail(enc, DG_ERR_NOMEM, "out of memory while encoding a window");
  }
  if (!compress_sections(enc, raw, want))
    return enc->faulted ? fail(enc, DG_ERR_IO, DG_FAULT_MESSAGE)
                        : fail(enc, DG_ERR_NOMEM, "secondary LZMA compression failed");
  for (int k = 0; k < SEC_COUNT; k++) {
    stored[k] = raw[k]->n;
    if (!want[k]) continue;
    delta_ind |= (uint8_t)(1u << k); /* VCD_DATACOMP, VCD_INSTCOMP, VCD_ADDRCOMP */
    stored[k] = dg_lzma_framed_size(&enc->lzma[k], raw[k]->n, enc->plan[k].v, enc->plan[k].n);
    if (!stored[k]) return fail(enc, DG_ERR_NOMEM, "secondary LZMA compression failed");
  }

  const dg_sections *s = &enc->sec;
  uint8_t win_ind = 0;
  if (s->seg_len) win_ind |= VCD_WIN_SOURCE;
  if (enc->opts.checksum) win_ind |= VCD_WIN_ADLER32;
  size_t body = (size_t)vcd_varint_len(n) + 1 + (enc->opts.checksum ? 4 : 0);
  for (int k = 0; k < SEC_COUNT; k++) body += (size_t)vcd_varint_len(stored[k]) + stored[k];

  /* The whole window at once: the sections are appended below without reallocation. */
  if (!dg_buf_reserve(&enc->out, 32 + body))
    return fail(enc, DG_ERR_NOMEM, "out of memory while encoding a window");
  uint8_t *p = enc->out.p + enc->out.n;
  *p++ = win_ind;
  if (s->seg_len) {
    p += vcd_varint_put(p, s->seg_len);
    p += vcd_varint_put(p, s->seg_pos);
  }
  p += vcd_varint_put(p, body);
  p += vcd_varint_put(p, n);
  *p++ = delta_ind;
  for (int k = 0; k < SEC_COUNT; k++) p += vcd_varint_put(p, stored[k]);
  if (enc->opts.checksum) {
    *p++ = (uint8_t)(adler >> 24);
    *p++ = (uint8_t)(adler >> 16);
    *p++ = (uint8_t)(adler >> 8);
    *p++ = (uint8_t)adler;
  }
  enc->out.n = (size_t)(p - enc->out.p);
  for (int k = 0; k < SEC_COUNT; k++) {
    size_t before = enc->out.n;
    if (!want[k]) {
      if (stored[k]) memcpy(enc->out.p + enc->out.n, raw[k]->p, stored[k]);
      enc->out.n += stored[k];
    } else if (!dg_lzma_assemble(&enc->lzma[k], raw[k]->p, raw[k]->n, enc->plan[k].v,
                                 enc->plan[k].n, &enc->out)) {
      return fail(enc, DG_ERR_NOMEM, "secondary LZMA compression failed");
    }
    if (enc->out.n - before != stored[k])
      return fail(enc, DG_ERR_INTERNAL, "a section's size changed while it was written");
  }
  enc->windows++;
  enc->win_len = 0;
  return DG_OK;
}

dg_status dg_encoder_feed(dg_encoder *enc, const uint8_t *in, size_t in_len, int finish,
                          uint8_t *out, size_t out_cap, size_t *consumed, size_t *produced) {
  size_t used = 0, made = 0;
  dg_status st = enc->failed;
  if (consumed) *consumed = 0;
  if (produced) *produced = 0;
  if (st != DG_OK) return st;
  if ((!in && in_len) || (!out && out_cap)) return DG_ERR_INVALID_ARGUMENT;
  for (;;) {
    if (enc->out_pos < enc->out.n) { /* drain what is already encoded */
      size_t k = enc->out.n - enc->out_pos;
      if (k > out_cap - made) k = out_cap - made;
      if (k) memcpy(out + made, enc->out.p + enc->out_pos, k);
      enc->out_pos += k;
      made += k;
      enc->total_out += k;
      if (enc->out_pos < enc->out.n) break; /* caller's buffer is full */
    }
    enc->out.n = enc->out_pos = 0;
    if (enc->done) {
      st = DG_DONE;
      break;
    }
    if (!enc->header_done) {
      if (!write_file_header(enc)) {
        st = fail(enc, DG_ERR_NOMEM, "out of memory");
        break;
      }
      enc->header_done = 1;
      continue;
    }
    size_t take = in_len - used;
    if (take > enc->opts.window_size - enc->win_len) take = enc->opts.window_size - enc->win_len;
    if (take) {
      memcpy(enc->win + enc->win_len, in + used, take); /* hashed with its window */
      enc->win_len += take;
      enc->total_in += take;
      used += take;
    }
    int last = finish && used == in_len;
    /* A full window waits until it is known whether more input follows: the last window
     * is encoded a little differently (lzma_enc.h), and the delta must not depend on how
     * the input was cut into calls. */
    int full = enc->win_len == enc->opts.window_size;
    if ((full && (used < in_len || finish)) || (last && (enc->win_len || !enc->windows))) {
      st = encode_window(enc, last);
      if (st != DG_OK) break;
      continue;
    }
    if (last) {
      dg_sha256_final(&enc->sha, enc->digest);
      enc->done = 1;
      continue;
    }
    break; /* all input taken, more expected */
  }
  if (consumed) *consumed = used;
  if (produced) *produced = made;
  return st;
}

const char *dg_encoder_error(const dg_encoder *enc) { return enc->error; }
uint64_t dg_encoder_total_in(const dg_encoder *enc) { return enc->total_in; }
uint64_t dg_encoder_total_out(const dg_encoder *enc) { return enc->total_out; }

void dg_encoder_sha256(const dg_encoder *enc, uint8_t digest[32]) {
  memcpy(digest, enc->digest, 32);
}
