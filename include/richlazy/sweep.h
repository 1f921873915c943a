/**
 * @file sweep.h
 * @brief gamma x eta0 x seed sweeps into a resumable SQLite store, eta* per
 *        gamma and power-law fits.
 *
 * A sweep trains one network per cell (gamma, eta0, seed) of a grid, every
 * cell from the same base configuration with only RICHETA_PARAM_GAMMA,
 * RICHETA_PARAM_ETA0 and RICHETA_PARAM_SEED changed. The learning rate on
 * the sweep axis is eta0: the optimizer applies its width multiplier (N for
 * mean-field) and the scheduler its gamma rule (use `rule=none`, the
 * default, for the paper's axis).
 *
 * Two modes:
 * - dense: every cell is run;
 * - adaptive (the reference protocol): for each gamma the eta0 grid is
 *   scanned downward from its top. A run whose loss turns NaN/Inf or exceeds
 *   RICHETA_PARAM_BLOWUP times its initial loss stops at once and is
 *   recorded as diverged. An eta0 is convergent when every seed converged.
 *   The scan goes on ::RICHETA_SWEEP_OPT_DECADES_BELOW decades below the
 *   first eta0 at which no seed diverged or failed (the first convergent
 *   one when the stall criterion ::RICHETA_SWEEP_OPT_PROGRESS is 0), then
 *   stops. By default (since 1.1) a run that neither diverged nor got below
 *   0.9 of its baseline loss is stalled, not convergent.
 *
 * Runs go to worker threads; the set of runs and every stored number except
 * the wall time are identical whatever the number of workers (a run depends
 * only on its configuration, and adaptive decisions only on finished runs),
 * provided BLAS runs one thread per call (::RICHETA_SWEEP_OPT_BLAS_SINGLE).
 *
 * A worker trains up to 8 queued runs of the same seed together, step by
 * step: they share one data stream (each batch is drawn once) and, with
 * frozen centering, the hidden layers of theta0, which gamma and eta0 do not
 * change, run once per step for all of them. Every run still computes
 * exactly what it computes alone (same calls on the same numbers), so the
 * stored results are the same bits; only the wall time is shared: each run
 * of a group records the group's time divided by its size.
 *
 * Results go to an SQLite database, one transaction per run: a sweep killed
 * at any moment and started again with the same specification skips the
 * runs already stored, redoes the unfinished ones, and ends with the same
 * table as an uninterrupted sweep. The unique key of a run is (configuration
 * hash, gamma, eta0, seed); the configuration hash covers every parameter of
 * the base configuration except gamma, eta0 and seed.
 *
 * Database schema (version 1):
 * - `sweeps(config_hash TEXT PRIMARY KEY, config TEXT, depth INTEGER)`;
 * - `runs(id, config_hash, gamma, eta0, seed, eta, status, steps,
 *   initial_loss, final_loss, best_loss, test_initial_loss, test_final_loss,
 *   test_best_loss, test_accuracy, wall_time, message, config)` where status is
 *   'converged', 'diverged', 'failed' or 'stalled', eta the scheduler's rate at step 0
 *   (eta0 times the gamma factor; the optimizer multiplies it by its width
 *   multiplier), losses are training-batch losses
 *   and test_* held-out losses (NULL without a held-out set), test_accuracy
 *   the final held-out accuracy (NULL unless C >= 2 with a held-out set);
 * - `curves(run_id, step, loss, test_loss, test_accuracy, eta)`: the
 *   trainer's log, at
 *   log-spaced steps;
 * - since 1.1, `run_checksums(run_id, points, digest)`: a 64-bit digest of
 *   each run's rows (its sweep, itself, its curve) written in the run's
 *   transaction and checked by every reader; runs stored by 1.0 have none
 *   (readers accept them as unverified). SQLite's application_id of the
 *   file is 0x524c5a53 ("RLZS") since 1.1;
 * - since 1.1, two tables for progress reports (`richeta status`), which
 *   readers of version 1 ignore: `plans(config_hash, mode, decades_below,
 *   gamma_grid, eta0_grid, seeds, shard_index, shard_count)`, one row per
 *   distinct plan a sweep ran with (grids and seeds as comma-separated
 *   values), and `run_starts(config_hash, gamma, eta0, seed, host, pid, rank,
 *   started_at)`, written when a run starts: a run started but not stored
 *   was running when its process stopped.
 * An existing file that is not such a database, or a database of a newer
 * schema version, is neither read nor written. What survives a crash, a
 * power loss and a damaged file is written in docs/store.md.
 */
#ifndef RICHLAZY_SWEEP_H
#define RICHLAZY_SWEEP_H

#include <richlazy/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup sweep Sweeps
 * @brief gamma x eta0 x seed sweeps, the results store, eta* and power-law fits.
 * @{
 */

/** Opaque sweep handle. */
typedef struct richeta_sweep richeta_sweep;

/** Grid axes. */
typedef enum richeta_sweep_axis {
  RICHETA_SWEEP_AXIS_GAMMA = 0, ///< Feature-learning strength gamma.
  RICHETA_SWEEP_AXIS_ETA0 = 1   ///< Base learning rate eta0.
} richeta_sweep_axis;

/** Sweep modes (values of ::RICHETA_SWEEP_OPT_MODE). */
typedef enum richeta_sweep_mode {
  RICHETA_SWEEP_DENSE = 0,   ///< Every cell of the grid.
  RICHETA_SWEEP_ADAPTIVE = 1 ///< Downward eta0 scan per gamma (default).
} richeta_sweep_mode;

/** Numeric options of a sweep (all read and written as doubles). */
typedef enum richeta_sweep_option {
  /** ::richeta_sweep_mode (default adaptive). */
  RICHETA_SWEEP_OPT_MODE = 1,
  /**
   * Worker threads in [0, 1024]; 0 = one per online core (default 0). At
   * most as many train at once as the linked BLAS takes concurrent callers
   * (`blas_max_threads` of richeta_build_info(): OpenBLAS's compiled limit,
   * 64 for Debian's 0.3.21, beyond which it crashes); the other workers
   * wait for a free slot.
   */
  RICHETA_SWEEP_OPT_WORKERS = 2,
  /** Adaptive: decades scanned below the first convergent eta0, in [0, 100] (default 2). */
  RICHETA_SWEEP_OPT_DECADES_BELOW = 3,
  /**
   * 1: set BLAS to one thread during richeta_sweep_run() and restore the
   * previous count after (OpenBLAS's count is process-wide, so this affects
   * other threads of the process too); 0: leave it (default 0). Runs are
   * bit-identical whatever the number of workers only with one BLAS thread.
   */
  RICHETA_SWEEP_OPT_BLAS_SINGLE = 4,
  /**
   * Stall criterion (progress test), in [0, 1e6]: when > 0, a run that
   * took all T steps without diverging counts as converged only if its
   * final loss (held-out when available) is at most this factor times its
   * baseline, the smaller of its initial loss and the held-out loss of the
   * best constant predictor; else it is recorded as
   * ::RICHETA_SWEEP_RUN_STALLED (e.g. dead ReLU units, or a plateau not
   * escaped within T steps). Default 0.9 since 1.1 (the default of
   * `richeta sweep --stall`); 1.0 defaulted to 0, no test, which counts
   * dead networks as converged. A value other than 0 is part of the
   * sweep's hash, so an explicit 0 reproduces a 1.0 default sweep's hash
   * and its stored runs, and sweeps under the new default are stored apart
   * from them (runs classified under different rules never mix).
   */
  RICHETA_SWEEP_OPT_PROGRESS = 5,
  /**
   * Durability of each stored run (docs/store.md): 0 (default) commits with
   * SQLite `synchronous=NORMAL`: a killed process loses nothing stored, a
   * power loss or OS crash may lose the last runs committed (the database
   * stays consistent and the sweep redoes them when resumed); 1 commits with
   * `synchronous=FULL`: a committed run survives a power loss too, for one
   * more fsync per run.
   * @since 1.1
   */
  RICHETA_SWEEP_OPT_DURABLE = 6,
  /**
   * Shard index K in [0, 99999] (default 0): with ::RICHETA_SWEEP_OPT_SHARD_COUNT
   * N > 1, richeta_sweep_run() runs only shard K of N, a deterministic part
   * of the sweep (a Slurm job array runs one shard per task, each into its
   * own database, then richeta_sweep_merge() combines them). Adaptive sweeps
   * are sharded by gamma column (grid index i goes to shard i mod N: a
   * column's downward eta0 scan stays in one process); dense sweeps by cell
   * (gamma index i, eta0 index j go to shard (i + j) mod N, with every seed
   * of the cell), so that each shard gets as many cells of each eta0 (cheap
   * diverging runs at the top) and of each gamma as the others, within one.
   * K must be < N when the sweep runs. Shards do not change the sweep's
   * hash: their stores merge into the store of the whole sweep.
   * @since 1.1
   */
  RICHETA_SWEEP_OPT_SHARD_INDEX = 7,
  /** Shard count N in [1, 100000] (default 1: the whole sweep). @since 1.1 */
  RICHETA_SWEEP_OPT_SHARD_COUNT = 8,
  /**
   * Journal of the results database, a ::richeta_sweep_journal (default
   * ::RICHETA_SWEEP_JOURNAL_WAL). @since 1.1
   */
  RICHETA_SWEEP_OPT_JOURNAL = 9,
  /**
   * Steps T of each run, a ::richeta_sweep_steps_law (default
   * ::RICHETA_SWEEP_STEPS_FIXED: RICHETA_PARAM_STEPS of the base
   * configuration for every run). Each run's configuration, stored with
   * it, holds its T. A law other than fixed is part of the sweep's hash.
   * @since 1.1
   */
  RICHETA_SWEEP_OPT_STEPS_LAW = 10,
  /**
   * Budget in tau = eta t / gamma for ::RICHETA_SWEEP_STEPS_TAU, > 0
   * (eta: the scheduler's rate at step 0, eta0 times the gamma factor;
   * default 100). @since 1.1
   */
  RICHETA_SWEEP_OPT_TAU_BUDGET = 11,
  /**
   * Largest T a steps law gives, in [1, 1e12] (default 0: 100 times the
   * base configuration's T). @since 1.1
   */
  RICHETA_SWEEP_OPT_STEPS_MAX = 12
} richeta_sweep_option;

/**
 * How T grows with gamma (values of ::RICHETA_SWEEP_OPT_STEPS_LAW), from the
 * base configuration's T0 = RICHETA_PARAM_STEPS and capped at
 * ::RICHETA_SWEEP_OPT_STEPS_MAX. @since 1.1
 */
typedef enum richeta_sweep_steps_law {
  RICHETA_SWEEP_STEPS_FIXED = 0, ///< T = T0 for every run (the 1.0 protocol).
  /**
   * The escape law of the ultra-rich plateau: T = T0 max(1, gamma)^(1 - 2/L)
   * for L > 2, T0 (1 + ln max(1, gamma)) for L = 2, T0 for L = 1.
   */
  RICHETA_SWEEP_STEPS_ESCAPE = 1,
  /**
   * A budget in tau: T = max(T0, ceil(tau_budget gamma / eta)) with eta the
   * scheduler's rate at step 0 (::RICHETA_SWEEP_OPT_TAU_BUDGET).
   */
  RICHETA_SWEEP_STEPS_TAU = 2
} richeta_sweep_steps_law;

/** Journal modes of the results database (values of ::RICHETA_SWEEP_OPT_JOURNAL). */
typedef enum richeta_sweep_journal {
  /**
   * SQLite write-ahead log (the default): readers such as `richeta status`
   * see a running sweep. Needs shared memory between the processes that
   * open the file, so keep the database on a local file system.
   */
  RICHETA_SWEEP_JOURNAL_WAL = 0,
  /**
   * Rollback journal (SQLite `journal_mode=DELETE`) with POSIX locks, no
   * shared memory: the mode for a database on a network file system (NFS),
   * with one writing process per database.
   */
  RICHETA_SWEEP_JOURNAL_DELETE = 1
} richeta_sweep_journal;

/** Status of a stored run. */
typedef enum richeta_sweep_run_status {
  RICHETA_SWEEP_RUN_CONVERGED = 1, ///< All T steps with finite, non-blown-up losses.
  RICHETA_SWEEP_RUN_DIVERGED = 2,  ///< Stopped early by the trainer's divergence test.
  RICHETA_SWEEP_RUN_FAILED = 3,    ///< The run could not be made or run (message stored).
  RICHETA_SWEEP_RUN_STALLED =
      4 ///< Finished but failed the progress test (::RICHETA_SWEEP_OPT_PROGRESS).
} richeta_sweep_run_status;

/** Bits of the flags reported by richeta_sweep_eta_star(). */
typedef enum richeta_eta_star_flag {
  RICHETA_ETA_STAR_MAX_AT_TOP = 1, ///< eta_max is the top of the eta0 grid: a lower bound.
  RICHETA_ETA_STAR_NONE = 2,       ///< No convergent eta0: eta_max and eta_opt are NaN.
  RICHETA_ETA_STAR_OPT_AT_EDGE = 4, ///< Best eta0 has no run neighbour on both sides: not refined.
  /** A convergent eta0 above the lowest divergent one (an island past the edge
   * of stability, such as a catapult that recovered) was left out: eta_max and
   * eta_opt are taken below the lowest eta0 at which a seed diverged. */
  RICHETA_ETA_STAR_ABOVE_DIVERGENT = 8
} richeta_eta_star_flag;

/**
 * Progress callbacks of richeta_sweep_run(), called on the calling thread.
 * Set @c struct_size to `sizeof(richeta_sweep_callbacks)`.
 */
typedef struct richeta_sweep_callbacks {
  size_t struct_size; ///< `sizeof(richeta_sweep_callbacks)` as compiled by the caller.
  /**
   * Called after each run is stored (or found already stored: @p cached = 1),
   * with its cell, ::richeta_sweep_run_status, final training loss, and the
   * number of runs finished so far. Return 0 to go on; any other value stops
   * the sweep after the runs in flight are stored (::RICHETA_ERR_ABORTED).
   * May be NULL.
   */
  int (*on_run)(void *user, double gamma, double eta0, int64_t seed, int status, double final_loss,
                int cached, int64_t finished);
  void *user; ///< Passed unchanged to the hook.
} richeta_sweep_callbacks;

/**
 * @brief Create a sweep over a base configuration.
 *
 * The gamma and eta0 grids start as the single values of @p cfg, the seeds
 * as its RICHETA_PARAM_SEED.
 * @param[out] out Receives the sweep, or NULL on failure.
 * @param[in] cfg Base configuration (copied, with its allocator).
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_sweep_new(richeta_sweep **out, const richeta_config *cfg);

/**
 * @brief Open the runs of a sweep stored in a database, with its base
 *        configuration as stored.
 * @param[out] out Receives the sweep, or NULL on failure.
 * @param[in] db_path Database written by richeta_sweep_run().
 * @param[in] config_hash Hash of the wanted sweep (richeta_sweep_hash()), or
 *            NULL when the database holds exactly one sweep.
 * @param[in] allocator Allocator hooks, or NULL.
 * @retval RICHETA_OK Opened; grids are the gamma and eta0 values seen in the runs.
 *         Options are their defaults, except ::RICHETA_SWEEP_OPT_PROGRESS
 *         (since 1.1): 0 when 0 reproduces the stored hash (a sweep run
 *         without the stall criterion, as 1.0's default was), so running
 *         the handle again extends the stored sweep.
 * @retval RICHETA_ERR_NULL @p out or @p db_path is NULL.
 * @retval RICHETA_ERR_DATABASE The file is not a sweep database (not a regular
 *         file, not SQLite, another application's database, truncated), or
 *         cannot be read.
 * @retval RICHETA_ERR_VERSION The store has a schema version this build does
 *         not know (written by a newer richeta). @since 1.1
 * @retval RICHETA_ERR_CHECKSUM A run of the sweep does not match its checksum
 *         or lost curve points (the file is damaged; `richeta check --db`
 *         lists what). @since 1.1
 * @retval RICHETA_ERR_INVALID No such sweep, or several and @p config_hash is NULL.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_sweep_open(richeta_sweep **out, const char *db_path,
                                              const char *config_hash,
                                              const richeta_allocator *allocator);

/**
 * @brief Free a sweep; NULL is a no-op.
 * @param[in] sweep Sweep or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_sweep_free(richeta_sweep *sweep);

/**
 * @brief Message of the last failed call on @p sweep.
 * @param[in] sweep Sweep, or NULL for richeta_last_error().
 * @return Never NULL; valid until the next call on @p sweep.
 * @since 1.0
 */
RICHETA_API const char *richeta_sweep_last_error(const richeta_sweep *sweep);

/**
 * @brief Set a grid from a log-spaced range.
 *
 * Values are 10^(k / @p per_decade) for the integers k with @p lo <= value
 * <= @p hi (up to a relative 1e-9), so that ranges with the same density
 * share their points; when @p lo is not on that lattice the points are
 * @p lo * 10^(i / @p per_decade) instead.
 * @param[in,out] sweep Sweep.
 * @param[in] axis ::richeta_sweep_axis.
 * @param[in] lo Smallest value, finite and > 0.
 * @param[in] hi Largest value, finite and >= @p lo.
 * @param[in] per_decade Points per decade, finite and > 0.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p sweep is NULL.
 * @retval RICHETA_ERR_INVALID Unknown axis.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @retval RICHETA_ERR_RANGE Non-positive values, @p hi < @p lo, or more than 100000 points.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per sweep.
 */
RICHETA_API richeta_status richeta_sweep_set_grid_range(richeta_sweep *sweep,
                                                        richeta_sweep_axis axis, double lo,
                                                        double hi, double per_decade);

/**
 * @brief Set a grid from a list of values (sorted by the library).
 * @param[in,out] sweep Sweep.
 * @param[in] axis ::richeta_sweep_axis.
 * @param[in] values @p n finite values > 0, no duplicates.
 * @param[in] n Number of values, 1..100000.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p sweep or @p values is NULL.
 * @retval RICHETA_ERR_INVALID Unknown axis, or duplicate values.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @retval RICHETA_ERR_RANGE @p n out of range, or a value <= 0.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per sweep.
 */
RICHETA_API richeta_status richeta_sweep_set_grid_list(richeta_sweep *sweep,
                                                       richeta_sweep_axis axis,
                                                       const double *values, int64_t n);

/**
 * @brief Set a grid from a text specification: `LO:HI:PER_DECADE` (a range,
 *        see richeta_sweep_set_grid_range()) or `V1,V2,...` (a list).
 * @param[in,out] sweep Sweep.
 * @param[in] axis ::richeta_sweep_axis.
 * @param[in] spec Specification, e.g. "1e-4:1e4:2" or "0.01,0.1,1".
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_FORMAT Empty or malformed specification (the message says why).
 * @retval RICHETA_ERR_INVALID Unknown axis, or duplicate values.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @retval RICHETA_ERR_RANGE Non-positive values, reversed range, or too many points.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per sweep.
 */
RICHETA_API richeta_status richeta_sweep_set_grid(richeta_sweep *sweep, richeta_sweep_axis axis,
                                                  const char *spec);

/**
 * @brief Copy a grid, ascending.
 * @param[in] sweep Sweep.
 * @param[in] axis ::richeta_sweep_axis.
 * @param[out] values Buffer of @p cap values (may be NULL when @p cap is 0).
 * @param[in] cap Capacity of @p values.
 * @param[out] count Receives the number of values (may be NULL).
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p sweep is NULL, or @p values is NULL with @p cap > 0.
 * @retval RICHETA_ERR_INVALID Unknown axis.
 * @retval RICHETA_ERR_RANGE @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; nothing copied.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_get_grid(const richeta_sweep *sweep,
                                                  richeta_sweep_axis axis, double *values,
                                                  int64_t cap, int64_t *count);

/**
 * @brief Set the seeds (RICHETA_PARAM_SEED values) run at each cell.
 * @param[in,out] sweep Sweep.
 * @param[in] seeds @p n distinct seeds >= 0.
 * @param[in] n Number of seeds, 1..10000.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p sweep or @p seeds is NULL.
 * @retval RICHETA_ERR_RANGE @p n out of range, or a negative seed.
 * @retval RICHETA_ERR_INVALID Duplicate seeds.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per sweep.
 */
RICHETA_API richeta_status richeta_sweep_set_seeds(richeta_sweep *sweep, const int64_t *seeds,
                                                   int64_t n);

/**
 * @brief Set a numeric option.
 * @param[in,out] sweep Sweep.
 * @param[in] option ::richeta_sweep_option.
 * @param[in] value New value (integers for every option but DECADES_BELOW and PROGRESS).
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p sweep is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown option.
 * @retval RICHETA_ERR_NONFINITE @p value is NaN or infinite.
 * @retval RICHETA_ERR_RANGE Out of bounds, or not an integer where one is needed.
 * @since 1.0 @par Thread safety: one thread per sweep.
 */
RICHETA_API richeta_status richeta_sweep_set_option(richeta_sweep *sweep,
                                                    richeta_sweep_option option, double value);

/**
 * @brief Read a numeric option.
 * @param[in] sweep Sweep.
 * @param[in] option ::richeta_sweep_option.
 * @param[out] value Receives the value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown option.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_get_option(const richeta_sweep *sweep,
                                                    richeta_sweep_option option, double *value);

/**
 * @brief The sweep's configuration hash: 16 lowercase hex digits of a
 *        64-bit FNV-1a hash of the canonical base configuration with gamma,
 *        eta0 and seed left out.
 * @param[in] sweep Sweep.
 * @param[out] buf Buffer of @p cap bytes; 17 are enough.
 * @param[in] cap Capacity of @p buf.
 * @retval RICHETA_OK Written.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < 17.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_hash(const richeta_sweep *sweep, char *buf, size_t cap);

/**
 * @brief Run the sweep, storing each run in @p db_path (created if needed).
 *
 * Runs already stored for this configuration hash are not run again. With
 * ::RICHETA_SWEEP_OPT_SHARD_COUNT N > 1 only shard
 * ::RICHETA_SWEEP_OPT_SHARD_INDEX runs (possibly nothing, when N exceeds
 * the number of gamma columns or cells). When it returns ::RICHETA_OK, the
 * handle holds every stored run of this sweep's hash in @p db_path (read
 * with richeta_sweep_runs()). The plan (grids, seeds, mode, shard) is
 * recorded in the database, and each run is marked when it starts, for
 * progress reports (`richeta status`). Diverged and failed runs are results,
 * not errors. Memory is allocated from the worker threads through the
 * configuration's allocator, which must then be thread-safe.
 * @param[in,out] sweep Sweep.
 * @param[in] db_path SQLite database file.
 * @param[in] callbacks Progress hooks, or NULL.
 * @retval RICHETA_OK Every cell the mode asks for is stored.
 * @retval RICHETA_ERR_NULL @p sweep or @p db_path is NULL.
 * @retval RICHETA_ERR_INVALID @c struct_size of @p callbacks too small.
 * @retval RICHETA_ERR_RANGE The shard index is not below the shard count.
 * @retval RICHETA_ERR_DATABASE The database cannot be opened or written, or
 *         the file is not a sweep database: an existing file that is not
 *         one (another application's SQLite database, a device, a FIFO...)
 *         is refused and left untouched.
 * @retval RICHETA_ERR_VERSION The store has a schema version this build does
 *         not know: it is not written. @since 1.1
 * @retval RICHETA_ERR_CHECKSUM A stored run of this sweep is damaged (see
 *         richeta_sweep_open()): nothing is written. @since 1.1
 * @retval RICHETA_ERR_ABORTED The callback asked to stop (finished runs are stored).
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @retval RICHETA_ERR_INTERNAL Worker threads could not be started.
 * @since 1.0 @par Thread safety: one thread per sweep; changes the BLAS
 *        thread count of the whole process while it runs when
 *        ::RICHETA_SWEEP_OPT_BLAS_SINGLE is 1.
 */
RICHETA_API richeta_status richeta_sweep_run(richeta_sweep *sweep, const char *db_path,
                                             const richeta_sweep_callbacks *callbacks);

/**
 * @brief Load the stored runs of this sweep's configuration hash from a
 *        database, without running anything.
 * @param[in,out] sweep Sweep.
 * @param[in] db_path SQLite database file.
 * @retval RICHETA_OK Loaded (possibly zero runs).
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_DATABASE The database cannot be read, or is not a sweep database.
 * @retval RICHETA_ERR_VERSION Unknown store schema version. @since 1.1
 * @retval RICHETA_ERR_CHECKSUM A stored run is damaged. @since 1.1
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_load(richeta_sweep *sweep, const char *db_path);

/**
 * @brief Copy the loaded runs, ordered by (gamma, eta0, seed).
 *
 * Every output buffer may be NULL; non-NULL ones hold @p cap entries.
 * @param[in] sweep Sweep.
 * @param[out] gamma Gammas.
 * @param[out] eta0 Base rates.
 * @param[out] seed Seeds.
 * @param[out] status ::richeta_sweep_run_status values.
 * @param[out] final_loss Final training-batch losses: of a diverged run, the last
 *             loss computed (NaN, Inf or the blown-up value; the program and the
 *             Python binding show null/NaN instead, docs/output.md).
 * @param[in] cap Capacity of the buffers.
 * @param[out] count Receives the number of runs (may be NULL).
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p sweep is NULL.
 * @retval RICHETA_ERR_RANGE @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; nothing copied.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_runs(const richeta_sweep *sweep, double *gamma,
                                              double *eta0, int64_t *seed, int32_t *status,
                                              double *final_loss, int64_t cap, int64_t *count);

/**
 * @brief eta* per gamma from the loaded runs: eta_max, the largest eta0 at
 *        which every seed converged, and eta_opt, the eta0 of the lowest
 *        seed-mean final loss (held-out loss when every run has one,
 *        training loss otherwise) among convergent eta0, refined by a
 *        parabola in log10 eta0 through the best point and its two grid
 *        neighbours (kept within them).
 *
 * Every output buffer may be NULL; non-NULL ones hold @p cap entries, one
 * per gamma, ascending.
 * @param[in] sweep Sweep.
 * @param[out] gamma Gammas.
 * @param[out] eta_max Largest convergent eta0 (NaN when none).
 * @param[out] eta_opt Refined best eta0 (NaN when none).
 * @param[out] opt_loss Seed-mean loss at the best grid eta0.
 * @param[out] flags OR of ::richeta_eta_star_flag.
 * @param[in] cap Capacity of the buffers.
 * @param[out] count Receives the number of gammas (may be NULL).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p sweep is NULL.
 * @retval RICHETA_ERR_RANGE @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; nothing copied.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_eta_star(richeta_sweep *sweep, double *gamma,
                                                  double *eta_max, double *eta_opt,
                                                  double *opt_loss, int32_t *flags, int64_t cap,
                                                  int64_t *count);

/**
 * @brief Resolution of eta* in decades: the largest gap between
 *        neighbouring eta0 grid points, in log10 units (0 with one point).
 * @param[in] sweep Sweep.
 * @param[out] decades Receives the resolution.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sweep_eta_resolution(const richeta_sweep *sweep,
                                                        double *decades);

/**
 * @brief Merge sweep databases (shards of one sweep, or any stores) into one.
 *
 * Runs are keyed by (configuration hash, gamma, eta0, seed), never by row
 * id. A run already in @p out_db, or met in several inputs, with the same
 * results (every stored column but the wall time and row id, and its whole
 * curve) is kept once; the same key with different results is a conflict:
 * nothing is merged and the message names both files and the run. Sweeps
 * and their plans (grids, seeds, mode, shard) are copied too; progress
 * markers are not. The merge is one transaction: merging the same inputs
 * again changes nothing.
 * @param[in] out_db Database written (created if needed); not one of the inputs.
 * @param[in] in_dbs @p n input databases, opened read-only.
 * @param[in] n Number of inputs, 1..100000.
 * @param[in] journal Journal of @p out_db, a ::richeta_sweep_journal
 *            (::RICHETA_SWEEP_JOURNAL_DELETE when it lies on NFS).
 * @param[out] added Receives the number of runs added (may be NULL).
 * @param[out] identical Receives the number of runs found already present
 *             with the same results (may be NULL).
 * @retval RICHETA_OK Merged.
 * @retval RICHETA_ERR_NULL @p out_db or @p in_dbs (or one of its entries) is NULL.
 * @retval RICHETA_ERR_RANGE @p n out of range.
 * @retval RICHETA_ERR_INVALID @p out_db is also an input, or unknown @p journal.
 * @retval RICHETA_ERR_MISMATCH Conflicting runs, or one hash with two
 *         configurations; richeta_last_error() names both files and the run.
 * @retval RICHETA_ERR_DATABASE A database cannot be opened, read or written
 *         (or is not a sweep database).
 * @retval RICHETA_ERR_VERSION A database has a schema version this build does not know.
 * @retval RICHETA_ERR_CHECKSUM A run of an input does not match its checksum
 *         (a damaged file): nothing is merged. Copied runs get checksums in
 *         @p out_db.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.1 @par Thread safety: safe (errors are reported per thread).
 */
RICHETA_API richeta_status richeta_sweep_merge(const char *out_db, const char *const *in_dbs,
                                               int64_t n, int journal, int64_t *added,
                                               int64_t *identical);

/**
 * @brief Least-squares power law y = 10^intercept * x^slope, fitted as a
 *        straight line through (log10 x, log10 y).
 * @param[in] x @p n finite values > 0, not all equal.
 * @param[in] y @p n finite values > 0.
 * @param[in] n Number of points, >= 2.
 * @param[out] slope Receives the exponent.
 * @param[out] slope_stderr Receives the standard error of the slope; NaN
 *             when n = 2, where two points fix the line (1.0 gave 0); may be
 *             NULL.
 * @param[out] intercept Receives log10 of the prefactor (may be NULL).
 * @retval RICHETA_OK Fitted.
 * @retval RICHETA_ERR_NULL @p x, @p y or @p slope is NULL.
 * @retval RICHETA_ERR_RANGE @p n < 2, a value <= 0, or all x equal.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_fit_powerlaw(const double *x, const double *y, int64_t n,
                                                double *slope, double *slope_stderr,
                                                double *intercept);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_SWEEP_H */
