/* Shared pieces of the diagnostics: a float64 copy of the model (its node
 * list run by the core's executor with the R-operator) and the passes the
 * diagnostics are made of. Every diagnostic works in float64 whatever the
 * model's dtype: parameters are converted once per call. */
#ifndef RLZ_DIAG_INTERNAL_H
#define RLZ_DIAG_INTERNAL_H

#include "model/model_internal.h"
#include "nn/nn.h"
#include <richlazy/diag.h>

typedef struct rlz_dnet {
  const rlz_alloc *alloc;
  rlz_err *err;
  const rlz_graph *g;
  rlz_net *net; /* float64, `batch` samples per run, R-operator on */
  int64_t P, C, D, batch;
  richeta_loss loss;
  bool centered;
  double *theta, *theta0;   /* P each */
  double *state, *state0;   /* batch normalization's running statistics of each (or NULL) */
  double *f0, *f, *g0, *rf; /* batch x C: theta0's and the centered output, dLoss/df, R{f} */
} rlz_dnet;

/* Validate (model, x, y, batch) and record the message on the model. */
richeta_status rlz_diag_check_batch(richeta_model *m, const double *x, const double *y,
                                    int64_t batch, int need_y);
/* RICHETA_ERR_UNSUPPORTED (message recorded under `who`) when the model has
 * batch normalization: the Hessian-vector-product diagnostics refuse it. */
richeta_status rlz_diag_check_hvp(richeta_model *m, const char *who);
/* A float64 network for `batch` samples with the model's parameters. */
richeta_status rlz_dnet_init(rlz_dnet *d, richeta_model *m, int64_t batch);
void rlz_dnet_free(rlz_dnet *d);
/* Before a forward with parameters p (d->theta or d->theta0): batch
 * normalization with p's running statistics. Gauss-Newton, the NTK and the
 * pre-activations take the network as it evaluates, so that every sample
 * is a function of itself (per-sample Jacobians) and the R-forward is
 * exact (batch normalization is affine in its input). */
void rlz_dnet_bn(rlz_dnet *d, const double *p);
/* Centered output of theta on n samples into d->f (theta's forward stays
 * current for backward passes). */
richeta_status rlz_dnet_output(rlz_dnet *d, const double *x, int64_t n);
/* Mean loss and its gradient (P) on n samples. */
richeta_status rlz_dnet_gradient(rlz_dnet *d, const double *x, const double *y, int64_t n,
                                 double *grad, double *loss);
/* hv = H v (exact, R-operator); UNSUPPORTED with batch normalization
 * (rlz_diag_check_hvp). */
richeta_status rlz_dnet_hvp(rlz_dnet *d, const double *x, const double *y, int64_t n,
                            const double *v, double *hv);
/* out = J^T H_f J v (Gauss-Newton). */
richeta_status rlz_dnet_gnvp(rlz_dnet *d, const double *x, const double *y, int64_t n,
                             const double *v, double *out);

#endif
