/**
 * @file stream.h
 * @brief Data streams: synthetic teachers, data files and host callbacks.
 *
 * A stream yields the training batch of any step t directly: batches are a
 * pure function of (data seed, t), drawn from a counter-based generator, so
 * a run gives the same batches however it is split, resumed or scheduled.
 * A stream also yields a fixed held-out set (RICHETA_PARAM_EVAL_SIZE samples,
 * independent of every training batch) for clean loss curves.
 *
 * Synthetic tasks draw x ~ N(0, I_D). The linear teacher is
 * y = W* x / sqrt(D) with W* ~ N(0,1) (C x D); the MLP teacher is a
 * mean-field-free random MLP y = W_k phi(... phi(W_1 x / sqrt(D)) / sqrt(M) ...) / sqrt(M)
 * of width M = teacher_N, depth teacher_L and activation teacher_act.
 * Label noise adds N(0, noise^2) to every target.
 *
 * Function tasks (one output, C = 1; k = RICHETA_PARAM_TASK_INDICES,
 * p = RICHETA_PARAM_TASK_DEGREE; k <= D). He_p is the probabilists'
 * Hermite polynomial (He_0 = 1, He_1 = z, He_{n+1} = z He_n - n He_{n-1}),
 * so E[He_p(z)^2] = p! for z ~ N(0,1) and every target below has unit
 * variance under its default inputs.
 * - single_index: y = He_p(w.x / |w|) / sqrt(p!), w ~ N(0, I_D) drawn once
 *   from the data seed (k is ignored).
 * - multi_index: y = sum_{j=1..k} He_p(u_j.x) / sqrt(p! k), where u_1..u_k
 *   are orthonormal: Gram-Schmidt of k vectors drawn once from the data
 *   seed (u_1 = w / |w|). The terms are uncorrelated for Gaussian x.
 * - staircase: y = (x_1 + x_1 x_2 + ... + x_1 x_2 ... x_S) / sqrt(S) with
 *   S = k: the first S input coordinates; inputs are signs by default.
 * - parity: y = x_1 x_2 ... x_k, the first k coordinates (by symmetry of
 *   the initialisation as hard as any fixed k-subset); inputs are signs
 *   by default, so y is +1 or -1.
 *
 * RICHETA_PARAM_TASK_INPUTS chooses the inputs of every synthetic task:
 * `auto` (signs for staircase and parity, Gaussian otherwise), `gauss`
 * (x ~ N(0, I_D)) or `sign` (x_i = sign of the Gaussian draw, uniform on
 * {-1,+1}). Targets are computed in double precision; single-precision
 * batches are the double batches rounded once.
 *
 * File streams (task=file) open the data set named by RICHETA_PARAM_DATA_PATH
 * (spec forms in data.h): its input dimension and targets must be D and C,
 * and when image_channels, image_height and image_width are set, its
 * samples as presented must be C x H x W (or H x W with one channel:
 * channels-last files need `?layout=hwc`). Inputs are standardized with
 * statistics of the training split as RICHETA_PARAM_DATA_NORM says
 * (default global: one mean and std; a streamed `npzdir` uses its first
 * part). The held-out set is the first eval_n samples, in file order, of
 * the split named by the spec: `fashion-mnist:test` for `fashion-mnist`,
 * the file of a `test=` option otherwise (none without one), standardized
 * with the training split's statistics and given the training split's
 * number of classes. Batch t holds samples t*B .. t*B+B-1 of consecutive
 * epochs (random permutations of the data set, or the file order of an
 * `npzdir`); see richeta_stream_epoch() for the reuse count.
 */
#ifndef RICHLAZY_STREAM_H
#define RICHLAZY_STREAM_H

#include <richlazy/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup stream Streams
 * @brief Where batches come from.
 * @{
 */

/** Opaque stream handle. */
typedef struct richeta_stream richeta_stream;

/**
 * @brief Callback table through which a host framework fills batches.
 *
 * Set @c struct_size to `sizeof(richeta_stream_callbacks)`.
 */
typedef struct richeta_stream_callbacks {
  size_t struct_size; ///< `sizeof(richeta_stream_callbacks)` as compiled by the caller.
  /**
   * Fill training batch @p step: @p x is batch x input_dim and @p y is
   * batch x output_dim, row-major doubles. Return 0 on success; any other
   * value stops the call with ::RICHETA_ERR_CALLBACK.
   */
  int (*fill)(void *user, int64_t step, int64_t batch, int64_t input_dim, int64_t output_dim,
              double *x, double *y);
  void *user; ///< Passed unchanged to @c fill.
} richeta_stream_callbacks;

/**
 * @brief Create the stream described by RICHETA_PARAM_TASK (linear or MLP
 *        teacher, or a file data set named by RICHETA_PARAM_DATA_PATH).
 * @param[out] out Receives the stream, or NULL on failure.
 * @param[in] cfg Configuration (D, C, B, task, teacher, noise, data seed).
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_INVALID The task is ::RICHETA_TASK_CALLBACK (use
 *         richeta_stream_new_callback()).
 * @retval RICHETA_ERR_MISMATCH A data file does not fit D or C, or a
 *         function task (single_index, multi_index, staircase, parity) is
 *         asked for C != 1.
 * @retval RICHETA_ERR_RANGE A function task has k > D, or a label of the
 *         data file (or of its held-out split) is not below C (the message
 *         names the file, the sample and C).
 * @retval RICHETA_ERR_IO A data file cannot be read.
 * @retval RICHETA_ERR_FORMAT A data file is malformed.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_stream_new(richeta_stream **out, const richeta_config *cfg);

/**
 * @brief Create a stream whose batches come from a host callback.
 * @param[out] out Receives the stream, or NULL on failure.
 * @param[in] cfg Configuration (D, C, B).
 * @param[in] callbacks Callback table (copied; @c user must stay valid
 *            while the stream lives).
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument or the fill hook is NULL.
 * @retval RICHETA_ERR_INVALID @c struct_size too small.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_stream_new_callback(richeta_stream **out,
                                                       const richeta_config *cfg,
                                                       const richeta_stream_callbacks *callbacks);

/**
 * @brief Free a stream; NULL is a no-op.
 * @param[in] stream Stream or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_stream_free(richeta_stream *stream);

/**
 * @brief Message of the last failed call on @p stream.
 * @param[in] stream Stream, or NULL for richeta_last_error().
 * @return Never NULL.
 * @since 1.0
 */
RICHETA_API const char *richeta_stream_last_error(const richeta_stream *stream);

/**
 * @brief Integer property of the stream: ::RICHETA_PARAM_INPUT_DIM,
 *        ::RICHETA_PARAM_OUTPUT_DIM, ::RICHETA_PARAM_BATCH,
 *        ::RICHETA_PARAM_TASK or ::RICHETA_PARAM_EVAL_SIZE.
 * @param[in] stream Stream.
 * @param[in] param Key.
 * @param[out] value Receives the value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Not a stream property.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_stream_get_int(const richeta_stream *stream,
                                                  richeta_param param, int64_t *value);

/**
 * @brief Training batch of step @p step (B x D inputs, B x C targets).
 * @param[in,out] stream Stream (callback streams call their hook).
 * @param[in] step Step t >= 0.
 * @param[out] x Buffer of B*D doubles.
 * @param[out] y Buffer of B*C doubles.
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0.
 * @retval RICHETA_ERR_CALLBACK The host callback failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_stream_batch_f64(richeta_stream *stream, int64_t step,
                                                    double *x, double *y);

/**
 * @brief Single-precision twin of richeta_stream_batch_f64().
 * @param[in,out] stream Stream.
 * @param[in] step Step t >= 0.
 * @param[out] x Buffer of B*D floats.
 * @param[out] y Buffer of B*C floats.
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0.
 * @retval RICHETA_ERR_CALLBACK The host callback failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_stream_batch_f32(richeta_stream *stream, int64_t step,
                                                    float *x, float *y);

/**
 * @brief Samples [first, first+count) of the held-out set.
 * @param[in,out] stream Stream.
 * @param[in] first First sample index >= 0.
 * @param[in] count Number of samples; first + count <= eval size.
 * @param[out] x Buffer of count*D doubles.
 * @param[out] y Buffer of count*C doubles.
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE Outside the held-out set.
 * @retval RICHETA_ERR_UNSUPPORTED Callback streams have no held-out set.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_stream_eval_f64(richeta_stream *stream, int64_t first,
                                                   int64_t count, double *x, double *y);

/**
 * @brief Epoch of the last sample of training batch @p step: how many
 *        times the stream has gone through its finite data set before it.
 *
 * File streams draw batch t from samples t*B .. t*B+B-1 of consecutive
 * epochs (each a fresh permutation of the data set, or the file order of
 * an `npzdir` directory: epoch e is its (e+1)-th pass), so a result > 0 means
 * the run is reusing samples and is no longer online. Synthetic streams
 * draw fresh samples at every step and callback streams cannot tell: both
 * give 0.
 * @param[in] stream Stream.
 * @param[in] step Step t >= 0.
 * @param[out] epoch Receives the epoch (0 = first pass).
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0.
 * @retval RICHETA_ERR_OVERFLOW (t + 1) * B overflows.
 * @since 1.0 @par Thread safety: safe with other read-only calls; writes
 *        the stream's message on failure.
 */
RICHETA_API richeta_status richeta_stream_epoch(const richeta_stream *stream, int64_t step,
                                                int64_t *epoch);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_STREAM_H */
