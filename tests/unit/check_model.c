/* Model handle: forward formulas against an independent naive reference,
 * gradients against finite differences, f32 vs f64, exact centering, the
 * lazy-regime scaling of one SGD step, parameter access and bad arguments. */
#include "core/rng.h"
#include "model/model_internal.h"
#include <richlazy/richeta.h>

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct spec {
  int64_t D, N, C, L, bias, param, act, loss, dtype, center, seed, batch;
  double gamma;
} spec;

static spec small_spec(void) {
  spec s = {5,
            7,
            3,
            2,
            1,
            RICHETA_PARAMETERIZATION_MF,
            RICHETA_ACTIVATION_TANH,
            RICHETA_LOSS_MSE,
            RICHETA_DTYPE_F64,
            RICHETA_CENTERING_FROZEN,
            3,
            16,
            0.7};
  return s;
}

static richeta_model *make_model(const spec *s) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_INPUT_DIM, s->D), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_WIDTH, s->N), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_OUTPUT_DIM, s->C), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_DEPTH, s->L), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_BIAS, s->bias), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_PARAMETERIZATION, s->param),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_ACTIVATION, s->act), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_LOSS, s->loss), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_DTYPE, s->dtype), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_CENTERING, s->center), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_SEED, s->seed), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_BATCH, s->batch), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_double(cfg, RICHETA_PARAM_GAMMA, s->gamma), RICHETA_OK);
  richeta_model *m = NULL;
  richeta_status st = richeta_model_new(&m, cfg);
  ck_assert_msg(st == RICHETA_OK, "model_new: %s", richeta_last_error());
  richeta_config_free(cfg);
  return m;
}

static void normals(uint64_t key, int64_t n, double scale, double *out) {
  rlz_rng_normals(key, 77, 0, n, out);
  for (int64_t i = 0; i < n; i++)
    out[i] *= scale;
}

/* Targets: Gaussian for MSE; for cross-entropy positive weights whose row
 * sums vary in [0.5, 1.5] (exercises the general softmax * sum(y) - y). */
static void make_targets(const spec *s, uint64_t key, int64_t B, double *y) {
  normals(key, B * s->C, 1.0, y);
  if (s->loss == RICHETA_LOSS_CROSS_ENTROPY) {
    for (int64_t i = 0; i < B; i++) {
      double sum = 0;
      for (int64_t c = 0; c < s->C; c++)
        sum += (y[i * s->C + c] = exp(y[i * s->C + c]));
      double tot = 0.5 + rlz_rng_uniform(key, 78, (uint64_t)i);
      for (int64_t c = 0; c < s->C; c++)
        y[i * s->C + c] *= tot / sum;
    }
  }
}

/* ---- independent naive reference of DESIGN 1.1 ------------------------- */

static double ref_act(int64_t act, double h) {
  switch (act) {
  case RICHETA_ACTIVATION_RELU:
    return h > 0 ? h : 0;
  case RICHETA_ACTIVATION_TANH:
    return tanh(h);
  case RICHETA_ACTIVATION_GELU:
    return 0.5 * h * (1 + erf(h / sqrt(2.0)));
  default:
    return h;
  }
}

/* Uncentered output of the network with flat parameters p on one sample;
 * *minabs receives the smallest |pre-activation| of the hidden layers. */
static void ref_net(const spec *s, const double *p, const double *x, double *f, double *minabs) {
  double a[64], z[64];
  int64_t width = s->D;
  memcpy(a, x, (size_t)s->D * sizeof(double));
  const double *w = p;
  for (int64_t l = 0; l < s->L; l++) {
    int last = l == s->L - 1;
    int64_t rows = last ? s->C : s->N;
    const double *b = w + rows * width;
    double mult, bmult = 1.0;
    if (!last) {
      mult = s->param == RICHETA_PARAMETERIZATION_SP ? 1.0 : 1.0 / sqrt((double)width);
    } else {
      if (s->param == RICHETA_PARAMETERIZATION_MF)
        mult = 1.0 / (s->gamma * (double)width);
      else if (s->param == RICHETA_PARAMETERIZATION_NTK)
        mult = 1.0 / (s->gamma * sqrt((double)width));
      else
        mult = 1.0 / s->gamma;
      bmult = mult;
    }
    for (int64_t r = 0; r < rows; r++) {
      double acc = 0;
      for (int64_t c = 0; c < width; c++)
        acc += w[r * width + c] * a[c];
      z[r] = mult * acc + (s->bias ? bmult * b[r] : 0.0);
    }
    if (last) {
      memcpy(f, z, (size_t)rows * sizeof(double));
    } else {
      for (int64_t r = 0; r < rows; r++) {
        if (fabs(z[r]) < *minabs)
          *minabs = fabs(z[r]);
        a[r] = ref_act(s->act, z[r]);
      }
    }
    w = b + (s->bias ? rows : 0);
    width = rows;
  }
}

/* Reference mean loss of the centered model. */
static double ref_loss(const spec *s, const double *p, const double *p0, const double *x,
                       const double *y, int64_t B, double *out, double *minabs) {
  double sum = 0;
  for (int64_t i = 0; i < B; i++) {
    double f[16], f0[16];
    ref_net(s, p, x + i * s->D, f, minabs);
    if (s->center == RICHETA_CENTERING_FROZEN) {
      double dummy = INFINITY;
      ref_net(s, p0, x + i * s->D, f0, &dummy);
      for (int64_t c = 0; c < s->C; c++)
        f[c] -= f0[c];
    }
    const double *yi = y + i * s->C;
    if (s->loss == RICHETA_LOSS_MSE) {
      for (int64_t c = 0; c < s->C; c++)
        sum += (f[c] - yi[c]) * (f[c] - yi[c]);
    } else {
      double mx = f[0], se = 0;
      for (int64_t c = 1; c < s->C; c++)
        mx = fmax(mx, f[c]);
      for (int64_t c = 0; c < s->C; c++)
        se += exp(f[c] - mx);
      for (int64_t c = 0; c < s->C; c++)
        sum -= yi[c] * (f[c] - mx - log(se));
    }
    if (out)
      memcpy(out + i * s->C, f, (size_t)s->C * sizeof(double));
  }
  return s->loss == RICHETA_LOSS_MSE ? sum / (double)(B * s->C) : sum / (double)B;
}

static double model_loss(richeta_model *m, const double *x, const double *y, int64_t B) {
  double loss = NAN;
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &loss, NULL, 0), RICHETA_OK);
  return loss;
}

/* ---- gradient vs finite differences ------------------------------------ */

static const char *act_name[] = {"relu", "tanh", "gelu", "identity"};
static const char *par_name[] = {"mf", "ntk", "sp"};

START_TEST(test_gradient_matches_finite_differences_all_variants) {
  enum { B = 4 };
  double worst = 0, worst_norm = 0, worst_fwd = 0;
  char worst_case[128] = "";
  int cases = 0;
  for (int64_t par = 0; par < 3; par++)
    for (int64_t act = 0; act < 4; act++)
      for (int64_t loss = 0; loss < 2; loss++)
        for (int64_t center = 0; center < 2; center++)
          for (int64_t L = 1; L <= 3; L++)
            for (int64_t C = loss ? 3 : 1; C <= 3; C += 2) {
              /* C = 1 (MSE): the readout's products are gemv and ger */
              spec s = {5, 7, C, L, 1, par, act, loss, RICHETA_DTYPE_F64, center, 11, 3, 0.7};
              /* batch chunk 3 < B = 4: the chunked accumulation is exercised too */
              richeta_model *m = make_model(&s);
              int64_t P = 0;
              ck_assert_int_eq(richeta_model_num_params(m, &P), RICHETA_OK);
              double *p0 = malloc((size_t)P * sizeof(double));
              double *p = malloc((size_t)P * sizeof(double));
              double *g = malloc((size_t)P * sizeof(double));
              double *noise = malloc((size_t)P * sizeof(double));
              double x[B * 5], y[B * 3], fm[B * 3], fr[B * 3];
              ck_assert_int_eq(richeta_model_get_initial_params(m, p0, P), RICHETA_OK);
              /* move away from theta0 (biases included), keeping relu units
               * at least 0.01 away from their kink so the stencil is smooth */
              double minabs = 0;
              for (uint64_t trial = 0; trial < 200; trial++) {
                normals(1000 + trial, P, 0.5, noise);
                for (int64_t i = 0; i < P; i++)
                  p[i] = p0[i] + noise[i];
                normals(2000 + trial, B * s.D, 1.0, x);
                minabs = INFINITY;
                for (int64_t i = 0; i < B; i++) {
                  double f[16];
                  ref_net(&s, p, x + i * s.D, f, &minabs);
                }
                if (act != RICHETA_ACTIVATION_RELU || minabs > 0.01)
                  break;
              }
              ck_assert(act != RICHETA_ACTIVATION_RELU || minabs > 0.01);
              make_targets(&s, 3000 + (uint64_t)cases, B, y);
              ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_OK);

              /* forward and loss against the reference */
              double dummy = INFINITY;
              double lref = ref_loss(&s, p, p0, x, y, B, fr, &dummy);
              ck_assert_int_eq(richeta_model_forward_f64(m, x, B, fm), RICHETA_OK);
              for (int i = 0; i < B * C; i++) {
                double e = fabs(fm[i] - fr[i]) / fmax(fabs(fr[i]), 1e-3);
                worst_fwd = fmax(worst_fwd, e);
                ck_assert_msg(e < 1e-12, "forward %s/%s L=%lld: %g vs %g", par_name[par],
                              act_name[act], (long long)L, fm[i], fr[i]);
              }
              double lmod = NAN;
              ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &lmod, g, P), RICHETA_OK);
              ck_assert_msg(fabs(lmod - lref) <= 1e-12 * fabs(lref), "loss %g vs %g", lmod, lref);

              /* 4-point central differences, h = 1e-4: truncation O(h^4) */
              const double h = 1e-4;
              double gmax = 0, dn = 0, gn = 0;
              for (int64_t i = 0; i < P; i++)
                gmax = fmax(gmax, fabs(g[i]));
              for (int64_t i = 0; i < P; i++) {
                double keep = p[i], lp[4];
                const double steps[4] = {h, -h, 2 * h, -2 * h};
                for (int k = 0; k < 4; k++) {
                  p[i] = keep + steps[k];
                  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_OK);
                  lp[k] = model_loss(m, x, y, B);
                }
                p[i] = keep;
                double fd = (8 * (lp[0] - lp[1]) - (lp[2] - lp[3])) / (12 * h);
                /* relative error, except where the differences' own rounding
                 * (about eps |loss| / h, here with a factor 10 to spare)
                 * dominates a tiny component */
                double fd_noise = 10 * DBL_EPSILON * fabs(lref) / h;
                double rel =
                    fabs(g[i] - fd) / fmax(fabs(g[i]) + fabs(fd), fmax(1e-8, fd_noise / 1e-6));
                dn += (g[i] - fd) * (g[i] - fd);
                gn += g[i] * g[i];
                if (rel > worst) {
                  worst = rel;
                  snprintf(worst_case, sizeof worst_case,
                           "%s/%s/%s/center=%lld L=%lld param %lld: g=%.3e fd=%.3e", par_name[par],
                           act_name[act], loss ? "ce" : "mse", (long long)center, (long long)L,
                           (long long)i, g[i], fd);
                }
                ck_assert_msg(rel < 1e-6,
                              "%s/%s/%s/center=%lld L=%lld param %lld: g=%.10e "
                              "fd=%.10e (gmax %.3e)",
                              par_name[par], act_name[act], loss ? "ce" : "mse", (long long)center,
                              (long long)L, (long long)i, g[i], fd, gmax);
              }
              worst_norm = fmax(worst_norm, sqrt(dn / gn));
              cases++;
              free(p0);
              free(p);
              free(g);
              free(noise);
              richeta_model_free(m);
            }
  fprintf(stderr,
          "# model gradient check: %d configurations, max relative error per component %.2e "
          "(%s), max ||g-fd||/||g|| %.2e, max forward error vs reference %.2e\n",
          cases, worst, worst_case, worst_norm, worst_fwd);
}
END_TEST

/* ---- f32 vs f64 --------------------------------------------------------- */

static double rel_diff(const double *a, const double *b, int64_t n) {
  double d = 0, s = 0;
  for (int64_t i = 0; i < n; i++) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    s += b[i] * b[i];
  }
  return sqrt(d / s);
}

START_TEST(test_f32_and_f64_models_agree) {
  enum { B = 24 };
  double worst_f = 0, worst_l = 0, worst_g = 0;
  for (int64_t act = 0; act < 4; act++)
    for (int64_t loss = 0; loss < 2; loss++) {
      spec s = {20,
                32,
                4,
                3,
                1,
                RICHETA_PARAMETERIZATION_MF,
                act,
                loss,
                RICHETA_DTYPE_F64,
                RICHETA_CENTERING_FROZEN,
                5,
                10,
                0.5};
      richeta_model *m64 = make_model(&s);
      s.dtype = RICHETA_DTYPE_F32;
      richeta_model *m32 = make_model(&s);
      ck_assert_int_eq(rlz_model_dtype(m32), RICHETA_DTYPE_F32);
      int64_t P;
      richeta_model_num_params(m64, &P);
      double *p = malloc((size_t)P * sizeof(double)), *noise = malloc((size_t)P * sizeof(double));
      double *g64 = malloc((size_t)P * sizeof(double));
      float *g32 = malloc((size_t)P * sizeof(float));
      double *g32d = malloc((size_t)P * sizeof(double));
      /* same seed: the f32 weights are the f64 ones rounded */
      richeta_model_get_params(m32, p, P);
      richeta_model_get_params(m64, noise, P);
      for (int64_t i = 0; i < P; i++)
        ck_assert(p[i] == (double)(float)noise[i]);
      normals(99, P, 0.3, noise);
      for (int64_t i = 0; i < P; i++)
        p[i] += noise[i];
      richeta_model_set_params(m64, p, P);
      richeta_model_set_params(m32, p, P);
      double x[B * 20], y[B * 4], f64o[B * 4];
      float xf[B * 20], yf[B * 4], f32o[B * 4];
      double f32d[B * 4];
      normals(5, B * 20, 1.0, x);
      make_targets(&s, 6, B, y);
      for (int i = 0; i < B * 20; i++)
        xf[i] = (float)x[i];
      for (int i = 0; i < B * 4; i++)
        yf[i] = (float)y[i];
      ck_assert_int_eq(richeta_model_forward_f64(m64, x, B, f64o), RICHETA_OK);
      ck_assert_int_eq(richeta_model_forward_f32(m32, xf, B, f32o), RICHETA_OK);
      for (int i = 0; i < B * 4; i++)
        f32d[i] = f32o[i];
      double l64, l32;
      ck_assert_int_eq(richeta_model_loss_grad_f64(m64, x, y, B, &l64, g64, P), RICHETA_OK);
      ck_assert_int_eq(richeta_model_loss_grad_f32(m32, xf, yf, B, &l32, g32, P), RICHETA_OK);
      for (int64_t i = 0; i < P; i++)
        g32d[i] = g32[i];
      double ef = rel_diff(f32d, f64o, B * 4), el = fabs(l32 - l64) / fabs(l64),
             eg = rel_diff(g32d, g64, P);
      worst_f = fmax(worst_f, ef);
      worst_l = fmax(worst_l, el);
      worst_g = fmax(worst_g, eg);
      ck_assert_msg(ef < 1e-4 && el < 1e-4 && eg < 1e-4, "%s/%s: forward %g loss %g grad %g",
                    act_name[act], loss ? "ce" : "mse", ef, el, eg);
      /* mixed precision entry points: f64 data on the f32 model and back */
      double l_mixed, g_mixed_rel;
      ck_assert_int_eq(richeta_model_loss_grad_f64(m32, x, y, B, &l_mixed, g64, P), RICHETA_OK);
      g_mixed_rel = rel_diff(g64, g32d, P);
      ck_assert_msg(fabs(l_mixed - l32) <= 1e-6 * fabs(l32) && g_mixed_rel < 1e-6,
                    "mixed-precision call: loss %g vs %g, grad %g", l_mixed, l32, g_mixed_rel);
      free(p);
      free(noise);
      free(g64);
      free(g32);
      free(g32d);
      richeta_model_free(m64);
      richeta_model_free(m32);
    }
  fprintf(stderr,
          "# model f32 vs f64 (MF L=3 D=20 N=32 C=4 B=24, all activations and losses): "
          "max rel. diff forward %.2e, loss %.2e, gradient %.2e\n",
          worst_f, worst_l, worst_g);
}
END_TEST

/* ---- centering ---------------------------------------------------------- */

START_TEST(test_centered_output_is_exactly_zero_at_init_for_every_gamma) {
  const double gammas[] = {1e-6, 1e-3, 1.0, 1e3, 1e6};
  const int64_t dtypes[] = {RICHETA_DTYPE_F32, RICHETA_DTYPE_F64};
  enum { B = 40 };
  for (int gi = 0; gi < 5; gi++)
    for (int di = 0; di < 2; di++)
      for (int64_t par = 0; par < 3; par++) {
        spec s = {12,
                  33,
                  5,
                  3,
                  1,
                  par,
                  RICHETA_ACTIVATION_GELU,
                  RICHETA_LOSS_MSE,
                  dtypes[di],
                  RICHETA_CENTERING_FROZEN,
                  8,
                  16,
                  gammas[gi]};
        richeta_model *m = make_model(&s);
        double x[B * 12], out[B * 5], y[B * 5];
        float xf[B * 12], outf[B * 5];
        normals(31, B * 12, 1.0, x);
        for (int i = 0; i < B * 12; i++)
          xf[i] = (float)x[i];
        ck_assert_int_eq(richeta_model_forward_f64(m, x, B, out), RICHETA_OK);
        ck_assert_int_eq(richeta_model_forward_f32(m, xf, B, outf), RICHETA_OK);
        for (int i = 0; i < B * 5; i++) {
          ck_assert_msg(out[i] == 0.0 && outf[i] == 0.0f, "gamma %g dtype %lld: f = %g", gammas[gi],
                        (long long)dtypes[di], out[i]);
          y[i] = 0.0;
        }
        double loss = -1, acc;
        ck_assert_int_eq(richeta_model_evaluate_f64(m, x, y, B, &loss, &acc), RICHETA_OK);
        ck_assert(loss == 0.0);
        richeta_model_free(m);
      }
}
END_TEST

START_TEST(test_recenter_captures_current_parameters_as_theta0) {
  spec s = small_spec();
  richeta_model *m = make_model(&s);
  int64_t P;
  richeta_model_num_params(m, &P);
  double *p = malloc((size_t)P * sizeof(double)), *q = malloc((size_t)P * sizeof(double));
  richeta_model_get_params(m, p, P);
  for (int64_t i = 0; i < P; i++)
    p[i] += 0.25;
  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_OK);
  double x[10], out[6];
  normals(4, 10, 1.0, x);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 2, out), RICHETA_OK);
  ck_assert(out[0] != 0.0); /* moved away from theta0 */
  richeta_model_get_initial_params(m, q, P);
  ck_assert(q[0] != p[0]);
  ck_assert_int_eq(richeta_model_recenter(m), RICHETA_OK);
  richeta_model_get_initial_params(m, q, P);
  ck_assert(memcmp(p, q, (size_t)P * sizeof(double)) == 0);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 2, out), RICHETA_OK);
  for (int i = 0; i < 6; i++)
    ck_assert(out[i] == 0.0);
  free(p);
  free(q);
  richeta_model_free(m);
}
END_TEST

START_TEST(test_uncentered_model_output_is_the_raw_network) {
  spec s = small_spec();
  s.center = RICHETA_CENTERING_NONE;
  richeta_model *m = make_model(&s);
  int64_t P;
  richeta_model_num_params(m, &P);
  double *p = malloc((size_t)P * sizeof(double));
  richeta_model_get_params(m, p, P);
  double x[15], out[9], ref[9], minabs = INFINITY;
  normals(8, 15, 1.0, x);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 3, out), RICHETA_OK);
  for (int i = 0; i < 3; i++)
    ref_net(&s, p, x + 5 * i, ref + 3 * i, &minabs);
  for (int i = 0; i < 9; i++) {
    ck_assert(out[i] != 0.0);
    ck_assert(fabs(out[i] - ref[i]) < 1e-12 * fmax(1.0, fabs(ref[i])));
  }
  free(p);
  richeta_model_free(m);
}
END_TEST

/* ---- lazy regime -------------------------------------------------------- */

/* One hand-made SGD step theta <- theta - eta0 * N * grad at fixed eta0
 * moves the centered output by Delta f ~ eta0 / gamma^2 (DESIGN 1.1/1.2). */
static void one_step_change(double gamma, double eta0, double *df, int64_t nt) {
  spec s = {10,
            64,
            1,
            3,
            1,
            RICHETA_PARAMETERIZATION_MF,
            RICHETA_ACTIVATION_TANH,
            RICHETA_LOSS_MSE,
            RICHETA_DTYPE_F64,
            RICHETA_CENTERING_FROZEN,
            21,
            32,
            gamma};
  enum { B = 16 };
  richeta_model *m = make_model(&s);
  int64_t P;
  richeta_model_num_params(m, &P);
  double *p = malloc((size_t)P * sizeof(double)), *g = malloc((size_t)P * sizeof(double));
  double x[B * 10], y[B], xt[64 * 10];
  normals(40, B * 10, 1.0, x);
  normals(41, B, 1.0, y);
  normals(42, nt * 10, 1.0, xt);
  double loss;
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &loss, g, P), RICHETA_OK);
  ck_assert(rlz_model_width_mult(m) == 64.0);
  richeta_model_get_params(m, p, P);
  for (int64_t i = 0; i < P; i++)
    p[i] -= eta0 * rlz_model_width_mult(m) * g[i];
  richeta_model_set_params(m, p, P);
  ck_assert_int_eq(richeta_model_forward_f64(m, xt, nt, df), RICHETA_OK);
  free(p);
  free(g);
  richeta_model_free(m);
}

START_TEST(test_one_sgd_step_moves_output_by_eta_over_gamma_squared) {
  enum { NT = 64 };
  const double eta0 = 1e-7;
  double d2[NT], d3[NT];
  one_step_change(1e-2, eta0, d2, NT);
  one_step_change(1e-3, eta0, d3, NT);
  double num = 0, den = 0, n2 = 0, n3 = 0;
  for (int i = 0; i < NT; i++) {
    double a = d2[i] * 1e-4 / eta0, b = d3[i] * 1e-6 / eta0;
    num += (a - b) * (a - b);
    den += b * b;
    n2 += d2[i] * d2[i];
    n3 += d3[i] * d3[i];
  }
  double spread = sqrt(num / den);
  double ratio = sqrt(n3 / n2);
  fprintf(stderr,
          "# lazy step: |df(1e-3)| / |df(1e-2)| = %.4f (theory 100), rel. spread of "
          "df*gamma^2/eta0 = %.2e\n",
          ratio, spread);
  /* first-order theory is exact up to O(eta0 / gamma) = 1e-5 here */
  ck_assert_msg(spread < 1e-3, "df*gamma^2/eta0 differs by %g", spread);
  ck_assert(ratio > 99.9 && ratio < 100.1);
}
END_TEST

/* ---- chunking, init, parameters ----------------------------------------- */

START_TEST(test_chunked_batches_give_the_same_loss_and_gradient) {
  spec s = small_spec();
  s.L = 3;
  s.act = RICHETA_ACTIVATION_GELU;
  s.batch = 64;
  richeta_model *big = make_model(&s);
  s.batch = 3;
  richeta_model *small = make_model(&s);
  int64_t P;
  richeta_model_num_params(big, &P);
  double *p = malloc((size_t)P * sizeof(double)), *g1 = malloc((size_t)P * sizeof(double)),
         *g2 = malloc((size_t)P * sizeof(double));
  richeta_model_get_params(big, p, P);
  for (int64_t i = 0; i < P; i++)
    p[i] *= 1.1;
  richeta_model_set_params(big, p, P);
  richeta_model_set_params(small, p, P);
  double x[10 * 5], y[10 * 3], l1, l2, a1, a2, o1[30], o2[30];
  normals(50, 50, 1.0, x);
  normals(51, 30, 1.0, y);
  ck_assert_int_eq(richeta_model_loss_grad_f64(big, x, y, 10, &l1, g1, P), RICHETA_OK);
  ck_assert_int_eq(richeta_model_loss_grad_f64(small, x, y, 10, &l2, g2, P), RICHETA_OK);
  ck_assert(fabs(l1 - l2) <= 1e-13 * fabs(l1));
  ck_assert(rel_diff(g2, g1, P) < 1e-13);
  ck_assert_int_eq(richeta_model_forward_f64(big, x, 10, o1), RICHETA_OK);
  ck_assert_int_eq(richeta_model_forward_f64(small, x, 10, o2), RICHETA_OK);
  ck_assert(rel_diff(o2, o1, 30) < 1e-14);
  ck_assert_int_eq(richeta_model_evaluate_f64(big, x, y, 10, &l1, &a1), RICHETA_OK);
  ck_assert_int_eq(richeta_model_evaluate_f64(small, x, y, 10, &l2, &a2), RICHETA_OK);
  ck_assert(fabs(l1 - l2) <= 1e-13 * fabs(l1) && a1 == a2);
  free(p);
  free(g1);
  free(g2);
  richeta_model_free(big);
  richeta_model_free(small);
}
END_TEST

START_TEST(test_initialisation_is_seeded_gaussian_with_the_right_scale) {
  spec s = {100, 200, 10, 3, 1, RICHETA_PARAMETERIZATION_MF, 0, 0, RICHETA_DTYPE_F64, 1, 4, 8, 1.0};
  richeta_model *a = make_model(&s);
  richeta_model *b = make_model(&s);
  s.seed = 5;
  richeta_model *c = make_model(&s);
  s.seed = 4;
  s.param = RICHETA_PARAMETERIZATION_SP;
  richeta_model *sp = make_model(&s);
  int64_t P;
  richeta_model_num_params(a, &P);
  ck_assert_int_eq(P, 200 * 100 + 200 + 200 * 200 + 200 + 10 * 200 + 10);
  double *pa = malloc((size_t)P * sizeof(double)), *pb = malloc((size_t)P * sizeof(double)),
         *pc = malloc((size_t)P * sizeof(double)), *ps = malloc((size_t)P * sizeof(double));
  richeta_model_get_params(a, pa, P);
  richeta_model_get_params(b, pb, P);
  richeta_model_get_params(c, pc, P);
  richeta_model_get_params(sp, ps, P);
  ck_assert(memcmp(pa, pb, (size_t)P * sizeof(double)) == 0);
  ck_assert(memcmp(pa, pc, (size_t)P * sizeof(double)) != 0);
  /* layer 1 (200 x 200, fan_in 200): moments; its bias is 0 */
  const double *w = pa + 200 * 100 + 200, *wsp = ps + 200 * 100 + 200;
  double m1 = 0, m2 = 0, s2 = 0;
  for (int i = 0; i < 40000; i++) {
    m1 += w[i];
    m2 += w[i] * w[i];
    s2 += wsp[i] * wsp[i];
    ck_assert(fabs(wsp[i] - w[i] / sqrt(200.0)) < 1e-15); /* same draws, scaled */
  }
  m1 /= 40000;
  m2 /= 40000;
  s2 /= 40000;
  ck_assert_msg(fabs(m1) < 0.02 && fabs(m2 - 1) < 0.03, "mean %g var %g", m1, m2);
  ck_assert_msg(fabs(s2 * 200 - 1) < 0.03, "SP var * fan_in = %g", s2 * 200);
  for (int i = 0; i < 200; i++)
    ck_assert(w[40000 + i] == 0.0);
  free(pa);
  free(pb);
  free(pc);
  free(ps);
  richeta_model_free(a);
  richeta_model_free(b);
  richeta_model_free(c);
  richeta_model_free(sp);
}
END_TEST

START_TEST(test_layers_round_trip_and_follow_the_flat_order) {
  for (int64_t dt = 1; dt <= 2; dt++) {
    spec s = small_spec();
    s.L = 3;
    s.dtype = dt;
    richeta_model *m = make_model(&s);
    int64_t P, off = 0;
    richeta_model_num_params(m, &P);
    double *flat = malloc((size_t)P * sizeof(double));
    for (int64_t l = 0; l < 3; l++) {
      int64_t r, c, bl;
      ck_assert_int_eq(richeta_model_layer_shape(m, l, &r, &c, &bl), RICHETA_OK);
      ck_assert_int_eq(r, l == 2 ? 3 : 7);
      ck_assert_int_eq(c, l == 0 ? 5 : 7);
      ck_assert_int_eq(bl, r);
      double w[64], b[8], w2[64], b2[8];
      for (int64_t i = 0; i < r * c; i++)
        w[i] = (double)(100 * l + i) / 8.0; /* exact in f32 too */
      for (int64_t i = 0; i < r; i++)
        b[i] = -(double)(l + i) / 4.0;
      ck_assert_int_eq(richeta_model_set_layer(m, l, w, r * c, b, r), RICHETA_OK);
      ck_assert_int_eq(richeta_model_get_layer(m, l, w2, r * c, b2, r), RICHETA_OK);
      ck_assert(memcmp(w, w2, (size_t)(r * c) * sizeof(double)) == 0);
      ck_assert(memcmp(b, b2, (size_t)r * sizeof(double)) == 0);
      /* bias NULL leaves the bias alone */
      ck_assert_int_eq(richeta_model_set_layer(m, l, w, r * c, NULL, 0), RICHETA_OK);
      ck_assert_int_eq(richeta_model_get_layer(m, l, w2, r * c, b2, r), RICHETA_OK);
      ck_assert(memcmp(b, b2, (size_t)r * sizeof(double)) == 0);
      memcpy(flat + off, w, (size_t)(r * c) * sizeof(double));
      memcpy(flat + off + r * c, b, (size_t)r * sizeof(double));
      off += r * c + r;
    }
    ck_assert_int_eq(off, P);
    double *got = malloc((size_t)P * sizeof(double));
    ck_assert_int_eq(richeta_model_get_params(m, got, P), RICHETA_OK);
    ck_assert(memcmp(flat, got, (size_t)P * sizeof(double)) == 0);
    /* the internal buffer holds the same values in the model dtype */
    if (dt == RICHETA_DTYPE_F32)
      ck_assert(((const float *)rlz_model_params_const(m))[P - 1] == (float)flat[P - 1]);
    else
      ck_assert(((const double *)rlz_model_params_const(m))[P - 1] == flat[P - 1]);
    free(flat);
    free(got);
    richeta_model_free(m);
  }
}
END_TEST

START_TEST(test_model_without_bias_has_no_bias_parameters) {
  spec s = small_spec();
  s.bias = 0;
  richeta_model *m = make_model(&s);
  int64_t P, bl;
  richeta_model_num_params(m, &P);
  ck_assert_int_eq(P, 7 * 5 + 3 * 7);
  ck_assert_int_eq(richeta_model_layer_shape(m, 1, NULL, NULL, &bl), RICHETA_OK);
  ck_assert_int_eq(bl, 0);
  richeta_model_free(m);
}
END_TEST

START_TEST(test_queries_report_effective_hyperparameters) {
  spec s = small_spec();
  s.dtype = RICHETA_DTYPE_AUTO;
  s.gamma = 1e-3;
  richeta_model *lazy = make_model(&s);
  s.gamma = 1.0;
  richeta_model *rich = make_model(&s);
  int64_t v;
  double d;
  ck_assert_int_eq(richeta_model_get_int(lazy, RICHETA_PARAM_DTYPE, &v), RICHETA_OK);
  ck_assert_int_eq(v, RICHETA_DTYPE_F64);
  ck_assert_int_eq(richeta_model_get_int(rich, RICHETA_PARAM_DTYPE, &v), RICHETA_OK);
  ck_assert_int_eq(v, RICHETA_DTYPE_F32);
  ck_assert_int_eq(richeta_model_get_int(rich, RICHETA_PARAM_WIDTH, &v), RICHETA_OK);
  ck_assert_int_eq(v, 7);
  ck_assert_int_eq(richeta_model_get_int(rich, RICHETA_PARAM_DEPTH, &v), RICHETA_OK);
  ck_assert_int_eq(v, 2);
  ck_assert_int_eq(richeta_model_get_double(lazy, RICHETA_PARAM_GAMMA, &d), RICHETA_OK);
  ck_assert(d == 1e-3);
  ck_assert_int_eq(richeta_model_get_int(rich, RICHETA_PARAM_ETA0, &v), RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_model_get_double(rich, RICHETA_PARAM_WIDTH, &d),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert(strlen(richeta_model_last_error(rich)) > 0);
  ck_assert(rlz_model_width_mult(rich) == 7.0);
  richeta_model_free(lazy);
  richeta_model_free(rich);
  s.param = RICHETA_PARAMETERIZATION_NTK;
  richeta_model *ntk = make_model(&s);
  ck_assert(rlz_model_width_mult(ntk) == 1.0);
  richeta_model_free(ntk);
}
END_TEST

START_TEST(test_loss_and_accuracy_match_hand_computation) {
  /* L = 1, no bias, no centering: f = W x / (gamma D) with W = 2 I, D = C = 2 */
  spec s = {2,
            4,
            2,
            1,
            0,
            RICHETA_PARAMETERIZATION_MF,
            RICHETA_ACTIVATION_IDENTITY,
            RICHETA_LOSS_MSE,
            RICHETA_DTYPE_F64,
            RICHETA_CENTERING_NONE,
            1,
            2,
            1.0};
  double w[4] = {2, 0, 0, 2};
  double x[6] = {1, 0, 0, 1, 3, 1}, y[6] = {1, 0, 0, 1, 0, 1}, f[6], loss, acc;
  richeta_model *m = make_model(&s);
  ck_assert_int_eq(richeta_model_set_layer(m, 0, w, 4, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 3, f), RICHETA_OK);
  const double fx[6] = {1, 0, 0, 1, 3, 1};
  for (int i = 0; i < 6; i++)
    ck_assert(f[i] == fx[i]);
  ck_assert_int_eq(richeta_model_evaluate_f64(m, x, y, 3, &loss, &acc), RICHETA_OK);
  ck_assert_double_eq_tol(loss, 9.0 / 6.0, 1e-15); /* only (3 - 0)^2 is nonzero */
  ck_assert_double_eq_tol(acc, 2.0 / 3.0, 1e-15);
  richeta_model_free(m);
  s.loss = RICHETA_LOSS_CROSS_ENTROPY;
  m = make_model(&s);
  ck_assert_int_eq(richeta_model_set_layer(m, 0, w, 4, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_model_evaluate_f64(m, x, y, 3, &loss, &acc), RICHETA_OK);
  double lse1 = log(exp(1.0) + 1.0), lse3 = log(exp(3.0) + exp(1.0));
  ck_assert_double_eq_tol(loss, ((lse1 - 1) + (lse1 - 1) + (lse3 - 1)) / 3.0, 1e-14);
  /* huge logits: the log-sum-exp stays finite */
  double xbig[2] = {1e5, -1e5}, ybig[2] = {0, 1};
  ck_assert_int_eq(richeta_model_evaluate_f64(m, xbig, ybig, 1, &loss, NULL), RICHETA_OK);
  ck_assert_double_eq_tol(loss, 2e5, 1e-6);
  richeta_model_free(m);
  s.C = 1;
  s.D = 1;
  m = make_model(&s);
  ck_assert_int_eq(richeta_model_evaluate_f64(m, x, y, 1, &loss, &acc), RICHETA_OK);
  ck_assert(isnan(acc));
  richeta_model_free(m);
}
END_TEST

/* Class indices give the loss and gradient of their one-hot rows, bit for
 * bit, in both precisions; a label outside [0, C) or an MSE model is
 * refused with its own status. */
START_TEST(test_class_labels_give_the_bits_of_their_one_hot_targets) {
  enum { B = 6, D = 5, C = 3 };
  const int32_t labels[B] = {0, 2, 1, 2, 0, 1};
  double x[B * D], y[B * C] = {0};
  float xf[B * D], yf[B * C] = {0};
  for (int i = 0; i < B * D; i++)
    xf[i] = (float)(x[i] = sin(1.0 + 0.7 * i));
  for (int i = 0; i < B; i++)
    yf[i * C + labels[i]] = (float)(y[i * C + labels[i]] = 1.0);
  const int64_t dtypes[] = {RICHETA_DTYPE_F64, RICHETA_DTYPE_F32};
  for (int k = 0; k < 2; k++) {
    spec s = small_spec();
    s.loss = RICHETA_LOSS_CROSS_ENTROPY;
    s.dtype = dtypes[k];
    richeta_model *m = make_model(&s);
    int64_t P;
    richeta_model_num_params(m, &P);
    double *g1 = calloc((size_t)P, sizeof *g1), *g2 = calloc((size_t)P, sizeof *g2), l1, l2;
    float *h1 = calloc((size_t)P, sizeof *h1), *h2 = calloc((size_t)P, sizeof *h2);
    ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &l1, g1, P), RICHETA_OK);
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, labels, B, &l2, g2, P), RICHETA_OK);
    ck_assert(l1 == l2 && l1 > 0);
    ck_assert(memcmp(g1, g2, (size_t)P * sizeof *g1) == 0);
    ck_assert_int_eq(richeta_model_loss_grad_f32(m, xf, yf, B, &l1, h1, P), RICHETA_OK);
    ck_assert_int_eq(richeta_model_loss_grad_labels_f32(m, xf, labels, B, &l2, h2, P), RICHETA_OK);
    ck_assert(l1 == l2);
    ck_assert(memcmp(h1, h2, (size_t)P * sizeof *h1) == 0);
    /* loss only */
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, labels, B, &l2, NULL, 0), RICHETA_OK);
    ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, B, &l1, NULL, 0), RICHETA_OK);
    ck_assert(l1 == l2);
    /* bad labels name the sample */
    const int32_t bad[2][B] = {{0, 1, 2, 3, 0, 1}, {0, 1, 2, -1, 0, 1}};
    for (int b = 0; b < 2; b++) {
      ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, bad[b], B, &l2, g2, P),
                       RICHETA_ERR_INVALID);
      ck_assert_msg(strstr(richeta_model_last_error(m), "sample 3") != NULL, "%s",
                    richeta_model_last_error(m));
      ck_assert_int_eq(richeta_model_loss_grad_labels_f32(m, xf, bad[b], B, &l2, h2, P),
                       RICHETA_ERR_INVALID);
    }
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, NULL, B, &l2, g2, P),
                     RICHETA_ERR_NULL);
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, labels, 0, &l2, g2, P),
                     RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, labels, B, &l2, g2, P - 1),
                     RICHETA_ERR_MISMATCH);
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(NULL, x, labels, B, &l2, g2, P),
                     RICHETA_ERR_NULL);
    richeta_model_free(m);
    s.loss = RICHETA_LOSS_MSE;
    m = make_model(&s);
    ck_assert_int_eq(richeta_model_loss_grad_labels_f64(m, x, labels, B, &l2, g2, P),
                     RICHETA_ERR_UNSUPPORTED);
    richeta_model_free(m);
    free(g1);
    free(g2);
    free(h1);
    free(h2);
  }
}
END_TEST

START_TEST(test_bad_arguments_return_clear_statuses) {
  spec s = small_spec();
  richeta_model *m = make_model(&s);
  int64_t P;
  richeta_model_num_params(m, &P);
  double *p = malloc((size_t)P * sizeof(double)), *keep = malloc((size_t)P * sizeof(double));
  double x[10] = {0}, y[6] = {0}, out[6], loss;
  richeta_model *none = (richeta_model *)&s; /* must be overwritten with NULL */
  ck_assert_int_eq(richeta_model_new(&none, NULL), RICHETA_ERR_NULL);
  ck_assert_ptr_null(none);
  ck_assert(strlen(richeta_last_error()) > 0);
  ck_assert_int_eq(richeta_model_new(NULL, NULL), RICHETA_ERR_NULL);
  richeta_model_free(NULL);
  ck_assert_ptr_nonnull(richeta_model_last_error(NULL));
  ck_assert_int_eq(richeta_model_forward_f64(NULL, x, 1, out), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_forward_f64(m, NULL, 1, out), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 1, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, 0, out), RICHETA_ERR_RANGE);
  ck_assert(strstr(richeta_model_last_error(m), "batch") != NULL);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, -3, out), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_forward_f64(m, x, INT64_MAX / 2, out), RICHETA_ERR_OVERFLOW);
  ck_assert_int_eq(richeta_model_forward_f32(m, NULL, 1, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, NULL, 1, &loss, NULL, 0), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, 0, &loss, NULL, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_loss_grad_f64(m, x, y, 2, &loss, p, P - 1), RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(richeta_model_loss_grad_f32(m, NULL, NULL, 1, &loss, NULL, 0), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_evaluate_f64(m, x, y, 0, &loss, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_evaluate_f32(NULL, NULL, NULL, 1, &loss, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(rlz_model_loss_grad(m, x, y, 0, RICHETA_DTYPE_F64, &loss), RICHETA_ERR_RANGE);
  ck_assert_int_eq(rlz_model_loss_grad(m, x, y, 1, RICHETA_DTYPE_AUTO, &loss), RICHETA_ERR_INVALID);
  /* parameter access */
  ck_assert_int_eq(richeta_model_get_params(m, p, P + 1), RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(richeta_model_get_params(m, NULL, P), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_get_initial_params(NULL, p, P), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_set_params(m, p, 3), RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(richeta_model_get_params(m, keep, P), RICHETA_OK);
  memcpy(p, keep, (size_t)P * sizeof(double));
  p[P / 2] = NAN;
  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_ERR_NONFINITE);
  p[P / 2] = INFINITY;
  p[0] = 123.0;
  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_model_get_params(m, p, P), RICHETA_OK);
  ck_assert(memcmp(p, keep, (size_t)P * sizeof(double)) == 0); /* nothing changed */
  double w[35], b[7];
  ck_assert_int_eq(richeta_model_get_layer(m, 2, w, 35, NULL, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_get_layer(m, -1, w, 35, NULL, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 34, NULL, 0), RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 35, b, 6), RICHETA_ERR_MISMATCH);
  ck_assert_int_eq(richeta_model_get_layer(m, 0, NULL, 35, NULL, 0), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_get_layer(m, 0, w, 35, b, 7), RICHETA_OK);
  b[3] = NAN;
  ck_assert_int_eq(richeta_model_set_layer(m, 0, w, 35, b, 7), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_model_set_layer(m, 5, w, 35, NULL, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_set_layer(NULL, 0, w, 35, NULL, 0), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_get_params(m, p, P), RICHETA_OK);
  ck_assert(memcmp(p, keep, (size_t)P * sizeof(double)) == 0);
  ck_assert_int_eq(richeta_model_layer_shape(m, 2, NULL, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_model_layer_shape(NULL, 0, NULL, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_num_params(m, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_recenter(NULL), RICHETA_ERR_NULL);
  int64_t v;
  ck_assert_int_eq(richeta_model_get_int(NULL, RICHETA_PARAM_WIDTH, &v), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_model_get_double(m, RICHETA_PARAM_GAMMA, NULL), RICHETA_ERR_NULL);
  /* f32 model: finite doubles that overflow float are rejected too */
  richeta_model_free(m);
  s.dtype = RICHETA_DTYPE_F32;
  m = make_model(&s);
  richeta_model_get_params(m, p, P);
  p[1] = 1e300;
  ck_assert_int_eq(richeta_model_set_params(m, p, P), RICHETA_ERR_NONFINITE);
  free(p);
  free(keep);
  richeta_model_free(m);
}
END_TEST

/* Allocator that counts live blocks and can fail the n-th allocation. */
typedef struct counting {
  int live, calls, fail_at;
} counting;

static void *count_alloc(void *user, size_t size, size_t alignment) {
  counting *c = user;
  if (++c->calls == c->fail_at || size > ((size_t)1 << 30)) /* 1 GiB cap */
    return NULL;
  void *p = NULL;
  if (posix_memalign(&p, alignment, size ? size : 1) != 0)
    return NULL;
  c->live++;
  return p;
}

static void count_free(void *user, void *p) {
  counting *c = user;
  c->live--;
  free(p);
}

START_TEST(test_creation_uses_the_config_allocator_and_cleans_up_on_failure) {
  counting cnt = {0, 0, -1};
  richeta_allocator al = {sizeof(richeta_allocator), count_alloc, count_free, &cnt};
  richeta_config *cfg;
  ck_assert_int_eq(richeta_config_new(&cfg, &al), RICHETA_OK);
  int base = cnt.live;
  richeta_model *m = NULL;
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  ck_assert_int_gt(cnt.live, base);
  /* no allocation during evaluation */
  int calls = cnt.calls;
  double x[16 * 4] = {0}, y[4] = {0}, loss;
  ck_assert_int_eq(rlz_model_loss_grad(m, x, y, 4, RICHETA_DTYPE_F64, &loss), RICHETA_OK);
  ck_assert_int_eq(cnt.calls, calls);
  richeta_model_free(m);
  ck_assert_int_eq(cnt.live, base);
  /* every allocation failure point: NOMEM, *out NULL, nothing leaked */
  for (int k = 1; k < 20; k++) {
    cnt.calls = 0;
    cnt.fail_at = k;
    richeta_model *f = (richeta_model *)&cnt;
    richeta_status st = richeta_model_new(&f, cfg);
    if (st == RICHETA_OK) {
      richeta_model_free(f);
      break;
    }
    ck_assert_int_eq(st, RICHETA_ERR_NOMEM);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(cnt.live, base);
  }
  richeta_config_free(cfg);
  ck_assert_int_eq(cnt.live, 0);
}
END_TEST

START_TEST(test_huge_shapes_fail_cleanly_with_nomem) {
  /* the largest shapes the configuration allows (D = 2^24, N = 2^20) need
   * terabytes: creation must fail with NOMEM (1 GiB allocator cap), not crash */
  counting cnt = {0, 0, -1};
  richeta_allocator al = {sizeof(richeta_allocator), count_alloc, count_free, &cnt};
  richeta_config *cfg;
  ck_assert_int_eq(richeta_config_new(&cfg, &al), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_INPUT_DIM, 1 << 24), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_int(cfg, RICHETA_PARAM_WIDTH, 1 << 20), RICHETA_OK);
  int base = cnt.live;
  richeta_model *m = (richeta_model *)cfg;
  richeta_status st = richeta_model_new(&m, cfg);
  ck_assert_msg(st == RICHETA_ERR_NOMEM || st == RICHETA_ERR_OVERFLOW, "status %d", (int)st);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(cnt.live, base);
  ck_assert(strlen(richeta_last_error()) > 0);
  richeta_config_free(cfg);
}
END_TEST

/* ---- frozen-copy work reused (model_internal.h) ------------------------- */

/* theta0's features (from another model of the same seed but another gamma)
 * and theta0's outputs, handed to a run, give the bits of the run that
 * computes them itself: loss and gradient, f32 and f64, over a batch of 10
 * in chunks of 4, 4 and 2. */
START_TEST(test_frozen_work_handed_in_gives_the_same_bits) {
  const int64_t acts[2] = {RICHETA_ACTIVATION_RELU, RICHETA_ACTIVATION_GELU};
  const int64_t dtypes[2] = {RICHETA_DTYPE_F64, RICHETA_DTYPE_F32};
  for (int d = 0; d < 2; d++)
    for (int k = 0; k < 2; k++) {
      spec s = small_spec();
      s.L = 3;
      s.batch = 4;
      s.act = acts[k];
      s.dtype = dtypes[d];
      richeta_model *a = make_model(&s);
      s.gamma = 30.0;
      richeta_model *b = make_model(&s);
      s.seed = 4;
      richeta_model *other_seed = make_model(&s);
      s.seed = 3;
      s.center = RICHETA_CENTERING_NONE;
      richeta_model *uncentered = make_model(&s);
      ck_assert(rlz_model_frozen_hidden_equal(a, b));
      ck_assert(!rlz_model_frozen_hidden_equal(a, other_seed));
      ck_assert(!rlz_model_frozen_hidden_equal(a, uncentered));

      /* move theta away from theta0 so that the centering matters */
      int64_t P = rlz_model_num_params(b);
      double *p = malloc((size_t)P * sizeof *p), *dp = malloc((size_t)P * sizeof *dp);
      ck_assert_int_eq(richeta_model_get_params(b, p, P), RICHETA_OK);
      normals(91, P, 0.3, dp);
      for (int64_t i = 0; i < P; i++)
        p[i] += dp[i];
      ck_assert_int_eq(richeta_model_set_params(b, p, P), RICHETA_OK);

      enum { B = 10 };
      double x[B * 5], y[B * 3], feat[B * 7], out0[B * 3];
      normals(92, B * 5, 1.0, x);
      normals(93, B * 3, 1.0, y);
      size_t gbytes = (size_t)P * (s.dtype == RICHETA_DTYPE_F32 ? sizeof(float) : sizeof(double));
      void *g_ref = malloc(gbytes);
      double l_ref = NAN, l_feat = NAN, e_ref = NAN, e_out = NAN, e_ign = NAN;
      ck_assert_int_eq(rlz_model_loss_grad(b, x, y, B, RICHETA_DTYPE_F64, &l_ref), RICHETA_OK);
      memcpy(g_ref, rlz_model_grad(b), gbytes);
      ck_assert_int_eq(rlz_model_evaluate(b, x, y, B, RICHETA_DTYPE_F64, &e_ref, NULL), RICHETA_OK);

      /* features of a's theta0 (gamma 0.7) used by b (gamma 30) */
      ck_assert_int_eq(rlz_model_frozen_features(a, x, B, RICHETA_DTYPE_F64, feat), RICHETA_OK);
      rlz_frozen fz = {.x = x, .batch = B, .feat = feat};
      rlz_model_set_frozen(b, &fz);
      memset(rlz_model_grad(b), 0, gbytes);
      ck_assert_int_eq(rlz_model_loss_grad(b, x, y, B, RICHETA_DTYPE_F64, &l_feat), RICHETA_OK);
      rlz_model_set_frozen(b, NULL);
      ck_assert_msg(l_feat == l_ref, "loss %.17g vs %.17g", l_feat, l_ref);
      ck_assert_msg(memcmp(g_ref, rlz_model_grad(b), gbytes) == 0, "gradients differ");

      /* b's own theta0 outputs */
      ck_assert_int_eq(rlz_model_frozen_outputs(b, x, B, RICHETA_DTYPE_F64, out0), RICHETA_OK);
      rlz_frozen fo = {.x = x, .batch = B, .out0 = out0};
      rlz_model_set_frozen(b, &fo);
      ck_assert_int_eq(rlz_model_evaluate(b, x, y, B, RICHETA_DTYPE_F64, &e_out, NULL), RICHETA_OK);
      ck_assert_msg(e_out == e_ref, "held-out loss %.17g vs %.17g", e_out, e_ref);
      /* work for another batch size is not used, even when it is garbage */
      memset(out0, 0x7f, sizeof out0);
      fo.batch = B - 1;
      rlz_model_set_frozen(b, &fo);
      ck_assert_int_eq(rlz_model_evaluate(b, x, y, B, RICHETA_DTYPE_F64, &e_ign, NULL), RICHETA_OK);
      rlz_model_set_frozen(b, NULL);
      ck_assert(e_ign == e_ref);

      /* models without the work to share say so */
      ck_assert_int_eq(rlz_model_frozen_outputs(uncentered, x, B, RICHETA_DTYPE_F64, out0),
                       RICHETA_ERR_INVALID);
      ck_assert_int_eq(rlz_model_frozen_features(uncentered, x, B, RICHETA_DTYPE_F64, feat),
                       RICHETA_ERR_INVALID);

      /* theta0's version moves when theta0 may have changed */
      uint64_t v0 = rlz_model_theta0_version(b);
      ck_assert_int_eq(richeta_model_recenter(b), RICHETA_OK);
      uint64_t v1 = rlz_model_theta0_version(b);
      (void)rlz_model_initial_params(b);
      ck_assert(v1 != v0 && rlz_model_theta0_version(b) != v1);
      ck_assert(!rlz_model_frozen_hidden_equal(a, b)); /* b's theta0 is now theta */
      free(g_ref);
      free(p);
      free(dp);
      richeta_model_free(a);
      richeta_model_free(b);
      richeta_model_free(other_seed);
      richeta_model_free(uncentered);
    }
}
END_TEST

START_TEST(test_frozen_features_need_a_hidden_layer) {
  spec s = small_spec();
  s.L = 1;
  richeta_model *m = make_model(&s);
  double x[5 * 2] = {0}, feat[7 * 2];
  ck_assert_int_eq(rlz_model_frozen_features(m, x, 2, RICHETA_DTYPE_F64, feat),
                   RICHETA_ERR_INVALID);
  ck_assert(strstr(richeta_model_last_error(m), "hidden") != NULL);
  ck_assert(!rlz_model_frozen_hidden_equal(m, m));
  richeta_model_free(m);
}
END_TEST

/* ---- counter-based RNG (lib/core/rng.c, used for initialisation) -------- */

/* The Box-Muller pair k uses the uniforms at counters 2k and 2k+1; our own
 * log and sincos must agree with libm's to a few ulps (200000 pairs; off
 * the suite, a sweep of u1 over [2^-54, 1) gave 1.4 ulps for the log). */
START_TEST(test_rng_normals_match_libm_box_muller) {
  enum { N = 400000 };
  double *z = malloc(N * sizeof *z);
  rlz_rng_normals(5, 9, 0, N, z);
  double worst = 0, zmax = 0;
  for (int64_t k = 0; k < N / 2; k++) {
    double u1 = rlz_rng_uniform(5, 9, (uint64_t)(2 * k));
    double u2 = rlz_rng_uniform(5, 9, (uint64_t)(2 * k + 1));
    double r = sqrt(-2.0 * log(u1)), t = 2.0 * M_PI * u2;
    double c = r * cos(t), sn = r * sin(t);
    worst = fmax(worst, fmax(fabs(z[2 * k] - c), fabs(z[2 * k + 1] - sn)) / fmax(r, 1.0));
    zmax = fmax(zmax, fabs(z[2 * k]));
  }
  ck_assert_msg(worst < 4e-15, "largest difference from libm %g", worst);
  ck_assert(zmax > 4.0);
  free(z);
}
END_TEST

START_TEST(test_rng_values_depend_only_on_key_stream_and_counter) {
  double bulk[1001], f64;
  float f32[1001];
  /* bulk fills from an odd start equal the single draws (Box-Muller pairs) */
  rlz_rng_normals(42, 7, 13, 1001, bulk);
  rlz_rng_normals_f32(42, 7, 13, 1001, f32);
  for (int i = 0; i < 1001; i++) {
    f64 = rlz_rng_normal(42, 7, 13 + (uint64_t)i);
    ck_assert(bulk[i] == f64);
    ck_assert(f32[i] == (float)f64);
  }
  ck_assert(rlz_rng_u64(1, 2, 3) == rlz_rng_u64(1, 2, 3));
  ck_assert(rlz_rng_u64(1, 2, 3) != rlz_rng_u64(2, 2, 3));
  ck_assert(rlz_rng_u64(1, 2, 3) != rlz_rng_u64(1, 3, 3));
  ck_assert(rlz_rng_u64(1, 2, 3) != rlz_rng_u64(1, 2, 4));
  /* moments of normals and uniforms, and an unbiased bounded draw */
  enum { N = 200000 };
  double m1 = 0, m2 = 0, m4 = 0, u1 = 0, umin = 1, umax = 0, corr = 0, prev = 0;
  int64_t hist[7] = {0};
  for (uint64_t i = 0; i < N; i++) {
    double z = rlz_rng_normal(9, 1, i), u = rlz_rng_uniform(9, 2, i);
    m1 += z;
    m2 += z * z;
    m4 += z * z * z * z;
    corr += z * prev;
    prev = z;
    u1 += u;
    umin = fmin(umin, u);
    umax = fmax(umax, u);
    uint64_t k = rlz_rng_below(9, 3, i, 7);
    ck_assert(k < 7);
    hist[k]++;
  }
  ck_assert_msg(fabs(m1 / N) < 0.01 && fabs(m2 / N - 1) < 0.015 && fabs(m4 / N - 3) < 0.1,
                "normal moments %g %g %g", m1 / N, m2 / N, m4 / N);
  ck_assert_msg(fabs(corr / N) < 0.01, "lag-1 correlation %g", corr / N); /* pairs too */
  ck_assert(fabs(u1 / N - 0.5) < 0.005 && umin > 0 && umax < 1);
  for (int k = 0; k < 7; k++)
    ck_assert_msg(fabs((double)hist[k] / N - 1.0 / 7) < 0.005, "bucket %d: %lld", k,
                  (long long)hist[k]);
}
END_TEST

Suite *model_suite(void) {
  Suite *s = suite_create("model");
  TCase *tc = tcase_create("model");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_gradient_matches_finite_differences_all_variants);
  tcase_add_test(tc, test_f32_and_f64_models_agree);
  tcase_add_test(tc, test_class_labels_give_the_bits_of_their_one_hot_targets);
  tcase_add_test(tc, test_centered_output_is_exactly_zero_at_init_for_every_gamma);
  tcase_add_test(tc, test_recenter_captures_current_parameters_as_theta0);
  tcase_add_test(tc, test_uncentered_model_output_is_the_raw_network);
  tcase_add_test(tc, test_one_sgd_step_moves_output_by_eta_over_gamma_squared);
  tcase_add_test(tc, test_chunked_batches_give_the_same_loss_and_gradient);
  tcase_add_test(tc, test_initialisation_is_seeded_gaussian_with_the_right_scale);
  tcase_add_test(tc, test_layers_round_trip_and_follow_the_flat_order);
  tcase_add_test(tc, test_model_without_bias_has_no_bias_parameters);
  tcase_add_test(tc, test_queries_report_effective_hyperparameters);
  tcase_add_test(tc, test_loss_and_accuracy_match_hand_computation);
  tcase_add_test(tc, test_bad_arguments_return_clear_statuses);
  tcase_add_test(tc, test_creation_uses_the_config_allocator_and_cleans_up_on_failure);
  tcase_add_test(tc, test_huge_shapes_fail_cleanly_with_nomem);
  tcase_add_test(tc, test_rng_values_depend_only_on_key_stream_and_counter);
  tcase_add_test(tc, test_rng_normals_match_libm_box_muller);
  tcase_add_test(tc, test_frozen_work_handed_in_gives_the_same_bits);
  tcase_add_test(tc, test_frozen_features_need_a_hidden_layer);
  suite_add_tcase(s, tc);
  return s;
}
