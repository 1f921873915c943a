/* Distinct handles on distinct threads: two trainers run at the same time on
 * two threads give logs and parameters bit-identical to the same runs made
 * one after the other. scripts/tsan.sh runs this suite under
 * ThreadSanitizer. */
#include <check.h>
#include <pthread.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_CAP 256

/* Everything a run produces. */
typedef struct run_result {
  const char *spec;
  richeta_status status;
  int state;
  int64_t steps_taken;
  int64_t nlog;
  int64_t log_step[LOG_CAP];
  double log_train[LOG_CAP], log_eval[LOG_CAP], log_eta[LOG_CAP];
  int64_t nparams;
  double *params;
  char ckpt[128]; /* when non-empty: save mid-run, resume from it, finish */
  char error[256];
} run_result;

static void record_error(run_result *r, const char *what, const char *msg) {
  snprintf(r->error, sizeof r->error, "%s: %s", what, msg);
}

/* Train r->spec to the end (in two chunks, through a checkpoint when asked). */
static void *train(void *arg) {
  run_result *r = arg;
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  r->status = richeta_config_new(&cfg, NULL);
  if (r->status != RICHETA_OK) {
    record_error(r, "config_new", richeta_last_error());
    return NULL;
  }
  r->status = richeta_config_parse(cfg, r->spec);
  if (r->status != RICHETA_OK) {
    record_error(r, "parse", richeta_config_last_error(cfg));
    goto out;
  }
  r->status = richeta_trainer_new(&t, cfg);
  if (r->status != RICHETA_OK) {
    record_error(r, "trainer_new", richeta_last_error());
    goto out;
  }
  r->status = richeta_trainer_run(t, 37, NULL);
  if (r->status == RICHETA_OK && r->ckpt[0]) {
    r->status = richeta_trainer_save(t, r->ckpt);
    if (r->status == RICHETA_OK) {
      richeta_trainer_free(t);
      t = NULL;
      r->status = richeta_trainer_resume(&t, r->ckpt, NULL);
      if (r->status != RICHETA_OK) {
        record_error(r, "resume", richeta_last_error());
        goto out;
      }
    }
  }
  if (r->status == RICHETA_OK)
    r->status = richeta_trainer_run(t, 1000000, NULL);
  if (r->status != RICHETA_OK) {
    record_error(r, "run/save", richeta_trainer_last_error(t));
    goto out;
  }
  richeta_trainer_state(t, &r->state);
  richeta_trainer_step(t, &r->steps_taken);
  r->status =
      richeta_trainer_log(t, r->log_step, r->log_train, r->log_eval, r->log_eta, LOG_CAP, &r->nlog);
  if (r->status != RICHETA_OK) {
    record_error(r, "log", richeta_trainer_last_error(t));
    goto out;
  }
  richeta_model *m = richeta_trainer_model(t);
  r->status = richeta_model_num_params(m, &r->nparams);
  if (r->status == RICHETA_OK) {
    r->params = malloc((size_t)r->nparams * sizeof *r->params);
    r->status = r->params ? richeta_model_get_params(m, r->params, r->nparams) : RICHETA_ERR_NOMEM;
  }
  if (r->status != RICHETA_OK)
    record_error(r, "params", richeta_model_last_error(m));
out:
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  return NULL;
}

static void result_free(run_result *r) {
  free(r->params);
  r->params = NULL;
}

/* Bitwise equality (NaN == NaN when the bits agree). */
static void assert_same(const run_result *a, const run_result *b) {
  ck_assert_msg(a->status == RICHETA_OK, "%s", a->error);
  ck_assert_msg(b->status == RICHETA_OK, "%s", b->error);
  ck_assert_int_eq(a->state, b->state);
  ck_assert_int_eq(a->steps_taken, b->steps_taken);
  ck_assert_int_eq(a->nlog, b->nlog);
  ck_assert_int_gt(a->nlog, 2);
  size_t n = (size_t)a->nlog;
  ck_assert(memcmp(a->log_step, b->log_step, n * sizeof(int64_t)) == 0);
  ck_assert_msg(memcmp(a->log_train, b->log_train, n * sizeof(double)) == 0,
                "training losses differ for %s", a->spec);
  ck_assert_msg(memcmp(a->log_eval, b->log_eval, n * sizeof(double)) == 0,
                "held-out losses differ for %s", a->spec);
  ck_assert(memcmp(a->log_eta, b->log_eta, n * sizeof(double)) == 0);
  ck_assert_int_eq(a->nparams, b->nparams);
  ck_assert_msg(memcmp(a->params, b->params, (size_t)a->nparams * sizeof(double)) == 0,
                "parameters differ for %s", a->spec);
}

static const char *spec_a = "D=12,N=48,C=3,L=3,B=16,T=120,eval_n=64,gamma=0.3,eta0=0.2,"
                            "act=tanh,task=mlp,seed=5,data_seed=6,dtype=f64";
static const char *spec_b = "D=10,N=40,C=1,L=2,B=8,T=150,eval_n=32,gamma=4,eta0=0.5,"
                            "act=relu,task=linear,seed=7,data_seed=8,dtype=f32,momentum=0.9,"
                            "rule=theory,schedule=cosine,warmup=10";

static void run_pair(const char *sa, const char *sb, int with_ckpt, int rounds) {
  char dir[] = "/tmp/richeta-threads-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  richeta_blas_set_threads(1); /* determinism: one BLAS thread per call */
  run_result seq[2], par[2];
  memset(seq, 0, sizeof seq);
  seq[0].spec = sa;
  seq[1].spec = sb;
  if (with_ckpt) {
    snprintf(seq[0].ckpt, sizeof seq[0].ckpt, "%s/seq0.ck", dir);
    snprintf(seq[1].ckpt, sizeof seq[1].ckpt, "%s/seq1.ck", dir);
  }
  train(&seq[0]);
  train(&seq[1]);
  for (int round = 0; round < rounds; round++) {
    memset(par, 0, sizeof par);
    par[0].spec = sa;
    par[1].spec = sb;
    if (with_ckpt) {
      snprintf(par[0].ckpt, sizeof par[0].ckpt, "%s/par0.ck", dir);
      snprintf(par[1].ckpt, sizeof par[1].ckpt, "%s/par1.ck", dir);
    }
    pthread_t th[2];
    ck_assert_int_eq(pthread_create(&th[0], NULL, train, &par[0]), 0);
    ck_assert_int_eq(pthread_create(&th[1], NULL, train, &par[1]), 0);
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
    assert_same(&seq[0], &par[0]);
    assert_same(&seq[1], &par[1]);
    result_free(&par[0]);
    result_free(&par[1]);
  }
  result_free(&seq[0]);
  result_free(&seq[1]);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(two_trainers_on_two_threads_match_sequential_runs_bit_for_bit) {
  run_pair(spec_a, spec_b, 0, 3);
}
END_TEST

START_TEST(same_run_on_two_threads_matches_itself_and_the_sequential_run) {
  run_pair(spec_a, spec_a, 0, 2);
}
END_TEST

START_TEST(checkpoint_and_resume_on_two_threads_match_sequential_runs) {
  run_pair(spec_a, spec_b, 1, 2);
}
END_TEST

/* The per-thread error message of one thread is not touched by another. */
typedef struct err_arg {
  int bad;
  int ok;
} err_arg;

static void *fail_or_succeed(void *p) {
  err_arg *a = p;
  a->ok = 1;
  for (int i = 0; i < 200; i++) {
    richeta_config *cfg = NULL;
    richeta_status s = richeta_config_new(&cfg, NULL);
    if (s != RICHETA_OK) {
      a->ok = 0;
      break;
    }
    richeta_trainer *t = NULL;
    if (a->bad) {
      /* a bad parse fails on the configuration; a NULL out fails thread-locally */
      s = richeta_trainer_new(NULL, cfg);
      if (s == RICHETA_OK || strlen(richeta_last_error()) == 0)
        a->ok = 0;
    } else {
      richeta_config_parse(cfg, "D=4,N=8,L=2,T=5,eval_n=4");
      s = richeta_trainer_new(&t, cfg);
      if (s != RICHETA_OK)
        a->ok = 0;
      richeta_trainer_free(t);
    }
    richeta_config_free(cfg);
  }
  return NULL;
}

START_TEST(error_messages_stay_on_their_thread) {
  err_arg args[4] = {{1, 0}, {0, 0}, {1, 0}, {0, 0}};
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&th[i], NULL, fail_or_succeed, &args[i]), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++)
    ck_assert_msg(args[i].ok, "thread %d (bad=%d) saw an unexpected status or message", i,
                  args[i].bad);
}
END_TEST

/* Two trainers on two threads saving to the same path: each save must
 * succeed and the file must always be one whole checkpoint, never a mix
 * (the temporary file of one save must not be shared with another's). */
typedef struct saver {
  const char *spec;
  const char *path;
  int failures;
  char error[256];
} saver;

static void *save_loop(void *p) {
  saver *sv = p;
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  if (richeta_config_new(&cfg, NULL) != RICHETA_OK ||
      richeta_config_parse(cfg, sv->spec) != RICHETA_OK ||
      richeta_trainer_new(&t, cfg) != RICHETA_OK) {
    sv->failures = -1;
    goto out;
  }
  for (int i = 0; i < 40; i++) {
    richeta_trainer_run(t, 1, NULL);
    richeta_status s = richeta_trainer_save(t, sv->path);
    if (s != RICHETA_OK) {
      sv->failures++;
      snprintf(sv->error, sizeof sv->error, "%s", richeta_trainer_last_error(t));
    }
  }
out:
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  return NULL;
}

START_TEST(concurrent_saves_to_one_path_leave_a_whole_checkpoint) {
  char dir[] = "/tmp/richeta-threads-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/shared.ck", dir);
  saver a = {spec_a, path, 0, ""}, b = {spec_b, path, 0, ""};
  pthread_t th[2];
  ck_assert_int_eq(pthread_create(&th[0], NULL, save_loop, &a), 0);
  ck_assert_int_eq(pthread_create(&th[1], NULL, save_loop, &b), 0);
  pthread_join(th[0], NULL);
  pthread_join(th[1], NULL);
  richeta_trainer *t = NULL;
  richeta_status s = richeta_trainer_resume(&t, path, NULL);
  richeta_trainer_free(t);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_msg(a.failures == 0 && b.failures == 0, "saves failed: %d and %d (%s%s)", a.failures,
                b.failures, a.error, b.error);
  ck_assert_msg(s == RICHETA_OK, "the shared checkpoint does not load: %s",
                richeta_status_string(s));
}
END_TEST

Suite *threads_suite(void) {
  Suite *s = suite_create("threads");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, two_trainers_on_two_threads_match_sequential_runs_bit_for_bit);
  tcase_add_test(tc, same_run_on_two_threads_matches_itself_and_the_sequential_run);
  tcase_add_test(tc, checkpoint_and_resume_on_two_threads_match_sequential_runs);
  tcase_add_test(tc, error_messages_stay_on_their_thread);
  tcase_add_test(tc, concurrent_saves_to_one_path_leave_a_whole_checkpoint);
  suite_add_tcase(s, tc);
  return s;
}
