/* Winograd F(2x2, 3x3) convolutions (lib/nn/winograd.inc) against the
 * im2col path of the same nets, which the finite-difference and PyTorch
 * checks cover: outputs, every parameter gradient and the input's delta, in
 * float64 (to rounding) and float32 (the default path) against float64
 * im2col; odd and even image sides, bias and fused activation, batch
 * normalization and residual sums around them, batches spanning several
 * blocks. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <richlazy/richeta.h>

#include "core/rng.h"
#include "nn/nn.h"

Suite *winograd_suite(void);

typedef struct wcase {
  const char *name;
  int64_t c, h, w, width;
} wcase;

static const wcase wcases[] = {
    {"8x8, 16 channels", 3, 8, 8, 16},
    {"7x5 (odd sides), 17 channels", 2, 7, 5, 17},
    {"1x3, 16 channels", 1, 1, 3, 16},
};

/* stem (im2col: CHW input) -> BN -> relu -> [3x3 s1 p1 conv (Winograd), bias
 * and tanh fused] -> [3x3 s1 p1 conv, no bias] -> BN -> + stem path -> relu
 * -> pool -> flatten -> readout. */
static void build(const wcase *wc, rlz_graph *g, const rlz_alloc *a) {
  const richeta_parameterization p = RICHETA_PARAMETERIZATION_MF;
  const richeta_conv_scale cs = RICHETA_CONV_SCALE_CHANNELS;
  ck_assert_int_eq(rlz_graph_begin(g, a, NULL, 16, wc->c, wc->h, wc->w), RICHETA_OK);
  int x = rlz_graph_conv(g, 0, wc->width, 3, 1, 1, 0, RICHETA_ACTIVATION_IDENTITY,
                         RLZ_ROLE_STD_HIDDEN, p, 0.7, cs);
  x = rlz_graph_act(g, rlz_graph_batchnorm(g, x), RICHETA_ACTIVATION_RELU);
  int h = rlz_graph_conv(g, x, wc->width + 1, 3, 1, 1, 1, RICHETA_ACTIVATION_TANH,
                         RLZ_ROLE_STD_HIDDEN, p, 0.7, cs);
  h = rlz_graph_conv(g, h, wc->width, 3, 1, 1, 0, RICHETA_ACTIVATION_IDENTITY,
                     RLZ_ROLE_STD_HIDDEN, p, 0.7, cs);
  h = rlz_graph_act(g, rlz_graph_add(g, rlz_graph_batchnorm(g, h), x), RICHETA_ACTIVATION_RELU);
  h = rlz_graph_flatten(g, rlz_graph_avgpool(g, h, 1));
  h = rlz_graph_dense(g, h, 3, 1, RICHETA_ACTIVATION_IDENTITY, RLZ_ROLE_READOUT, p, 0.7);
  ck_assert_int_ge(h, 0);
  ck_assert_int_eq(rlz_graph_end(g, NULL, 1.0), RICHETA_OK);
}

enum { B = 5 };

/* Output f and gradient grad (MSE against y; the stem's gradient carries
 * the Winograd convolutions' input delta) of a net of dtype dt, and how
 * many of its convolutions ran by Winograd. */
typedef struct result {
  double f[B * 3], *grad;
  int wino_nodes;
} result;

static void run(const rlz_graph *g, richeta_dtype dt, unsigned flags, int64_t block, int threads,
                const double *P, const double *x, const double *y, result *r) {
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_net *n = NULL;
  unsigned team = threads > 1 ? RLZ_NET_TEAM(threads) : 0u;
  ck_assert_int_eq(rlz_net_new(&n, g, dt, B, RLZ_NET_TRAIN | flags | team, &a, NULL), RICHETA_OK);
  ck_assert(rlz_net_has_team(n) == (threads > 1));
  if (block)
    rlz_net_set_conv_block(n, block);
  r->wino_nodes = rlz_net_winograd_nodes(n);
  int64_t np = g->nparams, C = g->out_size, D = g->in_size;
  r->grad = malloc((size_t)np * sizeof(double));
  if (dt == RICHETA_DTYPE_F64) {
    double dout[B * 3];
    ck_assert_int_eq(rlz_net_forward(n, P, x, 0, g->n - 1, B, r->f), RICHETA_OK);
    rlz_loss_sum_f64(RICHETA_LOSS_MSE, r->f, y, B, C, B, dout);
    double bound = 0;
    ck_assert_int_eq(rlz_net_backward(n, P, x, B, dout, r->grad, true, &bound), RICHETA_OK);
  } else {
    float *pf = malloc((size_t)np * sizeof(float)), *gf = malloc((size_t)np * sizeof(float));
    float *xf = malloc((size_t)(B * D) * sizeof(float)), ff[B * 3], yf[B * 3], dout[B * 3];
    for (int64_t i = 0; i < np; i++)
      pf[i] = (float)P[i];
    for (int64_t i = 0; i < B * D; i++)
      xf[i] = (float)x[i];
    for (int64_t i = 0; i < B * C; i++)
      yf[i] = (float)y[i];
    ck_assert_int_eq(rlz_net_forward(n, pf, xf, 0, g->n - 1, B, ff), RICHETA_OK);
    rlz_loss_sum_f32(RICHETA_LOSS_MSE, ff, yf, B, C, B, dout);
    double bound = 0;
    ck_assert_int_eq(rlz_net_backward(n, pf, xf, B, dout, gf, true, &bound), RICHETA_OK);
    for (int64_t i = 0; i < np; i++)
      r->grad[i] = gf[i];
    for (int64_t i = 0; i < B * C; i++)
      r->f[i] = ff[i];
    free(pf), free(gf), free(xf);
  }
  rlz_net_free(n);
}

/* max |a - b| / max |b| over n values */
static double rel_dev(int64_t n, const double *a, const double *b) {
  double d = 0, m = 0;
  for (int64_t i = 0; i < n; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    m = fmax(m, fabs(b[i]));
  }
  ck_assert(m > 0);
  return d / m;
}

START_TEST(winograd_matches_im2col) {
  const wcase *wc = &wcases[_i];
  /* one BLAS thread: teams only where the flag asks (RLZ_NET_TEAM) */
  ck_assert_int_eq(richeta_blas_set_threads(1), RICHETA_OK);
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_graph g;
  build(wc, &g, &a);
  int64_t np = g.nparams;
  double *P = malloc((size_t)np * sizeof(double)), *x = malloc((size_t)(B * g.in_size) * sizeof(double));
  double y[B * 3];
  rlz_rng_normals(3 + (uint64_t)_i, 1, 0, np, P);
  rlz_rng_normals(4 + (uint64_t)_i, 1, 0, B * g.in_size, x);
  rlz_rng_normals(5 + (uint64_t)_i, 1, 0, B * 3, y);
  for (int64_t i = 0; i < np; i++)
    P[i] *= 0.7;
  result ref, w64, w64b, w64t, w32;
  run(&g, RICHETA_DTYPE_F64, RLZ_NET_NO_WINOGRAD, 0, 1, P, x, y, &ref);
  run(&g, RICHETA_DTYPE_F64, RLZ_NET_WINOGRAD, 0, 1, P, x, y, &w64);
  run(&g, RICHETA_DTYPE_F64, RLZ_NET_WINOGRAD, 2, 1, P, x, y, &w64b); /* 3 blocks of <= 2 */
  /* a team of 2 (shares of 2 and 3 samples, blocks of 2) and of 3 */
  run(&g, RICHETA_DTYPE_F64, RLZ_NET_WINOGRAD, 2, 2, P, x, y, &w64t);
  run(&g, RICHETA_DTYPE_F32, 0, 0, 3, P, x, y, &w32);
  ck_assert_int_eq(ref.wino_nodes, 0);
  ck_assert_int_eq(w64.wino_nodes, 2); /* the stem (CHW, few channels) stays im2col */
  ck_assert_int_eq(w32.wino_nodes, 2);
  double e_f = rel_dev(B * 3, w64.f, ref.f), e_g = rel_dev(np, w64.grad, ref.grad);
  double e_fb = rel_dev(B * 3, w64b.f, ref.f), e_gb = rel_dev(np, w64b.grad, ref.grad);
  double e_ft = rel_dev(B * 3, w64t.f, ref.f), e_gt = rel_dev(np, w64t.grad, ref.grad);
  double e_f32 = rel_dev(B * 3, w32.f, ref.f), e_g32 = rel_dev(np, w32.grad, ref.grad);
  fprintf(stderr,
          "# winograd [%s]: f64 output %.2e grad %.2e; blocks of 2: %.2e %.2e; 2 threads: %.2e "
          "%.2e; f32 (3 threads): %.2e %.2e\n",
          wc->name, e_f, e_g, e_fb, e_gb, e_ft, e_gt, e_f32, e_g32);
  ck_assert_msg(e_f < 1e-13 && e_g < 1e-12, "f64: output %g, gradient %g", e_f, e_g);
  ck_assert_msg(e_fb < 1e-13 && e_gb < 1e-12, "f64 blocks: output %g, gradient %g", e_fb, e_gb);
  ck_assert_msg(e_ft < 1e-13 && e_gt < 1e-12, "f64 team: output %g, gradient %g", e_ft, e_gt);
  ck_assert_msg(e_f32 < 1e-5 && e_g32 < 1e-4, "f32: output %g, gradient %g", e_f32, e_g32);
  /* and a wrong transform shows: perturb one weight of the Winograd conv */
  const rlz_node *wn = NULL;
  for (int i = 1; i < g.n && !wn; i++)
    if (g.nodes[i].op == RLZ_OP_CONV2D && g.nodes[i].in > 0)
      wn = &g.nodes[i];
  ck_assert_ptr_nonnull(wn);
  P[wn->woff + 4] += 1e-6;
  result moved;
  run(&g, RICHETA_DTYPE_F64, RLZ_NET_WINOGRAD, 0, 1, P, x, y, &moved);
  ck_assert(rel_dev(np, moved.grad, ref.grad) > 1e-9);
  free(ref.grad), free(w64.grad), free(w64b.grad), free(w64t.grad), free(w32.grad), free(moved.grad);
  free(P), free(x);
  rlz_graph_free(&g, &a);
}
END_TEST

/* A net made while BLAS has 2 threads gets a team of 2, and its passes
 * leave BLAS's thread count as they found it; where BLAS cannot have 2
 * threads (the reference loops), no team. */
START_TEST(team_follows_blas_threads) {
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_graph g;
  build(&wcases[0], &g, &a);
  int before = richeta_blas_get_threads();
  richeta_status two = richeta_blas_set_threads(2);
  ck_assert(two == RICHETA_OK || two == RICHETA_ERR_UNSUPPORTED);
  rlz_net *n = NULL;
  ck_assert_int_eq(rlz_net_new(&n, &g, RICHETA_DTYPE_F32, B, RLZ_NET_TRAIN, &a, NULL), RICHETA_OK);
  ck_assert(rlz_net_has_team(n) == (two == RICHETA_OK));
  float *P = calloc((size_t)g.nparams, sizeof(float)), *x = calloc((size_t)(B * g.in_size), sizeof(float));
  float f[B * 3];
  for (int64_t i = 0; i < g.nparams; i++)
    P[i] = (float)sin(0.37 * (double)i);
  ck_assert_int_eq(rlz_net_forward(n, P, x, 0, g.n - 1, B, f), RICHETA_OK);
  ck_assert_int_eq(richeta_blas_get_threads(), two == RICHETA_OK ? 2 : before);
  rlz_net_free(n);
  free(P), free(x);
  richeta_blas_set_threads(before);
  rlz_graph_free(&g, &a);
}
END_TEST

#define N_(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *winograd_suite(void) {
  Suite *s = suite_create("winograd");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, winograd_matches_im2col, 0, N_(wcases));
  tcase_add_test(tc, team_follows_blas_threads);
  suite_add_tcase(s, tc);
  return s;
}
