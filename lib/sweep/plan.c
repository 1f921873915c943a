/* What a sweep runs: its units (gamma columns or cells), the shard of each
 * unit, how far an adaptive scan goes, and the text form of grids and seeds
 * kept in the plans table. */
#include "sweep_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t rlz_plan_units(int mode, int64_t ng, int64_t ne) {
  return mode == RICHETA_SWEEP_ADAPTIVE ? ng : ng * ne;
}

void rlz_unit_cells(int mode, int64_t ne, int64_t u, int64_t *gi, int64_t *ei) {
  if (mode == RICHETA_SWEEP_ADAPTIVE) {
    *gi = u;
    *ei = -1;
  } else {
    *gi = u / ne;
    *ei = u % ne;
  }
}

/* Dense cells go round the shards along the diagonals of the grid, so that
 * each shard gets its share of every eta0 row (the top rows diverge within
 * a few steps and cost little) and of every gamma column. */
int64_t rlz_unit_shard(int mode, int64_t ne, int64_t u, int64_t count) {
  int64_t gi, ei;
  rlz_unit_cells(mode, ne, u, &gi, &ei);
  return (mode == RICHETA_SWEEP_ADAPTIVE ? gi : gi + ei) % count;
}

int64_t rlz_scan_stop(const double *v, int64_t ei, double decades_below) {
  int64_t stop = ei;
  while (stop > 0 && log10(v[ei]) - log10(v[stop - 1]) <= decades_below + 1e-9)
    stop--;
  return stop;
}

/* Append-only text buffer for the list formatters. */
typedef struct text {
  const rlz_alloc *a;
  char *s;
  size_t len, cap;
} text;

static bool text_put(text *t, const char *piece) {
  size_t n = strlen(piece);
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 64;
    while (t->len + n + 1 > cap)
      cap *= 2;
    char *s = rlz_malloc(t->a, cap);
    if (!s)
      return false;
    if (t->s)
      memcpy(s, t->s, t->len + 1);
    rlz_free(t->a, t->s);
    t->s = s;
    t->cap = cap;
  }
  memcpy(t->s + t->len, piece, n + 1);
  t->len += n;
  return true;
}

static char *format_list(const rlz_alloc *a, const double *dv, const int64_t *iv, int64_t n) {
  text t = {a, NULL, 0, 0};
  if (!text_put(&t, ""))
    return NULL;
  for (int64_t i = 0; i < n; i++) {
    char piece[40];
    if (dv)
      snprintf(piece, sizeof piece, "%s%.17g", i ? "," : "", dv[i]);
    else
      snprintf(piece, sizeof piece, "%s%lld", i ? "," : "", (long long)iv[i]);
    if (!text_put(&t, piece)) {
      rlz_free(a, t.s);
      return NULL;
    }
  }
  return t.s;
}

char *rlz_format_doubles(const rlz_alloc *a, const double *v, int64_t n) {
  return format_list(a, v, NULL, n);
}

char *rlz_format_ints(const rlz_alloc *a, const int64_t *v, int64_t n) {
  return format_list(a, NULL, v, n);
}

/* Parse "x,y,z" into doubles (dv) or integers (iv): exactly one is set. */
static void *parse_list(const rlz_alloc *a, const char *s, int64_t *n, bool ints) {
  *n = 0;
  if (!s || !*s)
    return NULL;
  int64_t cap = 1;
  for (const char *p = s; *p; p++)
    cap += *p == ',';
  void *v = rlz_calloc(a, (size_t)cap, ints ? sizeof(int64_t) : sizeof(double));
  if (!v)
    return NULL;
  const char *p = s;
  for (int64_t i = 0; i < cap; i++) {
    char *end = NULL;
    errno = 0;
    if (ints)
      ((int64_t *)v)[i] = strtoll(p, &end, 10);
    else
      ((double *)v)[i] = strtod(p, &end);
    if (end == p || errno != 0 || (*end != ',' && *end != 0) || (*end == 0) != (i == cap - 1)) {
      rlz_free(a, v);
      return NULL;
    }
    p = end + 1;
  }
  *n = cap;
  return v;
}

double *rlz_parse_doubles(const rlz_alloc *a, const char *s, int64_t *n) {
  return parse_list(a, s, n, false);
}

int64_t *rlz_parse_ints(const rlz_alloc *a, const char *s, int64_t *n) {
  return parse_list(a, s, n, true);
}
