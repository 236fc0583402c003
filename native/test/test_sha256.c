/* SHA-256: FIPS 180-4 vectors through both block functions, SHA-NI vs portable on random
 * inputs and random update splits, and a throughput print. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/sha256_impl.h"
#include "dg/sha256.h"

static int passed, failed;

static void check(int ok, const char *what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL: %s\n", what);
  }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void) { /* xorshift64: reproducible, no libc rand() */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* One-shot hash with an explicit block function, padding done here, so each block
 * function can be checked on its own whatever dg_sha256_blocks_best() picks. */
static void hash_with(dg_sha256_blocks_fn blocks, const uint8_t *data, size_t len,
                      char hex[65]) {
  uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t full = len / 64;
  blocks(st, data, full);
  uint8_t tail[128] = {0};
  size_t rest = len - full * 64;
  memcpy(tail, data + full * 64, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest < 56 ? 64 : 128;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
  blocks(st, tail, tail_len / 64);
  uint8_t digest[32];
  for (int i = 0; i < 8; i++) {
    digest[4 * i] = (uint8_t)(st[i] >> 24);
    digest[4 * i + 1] = (uint8_t)(st[i] >> 16);
    digest[4 * i + 2] = (uint8_t)(st[i] >> 8);
    digest[4 * i + 3] = (uint8_t)st[i];
  }
  dg_hex(digest, 32, hex);
}

static void public_hex(const uint8_t *data, size_t len, char hex[65]) {
  uint8_t digest[32];
  dg_sha256(data, len, digest);
  dg_hex(digest, 32, hex);
}

static void test_fips_vectors(void) {
  static const struct {
    const char *msg;
    const char *hex;
  } vectors[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
       "nopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  char hex[65];
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
    const uint8_t *m = (const uint8_t *)vectors[i].msg;
    size_t n = strlen(vectors[i].msg);
    hash_with(dg_sha256_blocks_portable, m, n, hex);
    check(strcmp(hex, vectors[i].hex) == 0, "FIPS vector, portable");
    hash_with(dg_sha256_blocks_best(), m, n, hex);
    check(strcmp(hex, vectors[i].hex) == 0, "FIPS vector, best implementation");
    public_hex(m, n, hex);
    check(strcmp(hex, vectors[i].hex) == 0, "FIPS vector, dg_sha256");
  }

  /* One million 'a', fed in uneven pieces through the streaming API. */
  const char *million_a = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  uint8_t *a = malloc(1000000);
  memset(a, 'a', 1000000);
  dg_sha256_ctx ctx;
  dg_sha256_init(&ctx);
  for (size_t off = 0; off < 1000000;) {
    size_t n = 1 + next_random() % 9000;
    if (n > 1000000 - off) n = 1000000 - off;
    dg_sha256_update(&ctx, a + off, n);
    off += n;
  }
  uint8_t digest[32];
  dg_sha256_final(&ctx, digest);
  dg_hex(digest, 32, hex);
  check(strcmp(hex, million_a) == 0, "million 'a', streaming");
  hash_with(dg_sha256_blocks_portable, a, 1000000, hex);
  check(strcmp(hex, million_a) == 0, "million 'a', portable");
  free(a);
}

/* Random lengths 0..5000: portable == best, and random update splits == one-shot. */
static void test_random_agreement(void) {
  enum { MAX = 5000, CASES = 400 };
  uint8_t *buf = malloc(MAX);
  int mismatches = 0, split_mismatches = 0;
  for (int c = 0; c < CASES; c++) {
    size_t len = (size_t)(next_random() % (MAX + 1));
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)next_random();
    char portable[65], best[65], oneshot[65], split[65];
    hash_with(dg_sha256_blocks_portable, buf, len, portable);
    hash_with(dg_sha256_blocks_best(), buf, len, best);
    public_hex(buf, len, oneshot);
    if (strcmp(portable, best) || strcmp(portable, oneshot)) mismatches++;

    dg_sha256_ctx ctx;
    dg_sha256_init(&ctx);
    for (size_t off = 0; off < len;) {
      size_t n = (size_t)(next_random() % 200); /* includes empty updates */
      if (n > len - off) n = len - off;
      dg_sha256_update(&ctx, buf + off, n);
      off += n;
    }
    uint8_t digest[32];
    dg_sha256_final(&ctx, digest);
    dg_hex(digest, 32, split);
    if (strcmp(split, oneshot)) split_mismatches++;
  }
  check(mismatches == 0, "portable == best == dg_sha256 on random lengths");
  check(split_mismatches == 0, "random update splits == one-shot");
  free(buf);
}

/* The block functions continue from an arbitrary state, not only the IV. */
static void test_random_states(void) {
  uint8_t blocks[64 * 7];
  int mismatches = 0;
  for (int c = 0; c < 200; c++) {
    uint32_t a[8], b[8];
    for (int i = 0; i < 8; i++) a[i] = b[i] = (uint32_t)next_random();
    for (size_t i = 0; i < sizeof blocks; i++) blocks[i] = (uint8_t)next_random();
    size_t n = 1 + next_random() % 7;
    dg_sha256_blocks_portable(a, blocks, n);
    dg_sha256_blocks_best()(b, blocks, n);
    if (memcmp(a, b, sizeof a)) mismatches++;
  }
  check(mismatches == 0, "block functions agree from random states");
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double throughput(dg_sha256_blocks_fn blocks, const uint8_t *buf, size_t len, int reps) {
  uint32_t st[8] = {0};
  double best = 1e9;
  for (int r = 0; r < reps; r++) {
    double t0 = seconds_now();
    blocks(st, buf, len / 64);
    double dt = seconds_now() - t0;
    if (dt < best) best = dt;
  }
  return len / best / 1e9;
}

static void print_throughput(void) {
  size_t len = 64u << 20;
  uint8_t *buf = malloc(len);
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(i * 131 + (i >> 9));
  printf("sha256 implementation in use: %s\n", dg_sha256_impl());
  printf("sha256 throughput: %s %.2f GB/s, portable %.2f GB/s (64 MiB, best of runs)\n",
         dg_sha256_impl(), throughput(dg_sha256_blocks_best(), buf, len, 5),
         throughput(dg_sha256_blocks_portable, buf, len, 2));
  free(buf);
}

int main(void) {
  test_fips_vectors();
  test_random_agreement();
  test_random_states();
  print_throughput();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
