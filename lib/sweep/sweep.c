/* Sweep handle: lifetime, grids, seeds, options, hash, loading stored runs
 * and eta* per gamma. The scheduler and worker threads are in run.c. */
#include "sweep_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_internal.h"

typedef struct opt_row {
  double lo, hi, def;
  bool integer;
} opt_row;

/* indexed by richeta_sweep_option; row 0 unused */
static const opt_row opt_rows[] = {
    {0, 0, 0, false},                        /* unused */
    {0, 1, RICHETA_SWEEP_ADAPTIVE, true},    /* MODE */
    {0, 1024, 0, true},                      /* WORKERS */
    {0, 100, 2, false},                      /* DECADES_BELOW */
    {0, 1, 0, true},                         /* BLAS_SINGLE */
    {0, 1e6, 0.9, false},                    /* PROGRESS: stalled by default */
    {0, 1, 0, true},                         /* DURABLE */
    {0, 99999, 0, true},                     /* SHARD_INDEX */
    {1, 100000, 1, true},                    /* SHARD_COUNT */
    {0, 1, RICHETA_SWEEP_JOURNAL_WAL, true}, /* JOURNAL */
    {0, 2, RICHETA_SWEEP_STEPS_FIXED, true}, /* STEPS_LAW */
    {1e-300, 1e300, 100, false},             /* TAU_BUDGET */
    {0, 1e12, 0, true},                      /* STEPS_MAX */
};
#define NOPT ((int)(sizeof opt_rows / sizeof opt_rows[0]))

int rlz_run_cmp(const void *pa, const void *pb) {
  const rlz_run *a = pa, *b = pb;
  if (a->gamma != b->gamma)
    return a->gamma < b->gamma ? -1 : 1;
  if (a->eta0 != b->eta0)
    return a->eta0 < b->eta0 ? -1 : 1;
  return (a->seed > b->seed) - (a->seed < b->seed);
}

void rlz_sweep_set_runner(richeta_sweep *sw, rlz_runner_fn fn, void *user) {
  sw->runner = fn;
  sw->runner_user = user;
}

const richeta_config *rlz_sweep_base(const richeta_sweep *sw) { return sw->base; }

const rlz_run *rlz_sweep_loaded_runs(const richeta_sweep *sw, int64_t *n) {
  *n = sw->nruns;
  return sw->runs;
}

const rlz_grid *rlz_sweep_grid(const richeta_sweep *sw, richeta_sweep_axis axis) {
  return &sw->grid[axis];
}

/* Hash and canonical text of the base configuration without the three
 * swept parameters (set to fixed values so that they do not matter). */
richeta_status rlz_sweep_refresh_hash(richeta_sweep *sw) {
  richeta_config *c = NULL;
  richeta_status st = richeta_config_clone(&c, sw->base);
  if (st != RICHETA_OK)
    return rlz_fail(&sw->err, st, "sweep: %s", richeta_last_error());
  richeta_config_set_double(c, RICHETA_PARAM_GAMMA, 1.0);
  richeta_config_set_double(c, RICHETA_PARAM_ETA0, 1.0);
  richeta_config_set_int(c, RICHETA_PARAM_SEED, 0);
  size_t need = 0;
  rlz_config_hash_text(c, NULL, 0, &need);
  char *text = rlz_malloc(&sw->alloc, need ? need : 1);
  if (!text) {
    richeta_config_free(c);
    return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "sweep: out of memory");
  }
  st = rlz_config_hash_text(c, text, need, NULL);
  richeta_config_free(c);
  if (st != RICHETA_OK) {
    rlz_free(&sw->alloc, text);
    return rlz_fail(&sw->err, st, "sweep: cannot write the configuration");
  }
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ull;
  }
  /* the progress test changes statuses: sweeps with and without it differ */
  if (sw->progress > 0) {
    char extra[64];
    snprintf(extra, sizeof extra, "|progress=%.17g", sw->progress);
    for (const unsigned char *p = (const unsigned char *)extra; *p; p++) {
      h ^= *p;
      h *= 0x100000001b3ull;
    }
  }
  /* so does a steps law (T per run) */
  if (sw->steps_law != RICHETA_SWEEP_STEPS_FIXED) {
    char extra[128];
    snprintf(extra, sizeof extra, "|steps_law=%d,tau=%.17g,steps_max=%.17g", sw->steps_law,
             sw->steps_law == RICHETA_SWEEP_STEPS_TAU ? sw->tau_budget : 0.0, sw->steps_max);
    for (const unsigned char *p = (const unsigned char *)extra; *p; p++) {
      h ^= *p;
      h *= 0x100000001b3ull;
    }
  }
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++)
    sw->hash[i] = hex[(h >> (60 - 4 * i)) & 15];
  sw->hash[16] = 0;
  rlz_free(&sw->alloc, sw->config_text);
  sw->config_text = text;
  return RICHETA_OK;
}

richeta_status richeta_sweep_new(richeta_sweep **out, const richeta_config *cfg) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_new: out is NULL");
  *out = NULL;
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_new: cfg is NULL");
  const rlz_alloc *a = rlz_config_alloc(cfg);
  richeta_sweep *sw = rlz_calloc(a, 1, sizeof *sw);
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "richeta_sweep_new: out of memory");
  sw->alloc = *a;
  sw->mode = RICHETA_SWEEP_ADAPTIVE;
  sw->group_max = RLZ_GROUP_MAX;
  sw->shard_count = 1;
  sw->decades_below = opt_rows[RICHETA_SWEEP_OPT_DECADES_BELOW].def;
  sw->progress = opt_rows[RICHETA_SWEEP_OPT_PROGRESS].def;
  sw->tau_budget = opt_rows[RICHETA_SWEEP_OPT_TAU_BUDGET].def;
  richeta_status st = richeta_config_clone(&sw->base, cfg);
  double g = rlz_config_double(cfg, RICHETA_PARAM_GAMMA);
  double e0 = rlz_config_double(cfg, RICHETA_PARAM_ETA0);
  int64_t seed = rlz_config_int(cfg, RICHETA_PARAM_SEED);
  if (st == RICHETA_OK)
    st = rlz_grid_list(&sw->err, a, &sw->grid[RICHETA_SWEEP_AXIS_GAMMA], &g, 1);
  if (st == RICHETA_OK)
    st = rlz_grid_list(&sw->err, a, &sw->grid[RICHETA_SWEEP_AXIS_ETA0], &e0, 1);
  if (st == RICHETA_OK) {
    sw->seeds = rlz_calloc(a, 1, sizeof *sw->seeds);
    st = sw->seeds ? RICHETA_OK : RICHETA_ERR_NOMEM;
    if (sw->seeds) {
      sw->seeds[0] = seed;
      sw->nseeds = 1;
    }
  }
  if (st == RICHETA_OK)
    st = rlz_sweep_refresh_hash(sw);
  if (st != RICHETA_OK) {
    rlz_fail(NULL, st, "richeta_sweep_new: %s",
             sw->err.msg[0] ? sw->err.msg : richeta_status_string(st));
    richeta_sweep_free(sw);
    return st;
  }
  *out = sw;
  return RICHETA_OK;
}

void richeta_sweep_free(richeta_sweep *sw) {
  if (!sw)
    return;
  rlz_alloc a = sw->alloc;
  richeta_config_free(sw->base);
  rlz_grid_free(&a, &sw->grid[0]);
  rlz_grid_free(&a, &sw->grid[1]);
  rlz_free(&a, sw->seeds);
  rlz_free(&a, sw->config_text);
  rlz_free(&a, sw->runs);
  rlz_free(&a, sw);
}

const char *richeta_sweep_last_error(const richeta_sweep *sw) {
  return sw ? sw->err.msg : richeta_last_error();
}

static richeta_status check_axis(richeta_sweep *sw, richeta_sweep_axis axis, const char *fn) {
  if ((int)axis != RICHETA_SWEEP_AXIS_GAMMA && (int)axis != RICHETA_SWEEP_AXIS_ETA0)
    return rlz_fail(&sw->err, RICHETA_ERR_INVALID, "%s: unknown axis %d", fn, (int)axis);
  return RICHETA_OK;
}

static const char *axis_name(richeta_sweep_axis axis) {
  return axis == RICHETA_SWEEP_AXIS_GAMMA ? "gamma" : "eta0";
}

/* Grid setters work on a scratch grid so a failure leaves the old one. */
static richeta_status adopt(richeta_sweep *sw, richeta_sweep_axis axis, rlz_grid *g,
                            richeta_status st) {
  if (st != RICHETA_OK) {
    rlz_grid_free(&sw->alloc, g);
    char msg[RLZ_ERRMSG_CAP];
    snprintf(msg, sizeof msg, "%s", sw->err.msg);
    return rlz_fail(&sw->err, st, "%s %s", axis_name(axis), msg);
  }
  rlz_grid_free(&sw->alloc, &sw->grid[axis]);
  sw->grid[axis] = *g;
  rlz_err_clear(&sw->err);
  return RICHETA_OK;
}

richeta_status richeta_sweep_set_grid_range(richeta_sweep *sw, richeta_sweep_axis axis, double lo,
                                            double hi, double per_decade) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_set_grid_range: sweep is NULL");
  richeta_status st = check_axis(sw, axis, "richeta_sweep_set_grid_range");
  if (st)
    return st;
  rlz_grid g = {0};
  return adopt(sw, axis, &g, rlz_grid_range(&sw->err, &sw->alloc, &g, lo, hi, per_decade));
}

richeta_status richeta_sweep_set_grid_list(richeta_sweep *sw, richeta_sweep_axis axis,
                                           const double *values, int64_t n) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_set_grid_list: sweep is NULL");
  if (!values)
    return rlz_fail(&sw->err, RICHETA_ERR_NULL, "richeta_sweep_set_grid_list: values is NULL");
  richeta_status st = check_axis(sw, axis, "richeta_sweep_set_grid_list");
  if (st)
    return st;
  rlz_grid g = {0};
  return adopt(sw, axis, &g, rlz_grid_list(&sw->err, &sw->alloc, &g, values, n));
}

richeta_status richeta_sweep_set_grid(richeta_sweep *sw, richeta_sweep_axis axis,
                                      const char *spec) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_set_grid: sweep is NULL");
  if (!spec)
    return rlz_fail(&sw->err, RICHETA_ERR_NULL, "richeta_sweep_set_grid: spec is NULL");
  richeta_status st = check_axis(sw, axis, "richeta_sweep_set_grid");
  if (st)
    return st;
  rlz_grid g = {0};
  return adopt(sw, axis, &g, rlz_grid_parse(&sw->err, &sw->alloc, &g, spec));
}

richeta_status richeta_sweep_get_grid(const richeta_sweep *csw, richeta_sweep_axis axis,
                                      double *values, int64_t cap, int64_t *count) {
  richeta_sweep *sw = (richeta_sweep *)csw; /* only the error buffer is written */
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_get_grid: sweep is NULL");
  richeta_status st = check_axis(sw, axis, "richeta_sweep_get_grid");
  if (st)
    return st;
  if (cap < 0)
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE, "richeta_sweep_get_grid: cap < 0");
  if (!values && cap > 0)
    return rlz_fail(&sw->err, RICHETA_ERR_NULL, "richeta_sweep_get_grid: values is NULL");
  const rlz_grid *g = &sw->grid[axis];
  if (count)
    *count = g->n;
  if (cap < g->n)
    return rlz_fail(&sw->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_sweep_get_grid: %lld values, capacity %lld", (long long)g->n,
                    (long long)cap);
  memcpy(values, g->v, (size_t)g->n * sizeof *values);
  return RICHETA_OK;
}

richeta_status richeta_sweep_set_seeds(richeta_sweep *sw, const int64_t *seeds, int64_t n) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_set_seeds: sweep is NULL");
  if (!seeds)
    return rlz_fail(&sw->err, RICHETA_ERR_NULL, "richeta_sweep_set_seeds: seeds is NULL");
  if (n < 1 || n > RLZ_SEEDS_MAX)
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE, "richeta_sweep_set_seeds: %lld seeds (need 1..%d)",
                    (long long)n, RLZ_SEEDS_MAX);
  for (int64_t i = 0; i < n; i++) {
    if (seeds[i] < 0)
      return rlz_fail(&sw->err, RICHETA_ERR_RANGE, "richeta_sweep_set_seeds: seed %lld is < 0",
                      (long long)seeds[i]);
    for (int64_t j = 0; j < i; j++)
      if (seeds[j] == seeds[i])
        return rlz_fail(&sw->err, RICHETA_ERR_INVALID,
                        "richeta_sweep_set_seeds: duplicate seed %lld", (long long)seeds[i]);
  }
  int64_t *v = rlz_calloc(&sw->alloc, (size_t)n, sizeof *v);
  if (!v)
    return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "richeta_sweep_set_seeds: out of memory");
  memcpy(v, seeds, (size_t)n * sizeof *v);
  rlz_free(&sw->alloc, sw->seeds);
  sw->seeds = v;
  sw->nseeds = n;
  rlz_err_clear(&sw->err);
  return RICHETA_OK;
}

richeta_status richeta_sweep_set_option(richeta_sweep *sw, richeta_sweep_option option,
                                        double value) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_set_option: sweep is NULL");
  if ((int)option < 1 || (int)option >= NOPT)
    return rlz_fail(&sw->err, RICHETA_ERR_UNSUPPORTED,
                    "richeta_sweep_set_option: unknown option %d", (int)option);
  if (!isfinite(value))
    return rlz_fail(&sw->err, RICHETA_ERR_NONFINITE,
                    "richeta_sweep_set_option: value is not finite");
  const opt_row *r = &opt_rows[option];
  if (value < r->lo || value > r->hi || (r->integer && value != floor(value)))
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE,
                    "richeta_sweep_set_option: option %d = %g outside [%g, %g]%s", (int)option,
                    value, r->lo, r->hi, r->integer ? " or not an integer" : "");
  switch (option) {
  case RICHETA_SWEEP_OPT_MODE:
    sw->mode = (int)value;
    break;
  case RICHETA_SWEEP_OPT_WORKERS:
    sw->workers = (int)value;
    break;
  case RICHETA_SWEEP_OPT_DECADES_BELOW:
    sw->decades_below = value;
    break;
  case RICHETA_SWEEP_OPT_BLAS_SINGLE:
    sw->blas_single = (int)value;
    break;
  case RICHETA_SWEEP_OPT_PROGRESS:
    sw->progress = value;
    return rlz_sweep_refresh_hash(sw);
  case RICHETA_SWEEP_OPT_DURABLE:
    sw->durable = (int)value;
    break;
  case RICHETA_SWEEP_OPT_SHARD_INDEX:
    sw->shard_index = (int64_t)value;
    break;
  case RICHETA_SWEEP_OPT_SHARD_COUNT:
    sw->shard_count = (int64_t)value;
    break;
  case RICHETA_SWEEP_OPT_JOURNAL:
    sw->journal = (int)value;
    break;
  case RICHETA_SWEEP_OPT_STEPS_LAW:
    sw->steps_law = (int)value;
    return rlz_sweep_refresh_hash(sw);
  case RICHETA_SWEEP_OPT_TAU_BUDGET:
    sw->tau_budget = value;
    return rlz_sweep_refresh_hash(sw);
  case RICHETA_SWEEP_OPT_STEPS_MAX:
    sw->steps_max = value;
    return rlz_sweep_refresh_hash(sw);
  }
  rlz_err_clear(&sw->err);
  return RICHETA_OK;
}

richeta_status richeta_sweep_get_option(const richeta_sweep *sw, richeta_sweep_option option,
                                        double *value) {
  if (!sw || !value)
    return rlz_fail(sw ? (rlz_err *)&sw->err : NULL, RICHETA_ERR_NULL,
                    "richeta_sweep_get_option: sweep or value is NULL");
  switch (option) {
  case RICHETA_SWEEP_OPT_MODE:
    *value = sw->mode;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_WORKERS:
    *value = sw->workers;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_DECADES_BELOW:
    *value = sw->decades_below;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_BLAS_SINGLE:
    *value = sw->blas_single;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_PROGRESS:
    *value = sw->progress;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_DURABLE:
    *value = sw->durable;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_SHARD_INDEX:
    *value = (double)sw->shard_index;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_SHARD_COUNT:
    *value = (double)sw->shard_count;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_JOURNAL:
    *value = sw->journal;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_STEPS_LAW:
    *value = sw->steps_law;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_TAU_BUDGET:
    *value = sw->tau_budget;
    return RICHETA_OK;
  case RICHETA_SWEEP_OPT_STEPS_MAX:
    *value = sw->steps_max;
    return RICHETA_OK;
  }
  return rlz_fail((rlz_err *)&sw->err, RICHETA_ERR_UNSUPPORTED,
                  "richeta_sweep_get_option: unknown option %d", (int)option);
}

richeta_status richeta_sweep_hash(const richeta_sweep *sw, char *buf, size_t cap) {
  if (!sw || !buf)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_hash: sweep or buf is NULL");
  if (cap < 17)
    return rlz_fail((rlz_err *)&sw->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_sweep_hash: need 17 bytes, have %zu", cap);
  memcpy(buf, sw->hash, 17);
  return RICHETA_OK;
}

static richeta_status load_from(richeta_sweep *sw, rlz_store *s) {
  rlz_run *runs = NULL;
  int64_t n = 0;
  richeta_status st = rlz_store_load(s, sw->hash, &sw->alloc, &runs, &n, &sw->err);
  if (st != RICHETA_OK)
    return st;
  rlz_free(&sw->alloc, sw->runs);
  sw->runs = runs;
  sw->nruns = n;
  return RICHETA_OK;
}

richeta_status richeta_sweep_load(richeta_sweep *sw, const char *db_path) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_load: sweep is NULL");
  if (!db_path)
    return rlz_fail(&sw->err, RICHETA_ERR_NULL, "richeta_sweep_load: db_path is NULL");
  rlz_store *s = NULL;
  richeta_status st = rlz_store_open(&s, db_path, 1, &sw->alloc, &sw->err);
  if (st != RICHETA_OK)
    return st;
  st = load_from(sw, s);
  rlz_store_close(s);
  if (st == RICHETA_OK)
    rlz_err_clear(&sw->err);
  return st;
}

/* Distinct values of a member of the loaded runs, as a grid. */
static richeta_status grid_from_runs(richeta_sweep *sw, richeta_sweep_axis axis) {
  if (sw->nruns == 0)
    return RICHETA_OK;
  double *v = rlz_calloc(&sw->alloc, (size_t)sw->nruns, sizeof *v);
  if (!v)
    return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "sweep: out of memory");
  for (int64_t i = 0; i < sw->nruns; i++)
    v[i] = axis == RICHETA_SWEEP_AXIS_GAMMA ? sw->runs[i].gamma : sw->runs[i].eta0;
  int64_t m = 0;
  for (int64_t i = 0; i < sw->nruns; i++) {
    bool seen = false;
    for (int64_t j = 0; j < m && !seen; j++)
      seen = v[j] == v[i];
    if (!seen)
      v[m++] = v[i];
  }
  rlz_grid g = {0};
  richeta_status st = rlz_grid_list(&sw->err, &sw->alloc, &g, v, m);
  rlz_free(&sw->alloc, v);
  if (st == RICHETA_OK) {
    rlz_grid_free(&sw->alloc, &sw->grid[axis]);
    sw->grid[axis] = g;
  }
  return st;
}

richeta_status richeta_sweep_open(richeta_sweep **out, const char *db_path, const char *hash,
                                  const richeta_allocator *allocator) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_open: out is NULL");
  *out = NULL;
  if (!db_path)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_open: db_path is NULL");
  rlz_alloc a;
  if (rlz_alloc_resolve(&a, allocator) != RICHETA_OK)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "richeta_sweep_open: bad allocator table");
  rlz_err e = {{0}};
  rlz_store *s = NULL;
  richeta_status st = rlz_store_open(&s, db_path, 1, &a, &e);
  if (st != RICHETA_OK)
    return rlz_fail(NULL, st, "%s", e.msg);
  char found[17];
  char *text = NULL;
  int64_t nsw = 0;
  st = rlz_store_find_sweep(s, hash, found, &text, &nsw, &e);
  char list[200] = "";
  if (st == RICHETA_OK && nsw > 1)
    st = rlz_store_list_sweeps(s, list, sizeof list, &e);
  if (st == RICHETA_OK && nsw == 0)
    st = rlz_fail(&e, RICHETA_ERR_INVALID, "no sweep%s%s in '%s'", hash ? " " : "",
                  hash ? hash : "", db_path);
  else if (st == RICHETA_OK && nsw > 1)
    st = rlz_fail(&e, RICHETA_ERR_INVALID, "'%s' holds %lld sweeps (%s): give the hash of one",
                  db_path, (long long)nsw, list);
  richeta_config *cfg = NULL;
  richeta_sweep *sw = NULL;
  if (st == RICHETA_OK && (st = richeta_config_new(&cfg, allocator)) != RICHETA_OK)
    snprintf(e.msg, sizeof e.msg, "%s", richeta_last_error());
  if (st == RICHETA_OK && (st = richeta_config_parse(cfg, text)) != RICHETA_OK)
    snprintf(e.msg, sizeof e.msg, "stored configuration: %s", richeta_config_last_error(cfg));
  if (st == RICHETA_OK && (st = richeta_sweep_new(&sw, cfg)) != RICHETA_OK)
    snprintf(e.msg, sizeof e.msg, "%s", richeta_last_error());
  if (st == RICHETA_OK && strcmp(sw->hash, found) != 0) {
    /* 1.0's default sweep had no stall criterion (1.1's default is 0.9):
     * take 0 when it gives the stored hash, so the handle's option says
     * how the runs were classified and a rerun extends the same sweep */
    sw->progress = 0;
    st = rlz_sweep_refresh_hash(sw);
    if (st == RICHETA_OK && strcmp(sw->hash, found) != 0)
      sw->progress = opt_rows[RICHETA_SWEEP_OPT_PROGRESS].def;
    if (st != RICHETA_OK)
      snprintf(e.msg, sizeof e.msg, "%s", sw->err.msg);
  }
  if (st == RICHETA_OK) {
    memcpy(sw->hash, found, 17); /* the stored key rules */
    st = load_from(sw, s);
    if (st == RICHETA_OK)
      st = grid_from_runs(sw, RICHETA_SWEEP_AXIS_GAMMA);
    if (st == RICHETA_OK)
      st = grid_from_runs(sw, RICHETA_SWEEP_AXIS_ETA0);
    if (st != RICHETA_OK)
      snprintf(e.msg, sizeof e.msg, "%s", sw->err.msg);
  }
  rlz_free(&a, text);
  rlz_store_close(s);
  richeta_config_free(cfg);
  if (st != RICHETA_OK) {
    richeta_sweep_free(sw);
    return rlz_fail(NULL, st, "%s", e.msg);
  }
  *out = sw;
  return RICHETA_OK;
}

richeta_status richeta_sweep_runs(const richeta_sweep *csw, double *gamma, double *eta0,
                                  int64_t *seed, int32_t *status, double *final_loss, int64_t cap,
                                  int64_t *count) {
  richeta_sweep *sw = (richeta_sweep *)csw;
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_runs: sweep is NULL");
  if (cap < 0)
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE, "richeta_sweep_runs: cap < 0");
  if (count)
    *count = sw->nruns;
  if (cap < sw->nruns && (gamma || eta0 || seed || status || final_loss))
    return rlz_fail(&sw->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_sweep_runs: %lld runs, capacity %lld", (long long)sw->nruns,
                    (long long)cap);
  for (int64_t i = 0; i < sw->nruns; i++) {
    const rlz_run *r = &sw->runs[i];
    if (gamma)
      gamma[i] = r->gamma;
    if (eta0)
      eta0[i] = r->eta0;
    if (seed)
      seed[i] = r->seed;
    if (status)
      status[i] = r->status;
    if (final_loss)
      final_loss[i] = r->final_loss;
  }
  return RICHETA_OK;
}

richeta_status richeta_sweep_eta_star(richeta_sweep *sw, double *gamma, double *eta_max,
                                      double *eta_opt, double *opt_loss, int32_t *flags,
                                      int64_t cap, int64_t *count) {
  if (!sw)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_eta_star: sweep is NULL");
  if (cap < 0)
    return rlz_fail(&sw->err, RICHETA_ERR_RANGE, "richeta_sweep_eta_star: cap < 0");
  rlz_eta_star *es = rlz_calloc(&sw->alloc, (size_t)(sw->nruns ? sw->nruns : 1), sizeof *es);
  if (!es)
    return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "richeta_sweep_eta_star: out of memory");
  int64_t ng = rlz_eta_star_compute(&sw->alloc, sw->runs, sw->nruns, es);
  if (ng < 0) {
    rlz_free(&sw->alloc, es);
    return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "richeta_sweep_eta_star: out of memory");
  }
  if (count)
    *count = ng;
  bool any = gamma || eta_max || eta_opt || opt_loss || flags;
  if (any && cap < ng) {
    rlz_free(&sw->alloc, es);
    return rlz_fail(&sw->err, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_sweep_eta_star: %lld gammas, capacity %lld", (long long)ng,
                    (long long)cap);
  }
  for (int64_t i = 0; i < ng; i++) {
    if (gamma)
      gamma[i] = es[i].gamma;
    if (eta_max)
      eta_max[i] = es[i].eta_max;
    if (eta_opt)
      eta_opt[i] = es[i].eta_opt;
    if (opt_loss)
      opt_loss[i] = es[i].opt_loss;
    if (flags)
      flags[i] = es[i].flags;
  }
  rlz_free(&sw->alloc, es);
  rlz_err_clear(&sw->err);
  return RICHETA_OK;
}

richeta_status richeta_sweep_eta_resolution(const richeta_sweep *sw, double *decades) {
  if (!sw || !decades)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_eta_resolution: NULL argument");
  const rlz_grid *g = &sw->grid[RICHETA_SWEEP_AXIS_ETA0];
  double r = 0;
  for (int64_t i = 1; i < g->n; i++)
    r = fmax(r, log10(g->v[i]) - log10(g->v[i - 1]));
  *decades = r;
  return RICHETA_OK;
}
