/* libFuzzer target: hostile sweep databases (lib/sweep/store.c and
 * store_check.c). Each input is a database file; it is
 * - checked (rlz_store_check: SQLite's integrity check, checksums, curves),
 * - opened read-only, verified and loaded, as export, fit and plot do,
 * - opened for writing, as a sweep does, on a copy.
 * Invariants (violations abort):
 * - nothing hangs (an alarm aborts after 30 s);
 * - a store that verifies has no damaged run in the check's report;
 * - a refused write-open leaves the file byte for byte as it was;
 * - a store the check finds sound takes a new run, and stays sound. */
#include "sweep/store_check.h"
#include "sweep/sweep_internal.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what) {
  if (!cond) {
    fprintf(stderr, "fuzz_store: invariant violated: %s\n", what);
    abort();
  }
}

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "fuzz_store: a store operation hung\n";
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  abort();
}

static void rm_store(const char *p) {
  char side[300];
  unlink(p);
  snprintf(side, sizeof side, "%s-wal", p);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", p);
  unlink(side);
  snprintf(side, sizeof side, "%s-journal", p);
  unlink(side);
}

static int put(const char *p, const uint8_t *data, size_t size) {
  rm_store(p);
  FILE *f = fopen(p, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(data, 1, size, f);
  return fclose(f) == 0 && w == size ? 0 : -1;
}

static int same_bytes(const char *p, const uint8_t *data, size_t size) {
  FILE *f = fopen(p, "rb");
  if (!f)
    return 0;
  int same = 1;
  for (size_t i = 0; i < size && same; i++)
    same = fgetc(f) == data[i];
  same = same && fgetc(f) == EOF;
  fclose(f);
  return same;
}

static int sound(const rlz_store_report *r) {
  return r->integrity_ok && r->integrity_msgs == 0 && r->bad_checksum == 0 && r->bad_curve == 0 &&
         r->orphans == 0;
}

/* One finished run with a two-point curve. */
static richeta_status add_run(rlz_store *s, rlz_err *e) {
  int64_t step[2] = {0, 10};
  double loss[2] = {1.0, 0.5}, test[2] = {NAN, NAN}, eta[2] = {0.1, 0.1}, acc[2] = {NAN, NAN};
  rlz_run_out o;
  memset(&o, 0, sizeof o);
  o.r.gamma = 3.25;
  o.r.eta0 = 0.125;
  o.r.seed = 77;
  o.r.status = RICHETA_SWEEP_RUN_CONVERGED;
  o.r.steps = 10;
  o.r.eta = 0.1;
  o.r.init_loss = 1.0;
  o.r.final_loss = o.r.best_loss = 0.5;
  o.r.test_init = o.r.test_final = o.r.test_best = o.r.test_accuracy = NAN;
  o.r.wall = 0;
  o.n = 2;
  o.step = step;
  o.loss = loss;
  o.test = test;
  o.eta = eta;
  o.acc = acc;
  richeta_status st = rlz_store_register(s, "f0f0f0f0f0f0f0f0", "D=2,N=2", 2, e);
  if (st == RICHETA_OK)
    st = rlz_store_commit(s, "f0f0f0f0f0f0f0f0", "D=2,N=2,gamma=3.25", &o, e);
  return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[128], copy[128];
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/fuzz-store-%ld.db", (long)getpid());
    snprintf(copy, sizeof copy, "/tmp/fuzz-store-%ld-w.db", (long)getpid());
    signal(SIGALRM, on_alarm);
  }
  if (put(path, data, size) != 0)
    return 0;
  alarm(30);
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_err e;

  /* the full check */
  rlz_store_report r;
  richeta_status cst = rlz_store_check(path, &r, NULL, NULL, &e);
  check(cst == RICHETA_OK || cst == RICHETA_ERR_DATABASE || cst == RICHETA_ERR_VERSION ||
            cst == RICHETA_ERR_NOMEM,
        "check status");

  /* the readers' path */
  rlz_store *s = NULL;
  if (rlz_store_open(&s, path, 1, &a, &e) == RICHETA_OK) {
    richeta_status vst = rlz_store_verify_hash(s, NULL, &e);
    if (vst == RICHETA_OK && cst == RICHETA_OK)
      check(r.bad_checksum == 0 && r.bad_curve == 0, "a verified store has no damaged run");
    char hash[17];
    char *config = NULL;
    int64_t nsw = 0;
    if (rlz_store_find_sweep(s, NULL, hash, &config, &nsw, &e) == RICHETA_OK && nsw >= 1) {
      rlz_run *runs = NULL;
      int64_t n = 0;
      richeta_status lst = rlz_store_load(s, hash, &a, &runs, &n, &e);
      if (vst == RICHETA_OK)
        check(lst == RICHETA_OK || lst == RICHETA_ERR_NOMEM, "a verified store loads");
      for (int64_t i = 0; lst == RICHETA_OK && i < n; i++)
        check(runs[i].status >= RICHETA_SWEEP_RUN_CONVERGED &&
                  runs[i].status <= RICHETA_SWEEP_RUN_STALLED,
              "loaded status");
      rlz_free(&a, runs);
    }
    rlz_free(&a, config); /* the store copies with the allocator it was given */
    rlz_store_close(s);
  }

  /* the writer's path, on a copy */
  if (put(copy, data, size) == 0) {
    rlz_store *w = NULL;
    richeta_status wst = rlz_store_open(&w, copy, 0, &a, &e);
    if (wst != RICHETA_OK) {
      check(same_bytes(copy, data, size), "a refused store is left byte for byte");
    } else {
      richeta_status ast = add_run(w, &e);
      rlz_store_close(w);
      if (cst == RICHETA_OK && sound(&r)) {
        check(ast == RICHETA_OK || ast == RICHETA_ERR_NOMEM, "a sound store takes a run");
        rlz_store_report r2;
        check(rlz_store_check(copy, &r2, NULL, NULL, &e) == RICHETA_OK, "check after a write");
        check(sound(&r2), "a sound store stays sound after a write");
        check(r2.runs >= r.runs && r2.runs <= r.runs + 1, "the new run is counted once");
      }
    }
  }
  alarm(0);
  rm_store(path);
  rm_store(copy);
  return 0;
}
