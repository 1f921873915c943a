/* Numerical faults not covered by the per-module suites: NaN and
 * infinities through every door of every double parameter, hyperparameters
 * whose effective rate is not representable, values that are finite in
 * double but overflow float32, divergence mid-run and its checkpoint, and
 * non-finite host data in inputs (not only targets). Each fault must be
 * detected and reported with its own status, never train on garbage.
 * (Truncated and bit-flipped checkpoints: check_checkpoint; NaN in data
 * files: check_data; NaN targets: check_trainer.) */
#include <check.h>
#include <float.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static richeta_config *cfg_of(const char *spec) {
  richeta_config *c = NULL;
  ck_assert_int_eq(richeta_config_new(&c, NULL), RICHETA_OK);
  richeta_status s = richeta_config_parse(c, spec);
  ck_assert_msg(s == RICHETA_OK, "%s: %s", spec, richeta_config_last_error(c));
  return c;
}

static char *canon(const richeta_config *c) {
  static char buf[2][8192];
  static int which;
  which ^= 1;
  ck_assert_int_eq(richeta_config_to_string(c, buf[which], sizeof buf[which], NULL), RICHETA_OK);
  return buf[which];
}

/* Every double parameter, found through the public key space. */
static int double_params(richeta_param *out, const char **names, int cap) {
  int n = 0;
  for (int k = 0; k < 1000 && n < cap; k++) {
    richeta_param_type t;
    const char *name = NULL;
    if (richeta_param_info((richeta_param)k, &t, &name) == RICHETA_OK && t == RICHETA_TYPE_DOUBLE) {
      out[n] = (richeta_param)k;
      names[n++] = name;
    }
  }
  return n;
}

START_TEST(every_double_parameter_refuses_nan_and_infinities_through_every_door) {
  richeta_param keys[64];
  const char *names[64];
  int n = double_params(keys, names, 64);
  ck_assert_int_ge(n, 10); /* gamma, eta0, momentum, wd, ... */
  const double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
  const char *bad_text[] = {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e999", "-1e999"};
  char path[] = "/tmp/richeta-faults-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  richeta_config *c = cfg_of("");
  char before[8192];
  strcpy(before, canon(c));
  const bool plus_inf_text[] = {false, false, false, true, false, true, true, false};
  int tried = 0;
  for (int i = 0; i < n; i++) {
    /* a key whose upper bound is +inf takes +inf (blowup=inf, the paper's
     * divergence rule; check_config tests it): only the rest is bad */
    double hi = 0;
    ck_assert_int_eq(richeta_param_bounds(keys[i], NULL, &hi, NULL), RICHETA_OK);
    bool takes_inf = isinf(hi);
    for (int b = 0; b < 4; b++, tried++) {
      if (takes_inf && bad[b] > 0)
        continue;
      ck_assert_msg(richeta_config_set_double(c, keys[i], bad[b]) == RICHETA_ERR_NONFINITE,
                    "set_double(%s, %g)", names[i], bad[b]);
    }
    for (int b = 0; b < 8; b++, tried += 2) {
      if (takes_inf && plus_inf_text[b])
        continue;
      char spec[128];
      snprintf(spec, sizeof spec, "%s=%s", names[i], bad_text[b]);
      richeta_status s = richeta_config_parse(c, spec);
      ck_assert_msg(s == RICHETA_ERR_NONFINITE, "parse(%s) gave %s", spec,
                    richeta_status_string(s));
      ck_assert_msg(strstr(richeta_config_last_error(c), names[i]) != NULL,
                    "message of parse(%s) does not name the key: %s", spec,
                    richeta_config_last_error(c));
      /* a spec file: the bad line is among good ones, nothing is applied */
      FILE *f = fopen(path, "w");
      ck_assert_ptr_nonnull(f);
      fprintf(f, "# faults\ngamma=0.5\n%s\nN=7\n", spec);
      fclose(f);
      s = richeta_config_load(c, path);
      ck_assert_msg(s == RICHETA_ERR_NONFINITE, "load(%s) gave %s", spec, richeta_status_string(s));
    }
    ck_assert_str_eq(canon(c), before);
  }
  fprintf(stderr, "# faults: %d non-finite hyperparameter inputs refused over %d keys\n", tried, n);
  unlink(path);
  richeta_config_free(c);
}
END_TEST

START_TEST(integer_parameters_refuse_non_numbers_and_fractions) {
  richeta_config *c = cfg_of("");
  char before[8192];
  strcpy(before, canon(c));
  const char *specs[] = {"N=nan",  "N=inf",   "N=1e999",
                         "N=2.5",  "D=0x",    "L=-inf",
                         "T=1e30", "seed=-1", "B=99999999999999999999"};
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    richeta_status s = richeta_config_parse(c, specs[i]);
    ck_assert_msg(s == RICHETA_ERR_FORMAT || s == RICHETA_ERR_RANGE || s == RICHETA_ERR_INVALID ||
                      s == RICHETA_ERR_NONFINITE,
                  "parse(%s) gave %s", specs[i], richeta_status_string(s));
    ck_assert_str_eq(canon(c), before);
  }
  richeta_config_free(c);
}
END_TEST

/* Hyperparameters inside their bounds whose product is not representable
 * are refused when the run is made, not discovered as garbage later. */
START_TEST(unrepresentable_effective_rates_are_refused_at_creation) {
  const char *specs[] = {
      /* g(gamma) = gamma^2 underflows to 0 */
      "D=4,N=8,L=2,B=4,T=20,eval_n=8,gamma=1e-300,rule=theory",
      /* readout multiplier 1/(gamma N) does not fit float32 */
      "D=4,N=8,L=2,B=4,T=20,eval_n=8,gamma=1e-200,dtype=f32",
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    richeta_config *c = cfg_of(specs[i]);
    richeta_trainer *t = (richeta_trainer *)c;
    richeta_status s = richeta_trainer_new(&t, c);
    ck_assert_msg(s == RICHETA_ERR_RANGE || s == RICHETA_ERR_NONFINITE || s == RICHETA_ERR_OVERFLOW,
                  "%s: %s", specs[i], richeta_status_string(s));
    ck_assert_ptr_null(t);
    ck_assert_int_gt((int)strlen(richeta_last_error()), 10);
    richeta_config_free(c);
  }
}
END_TEST

/* Values finite as doubles but beyond float32: refused for float32 models. */
START_TEST(values_beyond_float32_are_refused_by_float32_models) {
  richeta_config *c = cfg_of("D=4,N=8,C=1,L=2,B=4,dtype=f32");
  richeta_model *m = NULL;
  ck_assert_int_eq(richeta_model_new(&m, c), RICHETA_OK);
  int64_t np = 0;
  ck_assert_int_eq(richeta_model_num_params(m, &np), RICHETA_OK);
  double *p = malloc((size_t)np * sizeof *p), *q = malloc((size_t)np * sizeof *q);
  ck_assert_int_eq(richeta_model_get_params(m, p, np), RICHETA_OK);
  memcpy(q, p, (size_t)np * sizeof *p);
  p[np / 2] = 1e300;
  richeta_status s = richeta_model_set_params(m, p, np);
  ck_assert_msg(s == RICHETA_ERR_NONFINITE || s == RICHETA_ERR_RANGE, "%s",
                richeta_status_string(s));
  ck_assert_int_eq(richeta_model_get_params(m, p, np), RICHETA_OK);
  ck_assert_int_eq(memcmp(p, q, (size_t)np * sizeof *p), 0);
  double w[32];
  for (int i = 0; i < 32; i++)
    w[i] = (i == 7) ? 3.5e38 : 0.1;
  s = richeta_model_set_layer(m, 0, w, 32, NULL, 0);
  ck_assert_msg(s == RICHETA_ERR_NONFINITE || s == RICHETA_ERR_RANGE, "%s",
                richeta_status_string(s));
  /* a training step on inputs that overflow float32 diverges and changes nothing */
  richeta_optim *o = NULL;
  ck_assert_int_eq(richeta_optim_new(&o, m, c), RICHETA_OK);
  double x[4 * 4], y[4];
  for (int i = 0; i < 16; i++)
    x[i] = 0.1 * i;
  for (int i = 0; i < 4; i++)
    y[i] = 0.5;
  x[5] = 1e300;
  double loss = 0;
  s = richeta_optim_step_f64(o, x, y, 4, &loss);
  ck_assert_msg(s == RICHETA_ERR_DIVERGED || s == RICHETA_ERR_NONFINITE, "%s",
                richeta_status_string(s));
  ck_assert_int_eq(richeta_model_get_params(m, p, np), RICHETA_OK);
  ck_assert_int_eq(memcmp(p, q, (size_t)np * sizeof *p), 0);
  free(p);
  free(q);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_config_free(c);
}
END_TEST

/* Host data with a non-finite or float32-overflowing input at one step. */
typedef struct host {
  richeta_stream *src;
  int64_t bad_at;
  double bad;
} host;

static int host_fill(void *user, int64_t step, int64_t batch, int64_t d, int64_t c, double *x,
                     double *y) {
  host *h = user;
  (void)batch;
  (void)d;
  (void)c;
  if (richeta_stream_batch_f64(h->src, step, x, y) != RICHETA_OK)
    return -1;
  if (step == h->bad_at)
    x[1] = h->bad;
  return 0;
}

static void params_of(richeta_trainer *t, double **p, int64_t *n) {
  richeta_model *m = richeta_trainer_model(t);
  ck_assert_int_eq(richeta_model_num_params(m, n), RICHETA_OK);
  *p = malloc((size_t)*n * sizeof **p);
  ck_assert_int_eq(richeta_model_get_params(m, *p, *n), RICHETA_OK);
}

static void bad_input_diverges_at(const char *spec, double bad) {
  richeta_config *cfg = cfg_of(spec);
  host h = {NULL, 7, bad};
  ck_assert_int_eq(richeta_stream_new(&h.src, cfg), RICHETA_OK);
  richeta_stream_callbacks cb = {sizeof cb, host_fill, &h};
  richeta_stream *s = NULL;
  richeta_trainer *t = NULL, *ref = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_new(&ref, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 100, NULL), RICHETA_OK);
  int state = -1;
  int64_t step = -1;
  richeta_trainer_state(t, &state);
  richeta_trainer_step(t, &step);
  ck_assert_msg(state == RICHETA_RUN_DIVERGED, "%s x=%g: state %d", spec, bad, state);
  ck_assert_int_eq(step, 7);
  ck_assert_int_eq(richeta_trainer_run(ref, 7, NULL), RICHETA_OK);
  double *pa, *pb;
  int64_t n;
  params_of(t, &pa, &n);
  params_of(ref, &pb, &n);
  ck_assert_msg(memcmp(pa, pb, (size_t)n * sizeof *pa) == 0,
                "parameters after a bad input differ from those before it");
  free(pa);
  free(pb);
  richeta_trainer_free(t);
  richeta_trainer_free(ref);
  richeta_stream_free(s);
  richeta_stream_free(h.src);
  richeta_config_free(cfg);
}

START_TEST(non_finite_inputs_in_host_data_stop_the_run_as_diverged) {
  const char *f64 = "D=6,N=16,C=2,L=3,B=8,T=100,eval_n=0,eta0=0.05,dtype=f64";
  const char *f32 = "D=6,N=16,C=2,L=3,B=8,T=100,eval_n=0,eta0=0.05,dtype=f32";
  bad_input_diverges_at(f64, NAN);
  bad_input_diverges_at(f64, INFINITY);
  bad_input_diverges_at(f32, -INFINITY);
  bad_input_diverges_at(f32, 1e300); /* finite, but infinite as float32 */
}
END_TEST

/* A run that diverged mid-way is a result: it stays diverged through a
 * checkpoint, with finite parameters and the blown-up loss in its log. */
START_TEST(divergence_mid_run_survives_a_checkpoint) {
  const char *spec = "D=6,N=16,C=1,L=3,B=8,T=400,eval_n=16,gamma=1e-3,eta0=0.5,dtype=f64,"
                     "schedule=constant,warmup=50";
  richeta_config *cfg = cfg_of(spec);
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 400, NULL), RICHETA_OK);
  int state = -1;
  int64_t step = -1, count = 0;
  richeta_trainer_state(t, &state);
  richeta_trainer_step(t, &step);
  ck_assert_msg(state == RICHETA_RUN_DIVERGED, "expected divergence, state %d", state);
  ck_assert_int_gt(step, 1); /* mid-run: warm-up lets a few steps pass */
  ck_assert_int_lt(step, 400);
  int64_t steps[128];
  double tl[128], el[128], eta[128];
  ck_assert_int_eq(richeta_trainer_log(t, steps, tl, el, eta, 128, &count), RICHETA_OK);
  ck_assert_int_ge(count, 2);
  ck_assert(isfinite(tl[0]));
  double *p;
  int64_t n;
  params_of(t, &p, &n);
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(isfinite(p[i]), "parameter %lld is not finite after divergence", (long long)i);
  char path[] = "/tmp/richeta-faults-ck-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(richeta_trainer_save(t, path), RICHETA_OK);
  richeta_trainer *r = NULL;
  ck_assert_int_eq(richeta_trainer_resume(&r, path, NULL), RICHETA_OK);
  int state2 = -1;
  int64_t step2 = -1, count2 = 0;
  richeta_trainer_state(r, &state2);
  richeta_trainer_step(r, &step2);
  ck_assert_int_eq(state2, RICHETA_RUN_DIVERGED);
  ck_assert_int_eq(step2, step);
  int64_t steps2[128];
  double tl2[128], el2[128], eta2[128];
  ck_assert_int_eq(richeta_trainer_log(r, steps2, tl2, el2, eta2, 128, &count2), RICHETA_OK);
  ck_assert_int_eq(count2, count);
  ck_assert_int_eq(memcmp(tl, tl2, (size_t)count * sizeof *tl), 0);
  /* running a diverged run does nothing */
  ck_assert_int_eq(richeta_trainer_run(r, 10, NULL), RICHETA_OK);
  richeta_trainer_step(r, &step2);
  ck_assert_int_eq(step2, step);
  free(p);
  unlink(path);
  richeta_trainer_free(r);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
}
END_TEST

/* A schedule that decays the rate below the smallest double mid-run. The run
 * must end with a status of its own (not train with a zero or denormal rate
 * silently) and stay consistent: finite parameters, checkpointable. */
START_TEST(rate_underflow_mid_run_is_reported_and_leaves_a_consistent_run) {
  richeta_config *cfg = cfg_of("D=4,N=8,L=2,B=4,T=20,eval_n=8,schedule=step,"
                               "decay_factor=1e-300,decay_every=1,dtype=f64");
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  richeta_status s = richeta_trainer_run(t, 20, NULL);
  int state = -1;
  richeta_trainer_state(t, &state);
  int64_t step = 0;
  richeta_trainer_step(t, &step);
  if (s == RICHETA_OK) {
    ck_assert(state == RICHETA_RUN_DONE || state == RICHETA_RUN_DIVERGED);
  } else {
    ck_assert_msg(s == RICHETA_ERR_RANGE || s == RICHETA_ERR_NONFINITE, "%s",
                  richeta_status_string(s));
    ck_assert_int_gt((int)strlen(richeta_trainer_last_error(t)), 10);
    ck_assert_int_eq(state, RICHETA_RUN_RUNNING);
    fprintf(stderr, "# faults: rate underflow stops the run at step %lld with %s: %s\n",
            (long long)step, richeta_status_string(s), richeta_trainer_last_error(t));
  }
  double *p;
  int64_t n;
  params_of(t, &p, &n);
  for (int64_t i = 0; i < n; i++)
    ck_assert(isfinite(p[i]));
  free(p);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
}
END_TEST

Suite *faults_suite(void) {
  Suite *s = suite_create("faults");
  TCase *tc = tcase_create("faults");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, every_double_parameter_refuses_nan_and_infinities_through_every_door);
  tcase_add_test(tc, integer_parameters_refuse_non_numbers_and_fractions);
  tcase_add_test(tc, unrepresentable_effective_rates_are_refused_at_creation);
  tcase_add_test(tc, values_beyond_float32_are_refused_by_float32_models);
  tcase_add_test(tc, non_finite_inputs_in_host_data_stop_the_run_as_diverged);
  tcase_add_test(tc, divergence_mid_run_survives_a_checkpoint);
  tcase_add_test(tc, rate_underflow_mid_run_is_reported_and_leaves_a_consistent_run);
  suite_add_tcase(s, tc);
  return s;
}
