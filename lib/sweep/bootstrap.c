/* eta* as grid intervals and slope errors that mean what they say: per
 * gamma, eta_max lies between the largest eta0 at which every seed
 * converged below the edge of stability (the lowest eta0 at which a seed
 * diverged) and the next scanned eta0 above it; a point at the top of the
 * grid (a lower bound) or with no convergent eta0 (an upper bound) is
 * censored. Slope errors come from a bootstrap over the seeds (the
 * "units": a seed of one sweep; several sweeps of one configuration pool
 * their units), each replicate drawing every eta_max uniformly in log10
 * within its interval, so that the error is never below what the grid and
 * the seeds allow. */
#include "sweep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

/* Generator streams of the bootstrap: unit draws and in-interval jitter. */
#define BOOT_UNITS 0x42u
#define BOOT_JITTER 0x43u

typedef struct boot_cell {
  double eta0;
  int64_t first; /* index in the sorted run list of this cell's first run */
  int64_t n;
} boot_cell;

typedef struct boot_gamma {
  double gamma;
  int64_t c0, nc; /* its cells in the cell list, eta0 ascending */
} boot_gamma;

struct rlz_star_set {
  rlz_alloc a;
  rlz_run *runs;  /* sorted by (gamma, eta0, unit) */
  int64_t *units; /* unit of each run */
  int64_t nruns, nunits;
  boot_cell *cells;
  int64_t ncells;
  boot_gamma *gammas;
  int64_t ng;
  rlz_star_point *pts;
};

typedef struct keyed {
  rlz_run r;
  int64_t unit;
} keyed;

static int keyed_cmp(const void *pa, const void *pb) {
  const keyed *a = pa, *b = pb;
  if (a->r.gamma != b->r.gamma)
    return a->r.gamma < b->r.gamma ? -1 : 1;
  if (a->r.eta0 != b->r.eta0)
    return a->r.eta0 < b->r.eta0 ? -1 : 1;
  return (a->unit > b->unit) - (a->unit < b->unit);
}

/* Multiplicity of each unit in a sample (all ones: the data itself). */
static bool cell_converged(const rlz_star_set *s, const boot_cell *c, const int64_t *mult) {
  bool seen = false;
  for (int64_t k = c->first; k < c->first + c->n; k++) {
    if (mult[s->units[k]] == 0)
      continue;
    seen = true;
    if (s->runs[k].status != RICHETA_SWEEP_RUN_CONVERGED)
      return false;
  }
  /* a unit of the sample without a run here: the cell was not run for it */
  int64_t have = 0, want = 0;
  for (int64_t u = 0; u < s->nunits; u++)
    want += mult[u] > 0;
  for (int64_t k = c->first; k < c->first + c->n; k++)
    have += mult[s->units[k]] > 0;
  return seen && have == want;
}

/* Some run of the sample diverged in this cell. */
static bool cell_diverged(const rlz_star_set *s, const boot_cell *c, const int64_t *mult) {
  for (int64_t k = c->first; k < c->first + c->n; k++)
    if (mult[s->units[k]] > 0 && s->runs[k].status == RICHETA_SWEEP_RUN_DIVERGED)
      return true;
  return false;
}

/* Mean final loss of a convergent cell over the sample (held-out when
 * every run has it), NaN when not convergent. */
static double cell_loss(const rlz_star_set *s, const boot_cell *c, const int64_t *mult, bool test) {
  if (!cell_converged(s, c, mult))
    return NAN;
  double sum = 0;
  int64_t w = 0;
  for (int64_t k = c->first; k < c->first + c->n; k++) {
    int64_t m = mult[s->units[k]];
    sum += (double)m * (test ? s->runs[k].test_final : s->runs[k].final_loss);
    w += m;
  }
  double v = sum / (double)w;
  return isfinite(v) && v > 0 ? v : NAN;
}

/* eta* of one gamma for a sample. */
static void point_of(const rlz_star_set *s, const boot_gamma *g, const int64_t *mult,
                     rlz_star_point *p) {
  p->gamma = g->gamma;
  p->lo = p->hi = p->mid = p->opt = p->opt_loss = NAN;
  p->flags = 0;
  p->censored = p->opt_censored = 0;
  const boot_cell *c = s->cells + g->c0;
  /* below the edge of stability only, as rlz_eta_star_compute */
  int64_t edge = g->nc;
  for (int64_t i = 0; i < g->nc && edge == g->nc; i++)
    if (cell_diverged(s, &c[i], mult))
      edge = i;
  for (int64_t i = edge + 1; i < g->nc; i++)
    if (cell_converged(s, &c[i], mult))
      p->flags |= RICHETA_ETA_STAR_ABOVE_DIVERGENT;
  int64_t imax = -1;
  for (int64_t i = edge - 1; i >= 0 && imax < 0; i--)
    if (cell_converged(s, &c[i], mult))
      imax = i;
  if (imax < 0) {
    p->flags |= RICHETA_ETA_STAR_NONE;
    p->censored = 1; /* below the lowest scanned eta0: an upper bound */
    p->hi = c[0].eta0;
    return;
  }
  p->lo = c[imax].eta0;
  if (imax == g->nc - 1) {
    p->flags |= RICHETA_ETA_STAR_MAX_AT_TOP;
    p->censored = 1; /* at the top of the grid: a lower bound */
  } else {
    p->hi = c[imax + 1].eta0;
    p->mid = sqrt(p->lo * p->hi);
  }
  bool test = true;
  for (int64_t k = c[0].first; k < c[g->nc - 1].first + c[g->nc - 1].n; k++)
    if (s->runs[k].status == RICHETA_SWEEP_RUN_CONVERGED && !isfinite(s->runs[k].test_final))
      test = false;
  int64_t iopt = -1;
  double best = INFINITY;
  for (int64_t i = 0; i < edge; i++) {
    double l = cell_loss(s, &c[i], mult, test);
    if (l < best) {
      best = l;
      iopt = i;
    }
  }
  if (iopt < 0)
    return;
  p->opt_loss = best;
  p->opt = c[iopt].eta0;
  /* the best rate at the top of the grid or the bottom of the scan: the
   * optimum may lie beyond it (next to a divergent rate it does not) */
  p->opt_censored = iopt == g->nc - 1 || iopt == 0;
  double l0 = iopt > 0 ? cell_loss(s, &c[iopt - 1], mult, test) : NAN;
  double l2 = iopt + 1 < g->nc ? cell_loss(s, &c[iopt + 1], mult, test) : NAN;
  if (isfinite(l0) && isfinite(l2))
    p->opt = pow(10.0, rlz_parabola_vertex(log10(c[iopt - 1].eta0), log10(l0), log10(c[iopt].eta0),
                                           log10(best), log10(c[iopt + 1].eta0), log10(l2)));
  else
    p->flags |= RICHETA_ETA_STAR_OPT_AT_EDGE;
}

void rlz_star_free(rlz_star_set *s) {
  if (!s)
    return;
  rlz_alloc a = s->a;
  rlz_free(&a, s->runs);
  rlz_free(&a, s->units);
  rlz_free(&a, s->cells);
  rlz_free(&a, s->gammas);
  rlz_free(&a, s->pts);
  rlz_free(&a, s);
}

richeta_status rlz_star_build(const rlz_alloc *a, const rlz_run *runs, const int64_t *units,
                              int64_t n, rlz_star_set **out) {
  *out = NULL;
  rlz_star_set *s = rlz_calloc(a, 1, sizeof *s);
  keyed *k = rlz_calloc(a, (size_t)(n > 0 ? n : 1), sizeof *k);
  if (!s || !k) {
    rlz_free(a, s);
    rlz_free(a, k);
    return RICHETA_ERR_NOMEM;
  }
  s->a = *a;
  for (int64_t i = 0; i < n; i++) {
    k[i].r = runs[i];
    k[i].unit = units[i];
  }
  qsort(k, (size_t)n, sizeof *k, keyed_cmp);
  size_t m = (size_t)(n > 0 ? n : 1);
  s->runs = rlz_calloc(a, m, sizeof *s->runs);
  s->units = rlz_calloc(a, m, sizeof *s->units);
  s->cells = rlz_calloc(a, m, sizeof *s->cells);
  s->gammas = rlz_calloc(a, m, sizeof *s->gammas);
  s->pts = rlz_calloc(a, m, sizeof *s->pts);
  if (!s->runs || !s->units || !s->cells || !s->gammas || !s->pts) {
    rlz_free(a, k);
    rlz_star_free(s);
    return RICHETA_ERR_NOMEM;
  }
  /* units renumbered 0..U-1 in order of first appearance */
  for (int64_t i = 0; i < n; i++) {
    s->runs[i] = k[i].r;
    int64_t u = -1;
    for (int64_t j = 0; j < i && u < 0; j++) /* small: units are seeds */
      if (k[j].unit == k[i].unit)
        u = s->units[j];
    s->units[i] = u >= 0 ? u : s->nunits++;
  }
  rlz_free(a, k);
  s->nruns = n;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    boot_gamma *g = &s->gammas[s->ng++];
    g->gamma = s->runs[i].gamma;
    g->c0 = s->ncells;
    while (j < n && s->runs[j].gamma == g->gamma) {
      boot_cell *c = &s->cells[s->ncells++];
      c->eta0 = s->runs[j].eta0;
      c->first = j;
      while (j < n && s->runs[j].gamma == g->gamma && s->runs[j].eta0 == c->eta0)
        j++;
      c->n = j - c->first;
    }
    g->nc = s->ncells - g->c0;
    i = j;
  }
  int64_t *ones = rlz_calloc(a, (size_t)(s->nunits > 0 ? s->nunits : 1), sizeof *ones);
  if (!ones) {
    rlz_star_free(s);
    return RICHETA_ERR_NOMEM;
  }
  for (int64_t u = 0; u < s->nunits; u++)
    ones[u] = 1;
  for (int64_t i = 0; i < s->ng; i++)
    point_of(s, &s->gammas[i], ones, &s->pts[i]);
  rlz_free(a, ones);
  *out = s;
  return RICHETA_OK;
}

int64_t rlz_star_count(const rlz_star_set *s) { return s->ng; }
int64_t rlz_star_units(const rlz_star_set *s) { return s->nunits; }
const rlz_star_point *rlz_star_points(const rlz_star_set *s) { return s->pts; }

/* Whether point p enters a fit of the quantity on [gmin, gmax]. */
static bool in_fit(const rlz_star_point *p, int quantity, double gmin, double gmax,
                   bool include_censored) {
  if (p->gamma < gmin * (1 - 1e-9) || p->gamma > gmax * (1 + 1e-9))
    return false;
  if (quantity == RLZ_STAR_MAX)
    return isfinite(p->mid) || (include_censored && p->censored && isfinite(p->lo));
  return isfinite(p->opt) && (include_censored || !p->opt_censored);
}

double rlz_star_value(const rlz_star_point *p, int quantity) {
  if (quantity == RLZ_STAR_OPT)
    return p->opt;
  return isfinite(p->mid) ? p->mid : p->lo;
}

richeta_status rlz_star_fit(const rlz_star_set *s, int quantity, double gmin, double gmax,
                            bool include_censored, int64_t reps, uint64_t seed,
                            rlz_star_fit_out *f) {
  memset(f, 0, sizeof *f);
  f->slope = f->intercept = f->se = f->se_ols = f->gamma_min = f->gamma_max = NAN;
  int64_t ng = s->ng, U = s->nunits;
  double *x = rlz_calloc(&s->a, (size_t)(2 * ng + 2), sizeof *x);
  int64_t *mult = rlz_calloc(&s->a, (size_t)(U + 1), sizeof *mult);
  int64_t *idx = rlz_calloc(&s->a, (size_t)(ng + 1), sizeof *idx);
  double *slopes = rlz_calloc(&s->a, (size_t)(reps + 1), sizeof *slopes);
  richeta_status st = RICHETA_OK;
  if (!x || !mult || !idx || !slopes) {
    st = RICHETA_ERR_NOMEM;
    goto out;
  }
  double *y = x + ng + 1;
  int64_t m = 0;
  for (int64_t i = 0; i < ng; i++) {
    const rlz_star_point *p = &s->pts[i];
    if (quantity == RLZ_STAR_MAX ? p->censored : p->opt_censored && isfinite(p->opt))
      f->n_censored += p->gamma >= gmin * (1 - 1e-9) && p->gamma <= gmax * (1 + 1e-9);
    if (!in_fit(p, quantity, gmin, gmax, include_censored))
      continue;
    idx[m] = i;
    x[m] = log10(p->gamma);
    y[m] = log10(rlz_star_value(p, quantity));
    m++;
  }
  if (include_censored) /* n_censored counts the points left out */
    f->n_censored = 0;
  f->n = m;
  if (m < 2 || rlz_fit_line(NULL, x, y, m, &f->slope, &f->se_ols, &f->intercept) != RICHETA_OK)
    goto out;
  f->ok = 1;
  f->gamma_min = pow(10.0, x[0]);
  f->gamma_max = pow(10.0, x[m - 1]);
  if (m < 3 || (quantity == RLZ_STAR_OPT && U < 2)) {
    /* two points fix the line: no error; eta_opt's error is the seeds'
     * scatter, which one seed cannot show */
    f->se = NAN;
    goto out;
  }
  /* bootstrap: resample the units, recompute each point, jitter eta_max
   * within its grid interval */
  int64_t good = 0;
  double sum = 0;
  for (int64_t b = 0; b < reps; b++) {
    for (int64_t u = 0; u < U; u++)
      mult[u] = 0;
    for (int64_t u = 0; u < U; u++)
      mult[rlz_rng_below(seed, BOOT_UNITS, (uint64_t)(b * U + u), (uint64_t)U)]++;
    int64_t mb = 0;
    for (int64_t q = 0; q < m; q++) {
      rlz_star_point p;
      point_of(s, &s->gammas[idx[q]], mult, &p);
      double v;
      if (quantity == RLZ_STAR_OPT) {
        v = p.opt;
      } else if (isfinite(p.hi) && isfinite(p.lo)) {
        double t = rlz_rng_uniform(seed, BOOT_JITTER, (uint64_t)(b * ng + idx[q]));
        v = pow(10.0, log10(p.lo) + t * (log10(p.hi) - log10(p.lo)));
      } else {
        v = isfinite(p.lo) ? p.lo : p.hi; /* censored in this replicate: its bound */
      }
      if (!(isfinite(v) && v > 0))
        continue;
      x[mb] = log10(p.gamma);
      y[mb] = log10(v);
      mb++;
    }
    double sl;
    if (mb >= 2 && rlz_fit_line(NULL, x, y, mb, &sl, NULL, NULL) == RICHETA_OK) {
      slopes[good++] = sl;
      sum += sl;
    }
  }
  if (good >= 2) {
    double mean = sum / (double)good, ss = 0;
    for (int64_t b = 0; b < good; b++)
      ss += (slopes[b] - mean) * (slopes[b] - mean);
    f->se = sqrt(ss / (double)(good - 1));
  }
  f->reps = good;
out:
  rlz_free(&s->a, x);
  rlz_free(&s->a, mult);
  rlz_free(&s->a, idx);
  rlz_free(&s->a, slopes);
  return st;
}
