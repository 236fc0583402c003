/* Turns a window's ops into the VCDIFF data, instructions and addresses sections.
 *
 * The source segment is the span of reference bytes the window's copies use. Each COPY
 * address gets the cheapest mode of the default cache (SAME one byte, else the shortest
 * varint among SELF, HERE and the four NEAR slots), and consecutive instructions share one
 * code byte when the default table has a double entry for them (ADD 1-4 + COPY 4-6,
 * COPY 4 + ADD 1). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vcdiff/encoder_internal.h"
#include "vcdiff/vcdiff.h"

int dg_buf_reserve(dg_buf *b, size_t extra) {
  if (b->cap - b->n >= extra) return 1;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->n < extra) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) return 0;
  b->p = p;
  b->cap = cap;
  return 1;
}

void dg_buf_free(dg_buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

/* ---- code table lookups, derived once from the default table ------------------------ */

#define NO_CODE 0xFFFF
static uint16_t add_single[18];          /* ADD size 0..17 */
static uint16_t copy_single[VCD_MODES][19]; /* COPY size 0 or 4..18 */
static uint16_t run_single;
static uint16_t add_copy[5][7][VCD_MODES];  /* ADD 1..4 then COPY 4..6 */
static uint16_t copy_add[7][VCD_MODES][5];  /* COPY 4..6 then ADD 1..4 */
static pthread_once_t lookups_once = PTHREAD_ONCE_INIT;

static void build_lookups(void) {
  const vcd_code *t = vcd_default_table();
  memset(add_single, 0xFF, sizeof add_single);
  memset(copy_single, 0xFF, sizeof copy_single);
  memset(add_copy, 0xFF, sizeof add_copy);
  memset(copy_add, 0xFF, sizeof copy_add);
  run_single = NO_CODE;
  for (int i = 0; i < 256; i++) {
    const vcd_code *c = &t[i];
    if (c->type2 == VCD_NOOP) {
      if (c->type1 == VCD_RUN && c->size1 == 0) run_single = (uint16_t)i;
      if (c->type1 == VCD_ADD && c->size1 <= 17) add_single[c->size1] = (uint16_t)i;
      if (c->type1 == VCD_COPY && c->size1 <= 18) copy_single[c->mode1][c->size1] = (uint16_t)i;
    } else if (c->type1 == VCD_ADD && c->type2 == VCD_COPY && c->size1 >= 1 &&
               c->size1 <= 4 && c->size2 >= 4 && c->size2 <= 6) {
      add_copy[c->size1][c->size2][c->mode2] = (uint16_t)i;
    } else if (c->type1 == VCD_COPY && c->type2 == VCD_ADD && c->size1 >= 4 &&
               c->size1 <= 6 && c->size2 >= 1 && c->size2 <= 4) {
      copy_add[c->size1][c->mode1][c->size2] = (uint16_t)i;
    }
  }
}

/* ---- instruction stream with one pending instruction, to pair doubles ----------------- */

typedef struct {
  int type; /* VCD_NOOP when nothing is pending */
  uint32_t size;
  int mode;
} inst;

typedef struct {
  dg_buf *out;
  inst pending;
} inst_writer;

static int put_single(dg_buf *out, inst x) {
  if (!dg_buf_reserve(out, 6)) return 0;
  uint8_t *p = out->p + out->n;
  uint16_t code;
  int explicit_size = 0;
  if (x.type == VCD_ADD) {
    code = x.size <= 17 ? add_single[x.size] : add_single[0];
    explicit_size = x.size > 17;
  } else if (x.type == VCD_COPY) {
    int fits = x.size >= 4 && x.size <= 18;
    code = copy_single[x.mode][fits ? x.size : 0];
    explicit_size = !fits;
  } else {
    code = run_single;
    explicit_size = 1;
  }
  *p++ = (uint8_t)code;
  if (explicit_size) p += vcd_varint_put(p, x.size);
  out->n = (size_t)(p - out->p);
  return 1;
}

static uint16_t double_code(inst a, inst b) {
  if (a.type == VCD_ADD && b.type == VCD_COPY && a.size >= 1 && a.size <= 4 &&
      b.size >= 4 && b.size <= 6)
    return add_copy[a.size][b.size][b.mode];
  if (a.type == VCD_COPY && b.type == VCD_ADD && a.size >= 4 && a.size <= 6 &&
      b.size >= 1 && b.size <= 4)
    return copy_add[a.size][a.mode][b.size];
  return NO_CODE;
}

static int write_inst(inst_writer *w, inst x) {
  if (w->pending.type != VCD_NOOP) {
    uint16_t code = double_code(w->pending, x);
    if (code != NO_CODE) {
      if (!dg_buf_reserve(w->out, 1)) return 0;
      w->out->p[w->out->n++] = (uint8_t)code;
      w->pending.type = VCD_NOOP;
      return 1;
    }
    if (!put_single(w->out, w->pending)) return 0;
  }
  w->pending = x;
  return 1;
}

static int flush_inst(inst_writer *w) {
  if (w->pending.type == VCD_NOOP) return 1;
  inst x = w->pending;
  w->pending.type = VCD_NOOP;
  return put_single(w->out, x);
}

/* ---- addresses ---------------------------------------------------------------------- */

/* Picks the cheapest mode for address a at position here, writes it to addr, updates the
 * cache like the decoder will. Returns the mode. */
static int put_address(vcd_addr_cache *c, uint64_t a, uint64_t here, dg_buf *addr) {
  int mode = VCD_MODE_SELF;
  uint64_t value = a;
  int cost = vcd_varint_len(a);
  int here_cost = vcd_varint_len(here - a);
  if (here_cost < cost) {
    mode = VCD_MODE_HERE;
    value = here - a;
    cost = here_cost;
  }
  for (int i = 0; i < VCD_NEAR; i++) {
    if (a < c->near[i]) continue;
    int k = vcd_varint_len(a - c->near[i]);
    if (k < cost) {
      mode = VCD_MODE_NEAR0 + i;
      value = a - c->near[i];
      cost = k;
    }
  }
  uint8_t *p = addr->p + addr->n;
  if (cost > 1 && c->same[a % VCD_SAME_SIZE] == a) {
    mode = VCD_MODE_SAME0 + (int)((a % VCD_SAME_SIZE) / 256);
    *p = (uint8_t)(a % 256);
    addr->n++;
  } else {
    addr->n += (size_t)vcd_varint_put(p, value);
  }
  vcd_cache_update(c, a);
  return mode;
}

/* One ADD of the *lit literal bytes at window offset *t. */
static int put_literals(inst_writer *w, dg_sections *s, const uint8_t *win, size_t *t,
                        uint64_t *here, size_t *lit) {
  memcpy(s->data.p + s->data.n, win + *t, *lit);
  s->data.n += *lit;
  if (!write_inst(w, (inst){VCD_ADD, (uint32_t)*lit, 0})) return 0;
  *t += *lit;
  *here += *lit;
  *lit = 0;
  return 1;
}

int dg_emit_window(const dg_ops *const *lists, size_t nlists, const uint8_t *win, size_t n,
                   dg_sections *s) {
  pthread_once(&lookups_once, build_lookups);
  s->data.n = s->inst.n = s->addr.n = 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t l = 0; l < nlists; l++)
    for (size_t i = 0; i < lists[l]->n; i++) {
      const dg_op *o = &lists[l]->v[i];
      if (!o->copy_len || o->self) continue;
      if (o->src < lo) lo = o->src;
      if (o->src + o->copy_len > hi) hi = o->src + o->copy_len;
    }
  s->seg_pos = hi ? lo : 0;
  s->seg_len = hi ? hi - lo : 0;
  if (!dg_buf_reserve(&s->data, n)) return 0;

  vcd_addr_cache cache;
  vcd_cache_reset(&cache);
  inst_writer w = {&s->inst, {VCD_NOOP, 0, 0}};
  uint64_t here = s->seg_len; /* address of the next target byte */
  size_t t = 0;               /* window offset of the next target byte */
  size_t lit = 0;             /* literals not written yet: a list may end with some */
  for (size_t l = 0; l < nlists; l++)
    for (size_t i = 0; i < lists[l]->n; i++) {
      const dg_op *o = &lists[l]->v[i];
      lit += o->lit_len;
      if (!o->copy_len) continue;
      if (lit && !put_literals(&w, s, win, &t, &here, &lit)) return 0;
      if (!dg_buf_reserve(&s->addr, 10)) return 0;
      uint64_t a = o->self ? s->seg_len + o->src : o->src - s->seg_pos;
      int mode = put_address(&cache, a, here, &s->addr);
      if (!write_inst(&w, (inst){VCD_COPY, o->copy_len, mode})) return 0;
      t += o->copy_len;
      here += o->copy_len;
    }
  if (lit && !put_literals(&w, s, win, &t, &here, &lit)) return 0;
  return flush_inst(&w) && t == n;
}
