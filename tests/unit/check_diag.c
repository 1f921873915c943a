/* Diagnostics: exact curvature and kernels against independent references
 * (finite differences of the model's own gradient, dense eigensolvers,
 * explicit per-sample gradients, closed-form toy values). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include <richlazy/diag.h>
#include <richlazy/optim.h>

static richeta_model *make_model(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  richeta_model *m = NULL;
  ck_assert_msg(richeta_model_new(&m, cfg) == RICHETA_OK, "%s", richeta_last_error());
  richeta_config_free(cfg);
  return m;
}

static void fill_normal(double *v, int64_t n, uint64_t seed) {
  rlz_rng_normals(seed, 77, 0, n, v);
}

/* Targets: one-hot rows for CE, Gaussian for MSE. */
static void fill_targets(double *y, int64_t B, int64_t C, int ce, uint64_t seed) {
  if (!ce) {
    fill_normal(y, B * C, seed);
    return;
  }
  memset(y, 0, (size_t)(B * C) * sizeof(double));
  for (int64_t i = 0; i < B; i++)
    y[i * C + (int64_t)(rlz_rng_below(seed, 5, (uint64_t)i, (uint64_t)C))] = 1.0;
}

static const char *params[] = {"mf", "ntk", "sp"};
static const char *acts[] = {"tanh", "gelu", "identity", "relu"};
static const char *losses[] = {"mse", "ce"};

START_TEST(hvp_matches_finite_differences_of_the_gradient) {
  double worst = 0;
  for (int pi = 0; pi < 3; pi++)
    for (int ai = 0; ai < 4; ai++)
      for (int li = 0; li < 2; li++)
        for (int L = 1; L <= 3; L++) {
          char spec[256];
          snprintf(spec, sizeof spec,
                   "D=4,N=6,C=3,L=%d,B=5,dtype=f64,gamma=0.7,param=%s,act=%s,loss=%s,seed=%d", L,
                   params[pi], acts[ai], losses[li], 3 + pi);
          richeta_model *m = make_model(spec);
          int64_t P;
          richeta_model_num_params(m, &P);
          double x[20], y[15];
          fill_normal(x, 20, 11);
          fill_targets(y, 5, 3, li == 1, 12);
          /* move away from init so the residual term of H is present */
          double *th = malloc((size_t)P * sizeof(double)), *v = malloc((size_t)P * sizeof(double));
          double *hv = malloc((size_t)P * sizeof(double)), *gp = malloc((size_t)P * sizeof(double));
          double *gm = malloc((size_t)P * sizeof(double)), *pert = malloc((size_t)P * sizeof(double));
          richeta_model_get_params(m, th, P);
          fill_normal(pert, P, 99);
          for (int64_t i = 0; i < P; i++)
            th[i] += 0.3 * pert[i];
          richeta_model_set_params(m, th, P);
          fill_normal(v, P, 5);
          ck_assert_int_eq(richeta_diag_hvp(m, x, y, 5, v, hv, P), RICHETA_OK);
          const double eps = 1e-5;
          double *tp = malloc((size_t)P * sizeof(double));
          for (int64_t i = 0; i < P; i++)
            tp[i] = th[i] + eps * v[i];
          richeta_model_set_params(m, tp, P);
          richeta_model_loss_grad_f64(m, x, y, 5, NULL, gp, P);
          for (int64_t i = 0; i < P; i++)
            tp[i] = th[i] - eps * v[i];
          richeta_model_set_params(m, tp, P);
          richeta_model_loss_grad_f64(m, x, y, 5, NULL, gm, P);
          double num = 0, den = 0;
          for (int64_t i = 0; i < P; i++) {
            double fd = (gp[i] - gm[i]) / (2 * eps);
            num += (fd - hv[i]) * (fd - hv[i]);
            den += fd * fd + hv[i] * hv[i];
          }
          double rel = sqrt(num / (den + 1e-300));
          if (rel > worst)
            worst = rel;
          ck_assert_msg(rel < 1e-6, "%s: relative HVP error %g", spec, rel);
          free(th), free(v), free(hv), free(gp), free(gm), free(pert), free(tp);
          richeta_model_free(m);
        }
  fprintf(stderr, "# diag: max relative HVP error vs finite differences: %.3g\n", worst);
}
END_TEST

/* Dense Hessian column by column from HVPs, then LAPACK eigenvalues. */
START_TEST(lanczos_matches_dense_hessian_spectrum) {
  richeta_model *m = make_model("D=3,N=5,C=2,L=3,B=4,dtype=f64,gamma=0.5,act=tanh,seed=4");
  int64_t P;
  richeta_model_num_params(m, &P);
  double x[12], y[8];
  fill_normal(x, 12, 1);
  fill_normal(y, 8, 2);
  double *H = calloc((size_t)(P * P), sizeof(double)), *e = calloc((size_t)P, sizeof(double));
  double *hv = calloc((size_t)P, sizeof(double)), *w = calloc((size_t)P, sizeof(double));
  for (int64_t c = 0; c < P; c++) {
    memset(e, 0, (size_t)P * sizeof(double));
    e[c] = 1;
    ck_assert_int_eq(richeta_diag_hvp(m, x, y, 4, e, hv, P), RICHETA_OK);
    for (int64_t r = 0; r < P; r++)
      H[r * P + c] = hv[r];
  }
  double asym = 0;
  for (int64_t r = 0; r < P; r++)
    for (int64_t c = 0; c < P; c++)
      asym = fmax(asym, fabs(H[r * P + c] - H[c * P + r]));
  ck_assert_msg(asym < 1e-10, "Hessian not symmetric: %g", asym);
  ck_assert_int_eq(richeta_diag_eigenvalues(P, H, w), RICHETA_OK);
  double top[4];
  ck_assert_int_eq(richeta_diag_hessian_top(m, x, y, 4, 4, P, 7, top), RICHETA_OK);
  for (int i = 0; i < 4; i++)
    ck_assert_msg(fabs(top[i] - w[i]) < 1e-8 * (fabs(w[0]) + 1e-12), "eig %d: lanczos %g dense %g",
                  i, top[i], w[i]);
  free(H), free(e), free(hv), free(w);
  richeta_model_free(m);
}
END_TEST

START_TEST(ntk_matches_explicit_per_sample_gradients) {
  const int64_t B = 3, C = 2;
  richeta_model *m =
      make_model("D=4,N=7,C=2,L=3,B=3,dtype=f64,gamma=0.9,act=gelu,param=ntk,seed=8,loss=mse");
  int64_t P;
  richeta_model_num_params(m, &P);
  double x[12], K[36], f[6];
  fill_normal(x, 12, 3);
  double *th = malloc((size_t)P * sizeof(double)), *pert = malloc((size_t)P * sizeof(double));
  richeta_model_get_params(m, th, P);
  fill_normal(pert, P, 4);
  for (int64_t i = 0; i < P; i++)
    th[i] += 0.2 * pert[i];
  richeta_model_set_params(m, th, P);
  ck_assert_int_eq(richeta_diag_ntk(m, x, B, 0, K, 36), RICHETA_OK);
  /* grad f_c(x_i) from the model's MSE gradient on one sample with target
   * y = f - 0.5 e_c: d/dtheta (1/C) sum (f - y)^2 = (1/C) grad f_c. */
  double *J = malloc((size_t)(B * C * P) * sizeof(double));
  for (int64_t i = 0; i < B; i++) {
    richeta_model_forward_f64(m, x + i * 4, 1, f);
    for (int64_t c = 0; c < C; c++) {
      double y[2] = {f[0], f[1]};
      y[c] -= 0.5;
      richeta_model_loss_grad_f64(m, x + i * 4, y, 1, NULL, J + (i * C + c) * P, P);
      for (int64_t k = 0; k < P; k++)
        J[(i * C + c) * P + k] *= (double)C;
    }
  }
  for (int64_t u = 0; u < B * C; u++)
    for (int64_t v = 0; v < B * C; v++) {
      double ref = 0;
      for (int64_t k = 0; k < P; k++)
        ref += J[u * P + k] * J[v * P + k];
      ck_assert_msg(fabs(ref - K[u * B * C + v]) < 1e-10 * (fabs(ref) + 1),
                    "K[%lld,%lld] = %g, explicit %g", (long long)u, (long long)v,
                    K[u * B * C + v], ref);
    }
  free(J), free(th), free(pert);
  richeta_model_free(m);
}
END_TEST

/* The scalar deep linear toy: f = (w_1...w_L - 1)/gamma, MSE without 1/2,
 * one example x = y = 1, at w = 1 (f = 0). Gauss-Newton part 2 grad f grad f^T
 * has top eigenvalue 2 L / gamma^2; the full Hessian adds 2 (f - 1) grad^2 f =
 * -(2/gamma)(11^T - I), so its top eigenvalue is exactly
 * max(2L/gamma^2 - 2(L-1)/gamma, 2/gamma) (for L >= 2; 2/gamma^2 for L = 1). */
START_TEST(toy_model_sharpness_is_2L_over_gamma_squared) {
  const double gammas[] = {1e-3, 0.1, 1, 10, 1e3};
  for (int L = 1; L <= 4; L++)
    for (int g = 0; g < 5; g++) {
      char spec[200];
      double gm = gammas[g];
      snprintf(spec, sizeof spec,
               "D=1,N=1,C=1,L=%d,bias=0,act=identity,dtype=f64,center=frozen,gamma=%.17g,B=1", L,
               gm);
      richeta_model *m = make_model(spec);
      double one = 1.0;
      for (int l = 0; l < L; l++)
        ck_assert_int_eq(richeta_model_set_layer(m, l, &one, 1, NULL, 0), RICHETA_OK);
      richeta_model_recenter(m);
      double top, gn;
      ck_assert_int_eq(richeta_diag_hessian_top(m, &one, &one, 1, 1, L, 1, &top), RICHETA_OK);
      ck_assert_int_eq(richeta_diag_gn_top(m, &one, &one, 1, 50, 1, &gn), RICHETA_OK);
      double gn_expect = 2.0 * L / (gm * gm);
      double expect = L == 1 ? gn_expect : fmax(gn_expect - 2.0 * (L - 1) / gm, 2.0 / gm);
      ck_assert_msg(fabs(gn - gn_expect) < 1e-9 * gn_expect, "GN L=%d gamma=%g: %g vs %g", L, gm,
                    gn, gn_expect);
      ck_assert_msg(fabs(top - expect) < 1e-9 * expect, "H L=%d gamma=%g: %g vs %g", L, gm, top,
                    expect);
      /* for gamma << 1 the sharpness is 2L/gamma^2 to leading order */
      if (gm <= 1e-3)
        ck_assert(fabs(top / gn_expect - 1) < 2e-3);
      richeta_model_free(m);
    }
}
END_TEST

START_TEST(initial_sharpness_scales_as_gamma_minus_two) {
  const double gammas[] = {1e-3, 1e-2, 1e-1};
  double lx[3], ly[3];
  double x[64 * 8], y[64];
  fill_normal(x, 64 * 8, 21);
  fill_normal(y, 64, 22);
  for (int g = 0; g < 3; g++) {
    char spec[200];
    snprintf(spec, sizeof spec, "D=8,N=64,C=1,L=3,B=64,dtype=f64,gamma=%.17g,seed=5",
             gammas[g]);
    richeta_model *m = make_model(spec);
    double top;
    ck_assert_int_eq(richeta_diag_hessian_top(m, x, y, 64, 1, 20, 3, &top), RICHETA_OK);
    lx[g] = log(gammas[g]);
    ly[g] = log(top);
    richeta_model_free(m);
  }
  double mx = (lx[0] + lx[1] + lx[2]) / 3, my = (ly[0] + ly[1] + ly[2]) / 3, sxy = 0, sxx = 0;
  for (int g = 0; g < 3; g++) {
    sxy += (lx[g] - mx) * (ly[g] - my);
    sxx += (lx[g] - mx) * (lx[g] - mx);
  }
  double slope = sxy / sxx;
  fprintf(stderr, "# diag: initial sharpness exponent vs gamma (MLP L=3, N=64): %.4f\n", slope);
  ck_assert_msg(fabs(slope + 2) < 0.05, "slope %g", slope);
}
END_TEST

START_TEST(alignment_of_a_kernel_with_itself_is_one) {
  double y[4] = {1, -2, 0.5, 3}, K[16], K2[16], a;
  for (int u = 0; u < 4; u++)
    for (int v = 0; v < 4; v++) {
      K[u * 4 + v] = y[u] * y[v];
      K2[u * 4 + v] = (u == v) + 0.3 * y[u] * y[v];
    }
  ck_assert_int_eq(richeta_diag_kernel_alignment(4, K, y, 4, 1, &a), RICHETA_OK);
  ck_assert_double_eq_tol(a, 1.0, 1e-14);
  ck_assert_int_eq(richeta_diag_cka(4, K2, K2, &a), RICHETA_OK);
  ck_assert_double_eq_tol(a, 1.0, 1e-14);
  ck_assert_int_eq(richeta_diag_cka(4, K, K2, &a), RICHETA_OK);
  ck_assert(a < 1.0 && a > 0.0);
  double zero[16] = {0};
  ck_assert_int_eq(richeta_diag_kernel_alignment(4, zero, y, 4, 1, &a), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_diag_kernel_alignment(5, K, y, 4, 1, &a), RICHETA_ERR_MISMATCH);
}
END_TEST

START_TEST(gauss_newton_top_equals_scaled_ntk_top_for_mse) {
  richeta_model *m = make_model("D=5,N=16,C=2,L=2,B=6,dtype=f64,gamma=0.3,act=relu,seed=2");
  double x[30], y[12], K[144], w[12], lam;
  fill_normal(x, 30, 8);
  fill_normal(y, 12, 9);
  ck_assert_int_eq(richeta_diag_ntk(m, x, 6, 0, K, 144), RICHETA_OK);
  ck_assert_int_eq(richeta_diag_eigenvalues(12, K, w), RICHETA_OK);
  ck_assert_int_eq(richeta_diag_gn_top(m, x, y, 6, 300, 1, &lam), RICHETA_OK);
  double expect = 2.0 / 12.0 * w[0];
  ck_assert_msg(fabs(lam - expect) < 1e-6 * expect, "GN top %g, 2/(BC) NTK top %g", lam, expect);
  richeta_model_free(m);
}
END_TEST

START_TEST(weight_movement_and_coordinate_check) {
  richeta_model *m = make_model("D=5,N=32,C=1,L=3,B=8,dtype=f64,gamma=1,seed=3");
  double mv[3], sz[3], x[40];
  ck_assert_int_eq(richeta_diag_weight_movement(m, mv, 3), RICHETA_OK);
  for (int l = 0; l < 3; l++)
    ck_assert_double_eq(mv[l], 0.0);
  int64_t P;
  richeta_model_num_params(m, &P);
  double *th = malloc((size_t)P * sizeof(double));
  richeta_model_get_params(m, th, P);
  for (int64_t i = 0; i < 5 * 32; i++) /* scale W_0 by 1.1: movement 0.1 */
    th[i] *= 1.1;
  richeta_model_set_params(m, th, P);
  ck_assert_int_eq(richeta_diag_weight_movement(m, mv, 3), RICHETA_OK);
  ck_assert_double_eq_tol(mv[0], 0.1, 1e-12);
  ck_assert_double_eq(mv[1], 0.0);
  fill_normal(x, 40, 3);
  ck_assert_int_eq(richeta_diag_preactivation_size(m, x, 8, sz, 3), RICHETA_OK);
  /* hidden pre-activations are O(1) under the 1/sqrt(fan_in) multipliers */
  ck_assert(sz[0] > 0.3 && sz[0] < 3 && sz[1] > 0.1 && sz[1] < 3);
  ck_assert_int_eq(richeta_diag_preactivation_size(m, x, 8, sz, 2), RICHETA_ERR_BUFFER_TOO_SMALL);
  free(th);
  richeta_model_free(m);
}
END_TEST

/* Full-batch gradient descent at small gamma converges to kernel regression
 * with the initial NTK (the lazy limit); the distance shrinks with gamma. */
START_TEST(small_gamma_network_approaches_ntk_regression) {
  enum { NTR = 6, NTE = 4, D = 3 };
  double xtr[NTR * D], ytr[NTR], xte[NTE * D];
  fill_normal(xtr, NTR * D, 31);
  fill_normal(ytr, NTR, 32);
  fill_normal(xte, NTE * D, 33);
  const double gammas[] = {1e-1, 1e-2, 1e-3};
  double dist[3];
  for (int g = 0; g < 3; g++) {
    char spec[200];
    snprintf(spec, sizeof spec,
             "D=%d,N=128,C=1,L=2,B=%d,dtype=f64,gamma=%.17g,act=tanh,seed=6,momentum=0", D, NTR,
             gammas[g]);
    richeta_config *cfg;
    richeta_config_new(&cfg, NULL);
    richeta_config_parse(cfg, spec);
    richeta_model *m;
    ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
    double kr[NTE], K[NTR * NTR], w[NTR], f[NTE];
    ck_assert_int_eq(richeta_diag_kernel_regression(m, xtr, ytr, NTR, xte, NTE, 0.0, kr),
                     RICHETA_OK);
    /* step size 1/lambda_max of the loss Hessian 2K/n (K at init) */
    ck_assert_int_eq(richeta_diag_ntk(m, xtr, NTR, 1, K, NTR * NTR), RICHETA_OK);
    ck_assert_int_eq(richeta_diag_eigenvalues(NTR, K, w), RICHETA_OK);
    richeta_optim *o;
    ck_assert_int_eq(richeta_optim_new(&o, m, cfg), RICHETA_OK);
    double mult;
    richeta_optim_width_multiplier(o, &mult);
    ck_assert_int_eq(richeta_optim_set_eta(o, 1.0 / (2.0 / NTR * w[0]) / mult), RICHETA_OK);
    double loss = 0;
    for (int t = 0; t < 20000; t++)
      ck_assert_int_eq(richeta_optim_step_f64(o, xtr, ytr, NTR, &loss), RICHETA_OK);
    richeta_model_forward_f64(m, xte, NTE, f);
    double num = 0, den = 0;
    for (int i = 0; i < NTE; i++) {
      num += (f[i] - kr[i]) * (f[i] - kr[i]);
      den += kr[i] * kr[i];
    }
    dist[g] = sqrt(num / den);
    fprintf(stderr,
            "# diag: lazy limit gamma=%g: train loss %.3g, relative distance to NTK regression "
            "%.3g\n",
            gammas[g], loss, dist[g]);
    richeta_optim_free(o);
    richeta_model_free(m);
    richeta_config_free(cfg);
  }
  ck_assert(dist[1] < 0.3 * dist[0]);
  ck_assert(dist[2] < 0.3 * dist[1]);
  ck_assert(dist[2] < 1e-2);
}
END_TEST

START_TEST(bad_arguments_give_statuses) {
  richeta_model *m = make_model("D=2,N=3,C=1,L=2,B=2,dtype=f64");
  double x[4] = {0}, y[2] = {0}, v[20], hv[20], e, K[4];
  int64_t P;
  richeta_model_num_params(m, &P);
  ck_assert_int_eq(richeta_diag_hvp(NULL, x, y, 2, v, hv, P), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_diag_hvp(m, x, y, 0, v, hv, P), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_diag_hvp(m, x, y, 2, v, hv, P + 1), RICHETA_ERR_MISMATCH);
  ck_assert(strlen(richeta_model_last_error(m)) > 0);
  ck_assert_int_eq(richeta_diag_hessian_top(m, x, y, 2, 0, 5, 1, &e), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_diag_hessian_top(m, x, y, 2, 3, 2, 1, &e), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_diag_hessian_trace(m, x, y, 2, 0, 1, &e, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_diag_ntk(m, x, 2, 0, K, 3), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_diag_feature_kernel(m, x, 2, 1, K, 4), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_diag_kernel_regression(m, x, y, 2, x, 2, NAN, y), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_diag_kernel_regression(m, x, y, 2, x, 2, -1, y), RICHETA_ERR_RANGE);
  double nanmat[1] = {NAN};
  ck_assert_int_eq(richeta_diag_eigenvalues(1, nanmat, &e), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_diag_cka(1, K, K, &e), RICHETA_ERR_RANGE);
  richeta_model_free(m);
}
END_TEST

START_TEST(hutchinson_trace_is_unbiased_on_the_dense_trace) {
  richeta_model *m = make_model("D=3,N=4,C=1,L=2,B=4,dtype=f64,gamma=0.5,act=tanh,seed=9");
  int64_t P;
  richeta_model_num_params(m, &P);
  double x[12], y[4], tr, se;
  fill_normal(x, 12, 5);
  fill_normal(y, 4, 6);
  double *e = calloc((size_t)P, sizeof(double)), *hv = calloc((size_t)P, sizeof(double));
  double exact = 0;
  for (int64_t c = 0; c < P; c++) {
    memset(e, 0, (size_t)P * sizeof(double));
    e[c] = 1;
    richeta_diag_hvp(m, x, y, 4, e, hv, P);
    exact += hv[c];
  }
  ck_assert_int_eq(richeta_diag_hessian_trace(m, x, y, 4, 4000, 3, &tr, &se), RICHETA_OK);
  ck_assert_msg(fabs(tr - exact) < 4 * se + 1e-12, "trace %g +- %g, exact %g", tr, se, exact);
  free(e), free(hv);
  richeta_model_free(m);
}
END_TEST

Suite *diag_suite(void) {
  Suite *s = suite_create("diag");
  TCase *tc = tcase_create("diag");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, hvp_matches_finite_differences_of_the_gradient);
  tcase_add_test(tc, lanczos_matches_dense_hessian_spectrum);
  tcase_add_test(tc, ntk_matches_explicit_per_sample_gradients);
  tcase_add_test(tc, toy_model_sharpness_is_2L_over_gamma_squared);
  tcase_add_test(tc, initial_sharpness_scales_as_gamma_minus_two);
  tcase_add_test(tc, alignment_of_a_kernel_with_itself_is_one);
  tcase_add_test(tc, gauss_newton_top_equals_scaled_ntk_top_for_mse);
  tcase_add_test(tc, weight_movement_and_coordinate_check);
  tcase_add_test(tc, small_gamma_network_approaches_ntk_regression);
  tcase_add_test(tc, bad_arguments_give_statuses);
  tcase_add_test(tc, hutchinson_trace_is_unbiased_on_the_dense_trace);
  suite_add_tcase(s, tc);
  return s;
}
