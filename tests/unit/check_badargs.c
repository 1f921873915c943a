/* The bad-argument sweep: every public function of common.h, config.h,
 * model.h, optim.h, sched.h, stream.h and trainer.h, called with NULL
 * pointers, zero / negative / overflowing sizes, out-of-range indices, gamma
 * <= 0 and NaN or infinite rates, returns an error status (the documented
 * one where the header names it) and leaves a non-empty message where the
 * header says it is kept, and never crashes (Check forks each test: a crash
 * fails it). Every free function accepts NULL. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANY_ERROR (-1)
#define HUGE_N INT64_MAX

/* Put a marker into the thread-local message so that a test can tell that
 * the call under test wrote a fresh message. */
static void set_thread_marker(void) {
  richeta_param p;
  ck_assert_int_eq(richeta_param_from_name("zz_marker_zz", &p), RICHETA_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "zz_marker_zz"));
}

static void check_status(const char *what, richeta_status got, int want) {
  if (want == ANY_ERROR)
    ck_assert_msg(got != RICHETA_OK, "%s returned OK", what);
  else
    ck_assert_msg((int)got == want, "%s returned %d (%s), expected %d (%s)", what, (int)got,
                  richeta_status_string(got), want, richeta_status_string((richeta_status)want));
}

/* The message lives in the thread buffer (NULL handle, constructors). */
#define EXPECT_T(want, call)                                                                       \
  do {                                                                                             \
    set_thread_marker();                                                                           \
    check_status(#call, (call), (want));                                                           \
    const char *m_ = richeta_last_error();                                                         \
    ck_assert_msg(m_ &&*m_ && !strstr(m_, "zz_marker_zz"), "%s left no message", #call);           \
  } while (0)

/* The message lives in a handle (some const getters keep it per thread
 * instead: accept a fresh thread message too, but some message must exist). */
#define EXPECT_H(want, call, msg_expr)                                                             \
  do {                                                                                             \
    set_thread_marker();                                                                           \
    check_status(#call, (call), (want));                                                           \
    const char *m_ = (msg_expr);                                                                   \
    const char *t_ = richeta_last_error();                                                         \
    ck_assert_msg((m_ && *m_) || (t_ && *t_ && !strstr(t_, "zz_marker_zz")), "%s left no message", \
                  #call);                                                                          \
  } while (0)

static const char *SMALL = "D=4,N=8,C=2,L=2,B=4,T=10,eval_n=8,log_per_decade=2";

static richeta_config *small_cfg(void) {
  richeta_config *c = NULL;
  ck_assert_int_eq(richeta_config_new(&c, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(c, SMALL), RICHETA_OK);
  return c;
}

/* ---- common ---------------------------------------------------------- */

START_TEST(common_rejects_bad_thread_counts) {
  EXPECT_T(RICHETA_ERR_RANGE, richeta_blas_set_threads(0));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_blas_set_threads(-1));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_blas_set_threads(-2147483647 - 1));
  ck_assert_ptr_nonnull(richeta_status_string((richeta_status)-42));
  ck_assert_ptr_nonnull(richeta_last_error());
}
END_TEST

START_TEST(every_free_accepts_null) {
  richeta_config_free(NULL);
  richeta_model_free(NULL);
  richeta_optim_free(NULL);
  richeta_sched_free(NULL);
  richeta_stream_free(NULL);
  richeta_trainer_free(NULL);
}
END_TEST

START_TEST(last_error_of_null_handle_is_the_thread_message) {
  set_thread_marker();
  const char *t = richeta_last_error();
  ck_assert_str_eq(richeta_config_last_error(NULL), t);
  ck_assert_str_eq(richeta_model_last_error(NULL), t);
  ck_assert_str_eq(richeta_optim_last_error(NULL), t);
  ck_assert_str_eq(richeta_sched_last_error(NULL), t);
  ck_assert_str_eq(richeta_stream_last_error(NULL), t);
  ck_assert_str_eq(richeta_trainer_last_error(NULL), t);
}
END_TEST

/* ---- config ---------------------------------------------------------- */

START_TEST(config_calls_reject_null_and_bad_values) {
  richeta_config *c = small_cfg(), *out = (richeta_config *)c;
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_new(NULL, NULL));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_clone(NULL, c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_clone(&out, NULL));
  ck_assert_ptr_null(out);
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_set_int(NULL, RICHETA_PARAM_WIDTH, 3));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_set_double(NULL, RICHETA_PARAM_GAMMA, 3));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_set_string(NULL, RICHETA_PARAM_DATA_PATH, "x"));
  EXPECT_H(RICHETA_ERR_NULL, richeta_config_set_string(c, RICHETA_PARAM_DATA_PATH, NULL),
           richeta_config_last_error(c));
  int64_t i;
  double d;
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_get_int(NULL, RICHETA_PARAM_WIDTH, &i));
  EXPECT_H(RICHETA_ERR_NULL, richeta_config_get_int(c, RICHETA_PARAM_WIDTH, NULL),
           richeta_config_last_error(c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_get_double(NULL, RICHETA_PARAM_GAMMA, &d));
  EXPECT_H(RICHETA_ERR_NULL, richeta_config_get_double(c, RICHETA_PARAM_GAMMA, NULL),
           richeta_config_last_error(c));
  char buf[8];
  EXPECT_T(RICHETA_ERR_NULL,
           richeta_config_get_string(NULL, RICHETA_PARAM_DATA_PATH, buf, sizeof buf, NULL));
  EXPECT_H(RICHETA_ERR_NULL, richeta_config_get_string(c, RICHETA_PARAM_DATA_PATH, NULL, 8, NULL),
           richeta_config_last_error(c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_parse(NULL, "gamma=1"));
  EXPECT_H(RICHETA_ERR_NULL, richeta_config_parse(c, NULL), richeta_config_last_error(c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_to_string(NULL, buf, sizeof buf, NULL));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_to_string(c, NULL, 16, NULL));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_load(NULL, "/dev/null"));
  EXPECT_H(RICHETA_ERR_NULL, richeta_config_load(c, NULL), richeta_config_last_error(c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_save(NULL, "/tmp/x"));
  EXPECT_T(RICHETA_ERR_NULL, richeta_config_save(c, NULL));
  richeta_param p;
  EXPECT_T(RICHETA_ERR_NULL, richeta_param_from_name(NULL, &p));
  EXPECT_T(RICHETA_ERR_NULL, richeta_param_from_name("gamma", NULL));
  EXPECT_T(RICHETA_ERR_UNSUPPORTED, richeta_param_info((richeta_param)-7, NULL, NULL));
  EXPECT_T(RICHETA_ERR_UNSUPPORTED, richeta_param_bounds((richeta_param)123456, NULL, NULL, NULL));
  EXPECT_T(RICHETA_ERR_INVALID, richeta_param_bounds(RICHETA_PARAM_DATA_PATH, NULL, NULL, NULL));
  const char *name;
  EXPECT_T(RICHETA_ERR_NULL, richeta_param_value_name(RICHETA_PARAM_ACTIVATION, 0, NULL));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_param_value_name(RICHETA_PARAM_ACTIVATION, HUGE_N, &name));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_param_value_name(RICHETA_PARAM_ACTIVATION, -1, &name));
  /* gamma <= 0, NaN and infinite rates, overflowing sizes */
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_double(c, RICHETA_PARAM_GAMMA, 0.0),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_double(c, RICHETA_PARAM_GAMMA, -2.0),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_config_set_double(c, RICHETA_PARAM_GAMMA, NAN),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_config_set_double(c, RICHETA_PARAM_ETA0, NAN),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_config_set_double(c, RICHETA_PARAM_ETA0, -INFINITY),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_double(c, RICHETA_PARAM_ETA0, -1e-3),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_int(c, RICHETA_PARAM_WIDTH, 0),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_int(c, RICHETA_PARAM_BATCH, -1),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_int(c, RICHETA_PARAM_WIDTH, HUGE_N),
           richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_config_set_int(c, RICHETA_PARAM_STEPS, -1),
           richeta_config_last_error(c));
  EXPECT_H(ANY_ERROR, richeta_config_parse(c, "N=99999999999999999999999"),
           richeta_config_last_error(c));
  EXPECT_H(ANY_ERROR, richeta_config_parse(c, "gamma=1e999"), richeta_config_last_error(c));
  EXPECT_H(ANY_ERROR, richeta_config_parse(c, "=3"), richeta_config_last_error(c));
  EXPECT_H(ANY_ERROR, richeta_config_parse(c, "gamma==3"), richeta_config_last_error(c));
  EXPECT_H(RICHETA_ERR_IO, richeta_config_load(c, "/nonexistent/dir/spec"),
           richeta_config_last_error(c));
  EXPECT_H(ANY_ERROR, richeta_config_load(c, "/"), richeta_config_last_error(c));
  richeta_config_free(c);
}
END_TEST

START_TEST(constructors_reject_null_and_reset_out) {
  richeta_config *c = small_cfg();
  void *junk = (void *)c; /* any non-NULL value: must be overwritten with NULL */
  richeta_model *m = junk;
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_new(NULL, c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_new(&m, NULL));
  ck_assert_ptr_null(m);
  richeta_sched *s = junk;
  EXPECT_T(RICHETA_ERR_NULL, richeta_sched_new(NULL, c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_sched_new(&s, NULL));
  ck_assert_ptr_null(s);
  richeta_stream *st = junk;
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_new(NULL, c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_new(&st, NULL));
  ck_assert_ptr_null(st);
  richeta_trainer *t = junk;
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_new(NULL, c));
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_new(&t, NULL));
  ck_assert_ptr_null(t);
  t = junk;
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_resume(&t, NULL, NULL));
  ck_assert_ptr_null(t);
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_resume(NULL, "/tmp/x", NULL));
  t = junk;
  EXPECT_T(RICHETA_ERR_IO, richeta_trainer_resume(&t, "/nonexistent/dir/ckpt", NULL));
  ck_assert_ptr_null(t);
  /* a model-less optimizer */
  richeta_optim *o = junk;
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_new(&o, NULL, c));
  ck_assert_ptr_null(o);
  richeta_config_free(c);
}
END_TEST

/* ---- model ----------------------------------------------------------- */

START_TEST(model_calls_reject_null_sizes_and_indices) {
  richeta_config *c = small_cfg();
  richeta_model *m = NULL;
  ck_assert_int_eq(richeta_model_new(&m, c), RICHETA_OK);
  int64_t n = 0, v = 0;
  double d = 0;
  ck_assert_int_eq(richeta_model_num_params(m, &n), RICHETA_OK);
  ck_assert_int_gt(n, 0);
  double *params = calloc((size_t)n, sizeof *params);
  double x[4 * 4] = {0}, y[4 * 2] = {0}, out[4 * 2];
  float xf[4 * 4] = {0}, yf[4 * 2] = {0}, outf[4 * 2];
  double *grad = calloc((size_t)n, sizeof *grad);
  float *gradf = calloc((size_t)n, sizeof *gradf);
  const char *(*msg)(const richeta_model *) = richeta_model_last_error;

  EXPECT_T(RICHETA_ERR_NULL, richeta_model_get_int(NULL, RICHETA_PARAM_WIDTH, &v));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_get_int(m, RICHETA_PARAM_WIDTH, NULL), msg(m));
  EXPECT_H(RICHETA_ERR_UNSUPPORTED, richeta_model_get_int(m, RICHETA_PARAM_ETA0, &v), msg(m));
  EXPECT_H(RICHETA_ERR_UNSUPPORTED, richeta_model_get_int(m, (richeta_param)9999, &v), msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_get_double(NULL, RICHETA_PARAM_GAMMA, &d));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_get_double(m, RICHETA_PARAM_GAMMA, NULL), msg(m));
  EXPECT_H(RICHETA_ERR_UNSUPPORTED, richeta_model_get_double(m, RICHETA_PARAM_WIDTH, &d), msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_num_params(NULL, &v));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_num_params(m, NULL), msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_layer_shape(NULL, 0, &v, &v, &v));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_layer_shape(m, -1, &v, &v, &v), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_layer_shape(m, 2, &v, &v, &v), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_layer_shape(m, HUGE_N, NULL, NULL, NULL), msg(m));

  int64_t rows = 0, cols = 0, blen = 0;
  ck_assert_int_eq(richeta_model_layer_shape(m, 0, &rows, &cols, &blen), RICHETA_OK);
  ck_assert_int_eq(rows, 8);
  ck_assert_int_eq(cols, 4);
  double w[32], b[8];
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_get_layer(NULL, 0, w, 32, b, 8));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_get_layer(m, 0, NULL, 32, b, 8), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_get_layer(m, -1, w, 32, b, 8), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_get_layer(m, 5, w, 32, b, 8), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_layer(m, 0, w, 31, b, 8), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_layer(m, 0, w, -32, b, 8), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_layer(m, 0, w, HUGE_N, b, 8), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_layer(m, 0, w, 32, b, 0), msg(m));
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 32, b, 8), RICHETA_OK);
  double w_before = w[3];
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_set_layer(NULL, 0, w, 32, NULL, 0));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_set_layer(m, 0, NULL, 32, NULL, 0), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_set_layer(m, 2, w, 32, NULL, 0), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_set_layer(m, 0, w, 33, NULL, 0), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_set_layer(m, 0, w, 32, b, 7), msg(m));
  w[3] = NAN;
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_model_set_layer(m, 0, w, 32, NULL, 0), msg(m));
  w[3] = 1.0;
  b[0] = INFINITY;
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_model_set_layer(m, 0, w, 32, b, 8), msg(m));
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 32, NULL, 0), RICHETA_OK);
  ck_assert(w[3] == w_before); /* nothing changed */

  EXPECT_T(RICHETA_ERR_NULL, richeta_model_get_params(NULL, params, n));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_get_params(m, NULL, n), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_params(m, params, n - 1), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_params(m, params, -1), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_params(m, params, HUGE_N), msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_get_initial_params(NULL, params, n));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_get_initial_params(m, NULL, n), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_initial_params(m, params, 0), msg(m));
  ck_assert_int_eq(richeta_model_get_params(m, params, n), RICHETA_OK);
  double p0 = params[0];
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_set_params(NULL, params, n));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_set_params(m, NULL, n), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_set_params(m, params, n + 1), msg(m));
  params[n - 1] = NAN;
  params[0] = p0 + 1.0;
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_model_set_params(m, params, n), msg(m));
  ck_assert_int_eq(richeta_model_get_params(m, params, n), RICHETA_OK);
  ck_assert(params[0] == p0); /* atomic */
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_recenter(NULL));
  /* running statistics: an MLP has none */
  int64_t ns = -1;
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_num_running_stats(NULL, &ns));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_num_running_stats(m, NULL), msg(m));
  ck_assert_int_eq(richeta_model_num_running_stats(m, &ns), RICHETA_OK);
  ck_assert_int_eq(ns, 0);
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_get_running_stats(NULL, 0, params, 0));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_set_running_stats(NULL, 1, params, 0));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_get_running_stats(m, 0, params, 1), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_set_running_stats(m, 1, params, -1), msg(m));
  ck_assert_int_eq(richeta_model_get_running_stats(m, 1, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_model_set_running_stats(m, 0, NULL, 0), RICHETA_OK);

  EXPECT_T(RICHETA_ERR_NULL, richeta_model_forward_f64(NULL, x, 1, out));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_forward_f64(m, NULL, 1, out), msg(m));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_forward_f64(m, x, 1, NULL), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_forward_f64(m, x, 0, out), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_forward_f64(m, x, -4, out), msg(m));
  EXPECT_H(ANY_ERROR, richeta_model_forward_f64(m, x, HUGE_N, out), msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_forward_f32(NULL, xf, 1, outf));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_forward_f32(m, NULL, 1, outf), msg(m));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_forward_f32(m, xf, 1, NULL), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_forward_f32(m, xf, 0, outf), msg(m));
  EXPECT_H(ANY_ERROR, richeta_model_forward_f32(m, xf, HUGE_N, outf), msg(m));

  double loss, acc;
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_loss_grad_f64(NULL, x, y, 1, &loss, grad, n));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_loss_grad_f64(m, NULL, y, 1, &loss, grad, n), msg(m));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_loss_grad_f64(m, x, NULL, 1, &loss, grad, n), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_loss_grad_f64(m, x, y, 0, &loss, grad, n), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_loss_grad_f64(m, x, y, -1, &loss, grad, n), msg(m));
  EXPECT_H(ANY_ERROR, richeta_model_loss_grad_f64(m, x, y, HUGE_N, &loss, grad, n), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_loss_grad_f64(m, x, y, 1, &loss, grad, n - 1),
           msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_loss_grad_f64(m, x, y, 1, &loss, grad, HUGE_N),
           msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_loss_grad_f32(NULL, xf, yf, 1, &loss, gradf, n));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_loss_grad_f32(m, NULL, yf, 1, &loss, gradf, n), msg(m));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_loss_grad_f32(m, xf, NULL, 1, &loss, gradf, n), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_loss_grad_f32(m, xf, yf, 0, &loss, gradf, n), msg(m));
  EXPECT_H(RICHETA_ERR_MISMATCH, richeta_model_loss_grad_f32(m, xf, yf, 1, &loss, gradf, 1),
           msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_evaluate_f64(NULL, x, y, 1, &loss, &acc));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_evaluate_f64(m, NULL, y, 1, &loss, &acc), msg(m));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_evaluate_f64(m, x, NULL, 1, &loss, &acc), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_evaluate_f64(m, x, y, 0, &loss, &acc), msg(m));
  EXPECT_H(ANY_ERROR, richeta_model_evaluate_f64(m, x, y, HUGE_N, &loss, &acc), msg(m));
  EXPECT_T(RICHETA_ERR_NULL, richeta_model_evaluate_f32(NULL, xf, yf, 1, &loss, &acc));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_evaluate_f32(m, NULL, yf, 1, &loss, &acc), msg(m));
  EXPECT_H(RICHETA_ERR_NULL, richeta_model_evaluate_f32(m, xf, NULL, 1, &loss, &acc), msg(m));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_model_evaluate_f32(m, xf, yf, -1, &loss, &acc), msg(m));

  /* still usable after all of that */
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 4, out), RICHETA_OK);
  free(params);
  free(grad);
  free(gradf);
  richeta_model_free(m);
  richeta_config_free(c);
}
END_TEST

/* ---- optim and sched --------------------------------------------------- */

START_TEST(optim_calls_reject_null_sizes_and_bad_rates) {
  richeta_config *c = small_cfg();
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  ck_assert_int_eq(richeta_model_new(&m, c), RICHETA_OK);
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_new(NULL, m, c));
  o = (richeta_optim *)m;
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_new(&o, m, NULL));
  ck_assert_ptr_null(o);
  ck_assert_int_eq(richeta_optim_new(&o, m, c), RICHETA_OK);
  const char *(*msg)(const richeta_optim *) = richeta_optim_last_error;
  double e = 0;
  int64_t k = 0;
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_set_eta(NULL, 0.1));
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_optim_set_eta(o, NAN), msg(o));
  EXPECT_H(RICHETA_ERR_NONFINITE, richeta_optim_set_eta(o, INFINITY), msg(o));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_optim_set_eta(o, 0.0), msg(o));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_optim_set_eta(o, -0.5), msg(o));
  ck_assert_int_eq(richeta_optim_get_eta(o, &e), RICHETA_OK);
  ck_assert_double_eq(e, 0.1); /* the default eta0, untouched by the failures */
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_get_eta(NULL, &e));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_get_eta(o, NULL), msg(o));
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_width_multiplier(NULL, &e));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_width_multiplier(o, NULL), msg(o));
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_steps(NULL, &k));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_steps(o, NULL), msg(o));
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_reset(NULL));

  double x[16] = {0}, y[8] = {0}, loss = 0;
  float xf[16] = {0}, yf[8] = {0};
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_step_f64(NULL, x, y, 4, &loss));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_step_f64(o, NULL, y, 4, &loss), msg(o));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_step_f64(o, x, NULL, 4, &loss), msg(o));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_optim_step_f64(o, x, y, 0, &loss), msg(o));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_optim_step_f64(o, x, y, -1, &loss), msg(o));
  EXPECT_H(ANY_ERROR, richeta_optim_step_f64(o, x, y, HUGE_N, &loss), msg(o));
  EXPECT_T(RICHETA_ERR_NULL, richeta_optim_step_f32(NULL, xf, yf, 4, &loss));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_step_f32(o, NULL, yf, 4, &loss), msg(o));
  EXPECT_H(RICHETA_ERR_NULL, richeta_optim_step_f32(o, xf, NULL, 4, &loss), msg(o));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_optim_step_f32(o, xf, yf, 0, &loss), msg(o));
  EXPECT_H(ANY_ERROR, richeta_optim_step_f32(o, xf, yf, HUGE_N, &loss), msg(o));
  ck_assert_int_eq(richeta_optim_steps(o, &k), RICHETA_OK);
  ck_assert_int_eq(k, 0); /* no failed call counted as a step */

  /* A NaN batch makes a non-finite loss: DIVERGED, parameters unchanged. */
  int64_t n = 0;
  ck_assert_int_eq(richeta_model_num_params(m, &n), RICHETA_OK);
  double *before = calloc((size_t)n, sizeof *before), *after = calloc((size_t)n, sizeof *after);
  ck_assert_int_eq(richeta_model_get_params(m, before, n), RICHETA_OK);
  for (int i = 0; i < 16; i++)
    x[i] = 1.0;
  x[5] = NAN;
  for (int i = 0; i < 8; i++)
    y[i] = 1.0;
  EXPECT_H(RICHETA_ERR_DIVERGED, richeta_optim_step_f64(o, x, y, 4, &loss), msg(o));
  ck_assert_int_eq(richeta_model_get_params(m, after, n), RICHETA_OK);
  ck_assert(memcmp(before, after, (size_t)n * sizeof *before) == 0);
  free(before);
  free(after);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_config_free(c);
}
END_TEST

START_TEST(sched_calls_reject_null_negative_steps_and_bad_gamma) {
  richeta_config *c = small_cfg();
  richeta_sched *s = NULL;
  ck_assert_int_eq(richeta_sched_new(&s, c), RICHETA_OK);
  const char *(*msg)(const richeta_sched *) = richeta_sched_last_error;
  double e = 0;
  EXPECT_T(RICHETA_ERR_NULL, richeta_sched_eta(NULL, 0, &e));
  EXPECT_H(RICHETA_ERR_NULL, richeta_sched_eta(s, 0, NULL), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_sched_eta(s, -1, &e), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_sched_eta(s, -HUGE_N, &e), msg(s));
  EXPECT_T(RICHETA_ERR_NULL, richeta_sched_gamma_factor(NULL, &e));
  EXPECT_H(RICHETA_ERR_NULL, richeta_sched_gamma_factor(s, NULL), msg(s));
  EXPECT_T(RICHETA_ERR_NULL, richeta_sched_time_factor(NULL, 0, &e));
  EXPECT_H(RICHETA_ERR_NULL, richeta_sched_time_factor(s, 0, NULL), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_sched_time_factor(s, -3, &e), msg(s));
  /* a huge step is a valid step: finite, non-negative factor */
  ck_assert_int_eq(richeta_sched_time_factor(s, HUGE_N, &e), RICHETA_OK);
  ck_assert(isfinite(e) && e >= 0);

  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  ck_assert_int_eq(richeta_model_new(&m, c), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&o, m, c), RICHETA_OK);
  EXPECT_T(RICHETA_ERR_NULL, richeta_sched_apply(NULL, o, 0));
  EXPECT_H(RICHETA_ERR_NULL, richeta_sched_apply(s, NULL, 0), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_sched_apply(s, o, -1), msg(s));

  EXPECT_T(RICHETA_ERR_RANGE, richeta_gamma_rule_theory(0.0, 3, &e));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_gamma_rule_theory(-1.0, 3, &e));
  EXPECT_T(RICHETA_ERR_NONFINITE, richeta_gamma_rule_theory(NAN, 3, &e));
  EXPECT_T(RICHETA_ERR_NONFINITE, richeta_gamma_rule_theory(INFINITY, 3, &e));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_gamma_rule_theory(1.0, 0, &e));
  EXPECT_T(RICHETA_ERR_RANGE, richeta_gamma_rule_theory(1.0, -HUGE_N, &e));
  EXPECT_T(RICHETA_ERR_NULL, richeta_gamma_rule_theory(1.0, 3, NULL));

  /* gamma^2 underflows to 0 for a tiny gamma: a schedule with it must not
   * produce a zero or non-finite rate silently. */
  richeta_config *tiny = small_cfg();
  ck_assert_int_eq(richeta_config_parse(tiny, "gamma=1e-200,rule=theory"), RICHETA_OK);
  richeta_sched *st = NULL;
  richeta_status r = richeta_sched_new(&st, tiny);
  if (r == RICHETA_OK) {
    r = richeta_sched_eta(st, 0, &e);
    ck_assert(r != RICHETA_OK || (isfinite(e) && e > 0));
    r = richeta_sched_apply(st, o, 0);
    ck_assert(r != RICHETA_OK || (richeta_optim_get_eta(o, &e) == RICHETA_OK && e > 0));
  } else {
    ck_assert_ptr_null(st);
    ck_assert_int_gt((int)strlen(richeta_last_error()), 0);
  }
  richeta_sched_free(st);
  richeta_config_free(tiny);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_sched_free(s);
  richeta_config_free(c);
}
END_TEST

/* ---- stream ------------------------------------------------------------ */

static int fill_ok(void *user, int64_t step, int64_t batch, int64_t d, int64_t c, double *x,
                   double *y) {
  (void)user;
  (void)step;
  for (int64_t i = 0; i < batch * d; i++)
    x[i] = 0.5;
  for (int64_t i = 0; i < batch * c; i++)
    y[i] = 0.25;
  return 0;
}

static int fill_fail(void *user, int64_t step, int64_t batch, int64_t d, int64_t c, double *x,
                     double *y) {
  (void)user, (void)step, (void)batch, (void)d, (void)c, (void)x, (void)y;
  return 7;
}

START_TEST(stream_calls_reject_null_and_ranges) {
  richeta_config *c = small_cfg();
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new(&s, c), RICHETA_OK);
  const char *(*msg)(const richeta_stream *) = richeta_stream_last_error;
  int64_t v = 0;
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_get_int(NULL, RICHETA_PARAM_BATCH, &v));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_get_int(s, RICHETA_PARAM_BATCH, NULL), msg(s));
  EXPECT_H(RICHETA_ERR_UNSUPPORTED, richeta_stream_get_int(s, RICHETA_PARAM_GAMMA, &v), msg(s));
  EXPECT_H(RICHETA_ERR_UNSUPPORTED, richeta_stream_get_int(s, (richeta_param)-1, &v), msg(s));
  double x[16], y[8];
  float xf[16], yf[8];
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_batch_f64(NULL, 0, x, y));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_batch_f64(s, 0, NULL, y), msg(s));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_batch_f64(s, 0, x, NULL), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_batch_f64(s, -1, x, y), msg(s));
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_batch_f32(NULL, 0, xf, yf));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_batch_f32(s, 0, NULL, yf), msg(s));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_batch_f32(s, 0, xf, NULL), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_batch_f32(s, -HUGE_N, xf, yf), msg(s));
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_eval_f64(NULL, 0, 1, x, y));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_eval_f64(s, 0, 1, NULL, y), msg(s));
  EXPECT_H(RICHETA_ERR_NULL, richeta_stream_eval_f64(s, 0, 1, x, NULL), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_eval_f64(s, -1, 1, x, y), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_eval_f64(s, 0, -1, x, y), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_eval_f64(s, 0, 9, x, y), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_eval_f64(s, 8, 1, x, y), msg(s));
  /* first + count overflows int64: must not wrap around into "valid" */
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_eval_f64(s, HUGE_N, 2, x, y), msg(s));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_stream_eval_f64(s, 1, HUGE_N, x, y), msg(s));
  ck_assert_int_eq(richeta_stream_eval_f64(s, 4, 4, x, y), RICHETA_OK);

  /* task=callback needs the callback constructor */
  richeta_config *cb_cfg = small_cfg();
  ck_assert_int_eq(richeta_config_parse(cb_cfg, "task=callback"), RICHETA_OK);
  richeta_stream *bad = (richeta_stream *)c;
  EXPECT_T(RICHETA_ERR_INVALID, richeta_stream_new(&bad, cb_cfg));
  ck_assert_ptr_null(bad);

  richeta_stream_callbacks cb = {sizeof cb, fill_ok, NULL};
  richeta_stream_callbacks no_fill = {sizeof cb, NULL, NULL};
  richeta_stream_callbacks too_small = {0, fill_ok, NULL};
  bad = (richeta_stream *)c;
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_new_callback(NULL, c, &cb));
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_new_callback(&bad, NULL, &cb));
  ck_assert_ptr_null(bad);
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_new_callback(&bad, c, NULL));
  EXPECT_T(RICHETA_ERR_NULL, richeta_stream_new_callback(&bad, c, &no_fill));
  EXPECT_T(RICHETA_ERR_INVALID, richeta_stream_new_callback(&bad, c, &too_small));
  ck_assert_ptr_null(bad);

  richeta_stream *cs = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&cs, c, &cb), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(cs, 3, x, y), RICHETA_OK);
  ck_assert_double_eq(x[0], 0.5);
  EXPECT_H(RICHETA_ERR_UNSUPPORTED, richeta_stream_eval_f64(cs, 0, 1, x, y), msg(cs));
  richeta_stream_free(cs);
  richeta_stream_callbacks failing = {sizeof failing, fill_fail, NULL};
  ck_assert_int_eq(richeta_stream_new_callback(&cs, c, &failing), RICHETA_OK);
  EXPECT_H(RICHETA_ERR_CALLBACK, richeta_stream_batch_f64(cs, 0, x, y), msg(cs));
  EXPECT_H(RICHETA_ERR_CALLBACK, richeta_stream_batch_f32(cs, 0, xf, yf), msg(cs));
  richeta_stream_free(cs);
  richeta_stream_free(s);
  richeta_config_free(cb_cfg);
  richeta_config_free(c);
}
END_TEST

/* ---- trainer ----------------------------------------------------------- */

static int stop_now(void *user, int64_t step, double tl, double el, double eta) {
  (void)user, (void)step, (void)tl, (void)el, (void)eta;
  return 1;
}

START_TEST(trainer_calls_reject_null_sizes_and_bad_files) {
  richeta_config *c = small_cfg();
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, c), RICHETA_OK);
  const char *(*msg)(const richeta_trainer *) = richeta_trainer_last_error;
  int64_t k = 0;
  int state = -1;
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_run(NULL, 1, NULL));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_trainer_run(t, -1, NULL), msg(t));
  EXPECT_H(RICHETA_ERR_RANGE, richeta_trainer_run(t, -HUGE_N, NULL), msg(t));
  richeta_train_callbacks small_cb = {0, NULL, NULL};
  EXPECT_H(RICHETA_ERR_INVALID, richeta_trainer_run(t, 1, &small_cb), msg(t));
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_step(NULL, &k));
  EXPECT_H(RICHETA_ERR_NULL, richeta_trainer_step(t, NULL), msg(t));
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_state(NULL, &state));
  EXPECT_H(RICHETA_ERR_NULL, richeta_trainer_state(t, NULL), msg(t));
  ck_assert_int_eq(richeta_trainer_step(t, &k), RICHETA_OK);
  ck_assert_int_eq(k, 0);
  /* a callback that stops the run at once */
  richeta_train_callbacks stop = {sizeof stop, stop_now, NULL};
  EXPECT_H(RICHETA_ERR_ABORTED, richeta_trainer_run(t, 5, &stop), msg(t));
  /* a huge step budget is clamped to T */
  ck_assert_int_eq(richeta_trainer_run(t, HUGE_N, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_step(t, &k), RICHETA_OK);
  ck_assert_int_eq(k, 10);

  int64_t steps[64], n = 0;
  double tl[64], el[64], eta[64];
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_log(NULL, steps, tl, el, eta, 64, &n));
  ck_assert_int_eq(richeta_trainer_log(t, NULL, NULL, NULL, NULL, 0, &n), RICHETA_OK);
  ck_assert_int_gt(n, 1);
  EXPECT_H(RICHETA_ERR_BUFFER_TOO_SMALL, richeta_trainer_log(t, steps, tl, el, eta, 1, &n), msg(t));
  EXPECT_H(ANY_ERROR, richeta_trainer_log(t, steps, tl, el, eta, -1, &n), msg(t));
  EXPECT_H(ANY_ERROR, richeta_trainer_log(t, steps, tl, el, eta, -HUGE_N, NULL), msg(t));

  ck_assert_ptr_null(richeta_trainer_model(NULL));
  ck_assert_ptr_null(richeta_trainer_optim(NULL));
  ck_assert_ptr_null(richeta_trainer_stream(NULL));
  ck_assert_ptr_nonnull(richeta_trainer_model(t));

  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_save(NULL, "/tmp/x"));
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_save(t, NULL));
  EXPECT_H(RICHETA_ERR_IO, richeta_trainer_save(t, "/nonexistent/dir/ckpt"), msg(t));
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_load(NULL, "/tmp/x"));
  EXPECT_H(RICHETA_ERR_NULL, richeta_trainer_load(t, NULL), msg(t));
  EXPECT_H(RICHETA_ERR_IO, richeta_trainer_load(t, "/nonexistent/dir/ckpt"), msg(t));

  /* garbage and truncated checkpoints */
  char path[64];
  snprintf(path, sizeof path, "/tmp/rlz_badargs_XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  FILE *f = fopen(path, "wb");
  fputs("this is not a checkpoint at all, not even close.....", f);
  fclose(f);
  EXPECT_H(RICHETA_ERR_FORMAT, richeta_trainer_load(t, path), msg(t));
  richeta_trainer *r = t;
  EXPECT_T(RICHETA_ERR_FORMAT, richeta_trainer_resume(&r, path, NULL));
  ck_assert_ptr_null(r);
  f = fopen(path, "wb");
  fclose(f);
  EXPECT_H(ANY_ERROR, richeta_trainer_load(t, path), msg(t));
  ck_assert_int_eq(richeta_trainer_save(t, path), RICHETA_OK);
  f = fopen(path, "rb+");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  ck_assert_int_eq(truncate(path, size / 2), 0);
  EXPECT_H(ANY_ERROR, richeta_trainer_load(t, path), msg(t));
  r = t;
  EXPECT_T(ANY_ERROR, richeta_trainer_resume(&r, path, NULL));
  ck_assert_ptr_null(r);
  unlink(path);
  /* the trainer is unchanged by the failed loads */
  ck_assert_int_eq(richeta_trainer_step(t, &k), RICHETA_OK);
  ck_assert_int_eq(k, 10);

  /* streams: NULL, and shapes that do not fit the model */
  richeta_stream *s = NULL;
  richeta_trainer *t2 = (richeta_trainer *)c;
  ck_assert_int_eq(richeta_stream_new(&s, c), RICHETA_OK);
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_new_with_stream(NULL, c, s));
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_new_with_stream(&t2, NULL, s));
  ck_assert_ptr_null(t2);
  EXPECT_T(RICHETA_ERR_NULL, richeta_trainer_new_with_stream(&t2, c, NULL));
  richeta_config *other = small_cfg();
  ck_assert_int_eq(richeta_config_parse(other, "D=5"), RICHETA_OK);
  t2 = (richeta_trainer *)c;
  EXPECT_T(RICHETA_ERR_MISMATCH, richeta_trainer_new_with_stream(&t2, other, s));
  ck_assert_ptr_null(t2);
  richeta_config_free(other);
  richeta_stream_free(s);
  richeta_trainer_free(t);
  richeta_config_free(c);
}
END_TEST

Suite *badargs_suite(void); /* called by runner.c */
Suite *badargs_suite(void) {
  Suite *s = suite_create("badargs");
  TCase *tc = tcase_create("badargs");
  tcase_add_test(tc, common_rejects_bad_thread_counts);
  tcase_add_test(tc, every_free_accepts_null);
  tcase_add_test(tc, last_error_of_null_handle_is_the_thread_message);
  tcase_add_test(tc, config_calls_reject_null_and_bad_values);
  tcase_add_test(tc, constructors_reject_null_and_reset_out);
  tcase_add_test(tc, model_calls_reject_null_sizes_and_indices);
  tcase_add_test(tc, optim_calls_reject_null_sizes_and_bad_rates);
  tcase_add_test(tc, sched_calls_reject_null_negative_steps_and_bad_gamma);
  tcase_add_test(tc, stream_calls_reject_null_and_ranges);
  tcase_add_test(tc, trainer_calls_reject_null_sizes_and_bad_files);
  suite_add_tcase(s, tc);
  return s;
}
