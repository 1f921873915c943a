/* Naive reference implementations of the numerics seam: plain loops that
 * are easy to check by eye. They are the oracle of the differential tests
 * and the whole backend of -Dblas=none builds, so they honour the same
 * contracts (numeric.h) as the BLAS/LAPACK wrappers. f32 products are
 * accumulated in double. */
#include "numeric.h"
#include "numeric_args.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REF_LIMIT INT64_MAX

/* Element (i, j) of op(X) for a row-major X with leading dimension ld. */
#define OP(X, t, i, j, ld) ((t) == RLZ_NO_TRANS ? (X)[(i) * (ld) + (j)] : (X)[(j) * (ld) + (i)])

richeta_status rlz_ref_gemm_f32(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                                float alpha, const float *A, int64_t lda, const float *B,
                                int64_t ldb, float beta, float *C, int64_t ldc) {
  richeta_status st =
      rlz_num_check_gemm(REF_LIMIT, sizeof(float), ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
  if (st != RICHETA_OK || m == 0 || n == 0)
    return st;
  if (k == 0 || alpha == 0.0f) {
    rlz_num_scale_f32(m, n, beta, C, ldc);
    return RICHETA_OK;
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0.0;
      for (int64_t l = 0; l < k; l++)
        s += (double)OP(A, ta, i, l, lda) * (double)OP(B, tb, l, j, ldb);
      double c = (double)alpha * s;
      if (beta != 0.0f)
        c += (double)beta * (double)C[i * ldc + j];
      C[i * ldc + j] = (float)c;
    }
  return RICHETA_OK;
}

richeta_status rlz_ref_gemm_f64(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                                double alpha, const double *A, int64_t lda, const double *B,
                                int64_t ldb, double beta, double *C, int64_t ldc) {
  richeta_status st =
      rlz_num_check_gemm(REF_LIMIT, sizeof(double), ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
  if (st != RICHETA_OK || m == 0 || n == 0)
    return st;
  if (k == 0 || alpha == 0.0) {
    rlz_num_scale_f64(m, n, beta, C, ldc);
    return RICHETA_OK;
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0.0;
      for (int64_t l = 0; l < k; l++)
        s += OP(A, ta, i, l, lda) * OP(B, tb, l, j, ldb);
      double c = alpha * s;
      if (beta != 0.0)
        c += beta * C[i * ldc + j];
      C[i * ldc + j] = c;
    }
  return RICHETA_OK;
}

richeta_status rlz_ref_gemv_f32(rlz_trans ta, int64_t m, int64_t n, float alpha, const float *A,
                                int64_t lda, const float *x, float beta, float *y) {
  richeta_status st = rlz_num_check_gemv(REF_LIMIT, sizeof(float), ta, m, n, A, lda, x, y);
  if (st != RICHETA_OK)
    return st;
  const int64_t rows = ta == RLZ_NO_TRANS ? m : n, inner = ta == RLZ_NO_TRANS ? n : m;
  for (int64_t i = 0; i < rows; i++) {
    double s = 0.0;
    if (alpha != 0.0f)
      for (int64_t l = 0; l < inner; l++)
        s += (double)OP(A, ta, i, l, lda) * (double)x[l];
    double v = (double)alpha * s;
    if (beta != 0.0f)
      v += (double)beta * (double)y[i];
    y[i] = (float)v;
  }
  return RICHETA_OK;
}

richeta_status rlz_ref_gemv_f64(rlz_trans ta, int64_t m, int64_t n, double alpha, const double *A,
                                int64_t lda, const double *x, double beta, double *y) {
  richeta_status st = rlz_num_check_gemv(REF_LIMIT, sizeof(double), ta, m, n, A, lda, x, y);
  if (st != RICHETA_OK)
    return st;
  const int64_t rows = ta == RLZ_NO_TRANS ? m : n, inner = ta == RLZ_NO_TRANS ? n : m;
  for (int64_t i = 0; i < rows; i++) {
    double s = 0.0;
    if (alpha != 0.0)
      for (int64_t l = 0; l < inner; l++)
        s += OP(A, ta, i, l, lda) * x[l];
    double v = alpha * s;
    if (beta != 0.0)
      v += beta * y[i];
    y[i] = v;
  }
  return RICHETA_OK;
}

richeta_status rlz_ref_ger_f32(int64_t m, int64_t n, float alpha, const float *x, const float *y,
                               float *A, int64_t lda) {
  richeta_status st = rlz_num_check_ger(REF_LIMIT, sizeof(float), m, n, x, y, A, lda);
  if (st != RICHETA_OK || alpha == 0.0f)
    return st;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      A[i * lda + j] =
          (float)((double)A[i * lda + j] + (double)alpha * (double)x[i] * (double)y[j]);
  return RICHETA_OK;
}

richeta_status rlz_ref_ger_f64(int64_t m, int64_t n, double alpha, const double *x, const double *y,
                               double *A, int64_t lda) {
  richeta_status st = rlz_num_check_ger(REF_LIMIT, sizeof(double), m, n, x, y, A, lda);
  if (st != RICHETA_OK || alpha == 0.0)
    return st;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      A[i * lda + j] += alpha * x[i] * y[j];
  return RICHETA_OK;
}

richeta_status rlz_ref_axpy_f32(int64_t n, float alpha, const float *x, float *y) {
  richeta_status st = rlz_num_check_vec(REF_LIMIT, sizeof(float), n, x, true, y);
  if (st != RICHETA_OK || alpha == 0.0f)
    return st;
  for (int64_t i = 0; i < n; i++)
    y[i] += alpha * x[i];
  return RICHETA_OK;
}

richeta_status rlz_ref_axpy_f64(int64_t n, double alpha, const double *x, double *y) {
  richeta_status st = rlz_num_check_vec(REF_LIMIT, sizeof(double), n, x, true, y);
  if (st != RICHETA_OK || alpha == 0.0)
    return st;
  for (int64_t i = 0; i < n; i++)
    y[i] += alpha * x[i];
  return RICHETA_OK;
}

richeta_status rlz_ref_scal_f32(int64_t n, float alpha, float *x) {
  richeta_status st = rlz_num_check_vec(REF_LIMIT, sizeof(float), n, x, false, NULL);
  if (st != RICHETA_OK)
    return st;
  for (int64_t i = 0; i < n; i++)
    x[i] = alpha == 0.0f ? 0.0f : alpha * x[i];
  return RICHETA_OK;
}

richeta_status rlz_ref_scal_f64(int64_t n, double alpha, double *x) {
  richeta_status st = rlz_num_check_vec(REF_LIMIT, sizeof(double), n, x, false, NULL);
  if (st != RICHETA_OK)
    return st;
  for (int64_t i = 0; i < n; i++)
    x[i] = alpha == 0.0 ? 0.0 : alpha * x[i];
  return RICHETA_OK;
}

double rlz_ref_dot_f32(int64_t n, const float *x, const float *y) {
  if (rlz_num_check_vec(REF_LIMIT, sizeof(float), n, x, true, y) != RICHETA_OK)
    return NAN;
  double s = 0.0;
  for (int64_t i = 0; i < n; i++)
    s += (double)x[i] * (double)y[i];
  return s;
}

double rlz_ref_dot_f64(int64_t n, const double *x, const double *y) {
  if (rlz_num_check_vec(REF_LIMIT, sizeof(double), n, x, true, y) != RICHETA_OK)
    return NAN;
  double s = 0.0;
  for (int64_t i = 0; i < n; i++)
    s += x[i] * y[i];
  return s;
}

double rlz_ref_nrm2_f32(int64_t n, const float *x) {
  if (rlz_num_check_vec(REF_LIMIT, sizeof(float), n, x, false, NULL) != RICHETA_OK)
    return NAN;
  /* squares of floats cannot overflow a double */
  double s = 0.0;
  for (int64_t i = 0; i < n; i++)
    s += (double)x[i] * (double)x[i];
  return sqrt(s);
}

double rlz_ref_nrm2_f64(int64_t n, const double *x) {
  if (rlz_num_check_vec(REF_LIMIT, sizeof(double), n, x, false, NULL) != RICHETA_OK)
    return NAN;
  /* scaled sum of squares, so that huge or tiny entries neither overflow
   * nor underflow */
  double scale = 0.0, ssq = 1.0;
  for (int64_t i = 0; i < n; i++) {
    double a = fabs(x[i]);
    if (isnan(a))
      return NAN;
    if (a == 0.0)
      continue;
    if (scale < a) {
      ssq = 1.0 + ssq * (scale / a) * (scale / a);
      scale = a;
    } else {
      ssq += (a / scale) * (a / scale);
    }
  }
  return scale * sqrt(ssq);
}

/* ---- Jacobi eigenvalue method ------------------------------------------ */

/* Cyclic Jacobi on the dense symmetric n x n matrix S (contiguous rows,
 * destroyed: its diagonal ends holding the eigenvalues). When V is not
 * NULL it must hold the identity and accumulates the rotations (columns
 * become eigenvectors). Returns INVALID when it fails to converge. */
static richeta_status jacobi(int64_t n, double *S, double *V) {
  double frob = 0.0;
  for (int64_t i = 0; i < n * n; i++)
    frob += S[i] * S[i];
  const double tol = DBL_EPSILON * DBL_EPSILON * frob * 1e-4;
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0.0;
    for (int64_t p = 0; p < n; p++)
      for (int64_t q = p + 1; q < n; q++)
        off += S[p * n + q] * S[p * n + q];
    if (off <= tol || off == 0.0)
      return RICHETA_OK;
    for (int64_t p = 0; p < n; p++)
      for (int64_t q = p + 1; q < n; q++) {
        const double apq = S[p * n + q];
        if (apq == 0.0)
          continue;
        /* rotation angle that zeroes S[p][q]: t = tan(phi), smaller root */
        const double theta = (S[q * n + q] - S[p * n + p]) / (2.0 * apq);
        double t;
        if (fabs(theta) > 1e150)
          t = 0.5 / theta;
        else
          t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
        const double c = 1.0 / sqrt(t * t + 1.0), s = t * c, tau = s / (1.0 + c);
        S[p * n + p] -= t * apq;
        S[q * n + q] += t * apq;
        S[p * n + q] = S[q * n + p] = 0.0;
        for (int64_t r = 0; r < n; r++) {
          if (r == p || r == q)
            continue;
          const double g = S[r * n + p], h = S[r * n + q];
          S[r * n + p] = S[p * n + r] = g - s * (h + g * tau);
          S[r * n + q] = S[q * n + r] = h + s * (g - h * tau);
        }
        if (V)
          for (int64_t r = 0; r < n; r++) {
            const double g = V[r * n + p], h = V[r * n + q];
            V[r * n + p] = g - s * (h + g * tau);
            V[r * n + q] = h + s * (g - h * tau);
          }
      }
  }
  return RICHETA_ERR_INVALID;
}

/* Eigen-decomposition of the symmetric matrix whose lower triangle is
 * given: w ascending, and with vecs != NULL the eigenvectors as columns of
 * vecs (n x n, leading dimension ldv). */
static richeta_status jacobi_lower(int64_t n, const double *A, int64_t lda, double *w, double *vecs,
                                   int64_t ldv) {
  if (n == 0)
    return RICHETA_OK;
  const size_t nn = (size_t)n * (size_t)n;
  if (nn > SIZE_MAX / (2 * sizeof(double)))
    return RICHETA_ERR_OVERFLOW;
  double *S = malloc(nn * sizeof(double) * (vecs ? 2 : 1));
  if (!S)
    return RICHETA_ERR_NOMEM;
  double *V = vecs ? S + nn : NULL;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j <= i; j++)
      S[i * n + j] = S[j * n + i] = A[i * lda + j];
  if (V)
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++)
        V[i * n + j] = i == j ? 1.0 : 0.0;
  richeta_status st = jacobi(n, S, V);
  if (st == RICHETA_OK) {
    /* selection sort of the eigenpairs, ascending */
    int64_t *order = malloc((size_t)n * sizeof(int64_t));
    if (!order) {
      free(S);
      return RICHETA_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++)
      order[i] = i;
    for (int64_t i = 0; i < n; i++) {
      int64_t best = i;
      for (int64_t j = i + 1; j < n; j++)
        if (S[order[j] * n + order[j]] < S[order[best] * n + order[best]])
          best = j;
      int64_t tmp = order[i];
      order[i] = order[best];
      order[best] = tmp;
      w[i] = S[order[i] * n + order[i]];
    }
    if (vecs)
      for (int64_t r = 0; r < n; r++)
        for (int64_t c = 0; c < n; c++)
          vecs[r * ldv + c] = V[r * n + order[c]];
    free(order);
  }
  free(S);
  return st;
}

richeta_status rlz_ref_syev_f64(int64_t n, const double *A, int64_t lda, double *w) {
  richeta_status st = rlz_num_check_syev(REF_LIMIT, n, A, lda, w);
  if (st != RICHETA_OK)
    return st;
  if (!rlz_num_lower_finite(n, A, lda))
    return RICHETA_ERR_NONFINITE;
  return jacobi_lower(n, A, lda, w, NULL, 0);
}

richeta_status rlz_ref_syev_vec_f64(bool vectors, int64_t n, double *A, int64_t lda, double *w) {
  richeta_status st = rlz_num_check_syev(REF_LIMIT, n, A, lda, w);
  if (st != RICHETA_OK)
    return st;
  if (!rlz_num_lower_finite(n, A, lda))
    return RICHETA_ERR_NONFINITE;
  /* jacobi_lower reads A into its own copy before writing the vectors */
  return jacobi_lower(n, A, lda, w, vectors ? A : NULL, lda);
}

richeta_status rlz_ref_stev_f64(int64_t n, double *d, double *e, double *z, int64_t ldz) {
  richeta_status st = rlz_num_check_stev(REF_LIMIT, n, d, e, z, ldz);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_all_finite(1, n, d, n) || !rlz_num_all_finite(1, n - 1, e, n))
    return RICHETA_ERR_NONFINITE;
  const size_t nn = (size_t)n * (size_t)n;
  if (nn > SIZE_MAX / sizeof(double))
    return RICHETA_ERR_OVERFLOW;
  double *T = calloc(nn, sizeof(double));
  if (!T)
    return RICHETA_ERR_NOMEM;
  for (int64_t i = 0; i < n; i++) {
    T[i * n + i] = d[i];
    if (i + 1 < n)
      T[(i + 1) * n + i] = e[i]; /* lower triangle is enough */
  }
  st = jacobi_lower(n, T, n, d, z, ldz);
  free(T);
  return st;
}

/* ---- Cholesky solve --------------------------------------------------- */

richeta_status rlz_ref_posv_f64(int64_t n, int64_t nrhs, double *A, int64_t lda, double *B,
                                int64_t ldb) {
  richeta_status st = rlz_num_check_posv(REF_LIMIT, n, nrhs, A, lda, B, ldb);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_lower_finite(n, A, lda) || !rlz_num_all_finite(n, nrhs, B, ldb))
    return RICHETA_ERR_NONFINITE;
  /* A = L L^T, L overwriting the lower triangle row by row */
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j <= i; j++) {
      double s = A[i * lda + j];
      for (int64_t l = 0; l < j; l++)
        s -= A[i * lda + l] * A[j * lda + l];
      if (i == j) {
        if (!(s > 0.0))
          return RICHETA_ERR_INVALID; /* not positive definite */
        A[i * lda + i] = sqrt(s);
      } else {
        A[i * lda + j] = s / A[j * lda + j];
      }
    }
  for (int64_t c = 0; c < nrhs; c++) {
    for (int64_t i = 0; i < n; i++) { /* L y = b */
      double s = B[i * ldb + c];
      for (int64_t l = 0; l < i; l++)
        s -= A[i * lda + l] * B[l * ldb + c];
      B[i * ldb + c] = s / A[i * lda + i];
    }
    for (int64_t i = n - 1; i >= 0; i--) { /* L^T x = y */
      double s = B[i * ldb + c];
      for (int64_t l = i + 1; l < n; l++)
        s -= A[l * lda + i] * B[l * ldb + c];
      B[i * ldb + c] = s / A[i * lda + i];
    }
  }
  return RICHETA_OK;
}

/* ---- least squares by Householder QR ----------------------------------- */

richeta_status rlz_ref_gels_f64(int64_t m, int64_t n, double *A, int64_t lda, double *b) {
  richeta_status st = rlz_num_check_gels(REF_LIMIT, m, n, A, lda, b);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_all_finite(m, n, A, lda) || !rlz_num_all_finite(1, m, b, m))
    return RICHETA_ERR_NONFINITE;
  for (int64_t j = 0; j < n; j++) {
    /* reflector H = I - 2 v v^T / (v^T v) mapping A[j:m, j] to alpha e_1;
     * v is kept in column j until it has been applied */
    double norm = 0.0;
    for (int64_t i = j; i < m; i++)
      norm = hypot(norm, A[i * lda + j]);
    if (norm == 0.0)
      return RICHETA_ERR_INVALID; /* rank deficient */
    const double alpha = A[j * lda + j] > 0.0 ? -norm : norm;
    A[j * lda + j] -= alpha;
    double vv = 0.0;
    for (int64_t i = j; i < m; i++)
      vv += A[i * lda + j] * A[i * lda + j];
    for (int64_t c = j + 1; c <= n; c++) { /* c == n stands for b */
      double dot = 0.0;
      for (int64_t i = j; i < m; i++)
        dot += A[i * lda + j] * (c < n ? A[i * lda + c] : b[i]);
      const double f = 2.0 * dot / vv;
      for (int64_t i = j; i < m; i++) {
        if (c < n)
          A[i * lda + c] -= f * A[i * lda + j];
        else
          b[i] -= f * A[i * lda + j];
      }
    }
    A[j * lda + j] = alpha;
    for (int64_t i = j + 1; i < m; i++)
      A[i * lda + j] = 0.0;
  }
  for (int64_t i = n - 1; i >= 0; i--) { /* R x = Q^T b */
    double s = b[i];
    for (int64_t l = i + 1; l < n; l++)
      s -= A[i * lda + l] * b[l];
    b[i] = s / A[i * lda + i];
  }
  return RICHETA_OK;
}
