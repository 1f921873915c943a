/* The numerics seam: the only door to BLAS/LAPACKE. Row-major, 64-bit
 * sizes; each call checks that its sizes fit the BLAS integer type and
 * returns RICHETA_ERR_OVERFLOW otherwise (nothing is computed then).
 * The rlz_ref_* twins are naive loops with the same contract, used by the
 * differential tests and by -Dblas=none builds. */
#ifndef RLZ_NUMERIC_H
#define RLZ_NUMERIC_H

#include <richlazy/common.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum rlz_trans { RLZ_NO_TRANS = 0, RLZ_TRANS = 1 } rlz_trans;

/* C = alpha * op(A) * op(B) + beta * C, all row-major.
 * op(A) is m x k, op(B) is k x n, C is m x n. beta == 0 ignores C's contents. */
richeta_status rlz_gemm_f32(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc);
richeta_status rlz_gemm_f64(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                            double alpha, const double *A, int64_t lda, const double *B,
                            int64_t ldb, double beta, double *C, int64_t ldc);
/* y = alpha * op(A) x + beta * y, A is m x n row-major. */
richeta_status rlz_gemv_f32(rlz_trans ta, int64_t m, int64_t n, float alpha, const float *A,
                            int64_t lda, const float *x, float beta, float *y);
richeta_status rlz_gemv_f64(rlz_trans ta, int64_t m, int64_t n, double alpha, const double *A,
                            int64_t lda, const double *x, double beta, double *y);
/* A += alpha * x y^T (rank-one update), A is m x n row-major, x has m
 * entries, y has n. */
richeta_status rlz_ger_f32(int64_t m, int64_t n, float alpha, const float *x, const float *y,
                           float *A, int64_t lda);
richeta_status rlz_ger_f64(int64_t m, int64_t n, double alpha, const double *x, const double *y,
                           double *A, int64_t lda);
/* y += alpha * x */
richeta_status rlz_axpy_f32(int64_t n, float alpha, const float *x, float *y);
richeta_status rlz_axpy_f64(int64_t n, double alpha, const double *x, double *y);
/* x *= alpha */
richeta_status rlz_scal_f32(int64_t n, float alpha, float *x);
richeta_status rlz_scal_f64(int64_t n, double alpha, double *x);
/* dot products and 2-norms (accumulated in double for f32) */
double rlz_dot_f32(int64_t n, const float *x, const float *y);
double rlz_dot_f64(int64_t n, const double *x, const double *y);
double rlz_nrm2_f32(int64_t n, const float *x);
double rlz_nrm2_f64(int64_t n, const double *x);

/* LAPACK (f64 only). Eigenvalues of a symmetric n x n row-major matrix A
 * (overwritten; with vectors != 0 it receives the eigenvectors as columns),
 * ascending into w. */
richeta_status rlz_syev_f64(bool vectors, int64_t n, double *A, int64_t lda, double *w);
/* Eigenvalues (ascending, into d) and optionally eigenvectors (z, n x n
 * row-major, columns) of the symmetric tridiagonal matrix with diagonal d
 * and off-diagonal e (length n-1, destroyed). z may be NULL. */
richeta_status rlz_stev_f64(int64_t n, double *d, double *e, double *z, int64_t ldz);
/* Cholesky solve of A X = B, A n x n SPD row-major (overwritten by its
 * factor), B n x nrhs row-major (overwritten by X). Returns
 * RICHETA_ERR_INVALID when A is not positive definite. */
richeta_status rlz_posv_f64(int64_t n, int64_t nrhs, double *A, int64_t lda, double *B,
                            int64_t ldb);
/* Linear least squares min ||A x - b|| for A m x n (m >= n), via LAPACKE
 * dgels; b has length m, the solution is in b[0..n). */
richeta_status rlz_gels_f64(int64_t m, int64_t n, double *A, int64_t lda, double *b);

/* Common rules of the calls above (seam and reference alike):
 * - a trans flag other than RLZ_NO_TRANS/RLZ_TRANS gives RICHETA_ERR_INVALID;
 *   sizes < 0 or a leading dimension shorter than a stored row give
 *   RICHETA_ERR_RANGE;
 *   sizes or strides beyond the backend integer give RICHETA_ERR_OVERFLOW;
 *   a NULL operand that would be read or written gives RICHETA_ERR_NULL.
 *   Nothing is computed when a call fails.
 * - Empty calls (a zero size) are no-ops returning RICHETA_OK; gemm with
 *   k == 0 or alpha == 0 still sets C = beta * C (A and B are not read).
 * - beta == 0 (gemm, gemv) and alpha == 0 (scal) store exact zeros,
 *   ignoring NaN in the output; axpy and ger with alpha == 0 leave their
 *   output unchanged.
 * - dot and nrm2 cannot fail: they return NaN for n < 0 or a NULL vector
 *   with n > 0, 0 for n == 0, and split lengths beyond the BLAS integer.
 * - LAPACK wrappers read only the lower triangle of symmetric inputs, return
 *   RICHETA_ERR_NONFINITE for NaN/Inf inputs, RICHETA_ERR_INVALID when the
 *   factorization fails (not positive definite, rank deficient, no
 *   convergence), RICHETA_ERR_INTERNAL for an argument LAPACK rejects, and
 *   RICHETA_ERR_NOMEM when LAPACKE cannot allocate its workspace (LAPACKE
 *   allocates row-major transposes and work arrays with malloc: they do not
 *   go through the handle allocator). gels needs m >= n (else RANGE). */

/* Naive reference twins (same contracts). */
richeta_status rlz_ref_gemm_f32(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                                float alpha, const float *A, int64_t lda, const float *B,
                                int64_t ldb, float beta, float *C, int64_t ldc);
richeta_status rlz_ref_gemm_f64(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,
                                double alpha, const double *A, int64_t lda, const double *B,
                                int64_t ldb, double beta, double *C, int64_t ldc);
richeta_status rlz_ref_gemv_f32(rlz_trans ta, int64_t m, int64_t n, float alpha, const float *A,
                                int64_t lda, const float *x, float beta, float *y);
richeta_status rlz_ref_gemv_f64(rlz_trans ta, int64_t m, int64_t n, double alpha, const double *A,
                                int64_t lda, const double *x, double beta, double *y);
richeta_status rlz_ref_ger_f32(int64_t m, int64_t n, float alpha, const float *x, const float *y,
                               float *A, int64_t lda);
richeta_status rlz_ref_ger_f64(int64_t m, int64_t n, double alpha, const double *x, const double *y,
                               double *A, int64_t lda);
richeta_status rlz_ref_axpy_f32(int64_t n, float alpha, const float *x, float *y);
richeta_status rlz_ref_axpy_f64(int64_t n, double alpha, const double *x, double *y);
richeta_status rlz_ref_scal_f32(int64_t n, float alpha, float *x);
richeta_status rlz_ref_scal_f64(int64_t n, double alpha, double *x);
double rlz_ref_dot_f32(int64_t n, const float *x, const float *y);
double rlz_ref_dot_f64(int64_t n, const double *x, const double *y);
/* Jacobi eigenvalue reference for rlz_syev_f64 (values only, ascending). */
richeta_status rlz_ref_syev_f64(int64_t n, const double *A, int64_t lda, double *w);
double rlz_ref_nrm2_f32(int64_t n, const float *x);
double rlz_ref_nrm2_f64(int64_t n, const double *x);
/* Reference twins of the LAPACK wrappers with exactly their contracts
 * (Jacobi with vectors; stev through a dense tridiagonal and Jacobi; naive
 * Cholesky; Householder QR). They back -Dblas=none builds and are checked
 * against LAPACK by the numeric suite. They allocate their scratch with
 * malloc, like LAPACKE does. */
richeta_status rlz_ref_syev_vec_f64(bool vectors, int64_t n, double *A, int64_t lda, double *w);
richeta_status rlz_ref_stev_f64(int64_t n, double *d, double *e, double *z, int64_t ldz);
richeta_status rlz_ref_posv_f64(int64_t n, int64_t nrhs, double *A, int64_t lda, double *B,
                                int64_t ldb);
richeta_status rlz_ref_gels_f64(int64_t m, int64_t n, double *A, int64_t lda, double *b);

/* The linked BLAS's limits and kernels (blas_limits.c; the OpenBLAS
 * queries in blas_cblas.c).
 * - rlz_blas_core_name: the kernel set OpenBLAS chose ("Prescott",
 *   "SkylakeX", ...), NULL for another BLAS.
 * - rlz_cpu_features: RLZ_CPU_* bits this CPU and OS support.
 * - rlz_blas_better_core: the OPENBLAS_CORETYPE worth setting when OpenBLAS
 *   chose `chosen` on a CPU with features `cpu` ("SkylakeX" for AVX-512
 *   F/BW/VL/DQ/CD, "Haswell" for AVX2+FMA), or NULL when the choice is as
 *   good (or an AMD core OpenBLAS picked on purpose). Pure: tests inject.
 * - rlz_blas_max_callers: threads that may be inside the BLAS at once
 *   without crashing it (OpenBLAS: its compiled MAX_THREADS; its 2 x
 *   MAX_THREADS buffer slots overflow into a crash above that), 0 for no
 *   known limit.
 * - rlz_blas_enter / rlz_blas_leave bracket every BLAS call that may need a
 *   work buffer: enter returns RICHETA_ERR_NOMEM (and does not count the
 *   call) when the call could make OpenBLAS map a new buffer and the
 *   address-space limit leaves no room for it (OpenBLAS would spin
 *   forever). The only mutable state of the seam: two atomic counters. */
enum {
  RLZ_CPU_AVX2 = 1,
  RLZ_CPU_FMA = 2,
  RLZ_CPU_AVX512F = 4,
  RLZ_CPU_AVX512BW = 8,
  RLZ_CPU_AVX512VL = 16,
  RLZ_CPU_AVX512DQ = 32,
  RLZ_CPU_AVX512CD = 64
};
const char *rlz_blas_core_name(void);
unsigned rlz_cpu_features(void);
const char *rlz_blas_better_core(const char *chosen, unsigned cpu);
int rlz_blas_max_callers(void);
int rlz_blas_maps_buffers(void); /* 1 when the backend is OpenBLAS */
richeta_status rlz_blas_enter(void);
void rlz_blas_leave(void);
const char *rlz_blas_nomem_reason(void);

/* BLAS identity and threads. */
const char *rlz_blas_vendor(void); /* e.g. "OpenBLAS 0.3.21 Haswell", "reference" */
int rlz_blas_int_bits(void);       /* 32 (LP64) or 64 (ILP64) */
richeta_status rlz_blas_set_threads_impl(int threads);
int rlz_blas_get_threads_impl(void);

#endif
