/* Weight movement per layer and the coordinate check (pre-activation sizes). */
#include "diag/diag_internal.h"

#include <math.h>

richeta_status richeta_diag_weight_movement(richeta_model *model, double *movement, int64_t cap) {
  if (!model)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_diag_weight_movement: model is NULL");
  rlz_err *e = rlz_model_err(model);
  if (!movement)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_weight_movement: movement is NULL");
  int64_t L = 0;
  richeta_model_get_int(model, RICHETA_PARAM_DEPTH, &L);
  if (cap < L)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "need %lld values, buffer has %lld",
                    (long long)L, (long long)cap);
  rlz_jet j;
  richeta_status s = rlz_jet_init(&j, model, 1);
  for (int64_t l = 0; s == RICHETA_OK && l < L; l++) {
    double dd = 0, w0 = 0;
    int64_t n = j.rows[l] * j.cols[l];
    const double *w = j.theta + j.woff[l], *z = j.theta0 + j.woff[l];
    for (int64_t i = 0; i < n; i++) {
      dd += (w[i] - z[i]) * (w[i] - z[i]);
      w0 += z[i] * z[i];
    }
    movement[l] = w0 > 0 ? sqrt(dd / w0) : (dd > 0 ? INFINITY : 0.0);
  }
  rlz_jet_free(&j);
  return s;
}

richeta_status richeta_diag_preactivation_size(richeta_model *model, const double *x,
                                               int64_t batch, double *sizes, int64_t cap) {
  richeta_status s = rlz_diag_check_batch(model, x, NULL, batch, 0);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!sizes)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_preactivation_size: sizes is NULL");
  int64_t L = 0;
  richeta_model_get_int(model, RICHETA_PARAM_DEPTH, &L);
  if (cap < L)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "need %lld values, buffer has %lld",
                    (long long)L, (long long)cap);
  rlz_jet j;
  s = rlz_jet_init(&j, model, batch);
  if (s == RICHETA_OK) {
    rlz_jet_forward(&j, j.theta, x, batch);
    for (int64_t l = 0; l < L; l++) {
      int64_t n = batch * j.rows[l];
      double acc = 0;
      for (int64_t i = 0; i < n; i++)
        acc += fabs(j.h[l][i]);
      sizes[l] = acc / (double)n;
    }
  }
  rlz_jet_free(&j);
  return s;
}
