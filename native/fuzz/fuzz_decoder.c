/* libFuzzer target for the streaming VCDIFF decoder.
 *
 * Input layout: [ctl][src_len: 2 bytes big-endian][source bytes][delta bytes].
 *   ctl bit 0: give no reference at all (NULL) instead of the source bytes
 *   ctl bit 1: do not verify Adler-32 checksums
 *   ctl bits 2..7: seed of the chunking pattern
 * Each input is decoded twice, once in a single call and once with pseudo-random input
 * chunks and output buffers (1 byte upward); both must end with the same status and, when
 * DONE, the same SHA-256. Source and every input chunk are copied into exactly-sized heap
 * blocks so ASan sees any read past them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg/decoder.h"

#define OUT_LIMIT (48u * 1024 * 1024) /* stop a case after this much target */

typedef struct {
  dg_status status;
  uint8_t sha[32];
} outcome;

static uint32_t next_rand(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* Chunk sizes drawn from a few scales so that 1-byte and large chunks both occur. */
static size_t pick(uint32_t *s, size_t whole) {
  if (whole) return (size_t)-1;
  uint32_t r = next_rand(s);
  switch (r & 3) {
    case 0: return 1;
    case 1: return 1 + (r >> 8) % 16;
    case 2: return 1 + (r >> 8) % 4096;
    default: return 1 + (r >> 8) % 200000;
  }
}

static outcome run(const uint8_t *src, size_t src_len, int no_src, int verify,
                   const uint8_t *delta, size_t delta_len, uint32_t seed, int whole) {
  outcome o;
  memset(&o, 0, sizeof o);
  dg_decoder_options opts;
  dg_decoder_options_init(&opts);
  opts.verify_checksum = verify;
  dg_decoder *dec = dg_decoder_new(no_src ? NULL : src, no_src ? 0 : src_len, &opts);
  if (!dec) abort();
  uint8_t *out = malloc(200000);
  size_t pos = 0;
  uint64_t total = 0;
  int idle = 0;
  for (;;) {
    size_t n = pick(&seed, whole);
    if (n > delta_len - pos) n = delta_len - pos;
    size_t cap = whole ? 200000 : pick(&seed, 0);
    if (cap > 200000) cap = 200000;
    uint8_t *chunk = malloc(n ? n : 1);
    memcpy(chunk, delta + pos, n);
    int fin = pos + n == delta_len;
    size_t used = 7777, made = 7777;
    dg_status st = dg_decoder_feed(dec, n ? chunk : NULL, n, fin, out, cap, &used, &made);
    free(chunk);
    if (used > n || made > cap) abort(); /* contract: never more than offered */
    pos += used;
    total += made;
    if (st != DG_OK) {
      o.status = st;
      if (st == DG_DONE) {
        if (total != dg_decoder_total_out(dec) || pos != delta_len) abort();
        dg_decoder_sha256(dec, o.sha);
      } else if (dg_decoder_error(dec)[0] == 0) {
        abort(); /* every error carries a message */
      }
      break;
    }
    if (total > OUT_LIMIT) {
      o.status = DG_OK; /* too much output for the fuzzer: not compared */
      break;
    }
    /* OK with nothing consumed, nothing produced and no input left would loop forever. */
    idle = (used == 0 && made == 0 && n == 0) ? idle + 1 : 0;
    if (idle > 2) abort();
  }
  free(out);
  dg_decoder_free(dec);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  uint8_t ctl = data[0];
  size_t src_len = (size_t)data[1] << 8 | data[2];
  if (src_len > size - 3) src_len = size - 3;
  uint8_t *src = malloc(src_len ? src_len : 1);
  memcpy(src, data + 3, src_len);
  const uint8_t *delta = data + 3 + src_len;
  size_t delta_len = size - 3 - src_len;
  int no_src = ctl & 1, verify = !(ctl & 2);
  uint32_t seed = 0x9E3779B9u ^ ((uint32_t)ctl << 16) ^ (uint32_t)delta_len;

  outcome a = run(src, src_len, no_src, verify, delta, delta_len, seed, 1);
  outcome b = run(src, src_len, no_src, verify, delta, delta_len, seed, 0);
  if (a.status != DG_OK && b.status != DG_OK) {
    if (a.status != b.status) abort(); /* chunking changed the verdict */
    if (a.status == DG_DONE && memcmp(a.sha, b.sha, 32) != 0) abort();
  }
  free(src);
  return 0;
}
