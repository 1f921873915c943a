/* Float64 forward, gradient, R-operator and Gauss-Newton passes of the MLP
 * (formulas in include/richlazy/model.h and docs/parameterization.md). */
#include "diag/jet.h"
#include "model/model_internal.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

#define SQRT1_2PI 0.39894228040143267794

double rlz_jet_phi(int64_t act, double x) {
  switch (act) {
  case RICHETA_ACTIVATION_RELU: return x > 0 ? x : 0;
  case RICHETA_ACTIVATION_TANH: return tanh(x);
  case RICHETA_ACTIVATION_GELU: return 0.5 * x * (1.0 + erf(x * M_SQRT1_2));
  default: return x;
  }
}

double rlz_jet_dphi(int64_t act, double x) {
  switch (act) {
  case RICHETA_ACTIVATION_RELU: return x > 0 ? 1 : 0;
  case RICHETA_ACTIVATION_TANH: {
    double t = tanh(x);
    return 1 - t * t;
  }
  case RICHETA_ACTIVATION_GELU:
    return 0.5 * (1.0 + erf(x * M_SQRT1_2)) + x * SQRT1_2PI * exp(-0.5 * x * x);
  default: return 1;
  }
}

static double d2phi(int64_t act, double x) {
  switch (act) {
  case RICHETA_ACTIVATION_TANH: {
    double t = tanh(x);
    return -2 * t * (1 - t * t);
  }
  case RICHETA_ACTIVATION_GELU: return SQRT1_2PI * exp(-0.5 * x * x) * (2 - x * x);
  default: return 0; /* relu (almost everywhere) and identity */
  }
}

static int64_t geti(richeta_model *m, richeta_param p) {
  int64_t v = 0;
  richeta_model_get_int(m, p, &v);
  return v;
}

richeta_status rlz_jet_init(rlz_jet *j, richeta_model *m, int64_t batch) {
  memset(j, 0, sizeof *j);
  j->alloc = rlz_model_alloc(m);
  j->err = rlz_model_err(m);
  j->D = geti(m, RICHETA_PARAM_INPUT_DIM);
  j->N = geti(m, RICHETA_PARAM_WIDTH);
  j->C = geti(m, RICHETA_PARAM_OUTPUT_DIM);
  j->L = geti(m, RICHETA_PARAM_DEPTH);
  j->bias = geti(m, RICHETA_PARAM_BIAS);
  j->act = geti(m, RICHETA_PARAM_ACTIVATION);
  j->loss = geti(m, RICHETA_PARAM_LOSS);
  j->centering = geti(m, RICHETA_PARAM_CENTERING);
  int64_t param = geti(m, RICHETA_PARAM_PARAMETERIZATION);
  double gamma = 1;
  richeta_model_get_double(m, RICHETA_PARAM_GAMMA, &gamma);
  j->batch = batch;
  if (j->L < 1 || j->L > RLZ_JET_MAX_LAYERS)
    return rlz_fail(j->err, RICHETA_ERR_INTERNAL, "diagnostics: unexpected depth %lld",
                    (long long)j->L);
  int64_t off = 0;
  j->wmax = j->C > j->D ? j->C : j->D;
  for (int64_t l = 0; l < j->L; l++) {
    j->cols[l] = l == 0 ? j->D : j->N;
    j->rows[l] = l == j->L - 1 ? j->C : j->N;
    if (j->rows[l] > j->wmax)
      j->wmax = j->rows[l];
    j->woff[l] = off;
    off += j->rows[l] * j->cols[l];
    j->boff[l] = j->bias ? off : -1;
    if (j->bias)
      off += j->rows[l];
    double fan_in = (double)j->cols[l];
    int readout = l == j->L - 1;
    if (param == RICHETA_PARAMETERIZATION_SP) {
      j->wmul[l] = readout ? 1.0 / gamma : 1.0;
    } else if (readout) {
      j->wmul[l] = 1.0 / (gamma * (param == RICHETA_PARAMETERIZATION_MF ? fan_in : sqrt(fan_in)));
    } else {
      j->wmul[l] = 1.0 / sqrt(fan_in);
    }
    /* the readout bias shares the readout divisor; hidden biases are plain */
    j->bmul[l] = readout ? j->wmul[l] : 1.0;
  }
  j->P = off;
  int64_t check = 0;
  richeta_model_num_params(m, &check);
  if (check != j->P)
    return rlz_fail(j->err, RICHETA_ERR_INTERNAL,
                    "diagnostics: parameter count %lld differs from the model's %lld",
                    (long long)j->P, (long long)check);
  size_t P = (size_t)j->P, BW = (size_t)(batch * j->wmax), BC = (size_t)(batch * j->C);
  j->theta = rlz_calloc(j->alloc, P, sizeof(double));
  j->theta0 = rlz_calloc(j->alloc, P, sizeof(double));
  j->f0 = rlz_calloc(j->alloc, BC, sizeof(double));
  j->g = rlz_calloc(j->alloc, BC, sizeof(double));
  j->rg = rlz_calloc(j->alloc, BC, sizeof(double));
  j->delta = rlz_calloc(j->alloc, BW, sizeof(double));
  j->rdelta = rlz_calloc(j->alloc, BW, sizeof(double));
  j->delta2 = rlz_calloc(j->alloc, BW, sizeof(double));
  j->rdelta2 = rlz_calloc(j->alloc, BW, sizeof(double));
  j->u = rlz_calloc(j->alloc, BW, sizeof(double));
  j->ru = rlz_calloc(j->alloc, BW, sizeof(double));
  int ok = j->theta && j->theta0 && j->f0 && j->g && j->rg && j->delta && j->rdelta &&
           j->delta2 && j->rdelta2 && j->u && j->ru;
  for (int64_t l = 0; ok && l < j->L; l++) {
    size_t n = (size_t)(batch * j->rows[l]);
    j->h[l] = rlz_calloc(j->alloc, n, sizeof(double));
    j->act_out[l] = rlz_calloc(j->alloc, n, sizeof(double));
    j->rh[l] = rlz_calloc(j->alloc, n, sizeof(double));
    ok = j->h[l] && j->act_out[l] && j->rh[l];
  }
  if (!ok)
    return rlz_fail(j->err, RICHETA_ERR_NOMEM, "diagnostics: cannot allocate workspaces");
  richeta_model_get_params(m, j->theta, j->P);
  richeta_model_get_initial_params(m, j->theta0, j->P);
  return RICHETA_OK;
}

void rlz_jet_free(rlz_jet *j) {
  const rlz_alloc *a = j->alloc;
  if (!a)
    return;
  double **bufs[] = {&j->theta, &j->theta0, &j->f0, &j->g, &j->rg, &j->delta,
                     &j->rdelta, &j->delta2, &j->rdelta2, &j->u, &j->ru};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    rlz_free(a, *bufs[i]);
    *bufs[i] = NULL;
  }
  for (int64_t l = 0; l < RLZ_JET_MAX_LAYERS; l++) {
    rlz_free(a, j->h[l]);
    rlz_free(a, j->act_out[l]);
    rlz_free(a, j->rh[l]);
    j->h[l] = j->act_out[l] = j->rh[l] = NULL;
  }
}

/* Input of layer l for the current forward. */
static const double *layer_input(const rlz_jet *j, int64_t l, const double *x) {
  return l == 0 ? x : j->act_out[l - 1];
}

const double *rlz_jet_forward(rlz_jet *j, const double *p, const double *x, int64_t n) {
  for (int64_t l = 0; l < j->L; l++) {
    int64_t r = j->rows[l], c = j->cols[l];
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, n, r, c, j->wmul[l], layer_input(j, l, x), c,
                 p + j->woff[l], c, 0.0, j->h[l], r);
    for (int64_t i = 0; i < n; i++)
      for (int64_t k = 0; k < r; k++) {
        double *hv = &j->h[l][i * r + k];
        if (j->boff[l] >= 0)
          *hv += j->bmul[l] * p[j->boff[l] + k];
        j->act_out[l][i * r + k] = l < j->L - 1 ? rlz_jet_phi(j->act, *hv) : *hv;
      }
  }
  return j->h[j->L - 1];
}

void rlz_jet_output(rlz_jet *j, const double *x, int64_t n, double *out) {
  int64_t nc = n * j->C;
  if (j->centering == RICHETA_CENTERING_FROZEN) {
    memcpy(j->f0, rlz_jet_forward(j, j->theta0, x, n), (size_t)nc * sizeof(double));
  }
  const double *f = rlz_jet_forward(j, j->theta, x, n);
  for (int64_t i = 0; i < nc; i++)
    out[i] = f[i] - (j->centering == RICHETA_CENTERING_FROZEN ? j->f0[i] : 0.0);
}

double rlz_jet_loss_grad_out(rlz_jet *j, const double *fc, const double *y, int64_t n) {
  int64_t C = j->C;
  double loss = 0;
  if (j->loss == RICHETA_LOSS_MSE) {
    double scale = 1.0 / (double)(n * C);
    for (int64_t i = 0; i < n * C; i++) {
      double r = fc[i] - y[i];
      loss += r * r;
      j->g[i] = 2 * r * scale;
    }
    return loss * scale;
  }
  for (int64_t i = 0; i < n; i++) {
    const double *f = fc + i * C, *t = y + i * C;
    double mx = f[0], sum = 0, ysum = 0;
    for (int64_t c = 1; c < C; c++)
      mx = f[c] > mx ? f[c] : mx;
    for (int64_t c = 0; c < C; c++) {
      sum += exp(f[c] - mx);
      ysum += t[c];
    }
    double lse = mx + log(sum);
    for (int64_t c = 0; c < C; c++) {
      loss -= t[c] * (f[c] - lse);
      j->g[i * C + c] = (ysum * exp(f[c] - lse) - t[c]) / (double)n;
    }
  }
  return loss / (double)n;
}

/* H_f r into j->rg for the current centered output fc. */
static void loss_hessian_out(rlz_jet *j, const double *fc, const double *y, const double *r,
                             int64_t n) {
  int64_t C = j->C;
  if (j->loss == RICHETA_LOSS_MSE) {
    for (int64_t i = 0; i < n * C; i++)
      j->rg[i] = 2 * r[i] / (double)(n * C);
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    const double *f = fc + i * C, *t = y + i * C, *ri = r + i * C;
    double mx = f[0], sum = 0, ysum = 0, pr = 0;
    for (int64_t c = 1; c < C; c++)
      mx = f[c] > mx ? f[c] : mx;
    for (int64_t c = 0; c < C; c++) {
      sum += exp(f[c] - mx);
      ysum += t[c];
    }
    for (int64_t c = 0; c < C; c++)
      pr += exp(f[c] - mx) / sum * ri[c];
    for (int64_t c = 0; c < C; c++) {
      double p = exp(f[c] - mx) / sum;
      j->rg[i * C + c] = ysum * (p * ri[c] - p * pr) / (double)n;
    }
  }
}

/* R{h_l} for direction v (the forward for theta must be current). */
static void r_forward(rlz_jet *j, const double *x, int64_t n, const double *v) {
  for (int64_t l = 0; l < j->L; l++) {
    int64_t r = j->rows[l], c = j->cols[l];
    const double *p = j->theta;
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, n, r, c, j->wmul[l], layer_input(j, l, x), c,
                 v + j->woff[l], c, 0.0, j->rh[l], r);
    if (l > 0) {
      /* R{a_l} = phi'(h_{l-1}) * R{h_{l-1}}, staged in u */
      int64_t pc = j->rows[l - 1];
      for (int64_t i = 0; i < n * pc; i++)
        j->u[i] = rlz_jet_dphi(j->act, j->h[l - 1][i]) * j->rh[l - 1][i];
      rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, n, r, c, j->wmul[l], j->u, c, p + j->woff[l], c,
                   1.0, j->rh[l], r);
    }
    if (j->boff[l] >= 0)
      for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < r; k++)
          j->rh[l][i * r + k] += j->bmul[l] * v[j->boff[l] + k];
  }
}

/* Backward pass. With second_order, propagates (delta, R{delta}) and writes
 * R{grad} = H v; otherwise propagates delta only and writes the gradient
 * for the seed delta (used for the gradient and for Gauss-Newton). */
static void backward(rlz_jet *j, const double *x, int64_t n, const double *v, int second_order,
                     double *out) {
  double *d = j->delta, *rd = j->rdelta, *dn = j->delta2, *rdn = j->rdelta2;
  for (int64_t l = j->L - 1; l >= 0; l--) {
    int64_t r = j->rows[l], c = j->cols[l];
    const double *a = layer_input(j, l, x);
    double s = j->wmul[l];
    double *gw = out + j->woff[l];
    if (!second_order) {
      rlz_gemm_f64(RLZ_TRANS, RLZ_NO_TRANS, r, c, n, s, d, r, a, c, 0.0, gw, c);
    } else {
      rlz_gemm_f64(RLZ_TRANS, RLZ_NO_TRANS, r, c, n, s, rd, r, a, c, 0.0, gw, c);
      if (l > 0) { /* + delta^T R{a_l} */
        int64_t pc = j->rows[l - 1];
        for (int64_t i = 0; i < n * pc; i++)
          j->ru[i] = rlz_jet_dphi(j->act, j->h[l - 1][i]) * j->rh[l - 1][i];
        rlz_gemm_f64(RLZ_TRANS, RLZ_NO_TRANS, r, c, n, s, d, r, j->ru, c, 1.0, gw, c);
      }
    }
    if (j->boff[l] >= 0) {
      const double *src = second_order ? rd : d;
      for (int64_t k = 0; k < r; k++) {
        double acc = 0;
        for (int64_t i = 0; i < n; i++)
          acc += src[i * r + k];
        out[j->boff[l] + k] = j->bmul[l] * acc;
      }
    }
    if (l == 0)
      break;
    /* u = s delta W_l; delta_{l-1} = phi'(h_{l-1}) * u */
    const double *W = j->theta + j->woff[l];
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, n, c, r, s, d, r, W, c, 0.0, j->u, c);
    if (second_order) {
      rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, n, c, r, s, rd, r, W, c, 0.0, j->ru, c);
      rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, n, c, r, s, d, r, v + j->woff[l], c, 1.0, j->ru,
                   c);
    }
    const double *hp = j->h[l - 1], *rhp = j->rh[l - 1];
    for (int64_t i = 0; i < n * c; i++) {
      double dp = rlz_jet_dphi(j->act, hp[i]);
      dn[i] = dp * j->u[i];
      if (second_order)
        rdn[i] = d2phi(j->act, hp[i]) * rhp[i] * j->u[i] + dp * j->ru[i];
    }
    double *t = d;
    d = dn;
    dn = t;
    t = rd;
    rd = rdn;
    rdn = t;
  }
}

/* Forward with centering, centered output into j->rg (scratch). */
static const double *centered_forward(rlz_jet *j, const double *x, int64_t n) {
  rlz_jet_output(j, x, n, j->rg);
  return j->rg;
}

double rlz_jet_gradient(rlz_jet *j, const double *x, const double *y, int64_t n, double *grad) {
  const double *fc = centered_forward(j, x, n);
  double loss = rlz_jet_loss_grad_out(j, fc, y, n);
  memcpy(j->delta, j->g, (size_t)(n * j->C) * sizeof(double));
  backward(j, x, n, NULL, 0, grad);
  return loss;
}

void rlz_jet_hvp(rlz_jet *j, const double *x, const double *y, int64_t n, const double *v,
                 double *hv) {
  /* keep the centered output: rg is reused for H_f R{f} below */
  double *fc = j->u; /* u is free until backward; n*C <= n*wmax */
  rlz_jet_output(j, x, n, fc);
  rlz_jet_loss_grad_out(j, fc, y, n);
  r_forward(j, x, n, v);
  /* r_forward used u as scratch: recompute the centered output into delta2 */
  double *fc2 = j->delta2;
  int64_t nc = n * j->C;
  const double *f = j->h[j->L - 1];
  for (int64_t i = 0; i < nc; i++)
    fc2[i] = f[i] - (j->centering == RICHETA_CENTERING_FROZEN ? j->f0[i] : 0.0);
  loss_hessian_out(j, fc2, y, j->rh[j->L - 1], n);
  memcpy(j->delta, j->g, (size_t)nc * sizeof(double));
  memcpy(j->rdelta, j->rg, (size_t)nc * sizeof(double));
  backward(j, x, n, v, 1, hv);
}

void rlz_jet_gnvp(rlz_jet *j, const double *x, const double *y, int64_t n, const double *v,
                  double *out) {
  double *fc = j->u;
  rlz_jet_output(j, x, n, fc);
  r_forward(j, x, n, v);
  int64_t nc = n * j->C;
  double *fc2 = j->delta2;
  const double *f = j->h[j->L - 1];
  for (int64_t i = 0; i < nc; i++)
    fc2[i] = f[i] - (j->centering == RICHETA_CENTERING_FROZEN ? j->f0[i] : 0.0);
  loss_hessian_out(j, fc2, y, j->rh[j->L - 1], n);
  memcpy(j->delta, j->rg, (size_t)nc * sizeof(double));
  backward(j, x, n, NULL, 0, out);
}
