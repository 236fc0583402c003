/* Fork-join over a shared job counter (see parallel.h). */
#define _POSIX_C_SOURCE 200809L /* sysconf under -std=c11 */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define MAX_THREADS 16

typedef struct {
  atomic_size_t next;
  size_t n;
  void (*fn)(void *ctx, size_t i);
  void *ctx;
} jobs;

static void *worker(void *arg) {
  jobs *j = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->n) return NULL;
    j->fn(j->ctx, i);
  }
}

unsigned dg_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (unsigned)n;
}

void dg_parallel_for(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx) {
  jobs j = {.n = n, .fn = fn, .ctx = ctx};
  atomic_init(&j.next, 0);
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads > n) threads = (unsigned)n;
  pthread_t t[MAX_THREADS];
  unsigned started = 0;
  while (started + 1 < threads && pthread_create(&t[started], NULL, worker, &j) == 0) started++;
  worker(&j);
  for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
}
