/* dgdelta: command-line driver of the native codec, for tuning and benchmarks.
 *
 *   dgdelta encode REF TARGET OUT [-w WINDOW] [-S none|lzma|auto] [-p PRESET] [-n]
 *   dgdelta decode REF DELTA OUT
 *
 * REF may be "-" for no reference. Inputs are memory-mapped; prints sizes, MB/s of target,
 * the SHA-256 of the target and the peak RSS. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, popen, mkdtemp under -std=c11 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dg/decoder.h"
#include "dg/encoder.h"
#include "dg/sha256.h"

#define CHUNK (1u << 20)

typedef struct {
  const uint8_t *p;
  size_t len;
} span;

static span map_file(const char *path) {
  span s = {NULL, 0};
  if (strcmp(path, "-") == 0) return s;
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(path);
    exit(2);
  }
  s.len = (size_t)st.st_size;
  if (s.len) {
    void *p = mmap(NULL, s.len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      exit(2);
    }
    s.p = p;
  }
  close(fd);
  return s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

static void print_digest(const char *label, const uint8_t d[32]) {
  char hex[65];
  dg_hex(d, 32, hex);
  printf("%s %s\n", label, hex);
}

static int usage(void) {
  fprintf(stderr,
          "usage: dgdelta encode REF TARGET OUT [-w WINDOW] [-S none|lzma|auto] [-p PRESET] "
          "[-n]\n       dgdelta decode REF DELTA OUT\n");
  return 2;
}

static int encode(int argc, char **argv) {
  dg_encoder_options o;
  dg_encoder_options_init(&o);
  for (int i = 5; i < argc; i++) {
    if (!strcmp(argv[i], "-w") && i + 1 < argc) o.window_size = (uint32_t)atol(argv[++i]);
    else if (!strcmp(argv[i], "-p") && i + 1 < argc) o.lzma_preset = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-n")) o.checksum = 0;
    else if (!strcmp(argv[i], "-S") && i + 1 < argc) {
      const char *m = argv[++i];
      o.secondary = !strcmp(m, "none") ? DG_SECONDARY_NONE
                    : !strcmp(m, "lzma") ? DG_SECONDARY_LZMA
                                         : DG_SECONDARY_AUTO;
    } else
      return usage();
  }
  /* The reference is mapped (as the service does); the target is streamed through a
   * buffer so the peak RSS shows the encoder's own memory. */
  span ref = map_file(argv[2]);
  FILE *tf = fopen(argv[3], "rb");
  if (!tf) {
    perror(argv[3]);
    return 2;
  }
  FILE *out = fopen(argv[4], "wb");
  if (!out) {
    perror(argv[4]);
    return 2;
  }
  double t0 = now(), c0 = cpu_now();
  dg_status st;
  dg_index *idx = dg_index_new(ref.p, ref.len, &st);
  if (!idx) {
    fprintf(stderr, "index: %s\n", dg_status_code(st));
    return 1;
  }
  double t1 = now(), c1 = cpu_now();
  dg_encoder *enc = dg_encoder_new(idx, &o, &st);
  if (!enc) {
    fprintf(stderr, "encoder: %s\n", dg_status_code(st));
    return 1;
  }
  uint8_t *buf = malloc(CHUNK), *in = malloc(CHUNK);
  size_t in_len = 0, in_pos = 0, tgt_len = 0;
  int eof = 0;
  do {
    if (in_pos == in_len && !eof) {
      in_len = fread(in, 1, CHUNK, tf);
      in_pos = 0;
      tgt_len += in_len;
      eof = in_len < CHUNK;
    }
    size_t used, made;
    st = dg_encoder_feed(enc, in + in_pos, in_len - in_pos, eof, buf, CHUNK, &used, &made);
    in_pos += used;
    if (made && fwrite(buf, 1, made, out) != made) {
      perror("write");
      return 2;
    }
  } while (st == DG_OK);
  fclose(tf);
  span tgt = {NULL, tgt_len};
  if (st != DG_DONE) {
    fprintf(stderr, "encode failed: %s %s\n", dg_status_code(st), dg_encoder_error(enc));
    return 1;
  }
  double t2 = now(), c2 = cpu_now();
  fclose(out);
  uint64_t delta = dg_encoder_total_out(enc);
  /* CPU seconds too: on a shared machine wall time says little about the code. */
  printf("cpu: index %.3fs encode %.3fs (%.1f MB/s of target per CPU second)\n", c1 - c0,
         c2 - c1, tgt.len / 1e6 / (c2 - c0));
  printf("target %zu delta %llu (%.4f%%) index %.3fs (%zu MiB) encode %.3fs %.1f MB/s "
         "total %.1f MB/s rss %ld MiB\n",
         tgt.len, (unsigned long long)delta, tgt.len ? 100.0 * delta / tgt.len : 0.0, t1 - t0,
         dg_index_memory(idx) >> 20, t2 - t1, tgt.len / 1e6 / (t2 - t1),
         tgt.len / 1e6 / (t2 - t0), peak_rss_mib());
  uint8_t d[32];
  dg_encoder_sha256(enc, d);
  print_digest("sha256", d);
  dg_encoder_free(enc);
  dg_index_free(idx);
  free(buf);
  free(in);
  return 0;
}

static int decode(char **argv) {
  span ref = map_file(argv[2]), delta = map_file(argv[3]);
  FILE *out = fopen(argv[4], "wb");
  if (!out) {
    perror(argv[4]);
    return 2;
  }
  double t0 = now();
  dg_decoder *dec = dg_decoder_new(ref.p, ref.len, NULL);
  uint8_t *buf = malloc(CHUNK);
  size_t pos = 0;
  dg_status st;
  do {
    size_t in_len = delta.len - pos < CHUNK ? delta.len - pos : CHUNK, used, made;
    st = dg_decoder_feed(dec, delta.p + pos, in_len, pos + in_len == delta.len, buf, CHUNK,
                         &used, &made);
    pos += used;
    if (made && fwrite(buf, 1, made, out) != made) {
      perror("write");
      return 2;
    }
  } while (st == DG_OK);
  if (st != DG_DONE) {
    fprintf(stderr, "decode failed: %s %s\n", dg_status_code(st), dg_decoder_error(dec));
    return 1;
  }
  double t1 = now();
  fclose(out);
  uint64_t n = dg_decoder_total_out(dec);
  printf("target %llu delta %zu decode %.3fs %.1f MB/s rss %ld MiB\n", (unsigned long long)n,
         delta.len, t1 - t0, n / 1e6 / (t1 - t0), peak_rss_mib());
  uint8_t d[32];
  dg_decoder_sha256(dec, d);
  print_digest("sha256", d);
  dg_decoder_free(dec);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "encode")) return encode(argc, argv);
  if (argc == 5 && !strcmp(argv[1], "decode")) return decode(argv);
  return usage();
}
