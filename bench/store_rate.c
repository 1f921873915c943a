/* Throughput of the results store as richeta-mpi's rank 0 drives it: per
 * run, one run-start marker and one commit (the run's row and its curve, one
 * transaction). Prints one JSON line.
 * usage: store_rate DB RUNS CURVE_POINTS wal|delete
 * (bench/cluster_scale.sh runs it; figures in bench/RESULTS.md) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: store_rate DB RUNS CURVE_POINTS wal|delete\n");
    return 2;
  }
  const char *db = argv[1];
  long runs = strtol(argv[2], NULL, 10), points = strtol(argv[3], NULL, 10);
  int journal = strcmp(argv[4], "delete") ? RICHETA_SWEEP_JOURNAL_WAL
                                          : RICHETA_SWEEP_JOURNAL_DELETE;
  if (runs < 1 || points < 1) {
    fprintf(stderr, "store_rate: RUNS and CURVE_POINTS must be >= 1\n");
    return 2;
  }
  unlink(db);
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_err e = {{0}};
  rlz_store *s = NULL;
  const char *hash = "0123456789abcdef";
  if (rlz_store_open_journal(&s, db, journal, &a, &e) != RICHETA_OK ||
      rlz_store_register(s, hash, "D=16,N=64", 3, &e) != RICHETA_OK ||
      rlz_progress_prepare(s, &e) != RICHETA_OK) {
    fprintf(stderr, "store_rate: %s\n", e.msg);
    return 1;
  }
  /* a run as a sweep stores it: summary, and a curve of `points` steps */
  rlz_run_out o;
  memset(&o, 0, sizeof o);
  o.n = points;
  o.step = calloc((size_t)points, sizeof *o.step);
  o.loss = calloc((size_t)points, sizeof *o.loss);
  o.test = calloc((size_t)points, sizeof *o.test);
  o.eta = calloc((size_t)points, sizeof *o.eta);
  o.acc = calloc((size_t)points, sizeof *o.acc);
  if (!o.step || !o.loss || !o.test || !o.eta || !o.acc)
    return 1;
  for (long i = 0; i < points; i++) {
    o.step[i] = (int64_t)i * 16; /* distinct, ascending */
    o.loss[i] = 1.0 / (1.0 + (double)i);
    o.test[i] = 1.1 / (1.0 + (double)i);
    o.eta[i] = 0.01;
    o.acc[i] = NAN;
  }
  const char *config = "D=16,N=64,L=3,B=32,T=400,act=identity,gamma=1,eta0=0.01,seed=0";
  rlz_owner me;
  rlz_owner_self(&me, 1);
  double t0 = rlz_now();
  for (long i = 0; i < runs; i++) {
    o.r.gamma = pow(10, -4 + (double)(i % 17) / 2);
    o.r.eta0 = pow(10, -10 + (double)(i / 17) / 10);
    o.r.seed = 0;
    o.r.status = RICHETA_SWEEP_RUN_CONVERGED;
    o.r.steps = 400;
    o.r.init_loss = 1, o.r.final_loss = o.r.best_loss = 0.01;
    o.r.test_init = o.r.test_final = o.r.test_best = o.r.test_accuracy = NAN;
    o.r.wall = 0.1;
    rlz_progress_mark_started(s, hash, o.r.gamma, o.r.eta0, 0, &me, rlz_unix_time());
    if (rlz_store_commit(s, hash, config, &o, &e) != RICHETA_OK) {
      fprintf(stderr, "store_rate: %s\n", e.msg);
      return 1;
    }
  }
  double dt = rlz_now() - t0;
  rlz_store_close(s);
  printf("{\"journal\":\"%s\",\"runs\":%ld,\"curve_points\":%ld,\"seconds\":%.6f,"
         "\"runs_per_second\":%.1f}\n",
         argv[4], runs, points, dt, (double)runs / dt);
  free(o.step), free(o.loss), free(o.test), free(o.eta), free(o.acc);
  return 0;
}
