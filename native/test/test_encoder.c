/* C tests of the VCDIFF encoder: generated reference/target pairs (random, text, edits,
 * inserts, deletions, moved blocks, empty sides, self-overlapping repeats, many windows)
 * in every secondary mode and with any input/output chunking, each decoded back by our
 * decoder and, when the binary is on PATH, by the real `xdelta3 -d`. Also checks the
 * format rules xdelta3 relies on by walking the window headers. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, popen, mkdtemp under -std=c11 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dg/encoder.h"
#include "dg/fault_guard.h"
#include "dg/limits.h"
#include "dg/sha256.h"
#include "dg/decoder.h"
#include "test_util.h"
#include "vcdiff/vcdiff.h"

/* ---- deterministic generators ------------------------------------------------------- */

/* Random letters a..p: 4 bits per byte, few repeats; LZMA halves them. */
static void put_letters(bytes *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)('a' + (rnd() >> 12) % 16);
    bytes_put(b, &c, 1);
  }
}

/* ---- encode / decode helpers -------------------------------------------------------- */

/* Encodes tgt against ref feeding at most in_chunk bytes and offering out_chunk bytes of
 * output per call. Returns the final status; the delta is in *delta. */
static dg_status encode(const bytes *ref, const bytes *tgt, const dg_encoder_options *o,
                        size_t in_chunk, size_t out_chunk, bytes *delta, uint8_t sha[32]) {
  dg_status st;
  dg_index *idx = ref ? dg_index_new(ref->p, ref->n, &st) : NULL;
  dg_encoder *enc = dg_encoder_new(idx, o, &st);
  if (!enc) return st;
  unsigned char *buf = malloc(out_chunk);
  size_t pos = 0;
  int stalls = 0;
  delta->n = 0;
  do {
    size_t n = tgt->n - pos < in_chunk ? tgt->n - pos : in_chunk, used, made;
    st = dg_encoder_feed(enc, tgt->p + pos, n, pos + n == tgt->n, buf, out_chunk, &used,
                         &made);
    bytes_put(delta, buf, made);
    pos += used;
    stalls = (used || made) ? 0 : stalls + 1;
  } while (st == DG_OK && stalls < 3);
  if (st == DG_DONE) dg_encoder_sha256(enc, sha);
  if (st == DG_DONE && dg_encoder_total_out(enc) != delta->n) st = DG_ERR_INTERNAL;
  if (st == DG_DONE && dg_encoder_total_in(enc) != tgt->n) st = DG_ERR_INTERNAL;
  free(buf);
  dg_encoder_free(enc);
  dg_index_free(idx);
  return st;
}

/* Decodes with our decoder in the given chunking; 1 when the output equals tgt. */
static int decode_ours(const bytes *ref, const bytes *delta, const bytes *tgt, size_t chunk) {
  dg_decoder *dec = dg_decoder_new(ref ? ref->p : NULL, ref ? ref->n : 0, NULL);
  bytes out = {0};
  unsigned char *buf = malloc(chunk);
  size_t pos = 0;
  int stalls = 0;
  dg_status st;
  do {
    size_t n = delta->n - pos < chunk ? delta->n - pos : chunk, used, made;
    st = dg_decoder_feed(dec, delta->p + pos, n, pos + n == delta->n, buf, chunk, &used,
                         &made);
    bytes_put(&out, buf, made);
    pos += used;
    stalls = (used || made) ? 0 : stalls + 1;
  } while (st == DG_OK && stalls < 3);
  int ok = st == DG_DONE && out.n == tgt->n && (!out.n || !memcmp(out.p, tgt->p, out.n));
  if (!ok) fprintf(stderr, "  decoder: %s %s\n", dg_status_code(st), dg_decoder_error(dec));
  dg_decoder_free(dec);
  free(buf);
  free(out.p);
  return ok;
}

static int have_xdelta3(void) {
  static int known = -1;
  if (known < 0) known = system("xdelta3 -V >/dev/null 2>&1") == 0;
  return known;
}

static int write_all(const char *path, const bytes *b) {
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  int ok = !b || !b->n || fwrite(b->p, 1, b->n, f) == b->n;
  return fclose(f) == 0 && ok;
}

/* Decodes with the real xdelta3 binary; 1 when the output equals tgt. */
static int decode_xdelta3(const bytes *ref, const bytes *delta, const bytes *tgt) {
  char dir[] = "/tmp/dg-enc-XXXXXX", cmd[512], path[256];
  if (!mkdtemp(dir)) return 0;
  snprintf(path, sizeof path, "%s/ref", dir);
  write_all(path, ref);
  snprintf(path, sizeof path, "%s/delta", dir);
  write_all(path, delta);
  snprintf(cmd, sizeof cmd, "xdelta3 -d -f %s%s/ref %s/delta %s/out 2>&1", ref ? "-s " : "",
           ref ? dir : "", dir, dir);
  if (!ref) snprintf(cmd, sizeof cmd, "xdelta3 -d -f %s/delta %s/out 2>&1", dir, dir);
  FILE *p = popen(cmd, "r");
  char msg[256] = "";
  if (p) {
    size_t k = fread(msg, 1, sizeof msg - 1, p);
    msg[k] = 0;
  }
  int rc = p ? pclose(p) : -1;
  snprintf(path, sizeof path, "%s/out", dir);
  size_t n = 0;
  unsigned char *out = read_file(path, &n);
  int ok = rc == 0 && out && n == tgt->n && (!n || !memcmp(out, tgt->p, n));
  if (!ok) fprintf(stderr, "  xdelta3 -d: rc %d %s\n", rc, msg);
  free(out);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", dir);
  return ok;
}

/* Walks the delta's windows and checks the rules xdelta3 -d depends on; returns a
 * description of the first violation or NULL. */
static const char *check_format(const bytes *d, const dg_encoder_options *o, size_t tgt_len) {
  const uint8_t *p = d->p, *end = d->p + d->n;
  if (d->n < 5 || p[0] != 0xD6 || p[1] != 0xC3 || p[2] != 0xC4 || p[3] != 0) return "magic";
  uint8_t want = (o->secondary != DG_SECONDARY_NONE ? 1 : 0) | (o->app_header ? 4 : 0);
  if (p[4] != want) return "header indicator";
  p += 5;
  if (want & 1 && *p++ != VCD_SEC_LZMA) return "secondary id";
  uint64_t v, total = 0;
  if (want & 4) {
    if (vcd_varint_get(&p, end, 32, &v) != 1 || v != o->app_header_len) return "app header";
    if (memcmp(p, o->app_header, v)) return "app header bytes";
    p += v;
  }
  int windows = 0;
  while (p < end) {
    uint8_t wi = *p++;
    if (wi & ~(VCD_WIN_SOURCE | VCD_WIN_ADLER32)) return "window indicator";
    if (((wi & VCD_WIN_ADLER32) != 0) != (o->checksum != 0)) return "checksum bit";
    if (wi & VCD_WIN_SOURCE) {
      uint64_t len, pos;
      if (vcd_varint_get(&p, end, 32, &len) != 1 || vcd_varint_get(&p, end, 64, &pos) != 1)
        return "segment";
      if (!len) return "empty source segment";
    }
    uint64_t enc_len, t;
    if (vcd_varint_get(&p, end, 32, &enc_len) != 1) return "encoding length";
    const uint8_t *body = p;
    if (vcd_varint_get(&p, end, 32, &t) != 1 || t > o->window_size) return "window size";
    uint8_t di = *p++;
    if (o->secondary == DG_SECONDARY_NONE && di) return "delta indicator without secondary";
    uint64_t sec[3];
    for (int k = 0; k < 3; k++)
      if (vcd_varint_get(&p, end, 32, &sec[k]) != 1) return "section length";
    for (int k = 0; k < 3; k++)
      if ((di >> k & 1) && sec[k] < VCD_MIN_COMPRESS) return "tiny section compressed";
    p += (wi & VCD_WIN_ADLER32 ? 4 : 0) + sec[0] + sec[1] + sec[2];
    if (p > end || (uint64_t)(p - body) != enc_len) return "length of the delta encoding";
    total += t;
    windows++;
  }
  if (total != tgt_len) return "sum of window lengths";
  if (!windows) return "no window";
  return NULL;
}

/* ---- one case: every secondary mode, a few chunkings, both decoders --------------- */

static void round_trip(const char *name, const bytes *ref, const bytes *tgt,
                       uint32_t window_size, size_t max_delta) {
  static const dg_secondary modes[] = {DG_SECONDARY_NONE, DG_SECONDARY_LZMA,
                                       DG_SECONDARY_AUTO};
  uint8_t want[32];
  dg_sha256(tgt->n ? tgt->p : (const unsigned char *)"", tgt->n, want);
  for (int m = 0; m < 3; m++) {
    dg_encoder_options o;
    dg_encoder_options_init(&o);
    o.secondary = modes[m];
    if (window_size) o.window_size = window_size;
    o.checksum = m != 1; /* also cover windows without VCD_ADLER32 */
    if (m == 2) {
      /* xdelta3 -d opens the source named here when it is not given one */
      o.app_header = ref ? "t.bin//r.bin/" : "t.bin/";
      o.app_header_len = strlen(o.app_header);
    }
    bytes delta = {0}, again = {0};
    uint8_t sha[32];
    dg_status st = encode(ref, tgt, &o, 1u << 20, 1u << 20, &delta, sha);
    CHECK(st == DG_DONE, "%s mode %d: encode status %s", name, m, dg_status_code(st));
    if (st != DG_DONE) continue;
    CHECK(!memcmp(sha, want, 32), "%s mode %d: encoder SHA-256", name, m);
    const char *bad = check_format(&delta, &o, tgt->n);
    CHECK(!bad, "%s mode %d: format: %s", name, m, bad ? bad : "");
    if (max_delta)
      CHECK(delta.n <= max_delta, "%s mode %d: delta %zu bytes > %zu", name, m, delta.n,
            max_delta);
    /* Chunking must not change the bytes: 1-byte in/out for small cases, odd sizes else. */
    size_t in_chunk = tgt->n < 70000 ? 1 : 4099, out_chunk = tgt->n < 70000 ? 1 : 77;
    st = encode(ref, tgt, &o, in_chunk, out_chunk, &again, sha);
    CHECK(st == DG_DONE && again.n == delta.n && !memcmp(again.p, delta.p, delta.n),
          "%s mode %d: chunked encode differs", name, m);
    CHECK(decode_ours(ref, &delta, tgt, 1u << 16), "%s mode %d: our decoder", name, m);
    if (tgt->n < 70000)
      CHECK(decode_ours(ref, &delta, tgt, 1), "%s mode %d: our decoder 1-byte", name, m);
    if (have_xdelta3())
      CHECK(decode_xdelta3(ref, &delta, tgt), "%s mode %d: xdelta3 -d", name, m);
    free(delta.p);
    free(again.p);
  }
}

/* ---- cases -------------------------------------------------------------------------- */

static void cases(void) {
  bytes ref = {0}, tgt = {0};

  put_random(&ref, 200000);
  bytes_put(&tgt, ref.p, ref.n);
  round_trip("identical", &ref, &tgt, 0, 200);

  tgt.n = 0;
  bytes_put(&tgt, ref.p, ref.n);
  for (size_t i = 0; i < tgt.n; i += 300) tgt.p[i] ^= 0x5A; /* sparse edits */
  round_trip("edits", &ref, &tgt, 0, 200000 / 300 * 8);

  tgt.n = 0;
  bytes_put(&tgt, ref.p, 50000);
  put_random(&tgt, 3000);
  bytes_put(&tgt, ref.p + 50000, 100000);
  put_text(&tgt, 2000);
  bytes_put(&tgt, ref.p + 150000, 50000);
  round_trip("inserts", &ref, &tgt, 0, 9000);

  tgt.n = 0;
  bytes_put(&tgt, ref.p, 40000);
  bytes_put(&tgt, ref.p + 90000, 60000);
  bytes_put(&tgt, ref.p + 170000, 30000);
  round_trip("deletions", &ref, &tgt, 0, 300);

  tgt.n = 0;
  for (int b = 9; b >= 0; b--) bytes_put(&tgt, ref.p + b * 20000, 20000); /* blocks reversed */
  round_trip("moved blocks", &ref, &tgt, 0, 600);

  tgt.n = 0;
  put_random(&tgt, 100000);
  round_trip("random vs unrelated", &ref, &tgt, 0, 0);

  tgt.n = 0;
  round_trip("empty target", &ref, &tgt, 0, 40);

  tgt.n = 0;
  put_text(&tgt, 150000);
  round_trip("text, no reference", NULL, &tgt, 0, 150000 / 2);
  bytes empty = {0};
  round_trip("text, empty reference", &empty, &tgt, 0, 150000 / 2);
  round_trip("empty both", &empty, &empty, 0, 40);

  tgt.n = 0;
  bytes_put(&tgt, "abc", 3);
  for (int i = 0; i < 20000; i++) bytes_put(&tgt, &"abcabcab"[i % 3], 1);
  bytes_put(&tgt, "XYZ", 3);
  for (int i = 0; i < 5000; i++) bytes_put(&tgt, "\0", 1);
  round_trip("overlapping self-copies", NULL, &tgt, 0, 200);

  /* Many windows: 16 KiB windows over ~330 KB, text reference with edits. */
  ref.n = 0;
  put_text(&ref, 300000);
  tgt.n = 0;
  bytes_put(&tgt, ref.p + 1000, 120000);
  put_text(&tgt, 10000);
  bytes_put(&tgt, ref.p + 150000, 150000);
  bytes_put(&tgt, ref.p, 50000);
  for (size_t i = 7; i < tgt.n; i += 5000) tgt.p[i] = '#';
  round_trip("multi-window", &ref, &tgt, DG_MIN_WINDOW_SIZE, 0);
  round_trip("multi-window default", &ref, &tgt, 0, 0);

  /* Incompressible data repeating itself (the matcher's "incompressible window" mode must
   * still find self-copies). */
  tgt.n = 0;
  put_random(&tgt, 50000);
  bytes_put(&tgt, tgt.p, 50000);
  bytes_put(&tgt, tgt.p, 50000);
  round_trip("random repeated, no reference", NULL, &tgt, 0, 50000 + 2000);

  /* Compressible target with sparse edits against its reference (the "compressible
   * window" mode with its longer minimum matches): still mostly copies. */
  tgt.n = 0;
  bytes_put(&tgt, ref.p, 200000);
  for (size_t i = 100; i < tgt.n; i += 700) tgt.p[i] ^= 0x20;
  round_trip("text edits", &ref, &tgt, 0, 200000 / 700 * 8);

  tgt.n = 0;
  bytes_put(&tgt, "x", 1);
  round_trip("one byte", &ref, &tgt, 0, 40);

  free(ref.p);
  free(tgt.p);
}

/* Random compositions of reference pieces, edits, repeats and noise, random windows. */
static void randomized(void) {
  bytes ref = {0}, tgt = {0};
  for (int iter = 0; iter < 12; iter++) {
    ref.n = tgt.n = 0;
    size_t ref_len = 20000 + rnd() % 120000;
    if (iter % 3 == 0) put_text(&ref, ref_len); else put_random(&ref, ref_len);
    while (tgt.n < 150000) {
      size_t k = 1 + rnd() % 9000;
      switch (rnd() % 5) {
        case 0: put_random(&tgt, k % 300); break;
        case 1: if (tgt.n > k) bytes_put(&tgt, tgt.p + tgt.n - k, k / 2); break; /* self repeat */
        default: {
          size_t at = rnd() % ref.n;
          bytes_put(&tgt, ref.p + at, k < ref.n - at ? k : ref.n - at);
        }
      }
      if (tgt.n && rnd() % 2) tgt.p[rnd() % tgt.n] ^= (unsigned char)(1 + rnd() % 255);
    }
    char name[32];
    snprintf(name, sizeof name, "random mix %d", iter);
    uint32_t w = DG_MIN_WINDOW_SIZE + (uint32_t)(rnd() % (3 * DG_MIN_WINDOW_SIZE));
    round_trip(name, &ref, &tgt, w, 0);
  }
  free(ref.p);
  free(tgt.p);
}

/* Sections big enough to be cut into several LZMA pieces, with stretches that compress
 * (text) and stretches that do not (random): every decoder reads the assembled streams
 * across windows, and the bytes do not depend on the number of threads. */
static void pieces(void) {
  bytes tgt = {0};
  while (tgt.n < 9u << 20) {
    put_text(&tgt, 150000 + rnd() % 300000);
    put_random(&tgt, 20000 + rnd() % 200000);
  }
  round_trip("pieces", NULL, &tgt, 4u << 20, 0);
  bytes one = {0}, many = {0}, none = {0};
  uint8_t sha[32];
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  o.window_size = 4u << 20;
  o.threads = 1;
  CHECK(encode(NULL, &tgt, &o, 1u << 20, 1u << 20, &one, sha) == DG_DONE, "1 thread");
  o.threads = 3;
  CHECK(encode(NULL, &tgt, &o, 1u << 20, 1u << 20, &many, sha) == DG_DONE, "3 threads");
  CHECK(one.n == many.n && !memcmp(one.p, many.p, one.n), "threads change the delta");
  o.secondary = DG_SECONDARY_NONE;
  CHECK(encode(NULL, &tgt, &o, 1u << 20, 1u << 20, &none, sha) == DG_DONE, "no secondary");
  /* The text stretches must really have been compressed. */
  CHECK(one.n < none.n * 9 / 10, "auto: %zu bytes vs %zu without LZMA", one.n, none.n);
  free(one.p);
  free(many.p);
  free(none.p);
  free(tgt.p);
}

/* A section's LZMA dictionary carries over to the next window's section of the same type:
 * a window repeating the previous one's literals costs little. */
static void lzma_across_windows(void) {
  bytes once = {0}, twice = {0}, d1 = {0}, d2 = {0};
  put_text(&once, DG_MIN_WINDOW_SIZE);
  bytes_put(&twice, once.p, once.n);
  bytes_put(&twice, once.p, once.n);
  uint8_t sha[32];
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  o.window_size = DG_MIN_WINDOW_SIZE;
  o.secondary = DG_SECONDARY_LZMA;
  CHECK(encode(NULL, &once, &o, 1u << 20, 1u << 20, &d1, sha) == DG_DONE, "one window");
  CHECK(encode(NULL, &twice, &o, 1u << 20, 1u << 20, &d2, sha) == DG_DONE, "two windows");
  CHECK(d2.n < d1.n + d1.n / 4, "second window: %zu bytes for both, %zu for one", d2.n, d1.n);
  round_trip("lzma across windows", NULL, &twice, DG_MIN_WINDOW_SIZE, 0);
  free(once.p);
  free(twice.p);
  free(d1.p);
  free(d2.p);
}

/* Decodes in one call; returns the status and whether the output equals tgt. */
static dg_status decode_status(const bytes *ref, const bytes *delta, const bytes *tgt,
                               int *same) {
  dg_decoder *dec = dg_decoder_new(ref->p, ref->n, NULL);
  size_t cap = tgt->n + 65536, used = 0, made = 0;
  unsigned char *buf = malloc(cap);
  dg_status st = dg_decoder_feed(dec, delta->p, delta->n, 1, buf, cap, &used, &made);
  *same = made == tgt->n && !memcmp(buf, tgt->p, made);
  free(buf);
  dg_decoder_free(dec);
  return st;
}

/* Damaged deltas with windows big enough to be executed beside their hashing thread: every
 * flip ends in an error or the exact target, never a hang (alarm) or a wrong output. */
static void damaged_big_windows(void) {
  bytes ref = {0}, tgt = {0}, delta = {0}, bad = {0};
  uint8_t sha[32];
  put_random(&ref, 4u << 20);
  bytes_put(&tgt, ref.p, 3u << 20);
  for (size_t i = 0; i < tgt.n; i += 5000) tgt.p[i] ^= 0x5A; /* copies broken by adds */
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  o.secondary = DG_SECONDARY_NONE; /* plain sections: flips hit instructions and addresses */
  CHECK(encode(&ref, &tgt, &o, 1u << 20, 1u << 20, &delta, sha) == DG_DONE, "a delta");
  int wrong = 0, failed = 0;
  alarm(120);
  for (int k = 0; k < 60; k++) {
    bad.n = 0;
    bytes_put(&bad, delta.p, delta.n);
    size_t at = 16 + rnd() % (bad.n - 16);
    bad.p[at] ^= (unsigned char)(1u << (k % 8));
    int same = 0;
    dg_status st = decode_status(&ref, &bad, &tgt, &same);
    if (st == DG_DONE && !same) wrong++;
    if (st != DG_DONE) failed++;
  }
  alarm(0);
  CHECK(!wrong, "damaged big windows: %d wrong outputs", wrong);
  CHECK(failed >= 50, "damaged big windows: only %d of 60 flips failed", failed);
  free(ref.p);
  free(tgt.p);
  free(delta.p);
  free(bad.p);
}

/* Feeds all of tgt without finishing, then finishes with no input (a stream whose end is
 * only known afterwards). */
static dg_status encode_then_finish(const bytes *tgt, const dg_encoder_options *o, bytes *delta) {
  dg_status st;
  dg_encoder *enc = dg_encoder_new(NULL, o, &st);
  if (!enc) return st;
  size_t cap = 2 * tgt->n + 65536, used = 0, made = 0;
  unsigned char *buf = malloc(cap);
  delta->n = 0;
  st = dg_encoder_feed(enc, tgt->p, tgt->n, 0, buf, cap, &used, &made);
  bytes_put(delta, buf, made);
  for (int i = 0; st == DG_OK && i < 100; i++) {
    st = dg_encoder_feed(enc, NULL, 0, 1, buf, cap, &used, &made);
    bytes_put(delta, buf, made);
  }
  free(buf);
  dg_encoder_free(enc);
  return st;
}

/* The last window is encoded a little differently (its small LZMA pieces need not keep a
 * dictionary for later windows), so whether a full window is the last must not depend on
 * where the caller's calls end: a target of exactly two windows gives the same delta fed
 * whole, fed in window-sized calls, and fed without `finish` then finished empty. */
static void last_window_whatever_the_calls(void) {
  bytes tgt = {0}, whole = {0}, windowed = {0}, late = {0};
  uint8_t sha[32];
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  o.window_size = 1u << 20;
  /* Window 1: 1 MiB of literals (a big section, compressed by the fast encoder, which
   * keeps nothing for later); window 2: 30 KB of them and zeros, so its data section is a
   * small fresh piece: liblzma in a window that others may follow, the fast encoder in
   * the last one. */
  put_letters(&tgt, o.window_size);
  put_letters(&tgt, 30000);
  while (tgt.n < 2 * (size_t)o.window_size) bytes_put(&tgt, "", 1);
  CHECK(encode(NULL, &tgt, &o, tgt.n, 1u << 22, &whole, sha) == DG_DONE, "whole");
  CHECK(encode(NULL, &tgt, &o, o.window_size, 1u << 22, &windowed, sha) == DG_DONE,
        "window-sized calls");
  CHECK(encode_then_finish(&tgt, &o, &late) == DG_DONE, "finished afterwards");
  CHECK(whole.n == windowed.n && !memcmp(whole.p, windowed.p, whole.n),
        "window-sized calls change the delta");
  CHECK(whole.n == late.n && !memcmp(whole.p, late.p, whole.n),
        "a late finish changes the delta");
  round_trip("two full windows", NULL, &tgt, o.window_size, 0);
  free(tgt.p);
  free(whole.p);
  free(windowed.p);
  free(late.p);
}

/* Windows of a few MiB whose first eighth is mostly literals are matched in parallel
 * parts: the delta still decodes everywhere, stays small, and does not depend on the
 * number of threads. */
static void parallel_parts(void) {
  bytes ref = {0}, tgt = {0};
  put_random(&ref, 6u << 20);
  for (size_t at = 0; at + 65536 <= ref.n; at += 65536) {
    bytes_put(&tgt, ref.p + at, 40000);
    put_random(&tgt, 25536); /* ~40% new bytes: literal-heavy */
  }
  round_trip("parallel parts", &ref, &tgt, 3u << 20, tgt.n / 2);
  bytes one = {0}, many = {0};
  uint8_t sha[32];
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  o.threads = 1;
  CHECK(encode(&ref, &tgt, &o, 1u << 20, 1u << 20, &one, sha) == DG_DONE, "parts, 1 thread");
  o.threads = 4;
  CHECK(encode(&ref, &tgt, &o, 1u << 20, 1u << 20, &many, sha) == DG_DONE, "parts, 4 threads");
  CHECK(one.n == many.n && !memcmp(one.p, many.p, one.n), "threads change the parts' delta");
  free(one.p);
  free(many.p);
  free(ref.p);
  free(tgt.p);
}

/* A mapped reference whose file is cut short: reading past the new end raises SIGBUS,
 * which a guard (dg/fault_guard.h) turns into a jump back or, in helper threads, into
 * DG_ERR_IO. Never a crash. */
static void *map_file(const char *path, size_t len) {
  int fd = open(path, O_RDONLY);
  void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  return p == MAP_FAILED ? NULL : p;
}

static void shrunk_reference(void) {
  CHECK(dg_guard_install(), "SIGBUS handler installed");
  char path[] = "/tmp/dg-shrunk-XXXXXX";
  int fd = mkstemp(path);
  bytes ref = {0}, tgt = {0};
  put_random(&ref, 6u << 20);
  CHECK(fd >= 0 && write(fd, ref.p, ref.n) == (ssize_t)ref.n, "temp reference");
  close(fd);
  const uint8_t *map = map_file(path, ref.n);
  CHECK(map != NULL, "mmap");
  for (size_t at = 0; at + 65536 <= ref.n; at += 65536) { /* literal-heavy: parallel parts */
    bytes_put(&tgt, ref.p + at, 40000);
    put_random(&tgt, 25536);
  }
  dg_status st;
  dg_index *idx = dg_index_new(map, ref.n, &st);
  CHECK(truncate(path, 4096) == 0, "truncate");

  /* The index fill, on this thread: the guard jumps back. */
  dg_index *again = dg_index_alloc(map, ref.n, &st);
  dg_guard g;
  int faulted = 0;
  if (DG_GUARD_BEGIN(&g, map, ref.n)) dg_index_fill(again);
  else faulted = 1;
  dg_guard_end(&g);
  CHECK(faulted, "index fill over a shrunk mapping: guard");
  dg_index_free(again);

  /* An encode: the parts' helper threads fault (DG_ERR_IO) or this thread does (jump). */
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  o.window_size = 4u << 20;
  dg_encoder *enc = dg_encoder_new(idx, &o, &st);
  static uint8_t out[1 << 20];
  size_t used = 0, made = 0;
  volatile dg_status result = DG_OK;
  if (DG_GUARD_BEGIN(&g, map, ref.n))
    result = dg_encoder_feed(enc, tgt.p, tgt.n, 1, out, sizeof out, &used, &made);
  else
    result = DG_ERR_IO;
  dg_guard_end(&g);
  CHECK(result == DG_ERR_IO, "encode over a shrunk mapping: %s", dg_status_code(result));
  dg_encoder_free(enc);

  /* A decode whose window copies from the shrunk mapping. Windows of 1 MiB and more are
   * executed beside the thread that hashes them: the copying faults there and must still
   * end in DG_ERR_IO (or the jump), never leave the hashing thread waiting (the alarm
   * turns a hang into a failure). */
  bytes copy = {0}, delta = {0};
  uint8_t sha[32];
  bytes_put(&copy, ref.p + (1u << 20), 3u << 20);
  dg_encoder_options_init(&o);
  CHECK(encode(&ref, &copy, &o, 1u << 20, 1u << 20, &delta, sha) == DG_DONE, "a delta");
  dg_decoder *dec = dg_decoder_new(map, ref.n, NULL);
  volatile dg_status decoded = DG_OK;
  alarm(60);
  if (DG_GUARD_BEGIN(&g, map, ref.n)) {
    size_t u = 0, m = 0;
    decoded = dg_decoder_feed(dec, delta.p, delta.n, 1, out, sizeof out, &u, &m);
  } else {
    decoded = DG_ERR_IO;
  }
  dg_guard_end(&g);
  alarm(0);
  CHECK(decoded == DG_ERR_IO, "decode over a shrunk mapping: %s", dg_status_code(decoded));
  dg_decoder_free(dec);
  free(copy.p);
  free(delta.p);

  /* A fault outside every guard is not ours: it goes where it went before (the default
   * action kills the forked child; under a sanitizer its own handler reports and exits). */
  pid_t pid = fork();
  if (pid == 0) {
    volatile uint8_t x = map[ref.n - 1];
    (void)x;
    _exit(0);
  }
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  CHECK((WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGBUS) ||
            (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0),
        "an unguarded fault still ends the process");

  dg_index_free(idx);
  munmap((void *)map, ref.n);
  unlink(path);
  free(ref.p);
  free(tgt.p);
}

static void bad_options(void) {
  dg_encoder_options o;
  dg_status st;
  dg_encoder_options_init(&o);
  o.window_size = 100;
  CHECK(!dg_encoder_new(NULL, &o, &st) && st == DG_ERR_INVALID_ARGUMENT, "tiny window");
  dg_encoder_options_init(&o);
  o.window_size = DG_MAX_WINDOW_SIZE + 1;
  CHECK(!dg_encoder_new(NULL, &o, &st) && st == DG_ERR_INVALID_ARGUMENT, "huge window");
  dg_encoder_options_init(&o);
  o.secondary = (dg_secondary)7;
  CHECK(!dg_encoder_new(NULL, &o, &st) && st == DG_ERR_INVALID_ARGUMENT, "bad secondary");
  dg_encoder_options_init(&o);
  o.lzma_preset = 10;
  CHECK(!dg_encoder_new(NULL, &o, &st) && st == DG_ERR_INVALID_ARGUMENT, "bad preset");
  dg_encoder_options_init(&o);
  o.app_header_len = 5;
  CHECK(!dg_encoder_new(NULL, &o, &st) && st == DG_ERR_INVALID_ARGUMENT, "app header NULL");
  CHECK(!dg_index_new(NULL, 10, &st) && st == DG_ERR_INVALID_ARGUMENT, "index NULL ref");
  dg_index *idx = dg_index_new(NULL, 0, &st);
  CHECK(idx && st == DG_OK && dg_index_ref_len(idx) == 0, "empty index");
  dg_index_free(idx);
  dg_encoder *enc = dg_encoder_new(NULL, NULL, &st);
  size_t used, made;
  CHECK(enc && dg_encoder_feed(enc, NULL, 5, 0, NULL, 0, &used, &made) ==
                   DG_ERR_INVALID_ARGUMENT,
        "NULL input with a length");
  dg_encoder_free(enc);
}

int main(void) {
  if (!have_xdelta3()) printf("xdelta3 not on PATH: skipping its round trips\n");
  bad_options();
  cases();
  randomized();
  pieces();
  parallel_parts();
  lzma_across_windows();
  last_window_whatever_the_calls();
  damaged_big_windows();
  shrunk_reference();
  return test_summary();
}
