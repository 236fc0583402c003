/* Tiny helpers shared by the C test drivers: a check macro with pass/fail counting, a byte
 * buffer, deterministic test data, file loading, and a reader for the few fields of the
 * xdelta3 vectors' manifest.json. */
#ifndef DG_TEST_UTIL_H
#define DG_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_passed, g_failed;

#define CHECK(cond, ...)                                     \
  do {                                                       \
    if (cond) {                                              \
      g_passed++;                                            \
    } else {                                                 \
      g_failed++;                                            \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
      fprintf(stderr, __VA_ARGS__);                          \
      fprintf(stderr, "\n");                                 \
    }                                                        \
  } while (0)

/* A growable byte buffer (test inputs, deltas, hand-built streams). */
typedef struct {
  unsigned char *p;
  size_t n, cap;
} bytes;

static void bytes_put(bytes *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
  }
  if (n) memcpy(b->p + b->n, src, n);
  b->n += n;
}

/* Deterministic test data: xorshift64, one stream per test driver. */
static uint64_t g_rng = 0x9E3779B97F4A7C15ULL;
static inline uint32_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng >> 11);
}

/* n incompressible bytes. */
static inline void put_random(bytes *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)rnd();
    bytes_put(b, &c, 1);
  }
}

/* n bytes of word salad: compressible, with matches at all distances. */
static inline void put_text(bytes *b, size_t n) {
  static const char *words[] = {"delta ", "glider ", "window ", "copy ", "the ", "of ",
                                "reference ", "target\n", "artifact ", "build "};
  while (n) {
    const char *w = words[rnd() % 10];
    size_t k = strlen(w) < n ? strlen(w) : n;
    bytes_put(b, w, k);
    n -= k;
  }
}

static int test_summary(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}

/* Reads a whole file; returns NULL on failure. *len gets its size. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) *len = (size_t)n;
  return buf;
}

/* ---- manifest.json (only the fields the tests use; strings without escapes) ---------- */

typedef struct {
  char name[96];
  char flags[64];
  char source[160]; /* "" when the case has no source (JSON null) */
  char target[160];
  char delta[160];
  char target_sha256[65];
  int windows; /* how many windows xdelta3's printhdrs counted */
} vector_case;

/* Copies the string value of "key" found in [obj, obj_end) into out; "" for null. */
static int json_field(const char *obj, const char *obj_end, const char *key, char *out,
                      size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(obj, pat);
  out[0] = 0;
  if (!p || p >= obj_end) return 0;
  p += strlen(pat);
  while (*p == ' ') p++;
  if (*p != '"') return 1; /* null */
  p++;
  const char *q = strchr(p, '"');
  if (!q || (size_t)(q - p) >= cap) return 0;
  memcpy(out, p, (size_t)(q - p));
  out[q - p] = 0;
  return 1;
}

/* The non-negative integer value of "key" in [obj, obj_end); -1 when absent or not one. */
static int json_int(const char *obj, const char *obj_end, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(obj, pat);
  if (!p || p >= obj_end) return -1;
  p += strlen(pat);
  while (*p == ' ') p++;
  if (*p < '0' || *p > '9') return -1;
  return (int)strtol(p, NULL, 10);
}

/* Parses every case of the manifest; returns the count (0 on failure). */
static int load_manifest(const char *dir, vector_case *cases, int max) {
  char path[512];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  size_t len;
  char *text = (char *)read_file(path, &len);
  if (!text) return 0;
  text = realloc(text, len + 1);
  text[len] = 0;
  int n = 0;
  const char *p = strstr(text, "\"cases\"");
  while (p && n < max && (p = strstr(p, "\"name\":")) != NULL) {
    const char *next = strstr(p + 1, "\"name\":");
    const char *end = next ? next : text + len;
    vector_case *c = &cases[n];
    if (json_field(p, end, "name", c->name, sizeof c->name) &&
        json_field(p, end, "flags", c->flags, sizeof c->flags) &&
        json_field(p, end, "source", c->source, sizeof c->source) &&
        json_field(p, end, "target", c->target, sizeof c->target) &&
        json_field(p, end, "delta", c->delta, sizeof c->delta) &&
        json_field(p, end, "target_sha256", c->target_sha256, sizeof c->target_sha256) &&
        (c->windows = json_int(p, end, "windows")) >= 0)
      n++;
    p = end;
  }
  free(text);
  return n;
}

static unsigned char *load_vector_file(const char *rel, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", DG_VECTORS_DIR, rel);
  return read_file(path, len);
}

#endif
