/* Shared by check_timewarp_real.c and check_timewarp_slow.c: the plateau
 * escape of real mean-field MLPs in the ultra-rich regime (DESIGN 1.3).
 *
 * Setup: relu MLP, mean-field readout / (gamma N), frozen centering (f = 0
 * at init), MSE on a linear teacher, online SGD with rate N eta0 (the
 * optimizer's width multiplier), eta0 = c gamma^(2/L) given directly
 * (gamma rule "none"). The theory time is tau = eta0 t / gamma. The
 * escape is measured on the held-out loss (fraction 1/2 of the plateau
 * level).
 *
 * The activation must be positively homogeneous (relu, identity): the
 * theory's blow-up dw/dtau = w^(L-1) rests on f_raw being of degree L in
 * the weights. A saturating activation (tanh) breaks it: once the hidden
 * units saturate only the readout can grow, linearly in tau, and the escape
 * in steps then grows much faster than gamma^(1 - 2/L). */
#ifndef RLZ_TEST_TIMEWARP_REAL_H
#define RLZ_TEST_TIMEWARP_REAL_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <richlazy/config.h>
#include <richlazy/timewarp.h>
#include <richlazy/trainer.h>

#define TWR_MAX_CURVES 32
#define TWR_MAX_LOG 4096
#define TWR_MAX_SEEDS 4

/* One experiment: sizes, rate constant, tau window and the gamma grid. */
typedef struct twr_setup {
  int64_t L, D, N, B, eval_n, seeds;
  double c;       /* eta0 = c gamma^(2/L) */
  double tau_cap; /* longest run, in tau, of the largest gamma */
  double window;  /* tau window = window x escape tau of the largest gamma */
  int dtype;
  const double *gammas;
  int ng;
} twr_setup;

/* What an experiment measured. */
typedef struct twr_result {
  int n, nseeds; /* curves (gammas x seeds), seeds */
  double gamma[TWR_MAX_CURVES], t_esc[TWR_MAX_CURVES], tau_esc[TWR_MAX_CURVES];
  int seed[TWR_MAX_CURVES];
  double exponent, exponent_se; /* escape steps ~ gamma^exponent, pooled least squares */
  double emp_exponent, emp_se;  /* empirical alignment scales, mean over seeds */
  double theory_exponent;       /* fit of gamma / eta0: 1 - 2/L by construction */
  /* Per seed: spreads (ln-loss variance) and collapse qualities. */
  double spread_raw[TWR_MAX_SEEDS], spread_theory[TWR_MAX_SEEDS];
  double q_theory[TWR_MAX_SEEDS], q_emp[TWR_MAX_SEEDS], tau_window[TWR_MAX_SEEDS];
} twr_result;

static void twr_check(richeta_status st, const char *what, const char *msg) {
  ck_assert_msg(st == RICHETA_OK, "%s failed: %s (%s)", what, richeta_status_string(st),
                msg ? msg : "");
}

/* Train one run and return its log (steps > 0 and held-out losses) and the
 * number of points. */
static int64_t twr_train(const twr_setup *su, double gamma, int64_t seed, int dtype, int64_t T,
                         double *steps, double *loss) {
  const double eta0 = su->c * pow(gamma, 2.0 / (double)su->L);
  richeta_config *cfg = NULL;
  twr_check(richeta_config_new(&cfg, NULL), "config_new", richeta_last_error());
  const struct {
    richeta_param p;
    int64_t v;
  } ints[] = {
      {RICHETA_PARAM_INPUT_DIM, su->D},
      {RICHETA_PARAM_WIDTH, su->N},
      {RICHETA_PARAM_OUTPUT_DIM, 1},
      {RICHETA_PARAM_DEPTH, su->L},
      {RICHETA_PARAM_PARAMETERIZATION, RICHETA_PARAMETERIZATION_MF},
      {RICHETA_PARAM_ACTIVATION, RICHETA_ACTIVATION_RELU},
      {RICHETA_PARAM_LOSS, RICHETA_LOSS_MSE},
      {RICHETA_PARAM_DTYPE, dtype},
      {RICHETA_PARAM_CENTERING, RICHETA_CENTERING_FROZEN},
      {RICHETA_PARAM_SEED, seed},
      {RICHETA_PARAM_BATCH, su->B},
      {RICHETA_PARAM_GAMMA_RULE, RICHETA_GAMMA_RULE_NONE},
      {RICHETA_PARAM_TASK, RICHETA_TASK_LINEAR},
      {RICHETA_PARAM_DATA_SEED, 1 + seed},
      {RICHETA_PARAM_STEPS, T},
      {RICHETA_PARAM_LOG_PER_DECADE, 40},
      {RICHETA_PARAM_EVAL_SIZE, su->eval_n},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    twr_check(richeta_config_set_int(cfg, ints[i].p, ints[i].v), "config_set_int",
              richeta_config_last_error(cfg));
  twr_check(richeta_config_set_double(cfg, RICHETA_PARAM_GAMMA, gamma), "set gamma",
            richeta_config_last_error(cfg));
  twr_check(richeta_config_set_double(cfg, RICHETA_PARAM_ETA0, eta0), "set eta0",
            richeta_config_last_error(cfg));

  richeta_trainer *tr = NULL;
  twr_check(richeta_trainer_new(&tr, cfg), "trainer_new", richeta_last_error());
  richeta_config_free(cfg);
  twr_check(richeta_trainer_run(tr, T, NULL), "trainer_run", richeta_trainer_last_error(tr));
  int state = -1;
  twr_check(richeta_trainer_state(tr, &state), "trainer_state", richeta_trainer_last_error(tr));
  ck_assert_msg(state == RICHETA_RUN_DONE, "L=%lld gamma=%g eta0=%g: run did not finish (%d)",
                (long long)su->L, gamma, eta0, state);
  int64_t count = 0;
  twr_check(richeta_trainer_log(tr, NULL, NULL, NULL, NULL, 0, &count), "trainer_log size",
            richeta_trainer_last_error(tr));
  ck_assert_int_le(count, TWR_MAX_LOG);
  static int64_t st[TWR_MAX_LOG];
  static double ev[TWR_MAX_LOG];
  twr_check(richeta_trainer_log(tr, st, NULL, ev, NULL, TWR_MAX_LOG, &count), "trainer_log",
            richeta_trainer_last_error(tr));
  richeta_trainer_free(tr);
  int64_t n = 0;
  for (int64_t i = 0; i < count; i++) {
    if (st[i] <= 0)
      continue;
    ck_assert_msg(isfinite(ev[i]) && ev[i] > 0.0, "held-out loss %g at step %lld", ev[i],
                  (long long)st[i]);
    steps[n] = (double)st[i];
    loss[n] = ev[i];
    n++;
  }
  return n;
}

/* Add the points of a trained curve with step <= T to cs (and those with
 * tau = eta0 t / gamma <= tau_keep to trim, when given); return its escape
 * step. */
static double twr_add_curve(richeta_curveset *cs, richeta_curveset *trim, const twr_setup *su,
                            double gamma, int64_t seed, const double *steps, const double *loss,
                            int64_t n, int64_t T, double tau_keep) {
  const double eta0 = su->c * pow(gamma, 2.0 / (double)su->L);
  char label[64];
  snprintf(label, sizeof label, "L%lld_g%g_s%lld", (long long)su->L, gamma, (long long)seed);
  int64_t m = 0, idx = -1;
  while (m < n && steps[m] <= (double)T)
    m++;
  /* The rate of the theory mapping tau = eta t / gamma is eta0: the width
   * multiplier N is the same for every curve and only shifts tau. */
  twr_check(richeta_curveset_add(cs, steps, loss, m, gamma, eta0, eta0, su->L, label, &idx),
            "curveset_add", richeta_curveset_last_error(cs));
  if (trim) {
    m = 0;
    while (m < n && eta0 * steps[m] / gamma <= tau_keep * (1.0 + 1e-12))
      m++;
    twr_check(richeta_curveset_add(trim, steps, loss, m, gamma, eta0, eta0, su->L, label, NULL),
              "curveset_add (trimmed)", richeta_curveset_last_error(trim));
  }
  double t_esc = NAN;
  twr_check(richeta_curveset_escape(cs, idx, 0.5, &t_esc), "curveset_escape",
            richeta_curveset_last_error(cs));
  ck_assert_msg(isfinite(t_esc), "%s: no escape within %lld steps", label, (long long)T);
  return t_esc;
}

/* Ordinary least squares of y on x: slope and its standard error. */
static void twr_ols(const double *x, const double *y, int n, double *slope, double *se) {
  double mx = 0.0, my = 0.0;
  for (int i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0.0, sxy = 0.0;
  for (int i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  *slope = sxy / sxx;
  double ssr = 0.0;
  for (int i = 0; i < n; i++) {
    double r = y[i] - my - *slope * (x[i] - mx);
    ssr += r * r;
  }
  *se = n > 2 ? sqrt(ssr / (n - 2) / sxx) : NAN;
}

/* Run the whole grid, fit the escape exponent and measure the collapse.
 * Per seed, the largest gamma runs first, up to tau_cap; its escape tau_e
 * sets the window tau_w = window * tau_e. Every curve of the seed is then
 * T = tau_w gamma_max / eta0(gamma_max) steps long, so the raw-step view
 * shows all escapes side by side and the common tau window of the rescaled
 * view ends at tau_w, a little after the escape (the later descent is
 * dominated by SGD noise and is not part of the theory's claim). tau_e
 * varies from seed to seed (2.5 to 5.3 at N = 32), hence the probe. Each
 * seed (init and teacher) gets its own curve set: the theory predicts a
 * collapse across gamma, not across networks. */
static void twr_run(const twr_setup *su, twr_result *res) {
  res->n = 0;
  res->nseeds = (int)su->seeds;
  ck_assert_int_le(su->seeds, TWR_MAX_SEEDS);
  static double psteps[TWR_MAX_LOG], ploss[TWR_MAX_LOG], steps[TWR_MAX_LOG], loss[TWR_MAX_LOG];
  const double gmax = su->gammas[su->ng - 1];
  const double emax = su->c * pow(gmax, 2.0 / (double)su->L);
  double ete = 0.0, ese = 0.0;
  for (int64_t s = 0; s < su->seeds; s++) {
    richeta_curveset *cs = NULL, *trim = NULL;
    twr_check(richeta_curveset_new(&cs, NULL), "curveset_new", richeta_last_error());
    twr_check(richeta_curveset_new(&trim, NULL), "curveset_new", richeta_last_error());
    /* Probe: the largest gamma escapes last (in steps). */
    const int64_t Tcap = (int64_t)ceil(su->tau_cap * gmax / emax);
    int64_t pn = twr_train(su, gmax, s, su->dtype, Tcap, psteps, ploss);
    richeta_curveset *probe = NULL;
    twr_check(richeta_curveset_new(&probe, NULL), "curveset_new", richeta_last_error());
    double tp = twr_add_curve(probe, NULL, su, gmax, s, psteps, ploss, pn, Tcap, 0.0);
    richeta_curveset_free(probe);
    const double tau_w = fmin(su->window * emax * tp / gmax, su->tau_cap);
    const int64_t T = (int64_t)ceil(tau_w * gmax / emax);
    res->tau_window[s] = tau_w;
    for (int g = 0; g < su->ng; g++) {
      ck_assert_int_lt(res->n, TWR_MAX_CURVES);
      double gamma = su->gammas[g];
      double eta0 = su->c * pow(gamma, 2.0 / (double)su->L);
      double t;
      if (g == su->ng - 1) {
        t = twr_add_curve(cs, trim, su, gamma, s, psteps, ploss, pn, T, tau_w);
      } else {
        int64_t n = twr_train(su, gamma, s, su->dtype, T, steps, loss);
        t = twr_add_curve(cs, trim, su, gamma, s, steps, loss, n, T, tau_w);
      }
      res->gamma[res->n] = gamma;
      res->seed[res->n] = (int)s;
      res->t_esc[res->n] = t;
      res->tau_esc[res->n] = eta0 * t / gamma;
      res->n++;
    }
    double e = 0.0, se = 0.0;
    twr_check(richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &res->theory_exponent, NULL, NULL),
              "fit_scales theory", richeta_curveset_last_error(cs));
    /* Empirical scales from the curves cut at tau_w: the same stretch of
     * dynamics (plateau and escape) for every gamma, not the noisy descent
     * that the small-gamma runs continue long afterwards. */
    twr_check(richeta_curveset_align_empirical(trim, 0, NULL, 0), "align_empirical",
              richeta_curveset_last_error(trim));
    twr_check(richeta_curveset_fit_scales(trim, RICHETA_TW_EMPIRICAL, &e, &se, NULL),
              "fit_scales empirical", richeta_curveset_last_error(trim));
    richeta_curveset_free(trim);
    twr_check(richeta_curveset_align_empirical(cs, 0, NULL, 0), "align_empirical",
              richeta_curveset_last_error(cs));
    ete += e;
    ese += se * se;
    twr_check(richeta_curveset_spread(cs, RICHETA_TW_RAW, &res->spread_raw[s]), "spread raw",
              richeta_curveset_last_error(cs));
    twr_check(richeta_curveset_spread(cs, RICHETA_TW_THEORY, &res->spread_theory[s]),
              "spread theory", richeta_curveset_last_error(cs));
    twr_check(richeta_curveset_collapse_quality(cs, RICHETA_TW_THEORY, &res->q_theory[s]),
              "collapse theory", richeta_curveset_last_error(cs));
    twr_check(richeta_curveset_collapse_quality(cs, RICHETA_TW_EMPIRICAL, &res->q_emp[s]),
              "collapse empirical", richeta_curveset_last_error(cs));
    richeta_curveset_free(cs);
  }
  /* Mean of the per-seed empirical exponents; its error from theirs. */
  res->emp_exponent = ete / (double)su->seeds;
  res->emp_se = sqrt(ese) / (double)su->seeds;
  /* Escape exponent: least squares over every (gamma, seed) point. The
   * grid is balanced, so this is the mean of the per-seed slopes. */
  double lx[TWR_MAX_CURVES], ly[TWR_MAX_CURVES];
  for (int i = 0; i < res->n; i++) {
    lx[i] = log10(res->gamma[i]);
    ly[i] = log10(res->t_esc[i]);
  }
  twr_ols(lx, ly, res->n, &res->exponent, &res->exponent_se);
}

/* Largest ratio, within one seed, of the escape taus across gamma. */
static double twr_tau_ratio(const twr_result *res) {
  double worst = 1.0;
  for (int s = 0; s < res->nseeds; s++) {
    double lo = INFINITY, hi = 0.0;
    for (int i = 0; i < res->n; i++)
      if (res->seed[i] == s) {
        lo = fmin(lo, res->tau_esc[i]);
        hi = fmax(hi, res->tau_esc[i]);
      }
    worst = fmax(worst, hi / lo);
  }
  return worst;
}

/* One line per figure, for the closing note. */
static void twr_print(const char *tag, const twr_setup *su, const twr_result *res) {
  for (int i = 0; i < res->n; i++)
    fprintf(stderr,
            "# %s: L=%lld seed=%d gamma=%-8g eta0=%-10.4g t_escape=%-10.1f tau_escape=%.3f\n", tag,
            (long long)su->L, res->seed[i], res->gamma[i],
            su->c * pow(res->gamma[i], 2.0 / (double)su->L), res->t_esc[i], res->tau_esc[i]);
  fprintf(stderr,
          "# %s: L=%lld escape steps ~ gamma^%.4f +- %.4f (theory %.4f; empirical alignment "
          "%.4f +- %.4f; gamma/eta0 fit %.4f)\n",
          tag, (long long)su->L, res->exponent, res->exponent_se, 1.0 - 2.0 / (double)su->L,
          res->emp_exponent, res->emp_se, res->theory_exponent);
  for (int s = 0; s < res->nseeds; s++)
    fprintf(stderr,
            "# %s: L=%lld seed=%d collapse over tau <= %.3f: ln-loss spread raw %.4g -> "
            "tau-rescaled %.4g; Q(theory) = %.4f, Q(empirical) = %.4f\n",
            tag, (long long)su->L, s, res->tau_window[s], res->spread_raw[s], res->spread_theory[s],
            res->q_theory[s], res->q_emp[s]);
  fprintf(stderr, "# %s: L=%lld tau_escape max/min within a seed %.3f\n", tag, (long long)su->L,
          twr_tau_ratio(res));
}

#endif /* RLZ_TEST_TIMEWARP_REAL_H */
