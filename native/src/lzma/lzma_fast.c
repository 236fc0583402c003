/* Fast LZMA2 encoder (see lzma_fast.h). The symbol coding follows the LZMA format: an
 * is-match bit per position (by state and position), literals through 8-bit trees chosen
 * by the previous byte (matched against the byte at the last distance after a match),
 * matches as length + distance slot + extra bits, and four repeat distances. */
#include "lzma/lzma_fast.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "lzma/lzma_rc.h"

/* Literals are coded in the context of the previous byte's top LC bits: all four that
 * LZMA2 allows (lc + lp <= 4) pay on new machine code (biome -0.28 % against lc=3, at the
 * same speed both ways; zip/tgz -0.01 %). */
#define LC 4
#define LP 0
#define PB 0 /* no position bits: section bytes have no 2- or 4-byte alignment */
#define PROPS ((PB * 5 + LP) * 9 + LC)
#define POS_STATES (1u << PB)
#define STATES 12
#define LIT_STATES 7      /* states below this follow a literal */
#define MIN_LEN 2         /* shortest length LZMA codes */
#define MAX_LEN 273       /* longest */
#define DIST_STATES 4     /* distance slot trees, by length */
#define ALIGN_BITS 4
#define END_POS_SLOT 14   /* slots from here code their middle bits directly */
#define FULL_DISTANCES 128

/* LZMA2 chunk limits: at most 2 MiB unpacked and 64 KiB packed. A chunk is closed while
 * the next symbol surely still fits (a symbol costs well under 64 bytes). */
#define CHUNK_UNPACKED_MAX (2u << 20)
#define CHUNK_PACKED_MAX 65536u
#define CHUNK_PACKED_STOP (CHUNK_PACKED_MAX - 128)
#define RAW_CHUNK_MAX 65536u

/* LZMA2 control bytes. */
#define CTRL_RAW_RESET 0x01     /* uncompressed, dictionary reset */
#define CTRL_RAW 0x02           /* uncompressed */
#define CTRL_LZMA 0x80          /* compressed, state kept */
#define CTRL_LZMA_STATE 0xA0    /* compressed, state reset */
#define CTRL_LZMA_PROPS 0xC0    /* compressed, state reset, new properties */
#define CTRL_LZMA_ALL 0xE0      /* compressed, dictionary and state reset, new properties */

/* Match finding (measured on biome's delta sections against liblzma preset 1). */
#define HASH_BITS 15   /* 4-byte keys: 2^15 buckets ... */
#define HASH_WAYS 2    /* ... of the last two positions (256 KiB, stays in L2) */
#define HASH3_BITS 14  /* 3-byte keys, last position only ... */
#define NEAR3_DIST 1024 /* ... used this near (farther 3-byte matches cost more than they save) */
#define HASH2_BITS 12  /* 2-byte values, last position only ... */
#define NEAR2_DIST 32   /* ... used this near */
#define FAR4_DIST 4096  /* a 4-byte match is taken only nearer than this, */
#define FAR5_DIST 65536 /* a 5-byte one nearer than this */
#define LAZY_LEN 32     /* matches shorter than this look one byte ahead */

typedef struct {
  rc_prob choice, choice2;
  rc_prob low[POS_STATES][1 << 3], mid[POS_STATES][1 << 3], high[1 << 8];
} len_model;

typedef struct {
  rc_prob is_match[STATES][POS_STATES];
  rc_prob is_rep[STATES], is_rep0[STATES], is_rep1[STATES], is_rep2[STATES];
  rc_prob is_rep0_long[STATES][POS_STATES];
  rc_prob literal[1 << (LC + LP)][0x300];
  rc_prob dist_slot[DIST_STATES][1 << 6];
  rc_prob dist_special[1 + FULL_DISTANCES - END_POS_SLOT];
  rc_prob align[1 << ALIGN_BITS];
  len_model match_len, rep_len;
} model;

typedef struct {
  const uint8_t *in;
  size_t len, pos;    /* pos: next byte to code (also the dictionary position) */
  uint32_t dict_size;
  uint32_t *table;    /* positions + 1 of the last HASH_WAYS occurrences of each 4-byte key */
  uint32_t *table3;   /* position + 1 of the last occurrence of each 3-byte key */
  uint32_t *table2;   /* and for 2-byte values */
  model m;
  unsigned state;
  uint32_t rep[4];    /* the last four distances, minus one */
  rc_enc rc;
} encoder;

static void reset_state(encoder *e) {
  rc_prob *p = (rc_prob *)&e->m;
  for (size_t i = 0; i < sizeof e->m / sizeof *p; i++) p[i] = RC_PROB_INIT;
  e->state = 0;
  memset(e->rep, 0, sizeof e->rep);
}

static inline unsigned after_literal(unsigned s) { return s < 4 ? 0 : s < 10 ? s - 3 : s - 6; }
static inline unsigned after_match(unsigned s) { return s < LIT_STATES ? 7 : 10; }
static inline unsigned after_rep(unsigned s) { return s < LIT_STATES ? 8 : 11; }
static inline unsigned after_short_rep(unsigned s) { return s < LIT_STATES ? 9 : 11; }

static inline uint32_t hash4(const uint8_t *p) {
  return (dg_load32(p) * 2654435761u) >> (32 - HASH_BITS);
}

static inline uint32_t hash2(const uint8_t *p) {
  return (((uint32_t)p[0] | (uint32_t)p[1] << 8) * 2654435761u) >> (32 - HASH2_BITS);
}

static inline uint32_t hash3(const uint8_t *p) {
  return ((dg_load32(p) & 0xFFFFFFu) * 2654435761u) >> (32 - HASH3_BITS);
}

static void put_literal(encoder *e) {
  size_t pos = e->pos;
  unsigned byte = e->in[pos];
  unsigned prev = pos ? e->in[pos - 1] : 0;
  rc_prob *probs = e->m.literal[prev >> (8 - LC)];
  rc_bit(&e->rc, &e->m.is_match[e->state][pos & (POS_STATES - 1)], 0);
  unsigned sym = 1;
  int i = 7;
  if (e->state >= LIT_STATES) {
    /* After a match the byte at the last distance predicts this one, bit by bit, until
     * the first bit where they differ. */
    unsigned match_byte = e->in[pos - e->rep[0] - 1];
    for (; i >= 0; i--) {
      unsigned b = (byte >> i) & 1u, mb = (match_byte >> i) & 1u;
      rc_bit(&e->rc, probs + ((1 + mb) << 8) + sym, b);
      sym = (sym << 1) | b;
      if (b != mb) {
        i--;
        break;
      }
    }
  }
  for (; i >= 0; i--) {
    unsigned b = (byte >> i) & 1u;
    rc_bit(&e->rc, probs + sym, b);
    sym = (sym << 1) | b;
  }
  e->state = after_literal(e->state);
  e->pos++;
}

static void put_len(rc_enc *rc, len_model *lm, unsigned len, unsigned pos_state) {
  len -= MIN_LEN;
  if (len < 8) {
    rc_bit(rc, &lm->choice, 0);
    rc_tree(rc, lm->low[pos_state], 3, len);
  } else if (len < 16) {
    rc_bit(rc, &lm->choice, 1);
    rc_bit(rc, &lm->choice2, 0);
    rc_tree(rc, lm->mid[pos_state], 3, len - 8);
  } else {
    rc_bit(rc, &lm->choice, 1);
    rc_bit(rc, &lm->choice2, 1);
    rc_tree(rc, lm->high, 8, len - 16);
  }
}

static inline unsigned dist_slot(uint32_t d) {
  if (d < 4) return d;
  unsigned top = 31u - (unsigned)__builtin_clz(d);
  return (top << 1) | ((d >> (top - 1)) & 1u);
}

/* A new match: distance d (minus one) and length len. */
static void put_match(encoder *e, uint32_t d, unsigned len) {
  unsigned pos_state = e->pos & (POS_STATES - 1);
  rc_bit(&e->rc, &e->m.is_match[e->state][pos_state], 1);
  rc_bit(&e->rc, &e->m.is_rep[e->state], 0);
  put_len(&e->rc, &e->m.match_len, len, pos_state);
  unsigned len_state = len - MIN_LEN < DIST_STATES - 1 ? len - MIN_LEN : DIST_STATES - 1;
  unsigned slot = dist_slot(d);
  rc_tree(&e->rc, e->m.dist_slot[len_state], 6, slot);
  if (slot >= 4) {
    unsigned bits = (slot >> 1) - 1;
    uint32_t base = (2u | (slot & 1u)) << bits;
    uint32_t rest = d - base;
    if (slot < END_POS_SLOT) {
      rc_tree_reverse(&e->rc, e->m.dist_special + base - slot, bits, rest);
    } else {
      rc_direct(&e->rc, rest >> ALIGN_BITS, bits - ALIGN_BITS);
      rc_tree_reverse(&e->rc, e->m.align, ALIGN_BITS, rest & ((1u << ALIGN_BITS) - 1));
    }
  }
  e->rep[3] = e->rep[2];
  e->rep[2] = e->rep[1];
  e->rep[1] = e->rep[0];
  e->rep[0] = d;
  e->state = after_match(e->state);
  e->pos += len;
}

/* A match at repeat distance number r (len 1 with r = 0 is a "short rep"). */
static void put_rep(encoder *e, unsigned r, unsigned len) {
  unsigned pos_state = e->pos & (POS_STATES - 1);
  unsigned s = e->state;
  rc_bit(&e->rc, &e->m.is_match[s][pos_state], 1);
  rc_bit(&e->rc, &e->m.is_rep[s], 1);
  if (r == 0) {
    rc_bit(&e->rc, &e->m.is_rep0[s], 0);
    rc_bit(&e->rc, &e->m.is_rep0_long[s][pos_state], len > 1);
    if (len == 1) {
      e->state = after_short_rep(s);
      e->pos++;
      return;
    }
  } else {
    uint32_t d = e->rep[r];
    rc_bit(&e->rc, &e->m.is_rep0[s], 1);
    rc_bit(&e->rc, &e->m.is_rep1[s], r > 1);
    if (r > 1) rc_bit(&e->rc, &e->m.is_rep2[s], r > 2);
    for (unsigned i = r; i > 0; i--) e->rep[i] = e->rep[i - 1];
    e->rep[0] = d;
  }
  put_len(&e->rc, &e->m.rep_len, len, pos_state);
  e->state = after_rep(s);
  e->pos += len;
}

/* A candidate symbol at some position: a match of len bytes (none when 0) at repeat
 * distance number rep, or, when rep < 0, at the new distance dist (minus one). */
typedef struct {
  unsigned len;
  int rep;
  uint32_t dist;
} candidate;

/* Whether distance a is so much smaller than b that it pays a byte of match length. */
static inline int much_nearer(uint32_t a, uint32_t b) { return a < b >> 7; }

/* Longest match at one of the repeat distances (rep < 0 when none reaches 2 bytes). */
static candidate best_rep(const encoder *e, size_t pos, size_t max) {
  const uint8_t *p = e->in + pos;
  candidate c = {0, -1, 0};
  for (int r = 0; r < 4; r++) {
    size_t back = (size_t)e->rep[r] + 1;
    if (back > pos) continue;
    const uint8_t *q = p - back;
    if (p[0] != q[0] || p[1] != q[1]) continue;
    unsigned n = (unsigned)dg_common_prefix(p, q, max);
    if (n > c.len) {
      c.len = n;
      c.rep = r;
    }
  }
  return c;
}

/* Longest match through the tables at pos, within the dictionary: 4-byte keys in buckets
 * of the last HASH_WAYS occurrences, the last occurrence of each 3-byte key when it is
 * near, of each 2-byte value when it is very near (short matches are common in machine
 * code). Records pos in all three tables. */
static candidate new_match(encoder *e, size_t pos, size_t max) {
  const uint8_t *p = e->in + pos;
  candidate c = {0, -1, 0};
  uint32_t *b = &e->table[(size_t)hash4(p) * HASH_WAYS];
  uint32_t key = dg_load32(p);
  for (unsigned w = 0; w < HASH_WAYS; w++) {
    uint32_t at = b[w];
    if (!at || pos - (at - 1) > e->dict_size) break;
    const uint8_t *q = e->in + at - 1;
    if (dg_load32(q) != key) continue;
    unsigned n = (unsigned)dg_common_prefix(p + 4, q + 4, max - 4) + 4;
    if (n > c.len) {
      c.len = n;
      c.dist = (uint32_t)(pos - at);
    }
  }
  for (unsigned w = HASH_WAYS - 1; w > 0; w--) b[w] = b[w - 1];
  b[0] = (uint32_t)pos + 1;
  uint32_t *t3 = &e->table3[hash3(p)];
  uint32_t at3 = *t3;
  *t3 = (uint32_t)pos + 1;
  /* A near 3-byte match also beats a far 4-byte one. */
  if (at3 && pos - (at3 - 1) <= NEAR3_DIST && pos - (at3 - 1) <= e->dict_size &&
      (c.len < 4 || (c.len == 4 && much_nearer((uint32_t)(pos - at3), c.dist)))) {
    const uint8_t *q = e->in + at3 - 1;
    if (p[0] == q[0] && p[1] == q[1] && p[2] == q[2]) {
      unsigned n3 = (unsigned)dg_common_prefix(p + 3, q + 3, max - 3) + 3;
      if (n3 + 1 >= c.len) {
        c.len = n3;
        c.dist = (uint32_t)(pos - at3);
      }
    }
  }
  uint32_t *t2 = &e->table2[hash2(p)];
  uint32_t at2 = *t2;
  *t2 = (uint32_t)pos + 1;
  if (c.len < 3 && at2 && pos - (at2 - 1) <= NEAR2_DIST && pos - (at2 - 1) <= e->dict_size &&
      p[0] == e->in[at2 - 1] && p[1] == e->in[at2]) {
    c.len = 2;
    c.dist = (uint32_t)(pos - at2);
  }
  /* A short match far back costs more than its bytes as literals. */
  if ((c.len == 4 && c.dist >= FAR4_DIST) || (c.len == 5 && c.dist >= FAR5_DIST)) c.len = 0;
  return c;
}

/* The symbol to code at pos (len 0: a literal). */
static candidate choose(encoder *e, size_t pos) {
  size_t avail = e->len - pos;
  size_t max = avail < MAX_LEN ? avail : MAX_LEN;
  candidate none = {0, -1, 0};
  if (max < 4) return none;
  candidate rep = best_rep(e, pos, max);
  candidate fresh = new_match(e, pos, max);
  /* A repeat costs a few bits where a new distance costs many: it wins unless the new
   * match is longer by more than a far distance is worth. */
  if (rep.len >= MIN_LEN &&
      (rep.len + 1 >= fresh.len || (rep.len + 2 >= fresh.len && fresh.dist >= 512) ||
       (rep.len + 3 >= fresh.len && fresh.dist >= 32768)))
    return rep;
  return fresh;
}

static void insert(encoder *e, size_t p) {
  e->table2[hash2(e->in + p)] = (uint32_t)p + 1;
  e->table3[hash3(e->in + p)] = (uint32_t)p + 1;
  uint32_t *b = &e->table[(size_t)hash4(e->in + p) * HASH_WAYS];
  for (unsigned w = HASH_WAYS - 1; w > 0; w--) b[w] = b[w - 1];
  b[0] = (uint32_t)p + 1;
}

/* Codes candidate c at e->pos and records the positions it covers from `from` on. */
static void put_candidate(encoder *e, candidate c, size_t from) {
  size_t start = e->pos;
  if (c.rep >= 0)
    put_rep(e, (unsigned)c.rep, c.len);
  else
    put_match(e, c.dist, c.len);
  size_t to = e->pos;
  if (to + 4 > e->len) to = e->len >= 4 ? e->len - 3 : 0;
  for (size_t p = start + from; p < to; p++) insert(e, p);
}

/* Whether the match at the next byte beats this one, so this byte goes as a literal. */
static int next_is_better(candidate now, candidate next) {
  if (next.len > now.len + 1) return 1;
  if (now.rep >= 0) return 0;
  if (next.rep >= 0) return next.len + 1 >= now.len; /* a repeat nearly as long */
  if (next.len >= now.len && next.dist < now.dist) return 1;
  if (next.len == now.len + 1 && !much_nearer(now.dist, next.dist)) return 1;
  return next.len + 1 >= now.len && now.len >= 3 && much_nearer(next.dist, now.dist);
}

/* Codes one symbol at e->pos, or a literal and the match after it. */
static void put_symbol(encoder *e) {
  candidate c = choose(e, e->pos);
  if (!c.len) {
    /* The byte at the last distance, in 4 bits or so instead of a literal's 6-9. */
    if (e->pos > e->rep[0] && e->in[e->pos] == e->in[e->pos - e->rep[0] - 1])
      put_rep(e, 0, 1);
    else
      put_literal(e);
    return;
  }
  if (c.len < LAZY_LEN) {
    candidate next = choose(e, e->pos + 1);
    if (next.len && next_is_better(c, next)) {
      put_literal(e);
      put_candidate(e, next, 1);
      return;
    }
    put_candidate(e, c, 2);
    return;
  }
  put_candidate(e, c, 1);
}

/* Chunk header: control byte, unpacked and packed sizes minus one, properties. */
static size_t put_lzma_header(uint8_t *q, unsigned control, size_t unpacked, size_t packed) {
  size_t u = unpacked - 1, c = packed - 1;
  q[0] = (uint8_t)(control | (u >> 16));
  q[1] = (uint8_t)(u >> 8);
  q[2] = (uint8_t)u;
  q[3] = (uint8_t)(c >> 8);
  q[4] = (uint8_t)c;
  if (control < CTRL_LZMA_PROPS) return 5;
  q[5] = PROPS;
  return 6;
}

static int put_raw(const uint8_t *in, size_t len, int reset_first, dg_buf *out) {
  size_t chunks = (len + RAW_CHUNK_MAX - 1) / RAW_CHUNK_MAX;
  if (!dg_buf_reserve(out, len + 3 * chunks)) return 0;
  for (size_t at = 0; at < len; at += RAW_CHUNK_MAX) {
    size_t n = len - at < RAW_CHUNK_MAX ? len - at : RAW_CHUNK_MAX;
    uint8_t *q = out->p + out->n;
    q[0] = at == 0 && reset_first ? CTRL_RAW_RESET : CTRL_RAW;
    q[1] = (uint8_t)((n - 1) >> 8);
    q[2] = (uint8_t)(n - 1);
    memcpy(q + 3, in + at, n);
    out->n += 3 + n;
  }
  return 1;
}

int dg_lzma_fast_encode(const uint8_t *in, size_t len, uint32_t dict_size, dg_buf *out) {
  encoder *e = malloc(sizeof *e);
  uint8_t *chunk = malloc(CHUNK_PACKED_MAX + 64);
  uint32_t *table = calloc((size_t)HASH_WAYS << HASH_BITS, sizeof *table);
  uint32_t *table3 = calloc((size_t)1 << HASH3_BITS, sizeof *table3);
  uint32_t *table2 = calloc((size_t)1 << HASH2_BITS, sizeof *table2);
  int ok = e && chunk && table && table3 && table2;
  if (ok) {
    e->in = in;
    e->len = len;
    e->pos = 0;
    e->dict_size = dict_size;
    e->table = table;
    e->table3 = table3;
    e->table2 = table2;
    reset_state(e);
  }
  /* What the next compressed chunk must reset: everything at first; the state (and,
   * after the first chunk was stored raw, the properties) after a stored chunk, since
   * the coder's model saw symbols the decoder never will. */
  unsigned control = CTRL_LZMA_ALL;
  while (ok && e->pos < len) {
    size_t start = e->pos;
    rc_init(&e->rc, chunk);
    while (e->pos < len && e->pos - start < CHUNK_UNPACKED_MAX - MAX_LEN - 1 &&
           rc_size(&e->rc) < CHUNK_PACKED_STOP)
      put_symbol(e);
    rc_flush(&e->rc);
    size_t unpacked = e->pos - start, packed = e->rc.n;
    if (packed >= unpacked) {
      ok = put_raw(in + start, unpacked, control == CTRL_LZMA_ALL, out);
      control = control == CTRL_LZMA_ALL || control == CTRL_LZMA_PROPS ? CTRL_LZMA_PROPS
                                                                       : CTRL_LZMA_STATE;
      reset_state(e);
      continue;
    }
    ok = dg_buf_reserve(out, packed + 6);
    if (!ok) break;
    out->n += put_lzma_header(out->p + out->n, control, unpacked, packed);
    memcpy(out->p + out->n, chunk, packed);
    out->n += packed;
    control = CTRL_LZMA;
  }
  free(table);
  free(table3);
  free(table2);
  free(chunk);
  free(e);
  return ok;
}
