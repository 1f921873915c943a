/**
 * @file diag.h
 * @brief Lazy-versus-rich diagnostics on a model and a probe batch the
 *        caller chooses: Hessian-vector products, top Hessian eigenvalues
 *        (Lanczos), Hessian trace (Hutchinson), Gauss-Newton top eigenvalue,
 *        empirical NTK and feature kernels, alignments, weight movement,
 *        pre-activation sizes (coordinate check), and the lazy limit
 *        (kernel regression with the initial NTK).
 *
 * All diagnostics work in float64 on a copy of the parameters, whatever the
 * model's dtype, and differentiate the model exactly (Pearlmutter's
 * R-operator for Hessian-vector products; no finite differences). The loss
 * is the model's loss (MSE without 1/2 or cross-entropy) as a mean over the
 * probe batch. Unlike training steps, diagnostics allocate their working
 * memory (through the model's allocator) on each call.
 *
 * Models with batch normalization (`arch=resnet18`): the Hessian
 * diagnostics (richeta_diag_hvp(), richeta_diag_hessian_top(),
 * richeta_diag_hessian_trace()) return ::RICHETA_ERR_UNSUPPORTED; the
 * others take the network as it evaluates, with the running statistics of
 * theta and theta0 (see docs/architectures.md).
 *
 * Kernels are returned as row-major n x n matrices where n = batch * C and
 * row i*C + c belongs to sample i and output c.
 */
#ifndef RICHLAZY_DIAG_H
#define RICHLAZY_DIAG_H

#include <richlazy/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup diag Diagnostics
 * @brief Curvature, kernels and movement of a model.
 * @{
 */

/**
 * @brief Hessian-vector product H v of the mean loss on a batch.
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Samples >= 1.
 * @param[in] v Direction, @p len doubles (flat parameter order).
 * @param[out] hv Receives H v, @p len doubles.
 * @param[in] len Must equal the parameter count.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_MISMATCH Wrong @p len.
 * @retval RICHETA_ERR_UNSUPPORTED The model has batch normalization
 *         (`arch=resnet18`): its batch statistics, with which SGD trains it,
 *         have no R-operator (Gauss-Newton and the NTK remain available).
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per model.
 */
RICHETA_API richeta_status richeta_diag_hvp(richeta_model *model, const double *x,
                                            const double *y, int64_t batch, const double *v,
                                            double *hv, int64_t len);

/**
 * @brief Largest Hessian eigenvalues by Lanczos with full reorthogonalization
 *        (the tridiagonal problem solved by LAPACK).
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Samples >= 1.
 * @param[in] k Number of eigenvalues wanted, >= 1.
 * @param[in] iters Lanczos steps, k <= iters (capped at the parameter count).
 * @param[in] seed Seed of the random start vector.
 * @param[out] eigenvalues Receives the k largest Ritz values, descending.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch, @p k or @p iters out of range.
 * @retval RICHETA_ERR_UNSUPPORTED The model has batch normalization
 *         (`arch=resnet18`): its batch statistics, with which SGD trains it,
 *         have no R-operator (Gauss-Newton and the NTK remain available).
 * @retval RICHETA_ERR_NOMEM Allocation failed (memory grows as iters x parameters).
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_hessian_top(richeta_model *model, const double *x,
                                                    const double *y, int64_t batch, int64_t k,
                                                    int64_t iters, uint64_t seed,
                                                    double *eigenvalues);

/**
 * @brief Hutchinson estimate of the Hessian trace with Rademacher probes.
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Samples >= 1.
 * @param[in] probes Number of probe vectors >= 1.
 * @param[in] seed Seed of the probes.
 * @param[out] trace Receives the estimate.
 * @param[out] stderr_out Receives its standard error (NaN with one probe; may be NULL).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A required pointer is NULL.
 * @retval RICHETA_ERR_RANGE @p batch or @p probes < 1.
 * @retval RICHETA_ERR_UNSUPPORTED The model has batch normalization
 *         (`arch=resnet18`): its batch statistics, with which SGD trains it,
 *         have no R-operator (Gauss-Newton and the NTK remain available).
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_hessian_trace(richeta_model *model, const double *x,
                                                      const double *y, int64_t batch,
                                                      int64_t probes, uint64_t seed,
                                                      double *trace, double *stderr_out);

/**
 * @brief Largest eigenvalue of the Gauss-Newton matrix J^T H_f J of the mean
 *        loss (for MSE: 2/(batch C) times the top NTK eigenvalue), by power
 *        iteration.
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C (used by cross-entropy).
 * @param[in] batch Samples >= 1.
 * @param[in] iters Power iterations >= 1.
 * @param[in] seed Seed of the start vector.
 * @param[out] lambda Receives the eigenvalue.
 * @note With batch normalization: the network with its running statistics
 *       (evaluation mode), as the NTK.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch or @p iters < 1.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_gn_top(richeta_model *model, const double *x,
                                               const double *y, int64_t batch, int64_t iters,
                                               uint64_t seed, double *lambda);

/**
 * @brief Empirical NTK: Gram matrix of the per-sample, per-output gradients
 *        of the (centered) output, K[(i,c),(j,d)] = grad f_c(x_i) . grad f_d(x_j).
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] batch Samples >= 1.
 * @param[in] initial Non-zero: evaluate at theta0 instead of the current parameters.
 * @param[out] kernel Receives (batch C) x (batch C) doubles, row-major.
 * @param[in] cap Capacity of @p kernel in doubles.
 * @note With batch normalization: the network with its running statistics
 *       (evaluation mode), so that each sample's gradient is its own.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < (batch C)^2.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_ntk(richeta_model *model, const double *x,
                                            int64_t batch, int initial, double *kernel,
                                            int64_t cap);

/**
 * @brief Feature kernel after hidden layer @p layer: phi(h) phi(h)^T / width
 *        (layer 0 is the first hidden layer; layer -1 is the input x x^T / D).
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] batch Samples >= 1.
 * @param[in] layer Hidden layer in [-1, L-1).
 * @param[out] kernel Receives batch x batch doubles.
 * @param[in] cap Capacity of @p kernel in doubles.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1 or no such layer.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < batch^2.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_feature_kernel(richeta_model *model, const double *x,
                                                       int64_t batch, int64_t layer,
                                                       double *kernel, int64_t cap);

/**
 * @brief Eigenvalues of a symmetric matrix (LAPACK), descending.
 * @param[in] n Order >= 1.
 * @param[in] matrix n x n row-major (not modified).
 * @param[out] eigenvalues Receives n values, descending.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p n < 1.
 * @retval RICHETA_ERR_NONFINITE The matrix holds NaN or infinity.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_diag_eigenvalues(int64_t n, const double *matrix,
                                                    double *eigenvalues);

/**
 * @brief Kernel-target alignment <K, Y Y^T>_F / (|K|_F |Y Y^T|_F).
 *
 * For a kernel of order n = samples * outputs (an NTK) Y is the n-vector of
 * targets; for a kernel of order samples (a feature kernel) Y is samples x
 * outputs.
 * @param[in] n Order of @p kernel.
 * @param[in] kernel n x n row-major.
 * @param[in] y Targets.
 * @param[in] samples Number of samples (rows of @p y).
 * @param[in] outputs Columns of @p y; samples*outputs must equal n, or samples must equal n.
 * @param[out] alignment Receives the alignment in [-1, 1].
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE A size is < 1.
 * @retval RICHETA_ERR_MISMATCH Sizes do not fit together.
 * @retval RICHETA_ERR_INVALID A zero kernel or zero targets.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_diag_kernel_alignment(int64_t n, const double *kernel,
                                                         const double *y, int64_t samples,
                                                         int64_t outputs, double *alignment);

/**
 * @brief Centered kernel alignment (CKA) of two n x n kernels:
 *        <HK1H, HK2H>_F / (|HK1H|_F |HK2H|_F), H = I - 11^T/n.
 * @param[in] n Order >= 2.
 * @param[in] k1 First kernel.
 * @param[in] k2 Second kernel.
 * @param[out] cka Receives the value.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p n < 2.
 * @retval RICHETA_ERR_INVALID A kernel is constant after centering.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_diag_cka(int64_t n, const double *k1, const double *k2,
                                            double *cka);

/**
 * @brief Relative weight movement per layer, |W_l - W0_l|_F / |W0_l|_F.
 * @param[in] model Model.
 * @param[out] movement Receives L values.
 * @param[in] cap Capacity of @p movement (>= L).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < L.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_weight_movement(richeta_model *model, double *movement,
                                                        int64_t cap);

/**
 * @brief Coordinate check: mean absolute pre-activation of every layer
 *        (h_1 .. h_{L-1}, then the raw readout before centering) on a batch.
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] batch Samples >= 1.
 * @param[out] sizes Receives L values.
 * @param[in] cap Capacity of @p sizes (>= L).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < L.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_preactivation_size(richeta_model *model, const double *x,
                                                           int64_t batch, double *sizes,
                                                           int64_t cap);

/**
 * @brief The lazy limit: kernel regression with the initial NTK,
 *        f(x*) = f0(x*) + K(x*, X) (K(X, X) + ridge I)^-1 (Y - f0(X)),
 *        solved by Cholesky (LAPACK). With centering f0 = 0.
 * @param[in] model Model (its theta0 defines the kernel).
 * @param[in] x_train Training inputs, @p n_train x D.
 * @param[in] y_train Training targets, @p n_train x C.
 * @param[in] n_train Training samples >= 1.
 * @param[in] x_test Inputs to predict, @p n_test x D.
 * @param[in] n_test Samples to predict >= 1.
 * @param[in] ridge Ridge >= 0 added to the diagonal.
 * @param[out] pred Receives @p n_test x C predictions.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE A size < 1 or @p ridge < 0.
 * @retval RICHETA_ERR_NONFINITE @p ridge is NaN or infinite.
 * @retval RICHETA_ERR_INVALID The regularized kernel is not positive definite.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_diag_kernel_regression(richeta_model *model,
                                                          const double *x_train,
                                                          const double *y_train, int64_t n_train,
                                                          const double *x_test, int64_t n_test,
                                                          double ridge, double *pred);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_DIAG_H */
