/* Fork-join over a shared job counter (see parallel.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT under -std=c11 */
#include "common/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "dg/fault_guard.h"

#define MAX_THREADS 16

typedef struct {
  atomic_size_t next;
  size_t n;
  void (*fn)(void *ctx, size_t i);
  void *ctx;
  const char *guard_lo, *guard_hi; /* the caller's guard, carried into every job */
  atomic_int faulted;
} jobs;

/* One job under the caller's guard: a fault ends this job only (the jump never leaves
 * the worker loop, so no thread outlives the stack frame of dg_parallel_for). */
static void run_guarded(jobs *j, size_t i) {
  dg_guard g;
  if (DG_GUARD_BEGIN(&g, j->guard_lo, (size_t)(j->guard_hi - j->guard_lo)))
    j->fn(j->ctx, i);
  else
    atomic_store(&j->faulted, 1);
  dg_guard_end(&g);
}

static void *worker(void *arg) {
  jobs *j = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->n) return NULL;
    if (j->guard_lo)
      run_guarded(j, i);
    else
      j->fn(j->ctx, i);
  }
}

#define DEFAULT_MAX_THREADS 4

unsigned dg_default_threads(void) {
  /* The CPUs this process may run on (a container's cpuset, taskset), not all online. */
  cpu_set_t set;
  long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                       : sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  return n < DEFAULT_MAX_THREADS ? (unsigned)n : DEFAULT_MAX_THREADS;
}

int dg_parallel_for(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx) {
  jobs j = {.n = n, .fn = fn, .ctx = ctx};
  atomic_init(&j.next, 0);
  atomic_init(&j.faulted, 0);
  const dg_guard *guard = dg_guard_current();
  if (guard) {
    j.guard_lo = guard->lo;
    j.guard_hi = guard->hi;
  }
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads > n) threads = (unsigned)n;
  pthread_t t[MAX_THREADS];
  unsigned started = 0;
  while (started + 1 < threads && pthread_create(&t[started], NULL, worker, &j) == 0) started++;
  worker(&j);
  for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
  return !atomic_load(&j.faulted);
}
