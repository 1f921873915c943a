/* Internal state of a curve set and the numerical helpers shared by the
 * detection (detect.c) and alignment (align.c) code. Not installed. */
#ifndef RLZ_TIMEWARP_INTERNAL_H
#define RLZ_TIMEWARP_INTERNAL_H

#include <richlazy/timewarp.h>

#include "core/core.h"

#include <stdbool.h>
#include <stdint.h>

#define RLZ_TW_NOPT 8 /* option keys are 1..RLZ_TW_NOPT-1 */

typedef struct rlz_curve {
  double *t;    /* steps as given */
  double *loss; /* losses as given */
  double *x;    /* log10 t of the points with t > 0 (np entries) */
  double *y;    /* ln loss of the same points */
  int64_t n;    /* all points */
  int64_t np;   /* points with t > 0 (>= 2) */
  double gamma, eta0, eta;
  int64_t depth;
  char *label;
  double scale; /* empirical time scale s_i (valid when cs->aligned) */
} rlz_curve;

struct richeta_curveset {
  rlz_alloc alloc;
  rlz_err err;
  rlz_curve *curves;
  int64_t count, cap;
  double opt[RLZ_TW_NOPT];
  double pow_a, pow_b;
  bool aligned;
};

/* Smoothed log-loss of one curve on a uniform grid in log10 t. */
typedef struct rlz_tw_grid {
  double x0, h; /* node j sits at x0 + j h */
  int64_t m;    /* number of nodes (>= 2) */
  double *g;    /* smoothed ln loss at the nodes */
  double *d;    /* derivative dg/dx at the nodes */
} rlz_tw_grid;

/* A detected drop: node range [js, je] and its steepest point. */
typedef struct rlz_tw_drop {
  int64_t js, je;
  double x;      /* log10 t of the half-drop crossing */
  double before; /* ln loss of the plateau before it */
  double level;  /* ln loss of the plateau it lands on */
} rlz_tw_drop;

/* Validate idx; fails through cs->err. */
richeta_status rlz_tw_check_idx(richeta_curveset *cs, int64_t idx);

/* Linear interpolation of (xs, ys) at xq, clamped to the end values. */
double rlz_tw_interp(const double *xs, const double *ys, int64_t n, double xq);

/* Build the smoothed grid of curve c (allocates g and d). */
richeta_status rlz_tw_grid_build(richeta_curveset *cs, const rlz_curve *c, rlz_tw_grid *gr);
void rlz_tw_grid_release(richeta_curveset *cs, rlz_tw_grid *gr);

/* Drops of a grid into an allocated array (*drops stays NULL when none),
 * and the ln of the plateau level. */
richeta_status rlz_tw_find_drops(richeta_curveset *cs, const rlz_curve *c, const rlz_tw_grid *gr,
                                 rlz_tw_drop **drops, int64_t *count, double *plateau);

/* Median of v[0..n-1] (n >= 1); reorders v. */
double rlz_tw_median(double *v, int64_t n);

#endif
