/* Scheduler: the gamma rules (theory, custom), warm-up, cosine and step
 * decay, and applying the rate to an optimizer. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>

Suite *sched_suite(void);

static richeta_sched *make(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  richeta_sched *s = NULL;
  ck_assert_msg(richeta_sched_new(&s, cfg) == RICHETA_OK, "%s", richeta_last_error());
  richeta_config_free(cfg);
  return s;
}

static double eta_at(const richeta_sched *s, int64_t t) {
  double e = NAN;
  ck_assert_int_eq(richeta_sched_eta(s, t, &e), RICHETA_OK);
  return e;
}

static double tf(const richeta_sched *s, int64_t t) {
  double f = NAN;
  ck_assert_int_eq(richeta_sched_time_factor(s, t, &f), RICHETA_OK);
  return f;
}

START_TEST(theory_rule_is_gamma_squared_below_one_and_gamma_2_over_L_above) {
  double g;
  ck_assert_int_eq(richeta_gamma_rule_theory(0.1, 3, &g), RICHETA_OK);
  ck_assert_double_eq_tol(g, 0.01, 1e-15);
  ck_assert_int_eq(richeta_gamma_rule_theory(100.0, 2, &g), RICHETA_OK);
  ck_assert_double_eq_tol(g, 100.0, 1e-12);
  ck_assert_int_eq(richeta_gamma_rule_theory(100.0, 4, &g), RICHETA_OK);
  ck_assert_double_eq_tol(g, 10.0, 1e-12);
  ck_assert_int_eq(richeta_gamma_rule_theory(8.0, 3, &g), RICHETA_OK);
  ck_assert_double_eq_tol(g, 4.0, 1e-12);
  /* log-log slopes: 2 in the lazy regime, 2/L in the rich one */
  double a, b;
  richeta_gamma_rule_theory(1e-3, 5, &a);
  richeta_gamma_rule_theory(1e-2, 5, &b);
  ck_assert_double_eq_tol(log10(b / a), 2.0, 1e-12);
  richeta_gamma_rule_theory(1e2, 5, &a);
  richeta_gamma_rule_theory(1e3, 5, &b);
  ck_assert_double_eq_tol(log10(b / a), 0.4, 1e-12);
}
END_TEST

START_TEST(theory_rule_is_continuous_at_gamma_one) {
  for (int64_t L = 1; L <= 6; L++) {
    double lo, hi, one;
    ck_assert_int_eq(richeta_gamma_rule_theory(1.0 - 1e-9, L, &lo), RICHETA_OK);
    ck_assert_int_eq(richeta_gamma_rule_theory(1.0, L, &one), RICHETA_OK);
    ck_assert_int_eq(richeta_gamma_rule_theory(1.0 + 1e-9, L, &hi), RICHETA_OK);
    ck_assert_double_eq(one, 1.0);
    ck_assert_double_eq_tol(lo, 1.0, 1e-8);
    ck_assert_double_eq_tol(hi, 1.0, 1e-8);
  }
}
END_TEST

START_TEST(theory_rule_rejects_bad_arguments) {
  double g;
  ck_assert_int_eq(richeta_gamma_rule_theory(1.0, 2, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_gamma_rule_theory(NAN, 2, &g), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_gamma_rule_theory(INFINITY, 2, &g), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_gamma_rule_theory(0.0, 2, &g), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_gamma_rule_theory(-1.0, 2, &g), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_gamma_rule_theory(1.0, 0, &g), RICHETA_ERR_RANGE);
}
END_TEST

START_TEST(scheduler_multiplies_eta0_by_the_rule_factor) {
  richeta_sched *s = make("eta0=0.2,gamma=0.5,rule=theory,L=3");
  double g;
  ck_assert_int_eq(richeta_sched_gamma_factor(s, &g), RICHETA_OK);
  ck_assert_double_eq_tol(g, 0.25, 1e-15);
  ck_assert_double_eq_tol(eta_at(s, 0), 0.05, 1e-15);
  ck_assert_double_eq_tol(eta_at(s, 12345), 0.05, 1e-15);
  richeta_sched_free(s);
  s = make("eta0=0.2,gamma=27,rule=theory,L=3");
  ck_assert_double_eq_tol(eta_at(s, 7), 0.2 * 9.0, 1e-12);
  richeta_sched_free(s);
  s = make("eta0=0.2,gamma=27,rule=none,L=3");
  ck_assert_double_eq(eta_at(s, 7), 0.2);
  richeta_sched_free(s);
}
END_TEST

START_TEST(custom_rule_uses_prefactor_crossover_and_two_exponents) {
  richeta_sched *s =
      make("eta0=1,rule=custom,prefactor=2,crossover=0.5,lazy_exp=1.5,rich_exp=0.25,gamma=0.1");
  ck_assert_double_eq_tol(eta_at(s, 0), 2.0 * pow(0.2, 1.5), 1e-14);
  richeta_sched_free(s);
  s = make("eta0=1,rule=custom,prefactor=2,crossover=0.5,lazy_exp=1.5,rich_exp=0.25,gamma=4");
  ck_assert_double_eq_tol(eta_at(s, 0), 2.0 * pow(8.0, 0.25), 1e-14);
  richeta_sched_free(s);
  /* at the crossover the factor is the prefactor, from either side */
  s = make("eta0=1,rule=custom,prefactor=3,crossover=2,lazy_exp=2,rich_exp=0.5,gamma=2");
  ck_assert_double_eq_tol(eta_at(s, 0), 3.0, 1e-14);
  richeta_sched_free(s);
}
END_TEST

START_TEST(warmup_ramps_linearly_to_one) {
  richeta_sched *s = make("eta0=1,warmup=10");
  ck_assert_double_eq_tol(tf(s, 0), 0.1, 1e-15);
  ck_assert_double_eq_tol(tf(s, 4), 0.5, 1e-15);
  ck_assert_double_eq_tol(tf(s, 9), 1.0, 1e-15);
  ck_assert_double_eq(tf(s, 10), 1.0);
  ck_assert_double_eq(tf(s, 1000), 1.0);
  richeta_sched_free(s);
}
END_TEST

START_TEST(cosine_goes_from_one_to_min_factor_over_T) {
  richeta_sched *s = make("eta0=2,schedule=cosine,T=100,min_factor=0.1");
  ck_assert_double_eq(tf(s, 0), 1.0);
  ck_assert_double_eq_tol(tf(s, 50), 0.55, 1e-14);
  ck_assert_double_eq_tol(tf(s, 25), 0.1 + 0.9 * 0.5 * (1 + cos(M_PI / 4)), 1e-14);
  ck_assert_double_eq_tol(tf(s, 100), 0.1, 1e-14);
  ck_assert_double_eq_tol(tf(s, 500), 0.1, 1e-14);
  ck_assert_double_eq_tol(eta_at(s, 50), 1.1, 1e-14);
  for (int64_t t = 1; t <= 100; t++) /* non-increasing */
    ck_assert(tf(s, t) <= tf(s, t - 1));
  richeta_sched_free(s);
  /* warm-up multiplies the cosine */
  s = make("eta0=1,schedule=cosine,T=100,min_factor=0,warmup=4");
  ck_assert_double_eq_tol(tf(s, 1), 0.5 * 0.5 * (1 + cos(M_PI / 100)), 1e-14);
  richeta_sched_free(s);
}
END_TEST

START_TEST(step_decay_multiplies_by_the_factor_every_interval) {
  richeta_sched *s = make("eta0=1,schedule=step,decay_every=10,decay_factor=0.5");
  ck_assert_double_eq(tf(s, 0), 1.0);
  ck_assert_double_eq(tf(s, 9), 1.0);
  ck_assert_double_eq(tf(s, 10), 0.5);
  ck_assert_double_eq(tf(s, 25), 0.25);
  ck_assert_double_eq(tf(s, 30), 0.125);
  richeta_sched_free(s);
}
END_TEST

START_TEST(apply_sets_the_optimizer_rate_and_rejects_a_zero_rate) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, "D=3,N=4,L=2,B=2,eta0=0.3,schedule=cosine,T=10,"
                                             "min_factor=0,rule=theory,gamma=0.5"),
                   RICHETA_OK);
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  richeta_sched *s = NULL;
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&o, m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_sched_new(&s, cfg), RICHETA_OK);
  double eta;
  ck_assert_int_eq(richeta_sched_apply(s, o, 5), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_get_eta(o, &eta), RICHETA_OK);
  ck_assert_double_eq(eta, eta_at(s, 5));
  ck_assert_double_eq_tol(eta, 0.3 * 0.25 * 0.5, 1e-15);
  /* cosine to 0 reaches 0 at T: not a valid rate, optimizer untouched */
  ck_assert_int_eq(richeta_sched_apply(s, o, 10), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_optim_get_eta(o, &eta), RICHETA_OK);
  ck_assert_double_eq(eta, eta_at(s, 5));
  ck_assert_int_eq(richeta_sched_apply(s, o, -1), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sched_apply(s, NULL, 1), RICHETA_ERR_NULL);
  richeta_sched_free(s);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_config_free(cfg);
}
END_TEST

START_TEST(scheduler_entry_points_validate_arguments) {
  richeta_sched *s = make("eta0=1");
  double v;
  richeta_sched *out = (richeta_sched *)&v;
  ck_assert_int_eq(richeta_sched_new(NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_sched_new(&out, NULL), RICHETA_ERR_NULL);
  ck_assert_ptr_null(out);
  ck_assert_int_eq(richeta_sched_eta(s, -1, &v), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sched_eta(s, 0, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_sched_eta(NULL, 0, &v), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_sched_time_factor(s, -3, &v), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sched_gamma_factor(NULL, &v), RICHETA_ERR_NULL);
  ck_assert_str_ne(richeta_sched_last_error(s), "");
  richeta_sched_free(s);
  richeta_sched_free(NULL);
}
END_TEST

Suite *sched_suite(void) {
  Suite *su = suite_create("sched");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, theory_rule_is_gamma_squared_below_one_and_gamma_2_over_L_above);
  tcase_add_test(tc, theory_rule_is_continuous_at_gamma_one);
  tcase_add_test(tc, theory_rule_rejects_bad_arguments);
  tcase_add_test(tc, scheduler_multiplies_eta0_by_the_rule_factor);
  tcase_add_test(tc, custom_rule_uses_prefactor_crossover_and_two_exponents);
  tcase_add_test(tc, warmup_ramps_linearly_to_one);
  tcase_add_test(tc, cosine_goes_from_one_to_min_factor_over_T);
  tcase_add_test(tc, step_decay_multiplies_by_the_factor_every_interval);
  tcase_add_test(tc, apply_sets_the_optimizer_rate_and_rejects_a_zero_rate);
  tcase_add_test(tc, scheduler_entry_points_validate_arguments);
  suite_add_tcase(su, tc);
  return su;
}
