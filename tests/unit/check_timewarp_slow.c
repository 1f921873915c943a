/* Slow: the ultra-rich escape law on real training. Mean-field relu MLPs at
 * gamma = 1e2 ... 1e5 with eta0 = c gamma^(2/L) escape their plateau after
 * t* ~ gamma^(1 - 2/L) steps, and their held-out loss curves collapse when
 * plotted against tau = eta0 t / gamma (setup: timewarp_real.h). */
#include "timewarp_real.h"

Suite *timewarp_slow_suite(void);

/* Train T steps and add the whole curve to cs; return its escape step. */
static double twr_add_run(richeta_curveset *cs, const twr_setup *su, double gamma, int64_t seed,
                          int dtype, int64_t T) {
  static double steps[TWR_MAX_LOG], loss[TWR_MAX_LOG];
  int64_t n = twr_train(su, gamma, seed, dtype, T, steps, loss);
  return twr_add_curve(cs, NULL, su, gamma, seed, steps, loss, n, T, 0.0);
}

static const double gammas_full[] = {1e2, 1e3, 1e4, 1e5};

/* c = 0.1: at gamma = 1e5 runs stop escaping between c = 0.3 and c = 0.5
 * (D = 16, N = 64), so this is 3-5 times below the stability limit. The
 * escape is near tau = 3.4-4.3 (L = 3) and 2.4-3.4 (L = 4), depending on
 * the seed. */
static twr_setup full_setup(int64_t L) {
  twr_setup su = {.L = L,
                  .D = 16,
                  .N = 64,
                  .B = 64,
                  .eval_n = 256,
                  .seeds = 2,
                  .c = 0.1,
                  .tau_cap = 12.0,
                  .window = 1.4,
                  .dtype = RICHETA_DTYPE_F32,
                  .gammas = gammas_full,
                  .ng = 4};
  return su;
}

static void check_escape_law(int64_t L) {
  twr_setup su = full_setup(L);
  twr_result res;
  twr_run(&su, &res);
  twr_print("timewarp_slow", &su, &res);
  const double want = 1.0 - 2.0 / (double)L;
  ck_assert_msg(fabs(res.exponent - want) <= 0.08,
                "L=%lld: escape exponent %.4f, want %.4f +- 0.08", (long long)L, res.exponent,
                want);
  ck_assert_msg(fabs(res.emp_exponent - want) <= 0.08,
                "L=%lld: empirical-scale exponent %.4f, want %.4f +- 0.08", (long long)L,
                res.emp_exponent, want);
  /* The tau rescaling must shrink the spread between curves at least
   * four-fold for every seed. */
  for (int s = 0; s < res.nseeds; s++)
    ck_assert_msg(res.q_theory[s] <= 0.25, "L=%lld seed %d: collapse quality %.4f, want <= 0.25",
                  (long long)L, s, res.q_theory[s]);
  /* The escape happens at the same tau for every gamma (within 25%). */
  double r = twr_tau_ratio(&res);
  ck_assert_msg(r <= 1.25, "L=%lld: tau_escape varies by a factor %.3f", (long long)L, r);
}

START_TEST(escape_steps_grow_as_gamma_to_one_third_for_depth_3) { check_escape_law(3); }
END_TEST

START_TEST(escape_steps_grow_as_gamma_to_one_half_for_depth_4) { check_escape_law(4); }
END_TEST

/* The centered output is f_raw(theta)/(gamma N) - f_raw(theta0)/(gamma N),
 * both terms scaled before the subtraction and of the same size; at
 * gamma = 1e5 float32 must give the same escape as float64. */
START_TEST(float32_escape_matches_float64_at_gamma_1e5) {
  int64_t L = 3 + _i;
  twr_setup su = full_setup(L);
  int64_t T = (int64_t)ceil(6.0 * 1e5 / (su.c * pow(1e5, 2.0 / (double)L)));
  richeta_curveset *cs = NULL;
  twr_check(richeta_curveset_new(&cs, NULL), "curveset_new", richeta_last_error());
  double t32 = twr_add_run(cs, &su, 1e5, 0, RICHETA_DTYPE_F32, T);
  double t64 = twr_add_run(cs, &su, 1e5, 0, RICHETA_DTYPE_F64, T);
  richeta_curveset_free(cs);
  fprintf(stderr, "# timewarp_slow: L=%lld gamma=1e5 t_escape f32 %.2f, f64 %.2f (ratio %.5f)\n",
          (long long)L, t32, t64, t32 / t64);
  ck_assert_msg(fabs(t32 / t64 - 1.0) <= 0.02, "f32 %.2f vs f64 %.2f", t32, t64);
}
END_TEST

Suite *timewarp_slow_suite(void) {
  Suite *s = suite_create("timewarp_slow");
  TCase *tc = tcase_create("escape");
  tcase_set_timeout(tc, 3000);
  tcase_add_test(tc, escape_steps_grow_as_gamma_to_one_third_for_depth_3);
  tcase_add_test(tc, escape_steps_grow_as_gamma_to_one_half_for_depth_4);
  tcase_add_loop_test(tc, float32_escape_matches_float64_at_gamma_1e5, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
