/* Curvature diagnostics: Hessian-vector products, Lanczos top eigenvalues,
 * Hutchinson trace, Gauss-Newton top eigenvalue. */
#include "core/rng.h"
#include "diag/diag_internal.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

#define RLZ_RNG_STREAM_DIAG UINT64_C(0x4449414700000000) /* "DIAG" << 32 */

richeta_status richeta_diag_hvp(richeta_model *model, const double *x, const double *y,
                                int64_t batch, const double *v, double *hv, int64_t len) {
  richeta_status s = rlz_diag_check_batch(model, x, y, batch, 1);
  if (s != RICHETA_OK)
    return s;
  if (!v || !hv)
    return rlz_fail(rlz_model_err(model), RICHETA_ERR_NULL, "richeta_diag_hvp: v or hv is NULL");
  if ((s = rlz_diag_check_hvp(model, "richeta_diag_hvp")) != RICHETA_OK)
    return s;
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  if (s == RICHETA_OK && len != j.P)
    s = rlz_fail(j.err, RICHETA_ERR_MISMATCH, "richeta_diag_hvp: len %lld, model has %lld",
                 (long long)len, (long long)j.P);
  if (s == RICHETA_OK)
    s = rlz_dnet_hvp(&j, x, y, batch, v, hv);
  rlz_dnet_free(&j);
  return s;
}

static void random_unit(uint64_t seed, uint64_t tag, int64_t n, double *v) {
  rlz_rng_normals(seed, RLZ_RNG_STREAM_DIAG + tag, 0, n, v);
  double nrm = rlz_nrm2_f64(n, v);
  rlz_scal_f64(n, 1.0 / nrm, v);
}

richeta_status richeta_diag_hessian_top(richeta_model *model, const double *x, const double *y,
                                        int64_t batch, int64_t k, int64_t iters, uint64_t seed,
                                        double *eigenvalues) {
  richeta_status s = rlz_diag_check_batch(model, x, y, batch, 1);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!eigenvalues)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_hessian_top: eigenvalues is NULL");
  if ((s = rlz_diag_check_hvp(model, "richeta_diag_hessian_top")) != RICHETA_OK)
    return s;
  if (k < 1 || iters < k)
    return rlz_fail(e, RICHETA_ERR_RANGE, "need 1 <= k <= iters (k=%lld, iters=%lld)", (long long)k,
                    (long long)iters);
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  int64_t P = j.P, m = iters < P ? iters : P;
  if (s == RICHETA_OK && k > P)
    s = rlz_fail(e, RICHETA_ERR_RANGE, "k=%lld exceeds the %lld parameters", (long long)k,
                 (long long)P);
  size_t qbytes;
  double *Q = NULL, *w = NULL, *alpha = NULL, *beta = NULL;
  if (s == RICHETA_OK && !rlz_mul_size((size_t)(m + 1), (size_t)P, &qbytes))
    s = rlz_fail(e, RICHETA_ERR_OVERFLOW, "Lanczos basis too large");
  if (s == RICHETA_OK) {
    Q = rlz_calloc(j.alloc, qbytes, sizeof(double));
    w = rlz_calloc(j.alloc, (size_t)P, sizeof(double));
    alpha = rlz_calloc(j.alloc, (size_t)m, sizeof(double));
    beta = rlz_calloc(j.alloc, (size_t)m, sizeof(double));
    if (!Q || !w || !alpha || !beta)
      s = rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate a Lanczos basis of %lld x %lld",
                   (long long)(m + 1), (long long)P);
  }
  if (s == RICHETA_OK) {
    random_unit(seed, 0, P, Q);
    for (int64_t it = 0; it < m && s == RICHETA_OK; it++) {
      double *q = Q + it * P;
      if ((s = rlz_dnet_hvp(&j, x, y, batch, q, w)) != RICHETA_OK)
        break;
      alpha[it] = rlz_dot_f64(P, q, w);
      /* full reorthogonalization, twice for stability */
      for (int pass = 0; pass < 2; pass++)
        for (int64_t i = 0; i <= it; i++) {
          double c = rlz_dot_f64(P, Q + i * P, w);
          rlz_axpy_f64(P, -c, Q + i * P, w);
        }
      double b = rlz_nrm2_f64(P, w);
      if (it + 1 == m)
        break;
      if (b < 1e-12 * (fabs(alpha[it]) + 1e-300)) {
        /* invariant subspace: restart orthogonal to the basis (beta = 0
         * splits the tridiagonal matrix into exact blocks) */
        beta[it] = 0;
        random_unit(seed, (uint64_t)it + 1, P, w);
        for (int pass = 0; pass < 2; pass++)
          for (int64_t i = 0; i <= it; i++)
            rlz_axpy_f64(P, -rlz_dot_f64(P, Q + i * P, w), Q + i * P, w);
        b = rlz_nrm2_f64(P, w);
        memcpy(Q + (it + 1) * P, w, (size_t)P * sizeof(double));
        rlz_scal_f64(P, 1.0 / b, Q + (it + 1) * P);
        continue;
      }
      beta[it] = b;
      memcpy(Q + (it + 1) * P, w, (size_t)P * sizeof(double));
      rlz_scal_f64(P, 1.0 / b, Q + (it + 1) * P);
    }
    if (s == RICHETA_OK && (s = rlz_stev_f64(m, alpha, beta, NULL, 1)) != RICHETA_OK)
      s = rlz_fail(e, s, "LAPACK failed on the Lanczos tridiagonal matrix");
    for (int64_t i = 0; s == RICHETA_OK && i < k; i++)
      eigenvalues[i] = alpha[m - 1 - i];
  }
  rlz_free(j.alloc, Q);
  rlz_free(j.alloc, w);
  rlz_free(j.alloc, alpha);
  rlz_free(j.alloc, beta);
  rlz_dnet_free(&j);
  return s;
}

richeta_status richeta_diag_hessian_trace(richeta_model *model, const double *x, const double *y,
                                          int64_t batch, int64_t probes, uint64_t seed,
                                          double *trace, double *stderr_out) {
  richeta_status s = rlz_diag_check_batch(model, x, y, batch, 1);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!trace)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_hessian_trace: trace is NULL");
  if ((s = rlz_diag_check_hvp(model, "richeta_diag_hessian_trace")) != RICHETA_OK)
    return s;
  if (probes < 1)
    return rlz_fail(e, RICHETA_ERR_RANGE, "probes must be >= 1 (got %lld)", (long long)probes);
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  double *v = NULL, *hv = NULL;
  if (s == RICHETA_OK) {
    v = rlz_calloc(j.alloc, (size_t)j.P, sizeof(double));
    hv = rlz_calloc(j.alloc, (size_t)j.P, sizeof(double));
    if (!v || !hv)
      s = rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate probe vectors");
  }
  if (s == RICHETA_OK) {
    double sum = 0, sum2 = 0;
    for (int64_t p = 0; p < probes && s == RICHETA_OK; p++) {
      for (int64_t i = 0; i < j.P; i++) /* Rademacher +-1 */
        v[i] = (rlz_rng_u64(seed, RLZ_RNG_STREAM_DIAG + 0x100 + (uint64_t)p, (uint64_t)i) >> 63)
                   ? 1.0
                   : -1.0;
      if ((s = rlz_dnet_hvp(&j, x, y, batch, v, hv)) != RICHETA_OK)
        break;
      double t = rlz_dot_f64(j.P, v, hv);
      sum += t;
      sum2 += t * t;
    }
    double mean = sum / (double)probes;
    if (s == RICHETA_OK)
      *trace = mean;
    if (s == RICHETA_OK && stderr_out)
      *stderr_out = probes > 1 ? sqrt(fmax(sum2 / probes - mean * mean, 0) * probes /
                                      (double)(probes - 1) / (double)probes)
                               : NAN;
  }
  rlz_free(j.alloc, v);
  rlz_free(j.alloc, hv);
  rlz_dnet_free(&j);
  return s;
}

richeta_status richeta_diag_gn_top(richeta_model *model, const double *x, const double *y,
                                   int64_t batch, int64_t iters, uint64_t seed, double *lambda) {
  richeta_status s = rlz_diag_check_batch(model, x, y, batch, 1);
  if (s != RICHETA_OK)
    return s;
  rlz_err *e = rlz_model_err(model);
  if (!lambda)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_diag_gn_top: lambda is NULL");
  if (iters < 1)
    return rlz_fail(e, RICHETA_ERR_RANGE, "iters must be >= 1 (got %lld)", (long long)iters);
  rlz_dnet j;
  s = rlz_dnet_init(&j, model, batch);
  double *v = NULL, *gv = NULL;
  if (s == RICHETA_OK) {
    v = rlz_calloc(j.alloc, (size_t)j.P, sizeof(double));
    gv = rlz_calloc(j.alloc, (size_t)j.P, sizeof(double));
    if (!v || !gv)
      s = rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate power-iteration vectors");
  }
  if (s == RICHETA_OK) {
    random_unit(seed, 0x200, j.P, v);
    double lam = 0;
    for (int64_t it = 0; it < iters; it++) {
      if ((s = rlz_dnet_gnvp(&j, x, y, batch, v, gv)) != RICHETA_OK)
        break;
      lam = rlz_dot_f64(j.P, v, gv); /* Rayleigh quotient (GN is PSD) */
      double nrm = rlz_nrm2_f64(j.P, gv);
      if (nrm == 0)
        break;
      memcpy(v, gv, (size_t)j.P * sizeof(double));
      rlz_scal_f64(j.P, 1.0 / nrm, v);
    }
    if (s == RICHETA_OK)
      *lambda = lam;
  }
  rlz_free(j.alloc, v);
  rlz_free(j.alloc, gv);
  rlz_dnet_free(&j);
  return s;
}
