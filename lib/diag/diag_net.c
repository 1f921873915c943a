/* The diagnostics' float64 network: the model's node list with converted
 * parameters, and the gradient, Hessian-vector and Gauss-Newton passes. */
#include "diag/diag_internal.h"

#include <math.h>
#include <string.h>

richeta_status rlz_diag_check_batch(richeta_model *m, const double *x, const double *y,
                                    int64_t batch, int need_y) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "diagnostics: model is NULL");
  if (!x || (need_y && !y))
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_NULL, "diagnostics: x or y is NULL");
  if (batch < 1 || batch > (INT64_C(1) << 31))
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_RANGE,
                    "diagnostics: batch must be in [1, 2^31] (got %lld)", (long long)batch);
  return RICHETA_OK;
}

/* Why not the running statistics: the Hessian that matters is the one of the
 * loss SGD descends, which normalizes with each batch's own statistics, and
 * batch normalization has no R-operator for those. With the running
 * statistics the product would describe the evaluation network, another
 * function (at initialisation its statistics are (0, 1)). Gauss-Newton and
 * the NTK are taken in evaluation mode and documented as such. */
static richeta_status refuse_batchnorm(const rlz_graph *g, rlz_err *e, const char *who) {
  for (int i = 0; i < g->n; i++)
    if (g->nodes[i].op == RLZ_OP_BATCHNORM)
      return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                      "%s: Hessian-vector products are not supported for models with batch "
                      "normalization (node %d): batch normalization with batch statistics (the "
                      "network SGD trains) has no R-operator; Gauss-Newton (richeta_diag_gn_top) "
                      "and the NTK (richeta_diag_ntk) remain available, with running statistics",
                      who, i);
  return RICHETA_OK;
}

richeta_status rlz_diag_check_hvp(richeta_model *m, const char *who) {
  return refuse_batchnorm(rlz_model_graph(m), rlz_model_err(m), who);
}

richeta_status rlz_dnet_init(rlz_dnet *d, richeta_model *m, int64_t batch) {
  memset(d, 0, sizeof *d);
  d->alloc = rlz_model_alloc(m);
  d->err = rlz_model_err(m);
  d->g = rlz_model_graph(m);
  d->P = d->g->nparams;
  d->C = d->g->out_size;
  d->D = d->g->in_size;
  d->batch = batch;
  int64_t v = 0;
  richeta_model_get_int(m, RICHETA_PARAM_LOSS, &v);
  d->loss = (richeta_loss)v;
  richeta_model_get_int(m, RICHETA_PARAM_CENTERING, &v);
  d->centered = v == RICHETA_CENTERING_FROZEN;
  int64_t bc;
  if (!rlz_mul_i64(batch, d->C, &bc))
    return rlz_fail(d->err, RICHETA_ERR_OVERFLOW, "diagnostics: batch x outputs overflows");
  d->theta = rlz_calloc(d->alloc, (size_t)d->P, sizeof(double));
  d->theta0 = rlz_calloc(d->alloc, (size_t)d->P, sizeof(double));
  d->f0 = rlz_calloc(d->alloc, (size_t)bc, sizeof(double));
  d->f = rlz_calloc(d->alloc, (size_t)bc, sizeof(double));
  d->g0 = rlz_calloc(d->alloc, (size_t)bc, sizeof(double));
  d->rf = rlz_calloc(d->alloc, (size_t)bc, sizeof(double));
  if (!d->theta || !d->theta0 || !d->f0 || !d->f || !d->g0 || !d->rf)
    return rlz_fail(d->err, RICHETA_ERR_NOMEM, "diagnostics: cannot allocate workspaces");
  richeta_model_get_params(m, d->theta, d->P);
  richeta_model_get_initial_params(m, d->theta0, d->P);
  int64_t ns = rlz_model_state_len(m);
  if (ns > 0) {
    d->state = rlz_calloc(d->alloc, (size_t)ns, sizeof(double));
    d->state0 = rlz_calloc(d->alloc, (size_t)ns, sizeof(double));
    if (!d->state || !d->state0)
      return rlz_fail(d->err, RICHETA_ERR_NOMEM, "diagnostics: cannot allocate workspaces");
    const void *src[2] = {rlz_model_state(m, false), rlz_model_state(m, true)};
    double *dst[2] = {d->state, d->state0};
    for (int k = 0; k < 2; k++)
      for (int64_t i = 0; i < ns; i++)
        dst[k][i] = rlz_model_dtype(m) == RICHETA_DTYPE_F64 ? ((const double *)src[k])[i]
                                                            : (double)((const float *)src[k])[i];
  }
  richeta_status st = rlz_net_new(&d->net, d->g, RICHETA_DTYPE_F64, batch,
                                  RLZ_NET_TRAIN | RLZ_NET_ROP | RLZ_NET_KEEP_PRE, d->alloc, d->err);
  if (st == RICHETA_OK)
    rlz_dnet_bn(d, d->theta);
  return st;
}

void rlz_dnet_bn(rlz_dnet *d, const double *p) {
  if (d->state)
    rlz_net_set_bn(d->net, RLZ_BN_EVAL, p == d->theta0 ? d->state0 : d->state);
}

void rlz_dnet_free(rlz_dnet *d) {
  const rlz_alloc *a = d->alloc;
  if (!a)
    return;
  rlz_net_free(d->net);
  double **bufs[] = {&d->theta, &d->theta0, &d->f0, &d->f, &d->g0, &d->rf, &d->state, &d->state0};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    rlz_free(a, *bufs[i]);
    *bufs[i] = NULL;
  }
  d->net = NULL;
}

richeta_status rlz_dnet_output(rlz_dnet *d, const double *x, int64_t n) {
  int last = d->g->n - 1;
  richeta_status st = RICHETA_OK;
  if (d->centered) { /* theta0 first: theta's activations stay in the workspace */
    rlz_dnet_bn(d, d->theta0);
    st = rlz_net_forward(d->net, d->theta0, x, 0, last, n, d->f0);
  }
  rlz_dnet_bn(d, d->theta);
  if (st == RICHETA_OK)
    st = rlz_net_forward(d->net, d->theta, x, 0, last, n, d->f);
  if (st == RICHETA_OK && d->centered)
    for (int64_t i = 0; i < n * d->C; i++)
      d->f[i] -= d->f0[i];
  return st;
}

richeta_status rlz_dnet_gradient(rlz_dnet *d, const double *x, const double *y, int64_t n,
                                 double *grad, double *loss) {
  richeta_status st = rlz_dnet_output(d, x, n);
  if (st != RICHETA_OK)
    return st;
  double sum = rlz_loss_sum_f64(d->loss, d->f, y, n, d->C, n, d->g0);
  if (loss)
    *loss = sum / (d->loss == RICHETA_LOSS_MSE ? (double)n * (double)d->C : (double)n);
  double bound = 0;
  return rlz_net_backward(d->net, d->theta, x, n, d->g0, grad, true, &bound);
}

richeta_status rlz_dnet_hvp(rlz_dnet *d, const double *x, const double *y, int64_t n,
                            const double *v, double *hv) {
  richeta_status st = refuse_batchnorm(d->g, d->err, "Hessian-vector product");
  if (st == RICHETA_OK)
    st = rlz_dnet_output(d, x, n);
  if (st == RICHETA_OK)
    st = rlz_net_rforward(d->net, d->theta, v, x, n, d->rf);
  if (st != RICHETA_OK)
    return st;
  rlz_loss_sum_f64(d->loss, d->f, y, n, d->C, n, d->g0);
  /* R{dLoss/df} = H_f R{f}, in place of R{f} */
  rlz_loss_hessian_f64(d->loss, d->f, y, d->rf, n, d->C, d->f0);
  return rlz_net_rbackward(d->net, d->theta, v, x, n, d->g0, d->f0, hv);
}

richeta_status rlz_dnet_gnvp(rlz_dnet *d, const double *x, const double *y, int64_t n,
                             const double *v, double *out) {
  richeta_status st = rlz_dnet_output(d, x, n);
  if (st == RICHETA_OK)
    st = rlz_net_rforward(d->net, d->theta, v, x, n, d->rf);
  if (st != RICHETA_OK)
    return st;
  rlz_loss_hessian_f64(d->loss, d->f, y, d->rf, n, d->C, d->g0);
  double bound = 0;
  return rlz_net_backward(d->net, d->theta, x, n, d->g0, out, true, &bound);
}
