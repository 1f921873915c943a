/* A float64 differentiation engine for the model's MLP, used by the
 * diagnostics: forward pass, gradient, exact Hessian-vector products
 * (Pearlmutter's R-operator), Gauss-Newton-vector products and per-layer
 * backpropagated deltas for the NTK. It reads the model's configuration and
 * parameters through the public API, so it is also an independent float64
 * reference of the model itself. */
#ifndef RLZ_DIAG_JET_H
#define RLZ_DIAG_JET_H

#include "core/core.h"
#include <richlazy/model.h>

#define RLZ_JET_MAX_LAYERS 64

typedef struct rlz_jet {
  const rlz_alloc *alloc;
  rlz_err *err;
  int64_t D, N, C, L, bias, act, loss, centering;
  int64_t P;                         /* parameter count */
  int64_t batch;                     /* workspace batch */
  int64_t rows[RLZ_JET_MAX_LAYERS];  /* fan_out of layer l */
  int64_t cols[RLZ_JET_MAX_LAYERS];  /* fan_in of layer l */
  int64_t woff[RLZ_JET_MAX_LAYERS];  /* offset of W_l in the flat vector */
  int64_t boff[RLZ_JET_MAX_LAYERS];  /* offset of b_l, or -1 */
  double wmul[RLZ_JET_MAX_LAYERS];   /* multiplier of W_l a */
  double bmul[RLZ_JET_MAX_LAYERS];   /* multiplier of b_l */
  double *theta, *theta0;            /* P each */
  double *h[RLZ_JET_MAX_LAYERS];     /* pre-activations, batch x rows */
  double *act_out[RLZ_JET_MAX_LAYERS]; /* phi(h_l), batch x rows (hidden layers) */
  double *rh[RLZ_JET_MAX_LAYERS];    /* R{h_l} */
  double *f0;                        /* output of theta0, batch x C */
  double *g, *rg;                    /* dloss/df and H_f R{f}, batch x C */
  double *delta, *rdelta, *u, *ru;   /* batch x max width */
  double *rdelta2, *delta2;          /* swap buffers */
  int64_t wmax;
} rlz_jet;

/* Read the model (configuration, parameters, theta0) and size the
 * workspaces for `batch` samples. */
richeta_status rlz_jet_init(rlz_jet *j, richeta_model *m, int64_t batch);
void rlz_jet_free(rlz_jet *j);

/* Forward pass of parameters p (theta or theta0) on x (n <= batch);
 * fills h[] and act_out[]; returns the raw output h[L-1]. */
const double *rlz_jet_forward(rlz_jet *j, const double *p, const double *x, int64_t n);
/* Centered output into out (n x C) using theta; leaves the theta forward in h[]. */
void rlz_jet_output(rlz_jet *j, const double *x, int64_t n, double *out);
/* Loss, and dloss/df into j->g, for the current forward (centered). */
double rlz_jet_loss_grad_out(rlz_jet *j, const double *fc, const double *y, int64_t n);
/* Gradient of the mean loss into grad (P); returns the loss. */
double rlz_jet_gradient(rlz_jet *j, const double *x, const double *y, int64_t n, double *grad);
/* hv = H v. */
void rlz_jet_hvp(rlz_jet *j, const double *x, const double *y, int64_t n, const double *v,
                 double *hv);
/* out = J^T H_f J v (Gauss-Newton). */
void rlz_jet_gnvp(rlz_jet *j, const double *x, const double *y, int64_t n, const double *v,
                  double *out);

double rlz_jet_phi(int64_t act, double x);
double rlz_jet_dphi(int64_t act, double x);

#endif
