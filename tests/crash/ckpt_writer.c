/* Helper of the crash tests (kill_checkpoint.py).
 *
 *   ckpt_writer write PATH   resume from PATH when it exists (else start a
 *                            fresh run), then forever: 3 steps, save PATH,
 *                            print "saved STEP" and flush. Meant to be
 *                            killed with SIGKILL at a random moment.
 *   ckpt_writer verify PATH MIN_STEP
 *                            PATH must load (resume) with status OK at a
 *                            step >= MIN_STEP that is a multiple of 3, its
 *                            parameters must equal bit for bit those of an
 *                            uninterrupted run to that step, and training
 *                            must go on from it. Prints "ok STEP".
 * Exit status: 0 on success, 1 on failure (with a reason on stderr). */
#include <richlazy/richeta.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Small model, many steps: a save takes about as long as the steps between. */
static const char *spec = "D=16,N=64,C=2,L=3,B=16,T=100000000,eval_n=16,gamma=0.5,eta0=0.02,"
                          "act=tanh,task=mlp,teacher_N=16,seed=11,data_seed=12,dtype=f64,"
                          "log_per_decade=2";

#define CHUNK 3

static int die(const char *what, richeta_status s, const char *msg) {
  fprintf(stderr, "ckpt_writer: %s: %s (%s)\n", what, richeta_status_string(s), msg);
  return 1;
}

static int fresh(richeta_trainer **t) {
  richeta_config *cfg = NULL;
  richeta_status s = richeta_config_new(&cfg, NULL);
  if (s == RICHETA_OK)
    s = richeta_config_parse(cfg, spec);
  if (s == RICHETA_OK)
    s = richeta_trainer_new(t, cfg);
  const char *msg = cfg ? richeta_config_last_error(cfg) : richeta_last_error();
  int rc = s == RICHETA_OK ? 0 : die("create", s, msg);
  richeta_config_free(cfg);
  return rc;
}

static int write_loop(const char *path) {
  richeta_trainer *t = NULL;
  richeta_status s;
  if (access(path, F_OK) == 0) {
    s = richeta_trainer_resume(&t, path, NULL);
    if (s != RICHETA_OK)
      return die("resume at start", s, richeta_last_error());
  } else if (fresh(&t) != 0) {
    return 1;
  }
  for (;;) {
    s = richeta_trainer_run(t, CHUNK, NULL);
    if (s != RICHETA_OK)
      return die("run", s, richeta_trainer_last_error(t));
    s = richeta_trainer_save(t, path);
    if (s != RICHETA_OK)
      return die("save", s, richeta_trainer_last_error(t));
    int64_t step = 0;
    richeta_trainer_step(t, &step);
    printf("saved %lld\n", (long long)step);
    fflush(stdout);
  }
}

static int params_of(richeta_trainer *t, double **out, int64_t *n) {
  richeta_model *m = richeta_trainer_model(t);
  if (richeta_model_num_params(m, n) != RICHETA_OK)
    return 1;
  *out = malloc((size_t)*n * sizeof **out);
  return !*out || richeta_model_get_params(m, *out, *n) != RICHETA_OK;
}

static int verify(const char *path, long long min_step) {
  richeta_trainer *t = NULL, *ref = NULL;
  richeta_status s = richeta_trainer_resume(&t, path, NULL);
  if (s != RICHETA_OK)
    return die("resume", s, richeta_last_error());
  int64_t step = -1;
  richeta_trainer_step(t, &step);
  if (step < min_step || step % CHUNK != 0) {
    fprintf(stderr, "ckpt_writer: checkpoint at step %lld, expected >= %lld and a multiple of %d\n",
            (long long)step, min_step, CHUNK);
    return 1;
  }
  if (fresh(&ref) != 0)
    return 1;
  for (int64_t done = 0; done < step; done += CHUNK)
    if ((s = richeta_trainer_run(ref, CHUNK, NULL)) != RICHETA_OK)
      return die("reference run", s, richeta_trainer_last_error(ref));
  double *a = NULL, *b = NULL;
  int64_t na = 0, nb = 0;
  if (params_of(t, &a, &na) || params_of(ref, &b, &nb) || na != nb ||
      memcmp(a, b, (size_t)na * sizeof *a) != 0) {
    fprintf(stderr, "ckpt_writer: parameters at step %lld differ from an uninterrupted run\n",
            (long long)step);
    return 1;
  }
  free(a);
  free(b);
  if ((s = richeta_trainer_run(t, CHUNK, NULL)) != RICHETA_OK)
    return die("run after resume", s, richeta_trainer_last_error(t));
  richeta_trainer_free(t);
  richeta_trainer_free(ref);
  printf("ok %lld\n", (long long)step);
  return 0;
}

int main(int argc, char **argv) {
  richeta_blas_set_threads(1);
  if (argc == 3 && strcmp(argv[1], "write") == 0)
    return write_loop(argv[2]);
  if (argc == 4 && strcmp(argv[1], "verify") == 0)
    return verify(argv[2], atoll(argv[3]));
  fprintf(stderr, "usage: ckpt_writer write PATH | verify PATH MIN_STEP\n");
  return 2;
}
