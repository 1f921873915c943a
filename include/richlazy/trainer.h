/**
 * @file trainer.h
 * @brief A training run: model + optimizer + scheduler + stream from one
 *        configuration, with log-spaced loss logging, divergence detection
 *        and checkpoints.
 *
 * Step t trains on the stream's batch t with rate eta(t). Logged steps are
 * 0, the distinct values of round(10^(k / RICHETA_PARAM_LOG_PER_DECADE))
 * below T, and T itself (T = 1000 with 4 per decade gives 0, 1, 2, 3, 6, 10,
 * 18, 32, 56, 100, 178, 316, 562, 1000). An entry at t < T holds the loss of
 * training batch t before its update, the held-out loss at the same
 * parameters (NaN without a held-out set), the held-out accuracy when C >= 2
 * (richeta_trainer_log_accuracy()) and eta(t); the final entry at T
 * holds the final parameters' loss on the last batch, the final held-out
 * loss and eta(T). A run diverges when a loss is NaN/Inf or
 * exceeds RICHETA_PARAM_BLOWUP times the initial loss: it stops at once and
 * reports ::RICHETA_RUN_DIVERGED (a result, not an error).
 *
 * Checkpoints hold the configuration, parameters, theta0, optimizer state,
 * the step reached and the log, in a versioned, CRC-checked little-endian
 * file written atomically (temporary file, fsync, rename). Resuming gives
 * the same trajectory, bit for bit, as not stopping.
 */
#ifndef RICHLAZY_TRAINER_H
#define RICHLAZY_TRAINER_H

#include <richlazy/sched.h>
#include <richlazy/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup trainer Trainer
 * @brief Runs, logs and checkpoints.
 * @{
 */

/** Opaque trainer handle. */
typedef struct richeta_trainer richeta_trainer;

/** State of a run. */
typedef enum richeta_run_state {
  RICHETA_RUN_RUNNING = 0,  ///< Not finished (fewer than T steps taken).
  RICHETA_RUN_DONE = 1,     ///< All T steps taken with finite losses.
  RICHETA_RUN_DIVERGED = 2  ///< Stopped early: non-finite or blown-up loss.
} richeta_run_state;

/** Progress callbacks. Set @c struct_size to `sizeof(richeta_train_callbacks)`. */
typedef struct richeta_train_callbacks {
  size_t struct_size; ///< `sizeof(richeta_train_callbacks)` as compiled by the caller.
  /**
   * Called at every logged step with the training-batch loss, the
   * held-out loss (NaN without a held-out set) and the rate eta(t).
   * Return 0 to go on; any other value stops the run with ::RICHETA_ERR_ABORTED
   * (the state stays consistent and may be checkpointed). May be NULL.
   * The hook may read the trainer and save it (richeta_trainer_save()). It
   * may also free it: richeta_trainer_free() from inside the hook stops the
   * run, and richeta_trainer_run() frees the trainer as it returns
   * ::RICHETA_ERR_ABORTED (the pointer is dangling from then on). Running or
   * loading the trainer from inside its own hook gives ::RICHETA_ERR_STATE.
   */
  int (*on_log)(void *user, int64_t step, double train_loss, double eval_loss, double eta);
  void *user; ///< Passed unchanged to the hooks.
} richeta_train_callbacks;

/**
 * @brief Create a run: model, optimizer, scheduler and stream from @p cfg.
 * @param[out] out Receives the trainer, or NULL on failure.
 * @param[in] cfg Configuration (copied).
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_INVALID The task is ::RICHETA_TASK_CALLBACK (use
 *         richeta_trainer_new_with_stream()).
 * @retval RICHETA_ERR_IO A data file cannot be read (task file).
 * @retval RICHETA_ERR_FORMAT A data file is malformed (task file).
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @retval RICHETA_ERR_MISMATCH The stream and model shapes differ.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_new(richeta_trainer **out, const richeta_config *cfg);

/**
 * @brief Create a run that takes its batches from a caller-made stream.
 * @param[out] out Receives the trainer, or NULL on failure.
 * @param[in] cfg Configuration (copied).
 * @param[in] stream Stream, borrowed: it must outlive the trainer.
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_MISMATCH The stream's D or C differ from the model's.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_new_with_stream(richeta_trainer **out,
                                                           const richeta_config *cfg,
                                                           richeta_stream *stream);

/**
 * @brief Free a trainer and the handles it created; NULL is a no-op.
 *
 * From inside the trainer's own on_log hook the free is deferred until
 * richeta_trainer_run() returns (see richeta_train_callbacks::on_log).
 * @param[in] trainer Trainer or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_trainer_free(richeta_trainer *trainer);

/**
 * @brief Message of the last failed call on @p trainer.
 * @param[in] trainer Trainer, or NULL for richeta_last_error().
 * @return Never NULL.
 * @since 1.0
 */
RICHETA_API const char *richeta_trainer_last_error(const richeta_trainer *trainer);

/**
 * @brief Run up to @p max_steps more steps, stopping at T or on divergence.
 * @param[in,out] trainer Trainer.
 * @param[in] max_steps Steps to take at most (>= 0; the run never goes past T).
 * @param[in] callbacks Progress hooks, or NULL.
 * @retval RICHETA_OK Ran (check richeta_trainer_state() for divergence).
 * @retval RICHETA_ERR_NULL @p trainer is NULL.
 * @retval RICHETA_ERR_RANGE @p max_steps < 0.
 * @retval RICHETA_ERR_INVALID @c struct_size of @p callbacks too small.
 * @retval RICHETA_ERR_ABORTED A callback asked to stop, or freed the trainer
 *         (which is then freed by this call).
 * @retval RICHETA_ERR_STATE Called from inside this trainer's own on_log hook.
 * @retval RICHETA_ERR_CALLBACK The stream's host callback failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_run(richeta_trainer *trainer, int64_t max_steps,
                                               const richeta_train_callbacks *callbacks);

/**
 * @brief Number of steps taken so far (the next step's index).
 * @param[in] trainer Trainer.
 * @param[out] step Receives the count.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_step(const richeta_trainer *trainer, int64_t *step);

/**
 * @brief State of the run.
 * @param[in] trainer Trainer.
 * @param[out] state Receives a ::richeta_run_state value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_state(const richeta_trainer *trainer, int *state);

/**
 * @brief Copy the log: logged steps, training-batch losses, held-out losses
 *        (NaN when absent) and rates.
 * @param[in] trainer Trainer.
 * @param[out] steps Buffer of @p cap steps (may be NULL when @p cap is 0).
 * @param[out] train_loss Buffer of @p cap losses (may be NULL).
 * @param[out] eval_loss Buffer of @p cap losses (may be NULL).
 * @param[out] eta Buffer of @p cap rates (may be NULL).
 * @param[in] cap Capacity of each non-NULL buffer.
 * @param[out] count Receives the number of logged points (may be NULL).
 *
 * With every buffer NULL the call is a size query: it sets @p count and
 * returns ::RICHETA_OK whatever @p cap.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p trainer is NULL.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; nothing copied.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_log(const richeta_trainer *trainer, int64_t *steps,
                                               double *train_loss, double *eval_loss,
                                               double *eta, int64_t cap, int64_t *count);

/**
 * @brief Copy the held-out accuracy of every logged point.
 *
 * Entry i belongs to the i-th logged step of richeta_trainer_log() and is
 * the fraction of held-out samples whose largest output is at the index
 * of their largest target (the class, for one-hot targets), measured at
 * the same parameters as the held-out loss. It is NaN where accuracy is
 * not defined: C < 2, no held-out set (eval size 0, callback streams), and
 * points restored from a checkpoint written before accuracies were stored.
 * Inside a richeta_train_callbacks::on_log hook the last entry belongs to
 * the point being reported.
 * @param[in] trainer Trainer.
 * @param[out] accuracy Buffer of @p cap values in [0, 1] or NaN; NULL makes
 *             the call a size query.
 * @param[in] cap Capacity of @p accuracy (>= 0).
 * @param[out] count Receives the number of logged points (may be NULL).
 * @retval RICHETA_OK Copied (or size query answered).
 * @retval RICHETA_ERR_NULL @p trainer is NULL.
 * @retval RICHETA_ERR_RANGE @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; nothing copied.
 * @since 1.0 @par Thread safety: read-only; not concurrently with
 *        richeta_trainer_run() on the same trainer.
 */
RICHETA_API richeta_status richeta_trainer_log_accuracy(const richeta_trainer *trainer,
                                                        double *accuracy, int64_t cap,
                                                        int64_t *count);

/**
 * @brief The trainer's model (borrowed; valid while the trainer lives).
 * @param[in] trainer Trainer.
 * @return The model, or NULL when @p trainer is NULL.
 * @since 1.0
 */
RICHETA_API richeta_model *richeta_trainer_model(richeta_trainer *trainer);

/**
 * @brief The trainer's optimizer (borrowed).
 * @param[in] trainer Trainer.
 * @return The optimizer, or NULL when @p trainer is NULL.
 * @since 1.0
 */
RICHETA_API richeta_optim *richeta_trainer_optim(richeta_trainer *trainer);

/**
 * @brief The trainer's stream (borrowed).
 * @param[in] trainer Trainer.
 * @return The stream, or NULL when @p trainer is NULL.
 * @since 1.0
 */
RICHETA_API richeta_stream *richeta_trainer_stream(richeta_trainer *trainer);

/**
 * @brief Write a checkpoint atomically.
 *
 * The file is written next to @p path under a temporary name, synced and
 * renamed over it, so a crash leaves the old or the new checkpoint. A
 * @p path that is a symbolic link is written through: its final target is
 * replaced and the link stays. A @p path that is (or links to) anything
 * but a regular file, such as a device, a FIFO or a directory, is refused
 * with ::RICHETA_ERR_IO and left as it is. Temporary files of writers that
 * were killed (`PATH.tmp.XXXXXX`, at least 10 s old and not locked by a
 * live writer) are removed after a successful save. The BLAS thread count
 * of the process is recorded (see richeta_trainer_saved_blas_threads()).
 * @param[in] trainer Trainer.
 * @param[in] path Destination file; replaced only when the new file is complete.
 * @retval RICHETA_OK Written and synced.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_IO Writing failed, or @p path is not a regular file;
 *         the previous file is intact.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_save(const richeta_trainer *trainer,
                                                const char *path);

/**
 * @brief Restore a checkpoint into a trainer made from the same configuration.
 * @param[in,out] trainer Trainer (unchanged on failure).
 * @param[in] path Checkpoint file.
 * @retval RICHETA_OK Restored.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_IO The file cannot be read.
 * @retval RICHETA_ERR_FORMAT Bad magic, truncated or inconsistent file.
 * @retval RICHETA_ERR_VERSION Unknown format version.
 * @retval RICHETA_ERR_CHECKSUM The contents do not match their CRC.
 * @retval RICHETA_ERR_MISMATCH Saved with a different configuration (the
 *         canonical spec strings must be identical, T included).
 * @retval RICHETA_ERR_STATE Called from inside this trainer's own on_log hook.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_load(richeta_trainer *trainer, const char *path);

/**
 * @brief Create a trainer from a checkpoint alone (its configuration is stored in it).
 * @param[out] out Receives the trainer, or NULL on failure.
 * @param[in] path Checkpoint file.
 * @param[in] allocator Allocator hooks, or NULL.
 * @retval RICHETA_OK Resumed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_IO The file cannot be read.
 * @retval RICHETA_ERR_FORMAT Bad magic, truncated or inconsistent file.
 * @retval RICHETA_ERR_VERSION Unknown format version.
 * @retval RICHETA_ERR_CHECKSUM The contents do not match their CRC.
 * @retval RICHETA_ERR_INVALID The run used a callback stream, which cannot be
 *         recreated (load into a trainer made with
 *         richeta_trainer_new_with_stream() instead).
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_trainer_resume(richeta_trainer **out, const char *path,
                                                  const richeta_allocator *allocator);

/**
 * @brief BLAS thread count recorded in the checkpoint this trainer was last
 *        restored from.
 *
 * A run is bit-reproducible for a given seed and BLAS thread count: resume
 * with the count the checkpoint was written with (richeta_blas_set_threads())
 * to continue it bit for bit. The command line program does so for a bare
 * `--resume` and warns when `--threads` differs.
 * @param[in] trainer Trainer.
 * @param[out] threads Receives the count, or 0 when the trainer was not
 *             restored or the checkpoint predates the record (richeta 1.0).
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.1 @par Thread safety: reads the trainer only.
 */
RICHETA_API richeta_status richeta_trainer_saved_blas_threads(const richeta_trainer *trainer,
                                                              int *threads);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_TRAINER_H */
