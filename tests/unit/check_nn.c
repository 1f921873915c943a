/* The model core (lib/nn): every op's gradient and Hessian-vector product
 * against finite differences in float64 (small node lists built with the
 * core's own builder: strided and padded convolutions on CHW and HWC
 * inputs, pooling with a floor, flatten, fused and separate activations,
 * residual sums, batch normalization with batch and running statistics,
 * 1x1 convolutions without im2col),
 * the whole CNN through the public model API in every variant, float32
 * against float64, exact centering at initialisation, the layer layout in
 * PyTorch's order, and bad image shapes. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "diag/diag_internal.h"
#include "model/model_internal.h"
#include "nn/nn.h"

Suite *nn_suite(void);

static void normals(uint64_t seed, int64_t n, double scale, double *v) {
  rlz_rng_normals(seed, 77, 0, n, v);
  for (int64_t i = 0; i < n; i++)
    v[i] *= scale;
}

/* ---- op-level checks on small node lists ------------------------------ */

typedef struct op_case {
  const char *name;
  int64_t c, h, w; /* input */
  int64_t C;       /* outputs */
  richeta_loss loss;
  int bn; /* 0: no batch normalization, 1: batch statistics, 2: running statistics */
} op_case;

/* Graphs: every op and both layouts, smooth activations (finite
 * differences need no kink nearby). */
static void build(int which, rlz_graph *g, const rlz_alloc *a, const op_case *oc) {
  const richeta_parameterization p = RICHETA_PARAMETERIZATION_MF;
  const double gamma = 0.7;
  ck_assert_int_eq(rlz_graph_begin(g, a, NULL, 24, oc->c, oc->h, oc->w), RICHETA_OK);
  int cur = 0;
  switch (which) {
  case 0: /* strided, padded conv on a CHW input; pool with a floor; flatten */
    cur = rlz_graph_conv(g, cur, 3, 3, 2, 1, 1, RICHETA_ACTIVATION_TANH, RLZ_ROLE_STD_HIDDEN, p,
                         gamma, RICHETA_CONV_SCALE_CHANNELS);
    cur = rlz_graph_avgpool(g, cur, 2);
    cur = rlz_graph_flatten(g, cur);
    cur = rlz_graph_dense(g, cur, 5, 1, RICHETA_ACTIVATION_GELU, RLZ_ROLE_STD_HIDDEN, p, gamma);
    break;
  case 1: /* conv -> separate activation op -> padded conv on an HWC input */
    cur = rlz_graph_conv(g, cur, 4, 3, 1, 0, 1, RICHETA_ACTIVATION_IDENTITY, RLZ_ROLE_STD_HIDDEN, p,
                         gamma, RICHETA_CONV_SCALE_FAN_IN);
    cur = rlz_graph_act(g, cur, RICHETA_ACTIVATION_TANH); /* an activation node of its own */
    cur = rlz_graph_conv(g, cur, 2, 2, 1, 1, 1, RICHETA_ACTIVATION_GELU, RLZ_ROLE_STD_HIDDEN, p,
                         gamma, RICHETA_CONV_SCALE_CHANNELS);
    cur = rlz_graph_avgpool(g, cur, 3);
    cur = rlz_graph_flatten(g, cur);
    break;
  case 2: /* a 1x1 conv with stride 2 and no bias, then dense layers */
    cur = rlz_graph_conv(g, cur, 3, 1, 2, 0, 0, RICHETA_ACTIVATION_TANH, RLZ_ROLE_STD_HIDDEN, p,
                         gamma, RICHETA_CONV_SCALE_CHANNELS);
    cur = rlz_graph_flatten(g, cur);
    cur = rlz_graph_dense(g, cur, 4, 1, RICHETA_ACTIVATION_TANH, RLZ_ROLE_MLP_HIDDEN, p, gamma);
    break;
  case 3:
  case 4: { /* residual blocks: batch normalization (of the CHW input too), sums, 1x1
             * convolutions without im2col */
    cur = rlz_graph_batchnorm(g, cur);
    int c1 = rlz_graph_conv(g, cur, 4, 3, 1, 1, 0, RICHETA_ACTIVATION_IDENTITY, RLZ_ROLE_STD_HIDDEN,
                            p, gamma, RICHETA_CONV_SCALE_CHANNELS);
    int a1 = rlz_graph_act(g, rlz_graph_batchnorm(g, c1), RICHETA_ACTIVATION_TANH);
    int c2 = rlz_graph_conv(g, a1, 4, 1, 1, 0, 1, RICHETA_ACTIVATION_IDENTITY, RLZ_ROLE_STD_HIDDEN,
                            p, gamma, RICHETA_CONV_SCALE_CHANNELS);
    int a2 = rlz_graph_act(g, rlz_graph_add(g, rlz_graph_batchnorm(g, c2), a1),
                           RICHETA_ACTIVATION_TANH); /* a1 is read twice */
    int c3 = rlz_graph_conv(g, a2, 3, 1, 2, 0, 0, RICHETA_ACTIVATION_TANH, RLZ_ROLE_STD_HIDDEN, p,
                            gamma, RICHETA_CONV_SCALE_CHANNELS); /* strided 1x1 */
    int c4 = rlz_graph_conv(g, a2, 3, 3, 2, 1, 0, RICHETA_ACTIVATION_IDENTITY, RLZ_ROLE_STD_HIDDEN,
                            p, gamma, RICHETA_CONV_SCALE_CHANNELS);
    cur = rlz_graph_avgpool(g, rlz_graph_add(g, c3, rlz_graph_batchnorm(g, c4)), 3);
    break;
  }
  default:
    ck_abort_msg("no graph %d", which);
  }
  cur = rlz_graph_dense(g, cur, oc->C, 1, RICHETA_ACTIVATION_IDENTITY, RLZ_ROLE_READOUT, p, gamma);
  ck_assert_int_ge(cur, 0);
  ck_assert_int_eq(rlz_graph_end(g, NULL, 1.0), RICHETA_OK);
}

static const op_case op_cases[] = {
    {"conv s2 p1 / pool / flatten / dense", 2, 7, 6, 3, RICHETA_LOSS_MSE, 0},
    {"conv / act op / padded conv / pool 3", 3, 6, 7, 2, RICHETA_LOSS_CROSS_ENTROPY, 0},
    {"1x1 conv s2 / dense", 2, 5, 5, 1, RICHETA_LOSS_MSE, 0},
    {"residual, batch norm (batch stats), 1x1 s1/s2", 2, 6, 6, 2, RICHETA_LOSS_MSE, 1},
    {"residual, batch norm (running stats), 1x1 s1/s2", 2, 6, 6, 3, RICHETA_LOSS_CROSS_ENTROPY, 2},
};

/* Mean loss of the net on (x, y). */
static double net_loss(rlz_net *n, const rlz_graph *g, const double *P, const double *x,
                       const double *y, int64_t b, richeta_loss loss, double *f) {
  ck_assert_int_eq(rlz_net_forward(n, P, x, 0, g->n - 1, b, f), RICHETA_OK);
  double s = rlz_loss_sum_f64(loss, f, y, b, g->out_size, b, NULL);
  return s / (loss == RICHETA_LOSS_MSE ? (double)(b * g->out_size) : (double)b);
}

static void grad_of(rlz_net *n, const rlz_graph *g, const double *P, const double *x,
                    const double *y, int64_t b, richeta_loss loss, double *f, double *dout,
                    double *grad) {
  ck_assert_int_eq(rlz_net_forward(n, P, x, 0, g->n - 1, b, f), RICHETA_OK);
  rlz_loss_sum_f64(loss, f, y, b, g->out_size, b, dout);
  double bound = 0;
  ck_assert_int_eq(rlz_net_backward(n, P, x, b, dout, grad, true, &bound), RICHETA_OK);
  /* the dense nodes' gradients are bounded (convolutions' are read) */
  ck_assert(isfinite(bound) && bound > 0);
}

/* Cross-entropy's gradient keeps full relative accuracy for a small class
 * next to a large logit: at logits (1000, 985) with the first class the
 * target, dL/df_1 = softmax_1 = e^-15 / (1 + e^-15) (closed form). exp(f -
 * lse) gave it to 1.6e-14 only (f - lse cancels two numbers near 1000). */
START_TEST(cross_entropy_gradient_keeps_relative_accuracy_at_large_logits) {
  const double f[2] = {1000.0, 985.0}, y[2] = {1.0, 0.0};
  double g[2];
  double s = rlz_loss_sum_f64(RICHETA_LOSS_CROSS_ENTROPY, f, y, 1, 2, 1, g);
  double want = exp(-15.0) / (1.0 + exp(-15.0));
  ck_assert_msg(fabs(g[1] - want) <= 4e-16 * want, "softmax_1 %.17g, closed form %.17g", g[1], want);
  ck_assert_msg(fabs(g[0] + want) <= 1e-15, "g_0 %.17g", g[0]);
  ck_assert_msg(fabs(s - log1p(exp(-15.0))) <= 1e-16 * 3.1e-7, "loss %.17g", s);
}
END_TEST

START_TEST(every_op_gradient_and_hvp_match_finite_differences) {
  const op_case *oc = &op_cases[_i];
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_graph g;
  build(_i, &g, &a, oc);
  enum { B = 3 };
  rlz_net *n = NULL;
  /* im2col blocks of 2 samples: a batch of 3 spans two blocks */
  ck_assert_int_eq(rlz_net_new(&n, &g, RICHETA_DTYPE_F64, B, RLZ_NET_TRAIN | RLZ_NET_ROP, &a, NULL),
                   RICHETA_OK);
  rlz_net_set_conv_block(n, 2);
  double *state = calloc((size_t)g.nstate + 1, sizeof(double));
  if (oc->bn == 2) { /* running statistics away from their initial values */
    rlz_graph_init_state(&g, RICHETA_DTYPE_F64, state);
    for (int64_t k = 0; k < g.nstate; k++)
      state[k] += 0.4 * sin(0.9 * (double)k + 0.3);
    rlz_net_set_bn(n, RLZ_BN_EVAL, state);
  }
  int64_t P = g.nparams, C = g.out_size;
  double *p = malloc((size_t)P * sizeof(double)), *v = malloc((size_t)P * sizeof(double));
  double *gr = malloc((size_t)P * sizeof(double)), *hv = malloc((size_t)P * sizeof(double));
  double *gp = malloc((size_t)P * sizeof(double)), *gm = malloc((size_t)P * sizeof(double));
  double *x = malloc((size_t)(B * g.in_size) * sizeof(double));
  double y[B * 4], f[B * 4], dout[B * 4], rf[B * 4], rd[B * 4];
  normals(11 + (uint64_t)_i, P, 0.8, p);
  normals(21 + (uint64_t)_i, P, 1.0, v);
  normals(31 + (uint64_t)_i, B * g.in_size, 1.0, x);
  for (int64_t i = 0; i < B * C; i++)
    y[i] = oc->loss == RICHETA_LOSS_MSE ? sin(1.3 * (double)i) : (i % C == (i / C) % C ? 1.0 : 0.0);
  grad_of(n, &g, p, x, y, B, oc->loss, f, dout, gr);
  double lref = net_loss(n, &g, p, x, y, B, oc->loss, f);
  /* gradient: 4-point central differences */
  const double h = 1e-4;
  double worst = 0;
  for (int64_t k = 0; k < P; k++) {
    double keep = p[k], l[4];
    const double st[4] = {h, -h, 2 * h, -2 * h};
    for (int j = 0; j < 4; j++) {
      p[k] = keep + st[j];
      l[j] = net_loss(n, &g, p, x, y, B, oc->loss, f);
    }
    p[k] = keep;
    double fd = (8 * (l[0] - l[1]) - (l[2] - l[3])) / (12 * h);
    double noise = 10 * DBL_EPSILON * fabs(lref) / h;
    double rel = fabs(gr[k] - fd) / fmax(fabs(gr[k]) + fabs(fd), fmax(1e-8, noise / 1e-6));
    worst = fmax(worst, rel);
    ck_assert_msg(rel < 1e-6, "%s: parameter %lld: grad %.10e fd %.10e", oc->name, (long long)k,
                  gr[k], fd);
  }
  /* Hv against central differences of the gradient along v */
  double hrel = 0;
  grad_of(n, &g, p, x, y, B, oc->loss, f, dout, gr); /* forward current, dout = dL/df */
  if (oc->bn == 1) { /* batch statistics: no R-operator, a clear status */
    ck_assert_int_eq(rlz_net_rforward(n, p, v, x, B, rf), RICHETA_ERR_UNSUPPORTED);
    goto report;
  }
  ck_assert_int_eq(rlz_net_rforward(n, p, v, x, B, rf), RICHETA_OK);
  rlz_loss_hessian_f64(oc->loss, f, y, rf, B, C, rd);
  grad_of(n, &g, p, x, y, B, oc->loss, f, dout, gr);
  ck_assert_int_eq(rlz_net_rforward(n, p, v, x, B, rf), RICHETA_OK);
  ck_assert_int_eq(rlz_net_rbackward(n, p, v, x, B, dout, rd, hv), RICHETA_OK);
  const double e = 1e-5;
  double *pp = malloc((size_t)P * sizeof(double));
  for (int64_t k = 0; k < P; k++)
    pp[k] = p[k] + e * v[k];
  grad_of(n, &g, pp, x, y, B, oc->loss, f, dout, gp);
  for (int64_t k = 0; k < P; k++)
    pp[k] = p[k] - e * v[k];
  grad_of(n, &g, pp, x, y, B, oc->loss, f, dout, gm);
  double dn = 0, hn = 0;
  for (int64_t k = 0; k < P; k++) {
    double fd = (gp[k] - gm[k]) / (2 * e);
    dn += (hv[k] - fd) * (hv[k] - fd);
    hn += hv[k] * hv[k];
  }
  hrel = sqrt(dn / hn);
  ck_assert_msg(hrel < 1e-6, "%s: HVP relative error %.3g", oc->name, hrel);
  free(pp);
report:
  fprintf(stderr, "# op check [%s]: %lld params, gradient max rel err %.2e, HVP rel err %.2e\n",
          oc->name, (long long)P, worst, hrel);
  free(state);
  free(p);
  free(v);
  free(gr);
  free(hv);
  free(gp);
  free(gm);
  free(x);
  rlz_net_free(n);
  rlz_graph_free(&g, &a);
}
END_TEST

/* ---- the whole CNN through the public API -------------------------------- */

static richeta_model *model_of(const char *base, const char *extra) {
  char spec[512];
  snprintf(spec, sizeof spec, "%s,%s", base, extra);
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  richeta_model *m = NULL;
  ck_assert_msg(richeta_model_new(&m, cfg) == RICHETA_OK, "%s", richeta_last_error());
  richeta_config_free(cfg);
  return m;
}

static richeta_model *cnn_of(const char *extra) {
  return model_of("arch=cnn,L=4,N=2,C=3,D=330,image_channels=3,image_height=10,image_width=11,"
                  "B=3,dtype=f64,seed=5",
                  extra);
}

static double model_loss(richeta_model *m, const double *x, const double *y, int64_t b) {
  double l = NAN;
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, b, &l, NULL, 0), RICHETA_OK);
  return l;
}

/* Smallest |pre-activation| of the relu layers of m on x (its float64
 * net with every pre-activation kept). */
static double min_kink_distance(richeta_model *m, const double *p, const double *x, int64_t b) {
  const rlz_graph *g = rlz_model_graph(m);
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_net *n = NULL;
  ck_assert_int_eq(rlz_net_new(&n, g, RICHETA_DTYPE_F64, b, RLZ_NET_KEEP_PRE, &a, NULL),
                   RICHETA_OK);
  double f[64];
  ck_assert_int_eq(rlz_net_forward(n, p, x, 0, g->n - 1, b, f), RICHETA_OK);
  double mn = INFINITY;
  for (int i = 1; i < g->n - 1; i++) {
    const rlz_node *nd = &g->nodes[i];
    if (nd->layer < 0 || nd->act != RICHETA_ACTIVATION_RELU)
      continue;
    const double *h = rlz_net_preact(n, i);
    for (int64_t k = 0; k < b * nd->size; k++)
      mn = fmin(mn, fabs(h[k]));
  }
  rlz_net_free(n);
  return mn;
}

static const char *const cnn_variants[] = {
    "act=relu,param=mf,conv_scale=channels,loss=mse,center=frozen",
    "act=relu,param=mf,conv_scale=fan_in,loss=ce,center=frozen,gamma=0.2",
    "act=tanh,param=ntk,conv_scale=channels,loss=mse,center=none,gamma=3",
    "act=gelu,param=sp,conv_scale=fan_in,loss=ce,center=frozen",
    "act=relu,param=mf,loss=mse,center=frozen,bias=0,gamma=50",
    "act=tanh,param=mf,loss=mse,center=frozen,gamma=1e-3",
};

START_TEST(cnn_gradient_and_hvp_match_finite_differences) {
  richeta_model *m = cnn_of(cnn_variants[_i]);
  /* odd variants: blocks of 2 samples, so a chunk of 3 spans two blocks of
   * each convolution and of the pooling that runs with it */
  if (_i % 2)
    rlz_model_set_conv_block(m, 2);
  enum { B = 4 }; /* chunk 3: two chunks */
  int64_t P = 0, C = 3;
  ck_assert_int_eq(richeta_model_num_params(m, &P), RICHETA_OK);
  double *p0 = malloc((size_t)P * sizeof(double)), *p = malloc((size_t)P * sizeof(double));
  double *gr = malloc((size_t)P * sizeof(double)), *nz = malloc((size_t)P * sizeof(double));
  double *v = malloc((size_t)P * sizeof(double)), *hv = malloc((size_t)P * sizeof(double));
  double *gp = malloc((size_t)P * sizeof(double)), *gm = malloc((size_t)P * sizeof(double));
  double x[B * 330], y[B * 3];
  ck_assert_int_eq(richeta_model_get_initial_params(m, p0, P), RICHETA_OK);
  /* away from theta0 and from every relu kink (by 0.003 at least: a
   * parameter step of 2h moves a pre-activation by far less) */
  double kink = 0;
  for (uint64_t t = 0; t < 500 && kink <= 0.003; t++) {
    normals(100 + t, P, 0.5, nz);
    for (int64_t k = 0; k < P; k++)
      p[k] = p0[k] + nz[k];
    normals(300 + t, B * 330, 1.0, x);
    kink = min_kink_distance(m, p, x, B);
  }
  ck_assert_msg(kink > 0.003, "no point away from the relu kinks");
  for (int64_t i = 0; i < B * C; i++)
    y[i] = strstr(cnn_variants[_i], "loss=ce") ? (i % C == 1 ? 1.0 : 0.0) : cos(0.7 * (double)i);
  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_OK);
  double lref = NAN;
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &lref, gr, P), RICHETA_OK);
  const double h = 1e-4;
  double worst = 0;
  for (int64_t k = 0; k < P; k++) {
    double keep = p[k], l[4];
    const double st[4] = {h, -h, 2 * h, -2 * h};
    for (int j = 0; j < 4; j++) {
      p[k] = keep + st[j];
      ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_OK);
      l[j] = model_loss(m, x, y, B);
    }
    p[k] = keep;
    double fd = (8 * (l[0] - l[1]) - (l[2] - l[3])) / (12 * h);
    double noise = 10 * DBL_EPSILON * fabs(lref) / h;
    double rel = fabs(gr[k] - fd) / fmax(fabs(gr[k]) + fabs(fd), fmax(1e-8, noise / 1e-6));
    worst = fmax(worst, rel);
    ck_assert_msg(rel < 1e-6, "[%s] parameter %lld: grad %.10e fd %.10e", cnn_variants[_i],
                  (long long)k, gr[k], fd);
  }
  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_OK);
  /* HVP of the public diagnostics against differences of the gradient */
  normals(77, P, 1.0, v);
  ck_assert_int_eq(richeta_diag_hvp(m, x, y, B, v, hv, P), RICHETA_OK);
  const double e = 1e-5;
  for (int s = 0; s < 2; s++) {
    double *pp = s ? gm : gp, *q = malloc((size_t)P * sizeof(double));
    for (int64_t k = 0; k < P; k++)
      q[k] = p[k] + (s ? -e : e) * v[k];
    ck_assert_int_eq(richeta_model_set_params(m, q, P), RICHETA_OK);
    double l;
    ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &l, pp, P), RICHETA_OK);
    free(q);
  }
  double dn = 0, hn = 0;
  for (int64_t k = 0; k < P; k++) {
    double fd = (gp[k] - gm[k]) / (2 * e);
    dn += (hv[k] - fd) * (hv[k] - fd);
    hn += hv[k] * hv[k];
  }
  double hrel = sqrt(dn / hn);
  ck_assert_msg(hrel < 1e-6, "[%s] HVP relative error %.3g", cnn_variants[_i], hrel);
  fprintf(stderr, "# cnn check [%s]: %lld params, gradient max rel err %.2e, HVP rel err %.2e\n",
          cnn_variants[_i], (long long)P, worst, hrel);
  free(p0);
  free(p);
  free(gr);
  free(nz);
  free(v);
  free(hv);
  free(gp);
  free(gm);
  richeta_model_free(m);
}
END_TEST

START_TEST(cnn_f32_agrees_with_f64_and_centering_is_exact_at_init) {
  richeta_model *m64 = cnn_of("gamma=2");
  richeta_model *m32 = cnn_of("gamma=2,dtype=f32");
  int64_t P = 0;
  richeta_model_num_params(m64, &P);
  enum { B = 5 };
  double x[B * 330], y[B * 3], o[B * 3];
  float xf[B * 330], yf[B * 3], of[B * 3];
  normals(9, B * 330, 1.0, x);
  for (int i = 0; i < B * 330; i++)
    xf[i] = (float)x[i];
  for (int i = 0; i < B * 3; i++)
    yf[i] = (float)(y[i] = sin((double)i));
  /* centered: exactly zero at init, in both precisions */
  ck_assert_int_eq(richeta_model_forward_f64(m64, x, B, o), RICHETA_OK);
  ck_assert_int_eq(richeta_model_forward_f32(m32, xf, B, of), RICHETA_OK);
  for (int i = 0; i < B * 3; i++) {
    ck_assert(o[i] == 0.0);
    ck_assert(of[i] == 0.0f);
  }
  /* the same (rounded) parameters give the same loss and gradient */
  double *p = malloc((size_t)P * sizeof(double)), *g64 = malloc((size_t)P * sizeof(double));
  float *g32 = malloc((size_t)P * sizeof(float));
  ck_assert_int_eq(richeta_model_get_params(m32, p, P), RICHETA_OK);
  for (int64_t k = 0; k < P; k++)
    p[k] += 0.3 * sin((double)k);
  for (int64_t k = 0; k < P; k++)
    p[k] = (double)(float)p[k];
  ck_assert_int_eq(richeta_model_set_params(m32, p, P), RICHETA_OK);
  ck_assert_int_eq(richeta_model_set_params(m64, p, P), RICHETA_OK);
  double l64, l32;
  ck_assert_int_eq(richeta_model_loss_grad_f64(m64, x, y, B, &l64, g64, P), RICHETA_OK);
  ck_assert_int_eq(richeta_model_loss_grad_f32(m32, xf, yf, B, &l32, g32, P), RICHETA_OK);
  double dn = 0, gn = 0;
  for (int64_t k = 0; k < P; k++) {
    dn += ((double)g32[k] - g64[k]) * ((double)g32[k] - g64[k]);
    gn += g64[k] * g64[k];
  }
  ck_assert_msg(fabs(l32 - l64) < 1e-5 * fabs(l64), "loss %g vs %g", l32, l64);
  ck_assert_msg(sqrt(dn / gn) < 1e-4, "f32 gradient relative error %g", sqrt(dn / gn));
  free(p);
  free(g64);
  free(g32);
  richeta_model_free(m64);
  richeta_model_free(m32);
}
END_TEST

START_TEST(cnn_layers_follow_pytorch_order_and_shapes) {
  richeta_model *m = cnn_of("N=4");
  int64_t L = 0, r, c, bl, P = 0, total = 0;
  ck_assert_int_eq(richeta_model_num_layers(m, &L), RICHETA_OK);
  ck_assert_int_eq(L, 4);
  /* conv1 3 -> 4 (3x3), conv2 4 -> 8, fc (8 * 2 * 2) -> 32, readout 32 -> 3:
   * 10x11 -> 8x9 -> 4x4 -> 2x2 -> 1x1 */
  const int64_t want[4][2] = {{4, 27}, {8, 36}, {32, 8}, {3, 32}};
  for (int64_t l = 0; l < 4; l++) {
    ck_assert_int_eq(richeta_model_layer_shape(m, l, &r, &c, &bl), RICHETA_OK);
    ck_assert_int_eq(r, want[l][0]);
    ck_assert_int_eq(c, want[l][1]);
    ck_assert_int_eq(bl, r);
    total += r * c + bl;
  }
  ck_assert_int_eq(richeta_model_num_params(m, &P), RICHETA_OK);
  ck_assert_int_eq(P, total);
  ck_assert_int_eq(richeta_model_layer_shape(m, 4, &r, &c, &bl), RICHETA_ERR_RANGE);
  /* a conv weight's column is (in, kh, kw): layer 0's entry (o, i, ky, kx)
   * set alone moves only the outputs that see input channel i */
  double w[4 * 27];
  double b[4];
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 4 * 27, b, 4), RICHETA_OK);
  memset(w, 0, sizeof w);
  w[1 * 27 + 2 * 9 + 1 * 3 + 2] = 1.0; /* out 1, in 2, ky 1, kx 2 */
  ck_assert_int_eq(richeta_model_set_layer(m, 0, w, 4 * 27, b, 4), RICHETA_OK);
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 4 * 27, NULL, 0), RICHETA_OK);
  ck_assert(w[1 * 27 + 2 * 9 + 1 * 3 + 2] == 1.0);
  richeta_model_free(m);
}
END_TEST

/* A NaN pixel makes the convolutions' gradient NaN: the optimizer must
 * see it (the dense layers' bound proves only their part) and leave the
 * parameters unchanged. */
START_TEST(cnn_nonfinite_gradient_is_caught_and_parameters_stay) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, "arch=cnn,L=4,N=2,C=3,D=330,image_channels=3,"
                                             "image_height=10,image_width=11,B=3,dtype=f32"),
                   RICHETA_OK);
  richeta_model *m = NULL;
  richeta_optim *o = NULL;
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  ck_assert_int_eq(richeta_optim_new(&o, m, cfg), RICHETA_OK);
  int64_t P = 0;
  richeta_model_num_params(m, &P);
  double *before = malloc((size_t)P * sizeof(double)), *after = malloc((size_t)P * sizeof(double));
  float x[3 * 330], y[9];
  for (int i = 0; i < 3 * 330; i++)
    x[i] = (float)sin(0.1 * i);
  for (int i = 0; i < 9; i++)
    y[i] = 0.5f;
  double loss;
  ck_assert_int_eq(richeta_optim_step_f32(o, x, y, 3, &loss), RICHETA_OK);
  ck_assert_int_eq(richeta_model_get_params(m, before, P), RICHETA_OK);
  /* the convolutions' gradient is read, not bounded: a non-finite entry
   * there (first and last entries of every conv layer) is seen */
  ck_assert_int_eq(rlz_model_loss_grad(m, x, y, 3, RICHETA_DTYPE_F32, &loss), RICHETA_OK);
  ck_assert(rlz_model_grad_finite(m));
  const rlz_graph *g = rlz_model_graph(m);
  float *gr = rlz_model_grad(m);
  for (int i = 0; i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    if (nd->op != RLZ_OP_CONV2D)
      continue;
    int64_t at[2] = {nd->woff, nd->boff + nd->rows - 1};
    for (int k = 0; k < 2; k++) {
      float keep = gr[at[k]];
      gr[at[k]] = k ? INFINITY : NAN;
      ck_assert_msg(!rlz_model_grad_finite(m), "layer %d entry %lld", nd->layer, (long long)at[k]);
      gr[at[k]] = keep;
    }
  }
  ck_assert(rlz_model_grad_finite(m));
  x[5] = NAN;
  ck_assert_int_eq(richeta_optim_step_f32(o, x, y, 3, &loss), RICHETA_ERR_DIVERGED);
  ck_assert_int_eq(richeta_model_get_params(m, after, P), RICHETA_OK);
  ck_assert_int_eq(memcmp(before, after, (size_t)P * sizeof(double)), 0);
  free(before);
  free(after);
  richeta_optim_free(o);
  richeta_model_free(m);
  richeta_config_free(cfg);
}
END_TEST

static richeta_status make(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  richeta_model *m = NULL;
  richeta_status st = richeta_model_new(&m, cfg);
  ck_assert(st == RICHETA_OK || m == NULL);
  richeta_model_free(m);
  richeta_config_free(cfg);
  return st;
}

START_TEST(bad_image_shapes_give_errors_naming_the_keys) {
  ck_assert_int_eq(make("arch=cnn,L=4,D=100"), RICHETA_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "image_channels"));
  ck_assert_int_eq(make("arch=cnn,L=4,D=99,image_channels=1,image_height=10,image_width=10"),
                   RICHETA_ERR_MISMATCH);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "D = 99"));
  ck_assert_int_eq(make("arch=cnn,L=4,D=90,image_channels=1,image_height=9,image_width=10"),
                   RICHETA_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "image_height = 9"));
  ck_assert_int_eq(make("arch=cnn,L=4,D=30,image_channels=3,image_height=10,image_width=0"),
                   RICHETA_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "image_width"));
  ck_assert_int_eq(make("arch=cnn,L=3,D=100,image_channels=1,image_height=10,image_width=10"),
                   RICHETA_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "L = 4"));
  /* an MLP may be told its input is an image, consistently */
  ck_assert_int_eq(make("D=100,image_channels=1,image_height=10,image_width=10"), RICHETA_OK);
  ck_assert_int_eq(make("D=101,image_channels=1,image_height=10,image_width=10"),
                   RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(make("arch=cnn,L=4,D=100,image_channels=1,image_height=10,image_width=10"),
                   RICHETA_OK);
}
END_TEST

/* ---- the ResNet-18 through the public API -------------------------------- */

static richeta_model *resnet_of(const char *extra) {
  return model_of("arch=resnet18,L=3,N=2,C=2,D=192,image_channels=3,image_height=8,"
                  "image_width=8,B=4,dtype=f64,seed=3",
                  extra);
}

/* The evaluation network's Hessian-vector product through the core's
 * R-operator with running statistics (what rlz_dnet_hvp would compute if it
 * did not refuse batch normalization). */
static void eval_hvp(rlz_dnet *d, const double *x, const double *y, int64_t b, const double *v,
                     double *hv) {
  ck_assert_int_eq(rlz_dnet_output(d, x, b), RICHETA_OK);
  ck_assert_int_eq(rlz_net_rforward(d->net, d->theta, v, x, b, d->rf), RICHETA_OK);
  rlz_loss_sum_f64(d->loss, d->f, y, b, d->C, b, d->g0);
  rlz_loss_hessian_f64(d->loss, d->f, y, d->rf, b, d->C, d->f0);
  ck_assert_int_eq(rlz_net_rbackward(d->net, d->theta, v, x, b, d->g0, d->f0, hv), RICHETA_OK);
}

/* With batch normalization the Hessian diagnostics refuse (SGD trains the
 * network with batch statistics, which have no R-operator; the running
 * statistics would give another function's Hessian): UNSUPPORTED with a
 * message naming the reason and what remains, outputs untouched. Those
 * that remain take the network as it evaluates (running statistics):
 * Gauss-Newton (R-forward in a batch) against the NTK (per-sample
 * Jacobians): for MSE the top of J^T J 2/(B C) is 2/(B C) times the top of
 * J J^T. The core's running-statistics R-operator on the whole ResNet-18
 * graph stays checked against finite differences of the evaluation
 * gradient. Training steps first, so that every running statistic of
 * theta and theta0 differs from its start. */
START_TEST(resnet18_hessian_diagnostics_are_unsupported_and_gn_matches_ntk) {
  richeta_model *m = resnet_of("act=tanh,gamma=0.8,loss=mse");
  enum { B = 4, C = 2, D = 192 };
  int64_t P;
  richeta_model_num_params(m, &P);
  double x[B * D], y[B * C];
  double *th = malloc((size_t)P * sizeof(double)), *gr = malloc((size_t)P * sizeof(double));
  double *v = malloc((size_t)P * sizeof(double)), *hv = malloc((size_t)P * sizeof(double));
  double *gp = malloc((size_t)P * sizeof(double)), *gm = malloc((size_t)P * sizeof(double));
  for (int k = 0; k < 3; k++) { /* training runs: batch statistics, running ones move */
    normals(40 + (uint64_t)k, B * D, 1.0, x);
    normals(50 + (uint64_t)k, B * C, 1.0, y);
    ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, NULL, gr, P), RICHETA_OK);
  }
  richeta_model_get_params(m, th, P);
  normals(60, P, 0.3, v);
  for (int64_t i = 0; i < P; i++)
    th[i] += v[i];
  ck_assert_int_eq(richeta_model_set_params(m, th, P), RICHETA_OK);
  normals(70, P, 1.0, v);
  /* every HVP-based entry: UNSUPPORTED, the reason and the alternatives */
  for (int64_t i = 0; i < P; i++)
    hv[i] = -7.0;
  double top[2] = {-7.0, -7.0}, tr = -7.0, se = -7.0;
  const char *const who[3] = {"richeta_diag_hvp", "richeta_diag_hessian_top",
                              "richeta_diag_hessian_trace"};
  for (int k = 0; k < 3; k++) {
    richeta_status st = k == 0   ? richeta_diag_hvp(m, x, y, B, v, hv, P)
                        : k == 1 ? richeta_diag_hessian_top(m, x, y, B, 2, 10, 1, top)
                                 : richeta_diag_hessian_trace(m, x, y, B, 3, 1, &tr, &se);
    ck_assert_int_eq(st, RICHETA_ERR_UNSUPPORTED);
    const char *msg = richeta_model_last_error(m);
    ck_assert_msg(strstr(msg, who[k]) && strstr(msg, "batch normalization") &&
                      strstr(msg, "batch statistics") && strstr(msg, "Gauss-Newton") &&
                      strstr(msg, "NTK"),
                  "%s: %s", who[k], msg);
  }
  for (int64_t i = 0; i < P; i++)
    ck_assert(hv[i] == -7.0);
  ck_assert(top[0] == -7.0 && top[1] == -7.0 && tr == -7.0 && se == -7.0);
  rlz_dnet d;
  ck_assert_int_eq(rlz_dnet_init(&d, m, B), RICHETA_OK); /* the internal pass refuses too */
  ck_assert_int_eq(rlz_dnet_hvp(&d, x, y, B, v, hv), RICHETA_ERR_UNSUPPORTED);
  eval_hvp(&d, x, y, B, v, hv);
  rlz_dnet_free(&d);
  /* the running-statistics R-operator against the evaluation gradient along v */
  const double e = 1e-4, steps[4] = {e, -e, 2 * e, -2 * e};
  double *g2p = malloc((size_t)P * sizeof(double)), *g2m = malloc((size_t)P * sizeof(double));
  double *gs[4] = {gp, gm, g2p, g2m};
  for (int k = 0; k < 4; k++) { /* 4-point differences */
    ck_assert_int_eq(rlz_dnet_init(&d, m, B), RICHETA_OK);
    for (int64_t i = 0; i < P; i++)
      d.theta[i] = th[i] + steps[k] * v[i];
    ck_assert_int_eq(rlz_dnet_gradient(&d, x, y, B, gs[k], NULL), RICHETA_OK);
    rlz_dnet_free(&d);
  }
  double num = 0, den = 0;
  for (int64_t i = 0; i < P; i++) {
    double fd = (8 * (gp[i] - gm[i]) - (g2p[i] - g2m[i])) / (12 * e);
    num += (fd - hv[i]) * (fd - hv[i]);
    den += fd * fd + hv[i] * hv[i];
  }
  double hrel = sqrt(num / den);
  ck_assert_msg(hrel < 1e-6, "ResNet-18 running-statistics R-operator relative error %.3g", hrel);
  /* why it is refused: the training gradient (batch statistics) is another function's */
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, NULL, gr, P), RICHETA_OK);
  ck_assert_int_eq(rlz_dnet_init(&d, m, B), RICHETA_OK);
  ck_assert_int_eq(rlz_dnet_gradient(&d, x, y, B, gp, NULL), RICHETA_OK);
  rlz_dnet_free(&d);
  double gd = 0;
  for (int64_t i = 0; i < P; i++)
    gd = fmax(gd, fabs(gp[i] - gr[i]));
  ck_assert_msg(gd > 1e-6, "evaluation and training gradients agree (%g)", gd);
  double K[(B * C) * (B * C)], ev[B * C], gn = 0;
  ck_assert_int_eq(richeta_diag_ntk(m, x, B, 0, K, (B * C) * (B * C)), RICHETA_OK);
  ck_assert_int_eq(richeta_diag_eigenvalues(B * C, K, ev), RICHETA_OK);
  double ktop = ev[0];
  for (int k = 1; k < B * C; k++)
    ktop = fmax(ktop, ev[k]);
  ck_assert_int_eq(richeta_diag_gn_top(m, x, y, B, 120, 9, &gn), RICHETA_OK);
  double want = 2.0 / (double)(B * C) * ktop;
  ck_assert_msg(fabs(gn - want) < 1e-9 * want, "GN top %.12g, NTK top x 2/(BC) %.12g", gn, want);
  /* at theta0 the centered network is 0 in evaluation too */
  double f[B * C];
  ck_assert_int_eq(richeta_model_recenter(m), RICHETA_OK);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, B, f), RICHETA_OK);
  for (int k = 0; k < B * C; k++)
    ck_assert(f[k] == 0.0);
  fprintf(stderr, "# resnet18 diagnostics: R-op rel err %.2e, GN top %.6g vs NTK %.6g\n", hrel, gn,
          want);
  free(th), free(gr), free(v), free(hv), free(gp), free(gm), free(g2p), free(g2m);
  richeta_model_free(m);
}
END_TEST

/* f32 and f64 agree, and bad configurations give clear errors. */
START_TEST(resnet18_f32_agrees_and_bad_shapes_are_refused) {
  richeta_model *m64 = resnet_of("gamma=1"), *m32 = resnet_of("gamma=1,dtype=f32");
  enum { B = 4, C = 2, D = 192 };
  int64_t P;
  richeta_model_num_params(m64, &P);
  double x[B * D], y[B * C], l64, l32;
  float xf[B * D], yf[B * C];
  normals(81, B * D, 1.0, x);
  normals(82, B * C, 1.0, y);
  for (int i = 0; i < B * D; i++)
    xf[i] = (float)x[i];
  for (int i = 0; i < B * C; i++)
    yf[i] = (float)y[i];
  double *th = malloc((size_t)P * sizeof(double)), *g64 = malloc((size_t)P * sizeof(double));
  float *g32 = malloc((size_t)P * sizeof(float));
  richeta_model_get_params(m64, th, P);
  normals(83, P, 0.3, g64);
  for (int64_t i = 0; i < P; i++)
    th[i] += g64[i];
  richeta_model_set_params(m64, th, P);
  richeta_model_set_params(m32, th, P);
  ck_assert_int_eq(richeta_model_loss_grad_f64(m64, x, y, B, &l64, g64, P), RICHETA_OK);
  ck_assert_int_eq(richeta_model_loss_grad_f32(m32, xf, yf, B, &l32, g32, P), RICHETA_OK);
  double gmax = 0, gdev = 0;
  for (int64_t i = 0; i < P; i++) {
    gmax = fmax(gmax, fabs(g64[i]));
    gdev = fmax(gdev, fabs(g64[i] - (double)g32[i]));
  }
  ck_assert_msg(fabs(l64 - l32) < 1e-4 * l64 && gdev < 1e-3 * gmax, "f32: loss %g vs %g, grad %g",
                l32, l64, gdev / gmax);
  /* a gradient batch larger than B would split the batch statistics */
  double x2[2 * B * D], y2[2 * B * C];
  memset(x2, 0, sizeof x2);
  memset(y2, 0, sizeof y2);
  ck_assert_int_eq(richeta_model_loss_grad_f64(m64, x2, y2, 2 * B, NULL, g64, P),
                   RICHETA_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(richeta_model_last_error(m64), "one run"));
  free(th), free(g64), free(g32);
  richeta_model_free(m64);
  richeta_model_free(m32);
  ck_assert_int_eq(make("arch=resnet18,L=3,D=48,image_channels=3,image_height=4,image_width=4"),
                   RICHETA_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "8 x 8"));
  ck_assert_int_eq(make("arch=resnet18,L=4,D=192,image_channels=3,image_height=8,image_width=8"),
                   RICHETA_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "L = 3"));
  ck_assert_int_eq(make("arch=resnet18,L=3,D=192"), RICHETA_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "image_channels"));
}
END_TEST

#define N_(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *nn_suite(void) {
  Suite *s = suite_create("nn");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 240);
  tcase_add_loop_test(tc, every_op_gradient_and_hvp_match_finite_differences, 0, N_(op_cases));
  tcase_add_loop_test(tc, cnn_gradient_and_hvp_match_finite_differences, 0, N_(cnn_variants));
  tcase_add_test(tc, cnn_f32_agrees_with_f64_and_centering_is_exact_at_init);
  tcase_add_test(tc, cross_entropy_gradient_keeps_relative_accuracy_at_large_logits);
  tcase_add_test(tc, cnn_layers_follow_pytorch_order_and_shapes);
  tcase_add_test(tc, bad_image_shapes_give_errors_naming_the_keys);
  tcase_add_test(tc, cnn_nonfinite_gradient_is_caught_and_parameters_stay);
  tcase_add_test(tc, resnet18_hessian_diagnostics_are_unsupported_and_gn_matches_ntk);
  tcase_add_test(tc, resnet18_f32_agrees_and_bad_shapes_are_refused);
  suite_add_tcase(s, tc);
  return s;
}
