/* Curve sets: detection, alignment, fits and collapse on synthetic curves
 * whose answers are known by construction. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <richlazy/timewarp.h>

#define MAXPTS 4096

/* Deterministic noise: splitmix64 and Box-Muller. */
static uint64_t rng_state;
static double rng_uniform(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double rng_normal(void) {
  double u = rng_uniform(), v = rng_uniform();
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Integer steps spaced ~per_decade per decade from 1 to 10^decades. */
static int64_t log_steps(double *t, double per_decade, double decades) {
  int64_t n = 0;
  for (int64_t k = 0; k <= (int64_t)(per_decade * decades); k++) {
    double s = round(pow(10.0, (double)k / per_decade));
    if (n == 0 || s > t[n - 1])
      t[n++] = s;
  }
  return n;
}

/* Plateau then drop: l(t) = floor + (1 - floor) / (1 + (t/t0)^p). */
static double plateau_drop(double t) {
  const double t0 = 1000.0, p = 3.0, fl = 0.01;
  return fl + (1.0 - fl) / (1.0 + pow(t / t0, p));
}

/* Three smooth steps in log time at x_k with ln-heights dl_k. */
static const double stair_x[3] = {2.0, 3.3, 4.5};
static const double stair_dl[3] = {1.5, 1.0, 2.0};
static double staircase(double t) {
  double x = log10(t), y = log(2.0);
  for (int k = 0; k < 3; k++)
    y -= stair_dl[k] * 0.5 * (1.0 + tanh((x - stair_x[k]) / 0.05));
  return exp(y);
}

static richeta_curveset *new_set(void) {
  richeta_curveset *cs = NULL;
  ck_assert_int_eq(richeta_curveset_new(&cs, NULL), RICHETA_OK);
  ck_assert_ptr_nonnull(cs);
  return cs;
}

/* Add f(t / stretch) sampled on steps, with multiplicative noise of
 * relative size noise (0 = exact). */
static int64_t add_stretched(richeta_curveset *cs, double (*f)(double), const double *t, int64_t n,
                             double stretch, double noise, double gamma, double eta) {
  static double l[MAXPTS];
  for (int64_t k = 0; k < n; k++)
    l[k] = f(t[k] / stretch) * (noise > 0 ? exp(noise * rng_normal()) : 1.0);
  int64_t idx = -1;
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, n, gamma, 0.1, eta, 3, "c", &idx), RICHETA_OK);
  return idx;
}

START_TEST(test_stretched_curves_realign_within_1e3) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 40, 6);
  const double s[5] = {1.0, 2.5, 0.37, 7.3, 19.0};
  richeta_curveset *cs = new_set();
  for (int i = 0; i < 5; i++)
    add_stretched(cs, plateau_drop, t, n, s[i], 0, 1.0, 1.0);
  double got[5];
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, got, 5), RICHETA_OK);
  for (int i = 0; i < 5; i++)
    ck_assert_double_le(fabs(got[i] / s[i] - 1.0), 1e-3);
  /* a different reference: scales relative to it */
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 3, got, 5), RICHETA_OK);
  for (int i = 0; i < 5; i++)
    ck_assert_double_le(fabs(got[i] / (s[i] / s[3]) - 1.0), 1e-3);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_noisy_stretched_curves_realign_within_few_percent) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 40, 6);
  const double s[5] = {1.0, 2.5, 0.37, 7.3, 19.0};
  rng_state = 12345;
  richeta_curveset *cs = new_set();
  for (int i = 0; i < 5; i++)
    add_stretched(cs, plateau_drop, t, n, s[i], 0.1, 1.0, 1.0);
  double got[5];
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, got, 5), RICHETA_OK);
  for (int i = 1; i < 5; i++) /* 10% noise per point: rms error ~1.3% over seeds */
    ck_assert_double_le(fabs(got[i] / s[i] - 1.0), 0.05);
  richeta_curveset_free(cs);
}
END_TEST

static void check_staircase(double noise) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 50, 6);
  rng_state = 777;
  richeta_curveset *cs = new_set();
  int64_t idx = add_stretched(cs, staircase, t, n, 1.0, noise, 10.0, 1.0);
  double drops[8], levels[8];
  int64_t count = -1;
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, drops, levels, 8, &count), RICHETA_OK);
  ck_assert_int_eq(count, 3);
  double sigma;
  ck_assert_int_eq(richeta_curveset_get_option(cs, RICHETA_TW_OPT_SMOOTH_DECADES, &sigma),
                   RICHETA_OK);
  double ly = log(2.0);
  for (int k = 0; k < 3; k++) {
    ly -= stair_dl[k];
    /* noiseless: exact up to the grid; noisy: within the kernel width */
    ck_assert_double_le(fabs(log10(drops[k]) - stair_x[k]), noise > 0 ? sigma : 1e-3);
    ck_assert_double_le(fabs(log(levels[k]) - ly), noise > 0 ? 0.08 : 1e-6);
  }
  double plateau;
  ck_assert_int_eq(richeta_curveset_plateau(cs, idx, &plateau), RICHETA_OK);
  /* the first decade holds only ten noisy integer steps */
  ck_assert_double_le(fabs(log(plateau) - log(2.0)), noise > 0 ? 0.1 : 1e-6);
  /* cap too small: count reported, first drop written */
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, drops, levels, 1, &count),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(count, 3);
  ck_assert_double_le(fabs(log10(drops[0]) - stair_x[0]), sigma);
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, NULL, NULL, 0, &count),
                   RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(count, 3);
  richeta_curveset_free(cs);
}

START_TEST(test_staircase_three_drops_found_at_their_times_and_levels) { check_staircase(0); }
END_TEST

START_TEST(test_staircase_three_drops_found_under_sgd_noise) { check_staircase(0.1); }
END_TEST

START_TEST(test_small_drops_and_short_plateaus_are_not_steps) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 50, 6);
  richeta_curveset *cs = new_set();
  int64_t idx = add_stretched(cs, staircase, t, n, 1.0, 0, 1.0, 1.0);
  int64_t count;
  double drop, level;
  /* min drop above the whole fall (4.5): no step */
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, 5.0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, NULL, NULL, 0, &count), RICHETA_OK);
  ck_assert_int_eq(count, 0);
  /* min drop 2.5: the 1.0 step goes first, then the 1.5 step; what is left
   * falls from the median level before it (ln 2 - 1.5) to ln 2 - 4.5, and
   * its half-way point (ln 2 - 3) lies a quarter down the last step
   * (unsmoothed: smoothing moves off-centre crossings of a step) */
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_SMOOTH_DECADES, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, 2.5), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, &drop, &level, 1, &count), RICHETA_OK);
  ck_assert_int_eq(count, 1);
  ck_assert_double_le(fabs(log10(drop) - (4.5 + 0.05 * atanh(-0.5))), 3e-3);
  ck_assert_double_le(fabs(log(level) - (log(2.0) - 4.5)), 1e-6);
  /* plateaus shorter than 1.5 decades merge the three steps into one */
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, 0.3), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_PLATEAU_DECADES, 1.5),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_staircase(cs, idx, &drop, &level, 1, &count), RICHETA_OK);
  ck_assert_int_eq(count, 1);
  /* the merged drop falls 4.5 from ln 2: its half-way point lies in the
   * middle step (ln 2 - 2.25 is reached inside the step at 3.3) */
  ck_assert_double_le(fabs(log(level) - (log(2.0) - 4.5)), 0.005);
  double xh = 3.3 + 0.05 * atanh(2.0 * (2.25 - 1.5) / 1.0 - 1.0);
  ck_assert_double_le(fabs(log10(drop) - xh), 3e-3);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_escape_interpolates_exactly_between_logged_steps) {
  const double t[6] = {0, 1, 10, 100, 400, 3000};
  const double l[6] = {1, 1, 1, 1, 0.2, 0.01};
  richeta_curveset *cs = new_set();
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_SMOOTH_DECADES, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 6, 1, 0, 1, 0, NULL, NULL), RICHETA_OK);
  double level, te;
  ck_assert_int_eq(richeta_curveset_plateau(cs, 0, &level), RICHETA_OK);
  ck_assert_double_eq_tol(level, 1.0, 1e-15);
  /* 0.5: between 100 (1) and 400 (0.2), linear in (log t, log loss) */
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 0.5, &te), RICHETA_OK);
  double x = 2.0 + log(2.0) / log(5.0) * log10(4.0);
  ck_assert_double_le(fabs(te / pow(10.0, x) - 1.0), 1e-12);
  /* 0.1: between 400 (0.2) and 3000 (0.01) */
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 0.1, &te), RICHETA_OK);
  x = log10(400.0) + log(2.0) / log(20.0) * log10(7.5);
  ck_assert_double_le(fabs(te / pow(10.0, x) - 1.0), 1e-12);
  /* never below 0.001 of the plateau */
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 0.001, &te), RICHETA_OK);
  ck_assert(isinf(te) && te > 0);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_escape_of_smoothed_noisy_curves_scales_with_stretch) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 40, 6);
  rng_state = 99;
  richeta_curveset *cs = new_set();
  add_stretched(cs, plateau_drop, t, n, 1.0, 0.05, 1, 1);
  add_stretched(cs, plateau_drop, t, n, 10.0, 0.05, 1, 1);
  double e0, e1;
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 0.5, &e0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_escape(cs, 1, 0.5, &e1), RICHETA_OK);
  /* exact half-time of the noiseless curve: (0.99/0.49 - 1)^(1/3) * 1000 */
  double th = 1000.0 * cbrt(0.99 / 0.49 - 1.0);
  /* one crossing of a noisy curve: ~0.01 decades of jitter at 5% noise */
  ck_assert_double_le(fabs(log10(e0 / th)), 0.04);
  ck_assert_double_le(fabs(log10(e1 / e0) - 1.0), 0.04);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_fit_of_scales_recovers_known_exponent) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 40, 6);
  const double g[4] = {10, 100, 1000, 10000};
  richeta_curveset *cs = new_set();
  for (int i = 0; i < 4; i++) /* eta = gamma^(2/3): theory time scale gamma^(1/3) */
    add_stretched(cs, plateau_drop, t, n, 0.3 * pow(g[i], 0.4), 0, g[i], pow(g[i], 2.0 / 3.0));
  double ex, se, pf;
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_EMPIRICAL, &ex, &se, &pf),
                   RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_EMPIRICAL, &ex, &se, &pf),
                   RICHETA_OK);
  ck_assert_double_le(fabs(ex - 0.4), 1e-3);
  ck_assert_double_le(se, 1e-3);
  ck_assert_double_le(fabs(pf / pow(10.0, -0.4) - 1.0), 3e-3); /* reference gamma = 10 */
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &ex, &se, &pf), RICHETA_OK);
  ck_assert_double_le(fabs(ex - 1.0 / 3.0), 1e-12);
  ck_assert_double_le(se, 1e-9);
  ck_assert_double_le(fabs(pf - 1.0), 1e-9);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_fit_standard_error_matches_hand_computation) {
  const double t[3] = {1, 10, 100}, l[3] = {1, 0.5, 0.1};
  const double g[3] = {1, 10, 100}, logS[3] = {0, 1.1, 1.9};
  richeta_curveset *cs = new_set();
  for (int i = 0; i < 3; i++) /* theory scale S = gamma / eta */
    ck_assert_int_eq(
        richeta_curveset_add(cs, t, l, 3, g[i], 0, g[i] / pow(10.0, logS[i]), 2, NULL, NULL),
        RICHETA_OK);
  double ex, se, pf;
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &ex, &se, &pf), RICHETA_OK);
  ck_assert_double_eq_tol(ex, 0.95, 1e-12);
  ck_assert_double_eq_tol(se, sqrt(0.0075), 1e-12);
  ck_assert_double_eq_tol(pf, pow(10.0, 0.05), 1e-12);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_collapse_quality_zero_after_right_rescaling) {
  static double t[MAXPTS];
  int64_t n = log_steps(t, 40, 6);
  const double g[4] = {10, 100, 1000, 10000};
  richeta_curveset *cs = new_set();
  for (int i = 0; i < 4; i++) { /* loss = f(eta t / gamma) exactly */
    double eta = 0.5 * pow(g[i], 2.0 / 3.0);
    add_stretched(cs, plateau_drop, t, n, g[i] / eta, 0, g[i], eta);
  }
  double raw, q;
  ck_assert_int_eq(richeta_curveset_spread(cs, RICHETA_TW_RAW, &raw), RICHETA_OK);
  ck_assert_double_gt(raw, 0.1);
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_RAW, &q), RICHETA_OK);
  ck_assert_double_eq(q, 1.0);
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_THEORY, &q), RICHETA_OK);
  ck_assert_double_le(q, 1e-4);
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_EMPIRICAL, &q),
                   RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 1, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_EMPIRICAL, &q), RICHETA_OK);
  ck_assert_double_le(q, 1e-4);
  /* power mapping: default exponents equal theory; wrong ones do not collapse */
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_POWER, &q), RICHETA_OK);
  ck_assert_double_le(q, 1e-4);
  ck_assert_int_eq(richeta_curveset_set_power(cs, 1.0, 0.0), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_POWER, &q), RICHETA_OK);
  ck_assert_double_gt(q, 0.5);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_resample_hits_logged_points_and_marks_outside_nan) {
  const double t[5] = {0, 1, 10, 100, 1000}, l[5] = {5, 1, 0.5, 0.2, 0.1};
  richeta_curveset *cs = new_set();
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 5, 4.0, 0.1, 2.0, 2, "x", NULL), RICHETA_OK);
  double tau[7], v[7];
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_RAW, 0.1, 1e5, 7, tau, v),
                   RICHETA_OK);
  ck_assert(isnan(v[0]) && isnan(v[6]));
  for (int j = 1; j <= 4; j++) {
    ck_assert_double_le(fabs(tau[j] / pow(10.0, j - 1) - 1), 1e-12);
    ck_assert_double_le(fabs(v[j] / l[j] - 1), 1e-12);
  }
  /* theory: tau = (eta / gamma) t = t / 2 */
  double lo, hi, c;
  ck_assert_int_eq(richeta_curveset_tau_range(cs, 0, RICHETA_TW_THEORY, &lo, &hi), RICHETA_OK);
  ck_assert_double_eq_tol(lo, 0.5, 1e-14);
  ck_assert_double_eq_tol(hi, 500, 1e-10);
  ck_assert_int_eq(richeta_curveset_time_factor(cs, 0, RICHETA_TW_THEORY, &c), RICHETA_OK);
  ck_assert_double_eq_tol(c, 0.5, 1e-15);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_THEORY, 5, 50, 2, NULL, v),
                   RICHETA_OK);
  ck_assert_double_le(fabs(v[0] / 0.5 - 1), 1e-12);
  ck_assert_double_le(fabs(v[1] / 0.2 - 1), 1e-12);
  richeta_curveset_free(cs);
}
END_TEST

START_TEST(test_getters_return_what_was_added) {
  const double t[3] = {0, 5, 9}, l[3] = {2, 1, 0.5};
  richeta_curveset *cs = new_set();
  int64_t idx = -1, count = -1, depth, pts, need;
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 3, 30, 0.01, 0.2, 4, "gamma=30", &idx),
                   RICHETA_OK);
  ck_assert_int_eq(idx, 0);
  ck_assert_int_eq(richeta_curveset_count(cs, &count), RICHETA_OK);
  ck_assert_int_eq(count, 1);
  double g, e0, e, ts[3], ls[3];
  ck_assert_int_eq(richeta_curveset_info(cs, 0, &g, &e0, &e, &depth, &pts), RICHETA_OK);
  ck_assert(g == 30 && e0 == 0.01 && e == 0.2 && depth == 4 && pts == 3);
  ck_assert_int_eq(richeta_curveset_data(cs, 0, ts, ls, 3, &need), RICHETA_OK);
  ck_assert(need == 3 && memcmp(ts, t, sizeof t) == 0 && memcmp(ls, l, sizeof l) == 0);
  ck_assert_int_eq(richeta_curveset_data(cs, 0, ts, ls, 2, &need), RICHETA_ERR_BUFFER_TOO_SMALL);
  char buf[16];
  size_t bneed;
  ck_assert_int_eq(richeta_curveset_label(cs, 0, buf, sizeof buf, &bneed), RICHETA_OK);
  ck_assert_str_eq(buf, "gamma=30");
  ck_assert_uint_eq(bneed, 9);
  ck_assert_int_eq(richeta_curveset_label(cs, 0, buf, 4, &bneed), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_curveset_label(cs, 0, NULL, 0, &bneed), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(bneed, 9);
  richeta_curveset_free(cs);
}
END_TEST

/* Counting allocator: everything allocated is released by _free. */
static long live_blocks;
static void *count_alloc(void *user, size_t size, size_t align) {
  (void)user;
  void *p = NULL;
  if (posix_memalign(&p, align, size ? (size + align - 1) / align * align : align) != 0)
    return NULL;
  live_blocks++;
  return p;
}
static void count_free(void *user, void *p) {
  (void)user;
  live_blocks--;
  free(p);
}

START_TEST(test_custom_allocator_sees_every_block_released) {
  richeta_allocator a = {sizeof a, count_alloc, count_free, NULL};
  richeta_curveset *cs = NULL;
  live_blocks = 0;
  ck_assert_int_eq(richeta_curveset_new(&cs, &a), RICHETA_OK);
  static double t[MAXPTS];
  int64_t n = log_steps(t, 20, 5);
  for (int i = 0; i < 10; i++) /* more than the initial capacity */
    add_stretched(cs, plateau_drop, t, n, 1 + i, 0, 1 + i, 1);
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, NULL, 0), RICHETA_OK);
  double q;
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_EMPIRICAL, &q), RICHETA_OK);
  int64_t cnt;
  double drop, level;
  ck_assert_int_eq(richeta_curveset_staircase(cs, 3, &drop, &level, 1, &cnt), RICHETA_OK);
  ck_assert_int_eq(cnt, 1);
  ck_assert_int_gt(live_blocks, 0);
  richeta_curveset_free(cs);
  ck_assert_int_eq(live_blocks, 0);
  richeta_allocator bad = {sizeof bad, NULL, count_free, NULL};
  cs = (richeta_curveset *)&a;
  ck_assert_int_eq(richeta_curveset_new(&cs, &bad), RICHETA_ERR_INVALID);
  ck_assert_ptr_null(cs);
  bad.alloc = count_alloc;
  bad.struct_size = 4;
  ck_assert_int_eq(richeta_curveset_new(&cs, &bad), RICHETA_ERR_INVALID);
}
END_TEST

START_TEST(test_bad_arguments_return_error_status) {
  const double t[4] = {0, 1, 2, 3}, l[4] = {1, 1, 0.5, 0.2};
  double bad[4], v, arr[4];
  int64_t cnt;
  ck_assert_int_eq(richeta_curveset_new(NULL, NULL), RICHETA_ERR_NULL);
  richeta_curveset_free(NULL);
  ck_assert_str_eq(richeta_curveset_last_error(NULL), richeta_last_error());
  richeta_curveset *cs = new_set();
  /* add */
  ck_assert_int_eq(richeta_curveset_add(NULL, t, l, 4, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_add(cs, NULL, l, 4, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_add(cs, t, NULL, 4, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 1, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, -3, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 2, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 0, 0, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 1, -1, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 1, 0, 0, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 1, 0, 1, -1, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, NAN, 0, 1, 0, NULL, NULL),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 1, 0, INFINITY, 0, NULL, NULL),
                   RICHETA_ERR_NONFINITE);
  memcpy(bad, l, sizeof bad);
  bad[2] = NAN;
  ck_assert_int_eq(richeta_curveset_add(cs, t, bad, 4, 1, 0, 1, 0, NULL, NULL),
                   RICHETA_ERR_NONFINITE);
  bad[2] = 0;
  ck_assert_int_eq(richeta_curveset_add(cs, t, bad, 4, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  memcpy(bad, t, sizeof bad);
  bad[2] = 1; /* repeated step */
  ck_assert_int_eq(richeta_curveset_add(cs, bad, l, 4, 1, 0, 1, 0, NULL, NULL),
                   RICHETA_ERR_INVALID);
  bad[2] = 0.5; /* decreasing */
  ck_assert_int_eq(richeta_curveset_add(cs, bad, l, 4, 1, 0, 1, 0, NULL, NULL),
                   RICHETA_ERR_INVALID);
  bad[0] = -1;
  bad[2] = 2;
  ck_assert_int_eq(richeta_curveset_add(cs, bad, l, 4, 1, 0, 1, 0, NULL, NULL), RICHETA_ERR_RANGE);
  ck_assert_str_ne(richeta_curveset_last_error(cs), "");
  /* empty set */
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, NULL, 0), RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_spread(cs, RICHETA_TW_RAW, &v), RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 1, 0, 1, 0, NULL, NULL), RICHETA_OK);
  ck_assert_str_eq(richeta_curveset_last_error(cs), "");
  /* one curve: no spread, no fit */
  ck_assert_int_eq(richeta_curveset_collapse_quality(cs, RICHETA_TW_THEORY, &v), RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &v, NULL, NULL),
                   RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 1, 0, 2, 0, NULL, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &v, NULL, NULL),
                   RICHETA_ERR_STATE); /* one distinct gamma */
  /* options */
  ck_assert_int_eq(richeta_curveset_set_option(NULL, RICHETA_TW_OPT_MIN_DROP, 1), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_set_option(cs, (richeta_tw_option)0, 1),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_curveset_set_option(cs, (richeta_tw_option)99, 1),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, NAN),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, 0), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_SMOOTH_DECADES, -0.1),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_GRID_POINTS, 100.5),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_set_option(cs, RICHETA_TW_OPT_GRID_POINTS, 4),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_get_option(cs, RICHETA_TW_OPT_MIN_DROP, NULL),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_get_option(cs, (richeta_tw_option)42, &v),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_curveset_option_info((richeta_tw_option)42, NULL, NULL, NULL),
                   RICHETA_ERR_UNSUPPORTED);
  double lo, hi, def;
  ck_assert_int_eq(richeta_curveset_option_info(RICHETA_TW_OPT_GRID_POINTS, &lo, &hi, &def),
                   RICHETA_OK);
  ck_assert(lo == 8 && hi == 1e6 && def == 256);
  ck_assert_int_eq(richeta_curveset_get_option(cs, RICHETA_TW_OPT_GRID_POINTS, &v), RICHETA_OK);
  ck_assert_double_eq(v, 256);
  /* index out of range, everywhere */
  int64_t ids[2] = {-1, 2};
  for (int i = 0; i < 2; i++) {
    int64_t k = ids[i];
    ck_assert_int_eq(richeta_curveset_info(cs, k, NULL, NULL, NULL, NULL, NULL), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_label(cs, k, NULL, 0, NULL), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_data(cs, k, NULL, NULL, 0, NULL), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_plateau(cs, k, &v), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_escape(cs, k, 0.5, &v), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_staircase(cs, k, NULL, NULL, 0, &cnt), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_time_factor(cs, k, RICHETA_TW_RAW, &v), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_tau_range(cs, k, RICHETA_TW_RAW, &v, &v), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_align_empirical(cs, k, NULL, 0), RICHETA_ERR_RANGE);
    ck_assert_int_eq(richeta_curveset_resample(cs, k, RICHETA_TW_RAW, 1, 2, 2, NULL, arr),
                     RICHETA_ERR_RANGE);
  }
  /* NULL outputs and handles */
  ck_assert_int_eq(richeta_curveset_count(NULL, &cnt), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_count(cs, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_info(NULL, 0, NULL, NULL, NULL, NULL, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_label(cs, 0, NULL, 4, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_data(NULL, 0, NULL, NULL, 0, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_data(cs, 0, NULL, NULL, -1, NULL), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_plateau(cs, 0, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_plateau(NULL, 0, &v), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 0.5, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, NAN, &v), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 0, &v), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_escape(cs, 0, 1.5, &v), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_staircase(cs, 0, NULL, NULL, 0, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_staircase(cs, 0, NULL, arr, 2, &cnt), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_staircase(cs, 0, arr, arr, -1, &cnt), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_set_power(NULL, 1, 1), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_set_power(cs, NAN, 1), RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_curveset_time_factor(cs, 0, RICHETA_TW_RAW, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_time_factor(cs, 0, (richeta_tw_time)9, &v),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_curveset_time_factor(cs, 0, RICHETA_TW_EMPIRICAL, &v),
                   RICHETA_ERR_STATE);
  ck_assert_int_eq(richeta_curveset_tau_range(NULL, 0, RICHETA_TW_RAW, NULL, NULL),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_align_empirical(NULL, 0, NULL, 0), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, NULL, 2), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, arr, 1), RICHETA_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, arr, -1), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, NULL, NULL, NULL),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_fit_scales(cs, (richeta_tw_time)-1, &v, NULL, NULL),
                   RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_curveset_spread(cs, RICHETA_TW_RAW, NULL), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_spread(cs, (richeta_tw_time)7, &v), RICHETA_ERR_UNSUPPORTED);
  ck_assert_int_eq(richeta_curveset_collapse_quality(NULL, RICHETA_TW_RAW, &v), RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_RAW, 1, 2, 2, NULL, NULL),
                   RICHETA_ERR_NULL);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_RAW, 1, 2, 1, NULL, arr),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_RAW, 0, 2, 2, NULL, arr),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_RAW, 2, 2, 2, NULL, arr),
                   RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_RAW, 1, NAN, 2, NULL, arr),
                   RICHETA_ERR_NONFINITE);
  ck_assert_int_eq(richeta_curveset_resample(cs, 0, RICHETA_TW_EMPIRICAL, 1, 2, 2, NULL, arr),
                   RICHETA_ERR_STATE);
  /* alignment then add: the empirical scales are dropped */
  ck_assert_int_eq(richeta_curveset_align_empirical(cs, 0, arr, 2), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_time_factor(cs, 1, RICHETA_TW_EMPIRICAL, &v), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_add(cs, t, l, 4, 2, 0, 1, 0, NULL, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_curveset_time_factor(cs, 1, RICHETA_TW_EMPIRICAL, &v),
                   RICHETA_ERR_STATE);
  richeta_curveset_free(cs);
}
END_TEST

Suite *timewarp_suite(void);
Suite *timewarp_suite(void) {
  Suite *s = suite_create("timewarp");
  TCase *tc = tcase_create("curveset");
  tcase_add_test(tc, test_stretched_curves_realign_within_1e3);
  tcase_add_test(tc, test_noisy_stretched_curves_realign_within_few_percent);
  tcase_add_test(tc, test_staircase_three_drops_found_at_their_times_and_levels);
  tcase_add_test(tc, test_staircase_three_drops_found_under_sgd_noise);
  tcase_add_test(tc, test_small_drops_and_short_plateaus_are_not_steps);
  tcase_add_test(tc, test_escape_interpolates_exactly_between_logged_steps);
  tcase_add_test(tc, test_escape_of_smoothed_noisy_curves_scales_with_stretch);
  tcase_add_test(tc, test_fit_of_scales_recovers_known_exponent);
  tcase_add_test(tc, test_fit_standard_error_matches_hand_computation);
  tcase_add_test(tc, test_collapse_quality_zero_after_right_rescaling);
  tcase_add_test(tc, test_resample_hits_logged_points_and_marks_outside_nan);
  tcase_add_test(tc, test_getters_return_what_was_added);
  tcase_add_test(tc, test_custom_allocator_sees_every_block_released);
  tcase_add_test(tc, test_bad_arguments_return_error_status);
  suite_add_tcase(s, tc);
  return s;
}
