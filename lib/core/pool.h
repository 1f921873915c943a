/* A fixed team of worker threads for the executor's parallel loops: one
 * job at a time, run by the caller and the workers together, returning
 * when all are done. Why not BLAS threads: OpenBLAS splits one product at a
 * time, and the Winograd convolutions' products are small (measured: 16
 * products of 1024 x 64 x 64 ran slower on 2 OpenBLAS threads than on one),
 * so the executor splits the work itself and calls BLAS single-threaded
 * from each thread. */
#ifndef RLZ_POOL_H
#define RLZ_POOL_H

#include "core/core.h"

typedef struct rlz_pool rlz_pool;

/* fn(ctx, t, nt) for t = 0..nt-1: thread t's share of the job. */
typedef void (*rlz_pool_fn)(void *ctx, int t, int nt);

/* A team of `threads` (>= 1: the caller plus threads - 1 workers). NOMEM
 * or the pthread error as RICHETA_ERR_INTERNAL when a worker cannot start
 * (the workers started so far are stopped). */
richeta_status rlz_pool_new(rlz_pool **out, int threads, const rlz_alloc *a, rlz_err *e);
void rlz_pool_free(rlz_pool *p);
int rlz_pool_threads(const rlz_pool *p);
/* Run fn on nt <= rlz_pool_threads(p) threads (the caller is thread 0) and
 * wait for all of them. One job at a time per pool. */
void rlz_pool_run(rlz_pool *p, int nt, rlz_pool_fn fn, void *ctx);

#endif
