/* Internal contract of the model handle, used by the optimizer, trainer,
 * checkpoints and diagnostics. Parameters, theta0 and gradients are each
 * one contiguous buffer in the model's dtype, in the flat order of the
 * public API (W_0, b_0, W_1, b_1, ...). */
#ifndef RLZ_MODEL_INTERNAL_H
#define RLZ_MODEL_INTERNAL_H

#include "core/core.h"
#include <richlazy/model.h>

/* Resolved dtype (F32 or F64). */
richeta_dtype rlz_model_dtype(const richeta_model *m);
int64_t rlz_model_num_params(const richeta_model *m);
/* Contiguous parameter / frozen-theta0 / gradient buffers (model dtype). */
void *rlz_model_params(richeta_model *m);
const void *rlz_model_params_const(const richeta_model *m);
void *rlz_model_initial_params(richeta_model *m);
void *rlz_model_grad(richeta_model *m);
/* The model's allocator and error buffer (handles bound to the model use them). */
const rlz_alloc *rlz_model_alloc(const richeta_model *m);
rlz_err *rlz_model_err(richeta_model *m);
/* SGD width multiplier of the parameterization (readout fan-in for
 * mean-field, 1 for NTK and SP). */
double rlz_model_width_mult(const richeta_model *m);
/* Mean loss over the batch and its gradient into rlz_model_grad(m);
 * x and y are in dtype `in_dtype` (converted chunk by chunk into the
 * workspace when it differs from the model's). Allocates nothing. */
richeta_status rlz_model_loss_grad(richeta_model *m, const void *x, const void *y, int64_t batch,
                                   richeta_dtype in_dtype, double *loss);
/* True when the last gradient run proved, from bounds on the factors of
 * its products, that every gradient entry is finite; false means "not
 * proven" (the caller must then look at the gradient itself). */
bool rlz_model_grad_proven_finite(const richeta_model *m);
/* Mean loss and accuracy without gradient (same conventions). */
richeta_status rlz_model_evaluate(richeta_model *m, const void *x, const void *y, int64_t batch,
                                  richeta_dtype in_dtype, double *loss, double *accuracy);

#endif
