/* Smoothing in log time, plateau level, escape time and staircase
 * detection. The methods are defined in docs/timewarp.md. */
#include "timewarp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Grid spacing is sigma/4 (fine enough for the Gaussian), 0.005 decades
 * without smoothing; a cap on the node count bounds the work on curves
 * spanning many decades. */
#define GRID_STEPS_PER_SIGMA 4.0
#define GRID_H_RAW 0.005
#define GRID_MAX_NODES 200000
#define KERNEL_CUTOFF 4.0 /* kernel truncated at 4 sigma */

double rlz_tw_interp(const double *xs, const double *ys, int64_t n, double xq) {
  if (xq <= xs[0])
    return ys[0];
  if (xq >= xs[n - 1])
    return ys[n - 1];
  int64_t lo = 0, hi = n - 1; /* xs[lo] < xq < xs[hi] */
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (xs[mid] <= xq)
      lo = mid;
    else
      hi = mid;
  }
  double w = (xq - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + w * (ys[hi] - ys[lo]);
}

static int cmp_double(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return (u > v) - (u < v);
}

double rlz_tw_median(double *v, int64_t n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void rlz_tw_grid_release(richeta_curveset *cs, rlz_tw_grid *gr) {
  rlz_free(&cs->alloc, gr->g);
  rlz_free(&cs->alloc, gr->d);
  gr->g = gr->d = NULL;
}

/* Average the points falling in each grid cell (centroid in x and y), then
 * interpolate the centroids linearly at the nodes: dense data is averaged,
 * sparse data interpolated, and a linear trend passes through unbiased. */
static void bin_to_grid(const rlz_curve *c, rlz_tw_grid *gr, double *cx, double *cy) {
  int64_t nc = 0, k = 0;
  while (k < c->np) {
    int64_t cell = (int64_t)floor((c->x[k] - gr->x0) / gr->h + 0.5);
    double sx = 0, sy = 0;
    int64_t cnt = 0;
    while (k < c->np && (int64_t)floor((c->x[k] - gr->x0) / gr->h + 0.5) == cell) {
      sx += c->x[k];
      sy += c->y[k];
      cnt++;
      k++;
    }
    cx[nc] = sx / (double)cnt;
    cy[nc] = sy / (double)cnt;
    nc++;
  }
  for (int64_t j = 0; j < gr->m; j++)
    gr->g[j] = nc >= 2 ? rlz_tw_interp(cx, cy, nc, gr->x0 + (double)j * gr->h) : cy[0];
}

richeta_status rlz_tw_grid_build(richeta_curveset *cs, const rlz_curve *c, rlz_tw_grid *gr) {
  memset(gr, 0, sizeof *gr);
  double sigma = cs->opt[RICHETA_TW_OPT_SMOOTH_DECADES];
  double x0 = c->x[0], span = c->x[c->np - 1] - x0;
  double h = sigma > 0 ? sigma / GRID_STEPS_PER_SIGMA : GRID_H_RAW;
  if (span / h > GRID_MAX_NODES - 1)
    h = span / (GRID_MAX_NODES - 1);
  int64_t m = (int64_t)ceil(span / h) + 1;
  if (m < 2)
    m = 2;
  h = span / (double)(m - 1); /* last node exactly on the last point */
  gr->x0 = x0;
  gr->h = h;
  gr->m = m;
  gr->g = rlz_malloc(&cs->alloc, (size_t)m * sizeof(double));
  gr->d = rlz_malloc(&cs->alloc, (size_t)m * sizeof(double));
  size_t tmpn = (size_t)(c->np > m ? c->np : m);
  double *t1 = rlz_malloc(&cs->alloc, tmpn * sizeof(double));
  double *t2 = rlz_malloc(&cs->alloc, tmpn * sizeof(double));
  if (!gr->g || !gr->d || !t1 || !t2) {
    rlz_free(&cs->alloc, t1);
    rlz_free(&cs->alloc, t2);
    rlz_tw_grid_release(cs, gr);
    return rlz_fail(&cs->err, RICHETA_ERR_NOMEM, "curve smoothing: out of memory");
  }
  bin_to_grid(c, gr, t1, t2);
  if (sigma > 0) {
    /* Gaussian convolution, renormalised where the kernel leaves the grid. */
    int64_t r = (int64_t)ceil(KERNEL_CUTOFF * sigma / h);
    if (r > m - 1)
      r = m - 1;
    double *w = t2; /* kernel weights 0..r (t2 is free again) */
    for (int64_t i = 0; i <= r; i++) {
      double z = (double)i * h / sigma;
      w[i] = exp(-0.5 * z * z);
    }
    memcpy(t1, gr->g, (size_t)m * sizeof(double));
    for (int64_t j = 0; j < m; j++) {
      double s = 0, sw = 0;
      int64_t a = j - r < 0 ? 0 : j - r, b = j + r > m - 1 ? m - 1 : j + r;
      for (int64_t i = a; i <= b; i++) {
        double wi = w[i > j ? i - j : j - i];
        s += wi * t1[i];
        sw += wi;
      }
      gr->g[j] = s / sw;
    }
  }
  for (int64_t j = 0; j < m; j++) {
    int64_t a = j > 0 ? j - 1 : 0, b = j < m - 1 ? j + 1 : m - 1;
    gr->d[j] = (gr->g[b] - gr->g[a]) / ((double)(b - a) * h);
  }
  rlz_free(&cs->alloc, t1);
  rlz_free(&cs->alloc, t2);
  return RICHETA_OK;
}

/* Smoothed ln loss at log time xq: the grid when smoothing, the logged
 * points themselves when not. */
static double smooth_at(const richeta_curveset *cs, const rlz_curve *c, const rlz_tw_grid *gr,
                        double xq) {
  if (cs->opt[RICHETA_TW_OPT_SMOOTH_DECADES] == 0)
    return rlz_tw_interp(c->x, c->y, c->np, xq);
  double p = (xq - gr->x0) / gr->h;
  if (p <= 0)
    return gr->g[0];
  if (p >= (double)(gr->m - 1))
    return gr->g[gr->m - 1];
  int64_t j = (int64_t)floor(p);
  double w = p - (double)j;
  return gr->g[j] + w * (gr->g[j + 1] - gr->g[j]);
}

/* Median of the logged ln losses with xa <= x <= xb; the smoothed grid at
 * the segment's middle when no logged point falls inside. Logged points
 * rather than grid nodes, so that sparse early steps (1, 2, 3...) weigh no
 * more than dense late ones. */
static double raw_median(const rlz_curve *c, const rlz_tw_grid *gr, double xa, double xb,
                         double *tmp, int64_t *count) {
  int64_t n = 0;
  for (int64_t k = 0; k < c->np; k++)
    if (c->x[k] >= xa && c->x[k] <= xb)
      tmp[n++] = c->y[k];
  if (count)
    *count = n;
  if (n > 0)
    return rlz_tw_median(tmp, n);
  double p = (0.5 * (xa + xb) - gr->x0) / gr->h;
  int64_t j = p <= 0 ? 0 : p >= (double)(gr->m - 1) ? gr->m - 1 : (int64_t)floor(p + 0.5);
  return gr->g[j];
}

static double node_x(const rlz_tw_grid *gr, int64_t j) { return gr->x0 + (double)j * gr->h; }

/* Plateau level: logged points of the first PLATEAU_WINDOW decades, cut
 * before the first drop (the first point alone when the curve starts
 * dropping). */
static double plateau_ln(const richeta_curveset *cs, const rlz_curve *c, const rlz_tw_grid *gr,
                         const rlz_tw_drop *drops, int64_t ndrops, double *tmp) {
  double xb = gr->x0 + cs->opt[RICHETA_TW_OPT_PLATEAU_WINDOW];
  if (ndrops > 0 && node_x(gr, drops[0].js - 1) < xb)
    xb = node_x(gr, drops[0].js - 1);
  if (xb < c->x[0])
    return c->y[0];
  return raw_median(c, gr, c->x[0], xb, tmp, NULL);
}

/* Levels of the segments around run i of d[0..n-1]: the median of the
 * logged points from the end of the previous run to the start of this one (before),
 * and from its end to the start of the next (level). An empty segment
 * takes the grid value at the run's edge. Returns the number of logged
 * points before. */
static int64_t segment_levels(const rlz_curve *c, const rlz_tw_grid *gr, rlz_tw_drop *d, int64_t n,
                              int64_t i, double *tmp) {
  int64_t m = gr->m, nb = 0;
  int64_t a = i > 0 ? d[i - 1].je + 1 : 0, b = d[i].js - 1;
  d[i].before = b >= a ? raw_median(c, gr, node_x(gr, a), node_x(gr, b), tmp, &nb) : gr->g[d[i].js];
  a = d[i].je + 1;
  b = i + 1 < n ? d[i + 1].js - 1 : m - 1;
  d[i].level = b >= a ? raw_median(c, gr, node_x(gr, a), node_x(gr, b), tmp, NULL) : gr->g[d[i].je];
  return nb;
}

richeta_status rlz_tw_find_drops(richeta_curveset *cs, const rlz_curve *c, const rlz_tw_grid *gr,
                                 rlz_tw_drop **drops, int64_t *count, double *plateau) {
  *drops = NULL;
  *count = 0;
  double thr = cs->opt[RICHETA_TW_OPT_DROP_SLOPE];
  double min_drop = cs->opt[RICHETA_TW_OPT_MIN_DROP];
  double min_gap = cs->opt[RICHETA_TW_OPT_MIN_PLATEAU_DECADES];
  int64_t m = gr->m;
  /* at most one run per two nodes */
  rlz_tw_drop *d = rlz_malloc(&cs->alloc, (size_t)(m / 2 + 1) * sizeof *d);
  double *tmp = rlz_malloc(&cs->alloc, (size_t)(m > c->np ? m : c->np) * sizeof(double));
  if (!d || !tmp) {
    rlz_free(&cs->alloc, d);
    rlz_free(&cs->alloc, tmp);
    return rlz_fail(&cs->err, RICHETA_ERR_NOMEM, "staircase detection: out of memory");
  }
  /* 1. maximal runs of nodes falling faster than the threshold, merged
   *    when the gap between them is shorter than the minimum plateau */
  int64_t nd = 0;
  for (int64_t j = 0; j < m;) {
    if (!(gr->d[j] < -thr)) {
      j++;
      continue;
    }
    int64_t js = j;
    while (j < m && gr->d[j] < -thr)
      j++;
    int64_t je = j - 1;
    if (nd > 0 && (double)(js - d[nd - 1].je) * gr->h < min_gap)
      d[nd - 1].je = je;
    else
      d[nd++] = (rlz_tw_drop){.js = js, .je = je};
  }
  /* 2. size of each run = median level of the segment before it minus
   *    that of the segment after it (segments run between neighbouring
   *    runs). The smallest run below the minimum drop is removed and its
   *    neighbours' segments merge; repeat. A noise blip between two equal
   *    plateaus has size ~0 however steep it is. A run with fewer than two
   *    logged points before it has no measured level to fall from (noise
   *    between the sparse first steps 1, 2, 3) and goes first. */
  int64_t nk = nd;
  for (;;) {
    int64_t worst = -1;
    double worst_size = min_drop;
    for (int64_t i = 0; i < nk; i++) {
      int64_t nb = segment_levels(c, gr, d, nk, i, tmp);
      double size = nb >= 2 ? d[i].before - d[i].level : -INFINITY;
      if (size < worst_size) {
        worst_size = size;
        worst = i;
      }
    }
    if (worst < 0)
      break;
    memmove(d + worst, d + worst + 1, (size_t)(nk - worst - 1) * sizeof *d);
    nk--;
  }
  /* 3. drop time: where the smoothed curve crosses halfway (in log-loss)
   *    between the two levels, first crossing inside the run */
  for (int64_t i = 0; i < nk; i++) {
    (void)segment_levels(c, gr, d, nk, i, tmp);
    double mid = 0.5 * (d[i].before + d[i].level);
    int64_t a = d[i].js > 0 ? d[i].js - 1 : 0;
    int64_t b = d[i].je < m - 1 ? d[i].je + 1 : m - 1;
    double xj = gr->x0 + 0.5 * (double)(a + b) * gr->h; /* no crossing: run centre */
    for (int64_t j = a + 1; j <= b; j++) {
      if (gr->g[j - 1] > mid && gr->g[j] <= mid) {
        double w = (gr->g[j - 1] - mid) / (gr->g[j - 1] - gr->g[j]);
        xj = gr->x0 + ((double)(j - 1) + w) * gr->h;
        break;
      }
    }
    d[i].x = xj;
  }
  *plateau = plateau_ln(cs, c, gr, d, nk, tmp);
  rlz_free(&cs->alloc, tmp);
  if (nk == 0) {
    rlz_free(&cs->alloc, d);
    d = NULL;
  }
  *drops = d;
  *count = nk;
  return RICHETA_OK;
}

/* Build the grid and detect drops for curve idx (caller releases both). */
static richeta_status analyse(richeta_curveset *cs, int64_t idx, rlz_tw_grid *gr,
                              rlz_tw_drop **drops, int64_t *nd, double *plateau) {
  richeta_status st = rlz_tw_grid_build(cs, &cs->curves[idx], gr);
  if (st != RICHETA_OK)
    return st;
  st = rlz_tw_find_drops(cs, &cs->curves[idx], gr, drops, nd, plateau);
  if (st != RICHETA_OK)
    rlz_tw_grid_release(cs, gr);
  return st;
}

richeta_status richeta_curveset_plateau(richeta_curveset *cs, int64_t idx, double *level) {
  if (!cs || !level)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_plateau: NULL argument");
  richeta_status st = rlz_tw_check_idx(cs, idx);
  if (st != RICHETA_OK)
    return st;
  rlz_tw_grid gr;
  rlz_tw_drop *drops;
  int64_t nd;
  double pl;
  if ((st = analyse(cs, idx, &gr, &drops, &nd, &pl)) != RICHETA_OK)
    return st;
  *level = exp(pl);
  rlz_free(&cs->alloc, drops);
  rlz_tw_grid_release(cs, &gr);
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status richeta_curveset_escape(richeta_curveset *cs, int64_t idx, double fraction,
                                       double *t_escape) {
  if (!cs || !t_escape)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_escape: NULL argument");
  richeta_status st = rlz_tw_check_idx(cs, idx);
  if (st != RICHETA_OK)
    return st;
  if (isnan(fraction))
    return rlz_fail(&cs->err, RICHETA_ERR_NONFINITE, "richeta_curveset_escape: fraction is NaN");
  if (!(fraction > 0 && fraction <= 1))
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE,
                    "richeta_curveset_escape: fraction %g not in (0, 1]", fraction);
  rlz_tw_grid gr;
  rlz_tw_drop *drops;
  int64_t nd;
  double pl;
  if ((st = analyse(cs, idx, &gr, &drops, &nd, &pl)) != RICHETA_OK)
    return st;
  const rlz_curve *c = &cs->curves[idx];
  double target = pl + log(fraction);
  double prev = smooth_at(cs, c, &gr, c->x[0]);
  double te = INFINITY;
  if (prev < target) {
    te = pow(10.0, c->x[0]);
  } else {
    for (int64_t k = 1; k < c->np; k++) {
      double v = smooth_at(cs, c, &gr, c->x[k]);
      if (v < target) {
        double w = (prev - target) / (prev - v);
        te = pow(10.0, c->x[k - 1] + w * (c->x[k] - c->x[k - 1]));
        break;
      }
      prev = v;
    }
  }
  *t_escape = te;
  rlz_free(&cs->alloc, drops);
  rlz_tw_grid_release(cs, &gr);
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status richeta_curveset_staircase(richeta_curveset *cs, int64_t idx, double *drop_steps,
                                          double *levels, int64_t cap, int64_t *count) {
  if (!cs || !count)
    return rlz_fail(cs ? &cs->err : NULL, RICHETA_ERR_NULL,
                    "richeta_curveset_staircase: cs or count is NULL");
  richeta_status st = rlz_tw_check_idx(cs, idx);
  if (st != RICHETA_OK)
    return st;
  if (cap < 0)
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "richeta_curveset_staircase: cap < 0");
  if (cap > 0 && (!drop_steps || !levels))
    return rlz_fail(&cs->err, RICHETA_ERR_NULL,
                    "richeta_curveset_staircase: output array is NULL with cap > 0");
  rlz_tw_grid gr;
  rlz_tw_drop *drops;
  int64_t nd;
  double pl;
  if ((st = analyse(cs, idx, &gr, &drops, &nd, &pl)) != RICHETA_OK)
    return st;
  *count = nd;
  for (int64_t i = 0; i < nd && i < cap; i++) {
    drop_steps[i] = pow(10.0, drops[i].x);
    levels[i] = exp(drops[i].level);
  }
  rlz_free(&cs->alloc, drops);
  rlz_tw_grid_release(cs, &gr);
  if (cap < nd)
    return rlz_fail(&cs->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_curveset_staircase: %lld drops, capacity %lld", (long long)nd,
                    (long long)cap);
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}
