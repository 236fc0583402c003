/* Turning a SIGBUS from a memory-mapped reference into an error.
 *
 * A mapped file that someone rewrites shorter raises SIGBUS at the first access past its
 * new end, and the default action kills the process. Code that reads such a mapping runs
 * inside a guard: the handler jumps back to where the guard began, which reports an
 * error instead. A fault outside every guard goes on to the previous handler (or the
 * default action) exactly as if we were not there.
 *
 *   dg_guard g;
 *   if (DG_GUARD_BEGIN(&g, map, map_len)) work(); else report_fault();
 *   dg_guard_end(&g);
 *
 * The jump abandons `work` wherever it was: what it was changing must be thrown away, not
 * used again (its memory stays consistent enough to be freed). dg_parallel_for carries the
 * caller's guard into its helper threads. */
#ifndef DG_FAULT_GUARD_H
#define DG_FAULT_GUARD_H

#include <setjmp.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dg_guard {
  sigjmp_buf env;
  const char *lo, *hi;   /* the guarded mapping */
  struct dg_guard *prev; /* the thread's enclosing guard */
  void *slot;            /* where the signal handler finds it (fault_guard.c) */
} dg_guard;

/* Installs the SIGBUS handler (once per process); 0 when it could not be installed
 * (guards then catch nothing). */
int dg_guard_install(void);

void dg_guard_push(dg_guard *g, const void *lo, size_t len);
/* Pops g (whether or not a fault jumped back to it). */
void dg_guard_end(dg_guard *g);
/* The innermost guard of this thread, or NULL. */
const dg_guard *dg_guard_current(void);

/* How a caught fault is reported (the only cause: the mapped file was cut short). */
#define DG_FAULT_MESSAGE "the reference's file got shorter while it was read (rewritten in place)"

/* True on entry; false when a fault in [lo, lo + len) jumped back. */
#define DG_GUARD_BEGIN(g, lo, len) (dg_guard_push((g), (lo), (len)), sigsetjmp((g)->env, 1) == 0)

#ifdef __cplusplus
}
#endif
#endif
