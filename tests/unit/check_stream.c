/* Streams: batches are pure functions of (data seed, step); f32 batches
 * are the rounded f64 ones; teachers, label noise and the held-out set;
 * callback streams and their errors; file streams when the data is there. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Suite *stream_suite(void);

static richeta_config *cfg_of(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  return cfg;
}

static richeta_stream *stream_of(const char *spec) {
  richeta_config *cfg = cfg_of(spec);
  richeta_stream *s = NULL;
  ck_assert_msg(richeta_stream_new(&s, cfg) == RICHETA_OK, "%s", richeta_last_error());
  richeta_config_free(cfg);
  return s;
}

#define SPEC "D=6,C=2,B=16,data_seed=7,eval_n=40"

START_TEST(same_seed_and_step_give_the_same_batch) {
  richeta_stream *a = stream_of(SPEC), *b = stream_of(SPEC);
  double xa[96], ya[32], xb[96], yb[32];
  /* out of order on purpose: a batch does not depend on call history */
  ck_assert_int_eq(richeta_stream_batch_f64(b, 3, xb, yb), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 5, xa, ya), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 3, xa, ya), RICHETA_OK);
  ck_assert_int_eq(memcmp(xa, xb, sizeof xa), 0);
  ck_assert_int_eq(memcmp(ya, yb, sizeof ya), 0);
  richeta_stream_free(a);
  richeta_stream_free(b);
}
END_TEST

/* The stream keeps the last batch it drew (trainers of a sweep group ask
 * for each step in turn): repeats, in either precision, are the same
 * values, and what a caller does to its copy changes nothing. */
START_TEST(repeated_requests_for_a_step_give_the_same_batch) {
  richeta_stream *a = stream_of(SPEC), *fresh = stream_of(SPEC);
  double x0[96], y0[32], x[96], y[32];
  float xf[96], yf[32];
  ck_assert_int_eq(richeta_stream_batch_f64(fresh, 3, x0, y0), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 3, x, y), RICHETA_OK);
  ck_assert_int_eq(memcmp(x, x0, sizeof x), 0);
  memset(x, 0, sizeof x);
  ck_assert_int_eq(richeta_stream_batch_f32(a, 3, xf, yf), RICHETA_OK);
  for (int i = 0; i < 96; i++)
    ck_assert(xf[i] == (float)x0[i]);
  for (int i = 0; i < 32; i++)
    ck_assert(yf[i] == (float)y0[i]);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 3, x, y), RICHETA_OK);
  ck_assert_int_eq(memcmp(x, x0, sizeof x), 0);
  ck_assert_int_eq(memcmp(y, y0, sizeof y), 0);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 4, x, y), RICHETA_OK);
  ck_assert(memcmp(x, x0, sizeof x) != 0);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 3, x, y), RICHETA_OK);
  ck_assert_int_eq(memcmp(x, x0, sizeof x), 0);
  richeta_stream_free(a);
  richeta_stream_free(fresh);
}
END_TEST

START_TEST(different_steps_and_seeds_give_different_batches) {
  richeta_stream *a = stream_of(SPEC), *b = stream_of("D=6,C=2,B=16,data_seed=8");
  double x0[96], y0[32], x1[96], y1[32], x2[96], y2[32];
  ck_assert_int_eq(richeta_stream_batch_f64(a, 0, x0, y0), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 1, x1, y1), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(b, 0, x2, y2), RICHETA_OK);
  int same01 = 0, same02 = 0;
  for (int i = 0; i < 96; i++) {
    same01 += x0[i] == x1[i];
    same02 += x0[i] == x2[i];
  }
  ck_assert_int_eq(same01, 0);
  ck_assert_int_eq(same02, 0);
  ck_assert(memcmp(y0, y2, sizeof y0) != 0); /* another seed, another teacher */
  richeta_stream_free(a);
  richeta_stream_free(b);
}
END_TEST

START_TEST(f32_batch_is_the_rounded_f64_batch) {
  richeta_stream *a = stream_of(SPEC ",task=mlp,noise=0.1");
  double xd[96], yd[32];
  float xf[96], yf[32];
  ck_assert_int_eq(richeta_stream_batch_f64(a, 11, xd, yd), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f32(a, 11, xf, yf), RICHETA_OK);
  for (int i = 0; i < 96; i++)
    ck_assert(xf[i] == (float)xd[i]);
  for (int i = 0; i < 32; i++)
    ck_assert(yf[i] == (float)yd[i]);
  richeta_stream_free(a);
}
END_TEST

/* Solve the D x D normal equations of batch (x, y), output c. */
static void fit_linear(const double *x, const double *y, int n, int d, int C, int c, double *w) {
  double A[6][7];
  for (int i = 0; i < d; i++) {
    for (int j = 0; j < d; j++) {
      A[i][j] = 0;
      for (int k = 0; k < n; k++)
        A[i][j] += x[k * d + i] * x[k * d + j];
    }
    A[i][d] = 0;
    for (int k = 0; k < n; k++)
      A[i][d] += x[k * d + i] * y[k * C + c];
  }
  for (int i = 0; i < d; i++) /* Gauss-Jordan, SPD: no pivoting needed */
    for (int r = 0; r < d; r++)
      if (r != i) {
        double f = A[r][i] / A[i][i];
        for (int j = i; j <= d; j++)
          A[r][j] -= f * A[i][j];
      }
  for (int i = 0; i < d; i++)
    w[i] = A[i][d] / A[i][i];
}

START_TEST(linear_teacher_is_one_fixed_linear_map_with_unit_scale) {
  richeta_stream *a = stream_of("D=6,C=2,B=64,data_seed=3,task=linear");
  double x0[64 * 6], y0[128], x1[64 * 6], y1[128];
  ck_assert_int_eq(richeta_stream_batch_f64(a, 0, x0, y0), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 9, x1, y1), RICHETA_OK);
  double var = 0;
  for (int c = 0; c < 2; c++) {
    double w[6];
    fit_linear(x0, y0, 64, 6, 2, c, w);
    for (int k = 0; k < 64; k++) { /* the map fitted on batch 0 predicts batch 9 */
      double p = 0;
      for (int i = 0; i < 6; i++)
        p += w[i] * x1[k * 6 + i];
      ck_assert_double_eq_tol(p, y1[k * 2 + c], 1e-9);
    }
    for (int i = 0; i < 6; i++)
      var += w[i] * w[i];
  }
  /* W* ~ N(0,1) and y = W* x / sqrt(D): mean squared coefficient 1/D */
  var /= 12.0;
  ck_assert_msg(var > 0.02 && var < 0.6, "coefficient variance %g", var);
  double m = 0, s = 0;
  for (int i = 0; i < 64 * 6; i++) {
    m += x0[i];
    s += x0[i] * x0[i];
  }
  m /= 384;
  s = s / 384 - m * m;
  ck_assert_msg(fabs(m) < 0.2 && s > 0.75 && s < 1.25, "x mean %g var %g", m, s);
  richeta_stream_free(a);
}
END_TEST

START_TEST(label_noise_adds_gaussian_noise_of_the_given_std) {
  richeta_stream *a = stream_of("D=4,C=1,B=256,data_seed=5");
  richeta_stream *b = stream_of("D=4,C=1,B=256,data_seed=5,noise=0.5");
  static double xa[1024], ya[256], xb[1024], yb[256];
  double ss = 0;
  int n = 0;
  for (int64_t t = 0; t < 8; t++) {
    ck_assert_int_eq(richeta_stream_batch_f64(a, t, xa, ya), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_batch_f64(b, t, xb, yb), RICHETA_OK);
    ck_assert_int_eq(memcmp(xa, xb, sizeof xa), 0);
    for (int i = 0; i < 256; i++, n++)
      ss += (yb[i] - ya[i]) * (yb[i] - ya[i]);
  }
  double sd = sqrt(ss / n);
  ck_assert_msg(fabs(sd - 0.5) < 0.03, "noise std %g", sd);
  richeta_stream_free(a);
  richeta_stream_free(b);
}
END_TEST

START_TEST(mlp_teacher_is_deterministic_and_not_linear) {
  richeta_stream *a = stream_of("D=6,C=1,B=64,task=mlp,teacher_N=32,teacher_L=3,teacher_act=tanh");
  richeta_stream *b = stream_of("D=6,C=1,B=64,task=mlp,teacher_N=32,teacher_L=3,teacher_act=tanh");
  double x0[64 * 6], y0[64], x1[64 * 6], y1[64];
  ck_assert_int_eq(richeta_stream_batch_f64(a, 2, x0, y0), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(b, 2, x1, y1), RICHETA_OK);
  ck_assert_int_eq(memcmp(y0, y1, sizeof y0), 0);
  double w[6], res = 0, tot = 0;
  fit_linear(x0, y0, 64, 6, 1, 0, w);
  for (int k = 0; k < 64; k++) {
    double p = 0;
    for (int i = 0; i < 6; i++)
      p += w[i] * x0[k * 6 + i];
    res += (p - y0[k]) * (p - y0[k]);
    tot += y0[k] * y0[k];
    ck_assert(isfinite(y0[k]));
  }
  ck_assert_msg(tot > 0 && res > 1e-3 * tot, "residual %g of %g: teacher looks linear", res, tot);
  richeta_stream_free(a);
  richeta_stream_free(b);
}
END_TEST

START_TEST(held_out_set_is_fixed_chunk_independent_and_distinct_from_training) {
  richeta_stream *a = stream_of(SPEC ",task=mlp");
  int64_t n;
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_EVAL_SIZE, &n), RICHETA_OK);
  ck_assert_int_eq(n, 40);
  double x[40 * 6], y[40 * 2], x2[40 * 6], y2[40 * 2], bx[96], by[32];
  ck_assert_int_eq(richeta_stream_eval_f64(a, 0, 40, x, y), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_eval_f64(a, 0, 13, x2, y2), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_eval_f64(a, 13, 27, x2 + 13 * 6, y2 + 13 * 2), RICHETA_OK);
  ck_assert_int_eq(memcmp(x, x2, sizeof x), 0);
  ck_assert_int_eq(memcmp(y, y2, sizeof y), 0);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 0, bx, by), RICHETA_OK);
  for (int i = 0; i < 96; i++)
    ck_assert(bx[i] != x[i]);
  ck_assert_int_eq(richeta_stream_eval_f64(a, 30, 11, x, y), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_stream_eval_f64(a, -1, 1, x, y), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_stream_eval_f64(a, 0, 1, NULL, y), RICHETA_ERR_NULL);
  richeta_stream_free(a);
}
END_TEST

START_TEST(stream_properties_and_bad_arguments) {
  richeta_stream *a = stream_of(SPEC);
  int64_t v;
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_INPUT_DIM, &v), RICHETA_OK);
  ck_assert_int_eq(v, 6);
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_OUTPUT_DIM, &v), RICHETA_OK);
  ck_assert_int_eq(v, 2);
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_BATCH, &v), RICHETA_OK);
  ck_assert_int_eq(v, 16);
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_TASK, &v), RICHETA_OK);
  ck_assert_int_eq(v, RICHETA_TASK_LINEAR);
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_GAMMA, &v), RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_BATCH, NULL), RICHETA_ERR_NULL);
  double x[96], y[32];
  ck_assert_int_eq(richeta_stream_batch_f64(a, -1, x, y), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 0, x, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_stream_batch_f64(NULL, 0, x, y), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_stream_batch_f64(a, INT64_MAX / 2, x, y), RICHETA_ERR_RANGE);
  richeta_stream_free(a);
  richeta_config *cfg = cfg_of("task=callback");
  richeta_stream *s = (richeta_stream *)cfg;
  ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_ERR_INVALID);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(richeta_stream_new(&s, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_stream_new(NULL, cfg), RICHETA_ERR_NULL);
  richeta_config_free(cfg);
  richeta_stream_free(NULL);
}
END_TEST

/* ---- callback streams ---- */

typedef struct host {
  richeta_stream *src; /* the data the host hands over */
  int64_t fail_at;
  int calls;
  const char *why; /* handed to richeta_callback_error() when failing */
} host;

static int host_fill(void *user, int64_t step, int64_t batch, int64_t d, int64_t c, double *x,
                     double *y) {
  host *h = user;
  h->calls++;
  if (step == h->fail_at) {
    if (h->why)
      richeta_callback_error(h->why);
    return 42;
  }
  (void)batch;
  (void)d;
  (void)c;
  return richeta_stream_batch_f64(h->src, step, x, y) == RICHETA_OK ? 0 : -1;
}

/* Counting allocator: live allocations must return to zero. */
static long live;
static void *count_alloc(void *user, size_t size, size_t align) {
  (void)user;
  void *p = NULL;
  if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) != 0)
    return NULL;
  live++;
  return p;
}
static void count_free(void *user, void *p) {
  (void)user;
  live--;
  free(p);
}

/* labels=argmax: one-hot rows, every class equally likely on a held-out
 * set of 20000 (the raw MLP teacher's argmax is far from it: measured
 * 0.12 - 0.30 for C = 5), the class being the teacher's argmax up to the
 * balancing offsets (most samples keep the raw argmax), the same labels
 * for the same seed, training batches one-hot too. */
static double class_freqs(const char *spec, int64_t n, int64_t C, double *freq, int *cls) {
  richeta_stream *s = stream_of(spec);
  double *x = malloc(sizeof(double) * (size_t)(n * 16));
  double *y = malloc(sizeof(double) * (size_t)(n * C));
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_nonnull(y);
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, n, x, y), RICHETA_OK);
  double onehot = 1;
  for (int64_t c = 0; c < C; c++)
    freq[c] = 0;
  for (int64_t i = 0; i < n; i++) {
    int best = 0;
    double sum = 0;
    for (int64_t c = 0; c < C; c++) {
      sum += y[i * C + c];
      if (y[i * C + c] > y[i * C + best])
        best = (int)c;
    }
    for (int64_t c = 0; c < C; c++)
      if (y[i * C + c] != 0.0 && y[i * C + c] != 1.0)
        onehot = 0;
    if (sum != 1.0)
      onehot = 0;
    freq[best] += 1.0 / (double)n;
    cls[i] = best;
  }
  free(x);
  free(y);
  richeta_stream_free(s);
  return onehot;
}

START_TEST(argmax_labels_are_one_hot_balanced_classes_of_the_teacher) {
  enum { NS = 20000 };
  static int raw[NS], lab[NS], again[NS];
  const char *tasks[] = {"task=mlp,C=5", "task=linear,C=10"};
  for (int k = 0; k < 2; k++) {
    int64_t C = k == 0 ? 5 : 10;
    char spec[256], spec_raw[256];
    snprintf(spec, sizeof spec, "D=16,B=32,eval_n=%d,%s,labels=argmax", NS, tasks[k]);
    snprintf(spec_raw, sizeof spec_raw, "D=16,B=32,eval_n=%d,%s", NS, tasks[k]);
    double f[10], fr[10], fa[10];
    ck_assert_msg(class_freqs(spec, NS, C, f, lab) == 1, "%s: rows are not one-hot", spec);
    ck_assert(class_freqs(spec_raw, NS, C, fr, raw) == 0); /* real-valued targets */
    class_freqs(spec, NS, C, fa, again);
    double p = 1.0 / (double)C, tol = 4 * sqrt(p * (1 - p) / NS) + 0.003, raw_dev = 0;
    int64_t same = 0;
    for (int64_t c = 0; c < C; c++) {
      ck_assert_msg(fabs(f[c] - p) < tol, "%s: class %lld has frequency %g", spec, (long long)c,
                    f[c]);
      raw_dev = fmax(raw_dev, fabs(fr[c] - p));
    }
    for (int i = 0; i < NS; i++) {
      same += raw[i] == lab[i];
      ck_assert_int_eq(lab[i], again[i]);
    }
    ck_assert_msg(raw_dev > 0.03, "%s: the raw argmax is already balanced (%g)", spec, raw_dev);
    ck_assert_msg(same > NS / 2, "%s: %lld of %d labels are the teacher's argmax", spec,
                  (long long)same, NS);
  }
  richeta_stream *s = stream_of("D=16,B=32,task=mlp,C=5,labels=argmax");
  double x[32 * 16], y[32 * 5];
  ck_assert_int_eq(richeta_stream_batch_f64(s, 3, x, y), RICHETA_OK);
  for (int i = 0; i < 32; i++) {
    double sum = 0;
    for (int c = 0; c < 5; c++) {
      ck_assert(y[i * 5 + c] == 0.0 || y[i * 5 + c] == 1.0);
      sum += y[i * 5 + c];
    }
    ck_assert(sum == 1.0);
  }
  richeta_stream_free(s);
}
END_TEST

START_TEST(argmax_labels_are_refused_where_there_are_no_classes) {
  const char *bad[] = {"task=linear,C=1,labels=argmax", "task=single_index,labels=argmax",
                       "task=parity,labels=argmax",
                       "task=file,data=/nonexistent.npy,C=2,labels=argmax"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    richeta_config *cfg = cfg_of(bad[i]);
    richeta_stream *s = (richeta_stream *)1;
    ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_ERR_INVALID);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(richeta_last_error(), "labels=argmax") != NULL, "%s: %s", bad[i],
                  richeta_last_error());
    richeta_config_free(cfg);
  }
}
END_TEST

START_TEST(callback_stream_passes_host_batches_and_has_no_held_out_set) {
  host h = {stream_of(SPEC), -1, 0, NULL};
  richeta_config *cfg = cfg_of(SPEC);
  richeta_stream_callbacks cb = {sizeof cb, host_fill, &h};
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_OK);
  double x[96], y[32], rx[96], ry[32];
  float xf[96], yf[32];
  ck_assert_int_eq(richeta_stream_batch_f64(s, 4, x, y), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(h.src, 4, rx, ry), RICHETA_OK);
  ck_assert_int_eq(memcmp(x, rx, sizeof x), 0);
  ck_assert_int_eq(memcmp(y, ry, sizeof y), 0);
  ck_assert_int_eq(richeta_stream_batch_f32(s, 4, xf, yf), RICHETA_OK);
  for (int i = 0; i < 96; i++)
    ck_assert(xf[i] == (float)rx[i]);
  int64_t v;
  ck_assert_int_eq(richeta_stream_get_int(s, RICHETA_PARAM_EVAL_SIZE, &v), RICHETA_OK);
  ck_assert_int_eq(v, 0);
  ck_assert_int_eq(richeta_stream_get_int(s, RICHETA_PARAM_TASK, &v), RICHETA_OK);
  ck_assert_int_eq(v, RICHETA_TASK_CALLBACK);
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, 1, x, y), RICHETA_ERR_UNSUPPORTED);
  richeta_stream_free(s);
  /* bad tables */
  cb.struct_size = sizeof(size_t);
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_ERR_INVALID);
  ck_assert_ptr_null(s);
  cb.struct_size = sizeof cb;
  cb.fill = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, NULL), RICHETA_ERR_NULL);
  richeta_config_free(cfg);
  richeta_stream_free(h.src);
}
END_TEST

START_TEST(callback_errors_propagate_as_callback_status_without_leaks) {
  host h = {stream_of(SPEC), 3, 0, NULL};
  richeta_allocator al = {sizeof al, count_alloc, count_free, NULL};
  richeta_config *cfg = NULL;
  live = 0;
  ck_assert_int_eq(richeta_config_new(&cfg, &al), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, SPEC ",N=8,L=2,T=10,dtype=f32"), RICHETA_OK);
  richeta_stream_callbacks cb = {sizeof cb, host_fill, &h};
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_OK);
  double x[96], y[32];
  ck_assert_int_eq(richeta_stream_batch_f64(s, 3, x, y), RICHETA_ERR_CALLBACK);
  ck_assert_ptr_nonnull(strstr(richeta_stream_last_error(s), "42"));
  float xf[96], yf[32];
  ck_assert_int_eq(richeta_stream_batch_f32(s, 3, xf, yf), RICHETA_ERR_CALLBACK);
  /* through a trainer: the run stops at step 3 with the callback status */
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 10, NULL), RICHETA_ERR_CALLBACK);
  int64_t step;
  int state;
  richeta_trainer_step(t, &step);
  richeta_trainer_state(t, &state);
  ck_assert_int_eq(step, 3);
  ck_assert_int_eq(state, RICHETA_RUN_RUNNING);
  ck_assert_str_ne(richeta_trainer_last_error(t), "");
  richeta_trainer_free(t);
  richeta_stream_free(s);
  richeta_config_free(cfg);
  ck_assert_int_eq(live, 0);
  richeta_stream_free(h.src);
}
END_TEST

/* A host callback says why it failed: the library's message quotes it, and
 * forgets it before the next callback call. */
START_TEST(callback_error_message_is_quoted_once) {
  host h = {stream_of(SPEC), 3, 0, "data loader failed"};
  richeta_config *cfg = cfg_of(SPEC ",N=8,L=2,T=10,dtype=f64");
  richeta_stream_callbacks cb = {sizeof cb, host_fill, &h};
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_OK);
  double x[96], y[32];
  ck_assert_int_eq(richeta_stream_batch_f64(s, 3, x, y), RICHETA_ERR_CALLBACK);
  ck_assert_str_eq(richeta_stream_last_error(s),
                   "stream fill callback failed at step 3: data loader failed");
  /* through a trainer, as the Python binding and host programs see it */
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 10, NULL), RICHETA_ERR_CALLBACK);
  ck_assert_ptr_nonnull(strstr(richeta_trainer_last_error(t), "data loader failed"));
  richeta_trainer_free(t);
  /* a later failure without a message does not quote the stale one */
  h.why = NULL;
  richeta_callback_error("stale");
  ck_assert_int_eq(richeta_stream_batch_f64(s, 3, x, y), RICHETA_ERR_CALLBACK);
  ck_assert_ptr_null(strstr(richeta_stream_last_error(s), "stale"));
  ck_assert_ptr_nonnull(strstr(richeta_stream_last_error(s), "returned 42"));
  richeta_callback_error(NULL); /* clearing is allowed */
  richeta_stream_free(s);
  richeta_config_free(cfg);
  richeta_stream_free(h.src);
}
END_TEST

START_TEST(callback_stream_trains_exactly_like_manual_optimizer_steps) {
  const char *spec = "D=6,C=2,B=16,N=8,L=2,dtype=f64,T=12,eta0=0.1,momentum=0.5,"
                     "schedule=cosine,warmup=3";
  host h = {stream_of(SPEC), -1, 0, NULL};
  richeta_config *cfg = cfg_of(spec);
  richeta_stream_callbacks cb = {sizeof cb, host_fill, &h};
  richeta_stream *s = NULL;
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &cb), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 100, NULL), RICHETA_OK);
  /* the same by hand */
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  richeta_sched *sc = NULL;
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&o, m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_sched_new(&sc, cfg), RICHETA_OK);
  double x[96], y[32];
  for (int64_t k = 0; k < 12; k++) {
    ck_assert_int_eq(richeta_sched_apply(sc, o, k), RICHETA_OK);
    ck_assert_int_eq(richeta_stream_batch_f64(h.src, k, x, y), RICHETA_OK);
    ck_assert_int_eq(richeta_optim_step_f64(o, x, y, 16, NULL), RICHETA_OK);
  }
  int64_t np;
  richeta_model_num_params(m, &np);
  double *p1 = malloc((size_t)np * sizeof *p1), *p2 = malloc((size_t)np * sizeof *p2);
  ck_assert_int_eq(richeta_model_get_params(m, p1, np), RICHETA_OK);
  ck_assert_int_eq(richeta_model_get_params(richeta_trainer_model(t), p2, np), RICHETA_OK);
  ck_assert_int_eq(memcmp(p1, p2, (size_t)np * sizeof *p1), 0);
  free(p1);
  free(p2);
  richeta_sched_free(sc);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_trainer_free(t);
  richeta_stream_free(s);
  richeta_config_free(cfg);
  richeta_stream_free(h.src);
}
END_TEST

/* ---- file streams (Debian's dataset-fashion-mnist) ---- */

#define FMNIST "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

START_TEST(file_stream_reads_fashion_mnist_with_its_test_split) {
  if (access(FMNIST, R_OK) != 0) {
    fprintf(stderr, "# fashion-mnist not installed: file stream test skipped\n");
    return;
  }
  richeta_stream *a = stream_of("task=file,data=fashion-mnist,D=784,C=10,B=8,eval_n=100");
  static double x[8 * 784], y[80], x2[8 * 784], y2[80], ex[100 * 784], ey[1000];
  ck_assert_int_eq(richeta_stream_batch_f64(a, 5, x, y), RICHETA_OK);
  ck_assert_int_eq(richeta_stream_batch_f64(a, 5, x2, y2), RICHETA_OK);
  ck_assert_int_eq(memcmp(x, x2, sizeof x), 0);
  for (int k = 0; k < 8; k++) { /* one-hot targets */
    double sum = 0;
    for (int c = 0; c < 10; c++)
      sum += y[k * 10 + c];
    ck_assert_double_eq(sum, 1.0);
  }
  int64_t n;
  ck_assert_int_eq(richeta_stream_get_int(a, RICHETA_PARAM_EVAL_SIZE, &n), RICHETA_OK);
  ck_assert_int_eq(n, 100);
  ck_assert_int_eq(richeta_stream_eval_f64(a, 0, 100, ex, ey), RICHETA_OK);
  double m = 0;
  for (int i = 0; i < 100 * 784; i++)
    m += ex[i];
  m /= 100 * 784;
  ck_assert_msg(fabs(m) < 0.3, "standardized held-out mean %g", m); /* train statistics */
  richeta_stream_free(a);
  richeta_config *cfg = cfg_of("task=file,data=fashion-mnist,D=100,C=10");
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_ERR_MISMATCH);
  ck_assert_ptr_null(s);
  richeta_config_free(cfg);
}
END_TEST

START_TEST(file_stream_reports_missing_files) {
  richeta_config *cfg = cfg_of("task=file,data=npy:/nonexistent/x.npy,D=4,C=1");
  richeta_stream *s = NULL;
  ck_assert_int_ne(richeta_stream_new(&s, cfg), RICHETA_OK);
  ck_assert_ptr_null(s);
  ck_assert_str_ne(richeta_last_error(), "");
  richeta_config_free(cfg);
}
END_TEST

Suite *stream_suite(void) {
  Suite *su = suite_create("stream");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, same_seed_and_step_give_the_same_batch);
  tcase_add_test(tc, different_steps_and_seeds_give_different_batches);
  tcase_add_test(tc, f32_batch_is_the_rounded_f64_batch);
  tcase_add_test(tc, linear_teacher_is_one_fixed_linear_map_with_unit_scale);
  tcase_add_test(tc, label_noise_adds_gaussian_noise_of_the_given_std);
  tcase_add_test(tc, mlp_teacher_is_deterministic_and_not_linear);
  tcase_add_test(tc, held_out_set_is_fixed_chunk_independent_and_distinct_from_training);
  tcase_add_test(tc, stream_properties_and_bad_arguments);
  tcase_add_test(tc, callback_stream_passes_host_batches_and_has_no_held_out_set);
  tcase_add_test(tc, repeated_requests_for_a_step_give_the_same_batch);
  tcase_add_test(tc, callback_errors_propagate_as_callback_status_without_leaks);
  tcase_add_test(tc, callback_stream_trains_exactly_like_manual_optimizer_steps);
  tcase_add_test(tc, callback_error_message_is_quoted_once);
  tcase_add_test(tc, file_stream_reads_fashion_mnist_with_its_test_split);
  tcase_add_test(tc, file_stream_reports_missing_files);
  tcase_add_test(tc, argmax_labels_are_one_hot_balanced_classes_of_the_teacher);
  tcase_add_test(tc, argmax_labels_are_refused_where_there_are_no_classes);
  suite_add_tcase(su, tc);
  return su;
}
