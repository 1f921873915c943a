/* Slow companion of check_model_toy.c: the edge of stability of the deep
 * linear toy model located by bisection to ~0.03%, compared with the
 * sharpness prediction eta_max = 2 / lambda* = gamma^2 / (L (1+gamma)^(2-2/L)).
 * Runs near the edge converge slowly (contraction |1 - eta lambda*| per
 * step), so bisection runs are 10x longer than the scan's. */
#include <richlazy/richeta.h>

#include <check.h>
#include <math.h>
#include <stdio.h>

#include "toy_model.h"

START_TEST(test_toy_model_bisected_stability_edge_matches_two_over_sharpness) {
  const struct {
    double gamma;
    int64_t L;
  } cases[] = {{1e-3, 1}, {1e-3, 2}, {1e-3, 3}, {1e-3, 4}, {1e-2, 1}, {1e-2, 2}, {1e-2, 3},
               {1e-2, 4}, {1e2, 2},  {1e2, 3},  {1e2, 4},  {1e3, 2},  {1e3, 3},  {1e3, 4}};
  const double step = pow(10.0, 1.0 / PER_DECADE);
  fprintf(stderr, "# toy model: bisected stability edge / (2/lambda*)\n# %8s %2s %12s %10s\n",
          "gamma", "L", "2/lambda*", "ratio");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double gamma = cases[c].gamma;
    int64_t L = cases[c].L;
    double pred = predicted_eta_max(L, gamma);
    richeta_model *m = toy_model(L, gamma);
    int k = (int)ceil(PER_DECADE * log10(pred)) + PER_DECADE;
    int k_stop = k - 3 * PER_DECADE;
    while (k > k_stop && !converges(m, L, pow(10.0, (double)k / PER_DECADE)))
      k--;
    ck_assert(k > k_stop);
    /* bisection between the last convergent grid point and the next one up
     * (8 halvings: 0.03% resolution), runs of 10 x STEPS */
    double lo = pow(10.0, (double)k / PER_DECADE), hi = lo * step;
    for (int it = 0; it < 8; it++) {
      double mid = sqrt(lo * hi);
      if (converges_in(m, L, mid, 10 * STEPS))
        lo = mid;
      else
        hi = mid;
    }
    double ratio = lo / pred;
    fprintf(stderr, "# %8.0e %2lld %12.5e %10.5f\n", gamma, (long long)L, pred, ratio);
    /* below by at most the slow-convergence margin (~2e-4) plus the
     * resolution; above only if the prediction were wrong */
    ck_assert_msg(ratio > 0.995 && ratio < 1.005, "gamma %g L %lld: edge %g x prediction", gamma,
                  (long long)L, ratio);
    richeta_model_free(m);
  }
}
END_TEST

Suite *model_slow_suite(void) {
  Suite *s = suite_create("model_slow");
  TCase *tc = tcase_create("toy_edge");
  tcase_set_timeout(tc, 3000);
  tcase_add_test(tc, test_toy_model_bisected_stability_edge_matches_two_over_sharpness);
  suite_add_tcase(s, tc);
  return s;
}
