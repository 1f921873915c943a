/* Training throughput of libricheta (not a test): SGD steps per second of a
 * centered mean-field MLP in float32, D=784, N=1024, L=3, C=10, B=128, on a
 * fixed batch (the same measurement as bench/torch_train.py), and the same
 * through the trainer with a synthetic online stream (fresh batch per step).
 *   bench_train [THREADS=1] [STEPS=200]
 * Prints one line per measurement: name, threads, steps per wall-clock
 * second and per CPU-second of the process. */
#include <richlazy/richeta.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time, and CPU time of the whole process: on a busy machine
 * steps per CPU-second is the contention-robust figure (with 1 thread it
 * approximates the wall-clock rate of an idle machine). */
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static const char *SPEC = "D=784,N=1024,L=3,C=10,B=128,dtype=f32,center=frozen,param=mf,"
                          "act=relu,gamma=1,eta0=0.01,seed=0,task=mlp,eval_n=0";

static int die(const char *what, const char *msg) {
  fprintf(stderr, "bench_train: %s: %s\n", what, msg);
  return 1;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  int steps = argc > 2 ? atoi(argv[2]) : 200;
  if (threads < 1 || steps < 1)
    return die("usage", "bench_train [THREADS>=1] [STEPS>=1]");
  if (richeta_blas_set_threads(threads) != RICHETA_OK)
    fprintf(stderr, "bench_train: cannot set BLAS threads: %s\n", richeta_last_error());
  richeta_config *cfg = NULL;
  if (richeta_config_new(&cfg, NULL) || richeta_config_parse(cfg, SPEC))
    return die("config", richeta_config_last_error(cfg));
  char tbuf[64];
  snprintf(tbuf, sizeof tbuf, "T=%d", steps + 10);
  richeta_config_parse(cfg, tbuf);

  /* 1. optimizer steps on a fixed batch */
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  if (richeta_model_new(&m, cfg))
    return die("model", richeta_last_error());
  if (richeta_optim_new(&o, m, cfg))
    return die("optim", richeta_last_error());
  const int B = 128, D = 784, C = 10;
  float *x = malloc(sizeof(float) * B * D), *y = malloc(sizeof(float) * B * C);
  srand(1);
  for (int i = 0; i < B * D; i++)
    x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  for (int i = 0; i < B * C; i++)
    y[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  double loss = 0;
  for (int i = 0; i < 10; i++) /* warm-up: BLAS threads, caches */
    if (richeta_optim_step_f32(o, x, y, B, &loss))
      return die("step", richeta_optim_last_error(o));
  double t0 = now(), c0 = cpu();
  for (int i = 0; i < steps; i++)
    if (richeta_optim_step_f32(o, x, y, B, &loss))
      return die("step", richeta_optim_last_error(o));
  double dt = now() - t0, dc = cpu() - c0;
  printf("richeta_optim_step_f32 fixed-batch threads=%d steps=%d steps_per_s=%.2f "
         "steps_per_cpu_s=%.2f loss=%.4g\n",
         threads, steps, steps / dt, steps / dc, loss);
  richeta_optim_free(o);
  richeta_model_free(m);
  free(x);
  free(y);

  /* 2. the trainer with an online stream (includes generating each batch) */
  richeta_trainer *t = NULL;
  if (richeta_trainer_new(&t, cfg))
    return die("trainer", richeta_last_error());
  richeta_trainer_run(t, 10, NULL);
  t0 = now();
  c0 = cpu();
  if (richeta_trainer_run(t, steps, NULL))
    return die("run", richeta_trainer_last_error(t));
  dt = now() - t0;
  dc = cpu() - c0;
  printf("richeta_trainer_run online-stream threads=%d steps=%d steps_per_s=%.2f "
         "steps_per_cpu_s=%.2f\n",
         threads, steps, steps / dt, steps / dc);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  return 0;
}
