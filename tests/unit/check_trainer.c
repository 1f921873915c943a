/* Trainer: log-spaced logging, the final point, divergence as a result,
 * determinism, split runs, callbacks and argument checks. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/train_internal.h"

Suite *trainer_suite(void);

#define BASE "D=8,N=32,L=2,B=32,eval_n=64,"

static richeta_config *cfg_of(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  return cfg;
}

static richeta_trainer *trainer_of(const char *spec) {
  richeta_config *cfg = cfg_of(spec);
  richeta_trainer *t = NULL;
  ck_assert_msg(richeta_trainer_new(&t, cfg) == RICHETA_OK, "%s", richeta_last_error());
  richeta_config_free(cfg);
  return t;
}

typedef struct log_copy {
  int64_t n;
  int64_t steps[64];
  double train[64], eval[64], eta[64];
} log_copy;

static void get_log(const richeta_trainer *t, log_copy *l) {
  memset(l, 0, sizeof *l);
  ck_assert_int_eq(richeta_trainer_log(t, l->steps, l->train, l->eval, l->eta, 64, &l->n),
                   RICHETA_OK);
}

/* log_per_decade=0 logs every step (even the densest log spacing, 1000 per
 * decade, skips steps above t ~ 434) */
START_TEST(log_per_decade_zero_logs_every_step) {
  enum { T = 600 };
  richeta_trainer *t = trainer_of(BASE "T=600,log_per_decade=0,eta0=0.1");
  ck_assert_int_eq(richeta_trainer_run(t, T, NULL), RICHETA_OK);
  static int64_t steps[T + 1];
  int64_t n = 0;
  ck_assert_int_eq(richeta_trainer_log(t, steps, NULL, NULL, NULL, T + 1, &n), RICHETA_OK);
  ck_assert_int_eq(n, T + 1);
  for (int64_t i = 0; i <= T; i++)
    ck_assert_int_eq(steps[i], i);
  richeta_trainer_free(t);
  /* the densest spacing really leaves gaps at that length */
  t = trainer_of(BASE "T=600,log_per_decade=1000,eta0=0.1");
  ck_assert_int_eq(richeta_trainer_run(t, T, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_log(t, NULL, NULL, NULL, NULL, 0, &n), RICHETA_OK);
  ck_assert_int_lt(n, T + 1);
  richeta_trainer_free(t);
}
END_TEST

START_TEST(logs_step_zero_log_spaced_steps_and_the_final_step) {
  richeta_trainer *t = trainer_of(BASE "T=1000,log_per_decade=4,eta0=0.1");
  ck_assert_int_eq(richeta_trainer_run(t, 1000, NULL), RICHETA_OK);
  log_copy l;
  get_log(t, &l);
  /* round(10^(k/4)) below T, plus 0 and T */
  static const int64_t want[] = {0, 1, 2, 3, 6, 10, 18, 32, 56, 100, 178, 316, 562, 1000};
  ck_assert_int_eq(l.n, (int64_t)(sizeof want / sizeof want[0]));
  for (int64_t i = 0; i < l.n; i++) {
    ck_assert_int_eq(l.steps[i], want[i]);
    ck_assert(isfinite(l.train[i]) && isfinite(l.eval[i]));
    ck_assert_double_eq(l.eta[i], 0.1);
  }
  /* it learns the linear teacher */
  ck_assert_msg(l.eval[l.n - 1] < 0.05 * l.eval[0], "held-out %g -> %g", l.eval[0],
                l.eval[l.n - 1]);
  int state;
  int64_t step;
  ck_assert_int_eq(richeta_trainer_state(t, &state), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_step(t, &step), RICHETA_OK);
  ck_assert_int_eq(state, RICHETA_RUN_DONE);
  ck_assert_int_eq(step, 1000);
  /* a finished run does not move */
  ck_assert_int_eq(richeta_trainer_run(t, 10, NULL), RICHETA_OK);
  int64_t n2;
  ck_assert_int_eq(richeta_trainer_log(t, NULL, NULL, NULL, NULL, 0, &n2), RICHETA_OK);
  ck_assert_int_eq(n2, l.n);
  richeta_trainer_free(t);
}
END_TEST

/* theta0's outputs on the held-out set are computed once and kept; when
 * theta0 changes (here: recentred onto theta after 10 steps) they must be
 * recomputed: the centred output is then 0 and the held-out loss mean(y^2). */
START_TEST(held_out_loss_follows_a_recentred_theta0) {
  const char *spec = BASE "T=100,log_per_decade=10,eta0=0.5";
  richeta_trainer *t = trainer_of(spec);
  ck_assert_int_eq(richeta_trainer_run(t, 10, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_model_recenter(richeta_trainer_model(t)), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 1, NULL), RICHETA_OK);
  log_copy l;
  get_log(t, &l);
  ck_assert(l.n >= 2 && l.steps[l.n - 1] == 10);

  richeta_config *cfg = cfg_of(spec);
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new(&s, cfg), RICHETA_OK);
  double x[64 * 8], y[64];
  ck_assert_int_eq(richeta_stream_eval_f64(s, 0, 64, x, y), RICHETA_OK);
  double msq = 0;
  for (int i = 0; i < 64; i++) {
    double v = (double)(float)y[i]; /* the model holds the set in f32 */
    msq += v * v;
  }
  msq /= 64;
  ck_assert_msg(fabs(l.eval[l.n - 1] - msq) <= 1e-12 * msq, "held-out loss %.17g, mean(y^2) %.17g",
                l.eval[l.n - 1], msq);
  ck_assert(l.eval[l.n - 2] != l.eval[l.n - 1]);
  richeta_stream_free(s);
  richeta_config_free(cfg);
  richeta_trainer_free(t);
}
END_TEST

START_TEST(logged_rate_follows_the_schedule) {
  richeta_trainer *t = trainer_of(BASE "T=100,log_per_decade=2,eta0=0.2,schedule=cosine,"
                                       "min_factor=0.5,rule=theory,gamma=0.5");
  richeta_config *cfg = cfg_of(BASE "T=100,log_per_decade=2,eta0=0.2,schedule=cosine,"
                                    "min_factor=0.5,rule=theory,gamma=0.5");
  richeta_sched *s = NULL;
  ck_assert_int_eq(richeta_sched_new(&s, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 100, NULL), RICHETA_OK);
  log_copy l;
  get_log(t, &l);
  ck_assert_int_eq(l.n, 6); /* 0, 1, 3, 10, 32 and T = 100 */
  ck_assert_int_eq(l.steps[4], 32);
  ck_assert_int_eq(l.steps[5], 100);
  for (int64_t i = 0; i < l.n; i++) {
    double e;
    richeta_sched_eta(s, l.steps[i], &e);
    ck_assert_double_eq(l.eta[i], e);
  }
  richeta_sched_free(s);
  richeta_config_free(cfg);
  richeta_trainer_free(t);
}
END_TEST

START_TEST(zero_steps_logs_one_final_point) {
  richeta_trainer *t = trainer_of(BASE "T=0");
  ck_assert_int_eq(richeta_trainer_run(t, 0, NULL), RICHETA_OK);
  log_copy l;
  get_log(t, &l);
  ck_assert_int_eq(l.n, 1);
  ck_assert_int_eq(l.steps[0], 0);
  int state;
  richeta_trainer_state(t, &state);
  ck_assert_int_eq(state, RICHETA_RUN_DONE);
  richeta_trainer_free(t);
}
END_TEST

START_TEST(huge_rate_diverges_as_a_result_not_an_error) {
  richeta_trainer *t = trainer_of(BASE "T=1000,eta0=1e4");
  ck_assert_int_eq(richeta_trainer_run(t, 1000, NULL), RICHETA_OK);
  int state;
  int64_t step;
  richeta_trainer_state(t, &state);
  richeta_trainer_step(t, &step);
  ck_assert_int_eq(state, RICHETA_RUN_DIVERGED);
  ck_assert_int_lt(step, 1000);
  log_copy l;
  get_log(t, &l);
  ck_assert_int_ge(l.n, 2);
  double last = l.train[l.n - 1];
  ck_assert(!isfinite(last) || last > 1e3 * l.train[0]);
  ck_assert_int_eq(l.steps[l.n - 1], step - (isfinite(last) ? 1 : 0));
  /* stays stopped */
  ck_assert_int_eq(richeta_trainer_run(t, 1000, NULL), RICHETA_OK);
  int64_t step2;
  richeta_trainer_step(t, &step2);
  ck_assert_int_eq(step2, step);
  richeta_trainer_free(t);
}
END_TEST

static void params_of(richeta_trainer *t, double **p, int64_t *n) {
  richeta_model *m = richeta_trainer_model(t);
  ck_assert_int_eq(richeta_model_num_params(m, n), RICHETA_OK);
  *p = malloc((size_t)*n * sizeof **p);
  ck_assert_int_eq(richeta_model_get_params(m, *p, *n), RICHETA_OK);
}

/* Host data: the synthetic stream's batches, with a NaN target at nan_at. */
typedef struct host {
  richeta_stream *src;
  int64_t nan_at;
} host;

static int host_fill(void *user, int64_t step, int64_t batch, int64_t d, int64_t c, double *x,
                     double *y) {
  host *h = user;
  (void)batch;
  (void)d;
  (void)c;
  if (richeta_stream_batch_f64(h->src, step, x, y) != RICHETA_OK)
    return -1;
  if (step == h->nan_at)
    y[0] = NAN;
  return 0;
}

/* Cross-entropy needs class probabilities: a teacher's real-valued
 * targets are refused when the trainer is made (1.0 trained on them and
 * printed negative losses), C = 1 too; a host stream's batches are checked
 * as they come; the balanced argmax classes (labels=argmax) train well
 * above chance (measured: held-out accuracy 0.90 for C = 3 at T = 400). */
START_TEST(cross_entropy_refuses_targets_that_are_not_probabilities) {
  const char *refused[] = {BASE "loss=ce,C=3", BASE "loss=ce,C=3,task=mlp",
                           BASE "loss=ce,C=1,labels=none"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    richeta_config *cfg = cfg_of(refused[i]);
    richeta_trainer *t = (richeta_trainer *)1;
    ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_ERR_INVALID);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(richeta_last_error(), "loss=ce needs") != NULL, "%s",
                  richeta_last_error());
    richeta_config_free(cfg);
  }
  for (int dt = 0; dt < 2; dt++) {
    for (int labels = 0; labels < 2; labels++) {
      char spec[256];
      snprintf(spec, sizeof spec, BASE "T=20,loss=ce,C=3,task=mlp,dtype=%s%s", dt ? "f32" : "f64",
               labels ? ",labels=argmax" : "");
      richeta_config *cfg = cfg_of(spec);
      richeta_config *src_cfg = cfg_of(spec);
      ck_assert_int_eq(richeta_config_parse(src_cfg, "loss=mse"), RICHETA_OK);
      host h = {NULL, -1};
      ck_assert_int_eq(richeta_stream_new(&h.src, src_cfg), RICHETA_OK);
      richeta_stream_callbacks scb = {sizeof scb, host_fill, &h};
      richeta_stream *s = NULL;
      richeta_trainer *t = NULL;
      ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &scb), RICHETA_OK);
      ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_OK);
      richeta_status st = richeta_trainer_run(t, 20, NULL);
      if (labels) {
        ck_assert_msg(st == RICHETA_OK, "%s", richeta_trainer_last_error(t));
      } else {
        ck_assert_int_eq(st, RICHETA_ERR_INVALID);
        ck_assert_msg(strstr(richeta_trainer_last_error(t), "of step 0 are not probabilities"),
                      "%s", richeta_trainer_last_error(t));
      }
      richeta_trainer_free(t);
      richeta_stream_free(s);
      richeta_stream_free(h.src);
      richeta_config_free(src_cfg);
      richeta_config_free(cfg);
    }
  }
  richeta_trainer *t = trainer_of("D=16,N=64,L=3,B=32,eval_n=512,loss=ce,C=3,task=mlp,"
                                  "labels=argmax,T=400,eta0=1");
  ck_assert_int_eq(richeta_trainer_run(t, 400, NULL), RICHETA_OK);
  double acc[64];
  int64_t n = 0;
  ck_assert_int_eq(richeta_trainer_log_accuracy(t, acc, 64, &n), RICHETA_OK);
  ck_assert_msg(acc[n - 1] > 0.7, "held-out accuracy %g (chance 1/3)", acc[n - 1]);
  richeta_trainer_free(t);
}
END_TEST

/* The catapult rule on logged curves: a rise of at least 2x the step-0
 * loss within the first 100 steps, then a fall below it. */
START_TEST(catapults_are_an_early_rise_then_a_fall_below_the_start) {
  const int64_t st[] = {0, 1, 2, 5, 10, 50, 200, 400};
  const double yes[] = {1, 3, 8, 2, 1.5, 0.9, 0.5, 0.2}, never_back[] = {1, 3, 8, 5, 4, 3, 2, 1.5},
               small[] = {1, 1.9, 1.5, 1.1, 0.9, 0.5, 0.2, 0.1},
               late[] = {1, 1.2, 1.1, 1.0, 0.9, 0.95, 5, 0.1},
               diverged[] = {1, 3, 8, 40, 1e3, NAN, NAN, NAN};
  double r;
  int64_t at;
  ck_assert(rlz_catapult(st, yes, 8, &r, &at));
  ck_assert_double_eq(r, 8);
  ck_assert_int_eq(at, 2);
  ck_assert(!rlz_catapult(st, never_back, 8, &r, &at) && isnan(r) && at == -1);
  ck_assert(!rlz_catapult(st, small, 8, &r, &at));
  ck_assert(!rlz_catapult(st, late, 8, &r, &at)); /* the rise at step 200 is not early */
  ck_assert(!rlz_catapult(st, diverged, 8, &r, &at));
  ck_assert(!rlz_catapult(st, yes, 2, &r, &at)); /* too short to fall back */
}
END_TEST

START_TEST(non_finite_loss_diverges_with_parameters_kept) {
  const char *spec = BASE "T=50,eta0=0.1,dtype=f64";
  richeta_config *cfg = cfg_of(spec);
  host h = {NULL, 5};
  ck_assert_int_eq(richeta_stream_new(&h.src, cfg), RICHETA_OK);
  richeta_stream_callbacks scb = {sizeof scb, host_fill, &h};
  richeta_stream *s = NULL;
  richeta_trainer *t = NULL, *ref = trainer_of(spec);
  ck_assert_int_eq(richeta_stream_new_callback(&s, cfg, &scb), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, 50, NULL), RICHETA_OK);
  int state;
  int64_t step;
  richeta_trainer_state(t, &state);
  richeta_trainer_step(t, &step);
  ck_assert_int_eq(state, RICHETA_RUN_DIVERGED);
  ck_assert_int_eq(step, 5); /* step 5 was not taken */
  log_copy l;
  get_log(t, &l);
  ck_assert_int_eq(l.steps[l.n - 1], 5);
  ck_assert(isnan(l.train[l.n - 1]));
  /* parameters are those after steps 0..4 */
  ck_assert_int_eq(richeta_trainer_run(ref, 5, NULL), RICHETA_OK);
  double *pa, *pb;
  int64_t n;
  params_of(t, &pa, &n);
  params_of(ref, &pb, &n);
  ck_assert_int_eq(memcmp(pa, pb, (size_t)n * sizeof *pa), 0);
  free(pa);
  free(pb);
  richeta_trainer_free(t);
  richeta_trainer_free(ref);
  richeta_stream_free(s);
  richeta_stream_free(h.src);
  richeta_config_free(cfg);
}
END_TEST

START_TEST(two_runs_and_split_runs_are_bit_identical) {
  const char *spec = BASE "T=300,eta0=0.1,momentum=0.3,task=mlp,noise=0.1";
  richeta_trainer *a = trainer_of(spec), *b = trainer_of(spec), *c = trainer_of(spec);
  ck_assert_int_eq(richeta_trainer_run(a, 300, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(b, 300, NULL), RICHETA_OK);
  int64_t done = 0;
  const int64_t pieces[] = {1, 6, 50, 0, 100, 1000};
  for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
    ck_assert_int_eq(richeta_trainer_run(c, pieces[i], NULL), RICHETA_OK);
    ck_assert_int_eq(richeta_trainer_step(c, &done), RICHETA_OK);
  }
  ck_assert_int_eq(done, 300);
  double *pa, *pb, *pc;
  int64_t n;
  params_of(a, &pa, &n);
  params_of(b, &pb, &n);
  params_of(c, &pc, &n);
  ck_assert_int_eq(memcmp(pa, pb, (size_t)n * sizeof *pa), 0);
  ck_assert_int_eq(memcmp(pa, pc, (size_t)n * sizeof *pa), 0);
  log_copy la, lc;
  get_log(a, &la);
  get_log(c, &lc);
  ck_assert_int_eq(memcmp(&la, &lc, sizeof la), 0);
  free(pa);
  free(pb);
  free(pc);
  richeta_trainer_free(a);
  richeta_trainer_free(b);
  richeta_trainer_free(c);
}
END_TEST

typedef struct seen {
  int calls;
  int stop_at_call;
  int64_t steps[64];
} seen;

static int on_log(void *user, int64_t step, double train, double eval, double eta) {
  seen *s = user;
  (void)train;
  (void)eval;
  (void)eta;
  s->steps[s->calls++] = step;
  return s->calls == s->stop_at_call ? 1 : 0;
}

START_TEST(log_callback_sees_every_point_and_can_stop_the_run) {
  const char *spec = BASE "T=100,log_per_decade=3,eta0=0.1";
  richeta_trainer *t = trainer_of(spec), *u = trainer_of(spec);
  seen s = {0, 4, {0}};
  richeta_train_callbacks cb = {sizeof cb, on_log, &s};
  ck_assert_int_eq(richeta_trainer_run(t, 100, &cb), RICHETA_ERR_ABORTED);
  int64_t step;
  richeta_trainer_step(t, &step);
  ck_assert_int_eq(step, s.steps[3] + 1); /* the logged step was taken */
  s.stop_at_call = -1;
  ck_assert_int_eq(richeta_trainer_run(t, 100, &cb), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(u, 100, NULL), RICHETA_OK);
  log_copy lt, lu;
  get_log(t, &lt);
  get_log(u, &lu);
  ck_assert_int_eq(s.calls, lt.n);
  for (int i = 0; i < s.calls; i++)
    ck_assert_int_eq(s.steps[i], lt.steps[i]);
  ck_assert_int_eq(memcmp(&lt, &lu, sizeof lt), 0); /* stopping changed nothing */
  cb.struct_size = 4;
  ck_assert_int_eq(richeta_trainer_run(t, 1, &cb), RICHETA_ERR_INVALID);
  richeta_trainer_free(t);
  richeta_trainer_free(u);
}
END_TEST

START_TEST(log_copy_reports_small_buffers) {
  richeta_trainer *t = trainer_of(BASE "T=50");
  ck_assert_int_eq(richeta_trainer_run(t, 50, NULL), RICHETA_OK);
  int64_t n = 0, steps[2];
  ck_assert_int_eq(richeta_trainer_log(t, steps, NULL, NULL, NULL, 2, &n),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_gt(n, 2);
  ck_assert_int_eq(richeta_trainer_log(t, steps, NULL, NULL, NULL, -1, &n), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_trainer_log(NULL, steps, NULL, NULL, NULL, 2, &n), RICHETA_ERR_NULL);
  richeta_trainer_free(t);
}
END_TEST

static long n_allocs, n_live;
static void *count_alloc(void *user, size_t size, size_t align) {
  (void)user;
  void *p = NULL;
  if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) != 0)
    return NULL;
  n_allocs++;
  n_live++;
  return p;
}
static void count_free(void *user, void *p) {
  (void)user;
  n_live--;
  free(p);
}

START_TEST(running_allocates_nothing_and_freeing_releases_everything) {
  richeta_allocator al = {sizeof al, count_alloc, count_free, NULL};
  richeta_config *cfg = NULL;
  n_allocs = n_live = 0;
  ck_assert_int_eq(richeta_config_new(&cfg, &al), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, BASE "T=200,momentum=0.9,task=mlp,dtype=f32"),
                   RICHETA_OK);
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  long before = n_allocs;
  ck_assert_int_gt(before, 0); /* the hooks are used */
  ck_assert_int_eq(richeta_trainer_run(t, 200, NULL), RICHETA_OK);
  ck_assert_int_eq(n_allocs, before);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  ck_assert_int_eq(n_live, 0);
}
END_TEST

START_TEST(trainer_entry_points_validate_arguments) {
  richeta_config *cfg = cfg_of(BASE "T=5");
  richeta_trainer *t = (richeta_trainer *)cfg;
  ck_assert_int_eq(richeta_trainer_new(&t, NULL), RICHETA_ERR_NULL);
  ck_assert_ptr_null(t);
  ck_assert_int_eq(richeta_trainer_new(NULL, cfg), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, NULL), RICHETA_ERR_NULL);
  /* a stream of another shape */
  richeta_config *other = cfg_of("D=5,B=32");
  richeta_stream *s = NULL;
  ck_assert_int_eq(richeta_stream_new(&s, other), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_new_with_stream(&t, cfg, s), RICHETA_ERR_MISMATCH);
  ck_assert_ptr_null(t);
  richeta_stream_free(s);
  richeta_config_free(other);
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_run(t, -1, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_trainer_run(NULL, 1, NULL), RICHETA_ERR_NULL);
  int64_t step;
  int state;
  ck_assert_int_eq(richeta_trainer_step(t, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_state(NULL, &state), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_trainer_step(NULL, &step), RICHETA_ERR_NULL);
  ck_assert_ptr_nonnull(richeta_trainer_model(t));
  ck_assert_ptr_nonnull(richeta_trainer_optim(t));
  ck_assert_ptr_nonnull(richeta_trainer_stream(t));
  ck_assert_ptr_null(richeta_trainer_model(NULL));
  ck_assert_ptr_null(richeta_trainer_optim(NULL));
  ck_assert_ptr_null(richeta_trainer_stream(NULL));
  richeta_trainer_free(t);
  richeta_trainer_free(NULL);
  richeta_config_free(cfg);
}
END_TEST

/* The hook frees its own trainer at its k-th call (the Python binding's
 * close() inside on_log did this and crashed: a heap use-after-free). */
typedef struct free_ctx {
  richeta_trainer *t;
  int calls, free_at;
  richeta_status reentrant_run, reentrant_load;
  int64_t steps_seen_after;
} free_ctx;

static int free_in_hook(void *user, int64_t step, double tr, double ev, double eta) {
  (void)tr;
  (void)ev;
  (void)eta;
  free_ctx *c = user;
  if (c->calls++ == 0) { /* the trainer refuses to be run or reloaded from its hook */
    c->reentrant_run = richeta_trainer_run(c->t, 1, NULL);
    c->reentrant_load = richeta_trainer_load(c->t, "/nonexistent/ckpt");
  }
  if (c->calls == c->free_at) {
    richeta_trainer_free(c->t);
    c->steps_seen_after = step;
  }
  return 0;
}

START_TEST(freeing_the_trainer_inside_its_own_log_hook_stops_the_run_safely) {
  free_ctx c = {.free_at = 3, .reentrant_run = RICHETA_OK, .reentrant_load = RICHETA_OK};
  c.t = trainer_of(BASE "T=200,log_per_decade=4,eta0=0.1");
  richeta_train_callbacks cb = {sizeof cb, free_in_hook, &c};
  /* under ASan a use of the freed trainer after the hook is a report */
  ck_assert_int_eq(richeta_trainer_run(c.t, 200, &cb), RICHETA_ERR_ABORTED);
  ck_assert_int_eq(c.calls, 3); /* stopped at once: no hook call after the free */
  ck_assert_int_eq(c.reentrant_run, RICHETA_ERR_STATE);
  ck_assert_int_eq(c.reentrant_load, RICHETA_ERR_STATE);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "freed inside its own log callback"));
  /* c.t is gone (LeakSanitizer and valgrind check that it was freed) */
}
END_TEST

typedef struct final_ctx {
  richeta_trainer *t;
  int calls, free_at;
  char path[64];
  richeta_status saved;
} final_ctx;

static int save_then_free(void *user, int64_t step, double tr, double ev, double eta) {
  (void)step;
  (void)tr;
  (void)ev;
  (void)eta;
  final_ctx *c = user;
  if (++c->calls == 1)
    c->saved = richeta_trainer_save(c->t, c->path);
  if (c->calls == c->free_at)
    richeta_trainer_free(c->t);
  return 0;
}

START_TEST(freeing_at_the_final_point_and_saving_from_the_hook_work) {
  final_ctx c = {.free_at = -1, .saved = RICHETA_ERR_INTERNAL};
  snprintf(c.path, sizeof c.path, "/tmp/check_trainer_hook_%d.ckpt", (int)getpid());
  c.t = trainer_of(BASE "T=10,log_per_decade=1,eta0=0.1");
  richeta_train_callbacks cb = {sizeof cb, save_then_free, &c};
  ck_assert_int_eq(richeta_trainer_run(c.t, 10, &cb), RICHETA_OK);
  ck_assert_int_eq(c.saved, RICHETA_OK); /* a checkpoint from inside the hook */
  int points = c.calls;
  richeta_trainer_free(c.t);
  /* the last call is the final point at T (finish): free there */
  c = (final_ctx){.free_at = points, .saved = RICHETA_ERR_INTERNAL};
  snprintf(c.path, sizeof c.path, "/tmp/check_trainer_hook_%d.ckpt", (int)getpid());
  c.t = trainer_of(BASE "T=10,log_per_decade=1,eta0=0.1");
  ck_assert_int_eq(richeta_trainer_run(c.t, 10, &cb), RICHETA_ERR_ABORTED);
  ck_assert_int_eq(c.calls, points);
  unlink(c.path);
}
END_TEST

Suite *trainer_suite(void) {
  Suite *su = suite_create("trainer");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, logs_step_zero_log_spaced_steps_and_the_final_step);
  tcase_add_test(tc, log_per_decade_zero_logs_every_step);
  tcase_add_test(tc, logged_rate_follows_the_schedule);
  tcase_add_test(tc, held_out_loss_follows_a_recentred_theta0);
  tcase_add_test(tc, zero_steps_logs_one_final_point);
  tcase_add_test(tc, huge_rate_diverges_as_a_result_not_an_error);
  tcase_add_test(tc, non_finite_loss_diverges_with_parameters_kept);
  tcase_add_test(tc, two_runs_and_split_runs_are_bit_identical);
  tcase_add_test(tc, log_callback_sees_every_point_and_can_stop_the_run);
  tcase_add_test(tc, log_copy_reports_small_buffers);
  tcase_add_test(tc, running_allocates_nothing_and_freeing_releases_everything);
  tcase_add_test(tc, trainer_entry_points_validate_arguments);
  tcase_add_test(tc, freeing_the_trainer_inside_its_own_log_hook_stops_the_run_safely);
  tcase_add_test(tc, freeing_at_the_final_point_and_saving_from_the_hook_work);
  tcase_add_test(tc, cross_entropy_refuses_targets_that_are_not_probabilities);
  tcase_add_test(tc, catapults_are_an_early_rise_then_a_fall_below_the_start);
  suite_add_tcase(su, tc);
  return su;
}
