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
void *rlz_model_initial_params(richeta_model *m); /* write access: marks theta0 changed */
const void *rlz_model_initial_params_const(const richeta_model *m); /* read access */
void *rlz_model_grad(richeta_model *m);
/* The model's allocator and error buffer (handles bound to the model use them). */
const rlz_alloc *rlz_model_alloc(const richeta_model *m);
rlz_err *rlz_model_err(richeta_model *m);
/* SGD width multiplier of the parameterization (readout fan-in for
 * mean-field, 1 for NTK and SP). */
double rlz_model_width_mult(const richeta_model *m);
/* Batch normalization's running statistics (the graph's state vector,
 * model dtype), of theta or of theta0 (initial); 0 and NULL without batch
 * normalization. A writer of theta0's also takes rlz_model_initial_params,
 * which marks theta0 changed. */
int64_t rlz_model_state_len(const richeta_model *m);
void *rlz_model_state(richeta_model *m, bool initial);
/* Mean loss over the batch and its gradient into rlz_model_grad(m);
 * x and y are in dtype `in_dtype` (converted chunk by chunk into the
 * workspace when it differs from the model's). Allocates nothing. */
richeta_status rlz_model_loss_grad(richeta_model *m, const void *x, const void *y, int64_t batch,
                                   richeta_dtype in_dtype, double *loss);
/* Whether every entry of the last gradient run's gradient is finite: from
 * bounds on the factors of its products where they prove it (no pass over
 * the gradient), reading the rest (the convolutions' parameters; all of
 * it when the bound is too large: then its sum must be finite, an
 * overflow of the sum counting as a blow-up). */
bool rlz_model_grad_finite(richeta_model *m);
/* Mean loss and accuracy without gradient (same conventions). */
richeta_status rlz_model_evaluate(richeta_model *m, const void *x, const void *y, int64_t batch,
                                  richeta_dtype in_dtype, double *loss, double *accuracy);

/* ---- Frozen-copy work done once and reused (exact) ----------------------
 * With centering on, every run also evaluates theta0, which never changes.
 * A caller that holds theta0's results for an input can hand them to the
 * next run on that input instead of having them recomputed:
 *  - out0: theta0's outputs (batch x C), e.g. the held-out set's, computed
 *    once by rlz_model_frozen_outputs;
 *  - feat: theta0's features, the readout's input (batch x
 *    rlz_model_feature_size), which runs of one sweep group share: they
 *    depend on theta0's trunk only, not on gamma
 *    (rlz_model_frozen_hidden_equal tells when two models agree).
 * Both are computed chunk by chunk with the very calls a run makes, so the
 * results are the same bits as without them. */
typedef struct rlz_frozen {
  const void *x;    /* the input (caller's pointer) they belong to */
  int64_t batch;    /* its number of samples */
  const void *out0; /* batch x C outputs of theta0 (model dtype), or NULL */
  const void *feat; /* batch x feature size: theta0's features, or NULL */
} rlz_frozen;

/* Changes whenever theta0 may have changed (creation, recenter, write
 * access through rlz_model_initial_params): results kept for theta0 are
 * valid while it stays the same. */
uint64_t rlz_model_theta0_version(const richeta_model *m);
/* Use fz in the runs on fz->x with fz->batch samples until called with
 * NULL (fz is copied; the buffers it points to must outlive that use). */
void rlz_model_set_frozen(richeta_model *m, const rlz_frozen *fz);
/* theta0's outputs on x (batch samples, in_dtype) into out0 (batch x C, in
 * the model dtype). Needs frozen centering. Allocates nothing. */
richeta_status rlz_model_frozen_outputs(richeta_model *m, const void *x, int64_t batch,
                                        richeta_dtype in_dtype, void *out0);
/* theta0's features on x into feat (batch x rlz_model_feature_size, model
 * dtype). Needs frozen centering and a hidden layer. Allocates nothing. */
richeta_status rlz_model_frozen_features(richeta_model *m, const void *x, int64_t batch,
                                         richeta_dtype in_dtype, void *feat);
/* True when a's features are b's to the bit: frozen centering, a hidden
 * layer, same dtype, chunk, trunk (every node but the readout: ops, shapes,
 * multipliers) and trunk theta0. */
bool rlz_model_frozen_hidden_equal(const richeta_model *a, const richeta_model *b);
/* Length of a sample's features (the readout's input), 0 without a hidden
 * layer. */
int64_t rlz_model_feature_size(const richeta_model *m);

/* The model's architecture (the core's node list; lib/nn/nn.h). */
struct rlz_graph;
const struct rlz_graph *rlz_model_graph(const richeta_model *m);
/* Samples per im2col block of the model's convolutions (benchmarks and
 * tests; the planned block may only shrink). */
int64_t rlz_model_conv_block(const richeta_model *m);
void rlz_model_set_conv_block(richeta_model *m, int64_t samples);
/* Whether the model's passes run on a thread team (rlz_net_has_team). */
bool rlz_model_has_team(const richeta_model *m);
/* The model's net (benchmarks read its per-node plan). */
struct rlz_net;
const struct rlz_net *rlz_model_net(const richeta_model *m);

#endif
