/* Tests of the fast LZMA2 encoder (native/src/lzma_fast.c): every output is decoded by
 * liblzma's own LZMA2 decoder with the declared dictionary size and must give back the
 * input; the chunk headers must follow the LZMA2 rules (sizes, reset order); text must
 * really compress and random bytes must not grow beyond the stored-chunk framing. */
#include <lzma.h>
#include <stdint.h>

#include "lzma/lzma_fast.h"
#include "test_util.h"

/* Walks the chunk headers; returns NULL when they follow the rules, else what is wrong. */
static const char *check_chunks(const uint8_t *p, size_t n, size_t unpacked_total) {
  size_t at = 0, unpacked = 0;
  int first = 1, need_props = 1, need_state = 1;
  while (at < n) {
    unsigned c = p[at];
    if (c == 1 || c == 2) {
      if (first && c != 1) return "first chunk does not reset the dictionary";
      if (at + 3 > n) return "truncated stored chunk header";
      size_t u = ((size_t)p[at + 1] << 8 | p[at + 2]) + 1;
      at += 3 + u;
      unpacked += u;
      if (c == 1) need_props = 1;
      need_state = 1;
    } else if (c >= 0x80) {
      if (first && c < 0xE0) return "first chunk does not reset the dictionary";
      if (need_props && c < 0xC0) return "compressed chunk without the properties it needs";
      if (need_state && c < 0xA0) return "compressed chunk without the state reset it needs";
      if (at + 5 > n) return "truncated compressed chunk header";
      size_t u = ((size_t)(c & 0x1F) << 16 | (size_t)p[at + 1] << 8 | p[at + 2]) + 1;
      size_t k = ((size_t)p[at + 3] << 8 | p[at + 4]) + 1;
      if (u > (2u << 20)) return "chunk unpacks to more than 2 MiB";
      at += (c >= 0xC0 ? 6 : 5) + k;
      unpacked += u;
      need_props = need_state = 0;
    } else {
      return "bad control byte (or an end marker)";
    }
    first = 0;
  }
  if (at != n) return "last chunk runs past the end";
  if (unpacked != unpacked_total) return "chunk sizes do not add up to the input";
  return NULL;
}

/* Decodes with liblzma's raw LZMA2 decoder and a dict_size dictionary. */
static int decodes_to(const bytes *lz, const bytes *in, uint32_t dict_size) {
  lzma_options_lzma opt;
  if (lzma_lzma_preset(&opt, 1)) return 0;
  opt.dict_size = dict_size;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
  bytes src = {0};
  bytes_put(&src, lz->p, lz->n);
  unsigned char end = 0; /* the caller's stream goes on; here it ends */
  bytes_put(&src, &end, 1);
  uint8_t *out = malloc(in->n + 1);
  size_t in_pos = 0, out_pos = 0;
  lzma_ret r = lzma_raw_buffer_decode(filters, NULL, src.p, &in_pos, src.n, out, &out_pos,
                                      in->n + 1);
  int ok = r == LZMA_OK && in_pos == src.n && out_pos == in->n &&
           (in->n == 0 || !memcmp(out, in->p, in->n));
  if (!ok) fprintf(stderr, "  liblzma: ret %d, read %zu of %zu, wrote %zu of %zu\n", (int)r,
                   in_pos, src.n, out_pos, in->n);
  free(out);
  free(src.p);
  return ok;
}

/* Encodes, checks the chunks and the round trip; returns the encoded size. */
static size_t round_trip(const char *name, const bytes *in, uint32_t dict_size) {
  dg_buf out = {0};
  CHECK(dg_lzma_fast_encode(in->p, in->n, dict_size, &out), "%s: encode", name);
  const char *bad = check_chunks(out.p, out.n, in->n);
  CHECK(!bad, "%s: chunks: %s", name, bad ? bad : "");
  bytes lz = {out.p, out.n, out.cap};
  CHECK(decodes_to(&lz, in, dict_size), "%s: liblzma decodes it back", name);
  size_t n = out.n;
  dg_buf_free(&out);
  return n;
}

static void small_inputs(void) {
  bytes b = {0};
  round_trip("empty", &b, 1u << 20);
  for (size_t n = 1; n <= 300; n += n < 10 ? 1 : 37) {
    b.n = 0;
    put_text(&b, n);
    round_trip("short text", &b, 1u << 20);
  }
  free(b.p);
}

static void text(void) {
  bytes b = {0};
  put_text(&b, 1u << 20);
  size_t n = round_trip("text", &b, 1u << 20);
  CHECK(n < b.n / 3, "text: %zu bytes for %zu", n, b.n);
  free(b.p);
}

static void runs(void) {
  bytes b = {0};
  unsigned char z[5000] = {0};
  bytes_put(&b, z, sizeof z); /* longest matches, repeat distance 1 */
  put_text(&b, 10000);
  bytes_put(&b, z, sizeof z);
  size_t n = round_trip("runs", &b, 1u << 20);
  CHECK(n < 4000, "runs: %zu bytes", n);
  free(b.p);
}

/* Random bytes cannot shrink: they are stored, so the output grows only by the stored
 * chunks' 3-byte headers, and the state is reset for the compressed chunks after them. */
static void random_and_mixed(void) {
  bytes b = {0};
  put_random(&b, 300000);
  size_t n = round_trip("random", &b, 1u << 20);
  CHECK(n <= b.n + 3 * (b.n / 65536 + 2), "random: %zu bytes for %zu", n, b.n);
  b.n = 0;
  for (int i = 0; i < 6; i++) {
    put_text(&b, 100000 + rnd() % 100000);
    put_random(&b, 70000 + rnd() % 100000);
  }
  round_trip("text and random", &b, 1u << 20);
  b.n = 0;
  put_random(&b, 200000); /* several stored chunks first: the properties still come */
  put_text(&b, 200000);
  round_trip("random then text", &b, 1u << 20);
  free(b.p);
}

/* More than one chunk's worth (2 MiB unpacked, 64 KiB packed) of both kinds. */
static void large(void) {
  bytes b = {0};
  unsigned char z[65536] = {0};
  for (int i = 0; i < 40; i++) bytes_put(&b, z, sizeof z); /* 2.5 MiB in a few KiB */
  round_trip("large runs", &b, 1u << 20);
  b.n = 0;
  put_text(&b, 5u << 20);
  round_trip("large text", &b, 1u << 20);
  free(b.p);
}

/* Matches never reach further back than the declared dictionary: liblzma's decoder, given
 * only that much, must still decode. */
static void dictionary_limit(void) {
  bytes b = {0}, block = {0};
  put_text(&block, 6000);
  for (int i = 0; i < 8; i++) {
    bytes_put(&b, block.p, block.n); /* repeats 6000 bytes back ... */
    put_random(&b, 300);
  }
  round_trip("small dictionary", &b, 4096); /* ... beyond a 4 KiB dictionary */
  size_t wide = round_trip("wide dictionary", &b, 1u << 20);
  CHECK(wide < b.n / 2, "wide dictionary: %zu bytes for %zu", wide, b.n);
  free(b.p);
  free(block.p);
}

int main(void) {
  small_inputs();
  text();
  runs();
  random_and_mixed();
  large();
  dictionary_limit();
  return test_summary();
}
