/* Kernel diagnostics: empirical NTK (from per-layer backpropagated deltas,
 * never materializing per-sample gradients), feature kernels, symmetric
 * eigenvalues, kernel-target alignment, CKA and NTK kernel regression. */
#include "diag/diag_internal.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

/* Rows of the Jacobian held at once are capped: K is built from blocks
 * of rows, two at a time (rows of one sample's outputs are recomputed for
 * each block pair when they do not fit together). */
#define NTK_BLOCK_BYTES ((size_t)256 << 20)

/* Rows [r0, r0 + nr) of the Jacobian of the (uncentered) output on x with
 * parameters p: row (i, c) = d f_c(x_i) / d theta, from one forward of
 * sample i and one backward per output. */
static richeta_status jacobian_rows(rlz_dnet *d, const double *p, const double *x, int64_t r0,
                                    int64_t nr, double *J) {
  int64_t C = d->C;
  int last = d->g->n - 1;
  richeta_status st = RICHETA_OK;
  int64_t cur = -1;
  for (int64_t r = r0; r < r0 + nr && st == RICHETA_OK; r++) {
    int64_t i = r / C, c = r % C;
    if (i != cur) {
      rlz_dnet_bn(d, p);
      st = rlz_net_forward(d->net, p, x + i * d->D, 0, last, 1, d->f);
      cur = i;
    }
    if (st != RICHETA_OK)
      break;
    memset(d->g0, 0, (size_t)C * sizeof(double));
    d->g0[c] = 1.0;
    double bound = 0;
    st = rlz_net_backward(d->net, p, x + i * d->D, 1, d->g0, J + (r - r0) * d->P, true, &bound);
  }
  return st;
}

/* K (n*C square) of the parameters p on x (n samples): K = J J^T. */
static richeta_status ntk_into(rlz_dnet *d, const double *p, const double *x, int64_t n,
                               double *K) {
  int64_t nc = n * d->C, P = d->P;
  size_t per_row = (size_t)P * sizeof(double);
  int64_t br = (int64_t)(NTK_BLOCK_BYTES / 2 / per_row);
  br = br < 1 ? 1 : br > nc ? nc : br;
  double *JA = rlz_calloc(d->alloc, (size_t)(br * P), sizeof(double));
  double *JB = br < nc ? rlz_calloc(d->alloc, (size_t)(br * P), sizeof(double)) : NULL;
  double *KB = rlz_calloc(d->alloc, (size_t)(br * br), sizeof(double));
  richeta_status st = RICHETA_OK;
  if (!JA || !KB || (br < nc && !JB))
    st = rlz_fail(d->err, RICHETA_ERR_NOMEM,
                  "cannot allocate a Jacobian block of %lld rows x %lld parameters", (long long)br,
                  (long long)P);
  for (int64_t a0 = 0; st == RICHETA_OK && a0 < nc; a0 += br) {
    int64_t na = nc - a0 < br ? nc - a0 : br;
    st = jacobian_rows(d, p, x, a0, na, JA);
    for (int64_t b0 = a0; st == RICHETA_OK && b0 < nc; b0 += br) {
      int64_t nb = nc - b0 < br ? nc - b0 : br;
      const double *JBp = JA;
      if (b0 != a0) {
        st = jacobian_rows(d, p, x, b0, nb, JB);
        JBp = JB;
      }
      if (st == RICHETA_OK)
        st = rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, na, nb, P, 1.0, JA, P, JBp, P, 0.0, KB, nb);
      for (int64_t u = 0; st == RICHETA_OK && u < na; u++)
        for (int64_t v = 0; v < nb; v++) {
          K[(a0 + u) * nc + b0 + v] = KB[u * nb + v];
          K[(b0 + v) * nc + a0 + u] = KB[u * nb + v];
        }
    }
  }
  rlz_free(d->alloc, JA);
  rlz_free(d->alloc, JB);
  rlz_free(d->alloc, KB);
  return st;
}

richeta_status richeta_diag_ntk(richeta_model *model, const double *x, int64_t batch, int initial,
                                double *kernel, int64_t cap) {
  richeta_status s = rlz_diag_check_batch(model, x, NULL, batch, 0);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!kernel)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_ntk: kernel is NULL");
  int64_t C = 0, nc, need;
  richeta_model_get_int(model, RICHETA_PARAM_OUTPUT_DIM, &C);
  if (!rlz_mul_i64(batch, C, &nc) || !rlz_mul_i64(nc, nc, &need))
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "NTK size overflows");
  if (cap < need)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "NTK needs %lld doubles, buffer has %lld",
                    (long long)need, (long long)cap);
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  if (s == RICHETA_OK)
    s = ntk_into(&j, initial ? j.theta0 : j.theta, x, batch, kernel);
  rlz_dnet_free(&j);
  return s;
}

richeta_status richeta_diag_feature_kernel(richeta_model *model, const double *x, int64_t batch,
                                           int64_t layer, double *kernel, int64_t cap) {
  richeta_status s = rlz_diag_check_batch(model, x, NULL, batch, 0);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!kernel)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_feature_kernel: kernel is NULL");
  const rlz_graph *g = rlz_model_graph(model);
  int64_t need;
  if (layer < -1 || layer >= g->nlayers - 1)
    return rlz_fail(e, RICHETA_ERR_RANGE, "hidden layer %lld outside [-1, %lld)", (long long)layer,
                    (long long)(g->nlayers - 1));
  if (!rlz_mul_i64(batch, batch, &need))
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "kernel size overflows");
  if (cap < need)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "kernel needs %lld doubles, buffer has %lld",
                    (long long)need, (long long)cap);
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  if (s == RICHETA_OK && layer >= 0)
    s = rlz_net_forward(j.net, j.theta, x, 0, g->n - 1, batch, j.f);
  if (s == RICHETA_OK) {
    /* the activations a layer hands on: its node's output */
    int node = layer < 0 ? 0 : rlz_graph_layer_node(g, layer);
    const double *f = layer < 0 ? x : rlz_net_output(j.net, node);
    int64_t w = g->nodes[node].size;
    s = rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, batch, batch, w, 1.0 / (double)w, f, w, f, w, 0.0,
                     kernel, batch);
  }
  rlz_dnet_free(&j);
  return s;
}

richeta_status richeta_diag_eigenvalues(int64_t n, const double *matrix, double *eigenvalues) {
  if (!matrix || !eigenvalues)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_diag_eigenvalues: NULL argument");
  if (n < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "order must be >= 1 (got %lld)", (long long)n);
  int64_t nn;
  if (!rlz_mul_i64(n, n, &nn))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "matrix size overflows");
  for (int64_t i = 0; i < nn; i++)
    if (!isfinite(matrix[i]))
      return rlz_fail(NULL, RICHETA_ERR_NONFINITE, "matrix entry %lld is not finite", (long long)i);
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  double *copy = rlz_calloc(&a, (size_t)nn, sizeof(double));
  double *w = rlz_calloc(&a, (size_t)n, sizeof(double));
  richeta_status s = RICHETA_OK;
  if (!copy || !w)
    s = rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a %lld x %lld copy", (long long)n,
                 (long long)n);
  if (s == RICHETA_OK) {
    memcpy(copy, matrix, (size_t)nn * sizeof(double));
    s = rlz_syev_f64(false, n, copy, n, w);
    if (s != RICHETA_OK)
      rlz_fail(NULL, s, "LAPACK symmetric eigensolver failed");
    for (int64_t i = 0; s == RICHETA_OK && i < n; i++)
      eigenvalues[i] = w[n - 1 - i];
  }
  rlz_free(&a, copy);
  rlz_free(&a, w);
  return s;
}

richeta_status richeta_diag_kernel_alignment(int64_t n, const double *kernel, const double *y,
                                             int64_t samples, int64_t outputs, double *alignment) {
  if (!kernel || !y || !alignment)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_diag_kernel_alignment: NULL argument");
  if (n < 1 || samples < 1 || outputs < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "sizes must be >= 1");
  int64_t so;
  if (!rlz_mul_i64(samples, outputs, &so))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "samples x outputs overflows");
  int vector_form = so == n; /* NTK: Y is the n-vector of targets */
  if (!vector_form && samples != n)
    return rlz_fail(NULL, RICHETA_ERR_MISMATCH,
                    "kernel order %lld fits neither samples*outputs (%lld) nor samples (%lld)",
                    (long long)n, (long long)so, (long long)samples);
  /* <K, T>, |K|, |T| with T = y y^T (vector form) or Y Y^T */
  double kt = 0, kk = 0, tt = 0;
  for (int64_t u = 0; u < n; u++)
    for (int64_t v = 0; v < n; v++) {
      double t = 0;
      if (vector_form) {
        t = y[u] * y[v];
      } else {
        for (int64_t c = 0; c < outputs; c++)
          t += y[u * outputs + c] * y[v * outputs + c];
      }
      double k = kernel[u * n + v];
      kt += k * t;
      kk += k * k;
      tt += t * t;
    }
  if (kk == 0 || tt == 0)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "alignment undefined: zero kernel or targets");
  *alignment = kt / sqrt(kk * tt);
  return RICHETA_OK;
}

richeta_status richeta_diag_cka(int64_t n, const double *k1, const double *k2, double *cka) {
  if (!k1 || !k2 || !cka)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_diag_cka: NULL argument");
  if (n < 2)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "CKA needs n >= 2 (got %lld)", (long long)n);
  int64_t nn;
  if (!rlz_mul_i64(n, n, &nn))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "kernel size overflows");
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  double *m = rlz_calloc(&a, (size_t)(2 * n), sizeof(double));
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate CKA means");
  double *r1 = m, *r2 = m + n;
  /* Double centering HKH[i][j] = K_ij - row_i - col_j + all (K symmetric). */
  double all1 = 0, all2 = 0;
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < n; j++) {
      r1[i] += k1[i * n + j];
      r2[i] += k2[i * n + j];
    }
    r1[i] /= (double)n;
    r2[i] /= (double)n;
    all1 += r1[i];
    all2 += r2[i];
  }
  all1 /= (double)n;
  all2 /= (double)n;
  double x12 = 0, x11 = 0, x22 = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      double c1 = k1[i * n + j] - r1[i] - r1[j] + all1;
      double c2 = k2[i * n + j] - r2[i] - r2[j] + all2;
      x12 += c1 * c2;
      x11 += c1 * c1;
      x22 += c2 * c2;
    }
  rlz_free(&a, m);
  if (x11 == 0 || x22 == 0)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "CKA undefined: a kernel is constant after centering");
  *cka = x12 / sqrt(x11 * x22);
  return RICHETA_OK;
}

richeta_status richeta_diag_kernel_regression(richeta_model *model, const double *x_train,
                                              const double *y_train, int64_t n_train,
                                              const double *x_test, int64_t n_test, double ridge,
                                              double *pred) {
  if (!model)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_diag_kernel_regression: model is NULL");
  rlz_err *e = rlz_model_err(model);
  if (!x_train || !y_train || !x_test || !pred)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_kernel_regression: NULL argument");
  if (n_train < 1 || n_test < 1 || n_train > (1 << 20) || n_test > (1 << 20))
    return rlz_fail(e, RICHETA_ERR_RANGE, "sample counts must be in [1, 2^20]");
  if (!isfinite(ridge))
    return rlz_fail(e, RICHETA_ERR_NONFINITE, "ridge must be finite");
  if (ridge < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "ridge must be >= 0 (got %g)", ridge);
  int64_t n = n_train + n_test;
  rlz_dnet j;
  richeta_status s = rlz_dnet_init(&j, model, n);
  int64_t C = j.C, D = j.D, nc = n * C, tc = n_train * C, sc = n_test * C;
  int last = j.g ? j.g->n - 1 : 0;
  double *X = NULL, *K = NULL, *Ktt = NULL, *alpha = NULL, *f0 = NULL;
  if (s == RICHETA_OK) {
    X = rlz_calloc(j.alloc, (size_t)(n * D), sizeof(double));
    K = rlz_calloc(j.alloc, (size_t)(nc * nc), sizeof(double));
    Ktt = rlz_calloc(j.alloc, (size_t)(tc * tc), sizeof(double));
    alpha = rlz_calloc(j.alloc, (size_t)tc, sizeof(double));
    f0 = rlz_calloc(j.alloc, (size_t)nc, sizeof(double));
    if (!X || !K || !Ktt || !alpha || !f0)
      s = rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate kernel regression workspaces");
  }
  if (s == RICHETA_OK) {
    memcpy(X, x_train, (size_t)(n_train * D) * sizeof(double));
    memcpy(X + n_train * D, x_test, (size_t)(n_test * D) * sizeof(double));
    s = ntk_into(&j, j.theta0, X, n, K);
  }
  if (s == RICHETA_OK) {
    /* the network at theta0: zero when centered */
    if (!j.centered) {
      rlz_dnet_bn(&j, j.theta0);
      s = rlz_net_forward(j.net, j.theta0, X, 0, last, n, f0);
    }
  }
  if (s == RICHETA_OK) {
    for (int64_t u = 0; u < tc; u++) {
      for (int64_t v = 0; v < tc; v++)
        Ktt[u * tc + v] = K[u * nc + v];
      Ktt[u * tc + u] += ridge;
      alpha[u] = y_train[u] - f0[u];
    }
    s = rlz_posv_f64(tc, 1, Ktt, tc, alpha, 1);
    if (s != RICHETA_OK)
      s = rlz_fail(e, s, "kernel matrix plus ridge %g is not positive definite", ridge);
  }
  if (s == RICHETA_OK) {
    for (int64_t u = 0; u < sc; u++) {
      double acc = f0[tc + u];
      for (int64_t v = 0; v < tc; v++)
        acc += K[(tc + u) * nc + v] * alpha[v];
      pred[u] = acc;
    }
  }
  rlz_free(j.alloc, X);
  rlz_free(j.alloc, K);
  rlz_free(j.alloc, Ktt);
  rlz_free(j.alloc, alpha);
  rlz_free(j.alloc, f0);
  rlz_dnet_free(&j);
  return s;
}
