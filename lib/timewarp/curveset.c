/* Curve-set handle: lifetime, options, adding curves and reading them back. */
#include "timewarp_internal.h"

#include <math.h>
#include <string.h>

typedef struct opt_info {
  double lo, hi, def;
  bool lo_open; /* lo itself is excluded */
  bool integer;
} opt_info;

/* Indexed by richeta_tw_option; entry 0 unused. */
static const opt_info opt_table[RLZ_TW_NOPT] = {
    {0, 0, 0, false, false},         {0.0, 2.0, 0.03, false, false}, /* SMOOTH_DECADES */
    {0.0, 100.0, 0.3, true, false},                                  /* MIN_DROP */
    {0.0, 10.0, 0.1, false, false},                                  /* MIN_PLATEAU_DECADES */
    {0.0, 1000.0, 1.0, true, false},                                 /* DROP_SLOPE */
    {0.0, 10.0, 1.0, true, false},                                   /* PLATEAU_WINDOW */
    {8.0, 1e6, 256.0, false, true},                                  /* GRID_POINTS */
    {0.05, 1.0, 0.5, false, false},                                  /* MIN_OVERLAP */
};

static bool opt_known(richeta_tw_option opt) { return (int)opt >= 1 && (int)opt < RLZ_TW_NOPT; }

richeta_status richeta_curveset_option_info(richeta_tw_option opt, double *lo, double *hi,
                                            double *def) {
  if (!opt_known(opt))
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "unknown curve-set option %d", (int)opt);
  if (lo)
    *lo = opt_table[opt].lo;
  if (hi)
    *hi = opt_table[opt].hi;
  if (def)
    *def = opt_table[opt].def;
  return RICHETA_OK;
}

richeta_status richeta_curveset_new(richeta_curveset **out, const richeta_allocator *alloc) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_new: out is NULL");
  *out = NULL;
  rlz_alloc a;
  if (rlz_alloc_resolve(&a, alloc) != RICHETA_OK)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "richeta_curveset_new: allocator table too small or with NULL hooks");
  richeta_curveset *cs = rlz_calloc(&a, 1, sizeof *cs);
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "richeta_curveset_new: out of memory");
  cs->alloc = a;
  for (int i = 1; i < RLZ_TW_NOPT; i++)
    cs->opt[i] = opt_table[i].def;
  cs->pow_a = 1.0;
  cs->pow_b = -1.0;
  *out = cs;
  return RICHETA_OK;
}

static void curve_release(richeta_curveset *cs, rlz_curve *c) {
  rlz_free(&cs->alloc, c->t);
  rlz_free(&cs->alloc, c->loss);
  rlz_free(&cs->alloc, c->x);
  rlz_free(&cs->alloc, c->y);
  rlz_free(&cs->alloc, c->label);
  memset(c, 0, sizeof *c);
}

void richeta_curveset_free(richeta_curveset *cs) {
  if (!cs)
    return;
  for (int64_t i = 0; i < cs->count; i++)
    curve_release(cs, &cs->curves[i]);
  rlz_free(&cs->alloc, cs->curves);
  rlz_alloc a = cs->alloc;
  rlz_free(&a, cs);
}

const char *richeta_curveset_last_error(const richeta_curveset *cs) {
  return cs ? cs->err.msg : richeta_last_error();
}

richeta_status richeta_curveset_set_option(richeta_curveset *cs, richeta_tw_option opt,
                                           double value) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_set_option: cs is NULL");
  if (!opt_known(opt))
    return rlz_fail(&cs->err, RICHETA_ERR_UNSUPPORTED, "unknown curve-set option %d", (int)opt);
  if (!isfinite(value))
    return rlz_fail(&cs->err, RICHETA_ERR_NONFINITE, "option %d: value is not finite", (int)opt);
  const opt_info *o = &opt_table[opt];
  bool below = o->lo_open ? value <= o->lo : value < o->lo;
  if (below || value > o->hi)
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "option %d: %g outside %c%g, %g]", (int)opt, value,
                    o->lo_open ? '(' : '[', o->lo, o->hi);
  if (o->integer && value != floor(value))
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "option %d: %g is not an integer", (int)opt,
                    value);
  cs->opt[opt] = value;
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status richeta_curveset_get_option(const richeta_curveset *cs, richeta_tw_option opt,
                                           double *value) {
  if (!cs || !value)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_get_option: NULL argument");
  if (!opt_known(opt))
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "unknown curve-set option %d", (int)opt);
  *value = cs->opt[opt];
  return RICHETA_OK;
}

static richeta_status check_curve_args(richeta_curveset *cs, const double *steps,
                                       const double *loss, int64_t n, double gamma, double eta0,
                                       double eta, int64_t depth, int64_t *np_out) {
  rlz_err *e = &cs->err;
  if (!steps || !loss)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_curveset_add: steps or loss is NULL");
  if (n < 2)
    return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_curveset_add: n = %lld, need >= 2",
                    (long long)n);
  if (!isfinite(gamma) || !isfinite(eta0) || !isfinite(eta))
    return rlz_fail(e, RICHETA_ERR_NONFINITE,
                    "richeta_curveset_add: gamma, eta0 or eta not finite");
  if (gamma <= 0 || eta <= 0 || eta0 < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE,
                    "richeta_curveset_add: need gamma > 0, eta > 0, eta0 >= 0 (got %g, %g, %g)",
                    gamma, eta, eta0);
  if (depth < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_curveset_add: depth %lld < 0", (long long)depth);
  int64_t np = 0;
  for (int64_t k = 0; k < n; k++) {
    if (!isfinite(steps[k]) || !isfinite(loss[k]))
      return rlz_fail(e, RICHETA_ERR_NONFINITE,
                      "richeta_curveset_add: point %lld: step or loss not finite", (long long)k);
    if (steps[k] < 0)
      return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_curveset_add: point %lld: step %g < 0",
                      (long long)k, steps[k]);
    if (loss[k] <= 0)
      return rlz_fail(e, RICHETA_ERR_RANGE,
                      "richeta_curveset_add: point %lld: loss %g <= 0 (log-loss needed)",
                      (long long)k, loss[k]);
    if (k > 0 && !(steps[k] > steps[k - 1]))
      return rlz_fail(e, RICHETA_ERR_INVALID,
                      "richeta_curveset_add: steps not strictly increasing at point %lld",
                      (long long)k);
    if (steps[k] > 0)
      np++;
  }
  if (np < 2)
    return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_curveset_add: need at least two steps > 0");
  *np_out = np;
  return RICHETA_OK;
}

richeta_status richeta_curveset_add(richeta_curveset *cs, const double *steps, const double *loss,
                                    int64_t n, double gamma, double eta0, double eta, int64_t depth,
                                    const char *label, int64_t *index_out) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_add: cs is NULL");
  int64_t np = 0;
  richeta_status st = check_curve_args(cs, steps, loss, n, gamma, eta0, eta, depth, &np);
  if (st != RICHETA_OK)
    return st;
  size_t bytes;
  if ((st = rlz_array_bytes(&cs->err, n, sizeof(double), &bytes)) != RICHETA_OK)
    return st;
  if (cs->count == cs->cap) {
    int64_t ncap = cs->cap ? cs->cap * 2 : 8;
    size_t cbytes;
    if ((st = rlz_array_bytes(&cs->err, ncap, sizeof(rlz_curve), &cbytes)) != RICHETA_OK)
      return st;
    rlz_curve *nc = rlz_malloc(&cs->alloc, cbytes);
    if (!nc)
      return rlz_fail(&cs->err, RICHETA_ERR_NOMEM, "richeta_curveset_add: out of memory");
    if (cs->count)
      memcpy(nc, cs->curves, (size_t)cs->count * sizeof(rlz_curve));
    rlz_free(&cs->alloc, cs->curves);
    cs->curves = nc;
    cs->cap = ncap;
  }
  rlz_curve c;
  memset(&c, 0, sizeof c);
  c.t = rlz_malloc(&cs->alloc, bytes);
  c.loss = rlz_malloc(&cs->alloc, bytes);
  c.x = rlz_malloc(&cs->alloc, (size_t)np * sizeof(double));
  c.y = rlz_malloc(&cs->alloc, (size_t)np * sizeof(double));
  c.label = rlz_strdup(&cs->alloc, label ? label : "");
  if (!c.t || !c.loss || !c.x || !c.y || !c.label) {
    curve_release(cs, &c);
    return rlz_fail(&cs->err, RICHETA_ERR_NOMEM, "richeta_curveset_add: out of memory");
  }
  memcpy(c.t, steps, bytes);
  memcpy(c.loss, loss, bytes);
  int64_t j = 0;
  for (int64_t k = 0; k < n; k++) {
    if (steps[k] > 0) {
      c.x[j] = log10(steps[k]);
      c.y[j] = log(loss[k]);
      j++;
    }
  }
  c.n = n;
  c.np = np;
  c.gamma = gamma;
  c.eta0 = eta0;
  c.eta = eta;
  c.depth = depth;
  c.scale = 1.0;
  cs->curves[cs->count] = c;
  if (index_out)
    *index_out = cs->count;
  cs->count++;
  cs->aligned = false; /* the new curve has no empirical scale yet */
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}

richeta_status rlz_tw_check_idx(richeta_curveset *cs, int64_t idx) {
  if (idx < 0 || idx >= cs->count)
    return rlz_fail(&cs->err, RICHETA_ERR_RANGE, "curve index %lld outside [0, %lld)",
                    (long long)idx, (long long)cs->count);
  return RICHETA_OK;
}

richeta_status richeta_curveset_count(const richeta_curveset *cs, int64_t *count) {
  if (!cs || !count)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_count: NULL argument");
  *count = cs->count;
  return RICHETA_OK;
}

/* The getters take a const handle but record failures in its message
 * buffer, which is not part of the observable curve data. */
static richeta_curveset *unconst(const richeta_curveset *cs) { return (richeta_curveset *)cs; }

richeta_status richeta_curveset_info(const richeta_curveset *cs, int64_t idx, double *gamma,
                                     double *eta0, double *eta, int64_t *depth, int64_t *points) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_info: cs is NULL");
  richeta_status st = rlz_tw_check_idx(unconst(cs), idx);
  if (st != RICHETA_OK)
    return st;
  const rlz_curve *c = &cs->curves[idx];
  if (gamma)
    *gamma = c->gamma;
  if (eta0)
    *eta0 = c->eta0;
  if (eta)
    *eta = c->eta;
  if (depth)
    *depth = c->depth;
  if (points)
    *points = c->n;
  return RICHETA_OK;
}

richeta_status richeta_curveset_label(const richeta_curveset *cs, int64_t idx, char *buf,
                                      size_t cap, size_t *needed) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_label: cs is NULL");
  richeta_curveset *w = unconst(cs);
  if (!buf && cap > 0)
    return rlz_fail(&w->err, RICHETA_ERR_NULL, "richeta_curveset_label: buf is NULL, cap > 0");
  richeta_status st = rlz_tw_check_idx(w, idx);
  if (st != RICHETA_OK)
    return st;
  size_t need = strlen(cs->curves[idx].label) + 1;
  if (needed)
    *needed = need;
  if (cap < need)
    return rlz_fail(&w->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_curveset_label: need %zu bytes, have %zu", need, cap);
  memcpy(buf, cs->curves[idx].label, need);
  return RICHETA_OK;
}

richeta_status richeta_curveset_data(const richeta_curveset *cs, int64_t idx, double *steps,
                                     double *loss, int64_t cap, int64_t *needed) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_data: cs is NULL");
  richeta_curveset *w = unconst(cs);
  richeta_status st = rlz_tw_check_idx(w, idx);
  if (st != RICHETA_OK)
    return st;
  if (cap < 0)
    return rlz_fail(&w->err, RICHETA_ERR_RANGE, "richeta_curveset_data: cap < 0");
  const rlz_curve *c = &cs->curves[idx];
  if (needed)
    *needed = c->n;
  if ((steps || loss) && cap < c->n)
    return rlz_fail(&w->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_curveset_data: need %lld points, have %lld", (long long)c->n,
                    (long long)cap);
  if (steps)
    memcpy(steps, c->t, (size_t)c->n * sizeof(double));
  if (loss)
    memcpy(loss, c->loss, (size_t)c->n * sizeof(double));
  return RICHETA_OK;
}

richeta_status richeta_curveset_set_power(richeta_curveset *cs, double a, double b) {
  if (!cs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_curveset_set_power: cs is NULL");
  if (!isfinite(a) || !isfinite(b))
    return rlz_fail(&cs->err, RICHETA_ERR_NONFINITE,
                    "richeta_curveset_set_power: exponents must be finite");
  cs->pow_a = a;
  cs->pow_b = b;
  rlz_err_clear(&cs->err);
  return RICHETA_OK;
}
