/* Sweeps: grids and their validation, power-law fits and eta* extraction,
 * adaptive and dense scheduling, diverged and failed runs as results,
 * worker-count independence, resuming after kill -9, the store, argument
 * checks. */
#include <check.h>
#include <math.h>
#include <richlazy/richeta.h>
#include <richlazy/sweep.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/store_check.h"
#include "sweep/sweep_internal.h"

Suite *sweep_suite(void);

static richeta_config *cfg_of(const char *spec) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_msg(richeta_config_parse(cfg, spec) == RICHETA_OK, "%s",
                richeta_config_last_error(cfg));
  return cfg;
}

static richeta_sweep *sweep_of(const char *spec) {
  richeta_config *cfg = cfg_of(spec);
  richeta_sweep *sw = NULL;
  ck_assert_int_eq(richeta_sweep_new(&sw, cfg), RICHETA_OK);
  richeta_config_free(cfg);
  return sw;
}

static void tmp_db(char *buf, size_t cap, const char *tag) {
  snprintf(buf, cap, "/tmp/check_sweep_%ld_%s.db", (long)getpid(), tag);
  char side[600];
  unlink(buf);
  snprintf(side, sizeof side, "%s-wal", buf);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", buf);
  unlink(side);
}

static void rm_db(const char *path) {
  char side[600];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
}

/* ---- grids ------------------------------------------------------------ */

START_TEST(range_grid_has_points_per_decade_on_a_shared_lattice) {
  richeta_sweep *sw = sweep_of("");
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "1e-4:1e4:2"), RICHETA_OK);
  double v[32];
  int64_t n = 0;
  ck_assert_int_eq(richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, v, 32, &n), RICHETA_OK);
  ck_assert_int_eq(n, 17);
  ck_assert_double_eq(v[0], 1e-4);
  ck_assert_double_eq(v[8], 1.0);
  ck_assert_double_eq(v[16], 1e4);
  ck_assert_double_eq_tol(v[1], pow(10, -3.5), 1e-18);
  /* a sub-range of the same density gives bit-identical points */
  double w[8];
  ck_assert_int_eq(richeta_sweep_set_grid_range(sw, RICHETA_SWEEP_AXIS_GAMMA, 1e-2, 1, 2),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, w, 8, &n), RICHETA_OK);
  ck_assert_int_eq(n, 5);
  for (int i = 0; i < 5; i++)
    ck_assert(w[i] == v[4 + i]);
  /* lists are sorted */
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1, 0.01,0.1"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_ETA0, w, 8, &n), RICHETA_OK);
  ck_assert_int_eq(n, 3);
  ck_assert(w[0] == 0.01 && w[1] == 0.1 && w[2] == 1);
  ck_assert_int_eq(richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_ETA0, w, 2, &n),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  double res;
  ck_assert_int_eq(richeta_sweep_eta_resolution(sw, &res), RICHETA_OK);
  ck_assert_double_eq_tol(res, 1.0, 1e-12);
  richeta_sweep_free(sw);
}
END_TEST

START_TEST(bad_grid_specifications_are_rejected_with_a_message) {
  richeta_sweep *sw = sweep_of("");
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1,1,10"), RICHETA_OK);
  static const struct {
    const char *spec;
    richeta_status want;
  } bad[] = {
      {"", RICHETA_ERR_FORMAT},           {"   ", RICHETA_ERR_FORMAT},
      {"10:1:2", RICHETA_ERR_RANGE},      {"-1:10:2", RICHETA_ERR_RANGE},
      {"0:10:2", RICHETA_ERR_RANGE},      {"1:10:0", RICHETA_ERR_RANGE},
      {"1:10:-2", RICHETA_ERR_RANGE},     {"nan:10:2", RICHETA_ERR_NONFINITE},
      {"1:inf:2", RICHETA_ERR_NONFINITE}, {"1,nan", RICHETA_ERR_NONFINITE},
      {"1,0", RICHETA_ERR_RANGE},         {"1,-3", RICHETA_ERR_RANGE},
      {"1,1", RICHETA_ERR_INVALID},       {"1:10", RICHETA_ERR_FORMAT},
      {"abc", RICHETA_ERR_FORMAT},        {"1,,2", RICHETA_ERR_FORMAT},
      {"1:2:3:4", RICHETA_ERR_FORMAT},    {"1e-300:1e300:1000", RICHETA_ERR_RANGE},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    richeta_status st = richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, bad[i].spec);
    ck_assert_msg(st == bad[i].want, "'%s': got %d want %d (%s)", bad[i].spec, st, bad[i].want,
                  richeta_sweep_last_error(sw));
    ck_assert_msg(strlen(richeta_sweep_last_error(sw)) > 10, "'%s' has no message", bad[i].spec);
  }
  /* a failed setter leaves the grid as it was */
  int64_t n = 0;
  ck_assert_int_eq(richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, NULL, 0, &n),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(n, 3);
  double nan_v[2] = {1, NAN};
  ck_assert_int_eq(richeta_sweep_set_grid_list(sw, RICHETA_SWEEP_AXIS_ETA0, nan_v, 2),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_sweep_set_grid_list(sw, RICHETA_SWEEP_AXIS_ETA0, nan_v, 0),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_grid_range(sw, RICHETA_SWEEP_AXIS_ETA0, 1, 0.5, 2),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_grid_range(sw, (richeta_sweep_axis)7, 1, 2, 2),
                   RICHETA_ERR_INVALID);
  richeta_sweep_free(sw);
}
END_TEST

/* ---- fits ------------------------------------------------------------- */

START_TEST(powerlaw_fit_recovers_a_known_exponent_and_its_error) {
  double x[20], y[20];
  for (int i = 0; i < 20; i++) {
    x[i] = pow(10, -3 + 0.25 * i);
    y[i] = 3.0 * pow(x[i], 1.7);
  }
  double s, se, b;
  ck_assert_int_eq(richeta_fit_powerlaw(x, y, 20, &s, &se, &b), RICHETA_OK);
  ck_assert_double_eq_tol(s, 1.7, 1e-12);
  ck_assert_double_eq_tol(b, log10(3.0), 1e-12);
  ck_assert(se < 1e-10);
  /* deterministic +-0.1 decade zigzag: the slope error is that of the formula */
  for (int i = 0; i < 20; i++)
    y[i] *= pow(10, (i % 2 ? 0.1 : -0.1));
  ck_assert_int_eq(richeta_fit_powerlaw(x, y, 20, &s, &se, &b), RICHETA_OK);
  ck_assert_double_eq_tol(s, 1.7, 3 * se);
  ck_assert(se > 0.005 && se < 0.05);
  /* bad input */
  ck_assert_int_eq(richeta_fit_powerlaw(x, y, 1, &s, &se, &b), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_fit_powerlaw(NULL, y, 3, &s, &se, &b), RICHETA_ERR_NULL);
  double z[3] = {1, -1, 2}, o[3] = {1, 1, 1}, nn[3] = {1, NAN, 2}, eq[3] = {2, 2, 2};
  ck_assert_int_eq(richeta_fit_powerlaw(z, o, 3, &s, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_fit_powerlaw(nn, o, 3, &s, NULL, NULL), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_fit_powerlaw(eq, o, 3, &s, NULL, NULL), RICHETA_ERR_RANGE);
  /* two points fix the line: no error, never a zero one */
  ck_assert_int_eq(richeta_fit_powerlaw(x, y, 2, &s, &se, &b), RICHETA_OK);
  ck_assert(isnan(se));
}
END_TEST

/* Runs of a synthetic sweep: gammas 10^(-3..1), an eta0 grid of 10 per
 * decade from 1e-9 to 1e2 scanned in full, seed u converging up to the
 * grid point at or below gamma^2 / 2 * 10^shift[(u + gi) mod nunits] at
 * gamma index gi, and diverging above.
 * With top_conv the largest gamma converges everywhere (censored at the
 * top); with none_conv the smallest converges nowhere. */
static int64_t star_runs(rlz_run *r, int64_t *units, const double *shift, int nunits, bool top_conv,
                         bool none_conv) {
  int64_t n = 0;
  for (int gi = 0; gi < 5; gi++) {
    double g = pow(10, -3 + gi);
    for (int k = -90; k <= 20; k++) {
      double e = pow(10, k / 10.0);
      for (int u = 0; u < nunits; u++) {
        double edge = 0.5 * g * g * pow(10, shift[(u + gi) % nunits]);
        bool conv = e <= edge * (1 + 1e-9);
        if (top_conv && gi == 4)
          conv = true;
        if (none_conv && gi == 0)
          conv = false;
        r[n] = (rlz_run){.gamma = g, .eta0 = e, .seed = u, .final_loss = conv ? 1 + e : NAN};
        r[n].test_final = NAN;
        r[n].status = conv ? RICHETA_SWEEP_RUN_CONVERGED : RICHETA_SWEEP_RUN_DIVERGED;
        units[n++] = u;
      }
    }
  }
  return n;
}

/* eta_max is an interval of the grid, censored at the top and where
 * nothing converged; fits leave censored points out unless asked; the
 * bootstrap error is never below the grid's (eta_max exactly on the grid
 * gives a least-squares error of 0, the "+- 0.000"), grows with
 * the seeds' scatter, and two-point fits have none. */
START_TEST(eta_star_intervals_censoring_and_bootstrap_errors) {
  enum { CAP = 5 * 111 * 4 };
  static rlz_run r[CAP];
  static int64_t units[CAP];
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  const double same[4] = {0, 0, 0, 0}, scatter[4] = {0, 0.3, -0.25, 0.45};
  int64_t n = star_runs(r, units, same, 1, true, true);
  rlz_star_set *set = NULL;
  ck_assert_int_eq(rlz_star_build(&a, r, units, n, &set), RICHETA_OK);
  ck_assert_int_eq(rlz_star_count(set), 5);
  const rlz_star_point *p = rlz_star_points(set);
  ck_assert(p[0].censored && (p[0].flags & RICHETA_ETA_STAR_NONE) && isnan(p[0].lo));
  ck_assert(p[4].censored && (p[4].flags & RICHETA_ETA_STAR_MAX_AT_TOP) && isnan(p[4].hi));
  for (int i = 1; i < 4; i++) {
    double edge = 0.5 * p[i].gamma * p[i].gamma;
    ck_assert(!p[i].censored);
    ck_assert(p[i].lo <= edge * (1 + 1e-9) && p[i].hi > edge);
    ck_assert_double_eq_tol(log10(p[i].hi) - log10(p[i].lo), 0.1, 1e-9);
    ck_assert_double_eq_tol(p[i].mid, sqrt(p[i].lo * p[i].hi), 1e-12 * p[i].mid);
  }
  rlz_star_fit_out f;
  ck_assert_int_eq(rlz_star_fit(set, RLZ_STAR_MAX, 0, INFINITY, false, 400, 1, &f), RICHETA_OK);
  ck_assert_int_eq(f.n, 3);
  ck_assert_int_eq(f.n_censored, 2);
  ck_assert_double_eq_tol(f.slope, 2.0, 0.05);
  ck_assert(f.se_ols < 0.02); /* the points sit on the grid's own staircase */
  ck_assert(f.se > 0.01);     /* the grid alone: 0.1 decade over 2 decades of gamma */
  ck_assert(f.se < 0.1);
  ck_assert_int_eq(rlz_star_fit(set, RLZ_STAR_MAX, 0, INFINITY, true, 100, 1, &f), RICHETA_OK);
  ck_assert_int_eq(f.n, 4); /* the top bound joins; nothing convergent has no value */
  ck_assert_int_eq(f.n_censored, 0);
  ck_assert_int_eq(rlz_star_fit(set, RLZ_STAR_MAX, 0.05, 20, false, 100, 1, &f), RICHETA_OK);
  ck_assert_int_eq(f.n, 2);
  ck_assert(f.ok && isnan(f.se) && isnan(f.se_ols));
  rlz_star_free(set);
  /* four seeds that disagree by up to 0.7 decade, each fragile at other
   * gammas: eta_max follows the most fragile seed (the same offset at
   * every gamma, so the slope is still 2), and resampling the seeds moves
   * it by gamma: the error grows beyond the grid's */
  double se_grid = 0;
  for (int k = 0; k < 2; k++) {
    n = star_runs(r, units, k ? scatter : same, 4, false, false);
    ck_assert_int_eq(rlz_star_build(&a, r, units, n, &set), RICHETA_OK);
    ck_assert_int_eq(rlz_star_units(set), 4);
    ck_assert_int_eq(rlz_star_fit(set, RLZ_STAR_MAX, 0, INFINITY, false, 400, 3, &f), RICHETA_OK);
    ck_assert_int_eq(f.n, 5);
    if (k == 0)
      se_grid = f.se;
    else
      ck_assert_msg(f.se > 1.2 * se_grid, "seed scatter: %g vs grid %g", f.se, se_grid);
    if (k)
      fprintf(stderr, "# eta_max slope error: grid alone %.4f, with seed scatter %.4f\n", se_grid,
              f.se);
    rlz_star_free(set);
  }
}
END_TEST

/* eta*(gamma) = c gamma^2 below 1 and c gamma^(2/L) above, on a half-decade
 * grid, rounded to a grid of 10 points per decade like a sweep would. */
static void synthetic_eta_star(int L, double *g, double *eta, int *n) {
  *n = 0;
  for (int k = -10; k <= 10; k++) {
    double gamma = pow(10, 0.5 * k);
    double e = 0.4 * (gamma <= 1 ? gamma * gamma : pow(gamma, 2.0 / L));
    g[*n] = gamma;
    eta[*n] = pow(10, floor(10 * log10(e)) / 10); /* largest grid point below */
    (*n)++;
  }
}

START_TEST(regime_fit_recovers_two_and_two_over_L_from_synthetic_eta_star) {
  rlz_alloc a;
  ck_assert_int_eq(rlz_alloc_resolve(&a, NULL), RICHETA_OK);
  for (int L = 2; L <= 4; L++) {
    double g[32], eta[32];
    int n;
    synthetic_eta_star(L, g, eta, &n);
    rlz_side_fit lazy, rich;
    /* automatic ranges */
    rlz_fit_regimes(&a, g, eta, n, NAN, NAN, 0.5, &lazy, &rich);
    ck_assert(lazy.ok && rich.ok);
    ck_assert_msg(fabs(lazy.slope - 2) < 0.05, "L=%d lazy %g", L, lazy.slope);
    ck_assert_msg(fabs(rich.slope - 2.0 / L) < 0.05, "L=%d rich %g", L, rich.slope);
    ck_assert(lazy.gamma_max < 1 && rich.gamma_min > 1);
    ck_assert(lazy.se < 0.05 && rich.se < 0.05);
    /* given ranges are obeyed */
    rlz_fit_regimes(&a, g, eta, n, pow(10, -2.5), pow(10, 1.5), 0.5, &lazy, &rich);
    ck_assert_double_eq_tol(lazy.gamma_max, pow(10, -2.5), 1e-9);
    ck_assert_double_eq_tol(rich.gamma_min, pow(10, 1.5), 1e-9);
    ck_assert_int_eq(lazy.n, 6);
    ck_assert_int_eq(rich.n, 8);
    double gc, ec;
    ck_assert(rlz_fit_crossover(&lazy, &rich, &gc, &ec));
    ck_assert_msg(gc > 0.3 && gc < 3, "crossover %g", gc);
  }
}
END_TEST

START_TEST(parabola_vertex_refines_between_grid_points) {
  /* y = (x - 0.3)^2 + 1 sampled at -1, 0, 1 */
  double v = rlz_parabola_vertex(-1, 1.69 + 1, 0, 0.09 + 1, 1, 0.49 + 1);
  ck_assert_double_eq_tol(v, 0.3, 1e-12);
  /* concave: keep the middle point */
  ck_assert_double_eq(rlz_parabola_vertex(-1, 0, 0, 1, 1, 0), 0);
  /* far vertex is clipped to the bracket */
  ck_assert(rlz_parabola_vertex(0, 1, 1, 0.999, 2, 0.9985) <= 2);
}
END_TEST

static rlz_run mkrun(double g, double e, int64_t seed, int status, double loss) {
  rlz_run r = {.gamma = g, .eta0 = e, .seed = seed, .status = status, .final_loss = loss};
  r.test_final = NAN;
  return r;
}

/* eta* lie below the edge of stability: a convergent eta0 above the lowest
 * divergent one (a catapult that recovered at one rate while its neighbours
 * diverged) is an island, flagged, and neither eta_max nor eta_opt, in the
 * plain eta* and in the intervals the fits use. */
START_TEST(eta_star_lies_below_the_edge_of_stability) {
  rlz_alloc a;
  ck_assert_int_eq(rlz_alloc_resolve(&a, NULL), RICHETA_OK);
  const int C = RICHETA_SWEEP_RUN_CONVERGED, D = RICHETA_SWEEP_RUN_DIVERGED,
            S = RICHETA_SWEEP_RUN_STALLED;
  rlz_run r[] = {
      mkrun(1, 1e-4, 0, S, 0.99), /* too slow: stalled, not an edge */
      mkrun(1, 1e-3, 0, C, 1.0),      mkrun(1, 1e-2, 0, C, 0.5),
      mkrun(1, 1e-1, 0, D, INFINITY), /* the edge */
      mkrun(1, 1, 0, C, 0.01),        /* island with the lowest loss */
      mkrun(1, 10, 0, D, INFINITY),
  };
  int64_t units[6] = {0, 0, 0, 0, 0, 0};
  rlz_eta_star es[1];
  ck_assert_int_eq(rlz_eta_star_compute(&a, r, 6, es), 1);
  ck_assert_double_eq(es[0].eta_max, 1e-2);
  ck_assert_double_eq(es[0].eta_opt, 1e-2);
  ck_assert(es[0].flags & RICHETA_ETA_STAR_ABOVE_DIVERGENT);
  ck_assert_int_eq(es[0].flags & RICHETA_ETA_STAR_MAX_AT_TOP, 0);
  rlz_star_set *set = NULL;
  ck_assert_int_eq(rlz_star_build(&a, r, units, 6, &set), RICHETA_OK);
  const rlz_star_point *p = rlz_star_points(set);
  ck_assert_double_eq(p[0].lo, 1e-2);
  ck_assert_double_eq(p[0].hi, 1e-1);
  ck_assert(!p[0].censored);
  ck_assert(p[0].flags & RICHETA_ETA_STAR_ABOVE_DIVERGENT);
  ck_assert_double_eq(p[0].opt, 1e-2);
  rlz_star_free(set);
  /* without a divergent rate below it the same convergent cell is eta_max */
  r[3].status = S;
  ck_assert_int_eq(rlz_eta_star_compute(&a, r, 6, es), 1);
  ck_assert_double_eq(es[0].eta_max, 1);
  ck_assert_int_eq(es[0].flags & RICHETA_ETA_STAR_ABOVE_DIVERGENT, 0);
}
END_TEST

START_TEST(eta_star_takes_largest_convergent_and_refined_best) {
  rlz_alloc a;
  ck_assert_int_eq(rlz_alloc_resolve(&a, NULL), RICHETA_OK);
  const int C = RICHETA_SWEEP_RUN_CONVERGED, D = RICHETA_SWEEP_RUN_DIVERGED;
  rlz_run r[] = {
      /* gamma 1: losses symmetric around 10^-1.5 (in log10 loss) */
      mkrun(1, 1e-3, 0, C, 1.0),
      mkrun(1, 1e-2, 0, C, 0.1),
      mkrun(1, 1e-1, 0, C, 0.1),
      mkrun(1, 1e-1, 1, D, INFINITY), /* one seed diverged: not convergent */
      mkrun(1, 1, 0, D, INFINITY),
      /* gamma 2: best at the top of the convergent range */
      mkrun(2, 1e-2, 0, C, 0.5),
      mkrun(2, 1e-1, 0, C, 0.2),
      /* gamma 3: nothing converged */
      mkrun(3, 1e-1, 0, D, NAN),
  };
  rlz_eta_star es[3];
  int64_t ng = rlz_eta_star_compute(&a, r, 8, es);
  ck_assert_int_eq(ng, 3);
  ck_assert_double_eq(es[0].eta_max, 1e-2);
  ck_assert_int_eq(es[0].flags & RICHETA_ETA_STAR_MAX_AT_TOP, 0);
  /* best is 1e-2 (the only cell with loss 0.1 that converged); its upper
   * neighbour is not convergent: no refinement */
  ck_assert_double_eq(es[0].eta_opt, 1e-2);
  ck_assert(es[0].flags & RICHETA_ETA_STAR_OPT_AT_EDGE);
  ck_assert_double_eq(es[1].eta_max, 1e-1);
  ck_assert(es[1].flags & RICHETA_ETA_STAR_MAX_AT_TOP);
  ck_assert(es[2].flags & RICHETA_ETA_STAR_NONE);
  ck_assert(isnan(es[2].eta_max) && isnan(es[2].eta_opt));
  /* refinement with both neighbours convergent */
  rlz_run q[] = {mkrun(1, 1e-3, 0, C, 1.0), mkrun(1, 1e-2, 0, C, 0.1),
                 mkrun(1, 1e-1, 0, C, 0.1 * pow(10, 0.5)), mkrun(1, 1, 0, D, INFINITY)};
  ng = rlz_eta_star_compute(&a, q, 4, es);
  ck_assert_int_eq(ng, 1);
  /* log-loss parabola through (-3,0), (-2,-1), (-1,-0.5): vertex at -2 + 1/6 */
  ck_assert_double_eq_tol(log10(es[0].eta_opt), -2 + 1.0 / 6, 1e-9);
  ck_assert_int_eq(es[0].flags, 0);
}
END_TEST

/* ---- scheduling with a fake runner -------------------------------------- */

typedef struct fake {
  double fail_gamma; /* cells at this gamma fail */
  int calls;
} fake;

/* Converges iff eta0 <= 0.3 gamma^2 (gamma <= 1) or 0.3 gamma^(2/3); loss is
 * a parabola in log eta0 with its minimum a decade below the edge. */
static void fake_runner(void *user, const richeta_config *cfg, const rlz_alloc *a, rlz_run_out *o) {
  fake *f = user;
  __atomic_fetch_add(&f->calls, 1, __ATOMIC_RELAXED);
  double g, e;
  int64_t seed;
  richeta_config_get_double(cfg, RICHETA_PARAM_GAMMA, &g);
  richeta_config_get_double(cfg, RICHETA_PARAM_ETA0, &e);
  richeta_config_get_int(cfg, RICHETA_PARAM_SEED, &seed);
  if (g == f->fail_gamma) {
    o->r.status = RICHETA_SWEEP_RUN_FAILED;
    snprintf(o->msg, sizeof o->msg, "fake failure");
    return;
  }
  double edge = 0.3 * (g <= 1 ? g * g : pow(g, 2.0 / 3));
  bool conv = e <= edge;
  o->r.status = conv ? RICHETA_SWEEP_RUN_CONVERGED : RICHETA_SWEEP_RUN_DIVERGED;
  double d = log10(e) - log10(edge) + 1;
  o->r.init_loss = 1;
  o->r.final_loss = conv ? 0.01 * pow(10, d * d) * (1 + 0.01 * (double)seed) : INFINITY;
  o->r.best_loss = conv ? o->r.final_loss : 1;
  o->r.steps = conv ? 100 : 3;
  o->n = 2;
  o->step = rlz_calloc(a, 2, sizeof *o->step);
  o->loss = rlz_calloc(a, 2, sizeof *o->loss);
  o->test = rlz_calloc(a, 2, sizeof *o->test);
  o->eta = rlz_calloc(a, 2, sizeof *o->eta);
  o->step[1] = o->r.steps;
  o->loss[0] = 1;
  o->loss[1] = o->r.final_loss;
  o->test[0] = o->test[1] = NAN;
  o->eta[0] = o->eta[1] = e;
}

static int64_t count_rows(const char *db, const char *sql) {
  sqlite3 *h = NULL;
  ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *q = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(h);
  return n;
}

START_TEST(dense_sweep_runs_every_cell_for_every_seed) {
  char db[512];
  tmp_db(db, sizeof db, "dense");
  richeta_sweep *sw = sweep_of("");
  fake f = {.fail_gamma = -1};
  rlz_sweep_set_runner(sw, fake_runner, &f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1:10:1"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-3:1:1"), RICHETA_OK);
  int64_t seeds[2] = {3, 7};
  ck_assert_int_eq(richeta_sweep_set_seeds(sw, seeds, 2), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, RICHETA_SWEEP_DENSE),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 3), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  int64_t n = 0;
  ck_assert_int_eq(richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n), RICHETA_OK);
  ck_assert_int_eq(n, 3 * 4 * 2);
  ck_assert_int_eq(f.calls, 24);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM curves"), 48);
  /* a second run finds everything stored */
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  ck_assert_int_eq(f.calls, 24);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM runs"), 24);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

START_TEST(adaptive_scan_stops_decades_below_the_first_convergent_eta0) {
  char db[512];
  tmp_db(db, sizeof db, "adaptive");
  richeta_sweep *sw = sweep_of("");
  fake f = {.fail_gamma = -1};
  rlz_sweep_set_runner(sw, fake_runner, &f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.01,1,1000"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-8:1e4:4"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DECADES_BELOW, 1.5), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  double g[3], em[3], eo[3];
  int32_t fl[3];
  int64_t ng;
  ck_assert_int_eq(richeta_sweep_eta_star(sw, g, em, eo, NULL, fl, 3, &ng), RICHETA_OK);
  ck_assert_int_eq(ng, 3);
  for (int i = 0; i < 3; i++) {
    double edge = 0.3 * (g[i] <= 1 ? g[i] * g[i] : pow(g[i], 2.0 / 3));
    /* eta_max is the largest grid point below the edge */
    ck_assert_msg(em[i] <= edge && em[i] * pow(10, 0.25) > edge, "gamma %g: %g vs %g", g[i], em[i],
                  edge);
    ck_assert_int_eq(fl[i] & RICHETA_ETA_STAR_MAX_AT_TOP, 0);
    /* the optimum one decade below the edge, refined off the grid */
    ck_assert_double_eq_tol(log10(eo[i]), log10(edge) - 1, 0.13);
    /* runs at this gamma: every eta0 from the top to 1.5 decades below eta_max */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE gamma = %.17g AND eta0 < %.17g",
             g[i], em[i] * pow(10, -1.5) * 0.999);
    ck_assert_int_eq(count_rows(db, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM runs WHERE gamma = %.17g AND status = 'converged'", g[i]);
    ck_assert_int_eq(count_rows(db, sql), 7); /* 1.5 decades at 4 per decade, both ends */
  }
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

START_TEST(failed_and_diverged_runs_are_recorded_and_the_sweep_goes_on) {
  char db[512];
  tmp_db(db, sizeof db, "failed");
  richeta_sweep *sw = sweep_of("");
  fake f = {.fail_gamma = 1};
  rlz_sweep_set_runner(sw, fake_runner, &f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1,1,10"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-4:10:2"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  /* gamma 1 fails everywhere: the scan walks the whole grid, all recorded */
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM runs WHERE status='failed'"), 11);
  ck_assert_int_eq(
      count_rows(db, "SELECT count(*) FROM runs WHERE status='failed' AND message IS NULL"), 0);
  ck_assert(count_rows(db, "SELECT count(*) FROM runs WHERE status='diverged'") > 0);
  ck_assert(count_rows(db, "SELECT count(*) FROM runs WHERE status='converged'") > 0);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

static int stop_after_five(void *user, double g, double e, int64_t seed, int status, double loss,
                           int cached, int64_t finished) {
  (void)user, (void)g, (void)e, (void)seed, (void)status, (void)loss, (void)cached;
  return finished >= 5;
}

START_TEST(callback_stop_keeps_finished_runs_and_reports_aborted) {
  char db[512];
  tmp_db(db, sizeof db, "abort");
  richeta_sweep *sw = sweep_of("");
  fake f = {.fail_gamma = -1};
  rlz_sweep_set_runner(sw, fake_runner, &f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1:10:2"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-4:10:2"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 1), RICHETA_OK);
  richeta_sweep_callbacks cb = {sizeof cb, stop_after_five, NULL};
  ck_assert_int_eq(richeta_sweep_run(sw, db, &cb), RICHETA_ERR_ABORTED);
  int64_t n = 0;
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n);
  ck_assert(n >= 5 && n < 30);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM runs"), n);
  /* finishing afterwards gives the full adaptive table */
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n);
  ck_assert(n > 30);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

/* Like fake_runner, but the decade just below the edge "runs dead": it
 * finishes without diverging and without learning (final = initial). */
static void stall_runner(void *user, const richeta_config *cfg, const rlz_alloc *a,
                         rlz_run_out *o) {
  fake_runner(user, cfg, a, o);
  double g, e;
  richeta_config_get_double(cfg, RICHETA_PARAM_GAMMA, &g);
  richeta_config_get_double(cfg, RICHETA_PARAM_ETA0, &e);
  double edge = 0.3 * (g <= 1 ? g * g : pow(g, 2.0 / 3));
  if (e <= edge && e > edge / 10)
    o->r.final_loss = o->loss[1] = 1.0;
}

START_TEST(progress_test_marks_runs_that_do_not_learn_as_stalled) {
  for (int with = 0; with < 2; with++) {
    char db[512];
    tmp_db(db, sizeof db, with ? "stall1" : "stall0");
    richeta_sweep *sw = sweep_of("");
    fake f = {.fail_gamma = -1};
    rlz_sweep_set_runner(sw, stall_runner, &f);
    ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1,100"), RICHETA_OK);
    ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-6:1e3:4"), RICHETA_OK);
    char h0[17], h1[17], h9[17];
    richeta_sweep_hash(sw, h0, sizeof h0); /* the default: 0.9 */
    ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_PROGRESS, 0.9), RICHETA_OK);
    richeta_sweep_hash(sw, h9, sizeof h9);
    ck_assert_str_eq(h0, h9);
    ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_PROGRESS, with ? 0.5 : 0),
                     RICHETA_OK);
    richeta_sweep_hash(sw, h1, sizeof h1);
    /* the progress test is part of the sweep's identity */
    ck_assert_str_ne(h0, h1);
    ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
    double g[2], em[2];
    int64_t ng;
    ck_assert_int_eq(richeta_sweep_eta_star(sw, g, em, NULL, NULL, NULL, 2, &ng), RICHETA_OK);
    for (int i = 0; i < 2; i++) {
      double edge = 0.3 * (g[i] <= 1 ? g[i] * g[i] : pow(g[i], 2.0 / 3));
      double top = with ? edge / 10 : edge; /* eta_max: the largest learning eta0 */
      ck_assert_msg(em[i] <= top && em[i] * pow(10, 0.25) > top, "gamma %g: %g vs %g", g[i], em[i],
                    top);
    }
    int64_t stalled = count_rows(db, "SELECT count(*) FROM runs WHERE status = 'stalled'");
    ck_assert_int_eq(stalled, with ? 8 : 0); /* one decade at 4 per decade, two gammas */
    if (with)
      ck_assert_int_eq(
          count_rows(db, "SELECT count(*) FROM runs WHERE status = 'stalled' AND message LIKE "
                         "'no progress%'"),
          8);
    richeta_sweep_free(sw);
    rm_db(db);
  }
}
END_TEST

/* The library's default stall criterion (0.9, since 1.1) on a real dead
 * network: L = 3 ReLU at gamma = 100, eta0 = 150 neither diverges nor
 * learns (its held-out loss ends at the constant predictor's); 1.0's
 * default (0, kept by an explicit 0 with 1.0's hash) counted it converged,
 * which made a plain sweep report eta_max 158 instead of 12.6. */
START_TEST(a_default_sweep_marks_a_dead_network_stalled) {
  for (int explicit_zero = 0; explicit_zero < 2; explicit_zero++) {
    char db[512];
    tmp_db(db, sizeof db, explicit_zero ? "dead0" : "dead_default");
    richeta_sweep *sw = sweep_of("L=3");
    double v = -1;
    ck_assert_int_eq(richeta_sweep_get_option(sw, RICHETA_SWEEP_OPT_PROGRESS, &v), RICHETA_OK);
    ck_assert_double_eq(v, 0.9);
    if (explicit_zero)
      ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_PROGRESS, 0), RICHETA_OK);
    ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, RICHETA_SWEEP_DENSE),
                     RICHETA_OK);
    ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "100"), RICHETA_OK);
    ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "150"), RICHETA_OK);
    ck_assert_msg(richeta_sweep_run(sw, db, NULL) == RICHETA_OK, "%s",
                  richeta_sweep_last_error(sw));
    int32_t st = -1;
    int64_t n = 0;
    ck_assert_int_eq(richeta_sweep_runs(sw, NULL, NULL, NULL, &st, NULL, 1, &n), RICHETA_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(st, explicit_zero ? RICHETA_SWEEP_RUN_CONVERGED : RICHETA_SWEEP_RUN_STALLED);
    if (!explicit_zero)
      ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM runs WHERE status = 'stalled' AND "
                                      "message LIKE 'no progress%'"),
                       1);
    richeta_sweep_free(sw);
    rm_db(db);
  }
}
END_TEST

/* The fake runner, taking the T its configuration gives it. */
static void steps_runner(void *user, const richeta_config *cfg, const rlz_alloc *a,
                         rlz_run_out *o) {
  fake_runner(user, cfg, a, o);
  if (o->r.status == RICHETA_SWEEP_RUN_CONVERGED) { /* ran to its T: the curve ends there */
    richeta_config_get_int(cfg, RICHETA_PARAM_STEPS, &o->r.steps);
    o->step[o->n - 1] = o->r.steps;
  }
}

/* T(gamma) of the steps laws: escape T0 max(1, gamma)^(1 - 2/L) (log for
 * L = 2), tau max(T0, tau gamma / eta) with the scheduler's eta, capped;
 * each stored run's configuration holds its T (and so its steps); a law
 * is part of the sweep's hash, fixed leaves the hash as it was. */
START_TEST(steps_laws_give_each_gamma_its_budget_and_the_store_records_it) {
  richeta_sweep *sw = sweep_of("T=400,L=4");
  char h0[17], h1[17], h2[17];
  richeta_sweep_hash(sw, h0, sizeof h0);
  int64_t T = 0;
  ck_assert_int_eq(rlz_sweep_run_steps(sw, 100, 1, &T), RICHETA_OK);
  ck_assert_int_eq(T, 400);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_LAW, 1), RICHETA_OK);
  richeta_sweep_hash(sw, h1, sizeof h1);
  ck_assert_str_ne(h0, h1);
  const double gs[] = {0.01, 1, 100, 1e4, 1e6};
  const int64_t want[] = {400, 400, 4000, 40000, 40000}; /* cap: 100 x T */
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(rlz_sweep_run_steps(sw, gs[i], 1, &T), RICHETA_OK);
    ck_assert_int_eq(T, want[i]);
  }
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_MAX, 10000), RICHETA_OK);
  ck_assert_int_eq(rlz_sweep_run_steps(sw, 1e4, 1, &T), RICHETA_OK);
  ck_assert_int_eq(T, 10000);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_LAW, 2), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_TAU_BUDGET, 50), RICHETA_OK);
  richeta_sweep_hash(sw, h2, sizeof h2);
  ck_assert_str_ne(h1, h2);
  ck_assert_int_eq(rlz_sweep_run_steps(sw, 10, 0.01, &T), RICHETA_OK); /* 50 x 10 / 0.01 */
  ck_assert_int_eq(T, 10000);
  ck_assert_int_eq(rlz_sweep_run_steps(sw, 10, 0.1, &T), RICHETA_OK);
  ck_assert_int_eq(T, 5000);
  ck_assert_int_eq(rlz_sweep_run_steps(sw, 10, 100, &T), RICHETA_OK); /* never below T0 */
  ck_assert_int_eq(T, 400);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_TAU_BUDGET, 0),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_LAW, 3), RICHETA_ERR_RANGE);
  richeta_sweep_free(sw);
  sw = sweep_of("T=100,L=2");
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_LAW, 1), RICHETA_OK);
  ck_assert_int_eq(rlz_sweep_run_steps(sw, 1e4, 1, &T), RICHETA_OK);
  ck_assert_int_eq(T, llround(100 * (1 + log(1e4))));
  /* a sweep: every stored run carries its T */
  char db[512];
  tmp_db(db, sizeof db, "steps");
  fake f = {.fail_gamma = -1};
  rlz_sweep_set_runner(sw, steps_runner, &f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1,100"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-3:1e2:1"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  int64_t at100 = count_rows(db, "SELECT count(*) FROM runs WHERE gamma > 1"),
          low = count_rows(db, "SELECT count(*) FROM runs WHERE gamma < 1");
  ck_assert_int_gt(at100, 0);
  ck_assert_int_eq(count_rows(db,
                              "SELECT count(*) FROM runs WHERE gamma > 1 AND "
                              "config LIKE '%,T=561,%' AND (steps = 561 OR status = 'diverged')"),
                   at100); /* 100 (1 + ln 100) */
  ck_assert_int_eq(count_rows(db,
                              "SELECT count(*) FROM runs WHERE gamma < 1 AND "
                              "config LIKE '%,T=100,%' AND (steps = 100 OR status = 'diverged')"),
                   low);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

/* ---- real training runs ------------------------------------------------- */

/* Every deterministic column of every run and curve point, as text. */
static char *dump_db(const char *path) {
  sqlite3 *h = NULL;
  ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  const char *sql =
      "SELECT printf('%.17g %.17g %d %.17g %s %d %.17g %.17g %.17g %.17g %.17g %.17g %s ',"
      " gamma, eta0, seed, eta, status, steps, initial_loss, final_loss, best_loss,"
      " test_initial_loss, test_final_loss, test_best_loss, config) ||"
      " (SELECT group_concat(printf('%d:%.17g:%.17g:%.17g', step, loss, test_loss, c.eta), ';')"
      "  FROM (SELECT * FROM curves WHERE run_id = r.id ORDER BY step) c)"
      " FROM runs r ORDER BY gamma, eta0, seed";
  sqlite3_stmt *q = NULL;
  ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(h));
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  out[0] = 0;
  while (sqlite3_step(q) == SQLITE_ROW) {
    const char *row = (const char *)sqlite3_column_text(q, 0);
    size_t rl = strlen(row);
    while (len + rl + 2 > cap)
      out = realloc(out, cap *= 2);
    memcpy(out + len, row, rl);
    len += rl;
    out[len++] = '\n';
    out[len] = 0;
  }
  sqlite3_finalize(q);
  sqlite3_close(h);
  return out;
}

#define REAL_SPEC "D=8,N=16,L=3,B=16,T=60,eval_n=32,blowup=100"

static richeta_sweep *real_sweep(int workers) {
  richeta_sweep *sw = sweep_of(REAL_SPEC);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "1e-3,0.1,10,1000"),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-8:1e4:2"), RICHETA_OK);
  int64_t seeds[2] = {0, 1};
  ck_assert_int_eq(richeta_sweep_set_seeds(sw, seeds, 2), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, workers), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_BLAS_SINGLE, 1), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DECADES_BELOW, 1), RICHETA_OK);
  return sw;
}

START_TEST(results_do_not_depend_on_the_number_of_workers) {
  char *dumps[3];
  int workers[3] = {1, 2, 5};
  for (int k = 0; k < 3; k++) {
    char db[512], tag[16];
    snprintf(tag, sizeof tag, "w%d", workers[k]);
    tmp_db(db, sizeof db, tag);
    richeta_sweep *sw = real_sweep(workers[k]);
    ck_assert_msg(richeta_sweep_run(sw, db, NULL) == RICHETA_OK, "%s",
                  richeta_sweep_last_error(sw));
    richeta_sweep_free(sw);
    dumps[k] = dump_db(db);
    rm_db(db);
  }
  ck_assert(strlen(dumps[0]) > 1000);
  ck_assert(strstr(dumps[0], "diverged") && strstr(dumps[0], "converged"));
  ck_assert_str_eq(dumps[0], dumps[1]);
  ck_assert_str_eq(dumps[0], dumps[2]);
  for (int k = 0; k < 3; k++)
    free(dumps[k]);
}
END_TEST

/* A worker trains the runs of one seed together (one stream, theta0's hidden
 * layers once per step): the stored table must be the one of runs trained
 * one by one, to the bit, for the MLP and the CNN. Dense grid, so that groups are full; gamma 1e-3
 * makes some models f64 (dtype auto) next to f32 ones; eval_n = 40 is not a
 * multiple of B, so the held-out set ends in a partial chunk. */
START_TEST(runs_trained_together_match_runs_trained_alone) {
  const char *specs[3] = {REAL_SPEC ",eval_n=40", REAL_SPEC ",act=tanh,center=none",
                          /* the CNN's runs share theta0's conv and dense trunk */
                          "arch=cnn,L=4,N=2,D=100,image_channels=1,image_height=10,"
                          "image_width=10,B=8,T=30,eval_n=20,blowup=100"};
  for (int v = 0; v < 3; v++) {
    char *dumps[2];
    for (int k = 0; k < 2; k++) {
      char db[512], tag[16];
      snprintf(tag, sizeof tag, "g%d_%d", v, k);
      tmp_db(db, sizeof db, tag);
      richeta_sweep *sw = sweep_of(specs[v]);
      ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "1e-3,0.1,10,1000"),
                       RICHETA_OK);
      ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-6:1e3:1"),
                       RICHETA_OK);
      int64_t seeds[2] = {0, 1};
      ck_assert_int_eq(richeta_sweep_set_seeds(sw, seeds, 2), RICHETA_OK);
      ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, RICHETA_SWEEP_DENSE),
                       RICHETA_OK);
      ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 1), RICHETA_OK);
      sw->group_max = k == 0 ? 1 : RLZ_GROUP_MAX;
      ck_assert_msg(richeta_sweep_run(sw, db, NULL) == RICHETA_OK, "%s",
                    richeta_sweep_last_error(sw));
      richeta_sweep_free(sw);
      dumps[k] = dump_db(db);
      rm_db(db);
    }
    /* both endings compared: stopped early, and ran all T (converged, or
     * stalled under the default stall criterion, as short runs may) */
    ck_assert_msg(strstr(dumps[0], "diverged") &&
                      (strstr(dumps[0], "converged") || strstr(dumps[0], "stalled")),
                  "variant %d: no diverged or no finished run", v);
    size_t at = 0; /* first difference, shown with a little context */
    while (dumps[0][at] && dumps[0][at] == dumps[1][at])
      at++;
    ck_assert_msg(dumps[0][at] == dumps[1][at],
                  "variant %d: grouped runs differ at byte %zu: '%.120s' vs '%.120s'", v, at,
                  dumps[0] + (at > 60 ? at - 60 : 0), dumps[1] + (at > 60 ? at - 60 : 0));
    free(dumps[0]);
    free(dumps[1]);
  }
}
END_TEST

static int count_cached(void *user, double g, double e, int64_t seed, int status, double loss,
                        int cached, int64_t finished) {
  (void)g, (void)e, (void)seed, (void)status, (void)loss, (void)finished;
  int *c = user;
  c[cached ? 1 : 0]++;
  return 0;
}

START_TEST(sweep_killed_mid_run_resumes_to_the_uninterrupted_table) {
  char full[512], killed[512];
  tmp_db(full, sizeof full, "full");
  tmp_db(killed, sizeof killed, "killed");
  richeta_sweep *sw = real_sweep(2);
  ck_assert_int_eq(richeta_sweep_run(sw, full, NULL), RICHETA_OK);
  int64_t total = 0;
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &total);
  richeta_sweep_free(sw);
  ck_assert(total > 20);

  pid_t pid = fork();
  ck_assert(pid >= 0);
  if (pid == 0) {
    richeta_sweep *c = real_sweep(1); /* slower, and the table must not care */
    richeta_sweep_run(c, killed, NULL);
    _exit(0);
  }
  /* wait until about a third of the runs is stored, then kill -9 */
  int64_t have = 0;
  for (int i = 0; i < 20000 && have < total / 3; i++) {
    usleep(2000);
    sqlite3 *h = NULL;
    if (sqlite3_open_v2(killed, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
      sqlite3_busy_timeout(h, 1000);
      sqlite3_stmt *q = NULL;
      if (sqlite3_prepare_v2(h, "SELECT count(*) FROM runs", -1, &q, NULL) == SQLITE_OK &&
          sqlite3_step(q) == SQLITE_ROW)
        have = sqlite3_column_int64(q, 0);
      sqlite3_finalize(q);
    }
    sqlite3_close(h);
  }
  kill(pid, SIGKILL);
  int wst;
  waitpid(pid, &wst, 0);
  ck_assert_msg(WIFSIGNALED(wst), "the child finished before it was killed");
  int64_t before = count_rows(killed, "SELECT count(*) FROM runs");
  ck_assert(before > 0 && before < total);

  sw = real_sweep(2);
  int counts[2] = {0, 0};
  richeta_sweep_callbacks cb = {sizeof cb, count_cached, counts};
  ck_assert_int_eq(richeta_sweep_run(sw, killed, &cb), RICHETA_OK);
  richeta_sweep_free(sw);
  ck_assert_int_eq(counts[1], before); /* every stored run skipped */
  ck_assert_int_eq(counts[0] + counts[1], total);
  char *a = dump_db(full), *b = dump_db(killed);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  rm_db(full);
  rm_db(killed);
}
END_TEST

START_TEST(open_reads_back_a_stored_sweep_and_rejects_other_files) {
  char db[512];
  tmp_db(db, sizeof db, "open");
  richeta_sweep *sw = sweep_of("");
  fake f = {.fail_gamma = -1};
  rlz_sweep_set_runner(sw, fake_runner, &f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1,10"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-4:10:2"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  char h1[17], h2[17];
  ck_assert_int_eq(richeta_sweep_hash(sw, h1, sizeof h1), RICHETA_OK);
  int64_t n1 = 0, n2 = 0;
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n1);
  richeta_sweep *o = NULL;
  ck_assert_msg(richeta_sweep_open(&o, db, NULL, NULL) == RICHETA_OK, "%s", richeta_last_error());
  ck_assert_int_eq(richeta_sweep_hash(o, h2, sizeof h2), RICHETA_OK);
  ck_assert_str_eq(h1, h2);
  richeta_sweep_runs(o, NULL, NULL, NULL, NULL, NULL, 0, &n2);
  ck_assert_int_eq(n1, n2);
  int64_t ng = 0;
  ck_assert_int_eq(richeta_sweep_get_grid(o, RICHETA_SWEEP_AXIS_GAMMA, NULL, 0, &ng),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(ng, 2);
  richeta_sweep_free(o);
  ck_assert_int_eq(richeta_sweep_open(&o, db, "0123456789abcdef", NULL), RICHETA_ERR_INVALID);
  ck_assert_ptr_null(o);
  /* the stall criterion: 0.9 for a default sweep; 0 for a sweep without it
   * (1.0's default), whose opened handle reruns into the same stored sweep */
  double v = -1;
  ck_assert_int_eq(richeta_sweep_open(&o, db, h1, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_get_option(o, RICHETA_SWEEP_OPT_PROGRESS, &v), RICHETA_OK);
  ck_assert_double_eq(v, 0.9);
  richeta_sweep_free(o);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_PROGRESS, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  char h0[17];
  ck_assert_int_eq(richeta_sweep_hash(sw, h0, sizeof h0), RICHETA_OK);
  ck_assert_str_ne(h0, h1);
  ck_assert_msg(richeta_sweep_open(&o, db, h0, NULL) == RICHETA_OK, "%s", richeta_last_error());
  ck_assert_int_eq(richeta_sweep_get_option(o, RICHETA_SWEEP_OPT_PROGRESS, &v), RICHETA_OK);
  ck_assert_double_eq(v, 0);
  rlz_sweep_set_runner(o, fake_runner, &f);
  ck_assert_int_eq(richeta_sweep_run(o, db, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_hash(o, h2, sizeof h2), RICHETA_OK);
  ck_assert_str_eq(h0, h2);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM sweeps"), 2);
  richeta_sweep_free(o);
  /* a file that is not a database */
  char junk[600];
  snprintf(junk, sizeof junk, "%s.junk", db);
  FILE *fp = fopen(junk, "w");
  fputs("this is not sqlite at all, not even close............................", fp);
  fclose(fp);
  ck_assert_int_eq(richeta_sweep_open(&o, junk, NULL, NULL), RICHETA_ERR_DATABASE);
  ck_assert(strlen(richeta_last_error()) > 10);
  ck_assert_int_eq(richeta_sweep_open(&o, "/nonexistent/dir/x.db", NULL, NULL),
                   RICHETA_ERR_DATABASE);
  unlink(junk);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

START_TEST(bad_arguments_give_status_and_message) {
  richeta_sweep *sw = NULL;
  ck_assert_int_eq(richeta_sweep_new(NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_sweep_new(&sw, NULL), RICHETA_ERR_NULL);
  ck_assert_ptr_null(sw);
  richeta_sweep_free(NULL);
  sw = sweep_of("");
  ck_assert_int_eq(richeta_sweep_run(sw, NULL, NULL), RICHETA_ERR_NULL);
  richeta_sweep_callbacks cb = {1, NULL, NULL};
  ck_assert_int_eq(richeta_sweep_run(sw, "/tmp/x.db", &cb), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, 2), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 1.5), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DECADES_BELOW, NAN),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, (richeta_sweep_option)99, 1),
                   RICHETA_ERR_UNSUPPORTED);
  double v;
  ck_assert_int_eq(richeta_sweep_get_option(sw, RICHETA_SWEEP_OPT_DECADES_BELOW, &v), RICHETA_OK);
  ck_assert_double_eq(v, 2);
  int64_t dup[2] = {1, 1}, neg[1] = {-1};
  ck_assert_int_eq(richeta_sweep_set_seeds(sw, dup, 2), RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_sweep_set_seeds(sw, neg, 1), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_seeds(sw, dup, 0), RICHETA_ERR_RANGE);
  char small[8];
  ck_assert_int_eq(richeta_sweep_hash(sw, small, sizeof small), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, -1, NULL),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_load(sw, "/nonexistent/dir/x.db"), RICHETA_ERR_DATABASE);
  richeta_sweep_free(sw);
}
END_TEST

START_TEST(hash_ignores_swept_parameters_only) {
  richeta_sweep *a = sweep_of("gamma=3,eta0=0.5,seed=9");
  richeta_sweep *b = sweep_of("gamma=0.1,eta0=1e-3,seed=1");
  richeta_sweep *c = sweep_of("gamma=3,eta0=0.5,seed=9,N=65");
  char ha[17], hb[17], hc[17];
  richeta_sweep_hash(a, ha, 17);
  richeta_sweep_hash(b, hb, 17);
  richeta_sweep_hash(c, hc, 17);
  ck_assert_str_eq(ha, hb);
  ck_assert_str_ne(ha, hc);
  richeta_sweep_free(a);
  richeta_sweep_free(b);
  richeta_sweep_free(c);
}
END_TEST

START_TEST(runs_the_trainer_cannot_make_are_recorded_as_failed) {
  char db[512];
  tmp_db(db, sizeof db, "realfail");
  /* a file task whose data set does not exist: every trainer fails */
  richeta_sweep *sw = sweep_of("D=8,N=16,L=2,B=16,T=20,task=file,data=/nonexistent/set");
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, "0.1,10"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, "1e-2:1:1"), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  int32_t st[16];
  int64_t n = 0;
  ck_assert_int_eq(richeta_sweep_runs(sw, NULL, NULL, NULL, st, NULL, 16, &n), RICHETA_OK);
  ck_assert_int_eq(n, 6);
  for (int64_t i = 0; i < n; i++)
    ck_assert_int_eq(st[i], RICHETA_SWEEP_RUN_FAILED);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM runs WHERE message LIKE 'trainer:%'"), 6);
  int32_t flags[2];
  ck_assert_int_eq(richeta_sweep_eta_star(sw, NULL, NULL, NULL, NULL, flags, 2, &n), RICHETA_OK);
  ck_assert(flags[0] & RICHETA_ETA_STAR_NONE);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

/* ---- shards, merge, progress --------------------------------------------- */

static richeta_sweep *fake_sweep(fake *f, const char *gammas, const char *etas, int mode) {
  richeta_sweep *sw = sweep_of("");
  rlz_sweep_set_runner(sw, fake_runner, f);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, gammas), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, etas), RICHETA_OK);
  int64_t seeds[2] = {0, 1};
  ck_assert_int_eq(richeta_sweep_set_seeds(sw, seeds, 2), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, mode), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 2), RICHETA_OK);
  return sw;
}

START_TEST(shards_partition_the_sweep_and_merge_into_its_table) {
  for (int mode = 0; mode < 2; mode++) {
    const char *gammas = "0.01:100:2", *etas = mode ? "1e-6:1e3:2" : "1e-3:1:1";
    const int N = mode ? 3 : 4;
    char full[512], out[512];
    struct {
      char p[512];
    } shard[4];
    tmp_db(full, sizeof full, "shfull");
    tmp_db(out, sizeof out, "shout");
    fake f = {.fail_gamma = -1};
    richeta_sweep *sw = fake_sweep(&f, gammas, etas, mode);
    char hash[17];
    richeta_sweep_hash(sw, hash, sizeof hash);
    ck_assert_int_eq(richeta_sweep_run(sw, full, NULL), RICHETA_OK);
    richeta_sweep_free(sw);
    int64_t total = count_rows(full, "SELECT count(*) FROM runs"), sum = 0;
    const char *ins[4];
    int64_t cells[4];
    for (int k = 0; k < N; k++) {
      char tag[16];
      snprintf(tag, sizeof tag, "sh%d", k);
      tmp_db(shard[k].p, sizeof shard[k].p, tag);
      ins[k] = shard[k].p;
      sw = fake_sweep(&f, gammas, etas, mode);
      ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, N), RICHETA_OK);
      ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_INDEX, k), RICHETA_OK);
      char h[17];
      richeta_sweep_hash(sw, h, sizeof h);
      ck_assert_str_eq(h, hash); /* a shard is part of the same sweep */
      ck_assert_int_eq(richeta_sweep_run(sw, shard[k].p, NULL), RICHETA_OK);
      richeta_sweep_free(sw);
      sum += count_rows(shard[k].p, "SELECT count(*) FROM runs");
      cells[k] =
          count_rows(shard[k].p, "SELECT count(*) FROM (SELECT DISTINCT gamma, eta0 FROM runs)");
      /* adaptive: whole columns, gamma index k mod N */
      if (mode == RICHETA_SWEEP_ADAPTIVE) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(DISTINCT gamma) FROM runs");
        ck_assert_int_eq(count_rows(shard[k].p, sql), k < 9 % N ? 9 / N + 1 : 9 / N);
      }
    }
    ck_assert_int_eq(sum, total);    /* disjoint, and together the whole sweep */
    if (mode == RICHETA_SWEEP_DENSE) /* 9 x 4 cells over 4 shards: 9 each */
      for (int k = 0; k < N; k++)
        ck_assert_int_eq(cells[k], 9);
    int64_t added = -1, same = -1;
    ck_assert_msg(richeta_sweep_merge(out, ins, N, RICHETA_SWEEP_JOURNAL_WAL, &added, &same) ==
                      RICHETA_OK,
                  "%s", richeta_last_error());
    ck_assert_int_eq(added, total);
    ck_assert_int_eq(same, 0);
    char *a = dump_db(full), *b = dump_db(out);
    ck_assert_str_eq(a, b);
    free(b);
    ck_assert_int_eq(richeta_sweep_merge(out, ins, N, RICHETA_SWEEP_JOURNAL_WAL, &added, &same),
                     RICHETA_OK);
    ck_assert_int_eq(added, 0);
    ck_assert_int_eq(same, total);
    b = dump_db(out);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    ck_assert_int_eq(count_rows(out, "SELECT count(*) FROM plans"), N);
    rm_db(full);
    rm_db(out);
    for (int k = 0; k < N; k++)
      rm_db(ins[k]);
  }
}
END_TEST

START_TEST(merge_refuses_conflicts_and_leaves_the_output_as_it_was) {
  char a[512], b[512], out[512];
  tmp_db(a, sizeof a, "mga");
  tmp_db(b, sizeof b, "mgb");
  tmp_db(out, sizeof out, "mgout");
  fake f = {.fail_gamma = -1};
  for (int i = 0; i < 2; i++) {
    richeta_sweep *sw = fake_sweep(&f, "0.1,10", "1e-3:1:1", RICHETA_SWEEP_ADAPTIVE);
    ck_assert_int_eq(richeta_sweep_run(sw, i ? b : a, NULL), RICHETA_OK);
    richeta_sweep_free(sw);
  }
  int64_t n = count_rows(a, "SELECT count(*) FROM runs");
  /* b: one run with other results, sealed with its checksum (as a store
   * computed elsewhere, with other BLAS kernels say, would be) */
  sqlite3 *h = NULL;
  ck_assert_int_eq(sqlite3_open(b, &h), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(h,
                                "UPDATE runs SET message = 'computed elsewhere' WHERE id ="
                                " (SELECT max(id) FROM runs)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  const char *both[2] = {a, b};
  int64_t added = -1, same = -1;
  /* not resealed yet: a damaged input, refused before anything is merged */
  ck_assert_int_eq(richeta_sweep_merge(out, both, 2, RICHETA_SWEEP_JOURNAL_WAL, &added, &same),
                   RICHETA_ERR_CHECKSUM);
  ck_assert_int_eq(count_rows(out, "SELECT count(*) FROM runs"), 0);
  rlz_err e = {{0}};
  sqlite3_stmt *q = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT max(id) FROM runs", -1, &q, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  int64_t id = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  ck_assert_int_eq(rlz_store_seal_run(h, id, &e), RICHETA_OK);
  sqlite3_close(h);
  richeta_status mst = richeta_sweep_merge(out, both, 2, RICHETA_SWEEP_JOURNAL_WAL, &added, &same);
  ck_assert_msg(mst == RICHETA_ERR_MISMATCH, "%d: %s", mst, richeta_last_error());
  const char *msg = richeta_last_error();
  ck_assert_msg(strstr(msg, a) && strstr(msg, b) && strstr(msg, "message") && strstr(msg, "seed"),
                "%s", msg);
  ck_assert_int_eq(added, 0);
  ck_assert_int_eq(count_rows(out, "SELECT count(*) FROM runs"), 0);
  /* a, then b against the output: the message names the output */
  ck_assert_int_eq(richeta_sweep_merge(out, both, 1, RICHETA_SWEEP_JOURNAL_DELETE, &added, &same),
                   RICHETA_OK);
  ck_assert_int_eq(added, n);
  ck_assert_int_eq(count_rows(out, "SELECT count(*) FROM run_checksums"), n); /* sealed */
  ck_assert_int_eq(richeta_sweep_merge(out, both + 1, 1, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_MISMATCH);
  ck_assert_msg(strstr(richeta_last_error(), out), "%s", richeta_last_error());
  ck_assert_int_eq(count_rows(out, "SELECT count(*) FROM runs"), n);
  /* bad arguments */
  ck_assert_int_eq(richeta_sweep_merge(a, both, 1, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_INVALID);
  ck_assert_int_eq(richeta_sweep_merge(NULL, both, 1, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_sweep_merge(out, NULL, 1, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_sweep_merge(out, both, 0, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_merge(out, both, 1, 7, NULL, NULL), RICHETA_ERR_INVALID);
  const char *none[1] = {"/nonexistent/dir/x.db"};
  ck_assert_int_eq(richeta_sweep_merge(out, none, 1, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_DATABASE);
  const char *nul[2] = {a, NULL};
  ck_assert_int_eq(richeta_sweep_merge(out, nul, 2, RICHETA_SWEEP_JOURNAL_WAL, NULL, NULL),
                   RICHETA_ERR_NULL);
  rm_db(a);
  rm_db(b);
  rm_db(out);
}
END_TEST

START_TEST(shard_and_journal_options_are_checked) {
  char db[512];
  tmp_db(db, sizeof db, "shopt");
  fake f = {.fail_gamma = -1};
  richeta_sweep *sw = fake_sweep(&f, "0.1,10", "1e-3:1:1", RICHETA_SWEEP_DENSE);
  double v = -1;
  ck_assert_int_eq(richeta_sweep_get_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, &v), RICHETA_OK);
  ck_assert_double_eq(v, 1);
  ck_assert_int_eq(richeta_sweep_get_option(sw, RICHETA_SWEEP_OPT_SHARD_INDEX, &v), RICHETA_OK);
  ck_assert_double_eq(v, 0);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, 0),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, 1.5),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, 100001),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_INDEX, -1),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_JOURNAL, 2), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_INDEX, 3), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, 3), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_ERR_RANGE);
  ck_assert(strstr(richeta_sweep_last_error(sw), "shard"));
  ck_assert_int_eq(f.calls, 0);
  /* a shard with nothing to do (9 shards, 2 x 4 cells): an empty, valid result */
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, 9), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_INDEX, 8), RICHETA_OK);
  ck_assert_int_eq(
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_JOURNAL, RICHETA_SWEEP_JOURNAL_DELETE),
      RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  ck_assert_int_eq(f.calls, 0);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM plans WHERE shard_index = 8"), 1);
  sqlite3 *h = NULL;
  ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *q = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "delete");
  sqlite3_finalize(q);
  sqlite3_close(h);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

static int stop_after_seven(void *user, double g, double e, int64_t seed, int status, double loss,
                            int cached, int64_t finished) {
  (void)user, (void)g, (void)e, (void)seed, (void)status, (void)loss, (void)cached;
  return finished >= 7;
}

/* The unit states of the only plan of db. */
static rlz_plan_status *read_plan(const char *db, rlz_store_progress *p) {
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_err e = {{0}};
  rlz_store *s = NULL;
  ck_assert_int_eq(rlz_store_open(&s, db, 1, &a, &e), RICHETA_OK);
  ck_assert_msg(rlz_store_progress_read(s, &a, p, &e) == RICHETA_OK, "%s", e.msg);
  rlz_store_close(s);
  ck_assert_int_eq(p->nplans, 1);
  return &p->plans[0];
}

START_TEST(progress_tells_done_started_and_missing_units) {
  char db[512];
  tmp_db(db, sizeof db, "progress");
  fake f = {.fail_gamma = -1};
  richeta_sweep *sw = fake_sweep(&f, "0.01,1,100", "1e-6:1e3:2", RICHETA_SWEEP_ADAPTIVE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, 1), RICHETA_OK);
  richeta_sweep_callbacks cb = {sizeof cb, stop_after_seven, NULL};
  ck_assert_int_eq(richeta_sweep_run(sw, db, &cb), RICHETA_ERR_ABORTED);
  /* every stored run was marked started, by this process */
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM"
                                  " run_starts s WHERE s.gamma = r.gamma AND s.eta0 = r.eta0 AND"
                                  " s.seed = r.seed)"),
                   0);
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM run_starts WHERE pid = %ld AND rank IS NULL",
           (long)getpid());
  ck_assert_int_eq(count_rows(db, sql), count_rows(db, "SELECT count(*) FROM run_starts"));
  rlz_store_progress p;
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_plan_status *ps = read_plan(db, &p);
  ck_assert_int_eq(ps->nunits, 3);
  ck_assert_int_eq(ps->nseeds, 2);
  int64_t runs = 0;
  for (int64_t i = 0; i < 3; i++) {
    ck_assert_int_ne(ps->units[i].state, RLZ_UNIT_DONE); /* 7 runs cannot end a column */
    ck_assert(isfinite(ps->units[i].eta0));
    runs += ps->units[i].runs;
  }
  ck_assert_int_eq(runs, count_rows(db, "SELECT count(*) FROM runs"));
  rlz_store_progress_free(&a, &p);
  /* a run marked started and never stored: its column was started */
  sqlite3 *h = NULL;
  ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(h,
                                "INSERT OR REPLACE INTO run_starts(config_hash, gamma, eta0, seed,"
                                " host, pid, rank, started_at) SELECT config_hash, 100, 1000, 1,"
                                " 'elsewhere', 4242, 3, 5 FROM sweeps",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(h);
  ps = read_plan(db, &p);
  const rlz_unit_status *u = &ps->units[2];
  ck_assert_double_eq(u->gamma, 100);
  if (u->runs == 0) { /* the column's top cell not stored: seen as started */
    ck_assert_int_eq(u->state, RLZ_UNIT_STARTED);
    ck_assert_str_eq(u->owner.host, "elsewhere");
    ck_assert_int_eq(u->owner.pid, 4242);
    ck_assert_int_eq(u->owner.rank, 3);
  }
  rlz_store_progress_free(&a, &p);
  /* finish: every column done, one plan whatever the number of calls */
  cb.on_run = NULL;
  ck_assert_int_eq(richeta_sweep_run(sw, db, &cb), RICHETA_OK);
  ps = read_plan(db, &p);
  for (int64_t i = 0; i < 3; i++) {
    ck_assert_int_eq(ps->units[i].state, RLZ_UNIT_DONE);
    ck_assert(isnan(ps->units[i].eta0));
  }
  ck_assert_int_eq(ps->shard_count, 1);
  ck_assert_int_eq(ps->shard_seen[0], 1);
  rlz_store_progress_free(&a, &p);
  ck_assert_int_eq(count_rows(db, "SELECT count(*) FROM plans"), 1);
  richeta_sweep_free(sw);
  rm_db(db);
}
END_TEST

START_TEST(plan_lists_round_trip_and_reject_malformed_text) {
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  double v[4] = {1e-300, 0.1, 1.0 / 3.0, 3.1622776601683795e4};
  char *t = rlz_format_doubles(&a, v, 4);
  int64_t n = 0;
  double *w = rlz_parse_doubles(&a, t, &n);
  ck_assert_int_eq(n, 4);
  for (int i = 0; i < 4; i++)
    ck_assert(w[i] == v[i]); /* exact */
  rlz_free(&a, t);
  rlz_free(&a, w);
  int64_t s[3] = {0, 7, 123456789012LL};
  t = rlz_format_ints(&a, s, 3);
  ck_assert_str_eq(t, "0,7,123456789012");
  int64_t *u = rlz_parse_ints(&a, t, &n);
  ck_assert_int_eq(n, 3);
  ck_assert_int_eq(u[2], s[2]);
  rlz_free(&a, t);
  rlz_free(&a, u);
  const char *bad[] = {"", "1,", ",1", "1,,2", "x", "1;2", "1 2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(rlz_parse_doubles(&a, bad[i], &n) == NULL, "'%s'", bad[i]);
  ck_assert_ptr_null(rlz_parse_ints(&a, "1.5", &n));
  /* units and shards */
  ck_assert_int_eq(rlz_plan_units(RICHETA_SWEEP_ADAPTIVE, 5, 7), 5);
  ck_assert_int_eq(rlz_plan_units(RICHETA_SWEEP_DENSE, 5, 7), 35);
  ck_assert_int_eq(rlz_unit_shard(RICHETA_SWEEP_ADAPTIVE, 7, 4, 3), 1);
  ck_assert_int_eq(rlz_unit_shard(RICHETA_SWEEP_DENSE, 7, 2 * 7 + 3, 4), 1); /* (2 + 3) mod 4 */
}
END_TEST

Suite *sweep_suite(void) {
  Suite *s = suite_create("sweep");
  TCase *tc = tcase_create("grid_fit");
  tcase_add_test(tc, range_grid_has_points_per_decade_on_a_shared_lattice);
  tcase_add_test(tc, bad_grid_specifications_are_rejected_with_a_message);
  tcase_add_test(tc, powerlaw_fit_recovers_a_known_exponent_and_its_error);
  tcase_add_test(tc, regime_fit_recovers_two_and_two_over_L_from_synthetic_eta_star);
  tcase_add_test(tc, parabola_vertex_refines_between_grid_points);
  tcase_add_test(tc, eta_star_takes_largest_convergent_and_refined_best);
  tcase_add_test(tc, eta_star_lies_below_the_edge_of_stability);
  tcase_add_test(tc, bad_arguments_give_status_and_message);
  tcase_add_test(tc, hash_ignores_swept_parameters_only);
  suite_add_tcase(s, tc);
  TCase *ts = tcase_create("schedule");
  tcase_add_test(ts, dense_sweep_runs_every_cell_for_every_seed);
  tcase_add_test(ts, adaptive_scan_stops_decades_below_the_first_convergent_eta0);
  tcase_add_test(ts, failed_and_diverged_runs_are_recorded_and_the_sweep_goes_on);
  tcase_add_test(ts, callback_stop_keeps_finished_runs_and_reports_aborted);
  tcase_add_test(ts, open_reads_back_a_stored_sweep_and_rejects_other_files);
  tcase_add_test(ts, progress_test_marks_runs_that_do_not_learn_as_stalled);
  tcase_add_test(ts, eta_star_intervals_censoring_and_bootstrap_errors);
  tcase_add_test(ts, steps_laws_give_each_gamma_its_budget_and_the_store_records_it);
  tcase_add_test(ts, shards_partition_the_sweep_and_merge_into_its_table);
  tcase_add_test(ts, merge_refuses_conflicts_and_leaves_the_output_as_it_was);
  tcase_add_test(ts, shard_and_journal_options_are_checked);
  tcase_add_test(ts, progress_tells_done_started_and_missing_units);
  tcase_add_test(ts, plan_lists_round_trip_and_reject_malformed_text);
  suite_add_tcase(s, ts);
  TCase *tr = tcase_create("real");
  tcase_set_timeout(tr, 240);
  tcase_add_test(tr, results_do_not_depend_on_the_number_of_workers);
  tcase_add_test(tr, runs_trained_together_match_runs_trained_alone);
  tcase_add_test(tr, sweep_killed_mid_run_resumes_to_the_uninterrupted_table);
  tcase_add_test(tr, runs_the_trainer_cannot_make_are_recorded_as_failed);
  tcase_add_test(tr, a_default_sweep_marks_a_dead_network_stalled);
  suite_add_tcase(s, tr);
  return s;
}
