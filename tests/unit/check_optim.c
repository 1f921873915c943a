/* Optimizer: the exact SGD update (width multiplier, momentum, weight
 * decay), divergence leaving the parameters untouched, and argument checks. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdlib.h>
#include <string.h>

Suite *optim_suite(void);

typedef struct fixture {
  richeta_config *cfg;
  richeta_model *m;
  richeta_optim *o;
  int64_t np;
  double x[4 * 3], y[4 * 2];
} fixture;

static void setup(fixture *f, const char *spec) {
  memset(f, 0, sizeof *f);
  ck_assert_int_eq(richeta_config_new(&f->cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(f->cfg, "D=3,N=5,C=2,L=2,B=4,dtype=f64,act=tanh"),
                   RICHETA_OK);
  ck_assert_msg(richeta_config_parse(f->cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(f->cfg));
  ck_assert_int_eq(richeta_model_new(&f->m, f->cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&f->o, f->m, f->cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_model_num_params(f->m, &f->np), RICHETA_OK);
  for (int i = 0; i < 12; i++)
    f->x[i] = sin(1.3 * i + 0.2);
  for (int i = 0; i < 8; i++)
    f->y[i] = cos(0.7 * i);
}

static void teardown(fixture *f) {
  richeta_optim_free(f->o);
  richeta_model_free(f->m);
  richeta_config_free(f->cfg);
}

static double *params(fixture *f) {
  double *p = malloc((size_t)f->np * sizeof *p);
  ck_assert_int_eq(richeta_model_get_params(f->m, p, f->np), RICHETA_OK);
  return p;
}

static double *grad(fixture *f, double *loss) {
  double *g = malloc((size_t)f->np * sizeof *g);
  ck_assert_int_eq(richeta_model_loss_grad_f64(f->m, f->x, f->y, 4, loss, g, f->np), RICHETA_OK);
  return g;
}

START_TEST(sgd_step_is_p_minus_eta_times_width_mult_times_grad) {
  fixture f;
  setup(&f, "eta0=0.05,param=mf");
  double mult;
  ck_assert_int_eq(richeta_optim_width_multiplier(f.o, &mult), RICHETA_OK);
  ck_assert_double_eq(mult, 5.0); /* mean-field: readout fan-in N */
  double l0, l1;
  double *p0 = params(&f), *g = grad(&f, &l0);
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, &l1), RICHETA_OK);
  ck_assert_double_eq(l1, l0); /* loss before the update */
  double *p1 = params(&f);
  for (int64_t i = 0; i < f.np; i++)
    ck_assert_double_eq_tol(p1[i], p0[i] - 0.05 * 5.0 * g[i], 1e-15 * (1 + fabs(p0[i])));
  int64_t steps;
  ck_assert_int_eq(richeta_optim_steps(f.o, &steps), RICHETA_OK);
  ck_assert_int_eq(steps, 1);
  free(p0);
  free(p1);
  free(g);
  teardown(&f);
}
END_TEST

START_TEST(ntk_and_sp_have_unit_width_multiplier) {
  fixture f;
  setup(&f, "param=ntk");
  double mult;
  ck_assert_int_eq(richeta_optim_width_multiplier(f.o, &mult), RICHETA_OK);
  ck_assert_double_eq(mult, 1.0);
  teardown(&f);
  setup(&f, "param=sp");
  ck_assert_int_eq(richeta_optim_width_multiplier(f.o, &mult), RICHETA_OK);
  ck_assert_double_eq(mult, 1.0);
  teardown(&f);
}
END_TEST

START_TEST(momentum_and_weight_decay_follow_the_heavy_ball_rule) {
  fixture f;
  setup(&f, "eta0=0.02,momentum=0.9,wd=0.01,param=ntk");
  double *v = calloc((size_t)f.np, sizeof *v);
  for (int step = 0; step < 3; step++) {
    double l;
    double *p = params(&f), *g = grad(&f, &l);
    ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, NULL), RICHETA_OK);
    double *q = params(&f);
    for (int64_t i = 0; i < f.np; i++) {
      v[i] = 0.9 * v[i] + (g[i] + 0.01 * p[i]);
      ck_assert_double_eq_tol(q[i], p[i] - 0.02 * v[i], 1e-14 * (1 + fabs(p[i])));
    }
    free(p);
    free(q);
    free(g);
  }
  /* reset zeroes the velocity: the next step is a plain one */
  ck_assert_int_eq(richeta_optim_reset(f.o), RICHETA_OK);
  int64_t steps;
  richeta_optim_steps(f.o, &steps);
  ck_assert_int_eq(steps, 0);
  double l;
  double *p = params(&f), *g = grad(&f, &l);
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, NULL), RICHETA_OK);
  double *q = params(&f);
  for (int64_t i = 0; i < f.np; i++)
    ck_assert_double_eq_tol(q[i], p[i] - 0.02 * (g[i] + 0.01 * p[i]), 1e-14 * (1 + fabs(p[i])));
  free(p);
  free(q);
  free(g);
  free(v);
  teardown(&f);
}
END_TEST

START_TEST(set_eta_changes_the_next_step_and_validates) {
  fixture f;
  setup(&f, "eta0=0.05,param=ntk");
  ck_assert_int_eq(richeta_optim_set_eta(f.o, 0.125), RICHETA_OK);
  double eta;
  ck_assert_int_eq(richeta_optim_get_eta(f.o, &eta), RICHETA_OK);
  ck_assert_double_eq(eta, 0.125);
  double l;
  double *p = params(&f), *g = grad(&f, &l);
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, NULL), RICHETA_OK);
  double *q = params(&f);
  for (int64_t i = 0; i < f.np; i++)
    ck_assert_double_eq_tol(q[i], p[i] - 0.125 * g[i], 1e-15 * (1 + fabs(p[i])));
  ck_assert_int_eq(richeta_optim_set_eta(f.o, 0.0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_optim_set_eta(f.o, -1.0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_optim_set_eta(f.o, NAN), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_optim_set_eta(f.o, INFINITY), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_optim_set_eta(NULL, 1.0), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_get_eta(f.o, &eta), RICHETA_OK);
  ck_assert_double_eq(eta, 0.125);
  free(p);
  free(q);
  free(g);
  teardown(&f);
}
END_TEST

START_TEST(non_finite_loss_reports_divergence_and_leaves_parameters_unchanged) {
  fixture f;
  setup(&f, "eta0=0.05,momentum=0.5");
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, NULL), RICHETA_OK);
  double *p = params(&f);
  f.y[3] = NAN;
  double l = 0;
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, &l), RICHETA_ERR_DIVERGED);
  ck_assert(!isfinite(l));
  ck_assert_str_ne(richeta_optim_last_error(f.o), "");
  f.y[3] = 0.5;
  f.x[2] = INFINITY;
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 4, &l), RICHETA_ERR_DIVERGED);
  double *q = params(&f);
  ck_assert_int_eq(memcmp(p, q, (size_t)f.np * sizeof *p), 0);
  int64_t steps;
  richeta_optim_steps(f.o, &steps);
  ck_assert_int_eq(steps, 1);
  free(p);
  free(q);
  teardown(&f);
}
END_TEST

START_TEST(f32_model_steps_lower_the_loss) {
  richeta_config *cfg = NULL;
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, "D=3,N=16,C=1,L=2,B=8,dtype=f32,eta0=0.05"),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&o, m, cfg), RICHETA_OK);
  float x[8 * 3], y[8];
  for (int i = 0; i < 24; i++)
    x[i] = (float)sin(0.9 * i);
  for (int i = 0; i < 8; i++)
    y[i] = (float)(0.5 * x[3 * i] - x[3 * i + 1]);
  double first = NAN, last = NAN;
  for (int s = 0; s < 50; s++)
    ck_assert_int_eq(richeta_optim_step_f32(o, x, y, 8, s == 0 ? &first : &last), RICHETA_OK);
  ck_assert(isfinite(first) && isfinite(last));
  ck_assert_msg(last < 0.5 * first, "loss %g -> %g", first, last);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_config_free(cfg);
}
END_TEST

START_TEST(optimizer_entry_points_validate_arguments) {
  fixture f;
  setup(&f, "");
  richeta_optim *o = (richeta_optim *)&f;
  ck_assert_int_eq(richeta_optim_new(&o, NULL, f.cfg), RICHETA_ERR_NULL);
  ck_assert_ptr_null(o);
  ck_assert_int_eq(richeta_optim_new(&o, f.m, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_new(NULL, f.m, f.cfg), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_step_f64(f.o, NULL, f.y, 4, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, NULL, 4, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_step_f64(f.o, f.x, f.y, 0, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_optim_step_f64(NULL, f.x, f.y, 4, NULL), RICHETA_ERR_NULL);
  double d;
  int64_t i;
  ck_assert_int_eq(richeta_optim_get_eta(NULL, &d), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_width_multiplier(f.o, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_steps(NULL, &i), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_optim_reset(NULL), RICHETA_ERR_NULL);
  richeta_optim_free(NULL);
  teardown(&f);
}
END_TEST

/* The finiteness check of the update is proven from bounds, not scanned:
 * a finite loss whose float32 gradient overflows must still be caught. */
START_TEST(finite_loss_with_overflowing_f32_gradient_is_divergence) {
  richeta_config *cfg = NULL;
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(
      richeta_config_parse(cfg, "D=1,N=1,C=1,L=1,B=1,bias=0,dtype=f32,act=identity,center=none"),
      RICHETA_OK);
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&o, m, cfg), RICHETA_OK);
  double one = 1.0, w = 0;
  ck_assert_int_eq(richeta_model_set_layer(m, 0, &one, 1, NULL, 0), RICHETA_OK);
  /* f = x = 1e30: the loss (f - y)^2 = 1e60 is finite in double, but the
   * gradient 2 f x = 2e60 overflows float32 */
  float x = 1e30f, y = 0.0f;
  double loss = 0;
  ck_assert_int_eq(richeta_optim_step_f32(o, &x, &y, 1, &loss), RICHETA_ERR_DIVERGED);
  ck_assert_int_eq(richeta_model_get_layer(m, 0, &w, 1, NULL, 0), RICHETA_OK);
  ck_assert_double_eq(w, 1.0);
  int64_t steps = -1;
  richeta_optim_steps(o, &steps);
  ck_assert_int_eq(steps, 0);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_config_free(cfg);
}
END_TEST

Suite *optim_suite(void) {
  Suite *su = suite_create("optim");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, sgd_step_is_p_minus_eta_times_width_mult_times_grad);
  tcase_add_test(tc, ntk_and_sp_have_unit_width_multiplier);
  tcase_add_test(tc, momentum_and_weight_decay_follow_the_heavy_ball_rule);
  tcase_add_test(tc, set_eta_changes_the_next_step_and_validates);
  tcase_add_test(tc, non_finite_loss_reports_divergence_and_leaves_parameters_unchanged);
  tcase_add_test(tc, f32_model_steps_lower_the_loss);
  tcase_add_test(tc, optimizer_entry_points_validate_arguments);
  tcase_add_test(tc, finite_loss_with_overflowing_f32_gradient_is_divergence);
  suite_add_tcase(su, tc);
  return su;
}
