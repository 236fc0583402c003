/* Internal VCDIFF definitions shared by the decoder and the encoder: RFC 3284 plus what
 * xdelta3 adds to it (secondary compression of the sections, an application header, an
 * Adler-32 per window; the defines below). Not part of the public API. */
#ifndef DG_VCDIFF_H
#define DG_VCDIFF_H

#include <stddef.h>
#include <stdint.h>

/* File header */
#define VCD_MAGIC0 0xD6
#define VCD_MAGIC1 0xC3
#define VCD_MAGIC2 0xC4
#define VCD_VERSION 0x00
#define VCD_HDR_SECONDARY 0x01 /* VCD_DECOMPRESS: a secondary compressor id follows */
#define VCD_HDR_CODETABLE 0x02 /* custom code table (xdelta3 3.0.11 refuses it) */
#define VCD_HDR_APPHEADER 0x04

/* Secondary compressor ids (xdelta3-private) */
#define VCD_SEC_DJW 0x01
#define VCD_SEC_LZMA 0x02
#define VCD_SEC_FGK 0x10

/* Window indicator */
#define VCD_WIN_SOURCE 0x01
#define VCD_WIN_TARGET 0x02
#define VCD_WIN_ADLER32 0x04

/* Delta indicator: which sections are secondary-compressed */
#define VCD_DATACOMP 0x01
#define VCD_INSTCOMP 0x02
#define VCD_ADDRCOMP 0x04

/* Sections smaller than this are never compressed by xdelta3. */
#define VCD_MIN_COMPRESS 10

/* Instruction types */
enum { VCD_NOOP = 0, VCD_ADD = 1, VCD_RUN = 2, VCD_COPY = 3 };

/* Address cache sizes of the default code table. */
#define VCD_NEAR 4
#define VCD_SAME 3
#define VCD_SAME_SIZE (VCD_SAME * 256)
#define VCD_MODE_SELF 0
#define VCD_MODE_HERE 1
#define VCD_MODE_NEAR0 2 /* modes 2..5 */
#define VCD_MODE_SAME0 6 /* modes 6..8 */
#define VCD_MODES 9

/* ---- varints (base 128, most significant group first) ------------------------------- */

/* Bytes needed to encode v. */
static inline int vcd_varint_len(uint64_t v) {
  int n = 1;
  while (v >= 128) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Writes v at p (room for 10 bytes needed); returns bytes written. */
static inline int vcd_varint_put(uint8_t *p, uint64_t v) {
  int n = vcd_varint_len(v);
  for (int i = n - 1; i >= 0; i--) {
    p[i] = (uint8_t)((v & 0x7F) | (i == n - 1 ? 0 : 0x80));
    v >>= 7;
  }
  return n;
}

/* Reads a varint of at most `max_bits` significant bits from [*p, end).
 * Returns 1 and advances *p on success, 0 if the input ends first (need more bytes),
 * -1 if the value overflows max_bits (corrupt). */
static inline int vcd_varint_get(const uint8_t **p, const uint8_t *end, unsigned max_bits,
                                 uint64_t *out) {
  uint64_t v = 0;
  const uint8_t *q = *p;
  for (;;) {
    if (q == end) return 0;
    uint8_t b = *q++;
    if (v >> (max_bits - 7)) return -1; /* shifting in 7 more bits would overflow */
    v = (v << 7) | (b & 0x7F);
    if (!(b & 0x80)) break;
  }
  *p = q;
  *out = v;
  return 1;
}

/* ---- the default instruction code table (RFC 3284 section 5.6) --------------------- */

typedef struct {
  uint8_t type1, size1, mode1;
  uint8_t type2, size2, mode2;
} vcd_code;

/* The 256 entries of the default table (built once, thread-safe after first call). */
const vcd_code *vcd_default_table(void);

/* ---- address cache (RFC 3284 section 5.1..5.3), reset at the start of every window ---- */

typedef struct {
  uint64_t near[VCD_NEAR];
  uint32_t next_slot;
  uint64_t same[VCD_SAME_SIZE];
} vcd_addr_cache;

static inline void vcd_cache_reset(vcd_addr_cache *c) {
  for (int i = 0; i < VCD_NEAR; i++) c->near[i] = 0;
  c->next_slot = 0;
  for (int i = 0; i < VCD_SAME_SIZE; i++) c->same[i] = 0;
}

static inline void vcd_cache_update(vcd_addr_cache *c, uint64_t addr) {
  c->near[c->next_slot] = addr;
  c->next_slot = (c->next_slot + 1) % VCD_NEAR;
  c->same[addr % VCD_SAME_SIZE] = addr;
}

#endif
