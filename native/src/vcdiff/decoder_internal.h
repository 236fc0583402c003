/* Internals of the streaming VCDIFF decoder shared by decoder.c (the push state machine)
 * and decoder_window.c (window header parsing and window execution). */
#ifndef DG_DECODER_INTERNAL_H
#define DG_DECODER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dg/decoder.h"
#include "dg/sha256.h"
#include "lzma/lzma_dec.h"
#include "vcdiff/vcdiff.h"

/* Longest possible window header: indicator, 5+10 byte segment varints, four 5-byte
 * varints, delta indicator, 4 checksum bytes = 46. A header that does not parse within
 * this many bytes is corrupt (e.g. endless 0x80 varint padding). */
#define DG_HDR_BUF 64

enum { DG_SEC_DATA = 0, DG_SEC_INST = 1, DG_SEC_ADDR = 2 };

typedef enum {
  DG_ST_FILE_HDR, /* magic .. app header length */
  DG_ST_APP_HDR,  /* skipping application header bytes */
  DG_ST_WIN_HDR,  /* window header */
  DG_ST_WIN_BODY, /* collecting the three sections */
  DG_ST_DRAIN,    /* handing the decoded window to the caller */
  DG_ST_DONE,
  DG_ST_ERROR
} dg_dec_state;

typedef struct {
  uint8_t win_ind;
  uint8_t delta_ind;
  uint64_t seg_len;
  uint64_t seg_pos;
  uint32_t target_len;
  uint32_t sec_len[3]; /* stored lengths: data, instructions, addresses */
  uint32_t adler;
} dg_window_hdr;

struct dg_decoder {
  const uint8_t *source;
  uint64_t source_len;
  int verify_checksum;

  dg_dec_state state;
  dg_status err_status;
  char err[320];

  uint8_t hbuf[DG_HDR_BUF]; /* partial file/window header carried between calls */
  size_t hlen;
  uint64_t app_left;     /* application header bytes still to skip */
  uint8_t secondary_id;  /* 0 when the header declares none */

  uint64_t win_index; /* index of the window being parsed / drained */
  dg_window_hdr win;
  uint64_t body_len; /* sum of the section lengths */

  uint8_t *enc; /* the window's sections, collected across calls */
  size_t enc_len, enc_cap;

  uint8_t *wbuf; /* the decoded target window */
  size_t wbuf_cap;
  size_t drain_pos;

  uint8_t *sec_buf[3]; /* decompressed sections */
  size_t sec_cap[3];
  dg_lzma_dec *lz[3];
  dg_lzma_segments lz_segs[3]; /* the current window's LZMA segments */

  vcd_addr_cache cache;
  const vcd_code *table;

  dg_sha256_ctx sha;
  uint8_t digest[32];
  uint64_t total_out;
};

/* Records an error (window index and detail) and kills the decoder; returns `st`. */
dg_status dg_dec_fail(dg_decoder *dec, dg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Result of an attempt to parse a header from a prefix of the input. */
typedef enum { DG_PARSE_OK, DG_PARSE_MORE, DG_PARSE_ERR } dg_parse;

/* Parses a window header from buf[0, len): on DG_PARSE_OK fills dec->win and dec->body_len
 * and sets *used; DG_PARSE_ERR has already called dg_dec_fail. */
dg_parse dg_dec_parse_window_header(dg_decoder *dec, const uint8_t *buf, size_t len,
                                    size_t *used);

/* Decodes the current window from its sections body[0, body_len) into dec->wbuf, verifies
 * it and feeds the SHA-256. */
dg_status dg_dec_run_window(dg_decoder *dec, const uint8_t *body);

#endif
