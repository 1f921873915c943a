/* Private layout of the model handle, shared by model.c (API, storage) and
 * the dtype kernels model_f32.c / model_f64.c (one source: model_impl.inc). */
#ifndef RLZ_MODEL_PRIV_H
#define RLZ_MODEL_PRIV_H

#include "model_internal.h"

#include <string.h> /* also defines __GLIBC__ on glibc, tested below */

/* Layer l maps fan_in = cols to fan_out = rows: z = wmul * W a + bmul * b. */
typedef struct rlz_layer {
  int64_t rows, cols;
  int64_t woff, boff; /* element offsets in the flat vector; boff = woff + rows*cols */
  double wmul, bmul;  /* multipliers of the parameterization (readout includes 1/gamma) */
} rlz_layer;

struct richeta_model {
  rlz_alloc alloc;
  rlz_err err;
  int64_t D, N, C, L, bias, chunk, seed;
  richeta_parameterization param;
  richeta_activation act;
  richeta_loss loss;
  richeta_centering centering;
  richeta_dtype dtype; /* resolved: F32 or F64 */
  double gamma;
  double width_mult;
  int64_t nparams;
  size_t elem; /* sizeof(float) or sizeof(double) */
  rlz_layer *layers;
  void *params, *theta0, *grad;
  /* Workspace, sized for `chunk` samples, in the model dtype. hid[2l] and
   * hid[2l+1] are the pre-activations H and activations A of hidden layer l
   * (l < L-1); for the identity activation A is H. */
  void *ws;
  void **hid;
  void *delta[2];    /* backprop ping-pong, chunk x max(N, C) */
  void *out, *out0;  /* network output on theta and on theta0, chunk x C */
  void *xbuf, *ybuf; /* inputs converted to the model dtype, chunk x D / chunk x C */
  void *ones;        /* chunk ones: bias gradients are G^T 1 */
  /* Set by each gradient run: a bound on every |gradient entry| and whether
   * it proves the gradient finite (see grad_bound in model_impl.inc). */
  double grad_bound;
  int grad_finite;
  rlz_frozen fz;           /* caller-supplied theta0 work (x == NULL: none) */
  uint64_t theta0_version; /* bumped whenever theta0 may change */
};

#include "core/simd.h"

/* What a kernel run computes. */
typedef enum rlz_model_job {
  RLZ_JOB_FORWARD = 0,    /* centered outputs into `out` (in the input dtype) */
  RLZ_JOB_LOSS = 1,       /* mean loss (and accuracy when acc != NULL) */
  RLZ_JOB_LOSS_GRAD = 2,  /* mean loss and gradient into m->grad */
  RLZ_JOB_FROZEN_OUT = 3, /* theta0's outputs into `out` (model dtype) */
  RLZ_JOB_FROZEN_FEAT = 4 /* theta0's last hidden activations into `out` (model dtype) */
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
