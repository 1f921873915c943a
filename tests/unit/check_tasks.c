/* Function tasks (single/multi-index Hermite targets, staircase, sparse
 * parity): targets against independent computations of their formulas,
 * unit variance, determinism; the epoch counter of streams; held-out
 * accuracy in the trainer log and checkpoints; staircase drops seen by the
 * timewarp detector; a short Fashion-MNIST run. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "stream/stream_internal.h"

Suite *tasks_suite(void);

static richeta_config *cfg_of(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s: %s", spec,
                richeta_config_last_error(cfg));
  return cfg;
}

static richeta_stream *stream_of(const char *spec) {
  richeta_config *cfg = cfg_of(spec);
  richeta_stream *s = NULL;
  ck_assert_msg(richeta_stream_new(&s, cfg) == RICHETA_OK, "%s: %s", spec, richeta_last_error());
  richeta_config_free(cfg);
  return s;
}

/* Closed forms of He_p, written out rather than recurred. */
static double he_closed(int p, double z) {
  double z2 = z * z;
  switch (p) {
  case 1:
    return z;
  case 2:
    return z2 - 1;
  case 3:
    return z * (z2 - 3);
  case 4:
    return z2 * z2 - 6 * z2 + 3;
  case 5:
    return z * (z2 * z2 - 10 * z2 + 15);
  default:
    return z2 * z2 * z2 - 15 * z2 * z2 + 45 * z2 - 15;
  }
}

/* Solve the n x n system A u = b in place (Gaussian elimination with
 * partial pivoting); A is row-major and overwritten. */
static void solve(int n, double *A, double *b) {
  for (int c = 0; c < n; c++) {
    int piv = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(A[r * n + c]) > fabs(A[piv * n + c]))
        piv = r;
    for (int j = 0; j < n; j++) {
      double t = A[c * n + j];
      A[c * n + j] = A[piv * n + j];
      A[piv * n + j] = t;
    }
    double t = b[c];
    b[c] = b[piv];
    b[piv] = t;
    for (int r = c + 1; r < n; r++) {
      double f = A[r * n + c] / A[c * n + c];
      for (int j = c; j < n; j++)
        A[r * n + j] -= f * A[c * n + j];
      b[r] -= f * b[c];
    }
  }
  for (int c = n - 1; c >= 0; c--) {
    for (int j = c + 1; j < n; j++)
      b[c] -= A[c * n + j] * b[j];
    b[c] /= A[c * n + c];
  }
}

#define D6 6
#define B16 16

START_TEST(single_index_target_is_normalized_hermite_of_one_fixed_unit_projection) {
  /* degree 1 makes the target the projection w.x/|w| itself: recover the
   * direction from D samples, then check degrees 2..6 against it */
  richeta_stream *lin = stream_of("task=single_index,degree=1,D=6,B=16,data_seed=11");
  double x[B16 * D6], y[B16], A[D6 * D6], u[D6];
  ck_assert_int_eq(richeta_stream_batch_f64(lin, 3, x, y), RICHETA_OK);
  for (int i = 0; i < D6; i++) {
    for (int j = 0; j < D6; j++)
      A[i * D6 + j] = x[i * D6 + j];
    u[i] = y[i];
  }
  solve(D6, A, u);
  double nrm = 0;
  for (int j = 0; j < D6; j++)
    nrm += u[j] * u[j];
  ck_assert_msg(fabs(nrm - 1) < 1e-9, "|w/|w||^2 = %.17g", nrm);
  for (int i = D6; i < B16; i++) { /* the other samples follow the same map */
    double z = 0;
    for (int j = 0; j < D6; j++)
      z += u[j] * x[i * D6 + j];
    ck_assert_double_eq_tol(y[i], z, 1e-9);
  }
  richeta_stream_free(lin);
  double fact = 1;
  for (int p = 2; p <= 6; p++) {
    fact *= p;
    char spec[128];
    snprintf(spec, sizeof spec, "task=single_index,degree=%d,D=6,B=16,data_seed=11", p);
    richeta_stream *s = stream_of(spec);
    ck_assert_int_eq(richeta_stream_batch_f64(s, 8, x, y), RICHETA_OK);
    for (int i = 0; i < B16; i++) {
      double z = 0;
      for (int j = 0; j < D6; j++)
        z += u[j] * x[i * D6 + j];
      double want = he_closed(p, z) / sqrt(fact);
      ck_assert_msg(fabs(y[i] - want) < 1e-9 * (1 + fabs(want)), "p=%d y=%.17g want %.17g", p, y[i],
                    want);
    }
    richeta_stream_free(s);
  }
}
END_TEST

START_TEST(multi_index_target_sums_hermite_of_orthonormal_projections) {
  const int k = 3, p = 2;
  richeta_stream *s = stream_of("task=multi_index,degree=2,k=3,D=6,B=16,data_seed=11");
  int64_t kk = 0;
  const double *u = rlz_task_directions(rlz_stream_task(s), &kk);
  ck_assert_int_eq(kk, k);
  ck_assert_ptr_nonnull(u);
  for (int a = 0; a < k; a++) /* orthonormal */
    for (int b = 0; b < k; b++) {
      double d = 0;
      for (int j = 0; j < D6; j++)
        d += u[a * D6 + j] * u[b * D6 + j];
      ck_assert_double_eq_tol(d, a == b ? 1.0 : 0.0, 1e-12);
    }
  /* u_1 is the single-index direction of the same seed */
  richeta_stream *one = stream_of("task=single_index,degree=2,D=6,B=16,data_seed=11");
  const double *w = rlz_task_directions(rlz_stream_task(one), &kk);
  ck_assert_int_eq(kk, 1);
  for (int j = 0; j < D6; j++)
    ck_assert_double_eq_tol(w[j], u[j], 1e-15);
  double x[B16 * D6], y[B16];
  ck_assert_int_eq(richeta_stream_batch_f64(s, 2, x, y), RICHETA_OK);
  for (int i = 0; i < B16; i++) {
    double sum = 0;
    for (int a = 0; a < k; a++) {
      double z = 0;
      for (int j = 0; j < D6; j++)
        z += u[a * D6 + j] * x[i * D6 + j];
      sum += he_closed(p, z);
    }
    ck_assert_double_eq_tol(y[i], sum / sqrt(2.0 * k), 1e-12);
  }
  richeta_stream_free(one);
  richeta_stream_free(s);
}
END_TEST

/* Mean of y^2 over n held-out samples of a spec (in chunks), with a
 * 5-sigma band from the sample fourth moment. */
static void check_unit_variance(const char *spec, int64_t n) {
  richeta_stream *s = stream_of(spec);
  int64_t D;
  richeta_stream_get_int(s, RICHETA_PARAM_INPUT_DIM, &D);
  const int64_t chunk = 100000;
  double *x = malloc((size_t)(chunk * D) * sizeof *x), *y = malloc((size_t)chunk * sizeof *y);
  double m2 = 0, m4 = 0;
  for (int64_t first = 0; first < n; first += chunk) {
    int64_t c = n - first < chunk ? n - first : chunk;
    ck_assert_int_eq(richeta_stream_eval_f64(s, first, c, x, y), RICHETA_OK);
    for (int64_t i = 0; i < c; i++) {
      m2 += y[i] * y[i];
      m4 += y[i] * y[i] * y[i] * y[i];
    }
  }
  m2 /= (double)n;
  m4 /= (double)n;
  double band = 5 * sqrt((m4 - m2 * m2) / (double)n);
  ck_assert_msg(band < 0.1, "%s: band %g too wide to test anything", spec, band);
  ck_assert_msg(fabs(m2 - 1) < band, "%s: E[y^2] = %g (band %g)", spec, m2, band);
  free(x);
  free(y);
  richeta_stream_free(s);
}

START_TEST(hermite_targets_have_unit_variance_by_monte_carlo) {
  /* E[He_p(z)^2] / p! = 1 for z ~ N(0,1) */
  /* the fourth moment of He_p grows fast (E[He_p^4]/p!^2 = 3, 15, 93, 639
   * for p = 1..4): more samples for higher degrees */
  const int64_t n[] = {0, 200000, 200000, 1000000, 4000000};
  for (int p = 1; p <= 4; p++) {
    char spec[160];
    snprintf(spec, sizeof spec, "task=single_index,degree=%d,D=4,B=256,eval_n=%lld", p,
             (long long)n[p]);
    check_unit_variance(spec, n[p]);
  }
  check_unit_variance("task=multi_index,degree=2,k=4,D=8,B=256,eval_n=400000", 400000);
  check_unit_variance("task=staircase,k=4,D=8,B=64,eval_n=100000", 100000);
  check_unit_variance("task=staircase,k=3,D=8,B=64,eval_n=100000,inputs=gauss", 100000);
  /* the recurrence agrees with the closed forms */
  for (int p = 1; p <= 6; p++)
    for (double z = -3; z <= 3; z += 0.25)
      ck_assert_double_eq_tol(rlz_hermite(p, z), he_closed(p, z),
                              1e-12 * (1 + fabs(he_closed(p, z))));
  ck_assert_double_eq(rlz_hermite(0, 1.7), 1.0);
}
END_TEST

START_TEST(staircase_target_is_the_normalized_sum_of_nested_products) {
  const char *specs[] = {"task=staircase,k=4,D=7,B=16,data_seed=3",
                         "task=staircase,k=4,D=7,B=16,data_seed=3,inputs=gauss"};
  for (int v = 0; v < 2; v++) {
    richeta_stream *s = stream_of(specs[v]);
    double x[16 * 7], y[16];
    ck_assert_int_eq(richeta_stream_batch_f64(s, 5, x, y), RICHETA_OK);
    int signs = 0;
    for (int i = 0; i < 16 * 7; i++)
      signs += x[i] == 1.0 || x[i] == -1.0;
    ck_assert_int_eq(signs, v == 0 ? 16 * 7 : 0); /* sign inputs by default, Gaussian on request */
    for (int i = 0; i < 16; i++) {
      const double *r = x + i * 7;
      double want = (r[0] + r[0] * r[1] + r[0] * r[1] * r[2] + r[0] * r[1] * r[2] * r[3]) / 2.0;
      ck_assert_double_eq_tol(y[i], want, 1e-15);
    }
    richeta_stream_free(s);
  }
}
END_TEST

START_TEST(parity_outputs_plus_or_minus_one_the_product_of_the_first_k_signs) {
  richeta_stream *s = stream_of("task=parity,k=3,D=10,B=64,data_seed=5,eval_n=4000");
  double x[64 * 10], y[64];
  int pos = 0;
  for (int64_t t = 0; t < 20; t++) {
    ck_assert_int_eq(richeta_stream_batch_f64(s, t, x, y), RICHETA_OK);
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < 10; j++)
        ck_assert(x[i * 10 + j] == 1.0 || x[i * 10 + j] == -1.0);
      ck_assert(y[i] == 1.0 || y[i] == -1.0);
      ck_assert(y[i] == x[i * 10] * x[i * 10 + 1] * x[i * 10 + 2]);
      pos += y[i] > 0;
    }
  }
  /* balanced: 1280 fair signs */
  ck_assert_msg(pos > 1280 / 2 - 5 * 18 && pos < 1280 / 2 + 5 * 18, "%d positive of 1280", pos);
  static double ex[4000 * 10], ey[4000];
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, 4000, ex, ey), RICHETA_OK);
  for (int i = 0; i < 4000; i++)
    ck_assert(ey[i] == ex[i * 10] * ex[i * 10 + 1] * ex[i * 10 + 2]);
  richeta_stream_free(s);
  /* with Gaussian inputs the product is no longer a sign */
  s = stream_of("task=parity,k=2,D=4,B=16,inputs=gauss");
  ck_assert_int_eq(richeta_stream_batch_f64(s, 0, x, y), RICHETA_OK);
  for (int i = 0; i < 16; i++)
    ck_assert_double_eq(y[i], x[i * 4] * x[i * 4 + 1]);
  richeta_stream_free(s);
}
END_TEST

static const char *const task_specs[] = {
    "task=single_index,degree=3,D=9,B=12,eval_n=50,data_seed=4",
    "task=multi_index,degree=2,k=4,D=9,B=12,eval_n=50,data_seed=4",
    "task=staircase,k=5,D=9,B=12,eval_n=50,data_seed=4,noise=0.1",
    "task=parity,k=4,D=9,B=12,eval_n=50,data_seed=4",
};

START_TEST(function_tasks_are_deterministic_in_seed_and_step_and_f32_rounds_f64) {
  for (int v = 0; v < 4; v++) {
    richeta_stream *a = stream_of(task_specs[v]), *b = stream_of(task_specs[v]);
    double xa[12 * 9], ya[12], xb[12 * 9], yb[12], x2[12 * 9], y2[12];
    float xf[12 * 9], yf[12];
    ck_assert_int_eq(richeta_stream_batch_f64(b, 7, xb, yb), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_batch_f64(a, 2, x2, y2), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_batch_f64(a, 7, xa, ya), RICHETA_OK);
    ck_assert_int_eq(memcmp(xa, xb, sizeof xa), 0);
    ck_assert_int_eq(memcmp(ya, yb, sizeof ya), 0);
    ck_assert(memcmp(xa, x2, sizeof xa) != 0);
    ck_assert_int_eq(richeta_stream_batch_f32(a, 7, xf, yf), RICHETA_OK);
    for (int i = 0; i < 12 * 9; i++)
      ck_assert(xf[i] == (float)xa[i]);
    for (int i = 0; i < 12; i++)
      ck_assert(yf[i] == (float)ya[i]);
    /* held-out set: chunk independent and not a training batch */
    double e1[50 * 9], f1[50], e2[50 * 9], f2[50];
    ck_assert_int_eq(richeta_stream_eval_f64(a, 0, 50, e1, f1), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_eval_f64(b, 20, 30, e2 + 20 * 9, f2 + 20), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_eval_f64(b, 0, 20, e2, f2), RICHETA_OK);
    ck_assert_int_eq(memcmp(e1, e2, sizeof e1), 0);
    ck_assert_int_eq(memcmp(f1, f2, sizeof f1), 0);
    ck_assert(memcmp(e1, xa, sizeof xa) != 0);
    int64_t ep = -1;
    ck_assert_int_eq(richeta_stream_epoch(a, 1000000, &ep), RICHETA_OK);
    ck_assert_int_eq(ep, 0); /* fresh samples forever */
    richeta_stream_free(a);
    richeta_stream_free(b);
  }
  /* another data seed, another direction */
  richeta_stream *a = stream_of("task=single_index,D=5,data_seed=1");
  richeta_stream *b = stream_of("task=single_index,D=5,data_seed=2");
  int64_t k;
  const double *wa = rlz_task_directions(rlz_stream_task(a), &k);
  const double *wb = rlz_task_directions(rlz_stream_task(b), &k);
  ck_assert(memcmp(wa, wb, 5 * sizeof *wa) != 0);
  richeta_stream_free(a);
  richeta_stream_free(b);
}
END_TEST

START_TEST(function_tasks_reject_several_outputs_and_k_above_d) {
  const char *bad[] = {"task=parity,C=2,D=4,k=2", "task=single_index,C=3", "task=staircase,D=3,k=4",
                       "task=multi_index,D=2,k=3", "task=parity,D=5,k=6"};
  const richeta_status want[] = {RICHETA_ERR_MISMATCH, RICHETA_ERR_MISMATCH, RICHETA_ERR_RANGE,
                                 RICHETA_ERR_RANGE, RICHETA_ERR_RANGE};
  for (int i = 0; i < 5; i++) {
    richeta_config *cfg = cfg_of(bad[i]);
    richeta_stream *s = (richeta_stream *)&cfg; /* must be reset to NULL */
    ck_assert_int_eq(richeta_stream_new(&s, cfg), want[i]);
    ck_assert_ptr_null(s);
    ck_assert_str_ne(richeta_last_error(), "");
    richeta_config_free(cfg);
  }
  /* names, bounds and the canonical string */
  richeta_config *cfg = cfg_of("task=multi_index,degree=4,k=5,inputs=sign");
  char buf[4096];
  ck_assert_int_eq(richeta_config_to_string(cfg, buf, sizeof buf, NULL), RICHETA_OK);
  ck_assert_ptr_nonnull(strstr(buf, "task=multi_index"));
  ck_assert_ptr_nonnull(strstr(buf, "degree=4"));
  ck_assert_ptr_nonnull(strstr(buf, "k=5"));
  ck_assert_ptr_nonnull(strstr(buf, "inputs=sign"));
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_TASK_DEGREE, 21), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_TASK_INDICES, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_TASK_INPUTS, 3), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_TASK, RICHETA_TASK_PARITY),
                   RICHETA_OK);
  const char *name;
  ck_assert_int_eq(richeta_param_value_name(RICHETA_PARAM_TASK, RICHETA_TASK_STAIRCASE, &name),
                   RICHETA_OK);
  ck_assert_str_eq(name, "staircase");
  richeta_config_free(cfg);
}
END_TEST

START_TEST(epoch_counter_validates_arguments) {
  richeta_stream *s = stream_of("task=parity,D=4,k=2");
  int64_t ep;
  ck_assert_int_eq(richeta_stream_epoch(NULL, 0, &ep), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_stream_epoch(s, 0, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_stream_epoch(s, -1, &ep), RICHETA_ERR_RANGE);
  ck_assert_str_ne(richeta_stream_last_error(s), "");
  richeta_stream_free(s);
}
END_TEST

/* ---- held-out accuracy in the trainer log ---- */

#define ACC_SPEC "task=linear,D=8,C=3,N=16,L=2,B=16,T=60,eval_n=200,dtype=f64,eta0=0.5"

/* Log hook that reads the accuracy of the point being reported. */
typedef struct acc_seen {
  richeta_trainer *t;
  int64_t n;
  double acc[64];
} acc_seen;

static int on_log_acc(void *user, int64_t step, double train, double eval, double eta) {
  (void)step, (void)train, (void)eval, (void)eta;
  acc_seen *a = user;
  double buf[64];
  int64_t n = 0;
  if (richeta_trainer_log_accuracy(a->t, buf, 64, &n) != RICHETA_OK || n != a->n + 1)
    return 1;
  a->acc[a->n++] = buf[n - 1];
  return 0;
}

START_TEST(trainer_logs_held_out_accuracy_at_every_logged_step) {
  richeta_config *cfg = cfg_of(ACC_SPEC);
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  acc_seen seen = {t, 0, {0}};
  richeta_train_callbacks cb = {sizeof cb, on_log_acc, &seen};
  ck_assert_int_eq(richeta_trainer_run(t, 1000, &cb), RICHETA_OK);
  int64_t n = 0, n2 = 0;
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, NULL, 0, &n), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log(t, NULL, NULL, NULL, NULL, 0, &n2), RICHETA_OK);
  ck_assert_int_eq(n, n2);
  ck_assert_int_gt(n, 3);
  double acc[64], eval[64];
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, acc, n - 1, NULL), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, acc, -1, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_trainer_log_accuracy(NULL, acc, 64, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, acc, 64, &n), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log(t, NULL, NULL, eval, NULL, 64, NULL), RICHETA_OK);
  ck_assert_int_eq(seen.n, n);
  ck_assert_int_eq(memcmp(seen.acc, acc, (size_t)n * sizeof *acc), 0);
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(acc[i] >= 0 && acc[i] <= 1, "accuracy %g at point %lld", acc[i], (long long)i);
  /* the final point, recomputed by hand: argmax of outputs vs argmax of targets */
  static double ex[200 * 8], ey[200 * 3], out[200 * 3];
  richeta_stream *s = richeta_trainer_stream(t);
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, 200, ex, ey), RICHETA_OK);
  ck_assert_int_eq(richeta_model_forward_f64(richeta_trainer_model(t), ex, 200, out), RICHETA_OK);
  int hits = 0;
  for (int i = 0; i < 200; i++) {
    int a = 0, b = 0;
    for (int c = 1; c < 3; c++) {
      a = out[i * 3 + c] > out[i * 3 + a] ? c : a;
      b = ey[i * 3 + c] > ey[i * 3 + b] ? c : b;
    }
    hits += a == b;
  }
  ck_assert_double_eq_tol(acc[n - 1], hits / 200.0, 1e-12);
  ck_assert_msg(acc[n - 1] > acc[0] + 0.1, "accuracy %g -> %g did not improve", acc[0], acc[n - 1]);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  /* one output: NaN */
  cfg = cfg_of("task=staircase,D=8,k=3,N=16,L=2,B=16,T=20,eval_n=50");
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 1000, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, acc, 64, &n), RICHETA_OK);
  for (int64_t i = 0; i < n; i++)
    ck_assert(isnan(acc[i]));
  richeta_trainer_free(t);
  richeta_config_free(cfg);
}
END_TEST

static const char *tmp_path(const char *name) {
  static char buf[2][512];
  static int which;
  which ^= 1;
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(buf[which], sizeof buf[which], "%s/rlz_tasks_%d_%s", dir, (int)getpid(), name);
  return buf[which];
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*n);
  ck_assert_uint_eq(fread(b, 1, *n, f), *n);
  fclose(f);
  return b;
}

static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(checkpoints_keep_accuracies_and_older_files_load_with_nan) {
  richeta_config *cfg = cfg_of(ACC_SPEC);
  richeta_trainer *t = NULL, *r = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 30, NULL), RICHETA_OK);
  const char *path = tmp_path("acc.ckpt");
  ck_assert_int_eq(richeta_trainer_save(t, path), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_resume(&r, path, NULL), RICHETA_OK);
  double a1[64], a2[64];
  int64_t n1, n2;
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, a1, 64, &n1), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log_accuracy(r, a2, 64, &n2), RICHETA_OK);
  ck_assert_int_eq(n1, n2);
  ck_assert_int_eq(memcmp(a1, a2, (size_t)n1 * sizeof *a1), 0);
  /* the resumed run goes on exactly like the original */
  ck_assert_int_eq(richeta_trainer_run(t, 1000, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(r, 1000, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, a1, 64, &n1), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log_accuracy(r, a2, 64, &n2), RICHETA_OK);
  ck_assert_int_eq(n1, n2);
  ck_assert_int_eq(memcmp(a1, a2, (size_t)n1 * sizeof *a1), 0);
  richeta_trainer_free(r);
  r = NULL;
  /* a file without the accuracy section (as written before it existed):
   * rename the section to an unknown id and fix the CRC */
  size_t n;
  unsigned char *b = slurp(path, &n);
  uint32_t nsec = rd32(b + 16);
  int found = 0;
  for (uint32_t i = 0; i < nsec; i++) {
    unsigned char *ent = b + 32 + 24 * i;
    if (rd32(ent) == 7) {
      ent[0] = 99;
      found = 1;
    }
  }
  ck_assert_int_eq(found, 1);
  uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
  for (int i = 0; i < 4; i++)
    b[n - 4 + i] = (unsigned char)(crc >> (8 * i));
  FILE *f = fopen(path, "wb");
  ck_assert_uint_eq(fwrite(b, 1, n, f), n);
  fclose(f);
  free(b);
  ck_assert_int_eq(richeta_trainer_resume(&r, path, NULL), RICHETA_OK);
  double l1[64], l2[64];
  ck_assert_int_eq(richeta_trainer_log_accuracy(r, a2, 64, &n2), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log(r, NULL, l2, NULL, NULL, 64, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log(t, NULL, l1, NULL, NULL, 64, NULL), RICHETA_OK);
  for (int64_t i = 0; i < n2; i++) {
    ck_assert(isnan(a2[i]));
    ck_assert(l1[i] == l2[i]);
  }
  richeta_trainer_free(r);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  unlink(path);
}
END_TEST

static void wr32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static void wr64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t rd64(const unsigned char *p) {
  return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Rewrite a checkpoint with `cut` removed from its configuration string
 * (section 1), as written by a build that did not know those keys: the
 * sections are laid out again, then size and CRC fixed. */
static void strip_config(const char *path, const char *cut) {
  size_t n;
  unsigned char *b = slurp(path, &n);
  uint32_t nsec = rd32(b + 16);
  size_t head = 32 + 24 * (size_t)nsec;
  unsigned char *o = calloc(n, 1);
  memcpy(o, b, head);
  size_t off = head;
  int cut_done = 0;
  for (uint32_t i = 0; i < nsec; i++) {
    unsigned char *ent = b + 32 + 24 * i, *oent = o + 32 + 24 * i;
    const unsigned char *src = b + rd64(ent + 8);
    size_t len = (size_t)rd64(ent + 16);
    if (rd32(ent) == 1) {
      char *cfg = calloc(len + 1, 1);
      memcpy(cfg, src, len);
      char *at = strstr(cfg, cut);
      ck_assert_ptr_nonnull(at);
      memmove(at, at + strlen(cut), strlen(at + strlen(cut)) + 1);
      memcpy(o + off, cfg, strlen(cfg));
      len = strlen(cfg);
      free(cfg);
      cut_done = 1;
    } else {
      memcpy(o + off, src, len);
    }
    wr64(oent + 8, off);
    wr64(oent + 16, len);
    off += len;
  }
  ck_assert_int_eq(cut_done, 1);
  size_t total = off + 4;
  wr64(o + 24, total);
  wr32(o + off, (uint32_t)crc32(crc32(0L, Z_NULL, 0), o, (uInt)off));
  FILE *f = fopen(path, "wb");
  ck_assert_uint_eq(fwrite(o, 1, total, f), total);
  fclose(f);
  free(o);
  free(b);
}

START_TEST(checkpoints_without_the_new_task_keys_still_load) {
  /* files written before degree, k and inputs existed lack them: they
   * take their defaults, so the file matches a default configuration */
  richeta_config *cfg = cfg_of(ACC_SPEC);
  richeta_trainer *t = NULL, *r = NULL, *u = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 25, NULL), RICHETA_OK);
  const char *path = tmp_path("old.ckpt");
  ck_assert_int_eq(richeta_trainer_save(t, path), RICHETA_OK);
  strip_config(path, ",degree=2,k=3,inputs=auto");
  ck_assert_int_eq(richeta_trainer_resume(&r, path, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_new(&u, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_load(u, path), RICHETA_OK);
  int64_t s1, s2;
  richeta_trainer_step(r, &s1);
  richeta_trainer_step(u, &s2);
  ck_assert_int_eq(s1, 25);
  ck_assert_int_eq(s2, 25);
  richeta_trainer_free(u);
  u = NULL;
  /* a different value of a new key is still a different configuration */
  richeta_config *other = cfg_of(ACC_SPEC ",k=4");
  ck_assert_int_eq(richeta_trainer_new(&u, other), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_load(u, path), RICHETA_ERR_MISMATCH);
  richeta_trainer_free(u);
  richeta_config_free(other);
  richeta_trainer_free(r);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  unlink(path);
}
END_TEST

/* ---- staircase learning curves ---- */

START_TEST(staircase_training_shows_several_drops_to_intermediate_plateaus) {
  /* A two-layer mean-field net in the rich regime (gamma = 10) learns
   * the depth-6 staircase on sign inputs term after term. Measured (seed
   * 0..3, data_seed 1..4): 3 drops every time, the first two landing at
   * 0.53-0.72 and 0.16-0.43 of the unit initial loss, final loss < 3e-4;
   * about 2-5 s. */
  const char *spec = "task=staircase,k=6,D=32,N=128,L=2,B=32,T=20000,eta0=0.2,gamma=10,"
                     "rule=theory,eval_n=500,log_per_decade=10";
  richeta_config *cfg = cfg_of(spec);
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, INT64_MAX, NULL), RICHETA_OK);
  int state;
  richeta_trainer_state(t, &state);
  ck_assert_int_eq(state, RICHETA_RUN_DONE);
  int64_t n, steps[128];
  double eval[128], ts[128];
  ck_assert_int_eq(richeta_trainer_log(t, steps, NULL, eval, NULL, 128, &n), RICHETA_OK);
  for (int64_t i = 0; i < n; i++)
    ts[i] = (double)steps[i];
  richeta_curveset *cs = NULL;
  ck_assert_int_eq(richeta_curveset_new(&cs, NULL), RICHETA_OK);
  int64_t idx;
  ck_assert_int_eq(richeta_curveset_add(cs, ts, eval, n, 10.0, 0.2, 0.2, 2, "staircase", &idx),
                   RICHETA_OK);
  double at[16], level[16];
  int64_t drops = 0;
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, at, level, 16, &drops), RICHETA_OK);
  double final = eval[n - 1];
  ck_assert_msg(drops >= 2, "%lld drops", (long long)drops);
  ck_assert_msg(final < 0.01, "final held-out loss %g", final);
  /* the first two drops land on plateaus between the start and the end */
  for (int i = 0; i < 2; i++)
    ck_assert_msg(level[i] < 0.9 && level[i] > 10 * final && (i == 0 || level[i] < level[i - 1]),
                  "drop %d at t=%g lands at %g (final %g)", i, at[i], level[i], final);
  richeta_curveset_free(cs);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
}
END_TEST

/* ---- Fashion-MNIST (Debian's dataset-fashion-mnist) ---- */

#define FMNIST "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

static bool have_fmnist(void) {
  if (access(FMNIST, R_OK) == 0)
    return true;
  fprintf(stderr, "# fashion-mnist not installed: test skipped\n");
  return false;
}

START_TEST(file_stream_epochs_count_passes_over_the_training_set) {
  if (!have_fmnist())
    return;
  richeta_stream *s = stream_of("task=file,data=fashion-mnist,D=784,C=10,B=50,eval_n=10");
  int64_t ep = -1;
  ck_assert_int_eq(richeta_stream_epoch(s, 0, &ep), RICHETA_OK);
  ck_assert_int_eq(ep, 0);
  ck_assert_int_eq(richeta_stream_epoch(s, 1199, &ep), RICHETA_OK); /* samples 59950..59999 */
  ck_assert_int_eq(ep, 0);
  ck_assert_int_eq(richeta_stream_epoch(s, 1200, &ep), RICHETA_OK);
  ck_assert_int_eq(ep, 1);
  ck_assert_int_eq(richeta_stream_epoch(s, 12345, &ep), RICHETA_OK); /* last sample 617299 */
  ck_assert_int_eq(ep, 10);
  ck_assert_int_eq(richeta_stream_epoch(s, INT64_MAX / 2, &ep), RICHETA_ERR_OVERFLOW);
  richeta_stream_free(s);
  s = stream_of("task=file,data=fashion-mnist,D=784,C=10,B=7,eval_n=10");
  ck_assert_int_eq(richeta_stream_epoch(s, 8571, &ep), RICHETA_OK); /* samples 59997..60003 */
  ck_assert_int_eq(ep, 1);
  richeta_stream_free(s);
}
END_TEST

START_TEST(fashion_mnist_short_online_run_beats_chance_by_far) {
  if (!have_fmnist())
    return;
  /* 300 steps of B = 32 (9600 images, 16% of an epoch), mean-field
   * gamma = 1, N = 256, L = 3, cross-entropy, eta0 = 1 with a cosine
   * schedule. Measured: held-out accuracy 0.791 on the first 2000 test
   * images, about 1.3 s of CPU. Bar set 4 points below. The full pass is
   * in check_data_slow.c. */
  richeta_config *cfg = cfg_of("task=file,data=fashion-mnist,D=784,C=10,N=256,L=3,gamma=1,"
                               "loss=ce,B=32,T=300,eta0=1,schedule=cosine,eval_n=2000,"
                               "log_per_decade=4");
  richeta_trainer *t = NULL;
  ck_assert_msg(richeta_trainer_new(&t, cfg) == RICHETA_OK, "%s", richeta_last_error());
  ck_assert_int_eq(richeta_trainer_run(t, INT64_MAX, NULL), RICHETA_OK);
  double acc[64];
  int64_t n;
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, acc, 64, &n), RICHETA_OK);
  fprintf(stderr, "# fashion-mnist 300 steps: held-out accuracy %.4f (start %.4f)\n", acc[n - 1],
          acc[0]);
  ck_assert_msg(acc[0] < 0.3, "accuracy %g before training", acc[0]);
  ck_assert_msg(acc[n - 1] > 0.75, "held-out accuracy %g after 300 steps", acc[n - 1]);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
}
END_TEST

Suite *tasks_suite(void) {
  Suite *su = suite_create("tasks");
  TCase *tc = tcase_create("targets");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, single_index_target_is_normalized_hermite_of_one_fixed_unit_projection);
  tcase_add_test(tc, multi_index_target_sums_hermite_of_orthonormal_projections);
  tcase_add_test(tc, hermite_targets_have_unit_variance_by_monte_carlo);
  tcase_add_test(tc, staircase_target_is_the_normalized_sum_of_nested_products);
  tcase_add_test(tc, parity_outputs_plus_or_minus_one_the_product_of_the_first_k_signs);
  tcase_add_test(tc, function_tasks_are_deterministic_in_seed_and_step_and_f32_rounds_f64);
  tcase_add_test(tc, function_tasks_reject_several_outputs_and_k_above_d);
  tcase_add_test(tc, epoch_counter_validates_arguments);
  suite_add_tcase(su, tc);
  TCase *tr = tcase_create("trainer");
  tcase_set_timeout(tr, 240);
  tcase_add_test(tr, trainer_logs_held_out_accuracy_at_every_logged_step);
  tcase_add_test(tr, checkpoints_keep_accuracies_and_older_files_load_with_nan);
  tcase_add_test(tr, checkpoints_without_the_new_task_keys_still_load);
  tcase_add_test(tr, staircase_training_shows_several_drops_to_intermediate_plateaus);
  tcase_add_test(tr, file_stream_epochs_count_passes_over_the_training_set);
  tcase_add_test(tr, fashion_mnist_short_online_run_beats_chance_by_far);
  suite_add_tcase(su, tr);
  return su;
}
