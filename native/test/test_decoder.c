/* C tests of the streaming VCDIFF decoder: every xdelta3 vector, any input/output chunking,
 * truncations, byte flips, wrong references, and hand-built deltas for each check. */
#include <lzma.h>
#include <stdint.h>

#include "dg/adler32.h"
#include "dg/decoder.h"
#include "dg/sha256.h"
#include "test_util.h"

#define DG_STUCK ((int)-1) /* the decoder stopped making progress (a bug) */

typedef struct {
  int status;
  unsigned char *out;
  size_t out_len;
  char sha_hex[65];     /* dg_decoder_sha256 after DONE */
  char out_sha_hex[65]; /* SHA-256 of the bytes actually delivered */
  char err[320];
} decode_result;

static void result_free(decode_result *r) { free(r->out); }

/* Decodes `delta` feeding at most in_chunk bytes and offering out_cap bytes per call. */
static decode_result decode(const unsigned char *src, size_t src_len, int has_src,
                            const unsigned char *delta, size_t delta_len, size_t in_chunk,
                            size_t out_cap, int verify) {
  decode_result r;
  memset(&r, 0, sizeof r);
  dg_decoder_options opts;
  dg_decoder_options_init(&opts);
  opts.verify_checksum = verify;
  dg_decoder *dec = dg_decoder_new(has_src ? (src ? src : (const unsigned char *)"") : NULL,
                                   src_len, &opts);
  unsigned char *obuf = malloc(out_cap ? out_cap : 1);
  size_t cap = 1 << 16, pos = 0;
  int stall = 0;
  r.out = malloc(cap);
  for (;;) {
    size_t n = delta_len - pos < in_chunk ? delta_len - pos : in_chunk;
    int fin = pos + n == delta_len;
    size_t used = 0, made = 0;
    dg_status st = dg_decoder_feed(dec, delta + pos, n, fin, obuf, out_cap, &used, &made);
    if (r.out_len + made > cap) {
      while (r.out_len + made > cap) cap *= 2;
      r.out = realloc(r.out, cap);
    }
    memcpy(r.out + r.out_len, obuf, made);
    r.out_len += made;
    pos += used;
    r.status = (int)st;
    if (st != DG_OK) break;
    if (used == 0 && made == 0 && n == 0 && ++stall > 2) {
      r.status = DG_STUCK;
      break;
    }
    if (used || made) stall = 0;
  }
  uint8_t d[32];
  dg_decoder_sha256(dec, d);
  dg_hex(d, 32, r.sha_hex);
  dg_sha256(r.out, r.out_len, d);
  dg_hex(d, 32, r.out_sha_hex);
  snprintf(r.err, sizeof r.err, "%s", dg_decoder_error(dec));
  if (r.status == DG_DONE && dg_decoder_total_out(dec) != r.out_len) r.status = DG_STUCK;
  dg_decoder_free(dec);
  free(obuf);
  return r;
}

/* ---- xdelta3 vectors ------------------------------------------------------------------- */

typedef struct {
  vector_case c;
  unsigned char *src, *delta;
  size_t src_len, delta_len;
  int has_src, unsupported;
} vector;

static int load_vector(const vector_case *c, vector *v) {
  memset(v, 0, sizeof *v);
  v->c = *c;
  v->has_src = c->source[0] != 0;
  if (v->has_src && !(v->src = load_vector_file(c->source, &v->src_len))) return 0;
  if (!(v->delta = load_vector_file(c->delta, &v->delta_len))) return 0;
  v->unsupported = strstr(c->flags, "djw") || strstr(c->flags, "fgk");
  return 1;
}

static decode_result decode_vector(const vector *v, size_t in_chunk, size_t out_cap) {
  return decode(v->src, v->src_len, v->has_src, v->delta, v->delta_len, in_chunk, out_cap, 1);
}

static void test_vector_whole(const vector *v) {
  decode_result r = decode_vector(v, (size_t)-1, 1 << 16);
  if (v->unsupported) {
    int djw = strstr(v->c.flags, "djw") != NULL;
    CHECK(r.status == DG_ERR_UNSUPPORTED, "%s: status %d, want UNSUPPORTED", v->c.name,
          r.status);
    CHECK(strstr(r.err, djw ? "DJW" : "FGK") != NULL, "%s: message '%s'", v->c.name, r.err);
  } else {
    CHECK(r.status == DG_DONE, "%s: status %d (%s)", v->c.name, r.status, r.err);
    CHECK(strcmp(r.sha_hex, v->c.target_sha256) == 0, "%s: decoder sha %s", v->c.name,
          r.sha_hex);
    CHECK(strcmp(r.out_sha_hex, v->c.target_sha256) == 0, "%s: output sha %s", v->c.name,
          r.out_sha_hex);
  }
  result_free(&r);
}

/* Chunkings must not change the result: same status, same bytes. */
static void test_vector_chunking(const vector *v) {
  static const size_t plans[][2] = {{1, 1}, {1, 7}, {13, 4093}, {4096, 1}, {3, 65536}};
  for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
    decode_result r = decode_vector(v, plans[i][0], plans[i][1]);
    if (v->unsupported) {
      CHECK(r.status == DG_ERR_UNSUPPORTED, "%s chunk %zu/%zu: status %d", v->c.name,
            plans[i][0], plans[i][1], r.status);
    } else {
      CHECK(r.status == DG_DONE && strcmp(r.out_sha_hex, v->c.target_sha256) == 0 &&
                strcmp(r.sha_hex, v->c.target_sha256) == 0,
            "%s chunk %zu/%zu: status %d (%s) sha %s", v->c.name, plans[i][0], plans[i][1],
            r.status, r.err, r.out_sha_hex);
    }
    result_free(&r);
  }
}

/* A shorter or different reference than the delta was made against is reported. */
static void test_vector_wrong_reference(const vector *v) {
  if (v->unsupported || !v->has_src || v->src_len < 2) return;
  /* No reference at all. */
  decode_result r = decode(NULL, 0, 0, v->delta, v->delta_len, (size_t)-1, 1 << 16, 1);
  if (r.status == DG_DONE && strcmp(r.out_sha_hex, v->c.target_sha256) == 0) {
    /* xdelta3 found nothing to copy (e.g. unrelated random data): no VCD_SOURCE window,
     * so the reference is not needed at all. */
    result_free(&r);
    return;
  }
  {
    CHECK(r.status == DG_ERR_SOURCE_MISMATCH && strstr(r.err, "none given"),
          "%s without reference: %d (%s)", v->c.name, r.status, r.err);
  }
  result_free(&r);
  /* A reference cut to half. */
  r = decode(v->src, v->src_len / 2, 1, v->delta, v->delta_len, (size_t)-1, 1 << 16, 1);
  {
    CHECK(r.status == DG_ERR_SOURCE_MISMATCH || r.status == DG_ERR_CHECKSUM ||
              (r.status == DG_DONE && strcmp(r.out_sha_hex, v->c.target_sha256) != 0),
          "%s short reference: %d (%s)", v->c.name, r.status, r.err);
    if (r.status == DG_ERR_SOURCE_MISMATCH)
      CHECK(strstr(r.err, "but the reference has") != NULL, "%s: message '%s'", v->c.name,
            r.err);
  }
  result_free(&r);
  /* Same length, different bytes. */
  unsigned char *other = malloc(v->src_len);
  for (size_t i = 0; i < v->src_len; i++) other[i] = v->src[i] ^ 0x5A;
  r = decode(other, v->src_len, 1, v->delta, v->delta_len, (size_t)-1, 1 << 16, 1);
  int checksummed = strstr(v->c.flags, "-n") == NULL;
  {
    if (checksummed)
      CHECK(r.status == DG_ERR_CHECKSUM && strstr(r.err, "window 0"),
            "%s altered reference: %d (%s)", v->c.name, r.status, r.err);
    else
      CHECK(r.status == DG_DONE && strcmp(r.out_sha_hex, v->c.target_sha256) != 0,
            "%s altered reference, no checksum: %d", v->c.name, r.status);
  }
  result_free(&r);
  free(other);
}

/* Every prefix of the delta is either an error or (at a window boundary only, since VCDIFF
 * has no end marker) a shorter target that the SHA-256 check above the codec rejects. */
static void test_vector_truncations(const vector *v, int max_windows) {
  int boundary_cuts = 0, bad = 0;
  for (size_t cut = 0; cut < v->delta_len; cut++) {
    decode_result r = decode(v->src, v->src_len, v->has_src, v->delta, cut, (size_t)-1, 4096, 1);
    if (r.status == DG_DONE) {
      boundary_cuts++;
      if (strcmp(r.out_sha_hex, v->c.target_sha256) == 0) bad++;
    } else if (r.status != DG_ERR_CORRUPT_DELTA || !strstr(r.err, "truncated")) {
      /* A cut inside a window's sections must say so; other errors are acceptable only if
       * they come from a length check (they cannot: nothing after the cut is read). */
      bad++;
      fprintf(stderr, "  cut %zu: status %d '%s'\n", cut, r.status, r.err);
    }
    result_free(&r);
  }
  CHECK(bad == 0, "%s truncations: %d unexpected outcomes", v->c.name, bad);
  CHECK(boundary_cuts <= max_windows - 1, "%s: %d cuts decoded (windows %d)", v->c.name,
        boundary_cuts, max_windows);
}

/* Flipping any single byte never crashes; with Adler-32 on, never yields a wrong target. */
static void test_vector_flips(const vector *v) {
  static const unsigned char masks[] = {0x01, 0x80, 0xFF};
  unsigned char *d = malloc(v->delta_len);
  int wrong = 0, invalid = 0, done_same = 0, errors = 0;
  int checksummed = strstr(v->c.flags, "-n") == NULL;
  for (size_t i = 0; i < v->delta_len; i++) {
    for (size_t m = 0; m < sizeof masks; m++) {
      memcpy(d, v->delta, v->delta_len);
      d[i] ^= masks[m];
      decode_result r = decode(v->src, v->src_len, v->has_src, d, v->delta_len, (size_t)-1,
                               1 << 16, 1);
      if (r.status == DG_DONE) {
        if (strcmp(r.out_sha_hex, v->c.target_sha256) == 0)
          done_same++;
        else
          wrong++;
      } else if (r.status <= DG_DONE || r.status > DG_ERR_INTERNAL || r.err[0] == 0) {
        invalid++;
      } else {
        errors++;
      }
      result_free(&r);
    }
  }
  CHECK(invalid == 0, "%s flips: %d invalid statuses", v->c.name, invalid);
  if (checksummed) CHECK(wrong == 0, "%s flips: %d silent wrong outputs", v->c.name, wrong);
  printf("  %s flips: %d errors, %d same output, %d different output\n", v->c.name, errors,
         done_same, wrong);
  free(d);
}

static void test_vectors(void) {
  static vector_case cases[64];
  int n = load_manifest(DG_VECTORS_DIR, cases, 64);
  CHECK(n >= 20, "manifest has %d cases", n);
  for (int i = 0; i < n; i++) {
    vector v;
    CHECK(load_vector(&cases[i], &v), "cannot load %s", cases[i].name);
    test_vector_whole(&v);
    test_vector_chunking(&v);
    test_vector_wrong_reference(&v);
    const char *name = cases[i].name;
    if (!strcmp(name, "mixed-default") || !strcmp(name, "nosource-selfcopy") ||
        !strcmp(name, "mixed-plain-rfc") || !strcmp(name, "empty-target")) {
      CHECK(v.c.windows == 1, "%s: %d windows, want 1", name, v.c.windows);
      test_vector_truncations(&v, 1);
    }
    if (!strcmp(name, "multiwindow-W16384")) {
      CHECK(v.c.windows > 4, "%s: only %d windows", name, v.c.windows);
      test_vector_truncations(&v, v.c.windows);
    }
    if (!strcmp(name, "mixed-default") || !strcmp(name, "mixed-plain-rfc") ||
        !strcmp(name, "multiwindow-W16384") || !strcmp(name, "nosource-selfcopy"))
      test_vector_flips(&v);
    free(v.src);
    free(v.delta);
  }
  printf("  %d vectors\n", n);
}

/* ---- hand-built deltas ------------------------------------------------------------------ */

typedef struct {
  unsigned char b[1 << 16];
  size_t n;
} buf;

static void put(buf *o, const void *p, size_t n) {
  if (n) memcpy(o->b + o->n, p, n);
  o->n += n;
}
static void put8(buf *o, unsigned v) { o->b[o->n++] = (unsigned char)v; }
static void putv(buf *o, uint64_t v) {
  unsigned char t[10];
  int n = 0;
  do {
    t[n++] = (unsigned char)(v & 0x7F);
    v >>= 7;
  } while (v);
  while (n--) put8(o, t[n] | (n ? 0x80 : 0));
}
static size_t vlen(uint64_t v) {
  size_t n = 1;
  while (v >= 128) v >>= 7, n++;
  return n;
}

/* File header with header indicator `ind` (no app header, no compressor). */
static void file_header(buf *o, unsigned ind) {
  static const unsigned char m[] = {0xD6, 0xC3, 0xC4, 0x00};
  put(o, m, 4);
  put8(o, ind);
}

typedef struct {
  unsigned win_ind;
  uint64_t seg_len, seg_pos;
  uint64_t target_len;
  const void *data, *inst, *addr;
  size_t dlen, ilen, alen;
  int adler_set; /* write this adler instead of none (win_ind must have bit 2) */
  uint32_t adler;
  long enc_len_delta; /* added to the correct "length of the delta encoding" */
  unsigned delta_ind;
} window;

static void put_window(buf *o, const window *w) {
  put8(o, w->win_ind);
  if (w->win_ind & 1) {
    putv(o, w->seg_len);
    putv(o, w->seg_pos);
  }
  size_t enc = vlen(w->target_len) + 1 + vlen(w->dlen) + vlen(w->ilen) + vlen(w->alen) +
               ((w->win_ind & 4) ? 4 : 0) + w->dlen + w->ilen + w->alen;
  putv(o, (uint64_t)((long)enc + w->enc_len_delta));
  putv(o, w->target_len);
  put8(o, w->delta_ind);
  putv(o, w->dlen);
  putv(o, w->ilen);
  putv(o, w->alen);
  if (w->win_ind & 4) {
    uint32_t a = w->adler;
    unsigned char be[4] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16),
                           (unsigned char)(a >> 8), (unsigned char)a};
    put(o, be, 4);
  }
  put(o, w->data, w->dlen);
  put(o, w->inst, w->ilen);
  put(o, w->addr, w->alen);
}

/* Code table indices used below (RFC 3284 default table). */
enum { C_RUN = 0, C_ADD0 = 1, C_COPY0_SELF = 19, C_COPY0_HERE = 35 };
#define C_ADD(n) (1 + (n))             /* ADD n, n = 1..17 */
#define C_COPY_SELF(n) (20 + (n) - 4) /* COPY n mode SELF, n = 4..18 */

static decode_result run_synthetic(const buf *o, const unsigned char *src, size_t src_len,
                                   int has_src) {
  decode_result whole = decode(src, src_len, has_src, o->b, o->n, (size_t)-1, 1 << 16, 1);
  /* The same delta byte by byte must behave identically. */
  decode_result bytes = decode(src, src_len, has_src, o->b, o->n, 1, 3, 1);
  CHECK(whole.status == bytes.status && whole.out_len == bytes.out_len &&
            (whole.out_len == 0 || memcmp(whole.out, bytes.out, whole.out_len) == 0),
        "chunked decode differs: %d vs %d", whole.status, bytes.status);
  result_free(&bytes);
  return whole;
}

static void expect_status(const buf *o, const unsigned char *src, size_t src_len, int has_src,
                          int want, const char *msg_part, const char *what) {
  decode_result r = run_synthetic(o, src, src_len, has_src);
  CHECK(r.status == want, "%s: status %d (%s), want %d", what, r.status, r.err, want);
  if (msg_part) CHECK(strstr(r.err, msg_part) != NULL, "%s: message '%s'", what, r.err);
  result_free(&r);
}

/* ADD a prefix, then one overlapping COPY from `period` back: a period-k pattern. */
static void test_overlapping_copies(void) {
  static const size_t periods[] = {1, 2, 3, 7, 64, 1000};
  for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++) {
    size_t p = periods[k], T = 100000;
    unsigned char data[1000];
    for (size_t i = 0; i < p; i++) data[i] = (unsigned char)(i * 37 + 11);
    buf inst = {.n = 0}, addr = {.n = 0}, o = {.n = 0};
    put8(&inst, C_ADD0);
    putv(&inst, p);
    put8(&inst, C_COPY0_HERE);
    putv(&inst, T - p);
    putv(&addr, p); /* HERE mode: p bytes back */
    unsigned char *want = malloc(T);
    for (size_t i = 0; i < T; i++) want[i] = data[i % p];
    file_header(&o, 0);
    window w = {.win_ind = 4, .target_len = T, .data = data, .dlen = p, .inst = inst.b,
                .ilen = inst.n, .addr = addr.b, .alen = addr.n, .adler_set = 1};
    w.adler = dg_adler32(1, want, T);
    put_window(&o, &w);
    decode_result r = run_synthetic(&o, NULL, 0, 0);
    CHECK(r.status == DG_DONE && r.out_len == T && memcmp(r.out, want, T) == 0,
          "period %zu: status %d (%s) len %zu", p, r.status, r.err, r.out_len);
    result_free(&r);
    free(want);
  }
}

/* A window copying from the reference, a RUN, and a T = 0 window. */
static void test_source_run_and_empty_windows(void) {
  const unsigned char src[] = "0123456789abcdefghij";
  buf o = {.n = 0};
  file_header(&o, 0);
  unsigned char inst[] = {C_COPY_SELF(10), C_RUN, 5};
  unsigned char data[] = {'z'};
  unsigned char addr[] = {0};
  window w = {.win_ind = 1, .seg_len = 10, .seg_pos = 10, .target_len = 15, .data = data,
              .dlen = 1, .inst = inst, .ilen = 3, .addr = addr, .alen = 1};
  put_window(&o, &w);
  window empty = {.win_ind = 4, .target_len = 0, .adler = 1};
  put_window(&o, &empty);
  decode_result r = run_synthetic(&o, src, 20, 1);
  CHECK(r.status == DG_DONE && r.out_len == 15 && memcmp(r.out, "abcdefghijzzzzz", 15) == 0,
        "source+run: status %d (%s)", r.status, r.err);
  result_free(&r);

  /* The same delta against a reference too short for segment [10, 20). */
  expect_status(&o, src, 15, 1, DG_ERR_SOURCE_MISMATCH,
                "delta needs reference bytes [10, 20) but the reference has 15 bytes",
                "short reference");
  expect_status(&o, NULL, 0, 0, DG_ERR_SOURCE_MISMATCH, "none given", "no reference");
}

static void test_header_errors(void) {
  buf o;
  const unsigned char empty_win[] = {0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00};
#define WITH_HEADER(bytes)                   \
  do {                                       \
    o.n = 0;                                 \
    static const unsigned char h_[] = bytes; \
    put(&o, h_, sizeof h_);                  \
    put(&o, empty_win, sizeof empty_win);    \
  } while (0)
#define B(...) {__VA_ARGS__}
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x00));
  expect_status(&o, NULL, 0, 0, DG_DONE, NULL, "minimal delta");
  WITH_HEADER(B(0xD6, 0xC3, 0xC5, 0x00, 0x00));
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "magic", "bad magic");
  WITH_HEADER(B('P', 'K', 0x03, 0x04, 0x00));
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "magic", "zip file");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x01, 0x00));
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "version", "version 1");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x08));
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "reserved", "reserved header bit");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x02, 0x00));
  expect_status(&o, NULL, 0, 0, DG_ERR_UNSUPPORTED, "VCD_CODETABLE", "code table");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x01, 0x01));
  expect_status(&o, NULL, 0, 0, DG_ERR_UNSUPPORTED, "DJW", "djw");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x01, 0x10));
  expect_status(&o, NULL, 0, 0, DG_ERR_UNSUPPORTED, "FGK", "fgk");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x01, 0x03));
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "secondary compressor id 3", "id 3");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x05, 0x02, 0x03, 'a', '/', 'b'));
  expect_status(&o, NULL, 0, 0, DG_DONE, NULL, "app header skipped");
  WITH_HEADER(B(0xD6, 0xC3, 0xC4, 0x00, 0x04, 0x84, 0x80, 0x01));
  expect_status(&o, NULL, 0, 0, DG_ERR_LIMIT, "application header", "app header too long");

  /* Header only: no window follows. */
  o.n = 0;
  file_header(&o, 0);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "truncated", "no windows");
  o.n = 0;
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "truncated", "empty input");
#undef WITH_HEADER
#undef B
}

static void test_window_errors(void) {
  buf o;
  unsigned char data[5] = {'a', 'b', 'c', 'd', 'e'};
  unsigned char add4[] = {C_ADD(4)};
  window ok = {.win_ind = 0, .target_len = 4, .data = data, .dlen = 4, .inst = add4, .ilen = 1};

  o.n = 0, file_header(&o, 0), put_window(&o, &ok);
  expect_status(&o, NULL, 0, 0, DG_DONE, NULL, "plain ADD");

  window w = ok;
  w.win_ind = 0x08;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "reserved", "window reserved bit");
  w.win_ind = 0x02;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_UNSUPPORTED, "VCD_TARGET", "VCD_TARGET");
  w.win_ind = 0x03;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, NULL, "SOURCE|TARGET");

  w = ok;
  w.enc_len_delta = 1;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "encoding length", "enc len +1");

  w = ok;
  w.win_ind = 4;
  w.adler = 12345;
  o.n = 0, file_header(&o, 0), put_window(&o, &ok), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CHECKSUM, "window 1", "adler mismatch");
  {
    decode_result r = decode(NULL, 0, 0, o.b, o.n, (size_t)-1, 64, 0);
    CHECK(r.status == DG_DONE && r.out_len == 8, "verify off: %d", r.status);
    result_free(&r);
  }

  w = ok;
  w.target_len = 16u * 1024 * 1024 + 1;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_LIMIT, "limit", "window too large");

  w = ok;
  w.target_len = 5;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "produce 4 bytes", "short output");

  unsigned char add4_copy4[] = {C_ADD(4), C_COPY_SELF(4)};
  unsigned char zero[] = {0};
  w = ok;
  w.inst = add4_copy4, w.ilen = 2, w.addr = zero, w.alen = 1;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "more than", "long output");

  w = ok;
  w.addr = zero, w.alen = 1;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "addresses section has unused",
                "unused address");

  unsigned char add2_copy2[] = {C_ADD(2), C_COPY0_SELF, 2};
  w = ok;
  w.inst = add2_copy2, w.ilen = 3, w.addr = zero, w.alen = 1;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "data section has unused", "unused data");

  w = ok;
  w.target_len = 3;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_LIMIT, "too large", "data larger than window");

  unsigned char add5[] = {C_ADD(5)};
  w = ok;
  w.target_len = 5;
  w.inst = add5;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "data section is too short", "short data");

  /* COPY from address == here (reads the byte being written). */
  unsigned char cp[] = {C_ADD(4), C_COPY_SELF(4)};
  unsigned char a4[] = {4};
  w = ok;
  w.target_len = 8, w.inst = cp, w.ilen = 2, w.addr = a4, w.alen = 1;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "address", "address == here");
  unsigned char a0[] = {0};
  w.addr = a0;
  o.n = 0, file_header(&o, 0), put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_DONE, NULL, "address 0 copy");

  /* A COPY starting in the source segment may not run past it. */
  const unsigned char src[8] = "ABCDEFGH";
  unsigned char cps[] = {C_COPY_SELF(6)};
  unsigned char a1[] = {1};
  window s = {.win_ind = 1, .seg_len = 6, .seg_pos = 0, .target_len = 6, .inst = cps,
              .ilen = 1, .addr = a1, .alen = 1};
  o.n = 0, file_header(&o, 0), put_window(&o, &s);
  expect_status(&o, src, 8, 1, DG_ERR_CORRUPT_DELTA, "source segment", "copy past segment");
  s.addr = a0;
  o.n = 0, file_header(&o, 0), put_window(&o, &s);
  expect_status(&o, src, 8, 1, DG_DONE, NULL, "copy within segment");
  s.seg_pos = UINT64_MAX - 2;
  o.n = 0, file_header(&o, 0), put_window(&o, &s);
  expect_status(&o, src, 8, 1, DG_ERR_SOURCE_MISMATCH, "reference", "segment overflow");

  /* Compressed section bits without a secondary compressor in the header. */
  o.n = 0, file_header(&o, 0), put_window(&o, &ok);
  o.b[5 + 1 + 1 + 1] = 0x01; /* delta indicator of the first window */
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "secondary", "comp bit w/o compressor");

  /* Trailing garbage after a valid window. */
  o.n = 0, file_header(&o, 0), put_window(&o, &ok), put8(&o, 0x00);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "truncated", "trailing byte");

  /* Endless varint padding in a window header. */
  o.n = 0, file_header(&o, 0), put8(&o, 0);
  for (int i = 0; i < 100; i++) put8(&o, 0x80);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, NULL, "varint padding");
}

/* ---- LZMA secondary sections, framed like xdelta3's ----------------------------------- */

/* One xz stream (LZMA2 preset 0, check NONE) shared by consecutive sections, each section
 * sync-flushed and never finished, framed as varint(plain length) + payload. */
typedef struct {
  lzma_stream s;
} xz_writer;

static void xz_init(xz_writer *x) {
  lzma_stream init = LZMA_STREAM_INIT;
  x->s = init;
  lzma_ret r = lzma_easy_encoder(&x->s, 0, LZMA_CHECK_NONE);
  CHECK(r == LZMA_OK, "lzma_easy_encoder: %d", (int)r);
}

static size_t xz_section(xz_writer *x, const void *plain, size_t n, long len_delta,
                         unsigned char *out, size_t cap) {
  buf head = {.n = 0};
  putv(&head, (uint64_t)((long)n + len_delta));
  memcpy(out, head.b, head.n);
  x->s.next_in = plain;
  x->s.avail_in = n;
  x->s.next_out = out + head.n;
  x->s.avail_out = cap - head.n;
  lzma_ret r;
  do r = lzma_code(&x->s, LZMA_SYNC_FLUSH);
  while (r == LZMA_OK && x->s.avail_in > 0);
  CHECK(r == LZMA_OK || r == LZMA_STREAM_END, "lzma sync flush: %d", (int)r);
  return cap - x->s.avail_out;
}

/* Window whose data section (ADD-only) is LZMA-compressed. */
static void put_lzma_window(buf *o, xz_writer *x, const char *text, long len_delta,
                            size_t extra_target) {
  static unsigned char sec[4096];
  size_t n = strlen(text);
  size_t sl = xz_section(x, text, n, len_delta, sec, sizeof sec);
  buf inst = {.n = 0};
  put8(&inst, C_ADD0);
  putv(&inst, n);
  window w = {.win_ind = 4, .target_len = n + extra_target, .data = sec, .dlen = sl, .inst = inst.b,
              .ilen = inst.n, .delta_ind = 1, .adler = dg_adler32(1, (const uint8_t *)text, n)};
  put_window(o, &w);
}

static void test_lzma_sections(void) {
  const char *a = "hello hello hello, secondary compression!";
  const char *b = "a second window continues the same xz stream";
  buf o;
  xz_writer x;

  o.n = 0, file_header(&o, 1), put8(&o, 2), xz_init(&x);
  put_lzma_window(&o, &x, a, 0, 0);
  put_lzma_window(&o, &x, b, 0, 0);
  lzma_end(&x.s);
  decode_result r = run_synthetic(&o, NULL, 0, 0);
  size_t la = strlen(a), lb = strlen(b);
  CHECK(r.status == DG_DONE && r.out_len == la + lb && !memcmp(r.out, a, la) &&
            !memcmp(r.out + la, b, lb),
        "two LZMA windows: %d (%s)", r.status, r.err);
  result_free(&r);

  /* A fresh xz stream per window is NOT what xdelta3 does and must not decode. */
  o.n = 0, file_header(&o, 1), put8(&o, 2), xz_init(&x);
  put_lzma_window(&o, &x, a, 0, 0);
  lzma_end(&x.s);
  xz_init(&x);
  put_lzma_window(&o, &x, b, 0, 0);
  lzma_end(&x.s);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "window 1: data section",
                "restarted xz stream");

  /* Declared plain length one too long / one too short. */
  o.n = 0, file_header(&o, 1), put8(&o, 2), xz_init(&x);
  put_lzma_window(&o, &x, a, 1, 1);
  lzma_end(&x.s);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "declared", "LZMA length +1");
  o.n = 0, file_header(&o, 1), put8(&o, 2), xz_init(&x);
  put_lzma_window(&o, &x, a, -1, 0);
  lzma_end(&x.s);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "more than", "LZMA length -1");

  /* Not an xz stream at all. */
  o.n = 0, file_header(&o, 1), put8(&o, 2);
  unsigned char junk[] = {5, 'n', 'o', 't', ' ', 'a', 'n', ' ', 'x', 'z', ' ', 's', 't', 'r',
                          'e', 'a', 'm', ' ', 'a', 't', ' ', 'a', 'l', 'l'};
  unsigned char add5[] = {C_ADD(5)};
  window w = {.win_ind = 0, .target_len = 5, .data = junk, .dlen = sizeof junk,
              .inst = add5, .ilen = 1, .delta_ind = 1};
  put_window(&o, &w);
  expect_status(&o, NULL, 0, 0, DG_ERR_CORRUPT_DELTA, "not an xz stream", "junk payload");
}

/* ---- LZMA sections cut into segments (dictionary resets, as our encoder writes) -------- */

static void bytes_putv(bytes *o, uint64_t v) {
  buf t = {.n = 0};
  putv(&t, v);
  bytes_put(o, t.b, t.n);
}

/* Runs `strm` over in[0, n) with `action` and appends what it writes to o. */
static void lzma_into(lzma_stream *strm, const unsigned char *in, size_t n, lzma_action action,
                      bytes *o) {
  unsigned char tmp[1 << 16];
  strm->next_in = in;
  strm->avail_in = n;
  lzma_ret r;
  do {
    strm->next_out = tmp;
    strm->avail_out = sizeof tmp;
    r = lzma_code(strm, action);
    bytes_put(o, tmp, sizeof tmp - strm->avail_out);
  } while (r == LZMA_OK && (strm->avail_in > 0 || strm->avail_out == 0));
  CHECK(r == LZMA_OK || r == LZMA_STREAM_END, "lzma_code: %d", (int)r);
}

/* Symbols from a 64-letter alphabet: LZMA shrinks them to ~3/4 and finds any repeat
 * (rare 4-byte contexts keep its hash chains short). */
static void fill_symbols(unsigned char *p, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    p[i] = (unsigned char)('0' + ((seed >> 16) & 63));
  }
}

/* The xz stream header and block header (LZMA2 with f's options, check NONE, no sizes). */
static void put_xz_headers(bytes *o, lzma_filter *f) {
  unsigned char h[LZMA_STREAM_HEADER_SIZE + LZMA_BLOCK_HEADER_SIZE_MAX];
  lzma_stream_flags flags = {.version = 0, .check = LZMA_CHECK_NONE};
  lzma_block block = {.version = 0, .check = LZMA_CHECK_NONE, .filters = f,
                      .compressed_size = LZMA_VLI_UNKNOWN, .uncompressed_size = LZMA_VLI_UNKNOWN};
  CHECK(lzma_stream_header_encode(&flags, h) == LZMA_OK &&
            lzma_block_header_size(&block) == LZMA_OK &&
            lzma_block_header_encode(&block, h + LZMA_STREAM_HEADER_SIZE) == LZMA_OK,
        "xz headers");
  bytes_put(o, h, LZMA_STREAM_HEADER_SIZE + block.header_size);
}

/* One window without source: ADD all of `plain`, the data section LZMA-compressed as
 * `payload`. */
static void lzma_add_window(bytes *o, const unsigned char *plain, size_t n, const bytes *payload) {
  bytes sec = {0}, inst = {0};
  bytes_putv(&sec, n);
  bytes_put(&sec, payload->p, payload->n);
  unsigned char add0 = C_ADD0;
  bytes_put(&inst, &add0, 1);
  bytes_putv(&inst, n);
  uint32_t a = dg_adler32(1, plain, n);
  unsigned char adler[4] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16),
                            (unsigned char)(a >> 8), (unsigned char)a};
  size_t body = vlen(n) + 1 + vlen(sec.n) + vlen(inst.n) + vlen(0) + 4 + sec.n + inst.n;
  unsigned char ind = 4; /* VCD_ADLER32 */
  bytes_put(o, &ind, 1);
  bytes_putv(o, body);
  bytes_putv(o, n);
  unsigned char dind = 1; /* VCD_DATACOMP */
  bytes_put(o, &dind, 1);
  bytes_putv(o, sec.n);
  bytes_putv(o, inst.n);
  bytes_putv(o, 0);
  bytes_put(o, adler, 4);
  bytes_put(o, sec.p, sec.n);
  bytes_put(o, inst.p, inst.n);
  free(sec.p);
  free(inst.p);
}

static void test_lzma_segments(void) {
  enum { PIECE = 700000, MORE = 300000 };
  unsigned char *plain = malloc(2 * PIECE + MORE);
  fill_symbols(plain, 2 * PIECE, 7);
  memcpy(plain + 2 * PIECE, plain + PIECE + 1000, MORE); /* window 1 repeats piece B */
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 1);
  lzma_filter f[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};

  /* Window 0: xz headers, then piece A and piece B from their own raw encoders (each
   * starts with a dictionary reset); B is only sync-flushed and goes on in window 1, whose
   * matches reach back into B: the decoder of B's segment must carry on. */
  bytes w0 = {0}, w1 = {0}, o = {0};
  lzma_stream a = LZMA_STREAM_INIT, b = LZMA_STREAM_INIT;
  put_xz_headers(&w0, f);
  CHECK(lzma_raw_encoder(&a, f) == LZMA_OK && lzma_raw_encoder(&b, f) == LZMA_OK, "raw");
  lzma_into(&a, plain, PIECE, LZMA_FINISH, &w0);
  w0.n--; /* the end-of-payload byte: the stream goes on */
  lzma_into(&b, plain + PIECE, PIECE, LZMA_SYNC_FLUSH, &w0);
  lzma_into(&b, plain + 2 * PIECE, MORE, LZMA_SYNC_FLUSH, &w1);
  size_t w1_uses_b = w1.n;
  lzma_end(&a);
  lzma_end(&b);
  CHECK(w1_uses_b < MORE / 50, "window 1 compresses against piece B: %zu bytes", w1_uses_b);

  static const unsigned char head[] = {0xD6, 0xC3, 0xC4, 0x00, 0x01, 0x02};
  bytes_put(&o, head, sizeof head);
  lzma_add_window(&o, plain, 2 * PIECE, &w0);
  lzma_add_window(&o, plain + 2 * PIECE, MORE, &w1);
  for (size_t chunk = 1u << 20; chunk >= 4096; chunk /= 16) {
    decode_result r = decode(NULL, 0, 0, o.p, o.n, chunk, 1 << 16, 1);
    CHECK(r.status == DG_DONE && r.out_len == 2 * PIECE + MORE &&
              !memcmp(r.out, plain, r.out_len),
          "segmented LZMA, %zu-byte input chunks: %d (%s)", chunk, r.status, r.err);
    result_free(&r);
  }

  /* Damage in the second segment is reported like any other: no crash, no output for the
   * window, the section named. */
  size_t sec_start = o.n - w1.n; /* just past window 0 (approximately): flip within B */
  size_t spots[] = {sec_start / 2 + sec_start / 4, sec_start - 5000, sec_start - 100};
  for (size_t k = 0; k < sizeof spots / sizeof spots[0]; k++) {
    o.p[spots[k]] ^= 0x55;
    decode_result r = decode(NULL, 0, 0, o.p, o.n, 1u << 20, 1 << 16, 1);
    CHECK(r.status != DG_DONE && r.status != DG_OK, "flip at %zu: %d", spots[k], r.status);
    CHECK(r.out_len <= 2 * PIECE, "flip at %zu: window 1 must not be delivered", spots[k]);
    result_free(&r);
    o.p[spots[k]] ^= 0x55;
  }
  for (size_t cut = o.n - w1.n - 7000; cut < o.n; cut += 7919) {
    decode_result r = decode(NULL, 0, 0, o.p, cut, 1u << 20, 1 << 16, 1);
    CHECK(r.status != DG_DONE, "truncated at %zu of %zu: %d", cut, o.n, r.status);
    result_free(&r);
  }
  free(w0.p);
  free(w1.p);
  free(o.p);
  free(plain);
}

/* Streams no encoder of ours or xdelta3's writes: each is refused with a clear status. */
static void decode_one_lzma_window(const bytes *payload, const unsigned char *plain, size_t n,
                                   int want, const char *msg, const char *what) {
  bytes o = {0};
  static const unsigned char head[] = {0xD6, 0xC3, 0xC4, 0x00, 0x01, 0x02};
  bytes_put(&o, head, sizeof head);
  lzma_add_window(&o, plain, n, payload);
  decode_result r = decode(NULL, 0, 0, o.p, o.n, 1u << 20, 1 << 16, 1);
  CHECK(r.status == want, "%s: status %d (%s), want %d", what, r.status, r.err, want);
  CHECK(strstr(r.err, msg) != NULL, "%s: message '%s'", what, r.err);
  result_free(&r);
  free(o.p);
}

static void test_lzma_refused(void) {
  unsigned char plain[3000];
  fill_symbols(plain, sizeof plain, 3);
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 0);
  lzma_filter lzma2[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  bytes p = {0};

  /* A block header that declares its sizes (an xz block that ends). */
  unsigned char h[LZMA_STREAM_HEADER_SIZE + LZMA_BLOCK_HEADER_SIZE_MAX];
  lzma_stream_flags flags = {.version = 0, .check = LZMA_CHECK_NONE};
  lzma_block block = {.version = 0, .check = LZMA_CHECK_NONE, .filters = lzma2,
                      .compressed_size = 100, .uncompressed_size = sizeof plain};
  CHECK(lzma_stream_header_encode(&flags, h) == LZMA_OK &&
            lzma_block_header_size(&block) == LZMA_OK &&
            lzma_block_header_encode(&block, h + LZMA_STREAM_HEADER_SIZE) == LZMA_OK,
        "sized block header");
  bytes_put(&p, h, LZMA_STREAM_HEADER_SIZE + block.header_size);
  decode_one_lzma_window(&p, plain, sizeof plain, DG_ERR_UNSUPPORTED, "declared sizes",
                         "block with sizes");

  /* A filter chain with more than LZMA2 (delta filter first). */
  lzma_options_delta delta = {.type = LZMA_DELTA_TYPE_BYTE, .dist = 1};
  lzma_filter chain[3] = {{LZMA_FILTER_DELTA, &delta}, {LZMA_FILTER_LZMA2, &opt},
                          {LZMA_VLI_UNKNOWN, NULL}};
  p.n = 0;
  put_xz_headers(&p, chain);
  decode_one_lzma_window(&p, plain, sizeof plain, DG_ERR_UNSUPPORTED, "LZMA2 alone",
                         "delta + LZMA2 chain");

  /* A dictionary far over the memory limit. */
  lzma_options_lzma huge = opt;
  huge.dict_size = 1536u << 20;
  lzma_filter big[2] = {{LZMA_FILTER_LZMA2, &huge}, {LZMA_VLI_UNKNOWN, NULL}};
  p.n = 0;
  put_xz_headers(&p, big);
  decode_one_lzma_window(&p, plain, sizeof plain, DG_ERR_LIMIT, "MiB of dictionary",
                         "1.5 GiB dictionary");

  /* An LZMA2 end marker (xdelta3 never ends its streams) and a bad control byte. */
  lzma_stream raw = LZMA_STREAM_INIT;
  CHECK(lzma_raw_encoder(&raw, lzma2) == LZMA_OK, "raw encoder");
  bytes chunks = {0};
  lzma_into(&raw, plain, sizeof plain, LZMA_FINISH, &chunks); /* ends with 0x00 */
  lzma_end(&raw);
  p.n = 0;
  put_xz_headers(&p, lzma2);
  bytes_put(&p, chunks.p, chunks.n);
  decode_one_lzma_window(&p, plain, sizeof plain, DG_ERR_CORRUPT_DELTA, "streams never end",
                         "end marker");
  p.n -= 1;
  unsigned char bad = 0x05;
  bytes_put(&p, &bad, 1);
  decode_one_lzma_window(&p, plain, sizeof plain, DG_ERR_CORRUPT_DELTA, "control byte 0x05",
                         "bad control byte");
  free(chunks.p);
  free(p.p);
}

/* Misuse of the API and behaviour after errors / after DONE. */
static void test_api(void) {
  dg_decoder *dec = dg_decoder_new(NULL, 0, NULL);
  size_t used = 9, made = 9;
  unsigned char out[4];
  CHECK(dg_decoder_feed(dec, NULL, 5, 0, out, 4, &used, &made) == DG_ERR_INVALID_ARGUMENT,
        "NULL input with length");
  CHECK(used == 0 && made == 0, "nothing consumed");
  CHECK(dg_decoder_feed(dec, (const uint8_t *)"x", 1, 1, out, 4, &used, &made) ==
            DG_ERR_INVALID_ARGUMENT,
        "dead decoder repeats its error");
  CHECK(strlen(dg_decoder_error(dec)) > 0, "error text");
  dg_decoder_free(dec);
  dg_decoder_free(NULL);
  dec = dg_decoder_new(NULL, 0, NULL);
  CHECK(dg_decoder_error(dec)[0] == 0, "no error yet");
  CHECK(dg_decoder_feed(dec, (const uint8_t *)"\xD6\xC3", 2, 0, out, 4, &used, &made) == DG_OK &&
            used == 2,
        "partial header accepted");
  dg_decoder_free(dec);
}

int main(void) {
  test_api();
  test_header_errors();
  test_window_errors();
  test_overlapping_copies();
  test_source_run_and_empty_windows();
  test_lzma_sections();
  test_lzma_segments();
  test_lzma_refused();
  test_vectors();
  return test_summary();
}
