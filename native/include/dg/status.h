/* Status codes shared by every codec entry point.
 * One X-macro table gives each status its enum name and the stable string code that
 * the Node binding puts on JS errors (`err.code`). Append only: codes are public API. */
#ifndef DG_STATUS_H
#define DG_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define DG_STATUS_LIST(X)                                                        \
  X(DG_OK, "OK")                              /* progress made, call again */   \
  X(DG_DONE, "DONE")                          /* finished: all output given */  \
  X(DG_ERR_CORRUPT_DELTA, "ERR_DG_CORRUPT_DELTA") /* malformed or truncated */  \
  X(DG_ERR_CHECKSUM, "ERR_DG_CHECKSUM")       /* adler32 of a window differs */ \
  X(DG_ERR_SOURCE_MISMATCH, "ERR_DG_SOURCE_MISMATCH") /* needs bytes the given \
                                                 reference does not have */     \
  X(DG_ERR_UNSUPPORTED, "ERR_DG_UNSUPPORTED") /* valid VCDIFF feature we lack */ \
  X(DG_ERR_LIMIT, "ERR_DG_LIMIT")             /* a declared size over a limit */ \
  X(DG_ERR_NOMEM, "ERR_DG_NOMEM")                                               \
  X(DG_ERR_INVALID_ARGUMENT, "ERR_DG_INVALID_ARGUMENT") /* API misuse */        \
  X(DG_ERR_INTERNAL, "ERR_DG_INTERNAL")                                          \
  X(DG_ERR_IO, "ERR_DG_IO") /* the binding: the reference file changed under us */

typedef enum {
#define DG_STATUS_ENUM(name, code) name,
  DG_STATUS_LIST(DG_STATUS_ENUM)
#undef DG_STATUS_ENUM
} dg_status;

/* Stable string code, e.g. "ERR_DG_CORRUPT_DELTA". Never NULL. */
const char *dg_status_code(dg_status s);

/* True for DG_OK and DG_DONE. */
static inline int dg_status_ok(dg_status s) { return s == DG_OK || s == DG_DONE; }

#ifdef __cplusplus
}
#endif
#endif
