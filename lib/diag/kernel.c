/* Kernel diagnostics: empirical NTK (from per-layer backpropagated deltas,
 * never materializing per-sample gradients), feature kernels, symmetric
 * eigenvalues, kernel-target alignment, CKA and NTK kernel regression. */
#include "diag/diag_internal.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

/* K (n*C square) of the parameters p on x (n samples); j sized for n. */
static richeta_status ntk_into(rlz_jet *j, const double *p, const double *x, int64_t n,
                               double *K) {
  int64_t C = j->C, nc = n * C;
  richeta_status s = RICHETA_OK;
  double *Dl[RLZ_JET_MAX_LAYERS] = {0};
  double *G = rlz_calloc(j->alloc, (size_t)(nc * nc), sizeof(double));
  double *A = rlz_calloc(j->alloc, (size_t)(n * n), sizeof(double));
  if (!G || !A)
    s = RICHETA_ERR_NOMEM;
  for (int64_t l = 0; s == RICHETA_OK && l < j->L; l++) {
    Dl[l] = rlz_calloc(j->alloc, (size_t)(nc * j->rows[l]), sizeof(double));
    if (!Dl[l])
      s = RICHETA_ERR_NOMEM;
  }
  if (s != RICHETA_OK) {
    s = rlz_fail(j->err, RICHETA_ERR_NOMEM, "cannot allocate NTK workspaces for %lld samples",
                 (long long)n);
    goto done;
  }
  rlz_jet_forward(j, p, x, n);
  /* Readout deltas: row (i,c) of D_{L-1} is e_c. */
  for (int64_t r = 0; r < nc; r++)
    Dl[j->L - 1][r * C + r % C] = 1.0;
  /* Propagate: D_{l-1}[(i,c)] = phi'(h_{l-1}[i]) * (s_l D_l[(i,c)] W_l) */
  for (int64_t l = j->L - 1; l > 0; l--) {
    int64_t r = j->rows[l], c = j->cols[l];
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, nc, c, r, j->wmul[l], Dl[l], r, p + j->woff[l], c,
                 0.0, Dl[l - 1], c);
    for (int64_t row = 0; row < nc; row++) {
      const double *h = j->h[l - 1] + (row / C) * c;
      double *d = Dl[l - 1] + row * c;
      for (int64_t k = 0; k < c; k++)
        d[k] *= rlz_jet_dphi(j->act, h[k]);
    }
  }
  memset(K, 0, (size_t)(nc * nc) * sizeof(double));
  for (int64_t l = 0; l < j->L; l++) {
    int64_t r = j->rows[l], c = j->cols[l];
    const double *a = l == 0 ? x : j->act_out[l - 1];
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, nc, nc, r, 1.0, Dl[l], r, Dl[l], r, 0.0, G, nc);
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, n, n, c, 1.0, a, c, a, c, 0.0, A, n);
    double ws = j->wmul[l] * j->wmul[l], bs = j->boff[l] >= 0 ? j->bmul[l] * j->bmul[l] : 0.0;
    for (int64_t u = 0; u < nc; u++)
      for (int64_t v = 0; v < nc; v++)
        K[u * nc + v] += G[u * nc + v] * (ws * A[(u / C) * n + v / C] + bs);
  }
done:
  for (int64_t l = 0; l < RLZ_JET_MAX_LAYERS; l++)
    rlz_free(j->alloc, Dl[l]);
  rlz_free(j->alloc, G);
  rlz_free(j->alloc, A);
  return s;
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
  rlz_jet j;
  s = rlz_jet_init(&j, model, batch);
  if (s == RICHETA_OK)
    s = ntk_into(&j, initial ? j.theta0 : j.theta, x, batch, kernel);
  rlz_jet_free(&j);
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
  int64_t L = 0, need;
  richeta_model_get_int(model, RICHETA_PARAM_DEPTH, &L);
  if (layer < -1 || layer >= L - 1)
    return rlz_fail(e, RICHETA_ERR_RANGE, "hidden layer %lld outside [-1, %lld)",
                    (long long)layer, (long long)(L - 1));
  if (!rlz_mul_i64(batch, batch, &need))
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "kernel size overflows");
  if (cap < need)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "kernel needs %lld doubles, buffer has %lld",
                    (long long)need, (long long)cap);
  rlz_jet j;
  s = rlz_jet_init(&j, model, batch);
  if (s == RICHETA_OK) {
    rlz_jet_forward(&j, j.theta, x, batch);
    const double *f = layer < 0 ? x : j.act_out[layer];
    int64_t w = layer < 0 ? j.D : j.rows[layer];
    rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, batch, batch, w, 1.0 / (double)w, f, w, f, w, 0.0,
                 kernel, batch);
  }
  rlz_jet_free(&j);
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
      return rlz_fail(NULL, RICHETA_ERR_NONFINITE, "matrix entry %lld is not finite",
                      (long long)i);
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
                                             int64_t samples, int64_t outputs,
                                             double *alignment) {
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
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "CKA undefined: a kernel is constant after centering");
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
  rlz_jet j;
  richeta_status s = rlz_jet_init(&j, model, n);
  int64_t C = j.C, D = j.D, nc = n * C, tc = n_train * C, sc = n_test * C;
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
    if (j.centering != RICHETA_CENTERING_FROZEN)
      memcpy(f0, rlz_jet_forward(&j, j.theta0, X, n), (size_t)nc * sizeof(double));
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
  rlz_jet_free(&j);
  return s;
}
