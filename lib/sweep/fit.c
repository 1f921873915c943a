/* eta* per gamma (eta_max, refined eta_opt) and power-law fits with
 * standard errors, one per side of the lazy / ultra-rich crossover. */
#include "sweep_internal.h"

#include <math.h>

richeta_status rlz_fit_line(rlz_err *e, const double *x, const double *y, int64_t n, double *slope,
                            double *se, double *icept) {
  if (n < 2)
    return rlz_fail(e, RICHETA_ERR_RANGE, "fit: need at least 2 points (got %lld)", (long long)n);
  double mx = 0, my = 0;
  for (int64_t i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= (double)n;
  my /= (double)n;
  double sxx = 0, sxy = 0;
  for (int64_t i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (!(sxx > 0))
    return rlz_fail(e, RICHETA_ERR_RANGE, "fit: all x values are equal");
  double b = sxy / sxx, a = my - b * mx;
  double ssr = 0;
  for (int64_t i = 0; i < n; i++) {
    double r = y[i] - a - b * x[i];
    ssr += r * r;
  }
  *slope = b;
  if (se) /* two points fix the line: no error, not a zero one */
    *se = n > 2 ? sqrt(ssr / (double)(n - 2) / sxx) : NAN;
  if (icept)
    *icept = a;
  return RICHETA_OK;
}

richeta_status richeta_fit_powerlaw(const double *x, const double *y, int64_t n, double *slope,
                                    double *slope_stderr, double *intercept) {
  if (!x || !y || !slope)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_fit_powerlaw: x, y or slope is NULL");
  if (n < 2 || n > INT64_MAX / 2)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "richeta_fit_powerlaw: need n >= 2 (got %lld)",
                    (long long)n);
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(x[i]) || !isfinite(y[i]))
      return rlz_fail(NULL, RICHETA_ERR_NONFINITE,
                      "richeta_fit_powerlaw: point %lld is NaN or infinite", (long long)i);
    if (x[i] <= 0 || y[i] <= 0)
      return rlz_fail(NULL, RICHETA_ERR_RANGE, "richeta_fit_powerlaw: point %lld is not > 0",
                      (long long)i);
  }
  /* means of logs computed on the fly: no allocation needed */
  double mx = 0, my = 0;
  for (int64_t i = 0; i < n; i++) {
    mx += log10(x[i]);
    my += log10(y[i]);
  }
  mx /= (double)n;
  my /= (double)n;
  double sxx = 0, sxy = 0;
  for (int64_t i = 0; i < n; i++) {
    double dx = log10(x[i]) - mx;
    sxx += dx * dx;
    sxy += dx * (log10(y[i]) - my);
  }
  if (!(sxx > 0))
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "richeta_fit_powerlaw: all x values are equal");
  double b = sxy / sxx, a = my - b * mx, ssr = 0;
  for (int64_t i = 0; i < n; i++) {
    double r = log10(y[i]) - a - b * log10(x[i]);
    ssr += r * r;
  }
  *slope = b;
  if (slope_stderr) /* two points fix the line: no error (NaN since 1.1; 1.0 gave 0) */
    *slope_stderr = n > 2 ? sqrt(ssr / (double)(n - 2) / sxx) : NAN;
  if (intercept)
    *intercept = a;
  return RICHETA_OK;
}

double rlz_parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2) {
  double d0 = x1 - x0, d2 = x1 - x2;
  double num = d0 * d0 * (y1 - y2) - d2 * d2 * (y1 - y0);
  double den = d0 * (y1 - y2) - d2 * (y1 - y0);
  /* convex through the three points iff the second divided difference > 0 */
  double curv = ((y2 - y1) / (x2 - x1) - (y1 - y0) / (x1 - x0)) / (x2 - x0);
  if (!(curv > 0) || den == 0 || !isfinite(num / den))
    return x1;
  double v = x1 - 0.5 * num / den;
  return v < x0 ? x0 : v > x2 ? x2 : v;
}

/* Summary of one (gamma, eta0) cell over its seeds. */
typedef struct cell {
  double eta0;
  bool conv;   /* every seed converged */
  bool div;    /* some seed diverged */
  double loss; /* seed mean of the chosen loss, for convergent cells */
} cell;

static void eta_star_one(const rlz_run *r, int64_t n, cell *cells, rlz_eta_star *o) {
  /* cells of this gamma: runs are sorted by eta0 then seed */
  bool all_test = true;
  for (int64_t i = 0; i < n; i++)
    if (r[i].status == RICHETA_SWEEP_RUN_CONVERGED && !isfinite(r[i].test_final))
      all_test = false;
  int64_t nc = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    double sum = 0;
    bool conv = true, div = false;
    while (j < n && r[j].eta0 == r[i].eta0) {
      conv = conv && r[j].status == RICHETA_SWEEP_RUN_CONVERGED;
      div = div || r[j].status == RICHETA_SWEEP_RUN_DIVERGED;
      sum += all_test ? r[j].test_final : r[j].final_loss;
      j++;
    }
    cells[nc].eta0 = r[i].eta0;
    cells[nc].div = div;
    cells[nc].loss = sum / (double)(j - i);
    cells[nc].conv = conv && isfinite(cells[nc].loss) && cells[nc].loss > 0;
    nc++;
    i = j;
  }
  o->gamma = r[0].gamma;
  o->eta_max = o->eta_opt = o->opt_loss = o->eta_opt_grid = NAN;
  o->flags = 0;
  int64_t imax = -1, iopt = -1;
  /* eta* live below the edge of stability: the lowest eta0 at which a seed
   * diverged; a convergent cell above it (a catapult that recovered) is an
   * island, not eta_max */
  int64_t edge = nc;
  for (int64_t c = 0; c < nc && edge == nc; c++)
    if (cells[c].div)
      edge = c;
  for (int64_t c = edge + 1; c < nc; c++)
    if (cells[c].conv)
      o->flags |= RICHETA_ETA_STAR_ABOVE_DIVERGENT;
  for (int64_t c = 0; c < edge; c++) {
    if (!cells[c].conv)
      continue;
    imax = c;
    if (iopt < 0 || cells[c].loss < cells[iopt].loss)
      iopt = c;
  }
  if (imax < 0) {
    o->flags |= RICHETA_ETA_STAR_NONE;
    return;
  }
  o->eta_max = cells[imax].eta0;
  if (imax == nc - 1)
    o->flags |= RICHETA_ETA_STAR_MAX_AT_TOP;
  o->opt_loss = cells[iopt].loss;
  o->eta_opt = o->eta_opt_grid = cells[iopt].eta0;
  if (iopt > 0 && iopt < nc - 1 && cells[iopt - 1].conv && cells[iopt + 1].conv) {
    double x = rlz_parabola_vertex(log10(cells[iopt - 1].eta0), log10(cells[iopt - 1].loss),
                                   log10(cells[iopt].eta0), log10(cells[iopt].loss),
                                   log10(cells[iopt + 1].eta0), log10(cells[iopt + 1].loss));
    o->eta_opt = pow(10.0, x);
  } else {
    o->flags |= RICHETA_ETA_STAR_OPT_AT_EDGE;
  }
}

int64_t rlz_eta_star_compute(const rlz_alloc *a, const rlz_run *runs, int64_t n,
                             rlz_eta_star *out) {
  int64_t ng = 0;
  /* one scratch buffer sized for the largest gamma group */
  int64_t maxc = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && runs[j].gamma == runs[i].gamma)
      j++;
    if (j - i > maxc)
      maxc = j - i;
    i = j;
  }
  cell *cells = maxc ? rlz_calloc(a, (size_t)maxc, sizeof *cells) : NULL;
  if (maxc && !cells)
    return -1;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && runs[j].gamma == runs[i].gamma)
      j++;
    eta_star_one(runs + i, j - i, cells, &out[ng++]);
    i = j;
  }
  rlz_free(a, cells);
  return ng;
}

/* Collect the usable points with gamma in [lo, hi]. */
static int64_t select_pts(const double *g, const double *eta, int64_t n, double lo, double hi,
                          double *x, double *y) {
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!(isfinite(eta[i]) && eta[i] > 0 && isfinite(g[i]) && g[i] > 0))
      continue;
    /* 1e-3 relative slack: a limit typed as 3.162e-3 includes 10^-2.5 */
    if (g[i] < lo * (1 - 1e-3) || g[i] > hi * (1 + 1e-3))
      continue;
    x[m] = log10(g[i]);
    y[m] = log10(eta[i]);
    m++;
  }
  return m;
}

static void fit_side(const double *g, const double *eta, int64_t n, double lo, double hi, double *x,
                     double *y, rlz_side_fit *f) {
  f->ok = 0;
  f->n = select_pts(g, eta, n, lo, hi, x, y);
  f->slope = f->se = f->intercept = f->gamma_min = f->gamma_max = NAN;
  if (f->n < 2)
    return;
  if (rlz_fit_line(NULL, x, y, f->n, &f->slope, &f->se, &f->intercept) != RICHETA_OK)
    return;
  f->gamma_min = pow(10.0, x[0]);
  f->gamma_max = pow(10.0, x[f->n - 1]);
  for (int64_t i = 0; i < f->n; i++) {
    f->gamma_min = fmin(f->gamma_min, pow(10.0, x[i]));
    f->gamma_max = fmax(f->gamma_max, pow(10.0, x[i]));
  }
  f->ok = 1;
}

static double sse_of(const double *x, const double *y, int64_t n) {
  double b, a;
  if (rlz_fit_line(NULL, x, y, n, &b, NULL, &a) != RICHETA_OK)
    return INFINITY;
  double s = 0;
  for (int64_t i = 0; i < n; i++)
    s += (y[i] - a - b * x[i]) * (y[i] - a - b * x[i]);
  return s;
}

void rlz_fit_regimes(const rlz_alloc *a, const double *gamma, const double *eta, int64_t n,
                     double lazy_max, double rich_min, double margin, rlz_side_fit *lazy,
                     rlz_side_fit *rich) {
  double *x = rlz_calloc(a, (size_t)(n > 0 ? n : 1) * 2, sizeof *x);
  lazy->ok = rich->ok = 0;
  lazy->n = rich->n = 0;
  if (!x)
    return;
  double *y = x + (n > 0 ? n : 1);
  if (isnan(lazy_max) || isnan(rich_min)) {
    /* best two-segment split of the usable points (sorted by gamma) */
    int64_t m = select_pts(gamma, eta, n, 0, INFINITY, x, y);
    double best = INFINITY, split_g = NAN;
    for (int64_t s = 3; s + 3 <= m; s++) {
      double t = sse_of(x, y, s) + sse_of(x + s, y + s, m - s);
      if (t < best) {
        best = t;
        split_g = 0.5 * (x[s - 1] + x[s]); /* between the two sides, in log10 */
      }
    }
    if (isfinite(split_g)) {
      rlz_side_fit l0, r0;
      fit_side(gamma, eta, n, 0, pow(10.0, split_g), x, y, &l0);
      fit_side(gamma, eta, n, pow(10.0, split_g), INFINITY, x, y, &r0);
      double gc = NAN, ec;
      if (l0.ok && r0.ok && rlz_fit_crossover(&l0, &r0, &gc, &ec) && isfinite(gc)) {
        if (isnan(lazy_max))
          lazy_max = gc * pow(10.0, -margin);
        if (isnan(rich_min))
          rich_min = gc * pow(10.0, margin);
      } else {
        if (isnan(lazy_max))
          lazy_max = pow(10.0, split_g);
        if (isnan(rich_min))
          rich_min = pow(10.0, split_g);
      }
    } else {
      /* too few points for a split: split at gamma = 1 */
      if (isnan(lazy_max))
        lazy_max = pow(10.0, -margin);
      if (isnan(rich_min))
        rich_min = pow(10.0, margin);
    }
  }
  fit_side(gamma, eta, n, 0, lazy_max, x, y, lazy);
  fit_side(gamma, eta, n, rich_min, INFINITY, x, y, rich);
  rlz_free(a, x);
}

int rlz_fit_crossover(const rlz_side_fit *lazy, const rlz_side_fit *rich, double *gamma_c,
                      double *eta_c) {
  if (!lazy->ok || !rich->ok || lazy->slope == rich->slope)
    return 0;
  double lg = (rich->intercept - lazy->intercept) / (lazy->slope - rich->slope);
  *gamma_c = pow(10.0, lg);
  *eta_c = pow(10.0, lazy->intercept + lazy->slope * lg);
  return isfinite(*gamma_c) && isfinite(*eta_c);
}
