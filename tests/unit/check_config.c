/* Configuration: documented defaults, bounds, non-finite values, enumeration
 * names, spec strings (round trip, quoting, atomicity), spec files and
 * allocator hooks. Expected defaults are copied from config.h, not from the
 * parameter table, so that the table and the documentation cannot drift. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static richeta_config *new_cfg(void) {
  richeta_config *c = NULL;
  ck_assert_int_eq(richeta_config_new(&c, NULL), RICHETA_OK);
  ck_assert_ptr_nonnull(c);
  return c;
}

static int64_t geti(const richeta_config *c, richeta_param p) {
  int64_t v = -12345;
  ck_assert_int_eq(richeta_config_get_int(c, p, &v), RICHETA_OK);
  return v;
}

static double getd(const richeta_config *c, richeta_param p) {
  double v = NAN;
  ck_assert_int_eq(richeta_config_get_double(c, p, &v), RICHETA_OK);
  return v;
}

static char *spec_of(const richeta_config *c) {
  size_t need = 0;
  ck_assert_int_eq(richeta_config_to_string(c, NULL, 0, &need), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_gt(need, 1);
  char *s = malloc(need);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(richeta_config_to_string(c, s, need, NULL), RICHETA_OK);
  ck_assert_uint_eq(strlen(s) + 1, need);
  return s;
}

/* Every key of config.h. */
static const richeta_param all_params[] = {
    RICHETA_PARAM_INPUT_DIM,     RICHETA_PARAM_WIDTH,          RICHETA_PARAM_OUTPUT_DIM,
    RICHETA_PARAM_DEPTH,         RICHETA_PARAM_BIAS,           RICHETA_PARAM_PARAMETERIZATION,
    RICHETA_PARAM_ACTIVATION,    RICHETA_PARAM_LOSS,           RICHETA_PARAM_DTYPE,
    RICHETA_PARAM_CENTERING,     RICHETA_PARAM_GAMMA,          RICHETA_PARAM_SEED,
    RICHETA_PARAM_BATCH,         RICHETA_PARAM_ETA0,           RICHETA_PARAM_MOMENTUM,
    RICHETA_PARAM_WEIGHT_DECAY,  RICHETA_PARAM_GAMMA_RULE,     RICHETA_PARAM_SCHEDULE,
    RICHETA_PARAM_WARMUP_STEPS,  RICHETA_PARAM_DECAY_STEPS,    RICHETA_PARAM_DECAY_FACTOR,
    RICHETA_PARAM_MIN_FACTOR,    RICHETA_PARAM_LAZY_EXPONENT,  RICHETA_PARAM_RICH_EXPONENT,
    RICHETA_PARAM_CROSSOVER,     RICHETA_PARAM_RULE_PREFACTOR, RICHETA_PARAM_TASK,
    RICHETA_PARAM_TEACHER_WIDTH, RICHETA_PARAM_TEACHER_DEPTH,  RICHETA_PARAM_TEACHER_ACTIVATION,
    RICHETA_PARAM_LABEL_NOISE,   RICHETA_PARAM_DATA_SEED,      RICHETA_PARAM_DATA_PATH,
    RICHETA_PARAM_STEPS,         RICHETA_PARAM_LOG_PER_DECADE, RICHETA_PARAM_BLOWUP,
    RICHETA_PARAM_EVAL_SIZE};
#define NPARAMS (int)(sizeof all_params / sizeof all_params[0])

START_TEST(defaults_match_the_documentation) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(geti(c, RICHETA_PARAM_INPUT_DIM), 16);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_WIDTH), 64);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_OUTPUT_DIM), 1);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_DEPTH), 3);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_BIAS), 1);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_PARAMETERIZATION), RICHETA_PARAMETERIZATION_MF);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_ACTIVATION), RICHETA_ACTIVATION_RELU);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_LOSS), RICHETA_LOSS_MSE);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_DTYPE), RICHETA_DTYPE_AUTO);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_CENTERING), RICHETA_CENTERING_FROZEN);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 1.0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_SEED), 0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_BATCH), 32);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_ETA0), 0.1);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_MOMENTUM), 0.0);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_WEIGHT_DECAY), 0.0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_GAMMA_RULE), RICHETA_GAMMA_RULE_NONE);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_SCHEDULE), RICHETA_SCHEDULE_CONSTANT);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_WARMUP_STEPS), 0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_DECAY_STEPS), 1000);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_DECAY_FACTOR), 0.1);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_MIN_FACTOR), 0.0);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_LAZY_EXPONENT), 2.0);
  ck_assert_double_eq_tol(getd(c, RICHETA_PARAM_RICH_EXPONENT), 2.0 / 3.0, 1e-15);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_CROSSOVER), 1.0);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_RULE_PREFACTOR), 1.0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_TASK), RICHETA_TASK_LINEAR);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_TEACHER_WIDTH), 64);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_TEACHER_DEPTH), 2);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_TEACHER_ACTIVATION), RICHETA_ACTIVATION_TANH);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_LABEL_NOISE), 0.0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_DATA_SEED), 1);
  char buf[16] = "x";
  size_t need = 0;
  ck_assert_int_eq(richeta_config_get_string(c, RICHETA_PARAM_DATA_PATH, buf, sizeof buf, &need),
                   RICHETA_OK);
  ck_assert_str_eq(buf, "");
  ck_assert_uint_eq(need, 1);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_STEPS), 400);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_LOG_PER_DECADE), 10);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_BLOWUP), 1e3);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_EVAL_SIZE), 512);
  richeta_config_free(c);
}
END_TEST

START_TEST(every_key_has_a_name_that_maps_back) {
  for (int i = 0; i < NPARAMS; i++) {
    richeta_param_type t = 0;
    const char *name = NULL;
    ck_assert_int_eq(richeta_param_info(all_params[i], &t, &name), RICHETA_OK);
    ck_assert_ptr_nonnull(name);
    richeta_param back = 0;
    ck_assert_int_eq(richeta_param_from_name(name, &back), RICHETA_OK);
    ck_assert_int_eq(back, all_params[i]);
    double lo = 0, hi = 0;
    richeta_status s = richeta_param_bounds(all_params[i], &lo, &hi, NULL);
    if (t == RICHETA_TYPE_STRING) {
      ck_assert_int_eq(s, RICHETA_ERR_INVALID);
    } else {
      ck_assert_int_eq(s, RICHETA_OK);
      ck_assert(lo <= hi);
    }
  }
  richeta_param p;
  ck_assert_int_eq(richeta_param_from_name("no_such_key", &p), RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_param_info((richeta_param)9999, NULL, NULL), RICHETA_ERR_UNSUPPORTED);
}
END_TEST

START_TEST(spec_names_are_the_documented_ones) {
  const struct {
    richeta_param p;
    const char *name;
  } want[] = {{RICHETA_PARAM_INPUT_DIM, "D"},      {RICHETA_PARAM_WIDTH, "N"},
              {RICHETA_PARAM_OUTPUT_DIM, "C"},     {RICHETA_PARAM_DEPTH, "L"},
              {RICHETA_PARAM_GAMMA, "gamma"},      {RICHETA_PARAM_ETA0, "eta0"},
              {RICHETA_PARAM_BATCH, "B"},          {RICHETA_PARAM_STEPS, "T"},
              {RICHETA_PARAM_ACTIVATION, "act"},   {RICHETA_PARAM_PARAMETERIZATION, "param"},
              {RICHETA_PARAM_CENTERING, "center"}, {RICHETA_PARAM_DATA_PATH, "data"}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const char *name = NULL;
    ck_assert_int_eq(richeta_param_info(want[i].p, NULL, &name), RICHETA_OK);
    ck_assert_str_eq(name, want[i].name);
  }
}
END_TEST

START_TEST(out_of_bounds_values_are_rejected_and_leave_the_value) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_WIDTH, 0), RICHETA_ERR_RANGE);
  ck_assert_int_gt((int)strlen(richeta_config_last_error(c)), 0);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_WIDTH, -5), RICHETA_ERR_RANGE);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_WIDTH), 64);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_DEPTH, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_BIAS, 2), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_ACTIVATION, 4), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_ACTIVATION, -1), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_SEED, -1), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_INPUT_DIM, INT64_MAX),
                   RICHETA_ERR_RANGE);
  /* gamma > 0: the lower bound 0 is open */
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_GAMMA, 0.0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_GAMMA, -1.0), RICHETA_ERR_RANGE);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 1.0);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_GAMMA, 1e-6), RICHETA_OK);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 1e-6);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_ETA0, 0.0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_MOMENTUM, 1.0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_DECAY_FACTOR, 0.0),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_BLOWUP, 1.0), RICHETA_ERR_RANGE);
  double lo, hi;
  int open = -1;
  ck_assert_int_eq(richeta_param_bounds(RICHETA_PARAM_GAMMA, &lo, &hi, &open), RICHETA_OK);
  ck_assert_double_eq(lo, 0.0);
  ck_assert_int_eq(open, 1);
  richeta_config_free(c);
}
END_TEST

START_TEST(nonfinite_doubles_are_rejected_as_nonfinite) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_GAMMA, NAN), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_ETA0, INFINITY),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_LABEL_NOISE, -INFINITY),
                   RICHETA_ERR_NONFINITE);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 1.0);
  ck_assert_int_eq(richeta_config_parse(c, "gamma=nan"), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_parse(c, "eta0=inf"), RICHETA_ERR_NONFINITE);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_ETA0), 0.1);
  richeta_config_free(c);
}
END_TEST

START_TEST(wrong_type_and_unknown_keys_are_refused) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_WIDTH, 3.0), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_config_set_int(c, RICHETA_PARAM_GAMMA, 3), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_config_set_string(c, RICHETA_PARAM_GAMMA, "3"), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_config_set_int(c, (richeta_param)9999, 1), RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_config_set_double(c, (richeta_param)-1, 1), RICHETA_ERR_UNSUPPORTED);
  int64_t i;
  double d;
  ck_assert_int_eq(richeta_config_get_int(c, RICHETA_PARAM_GAMMA, &i), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_config_get_double(c, RICHETA_PARAM_WIDTH, &d), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_config_get_int(c, (richeta_param)9999, &i), RICHETA_ERR_UNSUPPORTED);
  richeta_config_free(c);
}
END_TEST

START_TEST(enumeration_values_parse_by_name_and_number) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_parse(c, "act=tanh, param=ntk ;loss=ce center=none"), RICHETA_OK);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_ACTIVATION), RICHETA_ACTIVATION_TANH);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_PARAMETERIZATION), RICHETA_PARAMETERIZATION_NTK);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_LOSS), RICHETA_LOSS_CROSS_ENTROPY);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_CENTERING), RICHETA_CENTERING_NONE);
  ck_assert_int_eq(richeta_config_parse(c, "act=3,rule=theory,schedule=cosine,dtype=f64"),
                   RICHETA_OK);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_ACTIVATION), RICHETA_ACTIVATION_IDENTITY);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_GAMMA_RULE), RICHETA_GAMMA_RULE_THEORY);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_SCHEDULE), RICHETA_SCHEDULE_COSINE);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_DTYPE), RICHETA_DTYPE_F64);
  ck_assert_int_eq(richeta_config_parse(c, "act=sigmoid"), RICHETA_ERR_FORMAT);
  ck_assert_ptr_nonnull(strstr(richeta_config_last_error(c), "sigmoid"));
  ck_assert_int_eq(geti(c, RICHETA_PARAM_ACTIVATION), RICHETA_ACTIVATION_IDENTITY);

  const char *name = NULL;
  ck_assert_int_eq(richeta_param_value_name(RICHETA_PARAM_ACTIVATION, 2, &name), RICHETA_OK);
  ck_assert_str_eq(name, "gelu");
  ck_assert_int_eq(richeta_param_value_name(RICHETA_PARAM_PARAMETERIZATION, 0, &name), RICHETA_OK);
  ck_assert_str_eq(name, "mf");
  ck_assert_int_eq(richeta_param_value_name(RICHETA_PARAM_ACTIVATION, 4, &name), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_param_value_name(RICHETA_PARAM_WIDTH, 0, &name),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_param_value_name(RICHETA_PARAM_ACTIVATION, 0, NULL), RICHETA_ERR_NULL);
  richeta_config_free(c);
}
END_TEST

START_TEST(integers_accept_exact_float_forms_only) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_parse(c, "T=1e4,N=256"), RICHETA_OK);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_STEPS), 10000);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_WIDTH), 256);
  ck_assert_int_eq(richeta_config_parse(c, "N=2.5"), RICHETA_ERR_FORMAT);
  ck_assert_int_eq(richeta_config_parse(c, "N=12abc"), RICHETA_ERR_FORMAT);
  ck_assert_int_eq(richeta_config_parse(c, "N="), RICHETA_ERR_FORMAT);
  ck_assert_int_eq(richeta_config_parse(c, "gamma"), RICHETA_ERR_FORMAT);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_WIDTH), 256);
  richeta_config_free(c);
}
END_TEST

START_TEST(spec_string_round_trips_to_an_equal_config) {
  richeta_config *a = new_cfg();
  ck_assert_int_eq(richeta_config_parse(a, "D=7,N=33,C=3,L=4,bias=0,param=sp,act=gelu,loss=ce,"
                                           "dtype=f32,center=none,gamma=0.1234567890123,seed=42,"
                                           "B=9,eta0=3.3e-5,momentum=0.5,wd=1e-4,rule=custom,"
                                           "schedule=step,warmup=5,decay_every=17,"
                                           "decay_factor=0.3,min_factor=0.01,lazy_exp=1.5,"
                                           "rich_exp=0.25,crossover=2,prefactor=0.7,task=mlp,"
                                           "teacher_N=5,teacher_L=3,teacher_act=relu,noise=0.1,"
                                           "data_seed=77,T=1234,log_per_decade=7,blowup=55,"
                                           "eval_n=64"),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_string(a, RICHETA_PARAM_DATA_PATH, "we,ird \"p\\ath\"#x"),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_double(a, RICHETA_PARAM_GAMMA, 1.0 / 3.0), RICHETA_OK);
  char *sa = spec_of(a);
  richeta_config *b = new_cfg();
  ck_assert_int_eq(richeta_config_parse(b, sa), RICHETA_OK);
  char *sb = spec_of(b);
  ck_assert_str_eq(sa, sb);
  /* typed comparison of every key, bit-exact for doubles */
  for (int i = 0; i < NPARAMS; i++) {
    richeta_param_type t;
    ck_assert_int_eq(richeta_param_info(all_params[i], &t, NULL), RICHETA_OK);
    if (t == RICHETA_TYPE_INT) {
      ck_assert_int_eq(geti(a, all_params[i]), geti(b, all_params[i]));
    } else if (t == RICHETA_TYPE_DOUBLE) {
      double x = getd(a, all_params[i]), y = getd(b, all_params[i]);
      ck_assert(memcmp(&x, &y, sizeof x) == 0);
    } else {
      char s1[256], s2[256];
      ck_assert_int_eq(richeta_config_get_string(a, all_params[i], s1, sizeof s1, NULL),
                       RICHETA_OK);
      ck_assert_int_eq(richeta_config_get_string(b, all_params[i], s2, sizeof s2, NULL),
                       RICHETA_OK);
      ck_assert_str_eq(s1, s2);
      ck_assert_str_eq(s1, "we,ird \"p\\ath\"#x");
    }
  }
  ck_assert(getd(b, RICHETA_PARAM_GAMMA) == 1.0 / 3.0);
  free(sa);
  free(sb);
  richeta_config_free(a);
  richeta_config_free(b);
}
END_TEST

START_TEST(quoted_values_may_hold_commas_and_spaces) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_parse(c, "data=\"a,b c\\\"d\",gamma=2"), RICHETA_OK);
  char buf[64];
  ck_assert_int_eq(richeta_config_get_string(c, RICHETA_PARAM_DATA_PATH, buf, sizeof buf, NULL),
                   RICHETA_OK);
  ck_assert_str_eq(buf, "a,b c\"d");
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 2.0);
  ck_assert_int_eq(richeta_config_parse(c, "data=\"unterminated,gamma=3"), RICHETA_ERR_FORMAT);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 2.0);
  richeta_config_free(c);
}
END_TEST

START_TEST(failed_parse_changes_nothing) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_parse(c, "gamma=5,N=128"), RICHETA_OK);
  char *before = spec_of(c);
  ck_assert_int_eq(richeta_config_parse(c, "gamma=3,N=0"), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_parse(c, "gamma=3,bogus=1"), RICHETA_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(richeta_config_last_error(c), "bogus"));
  ck_assert_int_eq(richeta_config_parse(c, "data=\"x\",gamma=3,eta0=-1"), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_parse(c, "gamma=3,N=4,act=nope"), RICHETA_ERR_FORMAT);
  char *after = spec_of(c);
  ck_assert_str_eq(before, after);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 5.0);
  free(before);
  free(after);
  richeta_config_free(c);
}
END_TEST

START_TEST(buffers_too_small_report_the_needed_size) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_set_string(c, RICHETA_PARAM_DATA_PATH, "abcdef"), RICHETA_OK);
  char buf[4] = "zzz";
  size_t need = 0;
  ck_assert_int_eq(richeta_config_get_string(c, RICHETA_PARAM_DATA_PATH, buf, sizeof buf, &need),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(need, 7);
  ck_assert_int_eq(richeta_config_get_string(c, RICHETA_PARAM_DATA_PATH, NULL, 5, &need),
                   RICHETA_ERR_NULL);
  need = 0;
  ck_assert_int_eq(richeta_config_to_string(c, buf, sizeof buf, &need),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_gt(need, sizeof buf);
  richeta_config_free(c);
}
END_TEST

START_TEST(overlong_string_is_a_range_error) {
  richeta_config *c = new_cfg();
  char *s = malloc(5000);
  memset(s, 'a', 4999);
  s[4999] = '\0';
  ck_assert_int_eq(richeta_config_set_string(c, RICHETA_PARAM_DATA_PATH, s), RICHETA_ERR_RANGE);
  s[4095] = '\0';
  ck_assert_int_eq(richeta_config_set_string(c, RICHETA_PARAM_DATA_PATH, s), RICHETA_OK);
  free(s);
  richeta_config_free(c);
}
END_TEST

static char tmp_path[64];

static void make_tmp(void) {
  snprintf(tmp_path, sizeof tmp_path, "/tmp/rlz_cfg_XXXXXX");
  int fd = mkstemp(tmp_path);
  ck_assert_int_ge(fd, 0);
  close(fd);
}

START_TEST(spec_file_save_then_load_round_trips) {
  make_tmp();
  richeta_config *a = new_cfg();
  ck_assert_int_eq(richeta_config_parse(a, "gamma=123.5,N=17,act=tanh,data=\"x,y\""), RICHETA_OK);
  ck_assert_int_eq(richeta_config_save(a, tmp_path), RICHETA_OK);
  richeta_config *b = new_cfg();
  ck_assert_int_eq(richeta_config_load(b, tmp_path), RICHETA_OK);
  char *sa = spec_of(a), *sb = spec_of(b);
  ck_assert_str_eq(sa, sb);
  free(sa);
  free(sb);
  unlink(tmp_path);
  richeta_config_free(a);
  richeta_config_free(b);
}
END_TEST

START_TEST(spec_file_comments_lines_and_errors) {
  make_tmp();
  FILE *f = fopen(tmp_path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("# calibrated rule\ngamma=4   # trailing comment\n\nN=8,L=2\n", f);
  fclose(f);
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_load(c, tmp_path), RICHETA_OK);
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 4.0);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_WIDTH), 8);
  ck_assert_int_eq(geti(c, RICHETA_PARAM_DEPTH), 2);
  f = fopen(tmp_path, "w");
  fputs("gamma=9\n# ok\nN=oops\n", f);
  fclose(f);
  ck_assert_int_eq(richeta_config_load(c, tmp_path), RICHETA_ERR_FORMAT);
  ck_assert_ptr_nonnull(strstr(richeta_config_last_error(c), "line 3"));
  ck_assert_double_eq(getd(c, RICHETA_PARAM_GAMMA), 4.0); /* atomic */
  unlink(tmp_path);
  ck_assert_int_eq(richeta_config_load(c, tmp_path), RICHETA_ERR_IO);
  ck_assert_int_eq(richeta_config_save(c, "/nonexistent-dir/x/cfg"), RICHETA_ERR_IO);
  richeta_config_free(c);
}
END_TEST

/* Counting allocator: every block must come back. */
typedef struct counter {
  long allocs, frees, live;
  long fail_after; /* -1: never fail */
} counter;

static void *count_alloc(void *user, size_t size, size_t alignment) {
  counter *c = user;
  if (c->fail_after >= 0 && c->allocs >= c->fail_after)
    return NULL;
  void *p = NULL;
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  if (posix_memalign(&p, alignment, size ? size : 1) != 0)
    return NULL;
  c->allocs++;
  c->live++;
  return p;
}

static void count_free(void *user, void *ptr) {
  counter *c = user;
  ck_assert_ptr_nonnull(ptr);
  c->frees++;
  c->live--;
  free(ptr);
}

START_TEST(allocator_hooks_see_every_allocation_and_free) {
  counter cnt = {0, 0, 0, -1};
  richeta_allocator al = {sizeof al, count_alloc, count_free, &cnt};
  richeta_config *c = NULL;
  ck_assert_int_eq(richeta_config_new(&c, &al), RICHETA_OK);
  ck_assert_int_gt(cnt.allocs, 0);
  ck_assert_int_eq(richeta_config_set_string(c, RICHETA_PARAM_DATA_PATH, "somewhere"), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(c, "gamma=2,data=\"x,y\""), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(c, "gamma=2,N=0"), RICHETA_ERR_RANGE);
  richeta_config *d = NULL;
  long before_clone = cnt.allocs;
  ck_assert_int_eq(richeta_config_clone(&d, c), RICHETA_OK);
  ck_assert_int_gt(cnt.allocs, before_clone); /* the clone uses the same hooks */
  make_tmp();
  ck_assert_int_eq(richeta_config_save(c, tmp_path), RICHETA_OK);
  ck_assert_int_eq(richeta_config_load(d, tmp_path), RICHETA_OK);
  unlink(tmp_path);
  richeta_config_free(c);
  richeta_config_free(d);
  ck_assert_int_eq(cnt.live, 0);
  ck_assert_int_eq(cnt.allocs, cnt.frees);
}
END_TEST

START_TEST(failing_allocator_gives_nomem_and_leaks_nothing) {
  for (long k = 0; k < 12; k++) {
    counter cnt = {0, 0, 0, k};
    richeta_allocator al = {sizeof al, count_alloc, count_free, &cnt};
    richeta_config *c = NULL;
    richeta_status s = richeta_config_new(&c, &al);
    if (s == RICHETA_OK) {
      s = richeta_config_parse(c, "gamma=2,data=\"abc\"");
      ck_assert(s == RICHETA_OK || s == RICHETA_ERR_NOMEM);
      richeta_config_free(c);
    } else {
      ck_assert_int_eq(s, RICHETA_ERR_NOMEM);
      ck_assert_ptr_null(c);
    }
    ck_assert_int_eq(cnt.live, 0);
  }
}
END_TEST

START_TEST(incomplete_allocator_table_is_invalid) {
  counter cnt = {0, 0, 0, -1};
  richeta_config *c = (richeta_config *)&cnt; /* must be reset to NULL */
  richeta_allocator no_free = {sizeof no_free, count_alloc, NULL, &cnt};
  ck_assert_int_eq(richeta_config_new(&c, &no_free), RICHETA_ERR_INVALID);
  ck_assert_ptr_null(c);
  richeta_allocator small = {sizeof(size_t), count_alloc, count_free, &cnt};
  c = (richeta_config *)&cnt;
  ck_assert_int_eq(richeta_config_new(&c, &small), RICHETA_ERR_INVALID);
  ck_assert_ptr_null(c);
  ck_assert_int_gt((int)strlen(richeta_last_error()), 0);
}
END_TEST

START_TEST(clone_is_independent_of_its_source) {
  richeta_config *a = new_cfg(), *b = NULL;
  ck_assert_int_eq(richeta_config_parse(a, "gamma=7,data=\"p\""), RICHETA_OK);
  ck_assert_int_eq(richeta_config_clone(&b, a), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(a, "gamma=8,data=\"q\""), RICHETA_OK);
  ck_assert_double_eq(getd(b, RICHETA_PARAM_GAMMA), 7.0);
  char buf[8];
  ck_assert_int_eq(richeta_config_get_string(b, RICHETA_PARAM_DATA_PATH, buf, sizeof buf, NULL),
                   RICHETA_OK);
  ck_assert_str_eq(buf, "p");
  richeta_config_free(a);
  ck_assert_double_eq(getd(b, RICHETA_PARAM_GAMMA), 7.0);
  richeta_config_free(b);
}
END_TEST

/* blowup = +inf is the paper's divergence rule (NaN/Inf losses only): the
 * one key whose upper bound is +inf takes it, through the setter and the
 * spec parser, and keeps it through the canonical text; NaN and -inf are
 * still refused, and so is +inf for every other key. */
START_TEST(blowup_takes_plus_infinity_and_round_trips) {
  richeta_config *c = new_cfg();
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_BLOWUP, INFINITY), RICHETA_OK);
  ck_assert(isinf(getd(c, RICHETA_PARAM_BLOWUP)) && getd(c, RICHETA_PARAM_BLOWUP) > 0);
  double lo = 0, hi = 0;
  ck_assert_int_eq(richeta_param_bounds(RICHETA_PARAM_BLOWUP, &lo, &hi, NULL), RICHETA_OK);
  ck_assert(isinf(hi));
  char text[4096];
  ck_assert_int_eq(richeta_config_to_string(c, text, sizeof text, NULL), RICHETA_OK);
  ck_assert_ptr_nonnull(strstr(text, "blowup=inf"));
  richeta_config *d = new_cfg();
  ck_assert_int_eq(richeta_config_parse(d, text), RICHETA_OK);
  ck_assert(isinf(getd(d, RICHETA_PARAM_BLOWUP)));
  ck_assert_int_eq(richeta_config_parse(d, "blowup=1e3"), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(d, "blowup=inf"), RICHETA_OK);
  ck_assert(isinf(getd(d, RICHETA_PARAM_BLOWUP)));
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_BLOWUP, -INFINITY),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_BLOWUP, NAN), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_parse(c, "blowup=nan"), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_parse(c, "blowup=-inf"), RICHETA_ERR_NONFINITE);
  ck_assert(isinf(getd(c, RICHETA_PARAM_BLOWUP)));
  ck_assert_int_eq(richeta_config_parse(c, "gamma=inf"), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_config_set_double(c, RICHETA_PARAM_CROSSOVER, INFINITY),
                   RICHETA_ERR_NONFINITE);
  richeta_config_free(d);
  richeta_config_free(c);
}
END_TEST

START_TEST(integer_bounds_are_compared_exactly_above_two_to_the_53) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  /* 2^53 + 1 rounds to 2^53 as a double: it used to pass the bound 2^53 */
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_SEED, 9007199254740993LL),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_parse(cfg, "seed=9007199254740993"), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_SEED, 9007199254740992LL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_SEED, INT64_MAX), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_SEED, -1), RICHETA_ERR_RANGE);
  int64_t v = 0;
  ck_assert_int_eq(richeta_config_get_int(cfg, RICHETA_PARAM_SEED, &v), RICHETA_OK);
  ck_assert_int_eq(v, 9007199254740992LL);
  richeta_config_free(cfg);
}
END_TEST

Suite *config_suite(void); /* called by runner.c */
Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_add_test(tc, defaults_match_the_documentation);
  tcase_add_test(tc, every_key_has_a_name_that_maps_back);
  tcase_add_test(tc, spec_names_are_the_documented_ones);
  tcase_add_test(tc, out_of_bounds_values_are_rejected_and_leave_the_value);
  tcase_add_test(tc, nonfinite_doubles_are_rejected_as_nonfinite);
  tcase_add_test(tc, wrong_type_and_unknown_keys_are_refused);
  tcase_add_test(tc, enumeration_values_parse_by_name_and_number);
  tcase_add_test(tc, integers_accept_exact_float_forms_only);
  tcase_add_test(tc, spec_string_round_trips_to_an_equal_config);
  tcase_add_test(tc, quoted_values_may_hold_commas_and_spaces);
  tcase_add_test(tc, failed_parse_changes_nothing);
  tcase_add_test(tc, buffers_too_small_report_the_needed_size);
  tcase_add_test(tc, overlong_string_is_a_range_error);
  tcase_add_test(tc, spec_file_save_then_load_round_trips);
  tcase_add_test(tc, spec_file_comments_lines_and_errors);
  tcase_add_test(tc, allocator_hooks_see_every_allocation_and_free);
  tcase_add_test(tc, failing_allocator_gives_nomem_and_leaks_nothing);
  tcase_add_test(tc, incomplete_allocator_table_is_invalid);
  tcase_add_test(tc, clone_is_independent_of_its_source);
  tcase_add_test(tc, integer_bounds_are_compared_exactly_above_two_to_the_53);
  tcase_add_test(tc, blowup_takes_plus_infinity_and_round_trips);
  suite_add_tcase(s, tc);
  return s;
}
