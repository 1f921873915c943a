/* Issue 14 speed harness for the paper's CNN (a benchmark, not a test);
 * with PERF_ARCH=resnet18 in the environment, the same for the muP
 * ResNet-18 (issue 15; its chain is the products of its convolutions and
 * readout, BatchNorm and the residual sums are not products).
 * One measurement per process, so that the peak RSS it prints is that
 * measurement's:
 *
 *   perf_cnn train N C H W B THREADS REPS STEPS [BLOCK]  SGD steps of the centered f32
 *                                                         CNN (arch=cnn, mean-field)
 *   perf_cnn chain N C H W B THREADS REPS STEPS [BLOCK]  the bare chain of the same
 *                                                         step's matrix products
 *   perf_cnn pair  N C H W B THREADS REPS STEPS [BLOCK]  both, repetitions interleaved
 *
 * C is the number of input channels (10 outputs); BLOCK the samples per
 * im2col block (default: the library's). Rates are medians over REPS
 * repetitions of STEPS steps after a warm-up. The chain is every gemm of a
 * step with the shapes and layouts the model uses (the theta0 and theta
 * forwards, the weight gradients, the backpropagated products but the
 * first layer's), taken from the model's own node list and called through
 * the library's BLAS seam: what the step would cost if nothing but sgemm
 * ran. A Winograd convolution's products are its 16 per block (forward,
 * dU, dV) with the model's blocks; on several threads the chain's products
 * are BLAS-threaded, where the model's team splits the samples instead.
 * gflop_per_step counts direct convolution (im2col) FLOPs, so train_gflops
 * of a Winograd model is an effective rate. The RSS bound is the issue's:
 * 1.3 x (parameters + gradients + theta0 + kept activations + the largest
 * im2col block, or Winograd's per-thread buffers) + 16 MiB. */
#include "model/model_internal.h"
#include "nn/nn.h"
#include "numeric/numeric.h"
#include <richlazy/richeta.h>

#include <math.h>
#include <stdbool.h>
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

/* CPU time of the process (all threads): with one BLAS thread on a loaded
 * machine, a steadier figure than the wall clock. */
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
  return (double)ru.ru_maxrss / 1024.0;
}

static int die(const char *what, const char *msg) {
  fprintf(stderr, "perf_cnn: %s: %s\n", what, msg);
  return 1;
}

static void fill(float *v, int64_t n, unsigned seed) {
  srand(seed);
  for (int64_t i = 0; i < n; i++)
    v[i] = (float)rand() / (float)RAND_MAX - 0.5f;
}

typedef struct work {
  int64_t N, Cin, H, W, B, block;
  int threads;
  richeta_config *cfg;
  richeta_model *m;
  richeta_optim *o;
  const rlz_graph *g;
  float *x, *y;
  /* chain: per node a weight, a weight gradient, an input (dense: the
   * previous layer's output after pooling/flatten), an output, a delta,
   * and the input's delta; convolutions read and write one im2col block */
  float **Wt, **Gt, **In, **Out, **Dl, **Din, *col;
  /* Winograd nodes (the model's plan): U in Wt, dU in Gt, one block's
   * transformed inputs and products */
  float *wv, *wm;
  double flops;
} work;

/* Whether node i runs by Winograd, its block, its tiles per sample. */
static bool wino(const work *w, int i) { return rlz_net_node_winograd(rlz_model_net(w->m), i); }
static int64_t node_block(const work *w, int i) { return rlz_net_node_block(rlz_model_net(w->m), i); }
static int64_t tiles(const rlz_node *nd) { return rlz_wino_th(nd) * rlz_wino_tw(nd); }

/* Rows of a node's gemm for B samples (conv: one per output pixel). */
static int64_t gemm_rows(const rlz_node *nd, int64_t B) {
  return nd->op == RLZ_OP_CONV2D ? B * nd->h * nd->w : B;
}

/* Nodes whose step is matrix products. */
static bool is_product(const rlz_node *nd) {
  return nd->op == RLZ_OP_CONV2D || nd->op == RLZ_OP_DENSE;
}

static int setup(work *w) {
  char spec[512];
  const char *arch = getenv("PERF_ARCH");
  bool resnet = arch && !strcmp(arch, "resnet18");
  snprintf(spec, sizeof spec,
           "arch=%s,N=%lld,C=10,D=%lld,image_channels=%lld,image_height=%lld,"
           "image_width=%lld,B=%lld,dtype=f32,center=frozen,param=mf,act=relu,gamma=1,"
           "eta0=1e-4,seed=0",
           resnet ? "resnet18,L=3" : "cnn,L=4", (long long)w->N, (long long)(w->Cin * w->H * w->W),
           (long long)w->Cin, (long long)w->H, (long long)w->W, (long long)w->B);
  if (richeta_config_new(&w->cfg, NULL) || richeta_config_parse(w->cfg, spec))
    return die("config", richeta_config_last_error(w->cfg));
  if (richeta_model_new(&w->m, w->cfg))
    return die("model", richeta_last_error());
  if (richeta_optim_new(&w->o, w->m, w->cfg))
    return die("optim", richeta_last_error());
  w->g = rlz_model_graph(w->m);
  int64_t D = w->g->in_size;
  w->x = malloc(sizeof(float) * (size_t)(w->B * D));
  w->y = malloc(sizeof(float) * (size_t)(w->B * 10));
  if (!w->x || !w->y)
    return die("malloc", "out of memory");
  fill(w->x, w->B * D, 1);
  fill(w->y, w->B * 10, 2);
  /* FLOPs of the step's products */
  double f = 0;
  for (int i = 1; i < w->g->n; i++) {
    const rlz_node *nd = &w->g->nodes[i];
    if (!is_product(nd))
      continue;
    double mac = (double)gemm_rows(nd, w->B) * (double)nd->rows * (double)nd->cols;
    f += 2 * 2 * mac + 2 * mac + (nd->in > 0 ? 2 * mac : 0); /* 2 forwards, dW, dX */
  }
  w->flops = f;
  return 0;
}

static int train_step(work *w) {
  double loss;
  if (richeta_optim_step_f32(w->o, w->x, w->y, w->B, &loss))
    return die("step", richeta_optim_last_error(w->o));
  return 0;
}

static int chain_setup(work *w) {
  int n = w->g->n;
  w->Wt = calloc((size_t)n, sizeof(float *));
  w->Gt = calloc((size_t)n, sizeof(float *));
  w->In = calloc((size_t)n, sizeof(float *));
  w->Out = calloc((size_t)n, sizeof(float *));
  w->Dl = calloc((size_t)n, sizeof(float *));
  w->Din = calloc((size_t)n, sizeof(float *));
  int64_t colmax = 0, vmax = 0, mmax = 0;
  for (int i = 1; i < n; i++) {
    const rlz_node *nd = &w->g->nodes[i];
    if (!is_product(nd))
      continue;
    int64_t m = gemm_rows(nd, nd->op == RLZ_OP_CONV2D ? w->block : w->B), wsz = nd->rows * nd->cols;
    if (wino(w, i)) {
      int64_t pt = node_block(w, i) * tiles(nd), ci = nd->cols / 9;
      vmax = 16 * pt * ci > vmax ? 16 * pt * ci : vmax;
      mmax = 16 * pt * nd->rows > mmax ? 16 * pt * nd->rows : mmax;
      wsz = 16 * ci * nd->rows;
    } else if (nd->op == RLZ_OP_CONV2D && m * nd->cols > colmax) {
      colmax = m * nd->cols;
    }
    w->Wt[i] = malloc(sizeof(float) * (size_t)wsz);
    w->Gt[i] = malloc(sizeof(float) * (size_t)wsz);
    w->Out[i] = malloc(sizeof(float) * (size_t)(gemm_rows(nd, w->B) * nd->rows));
    w->Dl[i] = malloc(sizeof(float) * (size_t)(gemm_rows(nd, w->B) * nd->rows));
    if (nd->op == RLZ_OP_DENSE) {
      w->In[i] = malloc(sizeof(float) * (size_t)(w->B * nd->cols));
      w->Din[i] = malloc(sizeof(float) * (size_t)(w->B * nd->cols));
      if (!w->In[i] || !w->Din[i])
        return die("malloc", "out of memory");
      fill(w->In[i], w->B * nd->cols, 10);
    }
    if (!w->Wt[i] || !w->Gt[i] || !w->Out[i] || !w->Dl[i])
      return die("malloc", "out of memory");
    fill(w->Wt[i], wsz, 3 + (unsigned)i);
    fill(w->Dl[i], gemm_rows(nd, w->B) * nd->rows, 7);
    fill(w->Out[i], gemm_rows(nd, w->B) * nd->rows, 8);
  }
  w->col = malloc(sizeof(float) * (size_t)(colmax > 0 ? colmax : 1));
  w->wv = malloc(sizeof(float) * (size_t)(vmax > 0 ? vmax : 1));
  w->wm = malloc(sizeof(float) * (size_t)(mmax > 0 ? mmax : 1));
  if (!w->col || !w->wv || !w->wm)
    return die("malloc", "out of memory");
  fill(w->col, colmax, 9);
  fill(w->wv, vmax, 11);
  fill(w->wm, mmax, 12);
  return 0;
}

/* A Winograd node's 16 products of one block of cnt samples: the forward
 * (pass 0), or the weight gradient's and, with dx, the input delta's. */
static int wino_chain(work *w, int i, int64_t cnt, int pass, bool first, bool dx) {
  const rlz_node *nd = &w->g->nodes[i];
  int64_t pt = cnt * tiles(nd), ci = nd->cols / 9, co = nd->rows;
  for (int xi = 0; xi < 16; xi++) {
    float *v = w->wv + xi * pt * ci, *m = w->wm + xi * pt * co;
    float *u = w->Wt[i] + xi * co * ci, *du = w->Gt[i] + xi * co * ci;
    if (pass == 0 && rlz_gemm_f32(RLZ_NO_TRANS, RLZ_TRANS, pt, co, ci, 0.5f, v, ci, u, ci, 0.0f, m,
                                  co))
      return die("chain", "Winograd product failed");
    if (pass == 1 && rlz_gemm_f32(RLZ_TRANS, RLZ_NO_TRANS, co, ci, pt, 0.5f, m, co, v, ci,
                                  first ? 0.0f : 1.0f, du, ci))
      return die("chain", "Winograd weight-gradient product failed");
    if (pass == 1 && dx &&
        rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, pt, ci, co, 0.5f, m, co, u, ci, 0.0f, v, ci))
      return die("chain", "Winograd backpropagation product failed");
  }
  return 0;
}

/* The products of one step, block by block for the convolutions, as the
 * model makes them (the im2col input is a stand-in of the same shape; a
 * Winograd node's transformed blocks likewise). */
static int chain_step(work *w) {
  const rlz_graph *g = w->g;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 1; i < g->n; i++) {
      const rlz_node *nd = &g->nodes[i];
      if (!is_product(nd))
        continue;
      if (wino(w, i)) {
        for (int64_t s0 = 0, bs = node_block(w, i); s0 < w->B; s0 += bs)
          if (wino_chain(w, i, w->B - s0 < bs ? w->B - s0 : bs, 0, false, false))
            return 1;
        continue;
      }
      bool conv = nd->op == RLZ_OP_CONV2D;
      int64_t bs = conv ? w->block : w->B;
      for (int64_t s0 = 0; s0 < w->B; s0 += bs) {
        int64_t cnt = w->B - s0 < bs ? w->B - s0 : bs, m = gemm_rows(nd, cnt);
        const float *in = conv ? w->col : w->In[i];
        if (rlz_gemm_f32(RLZ_NO_TRANS, RLZ_TRANS, m, nd->rows, nd->cols, 0.5f, in, nd->cols,
                         w->Wt[i], nd->cols, 0.0f, w->Out[i] + s0 * nd->size, nd->rows))
          return die("chain", "forward product failed");
      }
    }
  for (int i = g->n - 1; i >= 1; i--) {
    const rlz_node *nd = &g->nodes[i];
    if (!is_product(nd))
      continue;
    if (wino(w, i)) {
      for (int64_t s0 = 0, bs = node_block(w, i); s0 < w->B; s0 += bs)
        if (wino_chain(w, i, w->B - s0 < bs ? w->B - s0 : bs, 1, s0 == 0, nd->in > 0))
          return 1;
      continue;
    }
    bool conv = nd->op == RLZ_OP_CONV2D;
    int64_t bs = conv ? w->block : w->B;
    for (int64_t s0 = 0; s0 < w->B; s0 += bs) {
      int64_t cnt = w->B - s0 < bs ? w->B - s0 : bs, m = gemm_rows(nd, cnt);
      const float *in = conv ? w->col : w->In[i];
      const float *d = w->Dl[i] + s0 * nd->size;
      if (rlz_gemm_f32(RLZ_TRANS, RLZ_NO_TRANS, nd->rows, nd->cols, m, 0.5f, d, nd->rows, in,
                       nd->cols, s0 ? 1.0f : 0.0f, w->Gt[i], nd->cols))
        return die("chain", "weight-gradient product failed");
      if (nd->in > 0) {
        float *dst = conv ? w->col : w->Din[i];
        if (rlz_gemm_f32(RLZ_NO_TRANS, RLZ_NO_TRANS, m, nd->cols, nd->rows, 0.5f, d, nd->rows,
                         w->Wt[i], nd->cols, 0.0f, dst, nd->cols))
          return die("chain", "backpropagation product failed");
      }
    }
  }
  return 0;
}

/* The memory bound from the model's own node list. */
static double bound_mib(const work *w) {
  const rlz_graph *g = w->g;
  double bytes = 3.0 * 4.0 * (double)g->nparams, col = 0;
  double team = rlz_model_has_team(w->m) ? w->threads : 1; /* per-thread buffers */
  for (int i = 1; i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    bytes += 4.0 * (double)w->B * (double)nd->size; /* kept output */
    if (wino(w, i)) { /* per thread: V, M and dU; and U */
      double ci = (double)nd->cols / 9, co = (double)nd->rows;
      double pt = (double)node_block(w, i) * (double)tiles(nd);
      col = fmax(col, 4.0 * (16 * pt * (ci + co) * team + 16 * ci * co * (1 + team)));
    } else if (nd->op == RLZ_OP_CONV2D) {
      col = fmax(col, 4.0 * (double)gemm_rows(nd, w->block) * (double)nd->cols * team);
    }
  }
  return 1.3 * (bytes + col) / 1048576.0 + 16.0;
}

typedef int (*step_fn)(work *);

static int measure(work *w, step_fn f, int steps, double *rate, double *cpu_rate) {
  double t = now(), c = cpu_now();
  for (int s = 0; s < steps; s++)
    if (f(w))
      return 1;
  *rate = steps / (now() - t);
  *cpu_rate = steps / (cpu_now() - c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 10)
    return die("usage", "perf_cnn train|chain|pair N C H W B THREADS REPS STEPS [BLOCK]");
  const char *mode = argv[1];
  work w = {0};
  w.N = atoll(argv[2]);
  w.Cin = atoll(argv[3]);
  w.H = atoll(argv[4]);
  w.W = atoll(argv[5]);
  w.B = atoll(argv[6]);
  int threads = atoi(argv[7]), reps = atoi(argv[8]), steps = atoi(argv[9]);
  if (reps < 1 || reps > 64 || steps < 1)
    return die("usage", "REPS in [1, 64], STEPS >= 1");
  w.threads = threads;
  if (richeta_blas_set_threads(threads) != RICHETA_OK)
    return die("threads", richeta_last_error());
  if (setup(&w))
    return 1;
  /* the model's im2col block, unless given */
  w.block = argc > 10 ? atoll(argv[10]) : w.B;
  if (argc > 10)
    rlz_model_set_conv_block(w.m, w.block);
  else
    w.block = rlz_model_conv_block(w.m);
  bool tr = !strcmp(mode, "train") || !strcmp(mode, "pair");
  bool ch = !strcmp(mode, "chain") || !strcmp(mode, "pair");
  if (!tr && !ch)
    return die("usage", "mode is train, chain or pair");
  if (ch && chain_setup(&w))
    return 1;
  double rt[64], rc[64], ct[64], cc[64];
  for (int i = 0; i < 3; i++) /* warm-up: BLAS buffers, page faults */
    if ((tr && train_step(&w)) || (ch && chain_step(&w)))
      return 1;
  for (int r = 0; r < reps; r++) {
    if (tr && measure(&w, train_step, steps, &rt[r], &ct[r]))
      return 1;
    if (ch && measure(&w, chain_step, steps, &rc[r], &cc[r]))
      return 1;
  }
  double t = tr ? median(rt, reps) : NAN, c = ch ? median(rc, reps) : NAN;
  double tc = tr ? median(ct, reps) : NAN, chc = ch ? median(cc, reps) : NAN;
  printf("mode=%s N=%lld C=%lld H=%lld W=%lld B=%lld threads=%d reps=%d steps=%d block=%lld "
         "train_steps_per_s=%.4g chain_steps_per_s=%.4g ratio=%.4f gflop_per_step=%.5g "
         "train_gflops=%.4g rss_mib=%.1f rss_bound_mib=%.1f params=%lld cpu_train_steps_per_s=%.4g "
         "cpu_chain_steps_per_s=%.4g cpu_ratio=%.4f\n",
         mode, (long long)w.N, (long long)w.Cin, (long long)w.H, (long long)w.W, (long long)w.B,
         threads, reps, steps, (long long)w.block, t, c, t / c, w.flops * 1e-9, t * w.flops * 1e-9,
         peak_rss_mib(), bound_mib(&w), (long long)w.g->nparams, tc, chc, tc / chc);
  return 0;
}
