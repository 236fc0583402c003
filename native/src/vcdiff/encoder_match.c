/* Match finding for one target window, or a stretch of it (encoder.c matches the stretches
 * of literal-heavy windows in parallel).
 *
 * At each target position three kinds of candidates are scored (bytes covered minus the
 * estimated cost of the COPY instruction and its address):
 *   1. the repeat offsets: does the target continue to match the reference at the same
 *      relative offset as a recent copy? (versioned binaries: long runs of equal bytes at a
 *      fixed shift, broken by a few changed bytes; such a copy is cheap in NEAR mode);
 *   2. the reference index, probed only at content-sampled positions (see index.h);
 *   3. the local table: every reference position near the current diagonal, hashed by
 *      6 bytes (the short matches of edited code that the sampled index misses; 4 ways
 *      per bucket in compressible windows, direct-mapped and cheaper in the others);
 *   4. a small hash table over this window's earlier positions (self-copies).
 * Matches are extended forward with 8-byte compares and backward over pending literals.
 * A short match is not taken at once: the next few positions are probed too, and a later
 * match that covers more (it may reach back over the first) replaces it. Candidates off
 * the main diagonal (that of the last long copy) pay a small penalty and look further
 * ahead: a duplicate of the content elsewhere in the reference must not lure the parse
 * away from the diagonal it will soon need again.
 * In long literal stretches the scan step grows so incompressible data passes quickly. */
#include <stdlib.h>

#include "dg/limits.h"
#include "vcdiff/encoder_internal.h"
#include "vcdiff/index.h"
#include "lzma/lzma_enc.h"
#include "vcdiff/vcdiff.h"

/* Tuning (each value measured on the benchmark corpus: typescript tar/tgz/zip series and
 * the biome ELF series).
 * Shortest match of each kind. Where the window is compressible (code, text, tables),
 * secondary LZMA makes literals cheap while short copies keep their instruction and
 * address bytes and break LZMA's own matches: there short copies lose (biome -8%, tar
 * -2..-5% with the longer minimums). In incompressible windows (deflate data) a literal
 * costs a full byte and the short minimums pay. */
#define COMPRESSIBLE_BITS 7.5 /* order-0 bits/byte below which a window is compressible */
#define MIN_REP_MATCH 4       /* a repeat-offset copy costs ~2 bytes */
#define MIN_SELF_MATCH 6
#define MIN_LOCAL_MATCH 6
#define C_MIN_REP 6           /* the same in compressible windows */
#define C_MIN_SELF 16
/* Compressible windows matched in parts (binaries: mostly new code): LZMA codes the shorter
 * repeats inside the data section for less than a self-copy's instruction and address
 * (biome -0.7 %). Copy-rich text needs the short ones (tar +2.6 % with 64 everywhere). */
#define C_LH_MIN_SELF 64
#define C_MIN_LOCAL 12
#define C_MIN_INDEX 16
#define SELF_KEY 6          /* bytes hashed for the self and local tables */
#define SELF_MAX_BITS 16    /* self table: at most 2^16 entries (256 KiB, stays in L2) */
#define MAX_READ 16         /* bytes a probe may read at a position */
#define LAZY_LEN 32         /* matches shorter than this look ahead this far ... */
#define LAZY_FAR 256        /* ... off-diagonal reference matches this far ... */
#define LAZY_FAR_LEN 65536  /* ... unless at least this long */
#define GOOD_LEN 256        /* a repeat match this long is taken without other probes */
#define LOCAL_BITS 14       /* local table: 2^14 buckets of LOCAL_WAYS entries */
#define LOCAL_WAYS 4     /* fixed: a bucket is two 64-bit words + one 32-bit tag word */
#define LOCAL_DIRECT_BITS 14 /* direct-mapped local table of incompressible windows */
/* The local table covers about this much around the diagonal: little in copy-rich
 * targets (the diagonal jumps often; each jump refills the span), more in literal-rich
 * ones (deflate containers: short matches lie a few KiB off the diagonal). */
#define LOCAL_SPAN 256
#define LOCAL_SPAN_WIDE 4096
#define ANCHOR_LEN 1024         /* a copy this long may set the main diagonal */
#define OFF_DIAGONAL (1u << 16) /* farther than this from it is "off the diagonal" */
#define OFF_DIAGONAL_COST 4     /* extra cost charged to such candidates */
#define PREFETCH_AHEAD 16   /* index buckets are prefetched this many positions ahead */
/* In literals the scan step grows by one every 2^ACCEL_SHIFT bytes since the last match
 * of at least ACCEL_RESET_LEN bytes, up to MAX_STEP. Short matches do not reset it: in
 * deflate data they are frequent and resetting on them halves the speed for ~0.2%. */
#define ACCEL_SHIFT 9
#define ACCEL_RESET_LEN 12
#define MAX_STEP 8 /* (16: 5-10% faster on zips, 0.1% bigger) */
/* xdelta3 reads window addresses as 32-bit numbers: keep each window's source segment
 * (plus the window itself) below 2^32. */
#define MAX_SEGMENT (UINT64_C(0xFFFFFFFF) - DG_MAX_WINDOW_SIZE - 1)

int dg_matcher_init(dg_matcher *m, const dg_index *idx, uint32_t window_size) {
  memset(m, 0, sizeof *m);
  m->idx = idx;
  unsigned bits = 12;
  while (bits < SELF_MAX_BITS && (1u << bits) < window_size / 4) bits++;
  m->self_bits = bits;
  m->self_table = calloc((size_t)1 << bits, sizeof(uint32_t));
  /* 32-bit entries: the local table serves references below 4 GiB. */
  if (idx->ref_len >= 16 && idx->ref_len < UINT32_MAX) {
    m->local_bits = LOCAL_BITS;
    m->local_table = calloc((size_t)2 << LOCAL_BITS, sizeof(uint64_t));
    m->local_tags = calloc((size_t)1 << LOCAL_BITS, sizeof(uint32_t));
    m->local_direct_table = calloc((size_t)1 << LOCAL_DIRECT_BITS, sizeof(uint64_t));
    if (!m->local_table || !m->local_tags || !m->local_direct_table) return 0;
  }
  return m->self_table != NULL;
}

void dg_matcher_copy_state(dg_matcher *dst, const dg_matcher *src) {
  memcpy(dst->rep, src->rep, sizeof dst->rep);
  memcpy(dst->recent_src, src->recent_src, sizeof dst->recent_src);
  dst->anchor = src->anchor;
  dst->anchor_len = src->anchor_len;
  dst->recent_next = src->recent_next;
  dst->local_direct = src->local_direct;
  dst->local_next = 0; /* dst's local table holds other positions: refill around the diagonal */
}

void dg_matcher_free(dg_matcher *m) {
  free(m->self_table);
  free(m->local_table);
  free(m->local_tags);
  free(m->local_direct_table);
  m->local_tags = NULL;
  m->local_direct_table = NULL;
  m->self_table = NULL;
  m->local_table = NULL;
}

/* Whether the window's bytes look compressible (order-0 entropy of a sample well below
 * 8 bits): there secondary compression makes literals cheap, so a short copy saves less
 * than its instruction and address cost. */
int dg_window_compressible(const uint8_t *win, size_t n) {
  size_t counted;
  double bits = dg_entropy_bits(win, n, &counted);
  return counted >= 256 && bits < COMPRESSIBLE_BITS;
}

/* Number of equal bytes just before a and b, at most max. */
static inline size_t extend_backward(const uint8_t *a, const uint8_t *b, size_t max) {
  size_t n = 0;
  while (n < max && a[-1 - (ptrdiff_t)n] == b[-1 - (ptrdiff_t)n]) n++;
  return n;
}

static inline uint64_t self_hash(const uint8_t *p) {
  uint64_t v = dg_load64(p) << (64 - 8 * SELF_KEY);
  return v * 0xCF1BBCDCB7A56463ULL;
}

typedef struct {
  size_t start; /* window offset where the copy begins */
  size_t len;
  uint64_t src; /* reference position, or window offset when self */
  int self;
  long value;   /* bytes covered from the pending literal start, minus the literal bytes
                   left before the copy and the copy's estimated cost */
} match;

typedef struct {
  dg_matcher *m;
  const uint8_t *win;
  size_t n;
  uint64_t win_abs;
  const uint8_t *ref;
  uint64_t ref_len;
  size_t lit;              /* window offset of the first pending literal byte */
  size_t lit_total;        /* literal bytes emitted so far in this window */
  uint64_t seg_lo, seg_hi; /* span of the reference used so far in this window */
  size_t min_rep, min_self, min_local, min_index; /* shortest worthwhile match of each kind */
} scan;

static inline long inst_cost(size_t len) { return len > 18 ? 1 + vcd_varint_len(len) : 1; }

/* Address cost of a reference copy: NEAR-style distance from a recent copy's source. */
static inline long ref_addr_cost(const dg_matcher *m, uint64_t src) {
  long best = 5;
  for (int i = 0; i < 4; i++) {
    if (src < m->recent_src[i]) continue;
    long k = vcd_varint_len(src - m->recent_src[i]);
    if (k < best) best = k;
  }
  return best;
}

static inline int fits_segment(const scan *s, uint64_t src, size_t len) {
  uint64_t lo = src < s->seg_lo ? src : s->seg_lo;
  uint64_t hi = src + len > s->seg_hi ? src + len : s->seg_hi;
  return hi - lo <= MAX_SEGMENT;
}

static inline void consider(const scan *s, match *best, size_t start, size_t len,
                            uint64_t src, int self, long cost) {
  if ((long)len <= cost) return;
  long value = (long)len - cost - (long)(start - s->lit);
  if (value <= best->value && best->len) return;
  if (!self && !fits_segment(s, src, len)) return;
  best->start = start;
  best->len = len;
  best->src = src;
  best->self = self;
  best->value = value;
}

/* Extends a candidate reference match at (pos, rp) and scores it. */
static inline void ref_candidate(const scan *s, match *best, size_t pos, uint64_t rp,
                                 size_t min_len) {
  const uint8_t *t = s->win + pos, *f = s->ref + rp;
  size_t max = s->n - pos;
  if (s->ref_len - rp < max) max = (size_t)(s->ref_len - rp);
  size_t len = dg_common_prefix(t, f, max);
  if (len < 4) return;
  size_t back_max = pos - s->lit < rp ? pos - s->lit : (size_t)rp;
  size_t back = extend_backward(t, f, back_max);
  len += back;
  if (len < min_len) return;
  uint64_t src = rp - back;
  /* Near-ties go to the main diagonal (that of the last long copy: a new version keeps
   * the old layout). A duplicate of the content elsewhere matches as long here and its
   * NEAR address looks cheaper, but it soon strays and the copies fragment. */
  int64_t d = (int64_t)src - (int64_t)(s->win_abs + pos - back) - s->m->anchor;
  long off_diag = (uint64_t)(d < 0 ? -d : d) > OFF_DIAGONAL ? OFF_DIAGONAL_COST : 0;
  consider(s, best, pos - back, len, src, 0,
           inst_cost(len) + ref_addr_cost(s->m, src) + off_diag);
}

static void try_repeats(const scan *s, size_t pos, match *best) {
  const dg_matcher *m = s->m;
  for (int r = 0; r < DG_REPS; r++) {
    int64_t rp = (int64_t)(s->win_abs + pos) + m->rep[r];
    if (rp < 0 || (uint64_t)rp + 4 > s->ref_len) continue;
    if (dg_load32(s->win + pos) != dg_load32(s->ref + rp)) continue;
    ref_candidate(s, best, pos, (uint64_t)rp, s->min_rep);
  }
}

static void try_index(const scan *s, size_t pos, match *best) {
  const dg_index *idx = s->m->idx;
  uint64_t h = dg_idx_hash(s->win + pos);
  if (!dg_idx_sampled(idx, h)) return;
  uint64_t cand[DG_IDX_WAYS];
  unsigned k = dg_idx_lookup(idx, dg_idx_bucket(idx, h), dg_idx_tag(idx, h), cand);
  for (unsigned w = 0; w < k; w++) ref_candidate(s, best, pos, cand[w], s->min_index);
}

/* Probes (and, when insert is set, records) pos in the window's own hash table. An entry
 * is (offset + 1) in the low SELF_POS_BITS bits and a 7-bit tag of the key above, so most
 * collisions are rejected without reading the window (a cache miss when far back). */
#define SELF_POS_BITS 25
static void try_self(const scan *s, size_t pos, uint64_t hv, int insert, match *best) {
  dg_matcher *m = s->m;
  uint32_t h = (uint32_t)(hv >> (64 - m->self_bits));
  uint32_t tag = (uint32_t)(hv >> (64 - m->self_bits - 7)) & 0x7F;
  uint32_t e = m->self_table[h];
  if (insert) m->self_table[h] = ((uint32_t)pos + 1) | tag << SELF_POS_BITS;
  if (!e || e >> SELF_POS_BITS != tag) return;
  size_t cand = (e & ((1u << SELF_POS_BITS) - 1)) - 1;
  if (cand >= pos) return;
  const uint8_t *t = s->win + pos, *f = s->win + cand;
  /* The source may overlap the bytes being produced: the decoder copies front to back. */
  size_t len = dg_common_prefix(t, f, s->n - pos);
  if (len < 4) return; /* hash collision */
  size_t back_max = pos - s->lit < cand ? pos - s->lit : cand;
  size_t back = extend_backward(t, f, back_max);
  len += back;
  if (len < s->min_self) return;
  consider(s, best, pos - back, len, cand - back, 1,
           inst_cost(len) + vcd_varint_len(pos - cand));
}

/* Inserts reference positions [p, hi) into the 4-way table: each new entry goes in front
 * of its bucket's ways (two 64-bit words of positions, one 32-bit word of tags) and the
 * oldest falls out. Keeping several occurrences of a key matters in code and text. */
static void fill_local_ways(const scan *s, uint64_t p, uint64_t hi) {
  dg_matcher *m = s->m;
  unsigned shift = 64 - m->local_bits;
  for (; p < hi; p++) {
    uint64_t h = self_hash(s->ref + p);
    size_t b = (size_t)(h >> shift);
    uint64_t *w = m->local_table + 2 * b;
    uint64_t w0 = w[0];
    w[1] = (w0 >> 32) | (w[1] << 32);
    w[0] = (p + 1) | (w0 << 32);
    m->local_tags[b] = (m->local_tags[b] << 8) | (uint8_t)(h >> (shift - 8));
  }
}

/* Same for the direct-mapped table of incompressible windows: in deflate data keys rarely
 * repeat, so one entry per bucket finds as much at a third of the insertion cost. An entry
 * is position + 1 with 32 more bits of the hash above it: nearly every probe of deflate
 * data misses, and the check rejects those misses without reading the reference. */
static inline uint64_t direct_check(uint64_t h) {
  return h >> (64 - LOCAL_DIRECT_BITS - 32) << 32;
}

static void fill_local_direct(const scan *s, uint64_t p, uint64_t hi) {
  uint64_t *t = s->m->local_direct_table;
  for (; p < hi; p++) {
    uint64_t h = self_hash(s->ref + p);
    t[h >> (64 - LOCAL_DIRECT_BITS)] = (p + 1) | direct_check(h);
  }
}

/* Brings the local table up to LOCAL_SPAN bytes past the diagonal at pos; after a jump
 * of the diagonal it restarts LOCAL_SPAN before it (bounded work per jump). */
static void advance_local(const scan *s, size_t pos) {
  dg_matcher *m = s->m;
  int64_t diag = (int64_t)(s->win_abs + pos) + m->rep[0];
  if (diag < 0 || (uint64_t)diag >= s->ref_len) return;
  uint64_t e = (uint64_t)diag;
  uint64_t span = 2 * (s->lit_total + pos - s->lit) > pos + 65536 ? LOCAL_SPAN_WIDE : LOCAL_SPAN;
  uint64_t lo = e > span ? e - span : 0;
  uint64_t hi = e + span;
  if (hi > s->ref_len - 8) hi = s->ref_len - 8;
  if (m->local_next < lo || m->local_next > hi + 4 * span) {
    /* The diagonal jumped: refill only a narrow span (jumps are frequent); the table
     * widens again as the diagonal advances. */
    m->local_next = e > LOCAL_SPAN ? e - LOCAL_SPAN : 0;
    if (e + LOCAL_SPAN < hi) hi = e + LOCAL_SPAN;
  }
  if (m->local_direct)
    fill_local_direct(s, m->local_next, hi);
  else
    fill_local_ways(s, m->local_next, hi);
  if (hi > m->local_next) m->local_next = hi;
}

static void try_local(const scan *s, size_t pos, uint64_t hv, match *best) {
  dg_matcher *m = s->m;
  advance_local(s, pos);
  if (m->local_direct) {
    uint64_t e = m->local_direct_table[hv >> (64 - LOCAL_DIRECT_BITS)];
    if (e && (e & ~UINT64_C(0xFFFFFFFF)) == direct_check(hv))
      ref_candidate(s, best, pos, (e & 0xFFFFFFFFu) - 1, s->min_local);
    return;
  }
  unsigned shift = 64 - m->local_bits;
  size_t b = (size_t)(hv >> shift);
  uint8_t tag = (uint8_t)(hv >> (shift - 8));
  uint32_t tags = m->local_tags[b];
  for (int w = 0; w < LOCAL_WAYS; w++, tags >>= 8) {
    uint64_t e = (m->local_table[2 * b + w / 2] >> (32 * (w & 1))) & 0xFFFFFFFFu;
    if (!e) break;
    if ((uint8_t)tags == tag) ref_candidate(s, best, pos, e - 1, s->min_local);
  }
}

static void probe(const scan *s, size_t pos, int insert, match *best) {
  /* Lookahead positions only consult the index: a later index match reaching back over
   * a short repeat/self match is the case worth catching, and the other probes would
   * cost a cache miss each. */
  if (!insert) {
    if (s->m->idx->slot_bits) try_index(s, pos, best);
    return;
  }
  if (s->ref_len) try_repeats(s, pos, best);
  if (best->len >= GOOD_LEN) return;
  if (s->m->idx->slot_bits) try_index(s, pos, best);
  uint64_t hv = self_hash(s->win + pos);
  if (s->m->local_table) try_local(s, pos, hv, best);
  try_self(s, pos, hv, insert, best);
}

static int off_anchor(const scan *s, const match *b) {
  int64_t d = (int64_t)b->src - (int64_t)(s->win_abs + b->start) - s->m->anchor;
  return (uint64_t)(d < 0 ? -d : d) > OFF_DIAGONAL;
}

static int push_op(dg_ops *ops, size_t lit_len, size_t copy_len, uint64_t src, int self) {
  if (ops->n == ops->cap) {
    size_t cap = ops->cap ? ops->cap * 2 : 1024;
    dg_op *v = realloc(ops->v, cap * sizeof *v);
    if (!v) return 0;
    ops->v = v;
    ops->cap = cap;
  }
  ops->v[ops->n++] = (dg_op){(uint32_t)lit_len, (uint32_t)copy_len, (uint32_t)self, src};
  return 1;
}

static void remember_copy(dg_matcher *m, scan *s, const match *b) {
  int64_t d = (int64_t)b->src - (int64_t)(s->win_abs + b->start);
  int r = 0;
  while (r < DG_REPS - 1 && m->rep[r] != d) r++;
  for (; r > 0; r--) m->rep[r] = m->rep[r - 1]; /* move to front */
  m->rep[0] = d;
  /* A copy much shorter than the anchor's does not move it (a duplicate elsewhere). */
  if (b->len >= ANCHOR_LEN && b->len >= m->anchor_len / 8) {
    m->anchor = d;
    m->anchor_len = b->len;
  }
  m->recent_src[m->recent_next] = b->src;
  m->recent_next = (m->recent_next + 1) % 4;
  if (b->src < s->seg_lo) s->seg_lo = b->src;
  if (b->src + b->len > s->seg_hi) s->seg_hi = b->src + b->len;
}

int dg_match_range(dg_matcher *m, const dg_match_job *job, dg_ops *ops, size_t *stop) {
  const dg_index *idx = m->idx;
  const uint8_t *win = job->win;
  size_t n = job->limit; /* nothing below reads or matches past it */
  scan s = {m, win, n, job->win_abs, idx->ref, idx->ref_len, job->from, 0, UINT64_MAX, 0,
            MIN_REP_MATCH, MIN_SELF_MATCH, MIN_LOCAL_MATCH, DG_IDX_BLOCK};
  int compressible = job->compressible;
  if (compressible) {
    s.min_rep = C_MIN_REP;
    s.min_self = job->literal_heavy ? C_LH_MIN_SELF : C_MIN_SELF;
    s.min_local = C_MIN_LOCAL;
    s.min_index = C_MIN_INDEX;
  }
  /* The 4-way local table keeps several occurrences of a key, which copy-rich text needs
   * (tar +3 % with one); literal-heavy windows probe and refill it so often that the
   * direct-mapped one pays there (biome -20 % time, the same size). */
  int direct = !compressible || job->literal_heavy;
  if (m->local_direct != direct) {
    m->local_direct = direct;
    m->local_next = 0; /* the other table is stale: refill around the diagonal */
  }
  if (job->fresh) memset(m->self_table, 0, sizeof(uint32_t) << m->self_bits);
  size_t pos = job->from;
  /* The last few bytes stay literal unless a match that started earlier covers them. */
  size_t end = n >= MAX_READ ? n - MAX_READ + 1 : 0;
  if (job->to < end) end = job->to;
  int prefetch = idx->slot_bits > 0;
  size_t quiet = pos; /* acceleration grows with the distance from the last long match */
  while (pos < end) {
    match best = {0, 0, 0, 0, 0};
    if (prefetch && pos + PREFETCH_AHEAD < end) {
      uint64_t ha = dg_idx_hash(win + pos + PREFETCH_AHEAD);
      if (dg_idx_sampled(idx, ha)) dg_idx_prefetch(idx, dg_idx_bucket(idx, ha));
    }
    probe(&s, pos, 1, &best);
    if (!best.len) {
      size_t step = 1 + ((pos - quiet) >> ACCEL_SHIFT);
      pos += step < MAX_STEP ? step : MAX_STEP;
      continue;
    }
    /* Lazy evaluation: a later start may cover more. Short matches look a little ahead;
     * a reference match off the main diagonal looks further, for the diagonal's return. */
    size_t horizon = best.len < LAZY_LEN ? LAZY_LEN
                     : !best.self && best.len < LAZY_FAR_LEN && off_anchor(&s, &best) ? LAZY_FAR
                                                                                    : 0;
    for (size_t p = pos + 1; p < pos + horizon && p < best.start + best.len && p < end; p++)
      probe(&s, p, 0, &best);
    if (!push_op(ops, best.start - s.lit, best.len, best.src, best.self)) return 0;
    s.lit_total += best.start - s.lit;
    if (!best.self) remember_copy(m, &s, &best);
    pos = s.lit = best.start + best.len;
    if (best.len >= ACCEL_RESET_LEN) quiet = pos;
  }
  /* Stopped at `to` (or past it, inside the last match), or near the limit: the rest up
   * to the limit is literal. */
  size_t done = pos >= job->to ? pos : n;
  if (done > n) done = n;
  if (s.lit < done && !push_op(ops, done - s.lit, 0, 0, 0)) return 0;
  *stop = done;
  return 1;
}
