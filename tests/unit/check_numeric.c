/* The numerics seam against its naive reference twins: every BLAS wrapper
 * is compared entry by entry with the rlz_ref_* loops, every LAPACK wrapper
 * with the reference algorithm and with the equation it solves; bad sizes
 * must fail before anything is computed. */
#include "numeric/numeric.h"

#include <richlazy/richeta.h>

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state;

static void rng_seed(uint64_t s) { rng_state = s * 0x9E3779B97F4A7C15ULL + 1; }

/* uniform in [-1, 1) (xorshift64*) */
static double urand(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 0x2545F4914F6CDD1DULL;
  return (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static void *xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size);
  ck_assert_ptr_nonnull(p);
  return p;
}

#define SENTINEL 12345.0

/* One gemm case (f32 or f64): the seam and the reference see identical
 * inputs; unused padding of A and B holds NaN (must not be read) and the
 * padding of C a sentinel (must not be written). The tolerance of each
 * entry is rtol times the same product computed on absolute values. */
#define DEFINE_GEMM_CASE(T, SFX)                                                                   \
  static void gemm_case_##SFX(rlz_trans ta, rlz_trans tb, int64_t m, int64_t n, int64_t k,         \
                              int64_t pad, T alpha, T beta, double rtol) {                         \
    const int64_t ar = ta == RLZ_NO_TRANS ? m : k, ac = ta == RLZ_NO_TRANS ? k : m;                \
    const int64_t br = tb == RLZ_NO_TRANS ? k : n, bc = tb == RLZ_NO_TRANS ? n : k;                \
    const int64_t lda = ac + pad, ldb = bc + pad, ldc = n + pad;                                   \
    T *A = xcalloc((size_t)(ar * lda), sizeof(T)), *Aabs = xcalloc((size_t)(ar * lda), sizeof(T)); \
    T *B = xcalloc((size_t)(br * ldb), sizeof(T)), *Babs = xcalloc((size_t)(br * ldb), sizeof(T)); \
    T *C = xcalloc((size_t)(m * ldc), sizeof(T)), *Cref = xcalloc((size_t)(m * ldc), sizeof(T));   \
    T *Cabs = xcalloc((size_t)(m * ldc), sizeof(T));                                               \
    for (int64_t i = 0; i < ar * lda; i++) {                                                       \
      A[i] = (i % lda) < ac ? (T)urand() : (T)NAN;                                                 \
      Aabs[i] = (i % lda) < ac ? (T)fabs((double)A[i]) : (T)0;                                     \
    }                                                                                              \
    for (int64_t i = 0; i < br * ldb; i++) {                                                       \
      B[i] = (i % ldb) < bc ? (T)urand() : (T)NAN;                                                 \
      Babs[i] = (i % ldb) < bc ? (T)fabs((double)B[i]) : (T)0;                                     \
    }                                                                                              \
    for (int64_t i = 0; i < m * ldc; i++) {                                                        \
      bool in = (i % ldc) < n;                                                                     \
      C[i] = !in ? (T)SENTINEL : beta == 0 ? (T)NAN : (T)urand();                                  \
      Cabs[i] = in && beta != 0 ? (T)fabs((double)C[i]) : (T)0;                                    \
    }                                                                                              \
    memcpy(Cref, C, (size_t)(m * ldc) * sizeof(T));                                                \
    ck_assert_int_eq(rlz_gemm_##SFX(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc),         \
                     RICHETA_OK);                                                                  \
    ck_assert_int_eq(rlz_ref_gemm_##SFX(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, Cref, ldc),  \
                     RICHETA_OK);                                                                  \
    ck_assert_int_eq(rlz_ref_gemm_##SFX(ta, tb, m, n, k, (T)fabs((double)alpha), Aabs, lda, Babs,  \
                                        ldb, (T)fabs((double)beta), Cabs, ldc),                    \
                     RICHETA_OK);                                                                  \
    for (int64_t i = 0; i < m; i++)                                                                \
      for (int64_t j = 0; j < ldc; j++) {                                                          \
        double got = (double)C[i * ldc + j], want = (double)Cref[i * ldc + j];                     \
        if (j >= n) {                                                                              \
          ck_assert_msg(got == SENTINEL, "C padding written at (%lld,%lld)", (long long)i,         \
                        (long long)j);                                                             \
          continue;                                                                                \
        }                                                                                          \
        double tol = rtol * (double)Cabs[i * ldc + j] + 1e-300;                                    \
        ck_assert_msg(isfinite(got) && fabs(got - want) <= tol,                                    \
                      #SFX " ta=%d tb=%d m=%lld n=%lld k=%lld pad=%lld alpha=%g beta=%g: "         \
                           "C(%lld,%lld)=%.17g want %.17g (tol %g)",                               \
                      (int)ta, (int)tb, (long long)m, (long long)n, (long long)k, (long long)pad,  \
                      (double)alpha, (double)beta, (long long)i, (long long)j, got, want, tol);    \
      }                                                                                            \
    free(A);                                                                                       \
    free(Aabs);                                                                                    \
    free(B);                                                                                       \
    free(Babs);                                                                                    \
    free(C);                                                                                       \
    free(Cref);                                                                                    \
    free(Cabs);                                                                                    \
  }

DEFINE_GEMM_CASE(float, f32)
DEFINE_GEMM_CASE(double, f64)

static const int64_t gemm_shapes[][3] = {{1, 1, 1},  {3, 5, 7},    {7, 5, 3},    {13, 1, 9},
                                         {1, 17, 4}, {33, 29, 65}, {64, 48, 80}, {5, 70, 2}};
static const double gemm_scalars[][2] = {{1.0, 0.0}, {0.5, -1.5}, {-2.0, 1.0}, {0.75, 0.0}};

/* ---- gemm --------------------------------------------------------------- */

START_TEST(test_gemm_f32_matches_reference_all_transposes_shapes_and_strides) {
  rng_seed(1);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (size_t s = 0; s < sizeof gemm_shapes / sizeof gemm_shapes[0]; s++)
        for (int64_t pad = 0; pad <= 3; pad += 3)
          for (size_t c = 0; c < sizeof gemm_scalars / sizeof gemm_scalars[0]; c++)
            gemm_case_f32((rlz_trans)ta, (rlz_trans)tb, gemm_shapes[s][0], gemm_shapes[s][1],
                          gemm_shapes[s][2], pad, (float)gemm_scalars[c][0],
                          (float)gemm_scalars[c][1], 1e-4);
}
END_TEST

START_TEST(test_gemm_f64_matches_reference_all_transposes_shapes_and_strides) {
  rng_seed(2);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (size_t s = 0; s < sizeof gemm_shapes / sizeof gemm_shapes[0]; s++)
        for (int64_t pad = 0; pad <= 3; pad += 3)
          for (size_t c = 0; c < sizeof gemm_scalars / sizeof gemm_scalars[0]; c++)
            gemm_case_f64((rlz_trans)ta, (rlz_trans)tb, gemm_shapes[s][0], gemm_shapes[s][1],
                          gemm_shapes[s][2], pad, gemm_scalars[c][0], gemm_scalars[c][1], 1e-12);
}
END_TEST

START_TEST(test_gemm_k_zero_scales_c_by_beta_and_beta_zero_clears_nan) {
  for (int ref = 0; ref < 2; ref++) {
    double C[2 * 4] = {1, 2, 3, SENTINEL, 4, 5, 6, SENTINEL};
    richeta_status st =
        ref ? rlz_ref_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, 2, 3, 0, 1.0, NULL, 1, NULL, 1, 2.0, C, 4)
            : rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, 2, 3, 0, 1.0, NULL, 1, NULL, 1, 2.0, C, 4);
    ck_assert_int_eq(st, RICHETA_OK);
    const double want[8] = {2, 4, 6, SENTINEL, 8, 10, 12, SENTINEL};
    for (int i = 0; i < 8; i++)
      ck_assert_double_eq(C[i], want[i]);

    float Cf[2 * 3] = {NAN, NAN, NAN, NAN, NAN, NAN};
    st = ref ? rlz_ref_gemm_f32(RLZ_TRANS, RLZ_NO_TRANS, 2, 3, 0, 1.0f, NULL, 2, NULL, 3, 0.0f, Cf,
                                3)
             : rlz_gemm_f32(RLZ_TRANS, RLZ_NO_TRANS, 2, 3, 0, 1.0f, NULL, 2, NULL, 3, 0.0f, Cf, 3);
    ck_assert_int_eq(st, RICHETA_OK);
    for (int i = 0; i < 6; i++)
      ck_assert_float_eq(Cf[i], 0.0f);
  }
}
END_TEST

START_TEST(test_gemm_alpha_zero_does_not_read_a_and_b) {
  const double A[4] = {NAN, NAN, NAN, NAN}, B[4] = {NAN, NAN, NAN, NAN};
  double C[4] = {1, 2, 3, 4};
  ck_assert_int_eq(rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, 2, 2, 2, 0.0, A, 2, B, 2, -1.0, C, 2),
                   RICHETA_OK);
  ck_assert_double_eq(C[0], -1.0);
  ck_assert_double_eq(C[3], -4.0);
}
END_TEST

START_TEST(test_gemm_empty_output_is_a_noop_even_with_null_operands) {
  ck_assert_int_eq(
      rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, 0, 5, 3, 1.0f, NULL, 3, NULL, 5, 0.0f, NULL, 5),
      RICHETA_OK);
  ck_assert_int_eq(rlz_gemm_f64(RLZ_TRANS, RLZ_TRANS, 4, 0, 3, 1.0, NULL, 4, NULL, 3, 0.0, NULL, 1),
                   RICHETA_OK);
  ck_assert_int_eq(
      rlz_ref_gemm_f64(RLZ_TRANS, RLZ_TRANS, 4, 0, 3, 1.0, NULL, 4, NULL, 3, 0.0, NULL, 1),
      RICHETA_OK);
}
END_TEST

/* ---- gemv --------------------------------------------------------------- */

START_TEST(test_gemv_matches_reference_both_transposes) {
  rng_seed(3);
  const int64_t shapes[][2] = {{1, 1}, {5, 3}, {3, 5}, {40, 33}, {1, 20}, {17, 1}};
  const double scalars[][2] = {{1.0, 0.0}, {-0.5, 2.0}, {2.0, 1.0}};
  for (int t = 0; t < 2; t++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (size_t c = 0; c < sizeof scalars / sizeof scalars[0]; c++) {
        const int64_t m = shapes[s][0], n = shapes[s][1], lda = n + 2;
        const int64_t xl = t ? m : n, yl = t ? n : m;
        const double alpha = scalars[c][0], beta = scalars[c][1];
        double *A = xcalloc((size_t)(m * lda), sizeof(double));
        float *Af = xcalloc((size_t)(m * lda), sizeof(float));
        double *x = xcalloc((size_t)xl, sizeof(double)), *y = xcalloc((size_t)yl, sizeof(double));
        double *yr = xcalloc((size_t)yl, sizeof(double)), *ya = xcalloc((size_t)yl, sizeof(double));
        float *xf = xcalloc((size_t)xl, sizeof(float)), *yf = xcalloc((size_t)yl, sizeof(float));
        float *yfr = xcalloc((size_t)yl, sizeof(float));
        double *Aa = xcalloc((size_t)(m * lda), sizeof(double));
        double *xa = xcalloc((size_t)xl, sizeof(double));
        for (int64_t i = 0; i < m * lda; i++) {
          bool in = i % lda < n;
          A[i] = in ? urand() : NAN;
          Af[i] = (float)A[i];
          Aa[i] = in ? fabs(A[i]) : 0.0;
        }
        for (int64_t i = 0; i < xl; i++) {
          x[i] = urand();
          xf[i] = (float)x[i];
          xa[i] = fabs(x[i]);
        }
        for (int64_t i = 0; i < yl; i++) {
          y[i] = beta == 0.0 ? NAN : urand();
          yr[i] = y[i];
          yf[i] = yfr[i] = (float)y[i];
          ya[i] = beta == 0.0 ? 0.0 : fabs(y[i]);
        }
        rlz_trans tr = (rlz_trans)t;
        ck_assert_int_eq(rlz_gemv_f64(tr, m, n, alpha, A, lda, x, beta, y), RICHETA_OK);
        ck_assert_int_eq(rlz_ref_gemv_f64(tr, m, n, alpha, A, lda, x, beta, yr), RICHETA_OK);
        ck_assert_int_eq(rlz_gemv_f32(tr, m, n, (float)alpha, Af, lda, xf, (float)beta, yf),
                         RICHETA_OK);
        ck_assert_int_eq(rlz_ref_gemv_f32(tr, m, n, (float)alpha, Af, lda, xf, (float)beta, yfr),
                         RICHETA_OK);
        ck_assert_int_eq(rlz_ref_gemv_f64(tr, m, n, fabs(alpha), Aa, lda, xa, fabs(beta), ya),
                         RICHETA_OK);
        for (int64_t i = 0; i < yl; i++) {
          ck_assert_msg(fabs(y[i] - yr[i]) <= 1e-12 * ya[i] + 1e-300,
                        "gemv f64 t=%d m=%lld n=%lld y[%lld]=%.17g want %.17g", t, (long long)m,
                        (long long)n, (long long)i, y[i], yr[i]);
          ck_assert_msg(fabs((double)yf[i] - (double)yfr[i]) <= 1e-4 * ya[i] + 1e-30,
                        "gemv f32 t=%d m=%lld n=%lld y[%lld]=%.9g want %.9g", t, (long long)m,
                        (long long)n, (long long)i, (double)yf[i], (double)yfr[i]);
        }
        free(A), free(Af), free(x), free(y), free(yr), free(ya), free(xf), free(yf), free(yfr);
        free(Aa), free(xa);
      }
}
END_TEST

/* ---- ger ---------------------------------------------------------------- */

START_TEST(test_ger_matches_reference) {
  rng_seed(5);
  const int64_t shapes[][2] = {{1, 1}, {5, 3}, {3, 5}, {32, 64}, {1, 20}, {17, 1}};
  const double alphas[] = {1.0, -0.5, 0.0};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (size_t c = 0; c < sizeof alphas / sizeof alphas[0]; c++) {
      const int64_t m = shapes[s][0], n = shapes[s][1], lda = n + 3;
      const double alpha = alphas[c];
      double *A = xcalloc((size_t)(m * lda), sizeof(double));
      double *Ar = xcalloc((size_t)(m * lda), sizeof(double));
      float *Af = xcalloc((size_t)(m * lda), sizeof(float));
      float *Afr = xcalloc((size_t)(m * lda), sizeof(float));
      double *x = xcalloc((size_t)m, sizeof(double)), *y = xcalloc((size_t)n, sizeof(double));
      float *xf = xcalloc((size_t)m, sizeof(float)), *yf = xcalloc((size_t)n, sizeof(float));
      for (int64_t i = 0; i < m * lda; i++) {
        /* padding past column n holds a sentinel that must survive */
        A[i] = Ar[i] = i % lda < n ? urand() : SENTINEL;
        Af[i] = Afr[i] = (float)A[i];
      }
      for (int64_t i = 0; i < m; i++)
        xf[i] = (float)(x[i] = urand());
      for (int64_t j = 0; j < n; j++)
        yf[j] = (float)(y[j] = urand());
      ck_assert_int_eq(rlz_ger_f64(m, n, alpha, x, y, A, lda), RICHETA_OK);
      ck_assert_int_eq(rlz_ref_ger_f64(m, n, alpha, x, y, Ar, lda), RICHETA_OK);
      ck_assert_int_eq(rlz_ger_f32(m, n, (float)alpha, xf, yf, Af, lda), RICHETA_OK);
      ck_assert_int_eq(rlz_ref_ger_f32(m, n, (float)alpha, xf, yf, Afr, lda), RICHETA_OK);
      for (int64_t i = 0; i < m * lda; i++) {
        double scale = fabs(Ar[i]) + fabs(alpha) + 1e-300;
        ck_assert_msg(fabs(A[i] - Ar[i]) <= 1e-14 * scale,
                      "ger f64 %lldx%lld [%lld]: %.17g want %.17g", (long long)m, (long long)n,
                      (long long)i, A[i], Ar[i]);
        ck_assert_msg(fabs((double)Af[i] - (double)Afr[i]) <= 1e-6 * scale,
                      "ger f32 %lldx%lld [%lld]: %.9g want %.9g", (long long)m, (long long)n,
                      (long long)i, (double)Af[i], (double)Afr[i]);
        if (i % lda >= n)
          ck_assert(A[i] == SENTINEL && Af[i] == (float)SENTINEL);
      }
      free(A), free(Ar), free(Af), free(Afr), free(x), free(y), free(xf), free(yf);
    }
  /* the common argument rules */
  double A[6] = {0}, x[2] = {1, 2}, y[3] = {1, 2, 3};
  ck_assert_int_eq(rlz_ger_f64(2, 3, 1, x, y, A, 2), RICHETA_ERR_RANGE);
  ck_assert_int_eq(rlz_ger_f64(2, 3, 1, x, y, A, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(rlz_ger_f64(-1, 3, 1, x, y, A, 3), RICHETA_ERR_RANGE);
  ck_assert_int_eq(rlz_ger_f64(2, 3, 1, NULL, y, A, 3), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_ref_ger_f64(2, 3, 1, x, y, NULL, 3), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_ger_f32(0, 3, 1, NULL, NULL, NULL, 3), RICHETA_OK);
  /* sizes beyond 32-bit BLAS integers: OVERFLOW, else as far as the NULLs */
  ck_assert_int_eq(rlz_ger_f64((int64_t)1 << 40, 3, 1, NULL, NULL, NULL, 3),
                   rlz_blas_int_bits() == 32 ? RICHETA_ERR_OVERFLOW : RICHETA_ERR_NULL);
}
END_TEST

/* ---- level 1 ------------------------------------------------------------ */

START_TEST(test_level1_matches_reference) {
  rng_seed(4);
  const int64_t lens[] = {0, 1, 7, 1000, 4099};
  for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
    const int64_t n = lens[l];
    double *x = xcalloc((size_t)n, sizeof(double)), *y = xcalloc((size_t)n, sizeof(double));
    double *yr = xcalloc((size_t)n, sizeof(double));
    float *xf = xcalloc((size_t)n, sizeof(float)), *yf = xcalloc((size_t)n, sizeof(float));
    float *yfr = xcalloc((size_t)n, sizeof(float));
    double sabs = 0.0;
    for (int64_t i = 0; i < n; i++) {
      x[i] = urand();
      y[i] = yr[i] = urand();
      xf[i] = (float)x[i];
      yf[i] = yfr[i] = (float)y[i];
      sabs += fabs(x[i] * y[i]);
    }
    ck_assert_double_le(fabs(rlz_dot_f64(n, x, y) - rlz_ref_dot_f64(n, x, y)), 1e-12 * sabs);
    ck_assert_double_le(fabs(rlz_dot_f32(n, xf, yf) - rlz_ref_dot_f32(n, xf, yf)), 1e-12 * sabs);
    double nr = rlz_ref_nrm2_f64(n, x);
    ck_assert_double_le(fabs(rlz_nrm2_f64(n, x) - nr), 1e-12 * nr);
    nr = rlz_ref_nrm2_f32(n, xf);
    ck_assert_double_le(fabs(rlz_nrm2_f32(n, xf) - nr), 1e-12 * nr);

    ck_assert_int_eq(rlz_axpy_f64(n, -0.75, x, y), RICHETA_OK);
    ck_assert_int_eq(rlz_ref_axpy_f64(n, -0.75, x, yr), RICHETA_OK);
    ck_assert_int_eq(rlz_axpy_f32(n, 1.25f, xf, yf), RICHETA_OK);
    ck_assert_int_eq(rlz_ref_axpy_f32(n, 1.25f, xf, yfr), RICHETA_OK);
    for (int64_t i = 0; i < n; i++) {
      ck_assert_double_le(fabs(y[i] - yr[i]), 1e-15);
      ck_assert_double_le(fabs((double)yf[i] - (double)yfr[i]), 1e-6);
    }
    ck_assert_int_eq(rlz_scal_f64(n, 3.5, y), RICHETA_OK);
    ck_assert_int_eq(rlz_ref_scal_f64(n, 3.5, yr), RICHETA_OK);
    ck_assert_int_eq(rlz_scal_f32(n, -0.5f, yf), RICHETA_OK);
    ck_assert_int_eq(rlz_ref_scal_f32(n, -0.5f, yfr), RICHETA_OK);
    for (int64_t i = 0; i < n; i++) {
      ck_assert_double_le(fabs(y[i] - yr[i]), 1e-14);
      ck_assert_double_le(fabs((double)yf[i] - (double)yfr[i]), 1e-6);
    }
    free(x), free(y), free(yr), free(xf), free(yf), free(yfr);
  }
}
END_TEST

START_TEST(test_scal_alpha_zero_stores_zeros_and_axpy_alpha_zero_keeps_y) {
  double x[3] = {NAN, 1.0, INFINITY};
  float xf[3] = {NAN, 1.0f, -INFINITY};
  ck_assert_int_eq(rlz_scal_f64(3, 0.0, x), RICHETA_OK);
  ck_assert_int_eq(rlz_scal_f32(3, 0.0f, xf), RICHETA_OK);
  for (int i = 0; i < 3; i++) {
    ck_assert_double_eq(x[i], 0.0);
    ck_assert_float_eq(xf[i], 0.0f);
  }
  double xr[2] = {NAN, 2.0};
  ck_assert_int_eq(rlz_ref_scal_f64(2, 0.0, xr), RICHETA_OK);
  ck_assert_double_eq(xr[0], 0.0);

  const double nanx[2] = {NAN, NAN};
  double y[2] = {1.0, 2.0};
  ck_assert_int_eq(rlz_axpy_f64(2, 0.0, nanx, y), RICHETA_OK);
  ck_assert_int_eq(rlz_ref_axpy_f64(2, 0.0, nanx, y), RICHETA_OK);
  ck_assert_double_eq(y[0], 1.0);
  ck_assert_double_eq(y[1], 2.0);
}
END_TEST

START_TEST(test_f32_dot_and_nrm2_accumulate_in_double) {
  /* in float arithmetic 1e8 + 1 - 1e8 is 0, and 3e30^2 overflows */
  const float x[3] = {1e8f, 1.0f, -1e8f}, ones[3] = {1.0f, 1.0f, 1.0f};
  ck_assert_double_eq(rlz_dot_f32(3, x, ones), 1.0);
  ck_assert_double_eq(rlz_ref_dot_f32(3, x, ones), 1.0);
  const float big[2] = {3e30f, 4e30f};
  const double want = hypot((double)big[0], (double)big[1]);
  ck_assert_double_le(fabs(rlz_nrm2_f32(2, big) - want), 1e-12 * want);
  ck_assert_double_le(fabs(rlz_ref_nrm2_f32(2, big) - want), 1e-12 * want);
  const double hugev[2] = {3e200, 4e200};
  ck_assert_double_le(fabs(rlz_nrm2_f64(2, hugev) - 5e200), 1e-12 * 5e200);
  ck_assert_double_le(fabs(rlz_ref_nrm2_f64(2, hugev) - 5e200), 1e-12 * 5e200);
}
END_TEST

START_TEST(test_dot_and_nrm2_bad_arguments_give_nan_and_empty_gives_zero) {
  const double x[2] = {1, 2};
  const float xf[2] = {1, 2};
  ck_assert(isnan(rlz_dot_f64(-1, x, x)));
  ck_assert(isnan(rlz_dot_f32(2, xf, NULL)));
  ck_assert(isnan(rlz_nrm2_f64(2, NULL)));
  ck_assert(isnan(rlz_nrm2_f32(-3, xf)));
  ck_assert(isnan(rlz_ref_dot_f64(2, NULL, x)));
  ck_assert(isnan(rlz_ref_nrm2_f32(-1, xf)));
  ck_assert_double_eq(rlz_dot_f64(0, NULL, NULL), 0.0);
  ck_assert_double_eq(rlz_nrm2_f32(0, NULL), 0.0);
}
END_TEST

/* ---- symmetric eigenproblems -------------------------------------------- */

/* Random symmetric n x n (row-major, leading dimension ld) in full, and the
 * same with NaN in the strict upper triangle (never read by syev). */
static void random_symmetric(int64_t n, int64_t ld, double *full, double *lower_only) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j <= i; j++)
      full[i * ld + j] = full[j * ld + i] = urand() * 3.0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < ld; j++)
      lower_only[i * ld + j] = j <= i ? full[i * ld + j] : NAN;
}

/* Columns of V are orthonormal eigenvectors of S with eigenvalues w. */
static void assert_eigenpairs(int64_t n, const double *S, int64_t lds, const double *V, int64_t ldv,
                              const double *w, double scale, const char *what) {
  for (int64_t c = 0; c < n; c++) {
    if (c > 0)
      ck_assert_msg(w[c - 1] <= w[c], "%s: eigenvalues not ascending", what);
    for (int64_t i = 0; i < n; i++) {
      double s = 0.0;
      for (int64_t l = 0; l < n; l++)
        s += S[i * lds + l] * V[l * ldv + c];
      ck_assert_msg(fabs(s - w[c] * V[i * ldv + c]) <= 1e-12 * scale,
                    "%s: (A v - lambda v)[%lld] = %g for eigenpair %lld", what, (long long)i,
                    s - w[c] * V[i * ldv + c], (long long)c);
    }
    for (int64_t d = 0; d <= c; d++) {
      double s = 0.0;
      for (int64_t l = 0; l < n; l++)
        s += V[l * ldv + c] * V[l * ldv + d];
      ck_assert_msg(fabs(s - (c == d ? 1.0 : 0.0)) <= 1e-12, "%s: v%lld . v%lld = %g", what,
                    (long long)c, (long long)d, s);
    }
  }
}

START_TEST(test_syev_matches_jacobi_and_satisfies_eigen_equation) {
  rng_seed(5);
  const int64_t sizes[] = {1, 2, 5, 17, 40};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    const int64_t n = sizes[s], ld = n + 2;
    double *S = xcalloc((size_t)(n * ld), sizeof(double));
    double *L = xcalloc((size_t)(n * ld), sizeof(double));
    double *V = xcalloc((size_t)(n * ld), sizeof(double));
    double *w = xcalloc((size_t)n, sizeof(double)), *wj = xcalloc((size_t)n, sizeof(double));
    double *wv = xcalloc((size_t)n, sizeof(double));
    random_symmetric(n, ld, S, L);
    double scale = 1.0;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++)
        scale = fmax(scale, fabs(S[i * ld + j]) * (double)n);

    ck_assert_int_eq(rlz_ref_syev_f64(n, L, ld, wj), RICHETA_OK);
    memcpy(V, L, (size_t)(n * ld) * sizeof(double));
    ck_assert_int_eq(rlz_syev_f64(false, n, V, ld, w), RICHETA_OK);
    for (int64_t i = 0; i < n; i++)
      ck_assert_msg(fabs(w[i] - wj[i]) <= 1e-12 * scale, "n=%lld w[%lld]=%.17g jacobi %.17g",
                    (long long)n, (long long)i, w[i], wj[i]);

    memcpy(V, L, (size_t)(n * ld) * sizeof(double));
    ck_assert_int_eq(rlz_syev_f64(true, n, V, ld, wv), RICHETA_OK);
    for (int64_t i = 0; i < n; i++)
      ck_assert_double_le(fabs(wv[i] - wj[i]), 1e-12 * scale);
    assert_eigenpairs(n, S, ld, V, ld, wv, scale, "syev");

    /* the reference twin that backs -Dblas=none */
    memcpy(V, L, (size_t)(n * ld) * sizeof(double));
    ck_assert_int_eq(rlz_ref_syev_vec_f64(true, n, V, ld, wv), RICHETA_OK);
    for (int64_t i = 0; i < n; i++)
      ck_assert_double_le(fabs(wv[i] - w[i]), 1e-12 * scale);
    assert_eigenpairs(n, S, ld, V, ld, wv, scale, "ref syev");
    free(S), free(L), free(V), free(w), free(wj), free(wv);
  }
}
END_TEST

START_TEST(test_syev_known_spectrum) {
  /* [[2,1],[1,2]] has eigenvalues 1 and 3 */
  double A[4] = {2, NAN, 1, 2}, w[2];
  ck_assert_int_eq(rlz_syev_f64(true, 2, A, 2, w), RICHETA_OK);
  ck_assert_double_le(fabs(w[0] - 1.0), 1e-14);
  ck_assert_double_le(fabs(w[1] - 3.0), 1e-14);
  ck_assert_double_le(fabs(fabs(A[0]) - sqrt(0.5)), 1e-14);
  ck_assert_double_le(fabs(A[0] + A[2]), 1e-14); /* (1, -1)/sqrt 2 up to sign */
}
END_TEST

START_TEST(test_stev_matches_syev_of_dense_tridiagonal) {
  rng_seed(6);
  const int64_t sizes[] = {1, 2, 6, 30};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
    for (int ref = 0; ref < 2; ref++) {
      const int64_t n = sizes[s], ldz = n + 1;
      double *d = xcalloc((size_t)n, sizeof(double)), *e = xcalloc((size_t)n, sizeof(double));
      double *d2 = xcalloc((size_t)n, sizeof(double)), *e2 = xcalloc((size_t)n, sizeof(double));
      double *T = xcalloc((size_t)(n * n), sizeof(double)), *T0 = xcalloc((size_t)(n * n), 8);
      double *w = xcalloc((size_t)n, sizeof(double));
      double *z = xcalloc((size_t)(n * ldz), sizeof(double));
      for (int64_t i = 0; i < n; i++) {
        d[i] = d2[i] = urand() * 2.0;
        if (i + 1 < n)
          e[i] = e2[i] = urand();
      }
      for (int64_t i = 0; i < n; i++) {
        T[i * n + i] = d[i];
        if (i + 1 < n)
          T[(i + 1) * n + i] = T[i * n + i + 1] = e[i];
      }
      memcpy(T0, T, (size_t)(n * n) * sizeof(double));
      ck_assert_int_eq(rlz_syev_f64(false, n, T, n, w), RICHETA_OK);
      ck_assert_int_eq(ref ? rlz_ref_stev_f64(n, d, e, NULL, 0) : rlz_stev_f64(n, d, e, NULL, 0),
                       RICHETA_OK);
      ck_assert_int_eq(ref ? rlz_ref_stev_f64(n, d2, e2, z, ldz) : rlz_stev_f64(n, d2, e2, z, ldz),
                       RICHETA_OK);
      for (int64_t i = 0; i < n; i++) {
        ck_assert_msg(fabs(d[i] - w[i]) <= 1e-12 * 4.0, "stev ref=%d n=%lld d[%lld]=%.17g %.17g",
                      ref, (long long)n, (long long)i, d[i], w[i]);
        ck_assert_double_le(fabs(d2[i] - w[i]), 1e-12 * 4.0);
      }
      assert_eigenpairs(n, T0, n, z, ldz, d2, 4.0, ref ? "ref stev" : "stev");
      free(d), free(e), free(d2), free(e2), free(T), free(T0), free(w), free(z);
    }
}
END_TEST

/* ---- linear solves ------------------------------------------------------ */

START_TEST(test_posv_solves_spd_system) {
  rng_seed(7);
  const int64_t n = 23, nrhs = 3, lda = n + 1, ldb = nrhs + 2;
  double *M = xcalloc((size_t)(n * n), sizeof(double));
  double *A0 = xcalloc((size_t)(n * lda), sizeof(double));
  double *A = xcalloc((size_t)(n * lda), sizeof(double));
  double *B0 = xcalloc((size_t)(n * ldb), sizeof(double));
  double *B = xcalloc((size_t)(n * ldb), sizeof(double));
  double *Br = xcalloc((size_t)(n * ldb), sizeof(double));
  for (int64_t i = 0; i < n * n; i++)
    M[i] = urand();
  for (int64_t i = 0; i < n; i++) /* A = M M^T + I is SPD */
    for (int64_t j = 0; j < n; j++) {
      double s = i == j ? 1.0 : 0.0;
      for (int64_t l = 0; l < n; l++)
        s += M[i * n + l] * M[j * n + l];
      A0[i * lda + j] = s;
    }
  for (int64_t i = 0; i < n * ldb; i++)
    B0[i] = urand();
  for (int ref = 0; ref < 2; ref++) {
    for (int64_t i = 0; i < n; i++) /* strict upper triangle is never read */
      for (int64_t j = 0; j < lda; j++)
        A[i * lda + j] = j <= i ? A0[i * lda + j] : NAN;
    double *X = ref ? Br : B;
    memcpy(X, B0, (size_t)(n * ldb) * sizeof(double));
    ck_assert_int_eq(ref ? rlz_ref_posv_f64(n, nrhs, A, lda, X, ldb)
                         : rlz_posv_f64(n, nrhs, A, lda, X, ldb),
                     RICHETA_OK);
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < nrhs; c++) {
        double s = 0.0;
        for (int64_t l = 0; l < n; l++)
          s += A0[i * lda + l] * X[l * ldb + c];
        ck_assert_msg(fabs(s - B0[i * ldb + c]) <= 1e-10, "posv ref=%d residual %g", ref,
                      s - B0[i * ldb + c]);
      }
    for (int64_t i = 0; i < n; i++) /* padding columns of B untouched */
      for (int64_t c = nrhs; c < ldb; c++)
        ck_assert_double_eq(X[i * ldb + c], B0[i * ldb + c]);
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < nrhs; c++)
      ck_assert_double_le(fabs(B[i * ldb + c] - Br[i * ldb + c]), 1e-10);
  free(M), free(A0), free(A), free(B0), free(B), free(Br);
}
END_TEST

START_TEST(test_posv_rejects_non_positive_definite_matrix) {
  for (int ref = 0; ref < 2; ref++) {
    double A[9] = {1, 0, 0, 0, -1, 0, 0, 0, 2}, b[3] = {1, 1, 1};
    ck_assert_int_eq(ref ? rlz_ref_posv_f64(3, 1, A, 3, b, 1) : rlz_posv_f64(3, 1, A, 3, b, 1),
                     RICHETA_ERR_INVALID);
    double S[4] = {1, 2, 2, 1}; /* indefinite: eigenvalues 3 and -1 */
    ck_assert_int_eq(ref ? rlz_ref_posv_f64(2, 0, S, 2, NULL, 1)
                         : rlz_posv_f64(2, 0, S, 2, NULL, 1),
                     RICHETA_ERR_INVALID);
  }
}
END_TEST

START_TEST(test_gels_recovers_exact_coefficients) {
  rng_seed(8);
  const int64_t m = 20, n = 4, lda = n + 3;
  const double coef[4] = {1.0, -2.0, 0.5, 3.0};
  for (int ref = 0; ref < 2; ref++) {
    double A[20 * 7], b[20];
    for (int64_t i = 0; i < m; i++) {
      b[i] = 0.0;
      for (int64_t j = 0; j < lda; j++) {
        A[i * lda + j] = j < n ? urand() : NAN;
        if (j < n)
          b[i] += A[i * lda + j] * coef[j];
      }
    }
    ck_assert_int_eq(ref ? rlz_ref_gels_f64(m, n, A, lda, b) : rlz_gels_f64(m, n, A, lda, b),
                     RICHETA_OK);
    for (int j = 0; j < 4; j++)
      ck_assert_msg(fabs(b[j] - coef[j]) <= 1e-12, "gels ref=%d coef %d = %.17g", ref, j, b[j]);
  }
}
END_TEST

START_TEST(test_gels_rejects_rank_deficient_and_underdetermined) {
  for (int ref = 0; ref < 2; ref++) {
    double A[6] = {1, 0, 2, 0, 3, 0}, b[3] = {1, 2, 3}; /* zero second column */
    ck_assert_int_eq(ref ? rlz_ref_gels_f64(3, 2, A, 2, b) : rlz_gels_f64(3, 2, A, 2, b),
                     RICHETA_ERR_INVALID);
    double W[6] = {1, 2, 3, 4, 5, 6}, c[3] = {1, 2, 3};
    ck_assert_int_eq(ref ? rlz_ref_gels_f64(2, 3, W, 3, c) : rlz_gels_f64(2, 3, W, 3, c),
                     RICHETA_ERR_RANGE);
  }
}
END_TEST

START_TEST(test_lapack_wrappers_reject_nonfinite_input) {
  for (int ref = 0; ref < 2; ref++) {
    double A[4] = {1, 0, NAN, 1}, w[2];
    ck_assert_int_eq(ref ? rlz_ref_syev_vec_f64(true, 2, A, 2, w) : rlz_syev_f64(true, 2, A, 2, w),
                     RICHETA_ERR_NONFINITE);
    double P[4] = {2, 0, 0, 2}, b[2] = {1, INFINITY};
    ck_assert_int_eq(ref ? rlz_ref_posv_f64(2, 1, P, 2, b, 1) : rlz_posv_f64(2, 1, P, 2, b, 1),
                     RICHETA_ERR_NONFINITE);
    double d[2] = {1, 2}, e[1] = {NAN};
    ck_assert_int_eq(ref ? rlz_ref_stev_f64(2, d, e, NULL, 0) : rlz_stev_f64(2, d, e, NULL, 0),
                     RICHETA_ERR_NONFINITE);
  }
}
END_TEST

/* ---- argument checks ---------------------------------------------------- */

START_TEST(test_sizes_beyond_blas_integers_fail_without_computing) {
  const int64_t huge = 1LL << 40;
  const int bits = rlz_blas_int_bits();
  ck_assert(bits == 32 || bits == 64);
  /* With 32-bit BLAS integers the size cannot be narrowed (OVERFLOW); with
   * 64-bit ones the call gets as far as the NULL operands. */
  const richeta_status want = bits == 32 ? RICHETA_ERR_OVERFLOW : RICHETA_ERR_NULL;
  ck_assert_int_eq(
      rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, huge, 4, 4, 1.0f, NULL, 4, NULL, 4, 0.0f, NULL, 4),
      want);
  ck_assert_int_eq(
      rlz_gemm_f64(RLZ_TRANS, RLZ_NO_TRANS, 4, 4, huge, 1.0, NULL, 4, NULL, 4, 0.0, NULL, 4), want);
  ck_assert_int_eq(
      rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, 2, 2, 2, 1.0, NULL, huge, NULL, 2, 0.0, NULL, 2),
      want);
  ck_assert_int_eq(rlz_gemv_f32(RLZ_TRANS, huge, 3, 1.0f, NULL, 3, NULL, 0.0f, NULL), want);
  ck_assert_int_eq(rlz_gemv_f64(RLZ_NO_TRANS, 3, huge, 1.0, NULL, huge, NULL, 0.0, NULL), want);
  ck_assert_int_eq(rlz_axpy_f32(huge, 1.0f, NULL, NULL), want);
  ck_assert_int_eq(rlz_axpy_f64(huge, 1.0, NULL, NULL), want);
  ck_assert_int_eq(rlz_scal_f32(huge, 2.0f, NULL), want);
  ck_assert_int_eq(rlz_scal_f64(huge, 2.0, NULL), want);
  ck_assert_int_eq(rlz_stev_f64(huge, NULL, NULL, NULL, 0), want);
  ck_assert_int_eq(rlz_gels_f64(huge, 2, NULL, 2, NULL), want);
  /* n x n with n = 2^40 cannot even be addressed: OVERFLOW whatever the BLAS */
  ck_assert_int_eq(rlz_syev_f64(true, huge, NULL, huge, NULL), RICHETA_ERR_OVERFLOW);
  ck_assert_int_eq(rlz_posv_f64(huge, 1, NULL, huge, NULL, 1), RICHETA_ERR_OVERFLOW);
  ck_assert_int_eq(rlz_ref_syev_f64(huge, NULL, huge, NULL), RICHETA_ERR_OVERFLOW);
  ck_assert_int_eq(rlz_ref_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, huge, huge, 1, 1.0, NULL, 1, NULL,
                                    huge, 0.0, NULL, huge),
                   RICHETA_ERR_OVERFLOW);
  /* the reference loops use 64-bit sizes: 2^40 alone is fine, NULL is not */
  ck_assert_int_eq(rlz_ref_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, huge, 4, 4, 1.0f, NULL, 4, NULL, 4,
                                    0.0f, NULL, 4),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_ref_axpy_f64(huge, 1.0, NULL, NULL), RICHETA_ERR_NULL);
}
END_TEST

START_TEST(test_negative_sizes_and_short_leading_dimensions_are_range_errors) {
  double A[16] = {0}, B[16] = {0}, C[16] = {0}, x[4] = {0}, y[4] = {0};
  float Af[16] = {0}, xf[4] = {0}, yf[4] = {0};
  for (int ref = 0; ref < 2; ref++) {
    richeta_status (*gemm)(rlz_trans, rlz_trans, int64_t, int64_t, int64_t, double, const double *,
                           int64_t, const double *, int64_t, double, double *, int64_t) =
        ref ? rlz_ref_gemm_f64 : rlz_gemm_f64;
    ck_assert_int_eq(gemm(RLZ_NO_TRANS, RLZ_NO_TRANS, -1, 2, 2, 1, A, 2, B, 2, 0, C, 2),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(gemm(RLZ_NO_TRANS, RLZ_NO_TRANS, 2, 2, -1, 1, A, 2, B, 2, 0, C, 2),
                     RICHETA_ERR_RANGE);
    /* op(A) is 2 x 3: stored rows have 3 entries (NoTrans) or 2 (Trans) */
    ck_assert_int_eq(gemm(RLZ_NO_TRANS, RLZ_NO_TRANS, 2, 4, 3, 1, A, 2, B, 4, 0, C, 4),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(gemm(RLZ_TRANS, RLZ_NO_TRANS, 2, 4, 3, 1, A, 2, B, 4, 0, C, 4), RICHETA_OK);
    ck_assert_int_eq(gemm(RLZ_TRANS, RLZ_NO_TRANS, 2, 4, 3, 1, A, 1, B, 4, 0, C, 4),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(gemm(RLZ_NO_TRANS, RLZ_TRANS, 2, 4, 3, 1, A, 3, B, 2, 0, C, 4),
                     RICHETA_ERR_RANGE); /* stored B is 4 x 3 */
    ck_assert_int_eq(gemm(RLZ_NO_TRANS, RLZ_NO_TRANS, 2, 4, 3, 1, A, 3, B, 4, 0, C, 3),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(gemm((rlz_trans)7, RLZ_NO_TRANS, 1, 1, 1, 1, A, 1, B, 1, 0, C, 1),
                     RICHETA_ERR_INVALID);
    ck_assert_int_eq(ref ? rlz_ref_gemv_f32(RLZ_NO_TRANS, 2, -3, 1, Af, 3, xf, 0, yf)
                         : rlz_gemv_f32(RLZ_NO_TRANS, 2, -3, 1, Af, 3, xf, 0, yf),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_gemv_f64(RLZ_TRANS, 2, 3, 1, A, 2, x, 0, y)
                         : rlz_gemv_f64(RLZ_TRANS, 2, 3, 1, A, 2, x, 0, y),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_axpy_f64(-1, 1, x, y) : rlz_axpy_f64(-1, 1, x, y),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_scal_f32(-5, 1, xf) : rlz_scal_f32(-5, 1, xf),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_syev_vec_f64(true, -2, A, 2, x)
                         : rlz_syev_f64(true, -2, A, 2, x),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_syev_vec_f64(true, 3, A, 2, x) : rlz_syev_f64(true, 3, A, 2, x),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_stev_f64(3, x, y, C, 2) : rlz_stev_f64(3, x, y, C, 2),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_posv_f64(2, -1, A, 2, B, 1) : rlz_posv_f64(2, -1, A, 2, B, 1),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_posv_f64(2, 3, A, 2, B, 2) : rlz_posv_f64(2, 3, A, 2, B, 2),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(ref ? rlz_ref_gels_f64(-3, 2, A, 2, x) : rlz_gels_f64(-3, 2, A, 2, x),
                     RICHETA_ERR_RANGE);
  }
}
END_TEST

START_TEST(test_null_operands_rejected_unless_the_call_is_empty) {
  double A[4] = {1, 0, 0, 1}, x[2] = {1, 1}, w[2];
  ck_assert_int_eq(rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, 2, 2, 2, 1, NULL, 2, A, 2, 0, x, 2),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_gemm_f64(RLZ_NO_TRANS, RLZ_NO_TRANS, 1, 2, 2, 1, A, 2, A, 2, 0, NULL, 2),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_gemv_f64(RLZ_NO_TRANS, 2, 2, 1, A, 2, NULL, 0, x), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_axpy_f32(3, 1, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_scal_f64(1, 2, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_syev_f64(false, 2, A, 2, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_stev_f64(2, x, NULL, NULL, 0), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_posv_f64(2, 1, A, 2, NULL, 1), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_gels_f64(2, 2, NULL, 2, x), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_ref_syev_f64(2, NULL, 2, w), RICHETA_ERR_NULL);
  /* empty calls never dereference anything */
  ck_assert_int_eq(rlz_gemv_f32(RLZ_TRANS, 0, 0, 1, NULL, 1, NULL, 0, NULL), RICHETA_OK);
  ck_assert_int_eq(rlz_axpy_f64(0, 1, NULL, NULL), RICHETA_OK);
  ck_assert_int_eq(rlz_scal_f32(0, 1, NULL), RICHETA_OK);
  ck_assert_int_eq(rlz_syev_f64(true, 0, NULL, 1, NULL), RICHETA_OK);
  ck_assert_int_eq(rlz_stev_f64(0, NULL, NULL, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(rlz_posv_f64(0, 0, NULL, 1, NULL, 1), RICHETA_OK);
  ck_assert_int_eq(rlz_gels_f64(0, 0, NULL, 1, NULL), RICHETA_OK);
  double d1 = 4.0; /* n == 1: e may be NULL */
  ck_assert_int_eq(rlz_stev_f64(1, &d1, NULL, NULL, 0), RICHETA_OK);
  ck_assert_double_eq(d1, 4.0);
}
END_TEST

/* ---- identity and threads ----------------------------------------------- */

START_TEST(test_better_core_decision_from_cpu_flags_and_the_chosen_core) {
  const unsigned avx512 = RLZ_CPU_AVX2 | RLZ_CPU_FMA | RLZ_CPU_AVX512F | RLZ_CPU_AVX512BW |
                          RLZ_CPU_AVX512VL | RLZ_CPU_AVX512DQ | RLZ_CPU_AVX512CD;
  const unsigned avx2 = RLZ_CPU_AVX2 | RLZ_CPU_FMA;
  /* the fallback of OpenBLAS 0.3.21 on Intel family 6 model 207 */
  ck_assert_str_eq(rlz_blas_better_core("Prescott", avx512), "SkylakeX");
  ck_assert_str_eq(rlz_blas_better_core("Prescott", avx2), "Haswell");
  ck_assert_str_eq(rlz_blas_better_core("Nehalem", avx2), "Haswell");
  ck_assert_str_eq(rlz_blas_better_core("Sandybridge", avx512), "SkylakeX");
  ck_assert_str_eq(rlz_blas_better_core("Haswell", avx512), "SkylakeX");
  /* nothing better */
  ck_assert_ptr_null(rlz_blas_better_core("SkylakeX", avx512));
  ck_assert_ptr_null(rlz_blas_better_core("Cooperlake", avx512));
  ck_assert_ptr_null(rlz_blas_better_core("SapphireRapids", avx512));
  ck_assert_ptr_null(rlz_blas_better_core("Haswell", avx2));
  ck_assert_ptr_null(rlz_blas_better_core("Prescott", 0));
  /* AVX-512 without all five subsets, or AVX2 without FMA, is not enough */
  ck_assert_str_eq(rlz_blas_better_core("Prescott", avx512 & ~RLZ_CPU_AVX512CD), "Haswell");
  ck_assert_ptr_null(rlz_blas_better_core("Prescott", RLZ_CPU_AVX2));
  /* OpenBLAS's own choice for AMD is kept; no BLAS, no advice */
  ck_assert_ptr_null(rlz_blas_better_core("Zen", avx512));
  ck_assert_ptr_null(rlz_blas_better_core(NULL, avx512));
  ck_assert_ptr_null(rlz_blas_better_core("", avx512));
  /* the limit the sweeps obey, and the build info that names it all */
  const char *info = richeta_build_info();
  ck_assert_ptr_nonnull(strstr(info, "blas_core="));
  ck_assert_ptr_nonnull(strstr(info, "blas_core_advice="));
  ck_assert_ptr_nonnull(strstr(info, "blas_max_threads="));
#if defined(RLZ_BLAS_OPENBLAS)
  ck_assert_int_gt(rlz_blas_max_callers(), 0);
  ck_assert_ptr_nonnull(rlz_blas_core_name());
#else
  ck_assert_int_eq(rlz_blas_max_callers(), 0);
#endif
}
END_TEST

START_TEST(test_blas_identity_and_thread_control) {
  const char *v = rlz_blas_vendor();
  ck_assert_ptr_nonnull(v);
  ck_assert_int_gt((int)strlen(v), 0);
  ck_assert_ptr_eq(rlz_blas_vendor(), v); /* stable pointer */
#if defined(RLZ_BLAS_OPENBLAS)
  ck_assert_msg(strncmp(v, "OpenBLAS", 8) == 0, "vendor '%s'", v);
#elif defined(RLZ_BLAS_NONE)
  ck_assert_str_eq(v, "reference (no BLAS)");
#endif
  const int before = rlz_blas_get_threads_impl();
  ck_assert_int_ge(before, 1);
  ck_assert_int_eq(rlz_blas_set_threads_impl(0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(rlz_blas_set_threads_impl(-4), RICHETA_ERR_RANGE);
  richeta_status st = rlz_blas_set_threads_impl(1);
#if defined(RLZ_BLAS_OPENBLAS) || defined(RLZ_BLAS_NONE)
  ck_assert_int_eq(st, RICHETA_OK);
  ck_assert_int_eq(rlz_blas_get_threads_impl(), 1);
#else
  ck_assert_int_eq(st, RICHETA_ERR_UNSUPPORTED);
#endif
  if (st == RICHETA_OK && before > 1)
    ck_assert_int_eq(rlz_blas_set_threads_impl(before), RICHETA_OK);
}
END_TEST

Suite *numeric_suite(void); /* called by runner.c */

Suite *numeric_suite(void) {
  Suite *s = suite_create("numeric");
  TCase *blas = tcase_create("blas");
  tcase_add_test(blas, test_gemm_f32_matches_reference_all_transposes_shapes_and_strides);
  tcase_add_test(blas, test_gemm_f64_matches_reference_all_transposes_shapes_and_strides);
  tcase_add_test(blas, test_gemm_k_zero_scales_c_by_beta_and_beta_zero_clears_nan);
  tcase_add_test(blas, test_gemm_alpha_zero_does_not_read_a_and_b);
  tcase_add_test(blas, test_gemm_empty_output_is_a_noop_even_with_null_operands);
  tcase_add_test(blas, test_gemv_matches_reference_both_transposes);
  tcase_add_test(blas, test_ger_matches_reference);
  tcase_add_test(blas, test_level1_matches_reference);
  tcase_add_test(blas, test_scal_alpha_zero_stores_zeros_and_axpy_alpha_zero_keeps_y);
  tcase_add_test(blas, test_f32_dot_and_nrm2_accumulate_in_double);
  tcase_add_test(blas, test_dot_and_nrm2_bad_arguments_give_nan_and_empty_gives_zero);
  suite_add_tcase(s, blas);
  TCase *lapack = tcase_create("lapack");
  tcase_add_test(lapack, test_syev_matches_jacobi_and_satisfies_eigen_equation);
  tcase_add_test(lapack, test_syev_known_spectrum);
  tcase_add_test(lapack, test_stev_matches_syev_of_dense_tridiagonal);
  tcase_add_test(lapack, test_posv_solves_spd_system);
  tcase_add_test(lapack, test_posv_rejects_non_positive_definite_matrix);
  tcase_add_test(lapack, test_gels_recovers_exact_coefficients);
  tcase_add_test(lapack, test_gels_rejects_rank_deficient_and_underdetermined);
  tcase_add_test(lapack, test_lapack_wrappers_reject_nonfinite_input);
  suite_add_tcase(s, lapack);
  TCase *args = tcase_create("args");
  tcase_add_test(args, test_sizes_beyond_blas_integers_fail_without_computing);
  tcase_add_test(args, test_negative_sizes_and_short_leading_dimensions_are_range_errors);
  tcase_add_test(args, test_null_operands_rejected_unless_the_call_is_empty);
  tcase_add_test(args, test_blas_identity_and_thread_control);
  tcase_add_test(args, test_better_core_decision_from_cpu_flags_and_the_chosen_core);
  suite_add_tcase(s, args);
  return s;
}
