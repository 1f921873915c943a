/**
 * @file model.h
 * @brief The model handle: a gamma-parameterized MLP (DESIGN 1.1).
 *
 * With input dimension D, width N, outputs C and depth L (weight matrices):
 *
 *     h_1     = W_1 x / sqrt(D) + b_1
 *     h_{l+1} = W_{l+1} phi(h_l) / sqrt(N) + b_{l+1}
 *     f(x)    = (W_L phi(h_{L-1}) + b_L) / (gamma N)       (mean-field)
 *
 * NTK divides the readout by gamma sqrt(N); SP draws weights with variance
 * 1/fan_in, uses no multipliers, and divides the readout by gamma. With
 * centering the model outputs f(x; theta) - f(x; theta0).
 *
 * Layer l (0-based) holds W of shape rows x cols (fan_out x fan_in,
 * row-major) and, with biases on, b of length rows. The flat parameter
 * vector concatenates W_0, b_0, W_1, b_1, ... in that order.
 *
 * Batches are row-major: x is batch x D, y and outputs are batch x C. For
 * cross-entropy y holds target probabilities (one-hot or soft). Inputs are
 * not scanned for NaN/Inf (that would cost a pass over the data): a
 * non-finite input gives a non-finite output or loss, which the optimizer
 * and trainer report as divergence. Any batch
 * size is accepted; batches larger than the configured RICHETA_PARAM_BATCH
 * are processed in chunks of that size, so no call allocates after creation.
 */
#ifndef RICHLAZY_MODEL_H
#define RICHLAZY_MODEL_H

#include <richlazy/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup model Model
 * @brief Create, evaluate and differentiate gamma-parameterized MLPs.
 * @{
 */

/** Opaque model handle. One thread at a time per handle. */
typedef struct richeta_model richeta_model;

/**
 * @brief Create a model from a configuration: weights drawn N(0,1) (SP:
 *        N(0, 1/fan_in)) from RICHETA_PARAM_SEED, biases 0, theta0 captured.
 * @param[out] out Receives the model, or NULL on failure.
 * @param[in] cfg Configuration (read, not kept).
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE A configuration value is out of bounds, or a
 *         layer multiplier is not representable in float32 (extreme gamma).
 * @retval RICHETA_ERR_OVERFLOW The parameter count or workspace overflows.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: @p cfg may be shared read-only.
 */
RICHETA_API richeta_status richeta_model_new(richeta_model **out, const richeta_config *cfg);

/**
 * @brief Free a model; NULL is a no-op.
 * @param[in] model Model or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_model_free(richeta_model *model);

/**
 * @brief Message of the last failed call on @p model.
 * @param[in] model Model, or NULL for richeta_last_error().
 * @return Never NULL; valid until the next call on @p model.
 * @since 1.0
 */
RICHETA_API const char *richeta_model_last_error(const richeta_model *model);

/**
 * @brief Effective integer hyperparameter of the model (the dtype is
 *        resolved: never ::RICHETA_DTYPE_AUTO).
 * @param[in] model Model.
 * @param[in] param Any model key of type ::RICHETA_TYPE_INT.
 * @param[out] value Receives the value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Not a model integer parameter.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_get_int(const richeta_model *model, richeta_param param,
                                                 int64_t *value);

/**
 * @brief Effective double hyperparameter of the model (gamma).
 * @param[in] model Model.
 * @param[in] param ::RICHETA_PARAM_GAMMA.
 * @param[out] value Receives the value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Not a model double parameter.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_get_double(const richeta_model *model,
                                                    richeta_param param, double *value);

/**
 * @brief Total number of trainable parameters.
 * @param[in] model Model.
 * @param[out] count Receives the count.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_num_params(const richeta_model *model, int64_t *count);

/**
 * @brief Number of parametrized layers (weight matrices, convolution
 *        kernels included), numbered 0.. in forward order: L for the MLP,
 *        4 for the CNN (conv1, conv2, the fully connected layer, the
 *        readout), 41 for the ResNet-18 (its convolutions, batch
 *        normalizations and readout: docs/architectures.md).
 * @param[in] model Model.
 * @param[out] count Receives the number of layers.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.1
 */
RICHETA_API richeta_status richeta_model_num_layers(const richeta_model *model, int64_t *count);

/**
 * @brief Shape of layer @p layer.
 *
 * A convolution's weight matrix has rows = C_out and cols = C_in k k, its
 * entries in PyTorch's (out, in, kh, kw) order.
 * @param[in] model Model.
 * @param[in] layer Layer index in [0, richeta_model_num_layers()).
 * @param[out] rows Receives fan_out (may be NULL).
 * @param[out] cols Receives fan_in (may be NULL).
 * @param[out] bias_len Receives the bias length, rows or 0 (may be NULL).
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL @p model is NULL.
 * @retval RICHETA_ERR_RANGE No such layer.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_layer_shape(const richeta_model *model, int64_t layer,
                                                     int64_t *rows, int64_t *cols,
                                                     int64_t *bias_len);

/**
 * @brief Copy layer @p layer's weights (row-major) and bias out.
 * @param[in] model Model.
 * @param[in] layer Layer index in [0, L).
 * @param[out] weights Buffer of rows*cols doubles.
 * @param[in] weights_len Its length; must equal rows*cols.
 * @param[out] bias Buffer of bias_len doubles, or NULL to skip.
 * @param[in] bias_len_in Its length; must equal the bias length when @p bias is given.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p model or @p weights is NULL.
 * @retval RICHETA_ERR_RANGE No such layer.
 * @retval RICHETA_ERR_MISMATCH A length does not match the layer.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_get_layer(const richeta_model *model, int64_t layer,
                                                   double *weights, int64_t weights_len,
                                                   double *bias, int64_t bias_len_in);

/**
 * @brief Overwrite layer @p layer's weights and bias (theta0 is unchanged:
 *        call richeta_model_recenter() to center on the imported network).
 * @param[in,out] model Model.
 * @param[in] layer Layer index in [0, L).
 * @param[in] weights rows*cols finite doubles, row-major.
 * @param[in] weights_len Its length; must equal rows*cols.
 * @param[in] bias bias_len finite doubles, or NULL to leave the bias.
 * @param[in] bias_len_in Its length when @p bias is given.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p model or @p weights is NULL.
 * @retval RICHETA_ERR_RANGE No such layer.
 * @retval RICHETA_ERR_MISMATCH A length does not match the layer.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite, or overflows
 *         float32 in a float32 model (nothing changed).
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_set_layer(richeta_model *model, int64_t layer,
                                                   const double *weights, int64_t weights_len,
                                                   const double *bias, int64_t bias_len_in);

/**
 * @brief Copy all parameters into a flat vector (W_0, b_0, W_1, b_1, ...).
 * @param[in] model Model.
 * @param[out] params Buffer of @p len doubles.
 * @param[in] len Must equal richeta_model_num_params().
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_MISMATCH Wrong length.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_get_params(const richeta_model *model, double *params,
                                                    int64_t len);

/**
 * @brief Copy the frozen initial parameters theta0 into a flat vector.
 * @param[in] model Model.
 * @param[out] params Buffer of @p len doubles.
 * @param[in] len Must equal richeta_model_num_params().
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_MISMATCH Wrong length.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_get_initial_params(const richeta_model *model,
                                                            double *params, int64_t len);

/**
 * @brief Overwrite all parameters from a flat vector.
 * @param[in,out] model Model.
 * @param[in] params @p len finite doubles.
 * @param[in] len Must equal richeta_model_num_params().
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_MISMATCH Wrong length.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite, or overflows
 *         float32 in a float32 model (nothing changed).
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_set_params(richeta_model *model, const double *params,
                                                    int64_t len);

/**
 * @brief Capture the current parameters as theta0, the network the output
 *        is centered on (e.g. after importing weights).
 * @param[in,out] model Model.
 * @retval RICHETA_OK Captured.
 * @retval RICHETA_ERR_NULL @p model is NULL.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_recenter(richeta_model *model);

/**
 * @brief Length of the running statistics of batch normalization (0
 *        for architectures without it).
 *
 * The running statistics are state beside the parameters, not trained:
 * for each batch-normalization layer in layer order, its running means
 * (one per channel) then its running variances (unbiased, as PyTorch's
 * `running_mean` and `running_var`). Training runs update them (theta's
 * and theta0's), evaluation uses them (docs/architectures.md).
 * @param[in] model Model.
 * @param[out] count Receives the length.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.1
 */
RICHETA_API richeta_status richeta_model_num_running_stats(const richeta_model *model,
                                                           int64_t *count);

/**
 * @brief Copy out the running statistics of theta, or of theta0.
 * @param[in] model Model.
 * @param[in] initial Non-zero: theta0's (the frozen copy's own running statistics).
 * @param[out] stats Receives @p len doubles (layout: richeta_model_num_running_stats()).
 * @param[in] len Must equal richeta_model_num_running_stats().
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL (@p stats may be NULL when @p len is 0).
 * @retval RICHETA_ERR_MISMATCH Wrong @p len.
 * @since 1.1
 */
RICHETA_API richeta_status richeta_model_get_running_stats(const richeta_model *model,
                                                           int initial, double *stats,
                                                           int64_t len);

/**
 * @brief Overwrite the running statistics of theta, or of theta0 (e.g.
 *        after importing a trained PyTorch network).
 * @param[in,out] model Model.
 * @param[in] initial Non-zero: theta0's.
 * @param[in] stats @p len doubles: means finite, variances finite and >= 0.
 * @param[in] len Must equal richeta_model_num_running_stats().
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL (@p stats may be NULL when @p len is 0).
 * @retval RICHETA_ERR_MISMATCH Wrong @p len.
 * @retval RICHETA_ERR_NONFINITE A value is not finite (or overflows float32).
 * @retval RICHETA_ERR_RANGE A variance is negative.
 * @since 1.1
 */
RICHETA_API richeta_status richeta_model_set_running_stats(richeta_model *model, int initial,
                                                           const double *stats, int64_t len);

/**
 * @brief Model output on a batch (centered when centering is on).
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D, row-major.
 * @param[in] batch Number of samples >= 1.
 * @param[out] out Outputs, @p batch x C.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_OVERFLOW @p batch x D overflows.
 * @since 1.0 @par Thread safety: one thread per model (uses its workspace).
 */
RICHETA_API richeta_status richeta_model_forward_f64(richeta_model *model, const double *x,
                                                     int64_t batch, double *out);

/**
 * @brief Single-precision twin of richeta_model_forward_f64().
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] batch Number of samples >= 1.
 * @param[out] out Outputs, @p batch x C.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_OVERFLOW @p batch x D overflows.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_forward_f32(richeta_model *model, const float *x,
                                                     int64_t batch, float *out);

/**
 * @brief Loss on a batch and, optionally, its gradient with respect to the
 *        flat parameter vector.
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C (probabilities for cross-entropy).
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the mean loss (may be NULL).
 * @param[out] grad Receives the gradient (may be NULL).
 * @param[in] grad_len Length of @p grad; must equal the parameter count when given.
 * @retval RICHETA_OK Computed (a non-finite loss is returned as is).
 * @retval RICHETA_ERR_NULL @p model, @p x or @p y is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_MISMATCH Wrong @p grad_len.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_loss_grad_f64(richeta_model *model, const double *x,
                                                       const double *y, int64_t batch,
                                                       double *loss, double *grad,
                                                       int64_t grad_len);

/**
 * @brief Single-precision twin of richeta_model_loss_grad_f64().
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the mean loss (may be NULL).
 * @param[out] grad Receives the gradient (may be NULL).
 * @param[in] grad_len Length of @p grad when given.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p model, @p x or @p y is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_MISMATCH Wrong @p grad_len.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_loss_grad_f32(richeta_model *model, const float *x,
                                                       const float *y, int64_t batch,
                                                       double *loss, float *grad,
                                                       int64_t grad_len);

/**
 * @brief Cross-entropy loss and, optionally, its gradient on a batch given
 *        by class indices rather than probability targets.
 *
 * The same as richeta_model_loss_grad_f64() with the one-hot rows of
 * @p labels as targets, bit for bit.
 * @param[in] model Model with loss=ce (::RICHETA_LOSS_CROSS_ENTROPY).
 * @param[in] x Inputs, @p batch x D.
 * @param[in] labels Class of each sample, in [0, C).
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the mean loss (may be NULL).
 * @param[out] grad Receives the gradient (may be NULL).
 * @param[in] grad_len Length of @p grad; must equal the parameter count when given.
 * @retval RICHETA_OK Computed (a non-finite loss is returned as is).
 * @retval RICHETA_ERR_NULL @p model, @p x or @p labels is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_INVALID A label is outside [0, C) (the message names
 *         the sample).
 * @retval RICHETA_ERR_UNSUPPORTED The model's loss is not cross-entropy.
 * @retval RICHETA_ERR_MISMATCH Wrong @p grad_len.
 * @retval RICHETA_ERR_NOMEM The one-hot rows cannot be allocated.
 * @since 1.1
 */
RICHETA_API richeta_status richeta_model_loss_grad_labels_f64(richeta_model *model,
                                                              const double *x,
                                                              const int32_t *labels,
                                                              int64_t batch, double *loss,
                                                              double *grad, int64_t grad_len);

/**
 * @brief Single-precision twin of richeta_model_loss_grad_labels_f64(): the
 *        same as richeta_model_loss_grad_f32() on the one-hot rows.
 * @param[in] model Model with loss=ce.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] labels Class of each sample, in [0, C).
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the mean loss (may be NULL).
 * @param[out] grad Receives the gradient (may be NULL).
 * @param[in] grad_len Length of @p grad when given.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p model, @p x or @p labels is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @retval RICHETA_ERR_INVALID A label is outside [0, C).
 * @retval RICHETA_ERR_UNSUPPORTED The model's loss is not cross-entropy.
 * @retval RICHETA_ERR_MISMATCH Wrong @p grad_len.
 * @retval RICHETA_ERR_NOMEM The one-hot rows cannot be allocated.
 * @since 1.1
 */
RICHETA_API richeta_status richeta_model_loss_grad_labels_f32(richeta_model *model,
                                                              const float *x,
                                                              const int32_t *labels,
                                                              int64_t batch, double *loss,
                                                              float *grad, int64_t grad_len);

/**
 * @brief Mean loss and classification accuracy on a batch (no gradient).
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the mean loss (may be NULL).
 * @param[out] accuracy Receives the fraction of samples whose largest
 *             output matches the largest target (C >= 2), NaN when C = 1
 *             (may be NULL).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p model, @p x or @p y is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_evaluate_f64(richeta_model *model, const double *x,
                                                      const double *y, int64_t batch,
                                                      double *loss, double *accuracy);

/**
 * @brief Single-precision twin of richeta_model_evaluate_f64().
 * @param[in] model Model.
 * @param[in] x Inputs, @p batch x D.
 * @param[in] y Targets, @p batch x C.
 * @param[in] batch Number of samples >= 1.
 * @param[out] loss Receives the mean loss (may be NULL).
 * @param[out] accuracy Receives the accuracy (may be NULL).
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL @p model, @p x or @p y is NULL.
 * @retval RICHETA_ERR_RANGE @p batch < 1.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_model_evaluate_f32(richeta_model *model, const float *x,
                                                      const float *y, int64_t batch,
                                                      double *loss, double *accuracy);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_MODEL_H */
