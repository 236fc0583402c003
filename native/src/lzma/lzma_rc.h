/* The LZMA range encoder and its adaptive binary models (for lzma_fast.c).
 *
 * Probabilities are 11-bit estimates that the next bit is 0, moved 1/32 of the way toward
 * each coded bit. The coder keeps a 33-bit `low` whose carry may still ripple into bytes
 * already produced: the last byte and a run of 0xFF bytes after it are held back (cache,
 * pending) until the carry is known. */
#ifndef DG_LZMA_RC_H
#define DG_LZMA_RC_H

#include <stdint.h>

#define RC_PROB_BITS 11
#define RC_PROB_INIT (1u << (RC_PROB_BITS - 1))
#define RC_MOVE_BITS 5
#define RC_TOP (1u << 24)

typedef uint16_t rc_prob;

typedef struct {
  uint64_t low;
  uint32_t range;
  uint8_t cache;     /* last byte produced but not yet written (a carry may change it) */
  uint64_t pending;  /* cache plus the 0xFF bytes held back after it */
  uint8_t *out;      /* the chunk's output, large enough for any chunk (see lzma_fast.c) */
  size_t n;
} rc_enc;

static inline void rc_init(rc_enc *r, uint8_t *out) {
  r->low = 0;
  r->range = 0xFFFFFFFFu;
  r->cache = 0;
  r->pending = 1;
  r->out = out;
  r->n = 0;
}

static inline void rc_shift_low(rc_enc *r) {
  if ((uint32_t)r->low < 0xFF000000u || (r->low >> 32) != 0) {
    uint8_t carry = (uint8_t)(r->low >> 32);
    uint8_t b = r->cache;
    do {
      r->out[r->n++] = (uint8_t)(b + carry);
      b = 0xFF;
    } while (--r->pending != 0);
    r->cache = (uint8_t)(r->low >> 24);
  }
  r->pending++;
  r->low = (r->low & 0x00FFFFFFu) << 8;
}

/* Branch-free: in literals the bits are close to random and a branch would mispredict. */
static inline void rc_bit(rc_enc *r, rc_prob *p, unsigned bit) {
  uint32_t prob = *p;
  uint32_t bound = (r->range >> RC_PROB_BITS) * prob;
  uint32_t mask = 0u - (uint32_t)bit;
  r->low += bound & mask;
  r->range = ((r->range - bound) & mask) | (bound & ~mask);
  uint32_t up = prob + (((1u << RC_PROB_BITS) - prob) >> RC_MOVE_BITS);
  uint32_t down = prob - (prob >> RC_MOVE_BITS);
  *p = (rc_prob)((down & mask) | (up & ~mask));
  if (r->range < RC_TOP) {
    r->range <<= 8;
    rc_shift_low(r);
  }
}

/* The top `bits` bits of v at probability 1/2 each. */
static inline void rc_direct(rc_enc *r, uint32_t v, unsigned bits) {
  while (bits--) {
    r->range >>= 1;
    r->low += r->range & (0u - ((v >> bits) & 1u));
    if (r->range < RC_TOP) {
      r->range <<= 8;
      rc_shift_low(r);
    }
  }
}

/* Writes out everything, including the held-back bytes. */
static inline void rc_flush(rc_enc *r) {
  for (int i = 0; i < 5; i++) rc_shift_low(r);
}

/* Bytes the chunk will have once flushed. */
static inline size_t rc_size(const rc_enc *r) { return r->n + (size_t)r->pending + 4; }

/* `bits` bits of v, most significant first, through a binary tree of models (probs[1..]). */
static inline void rc_tree(rc_enc *r, rc_prob *probs, unsigned bits, uint32_t v) {
  unsigned m = 1;
  while (bits--) {
    unsigned b = (v >> bits) & 1u;
    rc_bit(r, probs + m, b);
    m = (m << 1) | b;
  }
}

/* The same, least significant bit first. */
static inline void rc_tree_reverse(rc_enc *r, rc_prob *probs, unsigned bits, uint32_t v) {
  unsigned m = 1;
  while (bits--) {
    unsigned b = v & 1u;
    v >>= 1;
    rc_bit(r, probs + m, b);
    m = (m << 1) | b;
  }
}

#endif
