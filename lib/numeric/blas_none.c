/* -Dblas=none: the numerics seam forwards to the naive reference loops
 * (blas_ref.c). Slow but dependency-free; meant for porting and debugging,
 * not for production training. */
#if !defined(RLZ_BLAS_NONE)
#error "blas_none.c is only built with -Dblas=none"
#endif

#include "numeric.h"

richeta_status rlz_gemm_f32(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc) {
  return rlz_ref_gemm_f32(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

richeta_status rlz_gemm_f64(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                            double alpha, const double *A, int64_t lda, const double *B,
                            int64_t ldb, double beta, double *C, int64_t ldc) {
  return rlz_ref_gemm_f64(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

richeta_status rlz_gemv_f32(rlz_trans ta, int64_t m, int64_t n, float alpha, const float *A,
                            int64_t lda, const float *x, float beta, float *y) {
  return rlz_ref_gemv_f32(ta, m, n, alpha, A, lda, x, beta, y);
}

richeta_status rlz_gemv_f64(rlz_trans ta, int64_t m, int64_t n, double alpha, const double *A,
                            int64_t lda, const double *x, double beta, double *y) {
  return rlz_ref_gemv_f64(ta, m, n, alpha, A, lda, x, beta, y);
}

richeta_status rlz_ger_f32(int64_t m, int64_t n, float alpha, const float *x, const float *y,
                           float *A, int64_t lda) {
  return rlz_ref_ger_f32(m, n, alpha, x, y, A, lda);
}

richeta_status rlz_ger_f64(int64_t m, int64_t n, double alpha, const double *x, const double *y,
                           double *A, int64_t lda) {
  return rlz_ref_ger_f64(m, n, alpha, x, y, A, lda);
}

richeta_status rlz_axpy_f32(int64_t n, float alpha, const float *x, float *y) {
  return rlz_ref_axpy_f32(n, alpha, x, y);
}

richeta_status rlz_axpy_f64(int64_t n, double alpha, const double *x, double *y) {
  return rlz_ref_axpy_f64(n, alpha, x, y);
}

richeta_status rlz_scal_f32(int64_t n, float alpha, float *x) {
  return rlz_ref_scal_f32(n, alpha, x);
}

richeta_status rlz_scal_f64(int64_t n, double alpha, double *x) {
  return rlz_ref_scal_f64(n, alpha, x);
}

double rlz_dot_f32(int64_t n, const float *x, const float *y) { return rlz_ref_dot_f32(n, x, y); }

double rlz_dot_f64(int64_t n, const double *x, const double *y) { return rlz_ref_dot_f64(n, x, y); }

double rlz_nrm2_f32(int64_t n, const float *x) { return rlz_ref_nrm2_f32(n, x); }

double rlz_nrm2_f64(int64_t n, const double *x) { return rlz_ref_nrm2_f64(n, x); }

richeta_status rlz_syev_f64(bool vectors, int64_t n, double *A, int64_t lda, double *w) {
  return rlz_ref_syev_vec_f64(vectors, n, A, lda, w);
}

richeta_status rlz_stev_f64(int64_t n, double *d, double *e, double *z, int64_t ldz) {
  return rlz_ref_stev_f64(n, d, e, z, ldz);
}

richeta_status rlz_posv_f64(int64_t n, int64_t nrhs, double *A, int64_t lda, double *B,
                            int64_t ldb) {
  return rlz_ref_posv_f64(n, nrhs, A, lda, B, ldb);
}

richeta_status rlz_gels_f64(int64_t m, int64_t n, double *A, int64_t lda, double *b) {
  return rlz_ref_gels_f64(m, n, A, lda, b);
}

const char *rlz_blas_vendor(void) { return "reference (no BLAS)"; }

const char *rlz_blas_core_name(void) { return NULL; }

int rlz_blas_maps_buffers(void) { return 0; }

int rlz_blas_max_callers(void) { return 0; }

/* The reference loops use int64_t sizes throughout. */
int rlz_blas_int_bits(void) { return 64; }

/* The reference loops are single-threaded: asking for one thread is fine. */
richeta_status rlz_blas_set_threads_impl(int threads) {
  if (threads < 1)
    return RICHETA_ERR_RANGE;
  return threads == 1 ? RICHETA_OK : RICHETA_ERR_UNSUPPORTED;
}

int rlz_blas_get_threads_impl(void) { return 1; }
