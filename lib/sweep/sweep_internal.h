/* Internal state of a sweep, shared by the handle (sweep.c), the grids
 * (grid.c), the scheduler (run.c), the default runner (runner.c), the store
 * (store.c) and eta* extraction and fits (fit.c). The command line tools
 * use the store and fit helpers directly. */
#ifndef RLZ_SWEEP_INTERNAL_H
#define RLZ_SWEEP_INTERNAL_H

#include "core/core.h"
#include "store_check.h" /* the store's checks and checksums (richeta check) */
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
  /* held-out loss of the best constant predictor (not stored; NaN when
   * unknown): with test_init, the stall test's baseline */
  double baseline;
  /* catapult (lib/train/catapult.c): peak over the step-0 loss and its
   * step, NaN / -1 when none; stored in the run's message */
  double catapult;
  int64_t catapult_step;
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
  double progress;                  /* 0 = off */
  int durable;                      /* 1: synchronous=FULL commits */
  int64_t shard_index, shard_count; /* run shard_index of shard_count (1 = all) */
  int journal;                      /* richeta_sweep_journal */
  int steps_law;                    /* richeta_sweep_steps_law */
  double tau_budget;                /* RICHETA_SWEEP_STEPS_TAU */
  double steps_max;                 /* 0: 100 x the base T */
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

/* T of the run at (gamma, eta0) under the sweep's steps law (run.c). */
richeta_status rlz_sweep_run_steps(const richeta_sweep *sw, double gamma, double eta0, int64_t *T);

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
/* Read access for reports (tools/): the base configuration, and the loaded
 * runs sorted by (gamma, eta0, seed), *n of them (valid until the sweep is
 * loaded, run or freed). */
const richeta_config *rlz_sweep_base(const richeta_sweep *sw);
const rlz_run *rlz_sweep_loaded_runs(const richeta_sweep *sw, int64_t *n);
/* The grid of one axis (the values seen in the runs for an opened sweep). */
const rlz_grid *rlz_sweep_grid(const richeta_sweep *sw, richeta_sweep_axis axis);

/* run.c: the scheduler, with what it runs and where results go as
 * parameters, so that the MPI runner's ranks reuse it. */
typedef struct rlz_sink {
  /* a run starts on a worker (advisory: progress markers; may be NULL) */
  void (*started)(void *ctx, double gamma, double eta0, int64_t seed);
  /* keep a finished run (the store, or a message to the writing rank) */
  richeta_status (*commit)(void *ctx, const char *run_config, const rlz_run_out *o, rlz_err *e);
  void *ctx;
} rlz_sink;
typedef struct rlz_exec {
  const rlz_run *cache; /* runs stored already, sorted by rlz_run_cmp (skipped) */
  int64_t ncache;
  const rlz_sink *sink;
  const richeta_sweep_callbacks *cb; /* full-size copy, or NULL */
  int64_t unit;                      /* -1: every unit of the sweep's shard; else that unit only */
} rlz_exec;
/* Run the cells of x->unit (or of the shard) with the sweep's grids, seeds
 * and options; the hash must be fresh (rlz_sweep_refresh_hash). */
richeta_status rlz_sweep_exec(richeta_sweep *sw, const rlz_exec *x);

/* plan.c: what a sweep runs. A unit is what one process runs on its own: a
 * gamma column when adaptive (its downward eta0 scan is sequential), a
 * cell (gamma, eta0, every seed) when dense. */
int64_t rlz_plan_units(int mode, int64_t ng, int64_t ne);
/* Cell indices of unit u (adaptive: *ei = -1, the whole column). */
void rlz_unit_cells(int mode, int64_t ne, int64_t u, int64_t *gi, int64_t *ei);
/* Shard of unit u among count: adaptive gi mod count, dense (gi + ei) mod count. */
int64_t rlz_unit_shard(int mode, int64_t ne, int64_t u, int64_t count);
/* Lowest eta0 index an adaptive scan goes down to once cell ei of eta0
 * grid v is its first convergent one (decades_below below it). */
int64_t rlz_scan_stop(const double *v, int64_t ei, double decades_below);
/* Values as comma-separated %.17g (doubles) or integers, allocated with a;
 * and back (NULL on a malformed list). */
char *rlz_format_doubles(const rlz_alloc *a, const double *v, int64_t n);
char *rlz_format_ints(const rlz_alloc *a, const int64_t *v, int64_t n);
double *rlz_parse_doubles(const rlz_alloc *a, const char *s, int64_t *n);
int64_t *rlz_parse_ints(const rlz_alloc *a, const char *s, int64_t *n);

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
double rlz_now(void);       /* monotonic seconds */
double rlz_unix_time(void); /* seconds since 1970 */

/* store.c: one SQLite connection, used by one thread. */
typedef struct rlz_store rlz_store;
richeta_status rlz_store_open(rlz_store **out, const char *path, int readonly, const rlz_alloc *a,
                              rlz_err *e);
/* A writable store with a chosen journal (richeta_sweep_journal). */
richeta_status rlz_store_open_journal(rlz_store **out, const char *path, int journal,
                                      const rlz_alloc *a, rlz_err *e);
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
/* "hash1, hash2, ..." of the stored sweeps into buf (", ..." when cap is
 * too small for all), for messages that must name them. */
richeta_status rlz_store_list_sweeps(rlz_store *s, char *buf, size_t cap, rlz_err *e);
/* The raw connection (sqlite3 *) for read-only queries by the tools. */
void *rlz_store_db(rlz_store *s);
/* A read transaction, so that every query that follows sees one snapshot
 * (RICHETA_ERR_DATABASE with SQLite's message alone), and its end. */
richeta_status rlz_store_begin_read(rlz_store *s, rlz_err *e);
void rlz_store_end_read(rlz_store *s);
/* One exported value: its column name and a null, integer, real or text. */
typedef enum rlz_cell_type {
  RLZ_CELL_NULL,
  RLZ_CELL_INT,
  RLZ_CELL_REAL,
  RLZ_CELL_TEXT
} rlz_cell_type;
typedef struct rlz_store_cell {
  const char *name;
  rlz_cell_type type;
  int64_t i;
  double d;
  const char *s; /* valid during the callback */
} rlz_store_cell;
/* Called once with header = 1 (names only, types null), then once per row. */
typedef void (*rlz_store_row_fn)(void *user, const rlz_store_cell *cells, int n, int header);
/* The rows of richeta export (docs/output.md): the runs of hash (all when
 * NULL), or with curves their logged steps, ordered by hash, gamma, eta0,
 * seed (and step), read from the table rows (not an index), in the
 * caller's transaction. RICHETA_ERR_DATABASE with SQLite's message
 * alone. */
richeta_status rlz_store_export(rlz_store *s, const char *hash, int curves, rlz_store_row_fn fn,
                                void *user, rlz_err *e);
/* Number of sweeps that hold runs (richeta align without --hash needs one). */
richeta_status rlz_store_count_run_sweeps(rlz_store *s, int64_t *n, rlz_err *e);
/* The curve richeta align reads for each gamma of hash (all when NULL), in
 * ascending gamma: among the converged runs with eta, eta0 > 0 ordered by
 * final loss then seed, the first of eta0 nearest eta0_pick in log (the
 * first when eta0_pick <= 0). begin(user, gamma, eta0, eta, depth), then
 * point(user, step, loss) per logged step (loss NaN when not stored); a
 * callback returning nonzero stops the read with RICHETA_ERR_CALLBACK and
 * no message. Read from the table rows, in the caller's transaction;
 * RICHETA_ERR_DATABASE with SQLite's message alone. */
typedef int (*rlz_store_curve_fn)(void *user, double gamma, double eta0, double eta, int64_t depth);
typedef int (*rlz_store_point_fn)(void *user, int64_t step, double loss);
richeta_status rlz_store_align_curves(rlz_store *s, const char *hash, double eta0_pick,
                                      rlz_store_curve_fn begin, rlz_store_point_fn point,
                                      void *user, rlz_err *e);
/* richeta plot's heatmap cells of hash, by (gamma, eta0) ascending: every
 * seed converged, the seed mean of the held-out final loss (the training
 * one where a run has none; NaN when no run has a loss), a seed diverged or
 * failed, a seed catapulted (the sweep's note in the run's message). A
 * callback returning nonzero stops the read with RICHETA_ERR_CALLBACK.
 * Read in the caller's transaction. */
typedef struct rlz_store_plot_cell {
  double gamma, eta0, loss;
  int converged, diverged, catapult;
} rlz_store_plot_cell;
typedef int (*rlz_store_plot_cell_fn)(void *user, const rlz_store_plot_cell *c);
richeta_status rlz_store_plot_cells(rlz_store *s, const char *hash, rlz_store_plot_cell_fn fn,
                                    void *user, rlz_err *e);
/* The logged curve (held-out loss where stored, else training loss; NaN
 * when neither) of the lowest seed's run of hash at (gamma, eta0), by
 * step; point() as for rlz_store_align_curves. */
richeta_status rlz_store_first_seed_curve(rlz_store *s, const char *hash, double gamma, double eta0,
                                          rlz_store_point_fn point, void *user, rlz_err *e);
/* synchronous=FULL (1) or NORMAL (0) for the commits that follow. */
richeta_status rlz_store_set_durable(rlz_store *s, int durable, rlz_err *e);
/* Checksums and curves of the runs of hash (all when NULL): the first
 * damaged run gives RICHETA_ERR_CHECKSUM (RICHETA_ERR_DATABASE when it has no checksum). */
richeta_status rlz_store_verify_hash(rlz_store *s, const char *hash, rlz_err *e);
const char *rlz_run_status_name(int status);

/* progress.c: the plans and run_starts tables (sweep.h) and the progress
 * of each sweep of a store (`richeta status`). */
typedef struct rlz_owner {
  char host[64];
  int64_t pid;
  int64_t rank; /* MPI rank, -1 outside MPI */
} rlz_owner;
void rlz_owner_self(rlz_owner *o, int64_t rank);
/* Create the two tables when missing (writable store). */
richeta_status rlz_progress_prepare(rlz_store *s, rlz_err *e);
/* Provenance rows (provenance.c): begin records the library version, the
 * command line, host, pid and start (Unix seconds) of a richeta_sweep_run()
 * call and returns its row id; end adds the end time and the outcome ("ok"
 * or the status string). */
richeta_status rlz_provenance_begin(rlz_store *s, const char *hash, int64_t *id, rlz_err *e);
richeta_status rlz_provenance_end(rlz_store *s, int64_t id, richeta_status outcome, rlz_err *e);
/* Record the sweep's plan (grids, seeds, mode, decades, shard) if new. */
richeta_status rlz_progress_record_plan(rlz_store *s, const richeta_sweep *sw, rlz_err *e);
/* Mark a run as started by o. Advisory: a failure is ignored (the run's
 * own commit reports a store that cannot be written). */
void rlz_progress_mark_started(rlz_store *s, const char *hash, double gamma, double eta0,
                               int64_t seed, const rlz_owner *o, double unix_time);

enum { RLZ_UNIT_DONE = 0, RLZ_UNIT_STARTED = 1, RLZ_UNIT_MISSING = 2 };
typedef struct rlz_unit_status {
  int64_t unit, shard;
  double gamma;
  double eta0;  /* dense: the cell's; adaptive: first cell of the scan not stored (NaN when done) */
  int state;    /* RLZ_UNIT_*: STARTED when a run of that cell was started and not stored */
  int64_t runs; /* stored runs of the unit's scanned cells */
  int64_t cells;
  rlz_owner owner; /* STARTED: who started the latest such run */
  double started_at;
} rlz_unit_status;
typedef struct rlz_plan_status {
  char hash[17];
  int mode;
  double decades;
  int64_t ng, ne, nseeds, shard_count;
  unsigned char *shard_seen; /* shard_count flags: shard recorded in this store */
  rlz_unit_status *units;
  int64_t nunits;
} rlz_plan_status;
typedef struct rlz_bare_sweep { /* runs of a hash with no plan recorded */
  char hash[17];
  int64_t runs;
} rlz_bare_sweep;
typedef struct rlz_store_progress {
  rlz_plan_status *plans;
  int64_t nplans;
  rlz_bare_sweep *bare;
  int64_t nbare;
} rlz_store_progress;
richeta_status rlz_store_progress_read(rlz_store *s, const rlz_alloc *a, rlz_store_progress *out,
                                       rlz_err *e);
void rlz_store_progress_free(const rlz_alloc *a, rlz_store_progress *p);

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

/* bootstrap.c: eta* as grid intervals, fits with bootstrap errors over the
 * units (seeds of one or several sweeps of one configuration). */
typedef struct rlz_star_point {
  double gamma;
  double lo, hi; /* eta_max interval: largest convergent eta0, next scanned one (NaN: none) */
  double mid;    /* sqrt(lo hi), NaN when censored */
  double opt;    /* refined eta_opt, NaN when none */
  double opt_loss;
  int flags;        /* richeta_eta_star_flag bits */
  int censored;     /* eta_max is a bound: top of the grid, or nothing convergent */
  int opt_censored; /* the best eta0 is the top of the grid or the bottom of the scan */
} rlz_star_point;
typedef struct rlz_star_set rlz_star_set;
enum { RLZ_STAR_MAX = 0, RLZ_STAR_OPT = 1 };
typedef struct rlz_star_fit_out {
  int ok;
  int64_t n;          /* points fitted */
  int64_t n_censored; /* censored points in range left out */
  int64_t reps;       /* bootstrap replicates used */
  double slope, intercept;
  double se;     /* bootstrap standard error of the slope, NaN with fewer than 3 points */
  double se_ols; /* least-squares standard error, NaN with fewer than 3 points */
  double gamma_min, gamma_max;
} rlz_star_fit_out;
/* runs (any order) with units[i] the unit of run i; NOMEM or OK. */
richeta_status rlz_star_build(const rlz_alloc *a, const rlz_run *runs, const int64_t *units,
                              int64_t n, rlz_star_set **out);
void rlz_star_free(rlz_star_set *s);
int64_t rlz_star_count(const rlz_star_set *s);
int64_t rlz_star_units(const rlz_star_set *s);
const rlz_star_point *rlz_star_points(const rlz_star_set *s); /* gamma ascending */
/* The point's value in a fit: eta_max's interval midpoint (its bound when
 * censored) or eta_opt. */
double rlz_star_value(const rlz_star_point *p, int quantity);
/* Fit log10 eta* against log10 gamma on [gmin, gmax] with reps bootstrap
 * replicates (deterministic in seed); censored points are left out
 * unless include_censored. */
richeta_status rlz_star_fit(const rlz_star_set *s, int quantity, double gmin, double gmax,
                            bool include_censored, int64_t reps, uint64_t seed,
                            rlz_star_fit_out *f);

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
