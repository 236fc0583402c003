/* Streaming VCDIFF decoder: the push state machine (file header, buffering of window
 * headers and sections across calls, draining decoded windows into the caller's buffer).
 * Window parsing and execution live in decoder_window.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcdiff/decoder_internal.h"
#include "dg/limits.h"

void dg_decoder_options_init(dg_decoder_options *opts) {
  if (opts) opts->verify_checksum = 1;
}

dg_decoder *dg_decoder_new(const uint8_t *source, uint64_t source_len,
                           const dg_decoder_options *opts) {
  dg_decoder *dec = calloc(1, sizeof *dec);
  if (!dec) return NULL;
  dec->source = source;
  dec->source_len = source ? source_len : 0;
  dec->verify_checksum = opts ? opts->verify_checksum : 1;
  dec->state = DG_ST_FILE_HDR;
  dec->err_status = DG_OK;
  dec->table = vcd_default_table();
  dg_sha256_init(&dec->sha);
  return dec;
}

void dg_decoder_free(dg_decoder *dec) {
  if (!dec) return;
  free(dec->enc);
  free(dec->wbuf);
  for (int i = 0; i < 3; i++) {
    free(dec->sec_buf[i]);
    dg_lzma_dec_free(dec->lz[i]);
    dg_lzma_segments_free(&dec->lz_segs[i]);
  }
  free(dec);
}

const char *dg_decoder_error(const dg_decoder *dec) { return dec ? dec->err : ""; }

uint64_t dg_decoder_total_out(const dg_decoder *dec) { return dec ? dec->total_out : 0; }

void dg_decoder_sha256(const dg_decoder *dec, uint8_t digest[32]) {
  if (dec && dec->state == DG_ST_DONE)
    memcpy(digest, dec->digest, 32);
  else
    memset(digest, 0, 32);
}

dg_status dg_dec_fail(dg_decoder *dec, dg_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dec->err, sizeof dec->err, fmt, ap);
  va_end(ap);
  dec->state = DG_ST_ERROR;
  dec->err_status = st;
  return st;
}

/* ---- file header -------------------------------------------------------------------- */

static dg_parse parse_file_header(dg_decoder *dec, const uint8_t *buf, size_t len,
                                  size_t *used) {
  const uint8_t *p = buf, *end = buf + len;
  if (len < 5) {
    /* Fail early on a wrong magic so that a non-delta is not reported as truncated. */
    static const uint8_t magic[3] = {VCD_MAGIC0, VCD_MAGIC1, VCD_MAGIC2};
    if (memcmp(buf, magic, len < 3 ? len : 3) != 0) goto bad_magic;
    return DG_PARSE_MORE;
  }
  if (p[0] != VCD_MAGIC0 || p[1] != VCD_MAGIC1 || p[2] != VCD_MAGIC2) goto bad_magic;
  if (p[3] != VCD_VERSION) {
    dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "unsupported VCDIFF version %u (expected 0)", p[3]);
    return DG_PARSE_ERR;
  }
  uint8_t ind = p[4];
  p += 5;
  if (ind & ~(VCD_HDR_SECONDARY | VCD_HDR_CODETABLE | VCD_HDR_APPHEADER)) {
    dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "header indicator 0x%02x has reserved bits set", ind);
    return DG_PARSE_ERR;
  }
  if (ind & VCD_HDR_SECONDARY) {
    if (p == end) return DG_PARSE_MORE;
    uint8_t id = *p++;
    if (id == VCD_SEC_DJW || id == VCD_SEC_FGK) {
      dg_dec_fail(dec, DG_ERR_UNSUPPORTED,
                  "unsupported secondary compressor %s (id %u); re-encode with -S lzma or -S none",
                  id == VCD_SEC_DJW ? "DJW" : "FGK", id);
      return DG_PARSE_ERR;
    }
    if (id != VCD_SEC_LZMA) {
      dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "unknown secondary compressor id %u", id);
      return DG_PARSE_ERR;
    }
    dec->secondary_id = id;
  }
  if (ind & VCD_HDR_CODETABLE) {
    dg_dec_fail(dec, DG_ERR_UNSUPPORTED,
                "custom code tables (VCD_CODETABLE) are not supported (xdelta3 refuses them too)");
    return DG_PARSE_ERR;
  }
  dec->app_left = 0;
  if (ind & VCD_HDR_APPHEADER) {
    uint64_t n;
    int r = vcd_varint_get(&p, end, 32, &n);
    if (r == 0) return DG_PARSE_MORE;
    if (r < 0) {
      dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "application header length overflows");
      return DG_PARSE_ERR;
    }
    if (n > DG_MAX_APP_HEADER) {
      dg_dec_fail(dec, DG_ERR_LIMIT, "application header of %llu bytes exceeds the %u byte limit",
                  (unsigned long long)n, DG_MAX_APP_HEADER);
      return DG_PARSE_ERR;
    }
    dec->app_left = n;
  }
  *used = (size_t)(p - buf);
  return DG_PARSE_OK;

bad_magic:
  dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "not a VCDIFF delta (bad magic bytes)");
  return DG_PARSE_ERR;
}

/* ---- the state machine -------------------------------------------------------------- */

static const char *where(const dg_decoder *dec) {
  switch (dec->state) {
    case DG_ST_FILE_HDR: return "the file header";
    case DG_ST_APP_HDR: return "the application header";
    case DG_ST_WIN_HDR: return "a window header";
    default: return "a window's sections";
  }
}

static dg_status truncated(dg_decoder *dec) {
  if (dec->state == DG_ST_FILE_HDR && dec->hlen == 0)
    return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "delta is empty (truncated)");
  /* xdelta3 always writes at least one window (T = 0 for an empty target), so a header
   * with no window after it is a cut-off delta, not an empty one. */
  if (dec->state == DG_ST_WIN_HDR && dec->hlen == 0)
    return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "delta truncated after the file header "
                       "(no windows)");
  return dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "delta truncated inside %s (window %llu)",
                     where(dec), (unsigned long long)dec->win_index);
}

/* Feeds header bytes through hbuf: copies what may belong to the header, parses, and on
 * success gives back how many of the NEW bytes the header used. */
static dg_parse step_header(dg_decoder *dec, const uint8_t *in, size_t avail, size_t *taken) {
  size_t take = avail < DG_HDR_BUF - dec->hlen ? avail : DG_HDR_BUF - dec->hlen;
  memcpy(dec->hbuf + dec->hlen, in, take);
  size_t n = dec->hlen + take, used = 0;
  dg_parse r = dec->state == DG_ST_FILE_HDR ? parse_file_header(dec, dec->hbuf, n, &used)
                                            : dg_dec_parse_window_header(dec, dec->hbuf, n, &used);
  if (r == DG_PARSE_OK) {
    /* The previous attempt on hlen bytes asked for more, so used > hlen. */
    if (used <= dec->hlen) {
      dg_dec_fail(dec, DG_ERR_INTERNAL, "header parser went backwards");
      return DG_PARSE_ERR;
    }
    *taken = used - dec->hlen;
    dec->hlen = 0;
  } else if (r == DG_PARSE_MORE) {
    if (n == DG_HDR_BUF) {
      if (dec->state == DG_ST_FILE_HDR)
        dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "file header is malformed (too long)");
      else
        dg_dec_fail(dec, DG_ERR_CORRUPT_DELTA, "window %llu: header is malformed (too long)",
                    (unsigned long long)dec->win_index);
      return DG_PARSE_ERR;
    }
    *taken = take;
    dec->hlen = n;
  }
  return r;
}

/* Appends body bytes into dec->enc, growing it geometrically as bytes actually arrive
 * (never trusting the declared length with a single large allocation). */
static int append_body(dg_decoder *dec, const uint8_t *in, size_t n) {
  size_t need = dec->enc_len + n;
  if (need > dec->enc_cap) {
    size_t cap = dec->enc_cap ? dec->enc_cap * 2 : 4096;
    if (cap < need) cap = need;
    if (cap > dec->body_len) cap = (size_t)dec->body_len;
    uint8_t *p = realloc(dec->enc, cap);
    if (!p) return 0;
    dec->enc = p;
    dec->enc_cap = cap;
  }
  memcpy(dec->enc + dec->enc_len, in, n);
  dec->enc_len += n;
  return 1;
}

static dg_status finish_window(dg_decoder *dec, const uint8_t *body) {
  dg_status st = dg_dec_run_window(dec, body);
  if (st != DG_OK) return st;
  dec->enc_len = 0;
  dec->drain_pos = 0;
  dec->state = DG_ST_DRAIN;
  return DG_OK;
}

dg_status dg_decoder_feed(dg_decoder *dec, const uint8_t *in, size_t in_len, int finish,
                          uint8_t *out, size_t out_cap, size_t *consumed, size_t *produced) {
  size_t ip = 0, op = 0;
  dg_status st = DG_OK;
  if (consumed) *consumed = 0;
  if (produced) *produced = 0;
  if (!dec) return DG_ERR_INVALID_ARGUMENT;
  if (!consumed || !produced || (!in && in_len) || (!out && out_cap))
    return dg_dec_fail(dec, DG_ERR_INVALID_ARGUMENT, "invalid arguments to dg_decoder_feed");
  if (dec->state == DG_ST_ERROR) return dec->err_status;
  if (!in) in = (const uint8_t *)""; /* in_len is 0: keep pointer arithmetic defined */

  for (;;) {
    size_t avail = in_len - ip;
    switch (dec->state) {
      case DG_ST_FILE_HDR:
      case DG_ST_WIN_HDR: {
        if (avail == 0) {
          if (!finish) goto yield;
          if (dec->state == DG_ST_WIN_HDR && dec->hlen == 0 && dec->win_index > 0) {
            dg_sha256_final(&dec->sha, dec->digest);
            dec->state = DG_ST_DONE;
            continue;
          }
          st = truncated(dec);
          goto stop;
        }
        size_t taken = 0;
        dg_parse r = step_header(dec, in + ip, avail, &taken);
        if (r == DG_PARSE_ERR) {
          st = dec->err_status;
          goto stop;
        }
        ip += taken;
        if (r == DG_PARSE_MORE) continue; /* all of avail was taken */
        if (dec->state == DG_ST_FILE_HDR) {
          dec->state = dec->app_left ? DG_ST_APP_HDR : DG_ST_WIN_HDR;
        } else {
          dec->enc_len = 0;
          dec->state = DG_ST_WIN_BODY;
        }
        break;
      }
      case DG_ST_APP_HDR: {
        if (avail == 0) {
          if (!finish) goto yield;
          st = truncated(dec);
          goto stop;
        }
        size_t n = avail < dec->app_left ? avail : (size_t)dec->app_left;
        ip += n;
        dec->app_left -= n;
        if (dec->app_left == 0) dec->state = DG_ST_WIN_HDR;
        break;
      }
      case DG_ST_WIN_BODY: {
        size_t need = (size_t)(dec->body_len - dec->enc_len);
        if (dec->enc_len == 0 && avail >= need) {
          /* The whole body is in this chunk: decode straight from the caller's bytes. */
          st = finish_window(dec, in + ip);
          if (st != DG_OK) goto stop;
          ip += need;
          break;
        }
        if (avail == 0) {
          if (!finish) goto yield;
          st = truncated(dec);
          goto stop;
        }
        size_t n = avail < need ? avail : need;
        if (!append_body(dec, in + ip, n)) {
          st = dg_dec_fail(dec, DG_ERR_NOMEM, "window %llu: out of memory buffering %llu bytes",
                           (unsigned long long)dec->win_index,
                           (unsigned long long)dec->body_len);
          goto stop;
        }
        ip += n;
        if (dec->enc_len == dec->body_len) {
          st = finish_window(dec, dec->enc);
          if (st != DG_OK) goto stop;
        }
        break;
      }
      case DG_ST_DRAIN: {
        size_t left = dec->win.target_len - dec->drain_pos;
        size_t room = out_cap - op;
        size_t n = left < room ? left : room;
        if (n) memcpy(out + op, dec->wbuf + dec->drain_pos, n);
        op += n;
        dec->drain_pos += n;
        dec->total_out += n;
        if (dec->drain_pos < dec->win.target_len) goto yield; /* out is full */
        dec->win_index++;
        dec->state = DG_ST_WIN_HDR;
        break;
      }
      case DG_ST_DONE:
        st = DG_DONE;
        goto stop;
      case DG_ST_ERROR:
        st = dec->err_status;
        goto stop;
    }
  }
yield:
  st = DG_OK;
stop:
  *consumed = ip;
  *produced = op;
  return st;
}
