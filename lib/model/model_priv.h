/* Private layout of the model handle, shared by model.c (API, storage) and
 * the dtype instances model_f32.c / model_f64.c of its run loop
 * (model_run.inc). The network itself is a node list run by the model
 * core (lib/nn). */
#ifndef RLZ_MODEL_PRIV_H
#define RLZ_MODEL_PRIV_H

#include "model_internal.h"
#include "nn/nn.h"

#include <string.h>

struct richeta_model {
  rlz_alloc alloc;
  rlz_err err;
  int64_t D, N, C, L, bias, chunk, seed;
  int64_t arch, image_c, image_h, image_w, conv_scale;
  richeta_parameterization param;
  richeta_activation act;
  richeta_loss loss;
  richeta_centering centering;
  richeta_dtype dtype; /* resolved: F32 or F64 */
  double gamma;
  int64_t nparams;
  size_t elem; /* sizeof(float) or sizeof(double) */
  rlz_graph graph;
  rlz_net *net; /* workspace for `chunk` samples */
  void *params, *theta0, *grad;
  /* batch normalization's running statistics of theta and of theta0 (the
   * graph's state vector, model dtype; NULL without batch normalization):
   * training runs use batch statistics and update both (theta0's as the
   * reference's frozen copy in train mode does), other runs use them */
  void *state, *state0;
  /* Run buffers for `chunk` samples, in the model dtype: the outputs on
   * theta and theta0 and dLoss/df (chunk x C), inputs converted to the
   * model dtype (chunk x D, chunk x C). */
  void *ws;
  void *out, *out0, *dout, *xbuf, *ybuf;
  /* Set by each gradient run: a bound on every |gradient entry| and whether
   * it proves the gradient finite (rlz_net_backward). */
  double grad_bound;
  int grad_finite;
  rlz_frozen fz;           /* caller-supplied theta0 work (x == NULL: none) */
  uint64_t theta0_version; /* bumped whenever theta0 may change */
};

/* What a run computes. */
typedef enum rlz_model_job {
  RLZ_JOB_FORWARD = 0,    /* centered outputs into `out` (in the input dtype) */
  RLZ_JOB_LOSS = 1,       /* mean loss (and accuracy when acc != NULL) */
  RLZ_JOB_LOSS_GRAD = 2,  /* mean loss and gradient into m->grad */
  RLZ_JOB_FROZEN_OUT = 3, /* theta0's outputs into `out` (model dtype) */
  RLZ_JOB_FROZEN_FEAT = 4 /* theta0's features (the readout's input) into `out` (model dtype) */
} rlz_model_job;

/* Run `job` over `batch` samples in chunks; x, y and out are in in_dtype.
 * Arguments are validated by the caller. Allocates nothing. */
richeta_status rlz_model_run_f32(richeta_model *m, rlz_model_job job, const void *x, const void *y,
                                 int64_t batch, richeta_dtype in_dtype, void *out, double *loss,
                                 double *acc);
richeta_status rlz_model_run_f64(richeta_model *m, rlz_model_job job, const void *x, const void *y,
                                 int64_t batch, richeta_dtype in_dtype, void *out, double *loss,
                                 double *acc);

#endif
