/* A minimal fork-join helper: the encoder's parts and LZMA pieces and the decoder's LZMA
 * segments run on a few threads. */
#ifndef DG_PARALLEL_H
#define DG_PARALLEL_H

#include <stddef.h>

/* Threads for one encode or decode: the CPUs this process may run on (its affinity mask),
 * at most 4 (a window rarely has more parts or pieces than that worth running at once). */
unsigned dg_default_threads(void);

/* Calls fn(ctx, i) once for every i in [0, n) on up to `threads` threads, the caller's
 * included, and returns when all calls have returned. Jobs start in index order (put the
 * big ones first). When a thread cannot be created the others do its share. Under a
 * fault guard (dg/fault_guard.h) every job runs guarded too; returns 0 when one faulted
 * (its work is incomplete), else 1. */
int dg_parallel_for(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx);

#endif
