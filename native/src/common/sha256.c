/* SHA-256 (FIPS 180-4): buffering and padding, plus the portable block function.
 * The x86 SHA-extension block function lives in sha256_x86.c and is picked at run time. */
#include <string.h>

#include "dg/sha256.h"
#include "common/sha256_impl.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

const uint32_t *dg_sha256_k(void) { return K; }

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

void dg_sha256_blocks_portable(uint32_t state[8], const uint8_t *p, size_t nblocks) {
  while (nblocks--) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
             (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
      uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
      uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                    K[i] + w[i];
      uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    p += 64;
  }
}

void dg_sha256_init(dg_sha256_ctx *ctx) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(ctx->state, iv, sizeof iv);
  ctx->total_len = 0;
  ctx->block_len = 0;
}

void dg_sha256_update(dg_sha256_ctx *ctx, const uint8_t *data, size_t len) {
  if (len == 0) return; /* data may be NULL then; memcpy(NULL, 0) is still undefined */
  dg_sha256_blocks_fn blocks = dg_sha256_blocks_best();
  ctx->total_len += len;
  if (ctx->block_len) {
    size_t take = 64 - ctx->block_len < len ? 64 - ctx->block_len : len;
    memcpy(ctx->block + ctx->block_len, data, take);
    ctx->block_len += take;
    data += take;
    len -= take;
    if (ctx->block_len < 64) return;
    blocks(ctx->state, ctx->block, 1);
    ctx->block_len = 0;
  }
  if (len >= 64) {
    blocks(ctx->state, data, len / 64);
    data += len & ~(size_t)63;
    len &= 63;
  }
  memcpy(ctx->block, data, len);
  ctx->block_len = len;
}

void dg_sha256_final(dg_sha256_ctx *ctx, uint8_t digest[32]) {
  uint64_t bits = ctx->total_len * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = (ctx->block_len < 56 ? 56 : 120) - ctx->block_len;
  for (int i = 0; i < 8; i++) pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
  uint64_t total = ctx->total_len;
  dg_sha256_update(ctx, pad, padlen + 8);
  ctx->total_len = total;
  for (int i = 0; i < 8; i++) {
    digest[4 * i] = (uint8_t)(ctx->state[i] >> 24);
    digest[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
    digest[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
    digest[4 * i + 3] = (uint8_t)ctx->state[i];
  }
}

void dg_sha256(const uint8_t *data, size_t len, uint8_t digest[32]) {
  dg_sha256_ctx ctx;
  dg_sha256_init(&ctx);
  dg_sha256_update(&ctx, data, len);
  dg_sha256_final(&ctx, digest);
}

const char *dg_sha256_impl(void) {
  return dg_sha256_blocks_best() == dg_sha256_blocks_portable ? "portable" : "sha-ni";
}

void dg_hex(const uint8_t *bytes, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * len] = 0;
}
