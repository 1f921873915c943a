/* Weight movement per layer and the coordinate check (pre-activation sizes). */
#include "diag/diag_internal.h"

#include <math.h>

richeta_status richeta_diag_weight_movement(richeta_model *model, double *movement, int64_t cap) {
  if (!model)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_diag_weight_movement: model is NULL");
  rlz_err *e = rlz_model_err(model);
  if (!movement)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_weight_movement: movement is NULL");
  const rlz_graph *g = rlz_model_graph(model);
  int64_t L = g->nlayers, P = g->nparams;
  if (cap < L)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "need %lld values, buffer has %lld",
                    (long long)L, (long long)cap);
  const rlz_alloc *a = rlz_model_alloc(model);
  double *th = rlz_calloc(a, (size_t)P, sizeof(double)),
         *t0 = rlz_calloc(a, (size_t)P, sizeof(double));
  if (!th || !t0) {
    rlz_free(a, th);
    rlz_free(a, t0);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate copies of %lld parameters",
                    (long long)P);
  }
  richeta_model_get_params(model, th, P);
  richeta_model_get_initial_params(model, t0, P);
  for (int i = 0; i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    if (nd->layer < 0)
      continue;
    double dd = 0, w0 = 0;
    int64_t n = nd->rows * nd->cols;
    const double *w = th + nd->woff, *z = t0 + nd->woff;
    for (int64_t k = 0; k < n; k++) {
      dd += (w[k] - z[k]) * (w[k] - z[k]);
      w0 += z[k] * z[k];
    }
    movement[nd->layer] = w0 > 0 ? sqrt(dd / w0) : (dd > 0 ? INFINITY : 0.0);
  }
  rlz_free(a, th);
  rlz_free(a, t0);
  return RICHETA_OK;
}

richeta_status richeta_diag_preactivation_size(richeta_model *model, const double *x, int64_t batch,
                                               double *sizes, int64_t cap) {
  richeta_status s = rlz_diag_check_batch(model, x, NULL, batch, 0);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!sizes)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_preactivation_size: sizes is NULL");
  const rlz_graph *g = rlz_model_graph(model);
  if (cap < g->nlayers)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "need %lld values, buffer has %lld",
                    (long long)g->nlayers, (long long)cap);
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  if (s == RICHETA_OK) /* theta's own pre-activations (not centered) */
    s = rlz_net_forward(j.net, j.theta, x, 0, g->n - 1, batch, j.f);
  for (int i = 0; s == RICHETA_OK && i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    if (nd->layer < 0)
      continue;
    const double *h = rlz_net_preact(j.net, i);
    int64_t n = batch * nd->size;
    double acc = 0;
    for (int64_t k = 0; k < n; k++)
      acc += fabs(h[k]);
    sizes[nd->layer] = acc / (double)n;
  }
  rlz_dnet_free(&j);
  return s;
}
