/* The paper's toy model through the real model code: a deep linear network
 * of width 1 (D = N = C = 1, identity activation, no biases), all weights 1
 * and recentered there, one example x = 1, y = 1, MSE without 1/2, so
 * f = (w_1 ... w_L - 1) / gamma. Plain SGD by hand, p <- p - eta dL/dp.
 *
 * Prediction: the weights stay balanced, the minimum has w^L = 1 + gamma and
 * sharpness lambda* = 2 L (1+gamma)^(2-2/L) / gamma^2, so the largest stable
 * rate is eta_max = 2 / lambda* = gamma^2 / (L (1+gamma)^(2-2/L)):
 * ~ gamma^2 / L for gamma << 1 and ~ gamma^(2/L) / L for gamma >> 1.
 * check_model_slow.c refines the measured edge by bisection. */
#include <richlazy/richeta.h>

#include <check.h>
#include <math.h>
#include <stdio.h>

#include "toy_model.h"

START_TEST(test_toy_model_function_is_product_of_weights_minus_one_over_gamma) {
  richeta_model *m = toy_model(3, 0.5);
  double p[3] = {1.5, 2.0, -1.0}, x = 1.0, f;
  ck_assert_int_eq(richeta_model_set_params(m, p, 3), RICHETA_OK);
  ck_assert_int_eq(richeta_model_forward_f64(m, &x, 1, &f), RICHETA_OK);
  ck_assert_double_eq_tol(f, (1.5 * 2.0 * -1.0 - 1.0) / 0.5, 1e-14);
  double y = 1.0, loss, g[3];
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, &x, &y, 1, &loss, g, 3), RICHETA_OK);
  double r = f - 1.0; /* dL/dw_l = 2 r prod_{k != l} w_k / gamma */
  ck_assert_double_eq_tol(loss, r * r, 1e-12);
  ck_assert_double_eq_tol(g[0], 2 * r * (2.0 * -1.0) / 0.5, 1e-12);
  ck_assert_double_eq_tol(g[1], 2 * r * (1.5 * -1.0) / 0.5, 1e-12);
  ck_assert_double_eq_tol(g[2], 2 * r * (1.5 * 2.0) / 0.5, 1e-12);
  richeta_model_free(m);
}
END_TEST

START_TEST(test_toy_model_largest_stable_rate_matches_sharpness_prediction) {
  const struct {
    double gamma;
    int64_t L;
  } cases[] = {{1e-3, 1}, {1e-3, 2}, {1e-3, 3}, {1e-3, 4}, {1e-2, 1}, {1e-2, 2}, {1e-2, 3},
               {1e-2, 4}, {1e2, 2},  {1e2, 3},  {1e2, 4},  {1e3, 2},  {1e3, 3},  {1e3, 4}};
  const double step = pow(10.0, 1.0 / PER_DECADE);
  fprintf(stderr,
          "# toy model: largest convergent eta (grid %d/decade, %d steps, loss < 1e-6)\n"
          "# %8s %2s %12s %12s %8s %12s\n",
          PER_DECADE, STEPS, "gamma", "L", "measured", "2/lambda*", "ratio", "asymptote");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double gamma = cases[c].gamma;
    int64_t L = cases[c].L;
    double pred = predicted_eta_max(L, gamma);
    double asym = gamma < 1 ? gamma * gamma / (double)L : pow(gamma, 2.0 / (double)L) / (double)L;
    richeta_model *m = toy_model(L, gamma);
    /* descending scan on the fixed grid 10^(k/40), from one decade above */
    int k = (int)ceil(PER_DECADE * log10(pred)) + PER_DECADE;
    int k_stop = k - 3 * PER_DECADE;
    while (k > k_stop && !converges(m, L, pow(10.0, (double)k / PER_DECADE)))
      k--;
    ck_assert_msg(k > k_stop, "gamma %g L %lld: nothing converged", gamma, (long long)L);
    double measured = pow(10.0, (double)k / PER_DECADE);
    /* below the edge every rate keeps converging (no lucky isolated point) */
    for (int j = 1; j <= 3; j++)
      ck_assert(converges(m, L, pow(10.0, (double)(k - j) / PER_DECADE)));
    double ratio = measured / pred;
    fprintf(stderr, "# %8.0e %2lld %12.5e %12.5e %8.4f %12.5e\n", gamma, (long long)L, measured,
            pred, ratio, asym);
    /* The first grid point below 2/lambda* is within one grid step (ratio
     * > 1/step); it can miss by one more step only if it lies within
     * ~0.2% of the edge, where 2000 steps at contraction |1 - eta lambda*|
     * do not reach 1e-6 (hence 1/step^2). Above the edge the fixed point is
     * unstable, so a convergent rate more than one grid step up would
     * contradict the prediction. */
    ck_assert_msg(ratio > 1.0 / (step * step) && ratio < step,
                  "gamma %g L %lld: measured %g predicted %g (ratio %g)", gamma, (long long)L,
                  measured, pred, ratio);
    richeta_model_free(m);
  }
}
END_TEST

Suite *model_toy_suite(void) {
  Suite *s = suite_create("model_toy");
  TCase *tc = tcase_create("toy");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_toy_model_function_is_product_of_weights_minus_one_over_gamma);
  tcase_add_test(tc, test_toy_model_largest_stable_rate_matches_sharpness_prediction);
  suite_add_tcase(s, tc);
  return s;
}
