/* Argument checks shared by the seam and the reference loops. */
#include "numeric_args.h"

#include <math.h>

/* A stored row-major operand: rows x cols with leading dimension ld
 * (ld == 0 marks a contiguous vector, which has no leading dimension). */
typedef struct operand {
  int64_t rows, cols, ld;
  const void *p;
} operand;

static richeta_status check_all(int64_t limit, size_t elem, const int64_t *dims, int ndims,
                                const operand *ops, int nops, bool skip_null) {
  for (int i = 0; i < ndims; i++)
    if (dims[i] < 0)
      return RICHETA_ERR_RANGE;
  for (int i = 0; i < ndims; i++)
    if (dims[i] > limit)
      return RICHETA_ERR_OVERFLOW;
  for (int i = 0; i < nops; i++) {
    const operand *o = &ops[i];
    if (o->ld == 0)
      continue;
    if (o->ld < (o->cols > 1 ? o->cols : 1))
      return RICHETA_ERR_RANGE;
    if (o->ld > limit)
      return RICHETA_ERR_OVERFLOW;
  }
  /* The last element sits at (rows-1)*ld + cols - 1: its byte offset must
   * be a valid pointer difference. */
  const int64_t max_elems = (int64_t)(PTRDIFF_MAX / (ptrdiff_t)elem);
  for (int i = 0; i < nops; i++) {
    const operand *o = &ops[i];
    if (o->rows == 0 || o->cols == 0)
      continue;
    int64_t ld = o->ld == 0 ? o->cols : o->ld;
    if (o->rows - 1 > 0 && ld > (max_elems - o->cols) / (o->rows - 1))
      return RICHETA_ERR_OVERFLOW;
    if (o->cols > max_elems)
      return RICHETA_ERR_OVERFLOW;
  }
  if (skip_null)
    return RICHETA_OK;
  for (int i = 0; i < nops; i++)
    if (ops[i].rows > 0 && ops[i].cols > 0 && !ops[i].p)
      return RICHETA_ERR_NULL;
  return RICHETA_OK;
}

static bool trans_ok(rlz_trans t) { return t == RLZ_NO_TRANS || t == RLZ_TRANS; }

richeta_status rlz_num_check_gemm(int64_t limit, size_t elem, rlz_trans ta, rlz_trans tb, int64_t m,
                                  int64_t n, int64_t k, const void *A, int64_t lda, const void *B,
                                  int64_t ldb, const void *C, int64_t ldc) {
  if (!trans_ok(ta) || !trans_ok(tb))
    return RICHETA_ERR_INVALID;
  const int64_t dims[3] = {m, n, k};
  const operand ops[3] = {
      {ta == RLZ_NO_TRANS ? m : k, ta == RLZ_NO_TRANS ? k : m, lda, A},
      {tb == RLZ_NO_TRANS ? k : n, tb == RLZ_NO_TRANS ? n : k, ldb, B},
      {m, n, ldc, C},
  };
  /* An empty C means nothing is read or written: A and B may be NULL. */
  richeta_status st = check_all(limit, elem, dims, 3, ops, 3, true);
  if (st != RICHETA_OK || m == 0 || n == 0)
    return st;
  return check_all(limit, elem, dims, 3, ops, 3, false);
}

richeta_status rlz_num_check_gemv(int64_t limit, size_t elem, rlz_trans ta, int64_t m, int64_t n,
                                  const void *A, int64_t lda, const void *x, const void *y) {
  if (!trans_ok(ta))
    return RICHETA_ERR_INVALID;
  const int64_t dims[2] = {m, n};
  const int64_t xlen = ta == RLZ_NO_TRANS ? n : m;
  const int64_t ylen = ta == RLZ_NO_TRANS ? m : n;
  const operand ops[3] = {{m, n, lda, A}, {1, xlen, 0, x}, {1, ylen, 0, y}};
  richeta_status st = check_all(limit, elem, dims, 2, ops, 3, true);
  if (st != RICHETA_OK || ylen == 0)
    return st;
  return check_all(limit, elem, dims, 2, ops, 3, false);
}

richeta_status rlz_num_check_ger(int64_t limit, size_t elem, int64_t m, int64_t n, const void *x,
                                 const void *y, const void *A, int64_t lda) {
  const int64_t dims[2] = {m, n};
  if (lda < (n > 1 ? n : 1)) /* also a zero lda, which the operand table would skip */
    return RICHETA_ERR_RANGE;
  const operand ops[3] = {{1, m, 0, x}, {1, n, 0, y}, {m, n, lda, A}};
  richeta_status st = check_all(limit, elem, dims, 2, ops, 3, true);
  if (st != RICHETA_OK || m == 0 || n == 0)
    return st;
  return check_all(limit, elem, dims, 2, ops, 3, false);
}

richeta_status rlz_num_check_vec(int64_t limit, size_t elem, int64_t n, const void *x, bool need_y,
                                 const void *y) {
  const operand ops[2] = {{1, n, 0, x}, {1, n, 0, y}};
  return check_all(limit, elem, &n, 1, ops, need_y ? 2 : 1, false);
}

richeta_status rlz_num_check_syev(int64_t limit, int64_t n, const double *A, int64_t lda,
                                  const double *w) {
  const operand ops[2] = {{n, n, lda, A}, {1, n, 0, w}};
  return check_all(limit, sizeof(double), &n, 1, ops, 2, false);
}

richeta_status rlz_num_check_stev(int64_t limit, int64_t n, const double *d, const double *e,
                                  const double *z, int64_t ldz) {
  const operand ops[3] = {{1, n, 0, d}, {1, n > 1 ? n - 1 : 0, 0, e}, {n, n, ldz, z}};
  /* z is optional: only its leading dimension matters when it is given. */
  return check_all(limit, sizeof(double), &n, 1, ops, z ? 3 : 2, false);
}

richeta_status rlz_num_check_posv(int64_t limit, int64_t n, int64_t nrhs, const double *A,
                                  int64_t lda, const double *B, int64_t ldb) {
  const int64_t dims[2] = {n, nrhs};
  const operand ops[2] = {{n, n, lda, A}, {n, nrhs, ldb, B}};
  return check_all(limit, sizeof(double), dims, 2, ops, 2, false);
}

richeta_status rlz_num_check_gels(int64_t limit, int64_t m, int64_t n, const double *A, int64_t lda,
                                  const double *b) {
  const int64_t dims[2] = {m, n};
  const operand ops[2] = {{m, n, lda, A}, {1, m, 0, b}};
  richeta_status st = check_all(limit, sizeof(double), dims, 2, ops, 2, false);
  if (st == RICHETA_OK && m < n)
    return RICHETA_ERR_RANGE; /* underdetermined systems are not supported */
  return st;
}

bool rlz_num_all_finite(int64_t rows, int64_t cols, const double *p, int64_t ld) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      if (!isfinite(p[i * ld + j]))
        return false;
  return true;
}

bool rlz_num_lower_finite(int64_t n, const double *p, int64_t ld) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j <= i; j++)
      if (!isfinite(p[i * ld + j]))
        return false;
  return true;
}

void rlz_num_scale_f32(int64_t m, int64_t n, float beta, float *C, int64_t ldc) {
  if (beta == 1.0f)
    return;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

void rlz_num_scale_f64(int64_t m, int64_t n, double beta, double *C, int64_t ldc) {
  if (beta == 1.0)
    return;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      C[i * ldc + j] = beta == 0.0 ? 0.0 : beta * C[i * ldc + j];
}
