/* One VCDIFF window: header parsing, section decompression, instruction execution into
 * the window buffer, Adler-32 check and SHA-256. Every size and address read from the
 * delta is checked before it is used (window format: RFC 3284 sections 4.2-4.3 and 5). */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vcdiff/decoder_internal.h"
#include "common/parallel.h"
#include "dg/adler32.h"
#include "dg/fault_guard.h"
#include "dg/limits.h"

#define WIN_FMT "window %llu: "
#define WIN_ARG(dec) (unsigned long long)(dec)->win_index
#define HASH_BLOCK (64u * 1024u) /* hashed at a time: Adler-32 and SHA-256 while in cache */

/* Largest plain section a window of T bytes can use. Every data byte feeds at most one
 * target byte, so data <= T. An instruction costs at most 2 bytes (code + size varint) per
 * target byte and an address at most 5 bytes (a 35-bit varint) per COPY, so 5T bounds both
 * generously. Refusing more bounds memory by the window size instead of by the input. */
static uint64_t plain_bound(int section, uint32_t target_len) {
  uint64_t b = section == DG_SEC_DATA ? target_len : 5ull * target_len + 1024;
  return b < DG_MAX_SECTION_SIZE ? b : DG_MAX_SECTION_SIZE;
}

/* Stored size bound: a compressed section may exceed its plain size by the LZMA framing
 * (xz headers, 3 bytes per 64 KiB chunk, the length varint). */
static uint64_t stored_bound(int section, uint32_t target_len) {
  uint64_t plain = plain_bound(section, target_len);
  return plain + plain / 64 + 1024;
}

/* ---- window header ------------------------------------------------------------------ */

/* Reads one varint; on overflow fails the decoder naming `what`. */
static dg_parse get_varint(dg_decoder *dec, const uint8_t **p, const uint8_t *end,
                           unsigned bits, uint64_t *v, const char *what) {
  int r = vcd_varint_get(p, end, bits, v);
  if (r > 0) return DG_PARSE_OK;
  if (r == 0) return DG_PARSE_MORE;
  dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, WIN_FMT "%s overflows %u bits", WIN_ARG(dec), what,
              bits);
  return DG_PARSE_ERR;
}

#define GET(bits, var, what)                                          \
  do {                                                                \
    dg_parse r_ = get_varint(dec, &p, end, (bits), &(var), (what));   \
    if (r_ != DG_PARSE_OK) return r_;                                 \
  } while (0)

/* Records the error and abandons the parse. */
#define PARSE_FAIL(...)            \
  do {                             \
    dg_dec_fail(dec, __VA_ARGS__); \
    return DG_PARSE_ERR;           \
  } while (0)

/* The reference span a VCD_SOURCE window names must lie inside the given reference. */
static dg_parse check_source_segment(dg_decoder *dec, const dg_window_hdr *w) {
  if (!dec->source)
    PARSE_FAIL(DG_ERR_SOURCE_MISMATCH, WIN_FMT
               "delta was made against a reference; none given",
               WIN_ARG(dec));
  if (w->seg_pos > dec->source_len || w->seg_len > dec->source_len - w->seg_pos)
    PARSE_FAIL(DG_ERR_SOURCE_MISMATCH,
               WIN_FMT "delta needs reference bytes [%llu, %llu) but the reference "
                       "has %llu bytes",
               WIN_ARG(dec), (unsigned long long)w->seg_pos,
               (unsigned long long)(w->seg_pos + w->seg_len),
               (unsigned long long)dec->source_len);
  return DG_PARSE_OK;
}

dg_parse dg_dec_parse_window_header(dg_decoder *dec, const uint8_t *buf, size_t len,
                                    size_t *used) {
  const uint8_t *p = buf, *end = buf + len;
  dg_window_hdr w;
  memset(&w, 0, sizeof w);
  uint64_t v, enc_len;

  if (p == end) return DG_PARSE_MORE;
  w.win_ind = *p++;
  if (w.win_ind & ~(VCD_WIN_SOURCE | VCD_WIN_TARGET | VCD_WIN_ADLER32))
    PARSE_FAIL(DG_ERR_CORRUPT_DELTA,
               WIN_FMT "window indicator 0x%02x has reserved bits set",
               WIN_ARG(dec), w.win_ind);
  if ((w.win_ind & VCD_WIN_SOURCE) && (w.win_ind & VCD_WIN_TARGET))
    PARSE_FAIL(DG_ERR_CORRUPT_DELTA,
               WIN_FMT "both VCD_SOURCE and VCD_TARGET are set",
               WIN_ARG(dec));
  if (w.win_ind & VCD_WIN_TARGET)
    PARSE_FAIL(DG_ERR_UNSUPPORTED,
               WIN_FMT "VCD_TARGET windows are not supported "
                       "(xdelta3 refuses them too)",
               WIN_ARG(dec));
  if (w.win_ind & VCD_WIN_SOURCE) {
    GET(32, w.seg_len, "source segment length");
    GET(64, w.seg_pos, "source segment position");
  }
  GET(32, enc_len, "delta encoding length");
  const uint8_t *counted_from = p;
  GET(32, v, "target window length");
  if (v > DG_MAX_WINDOW_SIZE)
    PARSE_FAIL(DG_ERR_LIMIT,
               WIN_FMT "target window of %llu bytes exceeds the %u "
                       "byte limit",
               WIN_ARG(dec), (unsigned long long)v,
               DG_MAX_WINDOW_SIZE);
  w.target_len = (uint32_t)v;
  if (p == end) return DG_PARSE_MORE;
  w.delta_ind = *p++;
  if (w.delta_ind & ~(VCD_DATACOMP | VCD_INSTCOMP | VCD_ADDRCOMP))
    PARSE_FAIL(DG_ERR_CORRUPT_DELTA,
               WIN_FMT "delta indicator 0x%02x has reserved bits set",
               WIN_ARG(dec), w.delta_ind);
  if (w.delta_ind && !dec->secondary_id)
    PARSE_FAIL(DG_ERR_CORRUPT_DELTA,
               WIN_FMT "sections marked compressed but the header "
                       "declares no secondary compressor",
               WIN_ARG(dec));
  static const char *const names[3] = {"data section length", "instructions section length",
                                       "addresses section length"};
  uint64_t body = 0;
  for (int i = 0; i < 3; i++) {
    GET(32, v, names[i]);
    uint64_t bound = (w.delta_ind & (1u << i)) ? stored_bound(i, w.target_len)
                                               : plain_bound(i, w.target_len);
    if (v > bound)
      PARSE_FAIL(DG_ERR_LIMIT,
                 WIN_FMT "%s %llu is too large for a %u byte window",
                 WIN_ARG(dec), names[i], (unsigned long long)v,
                 w.target_len);
    w.sec_len[i] = (uint32_t)v;
    body += v;
  }
  if (w.win_ind & VCD_WIN_ADLER32) {
    if (end - p < 4) return DG_PARSE_MORE;
    w.adler = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    p += 4;
  }
  uint64_t expect = (uint64_t)(p - counted_from) + body;
  if (enc_len != expect)
    PARSE_FAIL(DG_ERR_CORRUPT_DELTA,
               WIN_FMT "delta encoding length %llu does not match its "
                       "contents (%llu)",
               WIN_ARG(dec), (unsigned long long)enc_len,
               (unsigned long long)expect);
  if ((w.win_ind & VCD_WIN_SOURCE) && check_source_segment(dec, &w) != DG_PARSE_OK)
    return DG_PARSE_ERR;
  dec->win = w;
  dec->body_len = body;
  *used = (size_t)(p - buf);
  return DG_PARSE_OK;
}

/* ---- sections ------------------------------------------------------------------------ */

static int reserve(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 1;
  uint8_t *p = realloc(*buf, need);
  if (!p) return 0;
  *buf = p;
  *cap = need;
  return 1;
}

static const char *const section_names[3] = {"data", "instructions", "addresses"};

/* Plans section i: raw sections are used as stored; a compressed one gets a buffer in
 * sec_buf[i] and its LZMA segments in lz_segs[i]. */
static dg_status plan_section(dg_decoder *dec, int i, const uint8_t *stored,
                              const uint8_t **plain, size_t *plain_len) {
  size_t len = dec->win.sec_len[i];
  dec->lz_segs[i].n = 0;
  if (!(dec->win.delta_ind & (1u << i))) {
    *plain = stored;
    *plain_len = len;
    return DG_OK;
  }
  const uint8_t *p = stored, *end = stored + len;
  uint64_t ulen;
  int r = vcd_varint_get(&p, end, 32, &ulen);
  if (r <= 0 || ulen == 0)
    return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                       WIN_FMT "compressed %s section has a bad uncompressed length",
                       WIN_ARG(dec), section_names[i]);
  if (ulen > plain_bound(i, dec->win.target_len))
    return dg_dec_fail(dec, DG_ERR_LIMIT,
                       WIN_FMT "compressed %s section claims %llu bytes, too many for a %u byte "
                               "window",
                       WIN_ARG(dec), section_names[i], (unsigned long long)ulen,
                       dec->win.target_len);
  if (!dec->lz[i] && !(dec->lz[i] = dg_lzma_dec_new()))
    return dg_dec_fail(dec, DG_ERR_NOMEM, "out of memory creating an LZMA decoder");
  if (!reserve(&dec->sec_buf[i], &dec->sec_cap[i], (size_t)ulen))
    return dg_dec_fail(dec, DG_ERR_NOMEM, WIN_FMT "out of memory for the %s section",
                       WIN_ARG(dec), section_names[i]);
  char why[160];
  dg_status st = dg_lzma_dec_plan(dec->lz[i], p, (size_t)(end - p), dec->sec_buf[i],
                                  (size_t)ulen, &dec->lz_segs[i], why, sizeof why);
  if (st != DG_OK)
    return dg_dec_fail(dec, st, WIN_FMT "%s section: %s", WIN_ARG(dec), section_names[i], why);
  *plain = dec->sec_buf[i];
  *plain_len = (size_t)ulen;
  return DG_OK;
}

/* Decoding in parallel pays only on big sections: below this many output bytes in all,
 * starting threads costs more than it saves. */
#define PARALLEL_MIN (1u << 20)

static void decode_segment(void *arg, size_t j) {
  dg_decoder *dec = arg;
  for (int i = 0; i < 3; i++) {
    if (j < dec->lz_segs[i].n) {
      dg_lzma_dec_segment(dec->lz[i], &dec->lz_segs[i].v[j]);
      return;
    }
    j -= dec->lz_segs[i].n;
  }
}

/* Decodes every LZMA segment of the window's sections (on several threads when they are
 * big), then reports the first failure in section order. */
static dg_status decode_sections(dg_decoder *dec) {
  size_t jobs = 0, bytes = 0;
  for (int i = 0; i < 3; i++)
    for (size_t j = 0; j < dec->lz_segs[i].n; j++, jobs++) bytes += dec->lz_segs[i].v[j].out_len;
  unsigned threads = bytes < PARALLEL_MIN ? 1 : dg_default_threads();
  if (!dg_parallel_for(jobs, threads, decode_segment, dec))
    return dg_dec_fail(dec, DG_ERR_IO, WIN_FMT "a memory fault while decoding", WIN_ARG(dec));
  for (int i = 0; i < 3; i++) {
    if (!dec->lz_segs[i].n) continue;
    char why[160];
    dg_status st = dg_lzma_dec_finish(dec->lz[i], &dec->lz_segs[i], why, sizeof why);
    if (st != DG_OK)
      return dg_dec_fail(dec, st, WIN_FMT "%s section: %s", WIN_ARG(dec), section_names[i], why);
  }
  return DG_OK;
}

/* ---- instruction execution ----------------------------------------------------------- */

typedef struct {
  const uint8_t *data, *data_end;
  const uint8_t *inst, *inst_end;
  const uint8_t *addr, *addr_end;
  const uint8_t *src; /* source segment (S bytes) */
  uint64_t S;
  uint8_t *out; /* target window (T bytes) */
  size_t T;
  atomic_size_t *ready; /* when hashed alongside: target bytes written so far (else NULL) */
} win_exec;

/* Copies n bytes from w[from] to w[to] where from < to and the ranges may overlap: the
 * result repeats the period (to - from) pattern, built in doubling memcpy chunks. */
static void copy_overlapping(uint8_t *w, size_t from, size_t to, size_t n) {
  size_t d = to - from;
  if (d >= n) {
    memcpy(w + to, w + from, n);
    return;
  }
  uint8_t *dst = w + to;
  if (d == 1) {
    memset(dst, w[from], n);
    return;
  }
  memcpy(dst, w + from, d);
  size_t done = d;
  while (done < n) {
    size_t chunk = done < n - done ? done : n - done;
    memcpy(dst + done, dst, chunk);
    done += chunk;
  }
}

/* Decodes one COPY address (RFC 3284 5.3) for `mode` at address-space position `here`. */
static dg_status decode_address(dg_decoder *dec, win_exec *x, unsigned mode, uint64_t here,
                                uint64_t *addr) {
  uint64_t v, a;
  if (mode >= VCD_MODE_SAME0) {
    if (x->addr == x->addr_end) goto short_addr;
    a = dec->cache.same[(mode - VCD_MODE_SAME0) * 256 + *x->addr++];
  } else {
    int r = vcd_varint_get(&x->addr, x->addr_end, 64, &v);
    if (r == 0) goto short_addr;
    if (r < 0) goto bad;
    if (mode == VCD_MODE_SELF) {
      a = v;
    } else if (mode == VCD_MODE_HERE) {
      if (v > here) goto bad;
      a = here - v;
    } else {
      uint64_t base = dec->cache.near[mode - VCD_MODE_NEAR0];
      if (v >= UINT64_MAX - base) goto bad;
      a = base + v;
    }
  }
  vcd_cache_update(&dec->cache, a);
  if (a >= here) goto bad;
  *addr = a;
  return DG_OK;
short_addr:
  return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, WIN_FMT "addresses section is too short",
                     WIN_ARG(dec));
bad:
  return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                     WIN_FMT "COPY address is out of range at target offset %llu",
                     WIN_ARG(dec), (unsigned long long)(here - x->S));
}

/* Executes one instruction half; *t is the number of target bytes produced so far. */
static dg_status exec_half(dg_decoder *dec, win_exec *x, unsigned type, uint64_t size,
                           unsigned mode, size_t *t) {
  size_t pos = *t;
  if (size > x->T - pos)
    return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                       WIN_FMT "instructions produce more than the %zu byte target window",
                       WIN_ARG(dec), x->T);
  switch (type) {
    case VCD_ADD:
      if (size > (size_t)(x->data_end - x->data))
        return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, WIN_FMT "data section is too short",
                           WIN_ARG(dec));
      memcpy(x->out + pos, x->data, (size_t)size);
      x->data += size;
      break;
    case VCD_RUN:
      if (x->data == x->data_end)
        return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, WIN_FMT "data section is too short",
                           WIN_ARG(dec));
      memset(x->out + pos, *x->data++, (size_t)size);
      break;
    case VCD_COPY: {
      uint64_t here = x->S + pos, a = 0;
      dg_status st = decode_address(dec, x, mode, here, &a);
      if (st != DG_OK) return st;
      if (a < x->S) {
        if (size > x->S - a)
          return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                             WIN_FMT "COPY at target offset %zu runs past the source segment",
                             WIN_ARG(dec), pos);
        memcpy(x->out + pos, x->src + a, (size_t)size);
      } else {
        copy_overlapping(x->out, (size_t)(a - x->S), pos, (size_t)size);
      }
      break;
    }
    default:
      return dg_dec_fail(dec, DG_ERR_INTERNAL, "bad instruction type");
  }
  *t = pos + (size_t)size;
  /* Written bytes never change again (COPY only reads earlier ones): publish them for the
   * hashing thread, once per hash block crossed. */
  if (x->ready && (*t / HASH_BLOCK != pos / HASH_BLOCK || *t == x->T))
    atomic_store_explicit(x->ready, *t, memory_order_release);
  return DG_OK;
}

static dg_status execute(dg_decoder *dec, win_exec *x) {
  const vcd_code *table = dec->table;
  size_t t = 0;
  vcd_cache_reset(&dec->cache);
  while (x->inst < x->inst_end) {
    const vcd_code *c = &table[*x->inst++];
    for (int half = 0; half < 2; half++) {
      unsigned type = half ? c->type2 : c->type1;
      if (type == VCD_NOOP) continue;
      uint64_t size = half ? c->size2 : c->size1;
      if (size == 0) {
        int r = vcd_varint_get(&x->inst, x->inst_end, 32, &size);
        if (r <= 0)
          return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                             WIN_FMT "instruction size is %s", WIN_ARG(dec),
                             r == 0 ? "missing (instructions section too short)" : "too large");
      }
      dg_status st = exec_half(dec, x, type, size, half ? c->mode2 : c->mode1, &t);
      if (st != DG_OK) return st;
    }
  }
  if (t != x->T)
    return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                       WIN_FMT "instructions produce %zu bytes, the window declares %zu",
                       WIN_ARG(dec), t, x->T);
  if (x->data != x->data_end || x->addr != x->addr_end)
    return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA,
                       WIN_FMT "%s section has unused bytes", WIN_ARG(dec),
                       x->data != x->data_end ? "data" : "addresses");
  return DG_OK;
}

/* Adler-32 and SHA-256 of the window's first `upto` bytes from *off on, in blocks, so
 * each block is hashed twice while it is still in cache. */
static void hash_blocks(dg_decoder *dec, size_t *off, size_t upto, uint32_t *adler) {
  const uint8_t *w = dec->wbuf;
  int check = dec->verify_checksum && (dec->win.win_ind & VCD_WIN_ADLER32);
  while (*off < upto) {
    size_t n = upto - *off < HASH_BLOCK ? upto - *off : HASH_BLOCK;
    if (check) *adler = dg_adler32(*adler, w + *off, n);
    dg_sha256_update(&dec->sha, w + *off, n);
    *off += n;
  }
}

static dg_status check_adler(dg_decoder *dec, uint32_t adler) {
  int check = dec->verify_checksum && (dec->win.win_ind & VCD_WIN_ADLER32);
  if (check && adler != dec->win.adler)
    return dg_dec_fail(dec, DG_ERR_CHECKSUM,
                       WIN_FMT "target window checksum mismatch (Adler-32 %08x, expected %08x)",
                       WIN_ARG(dec), adler, dec->win.adler);
  return DG_OK;
}

/* ---- executing and hashing side by side ---------------------------------------------- */

/* Windows from this size are executed and hashed on two threads: hashing (SHA-256 at
 * ~1.6 GB/s) then trails the copying instead of following it. Smaller ones are not worth
 * a thread. */
#define BESIDE_MIN (1u << 20)

typedef struct {
  dg_decoder *dec;
  win_exec *x;
  atomic_size_t ready; /* target bytes written so far */
  atomic_int done;     /* execute has returned (or faulted) */
  dg_status st;        /* what execute returned */
  int faulted;         /* a SIGBUS in the mapped source stopped it */
  uint32_t adler;
} beside;

/* Job 0. Under a fault guard its own guard catches a fault in the source mapping, so that
 * `done` is still set and the hashing job never waits for bytes that will not come. */
static void execute_job(beside *b) {
  const dg_guard *outer = dg_guard_current();
  if (!outer) {
    b->st = execute(b->dec, b->x);
  } else {
    dg_guard g;
    if (DG_GUARD_BEGIN(&g, outer->lo, (size_t)(outer->hi - outer->lo)))
      b->st = execute(b->dec, b->x);
    else
      b->faulted = 1;
    dg_guard_end(&g);
  }
  atomic_store_explicit(&b->done, 1, memory_order_release);
}

/* Job 1: hashes whole blocks as execute publishes them, the tail once it is all there. */
static void hash_job(beside *b) {
  size_t T = b->x->T, off = 0;
  uint32_t adler = 1;
  while (off < T) {
    size_t ready = atomic_load_explicit(&b->ready, memory_order_acquire);
    if (ready - off >= HASH_BLOCK || ready == T) {
      hash_blocks(b->dec, &off, ready == T ? T : off + HASH_BLOCK, &adler);
      continue;
    }
    if (atomic_load_explicit(&b->done, memory_order_acquire) &&
        atomic_load_explicit(&b->ready, memory_order_acquire) == ready)
      break; /* execute failed: the window is abandoned */
    sched_yield();
  }
  b->adler = adler;
}

static void beside_job(void *arg, size_t i) {
  if (i == 0)
    execute_job(arg);
  else
    hash_job(arg);
}

static dg_status execute_and_hash(dg_decoder *dec, win_exec *x) {
  unsigned threads = x->T < BESIDE_MIN ? 1 : dg_default_threads();
  if (threads < 2) {
    dg_status st = execute(dec, x);
    if (st != DG_OK) return st;
    uint32_t adler = 1;
    size_t off = 0;
    hash_blocks(dec, &off, x->T, &adler);
    return check_adler(dec, adler);
  }
  beside b = {.dec = dec, .x = x, .st = DG_OK};
  atomic_init(&b.ready, 0);
  atomic_init(&b.done, 0);
  x->ready = &b.ready;
  int ok = dg_parallel_for(2, 2, beside_job, &b);
  x->ready = NULL;
  if (!ok || b.faulted)
    return dg_dec_fail(dec, DG_ERR_IO, WIN_FMT DG_FAULT_MESSAGE, WIN_ARG(dec));
  if (b.st != DG_OK) return b.st;
  return check_adler(dec, b.adler);
}

dg_status dg_dec_run_window(dg_decoder *dec, const uint8_t *body) {
  const dg_window_hdr *w = &dec->win;
  win_exec x;
  const uint8_t *plain[3];
  size_t plain_len[3];
  const uint8_t *stored = body;
  for (int i = 0; i < 3; i++) {
    dg_status st = plan_section(dec, i, stored, &plain[i], &plain_len[i]);
    if (st != DG_OK) return st;
    stored += w->sec_len[i];
  }
  dg_status sections = decode_sections(dec);
  if (sections != DG_OK) return sections;
  if (!reserve(&dec->wbuf, &dec->wbuf_cap, w->target_len ? w->target_len : 1))
    return dg_dec_fail(dec, DG_ERR_NOMEM, WIN_FMT "out of memory for a %u byte window",
                       WIN_ARG(dec), w->target_len);
  x.data = plain[DG_SEC_DATA];
  x.data_end = x.data + plain_len[DG_SEC_DATA];
  x.inst = plain[DG_SEC_INST];
  x.inst_end = x.inst + plain_len[DG_SEC_INST];
  x.addr = plain[DG_SEC_ADDR];
  x.addr_end = x.addr + plain_len[DG_SEC_ADDR];
  x.S = (w->win_ind & VCD_WIN_SOURCE) ? w->seg_len : 0;
  x.src = x.S ? dec->source + w->seg_pos : NULL;
  x.out = dec->wbuf;
  x.T = w->target_len;
  x.ready = NULL;
  return execute_and_hash(dec, &x);
}
