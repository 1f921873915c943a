/* The numerics seam over CBLAS and LAPACKE: the only file of the library
 * that includes <cblas.h> or <lapacke.h>. Sizes arrive as int64_t and are
 * narrowed to the BLAS integer (blasint for OpenBLAS, which may be 64-bit
 * in ILP64 builds; CBLAS_INT or int for another CBLAS) and to lapack_int
 * only after checking that they fit. All calls are row-major.
 *
 * Memory: LAPACKE's row-major path transposes its matrix arguments into
 * temporaries and allocates its work arrays with malloc; BLAS kernels may
 * keep internal buffers. None of that goes through the handle allocator
 * (documented in common.h). */
#if !defined(RLZ_BLAS_OPENBLAS) && !defined(RLZ_BLAS_GENERIC)
#error "blas_cblas.c needs RLZ_BLAS_OPENBLAS or RLZ_BLAS_GENERIC"
#endif

#include "numeric.h"
#include "numeric_args.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(OPENBLAS_VERSION)
typedef blasint rlz_blasint; /* OpenBLAS's own header (also when found as a generic CBLAS) */
#elif defined(CBLAS_INT)
typedef CBLAS_INT rlz_blasint; /* netlib CBLAS >= 3.10 */
#else
typedef int rlz_blasint;
#endif

#define BLAS_LIMIT (sizeof(rlz_blasint) >= 8 ? INT64_MAX : (int64_t)INT32_MAX)
#define LAPACK_LIMIT_RAW (sizeof(lapack_int) >= 8 ? INT64_MAX : (int64_t)INT32_MAX)
/* LAPACK calls go through both integer types (LAPACK calls BLAS inside). */
#define LAPACK_LIMIT (LAPACK_LIMIT_RAW < BLAS_LIMIT ? LAPACK_LIMIT_RAW : BLAS_LIMIT)

/* A BLAS call that may need a work buffer (see rlz_blas_enter). */
#define BLAS_GUARDED(call)                                                                         \
  do {                                                                                             \
    richeta_status guard_ = rlz_blas_enter();                                                      \
    if (guard_ != RICHETA_OK)                                                                      \
      return guard_;                                                                               \
    call;                                                                                          \
    rlz_blas_leave();                                                                              \
  } while (0)

static enum CBLAS_TRANSPOSE cblas_trans(rlz_trans t) {
  return t == RLZ_TRANS ? CblasTrans : CblasNoTrans;
}

/* LAPACKE info to status: > 0 the factorization failed on this input;
 * memory errors are reported as such; any other < 0 means we passed a bad
 * argument, which the checks above should have made impossible. */
static richeta_status lapack_status(lapack_int info) {
  if (info == 0)
    return RICHETA_OK;
  if (info > 0)
    return RICHETA_ERR_INVALID;
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    return RICHETA_ERR_NOMEM;
  return RICHETA_ERR_INTERNAL;
}

/* ---- BLAS level 3 and 2 ----------------------------------------------- */

richeta_status rlz_gemm_f32(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc) {
  richeta_status st =
      rlz_num_check_gemm(BLAS_LIMIT, sizeof(float), ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
  if (st != RICHETA_OK || m == 0 || n == 0)
    return st;
  /* BLAS implementations disagree on k == 0; do the beta scaling here */
  if (k == 0 || alpha == 0.0f) {
    rlz_num_scale_f32(m, n, beta, C, ldc);
    return RICHETA_OK;
  }
  BLAS_GUARDED(cblas_sgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), (rlz_blasint)m,
                           (rlz_blasint)n, (rlz_blasint)k, alpha, A, (rlz_blasint)lda, B,
                           (rlz_blasint)ldb, beta, C, (rlz_blasint)ldc));
  return RICHETA_OK;
}

richeta_status rlz_gemm_f64(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                            double alpha, const double *A, int64_t lda, const double *B,
                            int64_t ldb, double beta, double *C, int64_t ldc) {
  richeta_status st =
      rlz_num_check_gemm(BLAS_LIMIT, sizeof(double), ta, tb, m, n, k, A, lda, B, ldb, C, ldc);
  if (st != RICHETA_OK || m == 0 || n == 0)
    return st;
  if (k == 0 || alpha == 0.0) {
    rlz_num_scale_f64(m, n, beta, C, ldc);
    return RICHETA_OK;
  }
  BLAS_GUARDED(cblas_dgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), (rlz_blasint)m,
                           (rlz_blasint)n, (rlz_blasint)k, alpha, A, (rlz_blasint)lda, B,
                           (rlz_blasint)ldb, beta, C, (rlz_blasint)ldc));
  return RICHETA_OK;
}

richeta_status rlz_gemv_f32(rlz_trans ta, int64_t m, int64_t n, float alpha, const float *A,
                            int64_t lda, const float *x, float beta, float *y) {
  richeta_status st = rlz_num_check_gemv(BLAS_LIMIT, sizeof(float), ta, m, n, A, lda, x, y);
  if (st != RICHETA_OK)
    return st;
  const int64_t ylen = ta == RLZ_NO_TRANS ? m : n, xlen = ta == RLZ_NO_TRANS ? n : m;
  if (ylen == 0)
    return RICHETA_OK;
  if (xlen == 0 || alpha == 0.0f) {
    rlz_num_scale_f32(1, ylen, beta, y, ylen);
    return RICHETA_OK;
  }
  BLAS_GUARDED(cblas_sgemv(CblasRowMajor, cblas_trans(ta), (rlz_blasint)m, (rlz_blasint)n, alpha, A,
                           (rlz_blasint)lda, x, 1, beta, y, 1));
  return RICHETA_OK;
}

richeta_status rlz_gemv_f64(rlz_trans ta, int64_t m, int64_t n, double alpha, const double *A,
                            int64_t lda, const double *x, double beta, double *y) {
  richeta_status st = rlz_num_check_gemv(BLAS_LIMIT, sizeof(double), ta, m, n, A, lda, x, y);
  if (st != RICHETA_OK)
    return st;
  const int64_t ylen = ta == RLZ_NO_TRANS ? m : n, xlen = ta == RLZ_NO_TRANS ? n : m;
  if (ylen == 0)
    return RICHETA_OK;
  if (xlen == 0 || alpha == 0.0) {
    rlz_num_scale_f64(1, ylen, beta, y, ylen);
    return RICHETA_OK;
  }
  BLAS_GUARDED(cblas_dgemv(CblasRowMajor, cblas_trans(ta), (rlz_blasint)m, (rlz_blasint)n, alpha, A,
                           (rlz_blasint)lda, x, 1, beta, y, 1));
  return RICHETA_OK;
}

richeta_status rlz_ger_f32(int64_t m, int64_t n, float alpha, const float *x, const float *y,
                           float *A, int64_t lda) {
  richeta_status st = rlz_num_check_ger(BLAS_LIMIT, sizeof(float), m, n, x, y, A, lda);
  if (st != RICHETA_OK || m == 0 || n == 0 || alpha == 0.0f)
    return st;
  BLAS_GUARDED(cblas_sger(CblasRowMajor, (rlz_blasint)m, (rlz_blasint)n, alpha, x, 1, y, 1, A,
                          (rlz_blasint)lda));
  return RICHETA_OK;
}

richeta_status rlz_ger_f64(int64_t m, int64_t n, double alpha, const double *x, const double *y,
                           double *A, int64_t lda) {
  richeta_status st = rlz_num_check_ger(BLAS_LIMIT, sizeof(double), m, n, x, y, A, lda);
  if (st != RICHETA_OK || m == 0 || n == 0 || alpha == 0.0)
    return st;
  BLAS_GUARDED(cblas_dger(CblasRowMajor, (rlz_blasint)m, (rlz_blasint)n, alpha, x, 1, y, 1, A,
                          (rlz_blasint)lda));
  return RICHETA_OK;
}

/* ---- BLAS level 1 ----------------------------------------------------- */

richeta_status rlz_axpy_f32(int64_t n, float alpha, const float *x, float *y) {
  richeta_status st = rlz_num_check_vec(BLAS_LIMIT, sizeof(float), n, x, true, y);
  if (st != RICHETA_OK || n == 0 || alpha == 0.0f)
    return st;
  cblas_saxpy((rlz_blasint)n, alpha, x, 1, y, 1);
  return RICHETA_OK;
}

richeta_status rlz_axpy_f64(int64_t n, double alpha, const double *x, double *y) {
  richeta_status st = rlz_num_check_vec(BLAS_LIMIT, sizeof(double), n, x, true, y);
  if (st != RICHETA_OK || n == 0 || alpha == 0.0)
    return st;
  cblas_daxpy((rlz_blasint)n, alpha, x, 1, y, 1);
  return RICHETA_OK;
}

/* alpha == 0 stores zeros here: BLAS versions differ on whether 0 * NaN
 * stays NaN in scal. */
richeta_status rlz_scal_f32(int64_t n, float alpha, float *x) {
  richeta_status st = rlz_num_check_vec(BLAS_LIMIT, sizeof(float), n, x, false, NULL);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (alpha == 0.0f)
    memset(x, 0, (size_t)n * sizeof(float));
  else
    cblas_sscal((rlz_blasint)n, alpha, x, 1);
  return RICHETA_OK;
}

richeta_status rlz_scal_f64(int64_t n, double alpha, double *x) {
  richeta_status st = rlz_num_check_vec(BLAS_LIMIT, sizeof(double), n, x, false, NULL);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (alpha == 0.0)
    memset(x, 0, (size_t)n * sizeof(double));
  else
    cblas_dscal((rlz_blasint)n, alpha, x, 1);
  return RICHETA_OK;
}

/* dot and nrm2 have no status: lengths beyond the BLAS integer are split
 * into chunks instead of failing. */

/* f32 dot products are accumulated in double here rather than by
 * cblas_dsdot: OpenBLAS 0.3.21's Haswell dsdot sums blocks with its float
 * sdot kernel (measured error 3e-7 at n = 1000 against double accumulation,
 * and 2e-8 relative on single squares). Four accumulators keep it fast. */
static double dot_f32_double(int64_t n, const float *x, const float *y) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += (double)x[i] * (double)y[i];
    s1 += (double)x[i + 1] * (double)y[i + 1];
    s2 += (double)x[i + 2] * (double)y[i + 2];
    s3 += (double)x[i + 3] * (double)y[i + 3];
  }
  for (; i < n; i++)
    s0 += (double)x[i] * (double)y[i];
  return (s0 + s1) + (s2 + s3);
}

double rlz_dot_f32(int64_t n, const float *x, const float *y) {
  if (rlz_num_check_vec(INT64_MAX, sizeof(float), n, x, true, y) != RICHETA_OK)
    return NAN;
  return dot_f32_double(n, x, y);
}

double rlz_dot_f64(int64_t n, const double *x, const double *y) {
  if (rlz_num_check_vec(INT64_MAX, sizeof(double), n, x, true, y) != RICHETA_OK)
    return NAN;
  double s = 0.0;
  for (int64_t off = 0; off < n; off += BLAS_LIMIT) {
    const int64_t len = n - off < BLAS_LIMIT ? n - off : BLAS_LIMIT;
    s += cblas_ddot((rlz_blasint)len, x + off, 1, y + off, 1);
  }
  return s;
}

double rlz_nrm2_f32(int64_t n, const float *x) {
  if (rlz_num_check_vec(INT64_MAX, sizeof(float), n, x, false, NULL) != RICHETA_OK)
    return NAN;
  /* squares of floats cannot overflow a double */
  return sqrt(dot_f32_double(n, x, x));
}

double rlz_nrm2_f64(int64_t n, const double *x) {
  if (rlz_num_check_vec(INT64_MAX, sizeof(double), n, x, false, NULL) != RICHETA_OK)
    return NAN;
  double s = 0.0;
  for (int64_t off = 0; off < n; off += BLAS_LIMIT) {
    const int64_t len = n - off < BLAS_LIMIT ? n - off : BLAS_LIMIT;
    s = hypot(s, cblas_dnrm2((rlz_blasint)len, x + off, 1));
  }
  return s;
}

/* ---- LAPACK ----------------------------------------------------------- */

richeta_status rlz_syev_f64(bool vectors, int64_t n, double *A, int64_t lda, double *w) {
  richeta_status st = rlz_num_check_syev(LAPACK_LIMIT, n, A, lda, w);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_lower_finite(n, A, lda))
    return RICHETA_ERR_NONFINITE;
  /* dsyevd (divide and conquer) needs 1 + 6n + 2n^2 doubles of work with
   * vectors; when that count does not fit lapack_int, fall back to dsyev
   * (3n - 1) rather than fail. */
  const char jobz = vectors ? 'V' : 'N';
  const int64_t limit = LAPACK_LIMIT_RAW;
  const bool dc_fits = !vectors || n <= (limit - 1 - 6 * n) / (2 * n);
  lapack_int info;
  if (dc_fits)
    BLAS_GUARDED(
        info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, jobz, 'L', (lapack_int)n, A, (lapack_int)lda, w));
  else
    BLAS_GUARDED(
        info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, jobz, 'L', (lapack_int)n, A, (lapack_int)lda, w));
  return lapack_status(info);
}

richeta_status rlz_stev_f64(int64_t n, double *d, double *e, double *z, int64_t ldz) {
  richeta_status st = rlz_num_check_stev(LAPACK_LIMIT, n, d, e, z, ldz);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_all_finite(1, n, d, n) || !rlz_num_all_finite(1, n - 1, e, n))
    return RICHETA_ERR_NONFINITE;
  double e_dummy = 0.0; /* LAPACKE reads e even when n == 1 */
  lapack_int info;
  BLAS_GUARDED(info = LAPACKE_dstev(LAPACK_ROW_MAJOR, z ? 'V' : 'N', (lapack_int)n, d,
                                    n > 1 ? e : &e_dummy, z, z ? (lapack_int)ldz : (lapack_int)n));
  return lapack_status(info);
}

richeta_status rlz_posv_f64(int64_t n, int64_t nrhs, double *A, int64_t lda, double *B,
                            int64_t ldb) {
  richeta_status st = rlz_num_check_posv(LAPACK_LIMIT, n, nrhs, A, lda, B, ldb);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_lower_finite(n, A, lda) || !rlz_num_all_finite(n, nrhs, B, ldb))
    return RICHETA_ERR_NONFINITE;
  if (nrhs == 0) { /* still factor, so that a non-SPD A is reported */
    double dummy = 0.0;
    lapack_int info0;
    BLAS_GUARDED(info0 = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, 0, A, (lapack_int)lda,
                                       &dummy, 1));
    return lapack_status(info0);
  }
  lapack_int info;
  BLAS_GUARDED(info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, (lapack_int)nrhs, A,
                                    (lapack_int)lda, B, (lapack_int)ldb));
  return lapack_status(info);
}

richeta_status rlz_gels_f64(int64_t m, int64_t n, double *A, int64_t lda, double *b) {
  richeta_status st = rlz_num_check_gels(LAPACK_LIMIT, m, n, A, lda, b);
  if (st != RICHETA_OK || n == 0)
    return st;
  if (!rlz_num_all_finite(m, n, A, lda) || !rlz_num_all_finite(1, m, b, m))
    return RICHETA_ERR_NONFINITE;
  lapack_int info;
  BLAS_GUARDED(info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)m, (lapack_int)n, 1, A,
                                    (lapack_int)lda, b, 1));
  return lapack_status(info);
}

/* ---- identity and threads --------------------------------------------- */

#if defined(RLZ_BLAS_OPENBLAS)
/* Built once (the only static state of this file, written under
 * pthread_once and read-only afterwards). */
static char vendor_buf[160];
static pthread_once_t vendor_once = PTHREAD_ONCE_INIT;

static void vendor_init(void) {
  /* openblas_get_config() starts with "OpenBLAS 0.3.21 ..."; keep the name
   * and version, then add the core and the threading model. */
  const char *cfg = openblas_get_config();
  char head[64] = "OpenBLAS";
  if (cfg) {
    size_t len = strlen(cfg);
    const char *sp1 = strchr(cfg, ' ');
    const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp2)
      len = (size_t)(sp2 - cfg);
    if (len >= sizeof head)
      len = sizeof head - 1;
    memcpy(head, cfg, len);
    head[len] = '\0';
  }
  const char *core = openblas_get_corename();
  const int par = openblas_get_parallel();
  const char *model = par == 0 ? "sequential" : par == 1 ? "pthread" : "openmp";
  snprintf(vendor_buf, sizeof vendor_buf, "%s (%s, %s%s)", head, core ? core : "unknown", model,
           sizeof(rlz_blasint) >= 8 ? ", ILP64" : "");
}

const char *rlz_blas_vendor(void) {
  pthread_once(&vendor_once, vendor_init);
  return vendor_buf;
}

richeta_status rlz_blas_set_threads_impl(int threads) {
  if (threads < 1)
    return RICHETA_ERR_RANGE;
  openblas_set_num_threads(threads);
  return RICHETA_OK;
}

const char *rlz_blas_core_name(void) { return openblas_get_corename(); }

int rlz_blas_maps_buffers(void) { return 1; }

int rlz_blas_max_callers(void) {
  /* openblas_get_config() names the compiled limit: "... MAX_THREADS=64" */
  const char *cfg = openblas_get_config();
  const char *p = cfg ? strstr(cfg, "MAX_THREADS=") : NULL;
  if (!p)
    return 0;
  long v = strtol(p + strlen("MAX_THREADS="), NULL, 10);
  return v > 0 && v < 1 << 20 ? (int)v : 0;
}

int rlz_blas_get_threads_impl(void) {
  int t = openblas_get_num_threads();
  return t < 1 ? 1 : t;
}
#else
const char *rlz_blas_vendor(void) { return "CBLAS (generic)"; }

const char *rlz_blas_core_name(void) { return NULL; }

int rlz_blas_maps_buffers(void) { return 0; }

int rlz_blas_max_callers(void) { return 0; }

/* A generic CBLAS has no portable thread control. */
richeta_status rlz_blas_set_threads_impl(int threads) {
  return threads < 1 ? RICHETA_ERR_RANGE : RICHETA_ERR_UNSUPPORTED;
}

int rlz_blas_get_threads_impl(void) { return 1; }
#endif

int rlz_blas_int_bits(void) { return (int)(8 * sizeof(rlz_blasint)); }
