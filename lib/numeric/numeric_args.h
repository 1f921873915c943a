/* Argument checks shared by the numerics seam and its reference twins, so
 * that both return the same status for the same bad call. `limit` is the
 * largest size or stride the backend accepts (the BLAS/LAPACK integer
 * maximum; INT64_MAX for the reference loops). Order of the checks: trans
 * flags (INVALID), negative sizes (RANGE), sizes above limit (OVERFLOW),
 * leading dimensions shorter than a row (RANGE) or above limit (OVERFLOW),
 * element extents that do not fit a pointer difference (OVERFLOW), NULL
 * pointers of operands that are actually read or written (NULL). */
#ifndef RLZ_NUMERIC_ARGS_H
#define RLZ_NUMERIC_ARGS_H

#include "numeric.h"

#include <stddef.h>

richeta_status rlz_num_check_gemm(int64_t limit, size_t elem, rlz_trans ta, rlz_trans tb, int64_t m,
                                  int64_t n, int64_t k, const void *A, int64_t lda, const void *B,
                                  int64_t ldb, const void *C, int64_t ldc);
richeta_status rlz_num_check_gemv(int64_t limit, size_t elem, rlz_trans ta, int64_t m, int64_t n,
                                  const void *A, int64_t lda, const void *x, const void *y);
richeta_status rlz_num_check_ger(int64_t limit, size_t elem, int64_t m, int64_t n, const void *x,
                                 const void *y, const void *A, int64_t lda);
/* One or two contiguous vectors of length n (y may be NULL when unused:
 * pass need_y = false). */
richeta_status rlz_num_check_vec(int64_t limit, size_t elem, int64_t n, const void *x, bool need_y,
                                 const void *y);
/* A square n x n matrix plus a length-n vector (syev). */
richeta_status rlz_num_check_syev(int64_t limit, int64_t n, const double *A, int64_t lda,
                                  const double *w);
richeta_status rlz_num_check_stev(int64_t limit, int64_t n, const double *d, const double *e,
                                  const double *z, int64_t ldz);
richeta_status rlz_num_check_posv(int64_t limit, int64_t n, int64_t nrhs, const double *A,
                                  int64_t lda, const double *B, int64_t ldb);
richeta_status rlz_num_check_gels(int64_t limit, int64_t m, int64_t n, const double *A, int64_t lda,
                                  const double *b);

/* True when every entry of the rows x cols row-major block is finite. */
bool rlz_num_all_finite(int64_t rows, int64_t cols, const double *p, int64_t ld);
/* Same for the lower triangle (diagonal included) of an n x n block. */
bool rlz_num_lower_finite(int64_t n, const double *p, int64_t ld);

/* C = beta * C for the m x n block (beta == 0 stores zeros, ignoring NaN);
 * the k == 0 / alpha == 0 path of gemm. */
void rlz_num_scale_f32(int64_t m, int64_t n, float beta, float *C, int64_t ldc);
void rlz_num_scale_f64(int64_t m, int64_t n, double beta, double *C, int64_t ldc);

#endif
