/* The ultra-rich escape law on real training, small and fast: mean-field
 * relu MLPs (N = 32) at gamma = 1e2, 1e3, 1e4 with eta0 = c gamma^(2/L)
 * escape their plateau after t* ~ gamma^(1 - 2/L) steps and collapse in
 * tau = eta0 t / gamma. The full check (gamma up to 1e5, two seeds) is
 * check_timewarp_slow.c; the setup is in timewarp_real.h. */
#include "timewarp_real.h"

Suite *timewarp_real_suite(void);

static const double gammas_small[] = {1e2, 1e3, 1e4};

static void check_small(int64_t L) {
  twr_setup su = {.L = L,
                  .D = 16,
                  .N = 32,
                  .B = 32,
                  .eval_n = 256,
                  .seeds = 1,
                  .c = 0.1,
                  .tau_cap = 12.0,
                  .window = 1.4,
                  .dtype = RICHETA_DTYPE_F32,
                  .gammas = gammas_small,
                  .ng = 3};
  twr_result res;
  twr_run(&su, &res);
  twr_print("timewarp_real", &su, &res);
  const double want = 1.0 - 2.0 / (double)L;
  ck_assert_msg(fabs(res.exponent - want) <= 0.08,
                "L=%lld: escape exponent %.4f, want %.4f +- 0.08", (long long)L, res.exponent,
                want);
  ck_assert_msg(res.q_theory[0] <= 0.25, "L=%lld: collapse quality %.4f, want <= 0.25",
                (long long)L, res.q_theory[0]);
  double r = twr_tau_ratio(&res);
  ck_assert_msg(r <= 1.25, "L=%lld: tau_escape varies by a factor %.3f", (long long)L, r);
}

START_TEST(escape_steps_grow_as_gamma_to_one_third_for_depth_3) { check_small(3); }
END_TEST

START_TEST(escape_steps_grow_as_gamma_to_one_half_for_depth_4) { check_small(4); }
END_TEST

Suite *timewarp_real_suite(void) {
  Suite *s = suite_create("timewarp_real");
  TCase *tc = tcase_create("escape");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, escape_steps_grow_as_gamma_to_one_third_for_depth_3);
  tcase_add_test(tc, escape_steps_grow_as_gamma_to_one_half_for_depth_4);
  suite_add_tcase(s, tc);
  return s;
}
