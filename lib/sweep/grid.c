/* Sweep grids: log-spaced ranges, lists and their text specification. */
#include "sweep_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void rlz_grid_free(const rlz_alloc *a, rlz_grid *g) {
  rlz_free(a, g->v);
  g->v = NULL;
  g->n = 0;
}

static richeta_status grid_take(rlz_err *e, const rlz_alloc *a, rlz_grid *g, double *v, int64_t n) {
  double *copy = rlz_calloc(a, (size_t)n, sizeof *copy);
  if (!copy)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "grid: out of memory");
  memcpy(copy, v, (size_t)n * sizeof *copy);
  rlz_grid_free(a, g);
  g->v = copy;
  g->n = n;
  return RICHETA_OK;
}

richeta_status rlz_grid_range(rlz_err *e, const rlz_alloc *a, rlz_grid *g, double lo, double hi,
                              double per_decade) {
  if (!isfinite(lo) || !isfinite(hi) || !isfinite(per_decade))
    return rlz_fail(e, RICHETA_ERR_NONFINITE, "grid range: NaN or infinite bound or density");
  if (lo <= 0 || hi <= 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "grid range: values must be > 0 (got %g to %g)", lo, hi);
  if (hi < lo)
    return rlz_fail(e, RICHETA_ERR_RANGE, "grid range: reversed (%g > %g)", lo, hi);
  if (per_decade <= 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "grid range: points per decade must be > 0 (got %g)",
                    per_decade);
  double llo = log10(lo), lhi = log10(hi);
  double span = (lhi - llo) * per_decade;
  if (span + 1 > RLZ_GRID_MAX)
    return rlz_fail(e, RICHETA_ERR_RANGE, "grid range: more than %d points", RLZ_GRID_MAX);
  /* Points on the lattice 10^(k/per_decade) when lo lies on it, so that
   * different ranges of one density share their points. */
  double k0 = llo * per_decade;
  bool lattice = fabs(k0 - nearbyint(k0)) < 1e-9 * fmax(1.0, fabs(k0));
  int64_t n = (int64_t)floor(span + 1e-9) + 1;
  double *v = rlz_calloc(a, (size_t)n, sizeof *v);
  if (!v)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "grid: out of memory");
  for (int64_t i = 0; i < n; i++) {
    v[i] = lattice ? pow(10.0, (nearbyint(k0) + (double)i) / per_decade)
                   : lo * pow(10.0, (double)i / per_decade);
  }
  richeta_status st = grid_take(e, a, g, v, n);
  rlz_free(a, v);
  return st;
}

static int dcmp(const void *pa, const void *pb) {
  double x = *(const double *)pa, y = *(const double *)pb;
  return (x > y) - (x < y);
}

richeta_status rlz_grid_list(rlz_err *e, const rlz_alloc *a, rlz_grid *g, const double *values,
                             int64_t n) {
  if (n < 1 || n > RLZ_GRID_MAX)
    return rlz_fail(e, RICHETA_ERR_RANGE, "grid list: %lld values (need 1..%d)", (long long)n,
                    RLZ_GRID_MAX);
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(values[i]))
      return rlz_fail(e, RICHETA_ERR_NONFINITE, "grid list: value %lld is NaN or infinite",
                      (long long)i);
    if (values[i] <= 0)
      return rlz_fail(e, RICHETA_ERR_RANGE, "grid list: value %g is not > 0", values[i]);
  }
  double *v = rlz_calloc(a, (size_t)n, sizeof *v);
  if (!v)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "grid: out of memory");
  memcpy(v, values, (size_t)n * sizeof *v);
  qsort(v, (size_t)n, sizeof *v, dcmp);
  for (int64_t i = 1; i < n; i++)
    if (v[i] == v[i - 1]) {
      double dup = v[i];
      rlz_free(a, v);
      return rlz_fail(e, RICHETA_ERR_INVALID, "grid list: duplicate value %g", dup);
    }
  richeta_status st = grid_take(e, a, g, v, n);
  rlz_free(a, v);
  return st;
}

/* Parse one number filling the whole token [s, end). */
static richeta_status parse_num(rlz_err *e, const char *s, const char *end, double *out) {
  while (s < end && (*s == ' ' || *s == '\t'))
    s++;
  while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if (s == end)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "grid: empty value");
  char buf[64];
  size_t len = (size_t)(end - s);
  if (len >= sizeof buf)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "grid: value too long");
  memcpy(buf, s, len);
  buf[len] = 0;
  char *stop;
  errno = 0;
  double v = strtod(buf, &stop);
  if (*stop != 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "grid: '%s' is not a number", buf);
  if (!isfinite(v))
    return rlz_fail(e, RICHETA_ERR_NONFINITE, "grid: '%s' is not finite", buf);
  *out = v;
  return RICHETA_OK;
}

richeta_status rlz_grid_parse(rlz_err *e, const rlz_alloc *a, rlz_grid *g, const char *spec) {
  const char *p = spec;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!*p)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "grid: empty specification (want LO:HI:PER_DECADE or V1,V2,...)");
  size_t len = strlen(spec);
  const char *end = spec + len;
  if (strchr(spec, ':')) {
    const char *c1 = strchr(spec, ':');
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2 || strchr(c2 + 1, ':') || strchr(spec, ','))
      return rlz_fail(e, RICHETA_ERR_FORMAT, "grid: '%s' is not LO:HI:PER_DECADE (e.g. 1e-4:1e4:2)",
                      spec);
    double lo, hi, pd;
    richeta_status st;
    if ((st = parse_num(e, spec, c1, &lo)) || (st = parse_num(e, c1 + 1, c2, &hi)) ||
        (st = parse_num(e, c2 + 1, end, &pd)))
      return st;
    return rlz_grid_range(e, a, g, lo, hi, pd);
  }
  /* list: count commas to size the buffer */
  int64_t n = 1;
  for (const char *q = spec; *q; q++)
    n += *q == ',';
  if (n > RLZ_GRID_MAX)
    return rlz_fail(e, RICHETA_ERR_RANGE, "grid list: more than %d values", RLZ_GRID_MAX);
  double *v = rlz_calloc(a, (size_t)n, sizeof *v);
  if (!v)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "grid: out of memory");
  const char *s = spec;
  richeta_status st = RICHETA_OK;
  for (int64_t i = 0; i < n && st == RICHETA_OK; i++) {
    const char *c = strchr(s, ',');
    const char *tok_end = c ? c : end;
    st = parse_num(e, s, tok_end, &v[i]);
    s = tok_end + 1;
  }
  if (st == RICHETA_OK)
    st = rlz_grid_list(e, a, g, v, n);
  rlz_free(a, v);
  return st;
}
