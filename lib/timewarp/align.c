/* Time mappings, empirical alignment by a shift in log time, power-law fit
 * of the time scales, spread and collapse quality, resampling. Defined in
 * docs/timewarp.md. */
#include "timewarp_internal.h"

#include <math.h>
#include <string.h>

#define SCAN_MAX_POINTS 20000 /* cap on the coarse scan of the log shift */
#define GOLDEN_TOL 1e-9       /* decades */

/* log10 of the time factor c_i (tau = c_i t). */
static richeta_status log_factor(richeta_curveset *cs, int64_t idx, richeta_tw_time which,
                                 double *lf) {
  const rlz_curve *c = &cs->curves[idx];
  switch (which) {
  case RICHETA_TW_RAW: *lf = 0; break;
  case RICHETA_TW_THEORY: *lf = log10(c->eta) - log10(c->gamma); break;
  case RICHETA_TW_POWER: *lf = cs->pow_a * log10(c->eta) + cs->pow_b * log10(c->gamma); break;
  case RICHETA_TW_EMPIRICAL:
    if (!cs->aligned)
      return rlz_fail(&cs->err, RICHETA_ERR_STATE,
                      "empirical time mapping used before richeta_curveset_align_empirical()");
    *lf = -log10(c->scale);
    break;
  default:
    return rlz_fail(&cs->err, RICHETA_ERR_UNSUPPORTED, "unknown time mapping %d", (int)which);
  }
  /* keep tau = c t representable for any step up to 1e15 */
  if (!isfinite(*lf) || fabs(*lf) > 280)
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "curve %lld: time factor 10^%g out of range",
                    (long long)idx, *lf);
  return RICHETA_OK;
}

richeta_status richeta_curveset_time_factor(richeta_curveset *cs, int64_t idx,
                                            richeta_tw_time which, double *factor) {
  if (!cs || !factor)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_time_factor: NULL argument");
  richeta_status st = rlz_tw_check_idx(cs, idx);
  double lf;
  if (st != RICHETA_OK || (st = log_factor(cs, idx, which, &lf)) != RICHETA_OK)
    return st;
  *factor = pow(10.0, lf);
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status richeta_curveset_tau_range(richeta_curveset *cs, int64_t idx, richeta_tw_time which,
                                          double *tau_min, double *tau_max) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_tau_range: cs is NULL");
  richeta_status st = rlz_tw_check_idx(cs, idx);
  double lf;
  if (st != RICHETA_OK || (st = log_factor(cs, idx, which, &lf)) != RICHETA_OK)
    return st;
  const rlz_curve *c = &cs->curves[idx];
  if (tau_min)
    *tau_min = pow(10.0, c->x[0] + lf);
  if (tau_max)
    *tau_max = pow(10.0, c->x[c->np - 1] + lf);
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

/* Sum of squared log-loss differences of the points of a that fall, once
 * shifted by -u, inside the range of b (b interpolated linearly). */
static void one_way(const rlz_curve *a, const rlz_curve *b, double u, double *ss, int64_t *cnt) {
  double lo = b->x[0], hi = b->x[b->np - 1];
  int64_t j = 0; /* b->x[j] <= xq < b->x[j+1], advanced monotonically */
  for (int64_t k = 0; k < a->np; k++) {
    double xq = a->x[k] - u;
    if (xq < lo || xq > hi)
      continue;
    while (j < b->np - 2 && b->x[j + 1] <= xq)
      j++;
    double w = (xq - b->x[j]) / (b->x[j + 1] - b->x[j]);
    double yb = b->y[j] + w * (b->y[j + 1] - b->y[j]);
    double r = a->y[k] - yb;
    *ss += r * r;
    (*cnt)++;
  }
}

/* Alignment objective: curve i at log time x against the reference at
 * x - u, both ways, mean over the points in the overlap. */
static double objective(const rlz_curve *ci, const rlz_curve *cr, double u) {
  double ss = 0;
  int64_t cnt = 0;
  one_way(ci, cr, u, &ss, &cnt);
  one_way(cr, ci, -u, &ss, &cnt);
  return cnt ? ss / (double)cnt : INFINITY;
}

static richeta_status align_one(richeta_curveset *cs, const rlz_curve *ci, const rlz_curve *cr,
                                int64_t i, int64_t ref, double *u_out) {
  double a1 = ci->x[0], a2 = ci->x[ci->np - 1];
  double b1 = cr->x[0], b2 = cr->x[cr->np - 1];
  double need = cs->opt[RICHETA_TW_OPT_MIN_OVERLAP] * fmin(a2 - a1, b2 - b1);
  double ulo = a1 - b2 + need, uhi = a2 - b1 - need;
  if (!(uhi >= ulo))
    return rlz_fail(&cs->err, RICHETA_ERR_STATE, "align: curves %lld and %lld cannot overlap",
                    (long long)i, (long long)ref);
  /* coarse scan at half the mean point spacing of the denser curve */
  double sp = 0.5 * fmin((a2 - a1) / (double)(ci->np - 1), (b2 - b1) / (double)(cr->np - 1));
  double width = uhi - ulo;
  int64_t ns = width > 0 ? (int64_t)ceil(width / sp) + 1 : 1;
  if (ns > SCAN_MAX_POINTS)
    ns = SCAN_MAX_POINTS;
  double step = ns > 1 ? width / (double)(ns - 1) : 0;
  double best_u = ulo, best_f = INFINITY;
  for (int64_t s = 0; s < ns; s++) {
    double u = ulo + (double)s * step;
    double f = objective(ci, cr, u);
    if (f < best_f) {
      best_f = f;
      best_u = u;
    }
  }
  /* golden-section refinement inside the neighbouring scan cells */
  double lo = fmax(ulo, best_u - step), hi = fmin(uhi, best_u + step);
  const double gr = 0.5 * (sqrt(5.0) - 1.0);
  double c = hi - gr * (hi - lo), d = lo + gr * (hi - lo);
  double fc = objective(ci, cr, c), fd = objective(ci, cr, d);
  while (hi - lo > GOLDEN_TOL) {
    if (fc <= fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - gr * (hi - lo);
      fc = objective(ci, cr, c);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + gr * (hi - lo);
      fd = objective(ci, cr, d);
    }
  }
  double u = 0.5 * (lo + hi);
  *u_out = objective(ci, cr, u) <= best_f ? u : best_u;
  return RICHETA_OK;
}

/* Smoothed copy of a curve: the nodes of its grid as points (only x, y
 * and np are set). Without smoothing the curve itself is used. */
static richeta_status smoothed_copy(richeta_curveset *cs, const rlz_curve *c, rlz_curve *out,
                                    rlz_tw_grid *gr) {
  memset(out, 0, sizeof *out);
  memset(gr, 0, sizeof *gr);
  if (cs->opt[RICHETA_TW_OPT_SMOOTH_DECADES] == 0) {
    out->x = c->x;
    out->y = c->y;
    out->np = c->np;
    return RICHETA_OK;
  }
  richeta_status st = rlz_tw_grid_build(cs, c, gr);
  if (st != RICHETA_OK)
    return st;
  for (int64_t j = 0; j < gr->m; j++) /* reuse d for the node positions */
    gr->d[j] = gr->x0 + (double)j * gr->h;
  gr->d[gr->m - 1] = c->x[c->np - 1];
  out->x = gr->d;
  out->y = gr->g;
  out->np = gr->m;
  return RICHETA_OK;
}

richeta_status richeta_curveset_align_empirical(richeta_curveset *cs, int64_t reference,
                                                double *scales_out, int64_t cap) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_align_empirical: cs is NULL");
  if (!scales_out && cap > 0)
    return rlz_fail(&cs->err, RICHETA_ERR_NULL,
                    "richeta_curveset_align_empirical: scales_out is NULL with cap > 0");
  if (cap < 0)
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "richeta_curveset_align_empirical: cap < 0");
  if (cs->count == 0)
    return rlz_fail(&cs->err, RICHETA_ERR_STATE, "richeta_curveset_align_empirical: no curves");
  richeta_status st = rlz_tw_check_idx(cs, reference);
  if (st != RICHETA_OK)
    return st;
  if (scales_out && cap < cs->count)
    return rlz_fail(&cs->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_curveset_align_empirical: %lld curves, capacity %lld",
                    (long long)cs->count, (long long)cap);
  cs->aligned = false;
  rlz_curve sr, si;
  rlz_tw_grid gr_r, gr_i;
  if ((st = smoothed_copy(cs, &cs->curves[reference], &sr, &gr_r)) != RICHETA_OK)
    return st;
  for (int64_t i = 0; i < cs->count && st == RICHETA_OK; i++) {
    double u = 0;
    if (i != reference) {
      if ((st = smoothed_copy(cs, &cs->curves[i], &si, &gr_i)) != RICHETA_OK)
        break;
      st = align_one(cs, &si, &sr, i, reference, &u);
      rlz_tw_grid_release(cs, &gr_i);
    }
    cs->curves[i].scale = pow(10.0, u);
  }
  rlz_tw_grid_release(cs, &gr_r);
  if (st != RICHETA_OK)
    return st;
  cs->aligned = true;
  if (scales_out)
    for (int64_t i = 0; i < cs->count; i++)
      scales_out[i] = cs->curves[i].scale;
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status richeta_curveset_fit_scales(richeta_curveset *cs, richeta_tw_time which,
                                           double *exponent, double *stderr_out,
                                           double *prefactor) {
  if (!cs || !exponent)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_fit_scales: NULL argument");
  int64_t n = cs->count;
  double sx = 0, sy = 0;
  for (int64_t i = 0; i < n; i++) {
    double lf = 0;
    richeta_status st = log_factor(cs, i, which, &lf);
    if (st != RICHETA_OK)
      return st;
    sx += log10(cs->curves[i].gamma);
    sy += -lf;
  }
  if (n < 2)
    return rlz_fail(&cs->err, RICHETA_ERR_STATE, "richeta_curveset_fit_scales: need >= 2 curves");
  double mx = sx / (double)n, my = sy / (double)n, sxx = 0, sxy = 0;
  for (int64_t i = 0; i < n; i++) {
    double lf;
    (void)log_factor(cs, i, which, &lf);
    double dx = log10(cs->curves[i].gamma) - mx;
    sxx += dx * dx;
    sxy += dx * (-lf - my);
  }
  if (!(sxx > 1e-24))
    return rlz_fail(&cs->err, RICHETA_ERR_STATE,
                    "richeta_curveset_fit_scales: need at least two distinct gamma");
  double slope = sxy / sxx, icept = my - slope * mx, ssr = 0;
  for (int64_t i = 0; i < n; i++) {
    double lf;
    (void)log_factor(cs, i, which, &lf);
    double r = -lf - (icept + slope * log10(cs->curves[i].gamma));
    ssr += r * r;
  }
  *exponent = slope;
  if (stderr_out)
    *stderr_out = n > 2 ? sqrt(ssr / (double)(n - 2) / sxx) : NAN;
  if (prefactor)
    *prefactor = pow(10.0, icept);
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

static richeta_status spread_of(richeta_curveset *cs, richeta_tw_time which, double *out) {
  int64_t n = cs->count;
  if (n < 2)
    return rlz_fail(&cs->err, RICHETA_ERR_STATE, "spread: need at least two curves");
  double lo = -INFINITY, hi = INFINITY;
  for (int64_t i = 0; i < n; i++) {
    double lf;
    richeta_status st = log_factor(cs, i, which, &lf);
    if (st != RICHETA_OK)
      return st;
    const rlz_curve *c = &cs->curves[i];
    lo = fmax(lo, c->x[0] + lf);
    hi = fmin(hi, c->x[c->np - 1] + lf);
  }
  if (!(hi > lo))
    return rlz_fail(&cs->err, RICHETA_ERR_STATE, "spread: the curves share no range of tau");
  int64_t m = (int64_t)cs->opt[RICHETA_TW_OPT_GRID_POINTS];
  double total = 0;
  for (int64_t j = 0; j < m; j++) {
    double xg = lo + (hi - lo) * (double)j / (double)(m - 1);
    /* Welford: one pass, no per-point buffer */
    double mean = 0, m2 = 0;
    for (int64_t i = 0; i < n; i++) {
      double lf = 0;
      (void)log_factor(cs, i, which, &lf);
      const rlz_curve *c = &cs->curves[i];
      double v = rlz_tw_interp(c->x, c->y, c->np, xg - lf);
      double dlt = v - mean;
      mean += dlt / (double)(i + 1);
      m2 += dlt * (v - mean);
    }
    total += m2 / (double)n;
  }
  *out = total / (double)m;
  return RICHETA_OK;
}

richeta_status richeta_curveset_spread(richeta_curveset *cs, richeta_tw_time which,
                                       double *spread) {
  if (!cs || !spread)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_spread: NULL argument");
  richeta_status st = spread_of(cs, which, spread);
  if (st == RICHETA_OK)
    rlz_err_clear(&cs->err);
  return st;
}

richeta_status richeta_curveset_collapse_quality(richeta_curveset *cs, richeta_tw_time which,
                                                 double *q) {
  if (!cs || !q)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_collapse_quality: NULL argument");
  double after = NAN, before = NAN;
  richeta_status st = spread_of(cs, which, &after);
  if (st != RICHETA_OK || (st = spread_of(cs, RICHETA_TW_RAW, &before)) != RICHETA_OK)
    return st;
  if (before > 0)
    *q = after / before;
  else
    *q = after > 0 ? INFINITY : 1.0;
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status richeta_curveset_resample(richeta_curveset *cs, int64_t idx, richeta_tw_time which,
                                         double tau_min, double tau_max, int64_t points,
                                         double *tau_out, double *loss_out) {
  if (!cs || !loss_out)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_resample: NULL argument");
  richeta_status st = rlz_tw_check_idx(cs, idx);
  if (st != RICHETA_OK)
    return st;
  if (!isfinite(tau_min) || !isfinite(tau_max))
    return rlz_fail(&cs->err, RICHETA_ERR_NONFINITE, "richeta_curveset_resample: tau not finite");
  if (!(tau_min > 0 && tau_max > tau_min))
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE,
                    "richeta_curveset_resample: need 0 < tau_min < tau_max (got %g, %g)", tau_min,
                    tau_max);
  if (points < 2)
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "richeta_curveset_resample: points < 2");
  double lf;
  if ((st = log_factor(cs, idx, which, &lf)) != RICHETA_OK)
    return st;
  const rlz_curve *c = &cs->curves[idx];
  double l0 = log10(tau_min), l1 = log10(tau_max);
  double clo = c->x[0] + lf, chi = c->x[c->np - 1] + lf;
  for (int64_t j = 0; j < points; j++) {
    double xg = j == points - 1 ? l1 : l0 + (l1 - l0) * (double)j / (double)(points - 1);
    if (tau_out)
      tau_out[j] = j == 0 ? tau_min : j == points - 1 ? tau_max : pow(10.0, xg);
    /* small tolerance so that the curve's own end points are kept */
    double tol = 1e-12 * (1.0 + fabs(xg));
    if (xg < clo - tol || xg > chi + tol)
      loss_out[j] = NAN;
    else
      loss_out[j] = exp(rlz_tw_interp(c->x, c->y, c->np, xg - lf));
  }
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}
