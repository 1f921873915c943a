/**
 * @file optim.h
 * @brief Plain SGD with the width multiplier of the parameterization,
 *        optional heavy-ball momentum and L2 weight decay.
 *
 * One step with rate eta updates every parameter p by
 *
 *     v <- momentum * v + (grad_p + wd * p)
 *     p <- p - eta * width_mult * v
 *
 * where width_mult is the readout fan-in (N, or D when L = 1) for mean-field
 * and 1 for NTK and SP. eta starts at RICHETA_PARAM_ETA0 and is changed by
 * richeta_optim_set_eta() (which a scheduler or trainer calls every step).
 * A step allocates nothing.
 *
 * Precision: f64 parameters are updated in double. For f32 parameters,
 * plain SGD (no momentum, no weight decay) is one BLAS axpy with the rate
 * eta * width_mult rounded to float (run on the BLAS threads; one rounding
 * where the CPU has FMA); the other rules use double intermediates and round
 * once. A rate outside the normal float range takes the double route too.
 */
#ifndef RICHLAZY_OPTIM_H
#define RICHLAZY_OPTIM_H

#include <richlazy/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup optim Optimizer
 * @brief SGD bound to one model.
 * @{
 */

/** Opaque optimizer handle, bound to one model for its lifetime. */
typedef struct richeta_optim richeta_optim;

/**
 * @brief Create an SGD optimizer for @p model.
 * @param[out] out Receives the optimizer, or NULL on failure.
 * @param[in] model Model to update; borrowed: it must outlive the optimizer.
 * @param[in] cfg Configuration (eta0, momentum, weight decay, allocator).
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_new(richeta_optim **out, richeta_model *model,
                                             const richeta_config *cfg);

/**
 * @brief Free an optimizer (not its model); NULL is a no-op.
 * @param[in] optim Optimizer or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_optim_free(richeta_optim *optim);

/**
 * @brief Message of the last failed call on @p optim.
 * @param[in] optim Optimizer, or NULL for richeta_last_error().
 * @return Never NULL; valid until the next call on @p optim.
 * @since 1.0
 */
RICHETA_API const char *richeta_optim_last_error(const richeta_optim *optim);

/**
 * @brief Set the rate eta used by the next steps (before the width multiplier).
 * @param[in,out] optim Optimizer.
 * @param[in] eta Finite rate > 0.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p optim is NULL.
 * @retval RICHETA_ERR_NONFINITE @p eta is NaN or infinite.
 * @retval RICHETA_ERR_RANGE @p eta <= 0.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_set_eta(richeta_optim *optim, double eta);

/**
 * @brief Current rate eta (before the width multiplier).
 * @param[in] optim Optimizer.
 * @param[out] eta Receives the rate.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_get_eta(const richeta_optim *optim, double *eta);

/**
 * @brief The width multiplier applied to eta (N or D for mean-field, 1 otherwise).
 * @param[in] optim Optimizer.
 * @param[out] mult Receives the multiplier.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_width_multiplier(const richeta_optim *optim,
                                                          double *mult);

/**
 * @brief Number of steps taken since creation or the last reset.
 * @param[in] optim Optimizer.
 * @param[out] steps Receives the count.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_steps(const richeta_optim *optim, int64_t *steps);

/**
 * @brief Zero the momentum buffer and the step count.
 * @param[in,out] optim Optimizer.
 * @retval RICHETA_OK Reset.
 * @retval RICHETA_ERR_NULL @p optim is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_reset(richeta_optim *optim);

/**
 * @brief One SGD step on a caller batch (embedding use).
 * @param[in,out] optim Optimizer.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the batch loss before the update (may be NULL).
 * @retval RICHETA_OK Stepped.
 * @retval RICHETA_ERR_NULL A required pointer is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_DIVERGED The loss or gradient was not finite; the
 *         parameters were left unchanged.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_step_f64(richeta_optim *optim, const double *x,
                                                  const double *y, int64_t batch, double *loss);

/**
 * @brief Single-precision twin of richeta_optim_step_f64().
 * @param[in,out] optim Optimizer.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the batch loss before the update (may be NULL).
 * @retval RICHETA_OK Stepped.
 * @retval RICHETA_ERR_NULL A required pointer is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_DIVERGED Non-finite loss or gradient; parameters unchanged.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_optim_step_f32(richeta_optim *optim, const float *x,
                                                  const float *y, int64_t batch, double *loss);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_OPTIM_H */
