/* SIGBUS guards for mapped references (see dg/fault_guard.h).
 *
 * The handler must find the faulting thread's guard without thread-local storage (a
 * dlopen'ed addon cannot count on initial-exec TLS, and other TLS models may allocate,
 * which a signal handler must not): each guarded thread holds a slot in a fixed table,
 * found by its kernel thread id. A thread that finds no free slot runs unguarded. */
#define _GNU_SOURCE /* syscall(SYS_gettid), sigaction under -std=c11 */
#include "dg/fault_guard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS 256

typedef struct {
  atomic_long tid;       /* 0: free */
  dg_guard *_Atomic top; /* the thread's innermost guard */
} slot;

static slot slots[SLOTS];
static struct sigaction previous;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int installed;

static long thread_id(void) { return (long)syscall(SYS_gettid); }

static slot *find(long tid) {
  for (int i = 0; i < SLOTS; i++)
    if (atomic_load_explicit(&slots[i].tid, memory_order_relaxed) == tid) return &slots[i];
  return NULL;
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx) {
  slot *s = find(thread_id());
  dg_guard *g = s ? atomic_load_explicit(&s->top, memory_order_relaxed) : NULL;
  const char *addr = si ? (const char *)si->si_addr : NULL;
  if (g && addr >= g->lo && addr < g->hi) siglongjmp(g->env, 1);
  /* Not ours. A previous handler runs as it would have; otherwise the previous disposition
   * comes back and the faulting access, run again on return, gets it. */
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
    previous.sa_sigaction(sig, si, ctx);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
  } else {
    sigaction(SIGBUS, &previous, NULL);
  }
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  installed = sigaction(SIGBUS, &sa, &previous) == 0;
}

int dg_guard_install(void) {
  pthread_once(&once, install);
  return installed;
}

void dg_guard_push(dg_guard *g, const void *lo, size_t len) {
  g->lo = lo;
  g->hi = (const char *)lo + len;
  g->prev = NULL;
  long tid = thread_id();
  slot *s = find(tid);
  for (int i = 0; !s && i < SLOTS; i++) {
    long free_tid = 0;
    if (atomic_compare_exchange_strong(&slots[i].tid, &free_tid, tid)) s = &slots[i];
  }
  g->slot = s;
  if (!s) return; /* table full: this thread runs unguarded */
  g->prev = atomic_load_explicit(&s->top, memory_order_relaxed);
  atomic_store_explicit(&s->top, g, memory_order_relaxed);
}

void dg_guard_end(dg_guard *g) {
  slot *s = g->slot;
  if (!s) return;
  atomic_store_explicit(&s->top, g->prev, memory_order_relaxed);
  if (!g->prev) atomic_store(&s->tid, 0); /* the thread's last guard: free the slot */
}

const dg_guard *dg_guard_current(void) {
  slot *s = find(thread_id());
  return s ? atomic_load_explicit(&s->top, memory_order_relaxed) : NULL;
}
