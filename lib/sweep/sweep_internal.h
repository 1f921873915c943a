/* Internal state of a sweep, shared by the handle (sweep.c), the grids
 * (grid.c), the scheduler (run.c), the default runner (runner.c), the store
 * (store.c) and eta* extraction and fits (fit.c). The command line tools
 * use the store and fit helpers directly. */
#ifndef RLZ_SWEEP_INTERNAL_H
#define RLZ_SWEEP_INTERNAL_H

#include "core/core.h"
#include <richlazy/sweep.h>

#define RLZ_GRID_MAX 100000
#define RLZ_SEEDS_MAX 10000
#define RLZ_RUN_MSG_CAP 256

/* One stored run (no curve). Losses may be NaN (stored as NULL). */
typedef struct rlz_run {
  double gamma, eta0;
  int64_t seed;
  int status; /* richeta_sweep_run_status */
  int64_t steps;
  double eta;
  double init_loss, final_loss, best_loss;
  double test_init, test_final, test_best;
  double test_accuracy; /* held-out accuracy at the end (NaN unless C >= 2) */
  double wall;
} rlz_run;

/* What a runner produces: the summary and the logged curve (arrays of n
 * entries allocated with the sweep's allocator, or NULL when n is 0). */
typedef struct rlz_run_out {
  rlz_run r;
  int64_t n;
  int64_t *step;
  double *loss, *test, *eta, *acc;
  char msg[RLZ_RUN_MSG_CAP];
  /* not a result: out of memory. The run is not stored and the sweep
   * fails with this status, so that a rerun redoes the cell. */
  richeta_status err;
} rlz_run_out;

/* Runs one cell. Called on worker threads, concurrently, each call with its
 * own configuration. Must fill out->r (status, losses) and may fill the
 * curve. A run that cannot be made is a result (status FAILED with a
 * message), except for lack of memory (out->err = NOMEM). */
typedef void (*rlz_runner_fn)(void *user, const richeta_config *cfg, const rlz_alloc *a,
                              rlz_run_out *out);

typedef struct rlz_grid {
  double *v; /* ascending */
  int64_t n;
} rlz_grid;

struct richeta_sweep {
  rlz_alloc alloc;
  rlz_err err;
  richeta_config *base;
  rlz_grid grid[2];
  int64_t *seeds;
  int64_t nseeds;
  int mode;
  int workers;
  double decades_below;
  int blas_single;
  double progress; /* 0 = off */
  int durable;     /* 1: synchronous=FULL commits */
  char hash[17];
  char *config_text; /* canonical base configuration with gamma/eta0/seed normalised */
  /* loaded runs, sorted by (gamma, eta0, seed) */
  rlz_run *runs;
  int64_t nruns;
  /* test seam: replaces the trainer (NULL = rlz_sweep_default_runner) */
  rlz_runner_fn runner;
  void *runner_user;
  /* most runs of one seed a worker trains together (1..RLZ_GROUP_MAX;
   * results do not depend on it, tests compare) */
  int group_max;
};

/* grid.c */
richeta_status rlz_grid_range(rlz_err *e, const rlz_alloc *a, rlz_grid *g, double lo, double hi,
                              double per_decade);
richeta_status rlz_grid_list(rlz_err *e, const rlz_alloc *a, rlz_grid *g, const double *v,
                             int64_t n);
richeta_status rlz_grid_parse(rlz_err *e, const rlz_alloc *a, rlz_grid *g, const char *spec);
void rlz_grid_free(const rlz_alloc *a, rlz_grid *g);

/* sweep.c */
richeta_status rlz_sweep_refresh_hash(richeta_sweep *sw);
int rlz_run_cmp(const void *a, const void *b);
void rlz_sweep_set_runner(richeta_sweep *sw, rlz_runner_fn fn, void *user);

/* runner.c */
void rlz_sweep_default_runner(void *user, const richeta_config *cfg, const rlz_alloc *a,
                              rlz_run_out *out);
void rlz_run_out_release(const rlz_alloc *a, rlz_run_out *o);
/* Largest number of runs a worker trains together. */
#define RLZ_GROUP_MAX 8
/* Called by the group runner as soon as run i of the group has its output
 * (the runner does not touch it afterwards). */
typedef void (*rlz_run_done_fn)(void *ctx, int64_t i);
/* n <= RLZ_GROUP_MAX runs that differ only in gamma and eta0 (same seed),
 * trained in lockstep on one stream: the same results as n calls of the
 * default runner, each handed back through done() when it ends. A run's
 * wall time is the time from the group's start to its end over n. */
void rlz_sweep_group_runner(const richeta_config *const *cfgs, rlz_run_out *const *outs, int64_t n,
                            const rlz_alloc *a, rlz_run_done_fn done, void *done_ctx);
double rlz_now(void);

/* store.c: one SQLite connection, used by one thread. */
typedef struct rlz_store rlz_store;
richeta_status rlz_store_open(rlz_store **out, const char *path, int readonly, const rlz_alloc *a,
                              rlz_err *e);
void rlz_store_close(rlz_store *s);
/* Record the sweep (hash, canonical config, depth) if new. */
richeta_status rlz_store_register(rlz_store *s, const char *hash, const char *config, int64_t depth,
                                  rlz_err *e);
/* Store one run and its curve in one transaction. A run already stored
 * under the same key is left as it is. */
richeta_status rlz_store_commit(rlz_store *s, const char *hash, const char *run_config,
                                const rlz_run_out *o, rlz_err *e);
/* All runs of a hash, sorted by (gamma, eta0, seed); *runs allocated with a. */
richeta_status rlz_store_load(rlz_store *s, const char *hash, const rlz_alloc *a, rlz_run **runs,
                              int64_t *n, rlz_err *e);
/* Hashes stored: writes up to cap hashes (17 bytes each) and the count;
 * config (may be NULL) receives a copy (store's allocator) of the config of hash[0]
 * when the database holds exactly one sweep or of `want` when given. */
richeta_status rlz_store_find_sweep(rlz_store *s, const char *want, char hash[17], char **config,
                                    int64_t *nsweeps, rlz_err *e);
/* The raw connection (sqlite3 *) for read-only queries by the tools. */
void *rlz_store_db(rlz_store *s);
/* synchronous=FULL (1) or NORMAL (0) for the commits that follow. */
richeta_status rlz_store_set_durable(rlz_store *s, int durable, rlz_err *e);
/* Checksums and curves of the runs of hash (all when NULL): the first
 * damaged run gives RICHETA_ERR_CHECKSUM (RICHETA_ERR_DATABASE when it has no checksum). */
richeta_status rlz_store_verify_hash(rlz_store *s, const char *hash, rlz_err *e);
const char *rlz_run_status_name(int status);

/* fit.c */
typedef struct rlz_eta_star {
  double gamma, eta_max, eta_opt, opt_loss;
  double eta_opt_grid; /* the best grid eta0 before refinement */
  int flags;
} rlz_eta_star;
/* runs sorted by (gamma, eta0, seed); out has room for one entry per gamma. */
int64_t rlz_eta_star_compute(const rlz_alloc *a, const rlz_run *runs, int64_t n,
                             rlz_eta_star *out); /* -1: out of memory */
/* Refine the minimum of three points (x ascending) by a parabola; returns
 * x1 when the parabola is not convex; result kept within [x0, x2]. */
double rlz_parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2);
richeta_status rlz_fit_line(rlz_err *e, const double *x, const double *y, int64_t n, double *slope,
                            double *se, double *icept);

/* A power-law fit of eta* against gamma on one side of the crossover. */
typedef struct rlz_side_fit {
  int ok;                      /* 0: fewer than 2 usable points */
  double slope, se, intercept; /* log10 eta = intercept + slope log10 gamma */
  double gamma_min, gamma_max; /* range actually used */
  int64_t n;
} rlz_side_fit;
/* Fit both sides. lazy_max / rich_min: range limits (NaN = choose
 * automatically: best two-segment split, then `margin` decades dropped on
 * each side of the lines' crossing). Points with non-finite or <= 0 eta are
 * ignored. */
void rlz_fit_regimes(const rlz_alloc *a, const double *gamma, const double *eta, int64_t n,
                     double lazy_max, double rich_min, double margin, rlz_side_fit *lazy,
                     rlz_side_fit *rich);
/* Crossing of the two fitted lines: gamma_c and eta at gamma_c; 0 when parallel. */
int rlz_fit_crossover(const rlz_side_fit *lazy, const rlz_side_fit *rich, double *gamma_c,
                      double *eta_c);

#endif
