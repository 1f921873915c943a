/**
 * @file timewarp.h
 * @brief Curve sets: plateau, escape and staircase detection on loss
 *        trajectories, and their alignment across gamma by a
 *        reparameterization of time.
 *
 * In the ultra-rich regime (gamma >> 1) a loss curve starts with a long
 * plateau, drops, and sometimes descends in further staircase steps. Curves
 * at different gamma follow the same path up to a rescaling of time, in
 * theory tau = eta t / gamma. A ::richeta_curveset holds such trajectories
 * and answers: where is the plateau, when does the curve escape it, where
 * are the drops, which per-curve time scale aligns the curves, how do those
 * scales grow with gamma, and how much better do the curves collapse after
 * a rescaling. The methods are defined precisely in the guide page
 * `docs/timewarp.md`.
 *
 * Conventions used throughout:
 * - "log time" is x = log10(t); steps t = 0 are kept but ignored by every
 *   operation that works in log time.
 * - "log-loss" is the natural logarithm ln(loss); losses must be > 0.
 * - A time mapping (::richeta_tw_time) turns the step t of curve i into
 *   tau = c_i t; c_i is the curve's *time factor* and S_i = 1 / c_i its
 *   *time scale*.
 */
#ifndef RICHLAZY_TIMEWARP_H
#define RICHLAZY_TIMEWARP_H

#include <richlazy/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup timewarp Time reparameterization
 * @brief Align loss trajectories across gamma; detect plateaus, escapes and
 *        staircases; measure collapse.
 *
 * Thread safety: a curve set may be used by one thread at a time (every
 * call, including queries, writes the handle's error message). Distinct
 * curve sets are independent.
 * @{
 */

/** Opaque set of loss trajectories. */
typedef struct richeta_curveset richeta_curveset;

/**
 * Tunable options of a curve set, set with richeta_curveset_set_option().
 * All values are doubles; bounds and defaults are given by
 * richeta_curveset_option_info(). Values are stable and append-only.
 */
typedef enum richeta_tw_option {
  /** Standard deviation sigma of the Gaussian smoothing kernel, in decades
   *  of log10(t); 0 disables smoothing. Range [0, 2], default 0.03. */
  RICHETA_TW_OPT_SMOOTH_DECADES = 1,
  /** Smallest drop of the smoothed log-loss (natural log) that counts as a
   *  staircase step. Range (0, 100], default 0.3 (a 26% fall). */
  RICHETA_TW_OPT_MIN_DROP = 2,
  /** Shortest plateau, in decades, that separates two drops; drops closer
   *  than this are merged into one. Range [0, 10], default 0.1. */
  RICHETA_TW_OPT_MIN_PLATEAU_DECADES = 3,
  /** Slope threshold: the smoothed log-loss is "dropping" where it falls
   *  faster than this many natural-log units per decade of t.
   *  Range (0, 1000], default 1. */
  RICHETA_TW_OPT_DROP_SLOPE = 4,
  /** Length, in decades from the first logged step, of the window in which
   *  the plateau level is measured (cut at the first drop).
   *  Range (0, 10], default 1. */
  RICHETA_TW_OPT_PLATEAU_WINDOW = 5,
  /** Number of points of the common log-time grid used by
   *  richeta_curveset_spread() and richeta_curveset_collapse_quality().
   *  Integer in [8, 1000000], default 256. */
  RICHETA_TW_OPT_GRID_POINTS = 6,
  /** Smallest overlap allowed by richeta_curveset_align_empirical(), as a
   *  fraction of the shorter of the two log-time spans. Range [0.05, 1],
   *  default 0.5. */
  RICHETA_TW_OPT_MIN_OVERLAP = 7
} richeta_tw_option;

/** Time mapping tau = c_i t applied to curve i. Values are stable. */
typedef enum richeta_tw_time {
  RICHETA_TW_RAW = 0,      ///< tau = t (c_i = 1).
  RICHETA_TW_THEORY = 1,   ///< tau = eta_i t / gamma_i, eta_i the effective rate.
  RICHETA_TW_POWER = 2,    ///< tau = t eta_i^a gamma_i^b (richeta_curveset_set_power()).
  RICHETA_TW_EMPIRICAL = 3 ///< tau = t / s_i, s_i from richeta_curveset_align_empirical().
} richeta_tw_time;

/**
 * @brief Create an empty curve set.
 * @param[out] out Receives the handle; set to NULL on failure.
 * @param[in] alloc Allocator hooks copied into the handle, or NULL for the
 *            system allocator.
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL @p out is NULL.
 * @retval RICHETA_ERR_INVALID @p alloc is too small or has NULL hooks.
 * @retval RICHETA_ERR_NOMEM Out of memory.
 * @note Errors are reported through richeta_last_error().
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_curveset_new(richeta_curveset **out,
                                                const richeta_allocator *alloc);

/**
 * @brief Release a curve set and every curve it holds.
 * @param[in] cs Handle, or NULL (no-op).
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API void richeta_curveset_free(richeta_curveset *cs);

/**
 * @brief Message of the last failed call on @p cs.
 * @param[in] cs Handle, or NULL for richeta_last_error().
 * @return Never NULL; owned by the handle, valid until its next call.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API const char *richeta_curveset_last_error(const richeta_curveset *cs);

/**
 * @brief Bounds and default of an option.
 * @param[in] opt Option key.
 * @param[out] lo Smallest allowed value, or NULL.
 * @param[out] hi Largest allowed value, or NULL.
 * @param[out] def Default value, or NULL.
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p opt (message in richeta_last_error()).
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_curveset_option_info(richeta_tw_option opt, double *lo,
                                                        double *hi, double *def);

/**
 * @brief Set an option. Options stay set until changed; they affect every
 *        later detection, alignment and collapse call.
 * @param[in,out] cs Handle.
 * @param[in] opt Option key.
 * @param[in] value New value, within the bounds of richeta_curveset_option_info().
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p cs is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p opt.
 * @retval RICHETA_ERR_NONFINITE @p value is NaN or infinite.
 * @retval RICHETA_ERR_RANGE @p value out of bounds, or not an integer for
 *         ::RICHETA_TW_OPT_GRID_POINTS.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_set_option(richeta_curveset *cs, richeta_tw_option opt,
                                                       double value);

/**
 * @brief Read an option.
 * @param[in] cs Handle.
 * @param[in] opt Option key.
 * @param[out] value Current value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL @p cs or @p value is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p opt.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_get_option(const richeta_curveset *cs,
                                                       richeta_tw_option opt, double *value);

/**
 * @brief Add one loss trajectory (the arrays are copied).
 *
 * Adding a curve clears the empirical scales of an earlier
 * richeta_curveset_align_empirical().
 * @param[in,out] cs Handle.
 * @param[in] steps @p n steps: finite, >= 0, strictly increasing. Step 0 is
 *            allowed but ignored in log time; at least two steps must be > 0.
 * @param[in] loss @p n losses: finite and > 0.
 * @param[in] n Number of points, >= 2.
 * @param[in] gamma Feature-learning strength, finite and > 0.
 * @param[in] eta0 Base learning rate, finite and >= 0 (0 = not recorded).
 * @param[in] eta Effective learning rate used by ::RICHETA_TW_THEORY and
 *            ::RICHETA_TW_POWER, finite and > 0.
 * @param[in] depth Network depth L, >= 0 (0 = not recorded).
 * @param[in] label Free text (copied), or NULL for "".
 * @param[out] index_out Receives the curve's index (0, 1, ...), or NULL.
 * @retval RICHETA_OK Added.
 * @retval RICHETA_ERR_NULL @p cs, @p steps or @p loss is NULL.
 * @retval RICHETA_ERR_RANGE @p n < 2, fewer than two steps > 0, a negative
 *         step, a loss <= 0, gamma or eta <= 0, eta0 or depth < 0.
 * @retval RICHETA_ERR_NONFINITE A NaN or infinite step, loss, gamma, eta0 or eta.
 * @retval RICHETA_ERR_INVALID Steps not strictly increasing.
 * @retval RICHETA_ERR_OVERFLOW @p n too large to allocate.
 * @retval RICHETA_ERR_NOMEM Out of memory.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_add(richeta_curveset *cs, const double *steps,
                                                const double *loss, int64_t n, double gamma,
                                                double eta0, double eta, int64_t depth,
                                                const char *label, int64_t *index_out);

/**
 * @brief Number of curves.
 * @param[in] cs Handle.
 * @param[out] count Receives the number of curves.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL @p cs or @p count is NULL.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_count(const richeta_curveset *cs, int64_t *count);

/**
 * @brief Metadata of one curve. Every out-parameter may be NULL.
 * @param[in] cs Handle.
 * @param[in] idx Curve index, 0 <= idx < count.
 * @param[out] gamma Receives gamma.
 * @param[out] eta0 Receives eta0.
 * @param[out] eta Receives the effective eta.
 * @param[out] depth Receives the depth.
 * @param[out] points Receives the number of points.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL @p cs is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_info(const richeta_curveset *cs, int64_t idx,
                                                 double *gamma, double *eta0, double *eta,
                                                 int64_t *depth, int64_t *points);

/**
 * @brief Copy a curve's label.
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[out] buf Receives the NUL-terminated label; may be NULL when @p cap is 0.
 * @param[in] cap Capacity of @p buf in bytes.
 * @param[out] needed Receives strlen(label) + 1, or NULL.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p cs is NULL, or @p buf is NULL with @p cap > 0.
 * @retval RICHETA_ERR_RANGE @p idx out of range.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < needed (@p needed is set,
 *         nothing is copied).
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_label(const richeta_curveset *cs, int64_t idx,
                                                  char *buf, size_t cap, size_t *needed);

/**
 * @brief Copy a curve's steps and losses as they were added.
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[out] steps Receives the steps, or NULL.
 * @param[out] loss Receives the losses, or NULL.
 * @param[in] cap Capacity of each non-NULL array, in elements.
 * @param[out] needed Receives the number of points, or NULL.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p cs is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range or @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL An array is given and @p cap is below
 *         the number of points (@p needed is set, nothing is copied).
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_data(const richeta_curveset *cs, int64_t idx,
                                                 double *steps, double *loss, int64_t cap,
                                                 int64_t *needed);

/**
 * @brief Plateau level of a curve: exp of the median of the logged
 *        log-losses in the first ::RICHETA_TW_OPT_PLATEAU_WINDOW decades,
 *        cut at the start of the first detected drop.
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[out] level Receives the plateau level (a loss, > 0).
 * @retval RICHETA_OK Measured.
 * @retval RICHETA_ERR_NULL @p cs or @p level is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range.
 * @retval RICHETA_ERR_NOMEM Out of memory.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_plateau(richeta_curveset *cs, int64_t idx,
                                                    double *level);

/**
 * @brief Escape time: the first step at which the smoothed loss falls below
 *        @p fraction times the plateau level.
 *
 * The smoothed log-loss is evaluated at each logged step t > 0; the
 * crossing between the last step above and the first step below the
 * threshold is interpolated linearly in (log t, log-loss). With
 * ::RICHETA_TW_OPT_SMOOTH_DECADES = 0 the logged losses are used as they are.
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[in] fraction Threshold as a fraction of the plateau level, in (0, 1].
 * @param[out] t_escape Receives the escape step (not necessarily an
 *             integer); the first logged step > 0 if the curve starts below
 *             the threshold; +infinity if it never falls below it.
 * @retval RICHETA_OK Measured.
 * @retval RICHETA_ERR_NULL @p cs or @p t_escape is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range, or @p fraction not in (0, 1].
 * @retval RICHETA_ERR_NONFINITE @p fraction is NaN.
 * @retval RICHETA_ERR_NOMEM Out of memory.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_escape(richeta_curveset *cs, int64_t idx,
                                                   double fraction, double *t_escape);

/**
 * @brief Staircase of a curve: every drop of the smoothed log-loss, with the
 *        step at which it is half done and the level it lands on.
 *
 * A drop is a maximal run of the smoothed curve falling faster than
 * ::RICHETA_TW_OPT_DROP_SLOPE; runs separated by less than
 * ::RICHETA_TW_OPT_MIN_PLATEAU_DECADES are merged. The size of a run is the
 * median log-loss of the plateau before it minus that of the plateau after
 * it; runs smaller than ::RICHETA_TW_OPT_MIN_DROP are removed one at a time,
 * smallest first, merging their plateaus. Rises are ignored. Exact
 * definitions: `docs/timewarp.md`.
 * Call with @p cap = 0 (arrays may be NULL) to learn the count.
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[out] drop_steps Receives, for each drop in increasing order, the
 *             step where the smoothed curve crosses half-way (in log-loss)
 *             between the plateaus before and after; may be NULL when
 *             @p cap is 0.
 * @param[out] levels Receives the loss each drop lands on (median of the
 *             logged losses of the plateau that follows it); may be NULL
 *             when @p cap is 0.
 * @param[in] cap Capacity of each array.
 * @param[out] count Receives the number of drops found (also when the
 *             buffers are too small).
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_NULL @p cs or @p count is NULL, or an array is NULL with @p cap > 0.
 * @retval RICHETA_ERR_RANGE @p idx out of range or @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; the first @p cap
 *         drops are written.
 * @retval RICHETA_ERR_NOMEM Out of memory.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_staircase(richeta_curveset *cs, int64_t idx,
                                                      double *drop_steps, double *levels,
                                                      int64_t cap, int64_t *count);

/**
 * @brief Set the exponents of ::RICHETA_TW_POWER: tau = t eta^a gamma^b
 *        (default a = 1, b = -1, the theoretical mapping).
 * @param[in,out] cs Handle.
 * @param[in] a Exponent of the effective eta, finite.
 * @param[in] b Exponent of gamma, finite.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p cs is NULL.
 * @retval RICHETA_ERR_NONFINITE @p a or @p b is NaN or infinite.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_set_power(richeta_curveset *cs, double a, double b);

/**
 * @brief Time factor c_i of a curve under a mapping (tau = c_i t).
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[in] which Time mapping.
 * @param[out] factor Receives c_i (> 0).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p cs or @p factor is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range, or c_i overflows or underflows.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p which.
 * @retval RICHETA_ERR_STATE ::RICHETA_TW_EMPIRICAL before richeta_curveset_align_empirical().
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_time_factor(richeta_curveset *cs, int64_t idx,
                                                        richeta_tw_time which, double *factor);

/**
 * @brief Empirical alignment: for every curve i, the time scale s_i such
 *        that loss_i(t) best matches loss_ref(t / s_i).
 *
 * A rescaling of t is a shift u = log10 s_i of log t. Both curves are
 * smoothed in log time (::RICHETA_TW_OPT_SMOOTH_DECADES; the logged points
 * when it is 0). The objective is the mean squared difference of the
 * log-loss on the overlap, both ways: curve i's nodes against the reference
 * interpolated linearly in log t, and the reference's nodes against curve
 * i. It is scanned on a grid of half the mean node spacing over every shift
 * that keeps the overlap at least ::RICHETA_TW_OPT_MIN_OVERLAP of the
 * shorter span, then refined by golden-section search to 1e-9 decades.
 * The reference gets s = 1. The scales are stored in the handle for
 * ::RICHETA_TW_EMPIRICAL and richeta_curveset_fit_scales().
 * @param[in,out] cs Handle with at least one curve.
 * @param[in] reference Index of the reference curve.
 * @param[out] scales_out Receives s_i for every curve, or NULL.
 * @param[in] cap Capacity of @p scales_out (>= count when it is given).
 * @retval RICHETA_OK Aligned.
 * @retval RICHETA_ERR_NULL @p cs is NULL, or @p scales_out is NULL with @p cap > 0.
 * @retval RICHETA_ERR_RANGE @p reference out of range or @p cap < 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p scales_out given with @p cap < count.
 * @retval RICHETA_ERR_STATE No curve, or a curve whose log-time span is too
 *         short to overlap the reference.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_align_empirical(richeta_curveset *cs, int64_t reference,
                                                            double *scales_out, int64_t cap);

/**
 * @brief Power-law fit of the curves' time scales against gamma:
 *        least squares of log10 S_i = exponent log10 gamma_i + log10 prefactor,
 *        with S_i = 1 / c_i the time scale under mapping @p which.
 *
 * With ::RICHETA_TW_EMPIRICAL, S_i is the empirical scale s_i; with
 * ::RICHETA_TW_THEORY it is gamma_i / eta_i, so the two exponents can be
 * compared directly.
 * @param[in] cs Handle.
 * @param[in] which Time mapping whose scales are fitted.
 * @param[out] exponent Receives the fitted exponent (slope).
 * @param[out] stderr_out Receives the standard error of the exponent, or
 *             NULL; NaN when only two curves are fitted.
 * @param[out] prefactor Receives 10^intercept, or NULL.
 * @retval RICHETA_OK Fitted.
 * @retval RICHETA_ERR_NULL @p cs or @p exponent is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p which.
 * @retval RICHETA_ERR_STATE Fewer than two distinct gamma, or
 *         ::RICHETA_TW_EMPIRICAL before alignment.
 * @retval RICHETA_ERR_RANGE A time factor overflows.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_fit_scales(richeta_curveset *cs, richeta_tw_time which,
                                                       double *exponent, double *stderr_out,
                                                       double *prefactor);

/**
 * @brief Log-time range of a curve under a mapping: c_i times its first
 *        logged step > 0 and its last step.
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[in] which Time mapping.
 * @param[out] tau_min Receives the first tau, or NULL.
 * @param[out] tau_max Receives the last tau, or NULL.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p cs is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p which.
 * @retval RICHETA_ERR_STATE ::RICHETA_TW_EMPIRICAL before alignment.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_tau_range(richeta_curveset *cs, int64_t idx,
                                                      richeta_tw_time which, double *tau_min,
                                                      double *tau_max);

/**
 * @brief Spread between the curves under a mapping: the variance across
 *        curves of the log-loss, averaged over a common grid.
 *
 * The grid has ::RICHETA_TW_OPT_GRID_POINTS points evenly spaced in log tau
 * over the range that every curve covers (the intersection of their tau
 * ranges); each curve's log-loss is interpolated linearly in log tau and
 * the population variance across curves is taken at each point.
 * @param[in] cs Handle with at least two curves.
 * @param[in] which Time mapping.
 * @param[out] spread Receives the mean variance (natural-log units squared).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p cs or @p spread is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p which.
 * @retval RICHETA_ERR_STATE Fewer than two curves, curves that share no
 *         range of tau, or ::RICHETA_TW_EMPIRICAL before alignment.
 * @retval RICHETA_ERR_RANGE A time factor overflows.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_spread(richeta_curveset *cs, richeta_tw_time which,
                                                   double *spread);

/**
 * @brief Collapse quality Q = spread(which) / spread(::RICHETA_TW_RAW).
 *
 * Smaller is better: 0 is a perfect collapse, 1 no improvement over raw
 * steps, above 1 worse than raw. When the raw spread is 0, Q is 1 if the
 * spread under @p which is also 0 and +infinity otherwise.
 * @param[in] cs Handle with at least two curves.
 * @param[in] which Time mapping.
 * @param[out] q Receives Q.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p cs or @p q is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p which.
 * @retval RICHETA_ERR_STATE As for richeta_curveset_spread().
 * @retval RICHETA_ERR_RANGE A time factor overflows.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_collapse_quality(richeta_curveset *cs,
                                                             richeta_tw_time which, double *q);

/**
 * @brief Resample a curve onto a log-spaced tau grid (for plots and export).
 *
 * tau_j = tau_min (tau_max / tau_min)^(j / (points - 1)); the loss is
 * interpolated linearly in (log tau, log-loss), and is NaN where tau_j lies
 * outside the curve's range (richeta_curveset_tau_range()).
 * @param[in] cs Handle.
 * @param[in] idx Curve index.
 * @param[in] which Time mapping.
 * @param[in] tau_min First grid point, finite and > 0.
 * @param[in] tau_max Last grid point, finite and > @p tau_min.
 * @param[in] points Number of grid points, >= 2.
 * @param[out] tau_out Receives the @p points grid values, or NULL.
 * @param[out] loss_out Receives the @p points losses.
 * @retval RICHETA_OK Resampled.
 * @retval RICHETA_ERR_NULL @p cs or @p loss_out is NULL.
 * @retval RICHETA_ERR_RANGE @p idx out of range, @p points < 2, or a bad tau range.
 * @retval RICHETA_ERR_NONFINITE @p tau_min or @p tau_max is NaN or infinite.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown @p which.
 * @retval RICHETA_ERR_STATE ::RICHETA_TW_EMPIRICAL before alignment.
 * @since 1.0 @par Thread safety: not with other calls on @p cs.
 */
RICHETA_API richeta_status richeta_curveset_resample(richeta_curveset *cs, int64_t idx,
                                                     richeta_tw_time which, double tau_min,
                                                     double tau_max, int64_t points,
                                                     double *tau_out, double *loss_out);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_TIMEWARP_H */
