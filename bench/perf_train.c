/* Issue 8 speed harness (a benchmark, not a test). One measurement per
 * process, so that the peak RSS it prints belongs to that measurement:
 *
 *   perf_train train D N L B C THREADS REPS STEPS   SGD steps of a centered f32 MF MLP
 *                                                   (STEPS = 0: about 0.25 s per repetition)
 *   perf_train chain D N L B C THREADS REPS STEPS   the bare BLAS chain of the same step
 *   perf_train pair  D N L B C THREADS REPS STEPS   both, repetitions interleaved (the RSS
 *                                                   printed is then that of both)
 *   perf_train peak THREADS [SIZE=2048]             large square sgemm (the BLAS peak)
 *   perf_train sweep WORKERS REPS DB [GROUP]        the 64-run gamma x eta0 sweep (e);
 *                                                   GROUP = most runs a worker trains
 *                                                   together (default the library's, 1 = alone)
 *
 * Every mode prints one line of key=value pairs; rates are medians over REPS
 * repetitions of STEPS steps (after a warm-up). The chain is the forward
 * products of theta and theta0, the weight-gradient products and the
 * backpropagation products of the step, with the layouts the model uses,
 * called through the library's BLAS seam: what a step would cost if nothing
 * but sgemm ran. */
#include "numeric/numeric.h"
#include "sweep/sweep_internal.h"
#include <richlazy/richeta.h>
#include <richlazy/sweep.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the process (all threads): on a loaded machine a better
 * single-thread figure than the wall clock, which counts waiting for a core. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static int die(const char *what, const char *msg) {
  fprintf(stderr, "perf_train: %s: %s\n", what, msg);
  return 1;
}

typedef struct shape {
  int64_t D, N, L, B, C;
} shape;

static int64_t rows_of(const shape *s, int64_t l) { return l == s->L - 1 ? s->C : s->N; }
static int64_t cols_of(const shape *s, int64_t l) { return l == 0 ? s->D : s->N; }

/* FLOPs of one centered step: two forwards, weight gradients, and the
 * backpropagated deltas of every layer but the first. */
static double step_flops(const shape *s) {
  double fwd = 0, bwd_x = 0;
  for (int64_t l = 0; l < s->L; l++) {
    double mac = (double)s->B * (double)rows_of(s, l) * (double)cols_of(s, l);
    fwd += 2 * mac;
    if (l > 0)
      bwd_x += 2 * mac;
  }
  return 2 * fwd + fwd + bwd_x;
}

/* Bytes the RSS bound counts: parameters, gradients, optimizer
 * state (none for plain SGD), activations (the model's workspace and the
 * caller's batch) and the centering copy. */
static double model_bytes(const shape *s) {
  double np = 0;
  for (int64_t l = 0; l < s->L; l++)
    np += (double)rows_of(s, l) * (double)(cols_of(s, l) + 1);
  double widest = (double)(s->N > s->C ? s->N : s->C);
  double act = (double)(s->L - 1) * (double)s->B * (double)s->N /* hidden layers */
               + 2.0 * (double)s->B * widest                    /* deltas */
               + 4.0 * (double)s->B * (double)s->C              /* out, out0, y, caller y */
               + 2.0 * (double)s->B * (double)s->D;             /* x buffer, caller x */
  return 4.0 * (3.0 * np + act);
}

static void fill(float *v, int64_t n, unsigned seed) {
  srand(seed);
  for (int64_t i = 0; i < n; i++)
    v[i] = (float)rand() / (float)RAND_MAX - 0.5f;
}

/* STEPS = 0: pick the count that makes a repetition last about 0.25 s. */
static int calibrate(int steps, double seconds_per_step) {
  if (steps > 0)
    return steps;
  double n = 0.25 / (seconds_per_step > 1e-9 ? seconds_per_step : 1e-9);
  return n < 1 ? 1 : n > 1e6 ? 1000000 : (int)n;
}

static void report(const char *mode, const shape *s, int threads, int reps, int steps, double *rate,
                   double *cpu) {
  double sps = median(rate, reps), cpu_us = median(cpu, reps) * 1e6 / steps;
  double fl = step_flops(s);
  double bound = 1.2 * model_bytes(s) / 1048576.0 + 16.0;
  printf("mode=%s D=%lld N=%lld L=%lld B=%lld C=%lld threads=%d reps=%d steps=%d "
         "steps_per_s=%.4g samples_per_s=%.4g us_per_step=%.4g gflop_per_step=%.6g "
         "gflops=%.4g rss_mib=%.1f rss_bound_mib=%.1f min_steps_per_s=%.4g "
         "max_steps_per_s=%.4g cpu_us_per_step=%.4g\n",
         mode, (long long)s->D, (long long)s->N, (long long)s->L, (long long)s->B, (long long)s->C,
         threads, reps, steps, sps, sps * (double)s->B, 1e6 / sps, fl * 1e-9, fl * sps * 1e-9,
         peak_rss_mib(), bound, rate[0], rate[reps - 1], cpu_us);
}

/* A measured workload: one step of it, and its state. */
typedef struct work {
  const shape *s;
  /* train */
  richeta_config *cfg;
  richeta_model *m;
  richeta_optim *o;
  float *y;
  /* chain */
  float *W[64], *W0[64], *G[64], *H[64], *Dl[64];
  /* both */
  float *x;
  int steps;
  double *rate, *cpu;
} work;

static int train_setup(work *w) {
  const shape *s = w->s;
  char spec[256];
  snprintf(spec, sizeof spec,
           "D=%lld,N=%lld,L=%lld,C=%lld,B=%lld,dtype=f32,center=frozen,param=mf,act=relu,"
           "gamma=1,eta0=0.001,seed=0",
           (long long)s->D, (long long)s->N, (long long)s->L, (long long)s->C, (long long)s->B);
  if (richeta_config_new(&w->cfg, NULL) || richeta_config_parse(w->cfg, spec))
    return die("config", richeta_config_last_error(w->cfg));
  if (richeta_model_new(&w->m, w->cfg))
    return die("model", richeta_last_error());
  if (richeta_optim_new(&w->o, w->m, w->cfg))
    return die("optim", richeta_last_error());
  w->x = malloc(sizeof(float) * (size_t)(s->B * s->D));
  w->y = malloc(sizeof(float) * (size_t)(s->B * s->C));
  if (!w->x || !w->y)
    return die("malloc", "out of memory");
  fill(w->x, s->B * s->D, 1);
  fill(w->y, s->B * s->C, 2);
  return 0;
}

static int train_step(work *w) {
  double loss;
  if (richeta_optim_step_f32(w->o, w->x, w->y, w->s->B, &loss))
    return die("step", richeta_optim_last_error(w->o));
  return 0;
}

static void train_free(work *w) {
  free(w->x);
  free(w->y);
  richeta_optim_free(w->o);
  richeta_model_free(w->m);
  richeta_config_free(w->cfg);
}

/* The BLAS calls of one centered step, same shapes and layouts as the model
 * (which, like here, uses gemv for the forward and backpropagation products
 * of a one-sample batch). */
static int chain_step(work *w) {
  const shape *s = w->s;
  for (int pass = 0; pass < 2; pass++) {
    const float *in = w->x;
    for (int64_t l = 0; l < s->L; l++) {
      int64_t r = rows_of(s, l), c = cols_of(s, l);
      const float *Wl = pass ? w->W[l] : w->W0[l];
      if (s->B == 1 ? rlz_gemv_f32(RLZ_NO_TRANS, r, c, 0.5f, Wl, c, in, 0.0f, w->H[l])
                    : rlz_gemm_f32(RLZ_NO_TRANS, RLZ_TRANS, s->B, r, c, 0.5f, in, c, Wl, c, 0.0f,
                                   w->H[l], r))
        return die("chain", "forward product failed");
      in = w->H[l];
    }
  }
  for (int64_t l = s->L - 1; l >= 0; l--) {
    int64_t r = rows_of(s, l), c = cols_of(s, l);
    const float *in = l == 0 ? w->x : w->H[l - 1];
    if (rlz_gemm_f32(RLZ_TRANS, RLZ_NO_TRANS, r, c, s->B, 0.5f, w->Dl[l], r, in, c, 0.0f, w->G[l],
                     c))
      return die("chain", "weight-gradient product failed");
    if (l > 0 &&
        (s->B == 1 ? rlz_gemv_f32(RLZ_TRANS, r, c, 0.5f, w->W[l], c, w->Dl[l], 0.0f, w->Dl[l - 1])
                   : rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, s->B, c, r, 0.5f, w->Dl[l], r,
                                  w->W[l], c, 0.0f, w->Dl[l - 1], c)))
      return die("chain", "backpropagation product failed");
  }
  return 0;
}

static int chain_setup(work *w) {
  const shape *s = w->s;
  if (s->L > 64)
    return die("chain", "L > 64");
  for (int64_t l = 0; l < s->L; l++) {
    int64_t r = rows_of(s, l), c = cols_of(s, l);
    w->W[l] = malloc(sizeof(float) * (size_t)(r * c));
    w->W0[l] = malloc(sizeof(float) * (size_t)(r * c));
    w->G[l] = malloc(sizeof(float) * (size_t)(r * c));
    w->H[l] = malloc(sizeof(float) * (size_t)(s->B * r));
    w->Dl[l] = malloc(sizeof(float) * (size_t)(s->B * r));
    if (!w->W[l] || !w->W0[l] || !w->G[l] || !w->H[l] || !w->Dl[l])
      return die("malloc", "out of memory");
    fill(w->W[l], r * c, 3 + (unsigned)l);
    fill(w->W0[l], r * c, 3 + (unsigned)l);
    fill(w->Dl[l], s->B * r, 7);
  }
  w->x = malloc(sizeof(float) * (size_t)(s->B * s->D));
  if (!w->x)
    return die("malloc", "out of memory");
  fill(w->x, s->B * s->D, 1);
  return 0;
}

static void chain_free(work *w) {
  for (int64_t l = 0; l < w->s->L; l++) {
    free(w->W[l]);
    free(w->W0[l]);
    free(w->G[l]);
    free(w->H[l]);
    free(w->Dl[l]);
  }
  free(w->x);
}

typedef int (*step_fn)(work *);

/* Warm up (10 steps, or STEPS when smaller) and pick the step count. */
static int warm_up(work *w, step_fn step, int steps, int reps) {
  int warm = steps > 0 && steps < 10 ? steps : 10;
  for (int i = 0; i < warm; i++) /* first steps: BLAS buffers, page faults, caches */
    if (step(w))
      return 1;
  double tw = now();
  for (int i = 0; i < warm; i++)
    if (step(w))
      return 1;
  w->steps = calibrate(steps, (now() - tw) / warm);
  w->rate = calloc((size_t)reps, sizeof(double));
  w->cpu = calloc((size_t)reps, sizeof(double));
  return !w->rate || !w->cpu;
}

static int one_rep(work *w, step_fn step, int r) {
  double t0 = now(), c0 = cpu_now();
  for (int i = 0; i < w->steps; i++)
    if (step(w))
      return 1;
  w->rate[r] = w->steps / (now() - t0);
  w->cpu[r] = cpu_now() - c0;
  return 0;
}

/* train / chain alone (the peak RSS is that workload's), or both with their
 * repetitions interleaved, so that a loaded machine slows both alike. */
static int run_mode(const char *mode, const shape *s, int threads, int reps, int steps) {
  int do_train = !strcmp(mode, "train") || !strcmp(mode, "pair");
  int do_chain = !strcmp(mode, "chain") || !strcmp(mode, "pair");
  work t = {.s = s}, c = {.s = s};
  if ((do_train && (train_setup(&t) || warm_up(&t, train_step, steps, reps))) ||
      (do_chain && (chain_setup(&c) || warm_up(&c, chain_step, steps, reps))))
    return 1;
  for (int r = 0; r < reps; r++)
    if ((do_train && one_rep(&t, train_step, r)) || (do_chain && one_rep(&c, chain_step, r)))
      return 1;
  if (do_train)
    report("train", s, threads, reps, t.steps, t.rate, t.cpu);
  if (do_chain)
    report("chain", s, threads, reps, c.steps, c.rate, c.cpu);
  if (do_train)
    train_free(&t);
  if (do_chain)
    chain_free(&c);
  free(t.rate);
  free(t.cpu);
  free(c.rate);
  free(c.cpu);
  return 0;
}

static int run_peak(int threads, int64_t n) {
  float *A = malloc(sizeof(float) * (size_t)(n * n)), *B = malloc(sizeof(float) * (size_t)(n * n)),
        *C = malloc(sizeof(float) * (size_t)(n * n));
  if (!A || !B || !C)
    return die("malloc", "out of memory");
  fill(A, n * n, 1);
  fill(B, n * n, 2);
  double rate[7];
  rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
  for (int r = 0; r < 7; r++) {
    double t0 = now();
    rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
    rate[r] = 2.0 * (double)n * (double)n * (double)n / (now() - t0) * 1e-9;
  }
  printf("mode=peak threads=%d size=%lld gflops=%.4g max_gflops=%.4g\n", threads, (long long)n,
         median(rate, 7), rate[6]);
  return 0;
}

/* (e): 8 gammas in [0.1, 10] x 8 eta0 values in [1e-4, 1e-2], one seed, dense, T=400, one BLAS
 * thread per worker. */
static const char *SWEEP_SPEC = "D=16,N=64,L=3,C=1,B=32,T=400,dtype=f32,center=frozen,param=mf,"
                                "act=relu,task=linear,eval_n=0,seed=0";

static int run_sweep(int workers, int reps, const char *db, int group) {
  richeta_config *cfg = NULL;
  if (richeta_config_new(&cfg, NULL) || richeta_config_parse(cfg, SWEEP_SPEC))
    return die("config", richeta_config_last_error(cfg));
  double *rate = malloc(sizeof(double) * (size_t)reps);
  int64_t conv = 0, n = 0;
  double gammas[8], etas[8]; /* 10^(-1 + 2i/7) and 10^(-4 + 2i/7), as perf_torch.py */
  for (int i = 0; i < 8; i++) {
    gammas[i] = pow(10.0, -1.0 + 2.0 * i / 7.0);
    etas[i] = pow(10.0, -4.0 + 2.0 * i / 7.0);
  }
  for (int r = 0; r < reps; r++) {
    remove(db);
    char side[512];
    snprintf(side, sizeof side, "%s-wal", db);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", db);
    remove(side);
    richeta_sweep *sw = NULL;
    if (richeta_sweep_new(&sw, cfg))
      return die("sweep", richeta_last_error());
    if (richeta_sweep_set_grid_list(sw, RICHETA_SWEEP_AXIS_GAMMA, gammas, 8) ||
        richeta_sweep_set_grid_list(sw, RICHETA_SWEEP_AXIS_ETA0, etas, 8) ||
        richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, RICHETA_SWEEP_DENSE) ||
        richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, workers) ||
        richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_BLAS_SINGLE, 1))
      return die("sweep options", richeta_sweep_last_error(sw));
    if (group > 0)
      sw->group_max = group;
    double t0 = now();
    if (richeta_sweep_run(sw, db, NULL))
      return die("sweep run", richeta_sweep_last_error(sw));
    double dt = now() - t0;
    int32_t st[256];
    if (richeta_sweep_runs(sw, NULL, NULL, NULL, st, NULL, 256, &n))
      return die("sweep runs", richeta_sweep_last_error(sw));
    conv = 0;
    for (int64_t i = 0; i < n; i++)
      conv += st[i] == RICHETA_SWEEP_RUN_CONVERGED;
    rate[r] = (double)n / dt;
    richeta_sweep_free(sw);
  }
  double rps = median(rate, reps);
  printf("mode=sweep workers=%d group=%d reps=%d runs=%lld converged=%lld runs_per_s=%.4g seconds=%.4g "
         "steps_per_s=%.4g rss_mib=%.1f min_runs_per_s=%.4g max_runs_per_s=%.4g\n",
         workers, group > 0 ? group : RLZ_GROUP_MAX, reps, (long long)n, (long long)conv, rps, (double)n / rps, rps * 400.0,
         peak_rss_mib(), rate[0], rate[reps - 1]);
  richeta_config_free(cfg);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return die("usage", "perf_train train|chain|pair|peak|sweep ...");
  const char *mode = argv[1];
  if (!strcmp(mode, "peak")) {
    int th = argc > 2 ? atoi(argv[2]) : 1;
    richeta_blas_set_threads(th);
    return run_peak(th, argc > 3 ? atoll(argv[3]) : 2048);
  }
  if (!strcmp(mode, "sweep")) {
    if (argc < 5)
      return die("usage", "perf_train sweep WORKERS REPS DB [GROUP]");
    int group = argc > 5 ? atoi(argv[5]) : 0;
    if (group < 0 || group > RLZ_GROUP_MAX)
      return die("usage", "GROUP must be in 1..8 (0: the library's default)");
    return run_sweep(atoi(argv[2]), atoi(argv[3]), argv[4], group);
  }
  if (argc < 10)
    return die("usage", "perf_train train|chain|pair D N L B C THREADS REPS STEPS");
  shape s = {atoll(argv[2]), atoll(argv[3]), atoll(argv[4]), atoll(argv[5]), atoll(argv[6])};
  int threads = atoi(argv[7]), reps = atoi(argv[8]), steps = atoi(argv[9]);
  if (s.D < 1 || s.N < 1 || s.L < 2 || s.B < 1 || s.C < 1 || threads < 1 || reps < 1 || steps < 0)
    return die("usage", "sizes, threads and reps must be >= 1, steps >= 0 (L >= 2)");
  if (richeta_blas_set_threads(threads) != RICHETA_OK)
    return die("threads", richeta_last_error());
  if (strcmp(mode, "train") && strcmp(mode, "chain") && strcmp(mode, "pair"))
    return die("usage", "unknown mode");
  return run_mode(mode, &s, threads, reps, steps);
}
