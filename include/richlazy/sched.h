/**
 * @file sched.h
 * @brief The gamma-aware learning-rate scheduler (DESIGN 1.2).
 *
 *     eta(t) = eta0 * g(gamma) * s(t)
 *
 * g is the gamma rule (::richeta_gamma_rule): 1; the theory
 * g = gamma^2 for gamma <= 1 and gamma^(2/L) for gamma >= 1; or a custom
 * (calibrated) g = prefactor * (gamma / crossover)^a with a = lazy_exp
 * below the crossover and rich_exp above it. s(t) is a linear warm-up over
 * the first `warmup` steps (s = (t+1)/warmup) times the time schedule
 * (::richeta_schedule). The optimizer applies the width multiplier on top.
 */
#ifndef RICHLAZY_SCHED_H
#define RICHLAZY_SCHED_H

#include <richlazy/optim.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup sched Scheduler
 * @brief Learning rate as a function of gamma and of the step.
 * @{
 */

/** Opaque scheduler handle. Immutable after creation: may be shared read-only. */
typedef struct richeta_sched richeta_sched;

/**
 * @brief Create a scheduler from a configuration (eta0, gamma, L, rule, schedule).
 * @param[out] out Receives the scheduler, or NULL on failure.
 * @param[in] cfg Configuration.
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sched_new(richeta_sched **out, const richeta_config *cfg);

/**
 * @brief Free a scheduler; NULL is a no-op.
 * @param[in] sched Scheduler or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_sched_free(richeta_sched *sched);

/**
 * @brief Message of the last failed call on @p sched.
 * @param[in] sched Scheduler, or NULL for richeta_last_error().
 * @return Never NULL.
 * @since 1.0
 */
RICHETA_API const char *richeta_sched_last_error(const richeta_sched *sched);

/**
 * @brief eta(t) = eta0 * g(gamma) * s(t).
 * @param[in] sched Scheduler.
 * @param[in] step Step t >= 0.
 * @param[out] eta Receives the rate.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sched_eta(const richeta_sched *sched, int64_t step,
                                             double *eta);

/**
 * @brief The raw gamma factor g(gamma) of this scheduler.
 * @param[in] sched Scheduler.
 * @param[out] factor Receives g.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sched_gamma_factor(const richeta_sched *sched,
                                                      double *factor);

/**
 * @brief The time factor s(t) (warm-up times schedule).
 * @param[in] sched Scheduler.
 * @param[in] step Step t >= 0.
 * @param[out] factor Receives s(t).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sched_time_factor(const richeta_sched *sched, int64_t step,
                                                     double *factor);

/**
 * @brief Set @p optim's rate to eta(step).
 * @param[in] sched Scheduler.
 * @param[in,out] optim Optimizer.
 * @param[in] step Step t >= 0.
 * @retval RICHETA_OK Applied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0, or the rate is not > 0.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_sched_apply(const richeta_sched *sched, richeta_optim *optim,
                                               int64_t step);

/**
 * @brief The theoretical gamma factor: gamma^2 (gamma <= 1), gamma^(2/L) (gamma >= 1).
 * @param[in] gamma Finite gamma > 0.
 * @param[in] depth L >= 1.
 * @param[out] factor Receives g(gamma).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p factor is NULL.
 * @retval RICHETA_ERR_NONFINITE @p gamma is NaN or infinite.
 * @retval RICHETA_ERR_RANGE @p gamma <= 0 or @p depth < 1.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_gamma_rule_theory(double gamma, int64_t depth,
                                                     double *factor);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_SCHED_H */
