/* The worker team (pool.h): a generation counter under one mutex; workers
 * sleep on `go` until the generation moves, run their share, and the last
 * one to finish signals `done`. */
#include "core/pool.h"

#include <pthread.h>
#include <string.h>

typedef struct worker {
  rlz_pool *pool;
  int index; /* 1..threads-1 */
  pthread_t tid;
} worker;

struct rlz_pool {
  rlz_alloc alloc;
  int threads, started;
  worker *w;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  unsigned long gen; /* bumped by every job */
  bool stop;
  rlz_pool_fn fn;
  void *ctx;
  int nt, pending;
};

static void *worker_main(void *arg) {
  worker *w = arg;
  rlz_pool *p = w->pool;
  unsigned long seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->gen == seen)
      pthread_cond_wait(&p->go, &p->mu);
    if (p->stop)
      break;
    seen = p->gen;
    if (w->index >= p->nt) /* not in this job */
      continue;
    rlz_pool_fn fn = p->fn;
    void *ctx = p->ctx;
    int nt = p->nt;
    pthread_mutex_unlock(&p->mu);
    fn(ctx, w->index, nt);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0)
      pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

richeta_status rlz_pool_new(rlz_pool **out, int threads, const rlz_alloc *a, rlz_err *e) {
  *out = NULL;
  if (threads < 1)
    return rlz_fail(e, RICHETA_ERR_RANGE, "thread team: %d threads", threads);
  rlz_pool *p = rlz_calloc(a, 1, sizeof *p);
  worker *w = p ? rlz_calloc(a, (size_t)threads, sizeof *w) : NULL;
  if (!w) {
    rlz_free(a, p);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "thread team: out of memory");
  }
  p->alloc = *a;
  p->threads = threads;
  p->w = w;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  for (int k = 1; k < threads; k++) {
    w[k].pool = p;
    w[k].index = k;
    int rc = pthread_create(&w[k].tid, NULL, worker_main, &w[k]);
    if (rc != 0) {
      rlz_pool_free(p);
      return rlz_fail(e, RICHETA_ERR_INTERNAL, "thread team: cannot start a worker (%s)",
                      strerror(rc));
    }
    p->started = k;
  }
  *out = p;
  return RICHETA_OK;
}

void rlz_pool_free(rlz_pool *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int k = 1; k <= p->started; k++)
    pthread_join(p->w[k].tid, NULL);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  rlz_alloc a = p->alloc;
  rlz_free(&a, p->w);
  rlz_free(&a, p);
}

int rlz_pool_threads(const rlz_pool *p) { return p ? p->threads : 1; }

void rlz_pool_run(rlz_pool *p, int nt, rlz_pool_fn fn, void *ctx) {
  if (!p || nt <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  nt = nt > p->threads ? p->threads : nt;
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->nt = nt;
  p->pending = nt - 1;
  p->gen++;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  fn(ctx, 0, nt);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0)
    pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
