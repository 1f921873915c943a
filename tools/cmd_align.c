/* richeta align: loss curves across gamma from a CSV file; per-curve
 * plateau, escape and staircase; theoretical (tau = eta t / gamma) and
 * empirical time rescalings, the power-law fit of the empirical time scales
 * against gamma, and the collapse quality of each rescaling. Optionally
 * writes the curves resampled on common log-spaced tau grids for plotting. */
#include "cli_store.h"
#include "cli_util.h"
#include "commands.h"
#include "core/fileio.h"
#include "sweep/sweep_internal.h"

#include <richlazy/timewarp.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "align"

enum {
  OPT_CSV = 1,
  OPT_REFERENCE,
  OPT_FRACTION,
  OPT_POINTS,
  OPT_SMOOTH,
  OPT_MIN_DROP,
  OPT_JSON,
  OPT_OUT,
  OPT_DB,
  OPT_HASH,
  OPT_ETA0,
  OPT_TAU_WINDOW
};

static const rlz_cli_opt align_opts[] = {
    {"csv", 1, "FILE", "curves as CSV: header with curve,gamma,eta,step,loss", OPT_CSV},
    {"db", 1, "FILE", "curves of a sweep database instead (one converged run per gamma)", OPT_DB},
    {"hash", 1, "H", "--db: which sweep of the database (needed when it holds several)", OPT_HASH},
    {"eta0", 1, "X",
     "--db: per gamma, the run whose eta0 is nearest X in log (default: the"
     " lowest final loss)",
     OPT_ETA0},
    {"reference", 1, "CURVE",
     "reference of the empirical alignment: curve name or 0-based"
     " index (default: the first curve)",
     OPT_REFERENCE},
    {"fraction", 1, "F", "escape when the loss falls below F x plateau, F in (0,1] (default 0.5)",
     OPT_FRACTION},
    {"points", 1, "N", "points of the resampled curves written by --out (default 200)", OPT_POINTS},
    {"smooth", 1, "D", "smoothing kernel width in decades of t, 0 = none (default 0.03)",
     OPT_SMOOTH},
    {"min-drop", 1, "D", "smallest staircase step in natural-log loss (default 0.3)", OPT_MIN_DROP},
    {"tau-window", 1, "LO:HI",
     "also compute the collapse Q on the curves cut to tau = eta t / gamma in [LO, HI], the same"
     " points for every mapping (default 0:10: the plateau and its escape; 'all': off)",
     OPT_TAU_WINDOW},
    {"json", 0, NULL, "print JSON lines (keys below)", OPT_JSON},
    {"out", 1, "FILE", "write resampled raw/theory/empirical curves as CSV", OPT_OUT},
    {NULL, 0, NULL, NULL, 0}};

typedef struct align_args {
  const char *csv, *db, *hash, *reference, *out;
  double fraction, smooth, min_drop, eta0;
  double tau_lo, tau_hi; /* the window of the second Q; hi NaN: none */
  int64_t points;
  int json, have_smooth, have_min_drop;
} align_args;

static int on_opt(void *user, int id, const char *value) {
  align_args *a = user;
  double v;
  int64_t k;
  switch (id) {
  case OPT_CSV: a->csv = value; return 0;
  case OPT_DB: a->db = value; return 0;
  case OPT_HASH: a->hash = value; return 0;
  case OPT_ETA0:
    if (rlz_cli_parse_double(value, &v) != 0 || !(v > 0)) {
      rlz_cli_error(CMD, "--eta0 %s: expected a number > 0", value);
      return 1;
    }
    a->eta0 = v;
    return 0;
  case OPT_TAU_WINDOW: {
    if (!strcmp(value, "all")) {
      a->tau_lo = a->tau_hi = NAN;
      return 0;
    }
    const char *colon = strchr(value, ':');
    char lo[64];
    size_t n = colon ? (size_t)(colon - value) : 0;
    if (!colon || n == 0 || n >= sizeof lo) {
      rlz_cli_error(CMD, "--tau-window %s: expected LO:HI (0 <= LO < HI) or all", value);
      return 1;
    }
    memcpy(lo, value, n);
    lo[n] = '\0';
    if (rlz_cli_parse_double(lo, &a->tau_lo) != 0 ||
        rlz_cli_parse_double(colon + 1, &a->tau_hi) != 0 || a->tau_lo < 0 ||
        !(a->tau_hi > a->tau_lo)) {
      rlz_cli_error(CMD, "--tau-window %s: expected LO:HI (0 <= LO < HI) or all", value);
      return 1;
    }
    return 0;
  }
  case OPT_REFERENCE: a->reference = value; return 0;
  case OPT_OUT: a->out = value; return 0;
  case OPT_JSON: a->json = 1; return 0;
  case OPT_FRACTION:
    if (rlz_cli_parse_double(value, &v) != 0 || !(v > 0 && v <= 1)) {
      rlz_cli_error(CMD, "--fraction %s: expected a number in (0, 1]", value);
      return 1;
    }
    a->fraction = v;
    return 0;
  case OPT_POINTS:
    if (rlz_cli_parse_int64(value, &k) != 0 || k < 2 || k > 1000000) {
      rlz_cli_error(CMD, "--points %s: expected an integer in [2, 1000000]", value);
      return 1;
    }
    a->points = k;
    return 0;
  case OPT_SMOOTH:
    if (rlz_cli_parse_double(value, &v) != 0 || v < 0 || v > 2) {
      rlz_cli_error(CMD, "--smooth %s: expected decades in [0, 2]", value);
      return 1;
    }
    a->smooth = v;
    a->have_smooth = 1;
    return 0;
  case OPT_MIN_DROP:
    if (rlz_cli_parse_double(value, &v) != 0 || !(v > 0 && v <= 100)) {
      rlz_cli_error(CMD, "--min-drop %s: expected a number in (0, 100]", value);
      return 1;
    }
    a->min_drop = v;
    a->have_min_drop = 1;
    return 0;
  default: return 1;
  }
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta align --csv FILE [flags]\n\n"
             "Align loss curves across gamma by a reparameterization of time (docs/timewarp.md).\n"
             "For each curve: the plateau level, the escape step (first step where the smoothed\n"
             "loss falls below F x plateau, interpolated in log t), its theoretical time\n"
             "tau = eta t / gamma, the staircase drops, and the empirical time scale s (loss(t)\n"
             "~ loss_ref(t / s), found by a shift in log t against the reference curve). Then\n"
             "the fit s ~ prefactor gamma^slope, and the collapse quality of each rescaling:\n"
             "Q = spread after / spread of the raw curves (smaller is better, 0 = perfect), the\n"
             "spread being the variance of ln loss across curves averaged over a common\n"
             "log-time grid. Next to it, the headline law: the escape steps fitted against\n"
             "gamma (t_escape ~ gamma^slope with its standard error, n/a for two curves),\n"
             "whose theory is the exponent of gamma / eta (1 - 2/L when eta ~ gamma^(2/L)).\n"
             "Q over whole curves compares different stretches of each curve in raw and in\n"
             "rescaled time; --tau-window LO:HI (default 0:10) also gives Q on the curves cut\n"
             "to tau in [LO, HI], the same points under every mapping.\n\n"
             "CSV input: a header line naming the columns, then one row per logged point.\n"
             "Required columns (any order): curve (a name), gamma, eta (effective rate), step,\n"
             "loss (> 0). Optional: eta0, depth. Other columns are ignored; blank lines and\n"
             "lines starting with '#' are skipped. Each curve's steps must increase.\n\n"
             "Sweep input (--db): for each gamma one converged run, the one with the lowest\n"
             "final loss (lowest seed on ties) or, with --eta0 X, the one whose eta0 is\n"
             "nearest X in log; its logged training loss is the curve, named g<gamma>, and\n"
             "eta is the run's scheduled rate at step 0 (eta0 times the gamma factor).\n\n"
             "flags:\n");
  rlz_cli_print_options(f, align_opts);
  fprintf(f,
          "\n--json prints one object per curve:\n"
          "  {\"record\":\"curve\", \"curve\", \"gamma\", \"eta\", \"plateau\", \"escape_step\",\n"
          "   \"escape_tau\", \"scale\", \"drops\"}\n"
          "and one summary object:\n"
          "  {\"record\":\"summary\", \"curves\", \"reference\", \"collapse_raw\" (always 1),\n"
          "   \"collapse_theory\", \"collapse_empirical\", \"spread_raw\", \"spread_theory\",\n"
          "   \"spread_empirical\", \"slope\", \"stderr\", \"prefactor\", \"theory\" (slope of\n"
          "   gamma/eta against gamma), \"gamma_min\", \"gamma_max\", \"escape_slope\",\n"
          "   \"escape_stderr\", \"escape_curves\", \"escape_theory\", \"tau_window_lo\",\n"
          "   \"tau_window_hi\", \"window_curves\", \"collapse_theory_window\",\n"
          "   \"collapse_empirical_window\"}\n"
          "Values that do not exist (no escape, fewer than two gamma, fewer than three\n"
          "curves for stderr) are null.\n\n"
          "--out FILE writes CSV rows curve,gamma,eta,mapping,tau,loss with mapping raw,\n"
          "theory or empirical, on a log-spaced tau grid per mapping covering every curve\n"
          "(points outside a curve's range are left out).\n\n"
          "exit status: 0 ok, 1 failure (unreadable file, bad data), 2 usage error.\n");
}

/* ---- CSV input ---------------------------------------------------------- */

typedef struct curve_buf {
  char *name;
  double gamma, eta, eta0;
  int64_t depth;
  double *step, *loss;
  int64_t n, cap;
} curve_buf;

typedef struct curve_list {
  curve_buf *c;
  int64_t n, cap;
} curve_list;

static void curves_free(curve_list *l) {
  for (int64_t i = 0; i < l->n; i++) {
    free(l->c[i].name);
    free(l->c[i].step);
    free(l->c[i].loss);
  }
  free(l->c);
}

/* Split line in place at commas; trims spaces and one level of double
 * quotes. Returns the number of fields (at most cap). */
static int split_fields(char *line, char **f, int cap) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    char *start = p;
    if (*p == '"') {
      start = ++p;
      while (*p && *p != '"')
        p++;
      if (*p == '"')
        *p++ = '\0';
      while (*p && *p != ',')
        p++;
    } else {
      while (*p && *p != ',')
        p++;
    }
    char *end = p;
    int last = *p == '\0';
    *p = '\0';
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
      *--end = '\0';
    if (n < cap)
      f[n++] = start;
    if (last)
      return n;
    p++;
  }
}

enum { COL_CURVE, COL_GAMMA, COL_ETA, COL_STEP, COL_LOSS, COL_ETA0, COL_DEPTH, NCOLS };
static const char *const col_names[NCOLS] = {"curve", "gamma", "eta",  "step",
                                             "loss",  "eta0",  "depth"};

static int push_point(curve_buf *c, double step, double loss) {
  if (c->n == c->cap) {
    int64_t ncap = c->cap ? 2 * c->cap : 256;
    double *s = realloc(c->step, (size_t)ncap * sizeof *s);
    if (!s)
      return -1;
    c->step = s;
    double *l = realloc(c->loss, (size_t)ncap * sizeof *l);
    if (!l)
      return -1;
    c->loss = l;
    c->cap = ncap;
  }
  c->step[c->n] = step;
  c->loss[c->n] = loss;
  c->n++;
  return 0;
}

static curve_buf *find_or_add(curve_list *l, const char *name, int64_t *last) {
  if (*last >= 0 && strcmp(l->c[*last].name, name) == 0)
    return &l->c[*last];
  for (int64_t i = 0; i < l->n; i++)
    if (strcmp(l->c[i].name, name) == 0) {
      *last = i;
      return &l->c[i];
    }
  if (l->n == l->cap) {
    int64_t ncap = l->cap ? 2 * l->cap : 16;
    curve_buf *nc = realloc(l->c, (size_t)ncap * sizeof *nc);
    if (!nc)
      return NULL;
    l->c = nc;
    l->cap = ncap;
  }
  curve_buf *c = &l->c[l->n];
  memset(c, 0, sizeof *c);
  c->name = strdup(name);
  if (!c->name)
    return NULL;
  *last = l->n++;
  return c;
}

/* Read FILE into l. Returns 0, or -1 after printing one line. */
static int read_csv(const char *path, curve_list *l) {
  int fd;
  rlz_err e;
  if (rlz_open_regular(&e, path, &fd, NULL) != RICHETA_OK) { /* never blocks on a FIFO */
    rlz_cli_error(CMD, "%s", e.msg);
    return -1;
  }
  FILE *f = fdopen(fd, "r");
  if (!f) {
    close(fd);
    rlz_cli_error(CMD, "cannot open %s", path);
    return -1;
  }
  char *line = NULL;
  size_t lcap = 0;
  int col[NCOLS];
  for (int i = 0; i < NCOLS; i++)
    col[i] = -1;
  int have_header = 0, rc = -1;
  int64_t lineno = 0, last = -1;
  char *fld[64];
  while (getline(&line, &lcap, f) != -1) {
    lineno++;
    char *p = line;
    if (lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
      p += 3; /* a UTF-8 byte-order mark (spreadsheets write one) */
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
      continue;
    int nf = split_fields(p, fld, 64);
    if (!have_header) {
      for (int j = 0; j < nf; j++)
        for (int c = 0; c < NCOLS; c++)
          if (strcmp(fld[j], col_names[c]) == 0 && col[c] < 0)
            col[c] = j;
      for (int c = 0; c <= COL_LOSS; c++)
        if (col[c] < 0) {
          rlz_cli_error(CMD, "%s:%lld: header lacks column '%s' (need curve,gamma,eta,step,loss)",
                        path, (long long)lineno, col_names[c]);
          goto out;
        }
      have_header = 1;
      continue;
    }
    double v[NCOLS] = {0};
    for (int c = COL_GAMMA; c < NCOLS; c++) {
      if (col[c] < 0)
        continue;
      if (col[c] >= nf || rlz_cli_parse_double(fld[col[c]], &v[c]) != 0) {
        rlz_cli_error(CMD, "%s:%lld: column '%s': not a finite number", path, (long long)lineno,
                      col_names[c]);
        goto out;
      }
    }
    if (col[COL_CURVE] >= nf) {
      rlz_cli_error(CMD, "%s:%lld: missing curve name", path, (long long)lineno);
      goto out;
    }
    int64_t prev = l->n;
    curve_buf *c = find_or_add(l, fld[col[COL_CURVE]], &last);
    if (!c) {
      rlz_cli_error(CMD, "out of memory");
      goto out;
    }
    double eta0 = col[COL_ETA0] >= 0 ? v[COL_ETA0] : 0;
    int64_t depth = col[COL_DEPTH] >= 0 ? (int64_t)v[COL_DEPTH] : 0;
    if (l->n > prev) {
      c->gamma = v[COL_GAMMA];
      c->eta = v[COL_ETA];
      c->eta0 = eta0;
      c->depth = depth;
    } else if (c->gamma != v[COL_GAMMA] || c->eta != v[COL_ETA]) {
      rlz_cli_error(CMD, "%s:%lld: curve '%s' changes gamma or eta", path, (long long)lineno,
                    c->name);
      goto out;
    }
    if (push_point(c, v[COL_STEP], v[COL_LOSS]) != 0) {
      rlz_cli_error(CMD, "out of memory");
      goto out;
    }
  }
  if (ferror(f)) {
    rlz_cli_error(CMD, "%s: read error", path);
    goto out;
  }
  if (!have_header) {
    rlz_cli_error(CMD, "%s: empty file (a header line is required)", path);
    goto out;
  }
  if (l->n == 0) {
    rlz_cli_error(CMD, "%s: no data rows", path);
    goto out;
  }
  rc = 0;
out:
  free(line);
  fclose(f);
  return rc;
}

/* ---- sweep database input ---------------------------------------------- */

/* Where the store's curves go: one curve_buf per gamma. */
typedef struct db_reader {
  curve_list *l;
  curve_buf *c;
  int64_t last;
} db_reader;

static int db_curve(void *user, double gamma, double eta0, double eta, int64_t depth) {
  db_reader *r = user;
  char name[64];
  snprintf(name, sizeof name, "g%.6g", gamma);
  r->c = find_or_add(r->l, name, &r->last);
  if (!r->c)
    return 1;
  r->c->gamma = gamma;
  r->c->eta0 = eta0;
  r->c->eta = eta;
  r->c->depth = depth;
  return 0;
}

static int db_point(void *user, int64_t step, double loss) {
  db_reader *r = user;
  if (!(loss > 0) || !isfinite(loss))
    return 0; /* the library would reject the curve; skip unusable points */
  return push_point(r->c, (double)step, loss);
}

/* Read one curve per gamma from a sweep database (schema in sweep.h).
 * Returns 0, or -1 after printing one line. */
static int read_db(const char *path, const char *hash, double eta0_pick, curve_list *l) {
  rlz_store *store = NULL;
  rlz_err e = {{0}};
  int rc = -1;
  if (!rlz_cli_store_open(CMD, path, hash, &store))
    goto out;
  if (!hash) { /* the only sweep of the database */
    int64_t n = 0;
    if (rlz_store_count_run_sweeps(store, &n, &e) != RICHETA_OK) {
      rlz_cli_error(CMD, "%s: %s", path, e.msg);
      goto out;
    }
    if (n != 1) {
      rlz_cli_error(
          CMD, "%s holds %d sweeps: choose one with --hash (richeta status --db %s lists them)",
          path, (int)n, path);
      goto out;
    }
  }
  db_reader r = {l, NULL, -1};
  richeta_status st = rlz_store_align_curves(store, hash, eta0_pick, db_curve, db_point, &r, &e);
  if (st == RICHETA_ERR_CALLBACK) {
    rlz_cli_error(CMD, "out of memory");
    goto out;
  }
  if (st != RICHETA_OK) {
    rlz_cli_error(CMD, "%s: %s", path, e.msg);
    goto out;
  }
  if (l->n == 0) {
    rlz_cli_error(CMD, "%s: no converged run%s", path, hash ? " with that hash" : "");
    goto out;
  }
  rc = 0;
out:
  rlz_cli_store_close(store);
  return rc;
}

/* ---- report ------------------------------------------------------------- */

typedef struct curve_stats {
  double plateau, escape, escape_tau, scale;
  int64_t drops;
} curve_stats;

typedef struct summary {
  double q[3], spread[3]; /* raw, theory, empirical; NaN = not available */
  double slope, stderr_, prefactor, theory, gmin, gmax;
  /* the escape steps against gamma, and gamma / eta against gamma over
   * the same curves (the theory of that fit) */
  double esc_slope, esc_stderr, esc_theory;
  int64_t esc_n;
  /* Q of the curves cut to the tau window */
  double wq[3], wlo, whi;
  int64_t wn;
} summary;

static int lib_fail(richeta_curveset *cs, const char *what) {
  rlz_cli_error(CMD, "%s: %s", what, richeta_curveset_last_error(cs));
  return RLZ_EXIT_FAIL;
}

/* Collapse figures and fits; what cannot be computed stays NaN. */
static void summarise(richeta_curveset *cs, const curve_list *l, summary *s) {
  const richeta_tw_time maps[3] = {RICHETA_TW_RAW, RICHETA_TW_THEORY, RICHETA_TW_EMPIRICAL};
  for (int i = 0; i < 3; i++) {
    if (richeta_curveset_spread(cs, maps[i], &s->spread[i]) != RICHETA_OK)
      s->spread[i] = NAN;
    if (richeta_curveset_collapse_quality(cs, maps[i], &s->q[i]) != RICHETA_OK)
      s->q[i] = NAN;
  }
  s->slope = s->stderr_ = s->prefactor = s->theory = NAN;
  if (richeta_curveset_fit_scales(cs, RICHETA_TW_EMPIRICAL, &s->slope, &s->stderr_,
                                  &s->prefactor) != RICHETA_OK)
    s->slope = s->stderr_ = s->prefactor = NAN;
  if (richeta_curveset_fit_scales(cs, RICHETA_TW_THEORY, &s->theory, NULL, NULL) != RICHETA_OK)
    s->theory = NAN;
  s->gmin = INFINITY;
  s->gmax = -INFINITY;
  for (int64_t i = 0; i < l->n; i++) {
    s->gmin = fmin(s->gmin, l->c[i].gamma);
    s->gmax = fmax(s->gmax, l->c[i].gamma);
  }
}

/* The escape steps' power law in gamma (the headline law: t_escape ~
 * gamma^(1 - 2/L) when eta ~ gamma^(2/L)), over the curves that escape. */
static void fit_escapes(const curve_list *l, const curve_stats *st, summary *s) {
  s->esc_slope = s->esc_stderr = s->esc_theory = NAN;
  s->esc_n = 0;
  size_t cap = l->n > 0 ? (size_t)l->n : 1;
  double *g = calloc(cap, sizeof *g), *t = calloc(cap, sizeof *t), *ge = calloc(cap, sizeof *ge);
  if (g && t && ge) {
    for (int64_t i = 0; i < l->n; i++)
      if (isfinite(st[i].escape) && st[i].escape > 0 && l->c[i].eta > 0) {
        g[s->esc_n] = l->c[i].gamma;
        t[s->esc_n] = st[i].escape;
        ge[s->esc_n++] = l->c[i].gamma / l->c[i].eta;
      }
    if (s->esc_n >= 2 &&
        richeta_fit_powerlaw(g, t, s->esc_n, &s->esc_slope, &s->esc_stderr, NULL) != RICHETA_OK)
      s->esc_slope = s->esc_stderr = NAN;
    if (s->esc_n >= 2 &&
        richeta_fit_powerlaw(g, ge, s->esc_n, &s->esc_theory, NULL, NULL) != RICHETA_OK)
      s->esc_theory = NAN;
  }
  free(g);
  free(t);
  free(ge);
}

/* Collapse Q of the curves cut to tau = eta t / gamma in [lo, hi]: every
 * mapping then compares the same points of the same curves. Curves left
 * with fewer than two points at t > 0 are dropped. */
static int window_quality(const curve_list *l, const align_args *a, int64_t ref, summary *s) {
  s->wq[0] = s->wq[1] = s->wq[2] = NAN;
  s->wlo = a->tau_lo;
  s->whi = a->tau_hi;
  s->wn = 0;
  if (isnan(a->tau_hi))
    return RLZ_EXIT_OK;
  richeta_curveset *cs = NULL;
  double *st = NULL, *lo = NULL;
  int rc = RLZ_EXIT_FAIL;
  if (richeta_curveset_new(&cs, NULL) != RICHETA_OK)
    goto out;
  if ((a->have_smooth &&
       richeta_curveset_set_option(cs, RICHETA_TW_OPT_SMOOTH_DECADES, a->smooth) != RICHETA_OK) ||
      (a->have_min_drop &&
       richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, a->min_drop) != RICHETA_OK))
    goto out;
  int64_t wref = -1;
  for (int64_t i = 0; i < l->n; i++) {
    const curve_buf *c = &l->c[i];
    free(st);
    free(lo);
    size_t cap = c->n > 0 ? (size_t)c->n : 1;
    st = calloc(cap, sizeof *st);
    lo = calloc(cap, sizeof *lo);
    if (!st || !lo)
      goto out;
    int64_t m = 0, pos = 0;
    for (int64_t k = 0; k < c->n; k++) {
      double tau = c->eta * c->step[k] / c->gamma;
      if (c->step[k] > 0 && !(tau >= a->tau_lo && tau <= a->tau_hi))
        continue;
      st[m] = c->step[k];
      lo[m++] = c->loss[k];
      pos += c->step[k] > 0;
    }
    if (pos < 2)
      continue;
    if (richeta_curveset_add(cs, st, lo, m, c->gamma, c->eta0, c->eta, c->depth, c->name, NULL) !=
        RICHETA_OK)
      goto out;
    if (i == ref)
      wref = s->wn;
    s->wn++;
  }
  rc = RLZ_EXIT_OK;
  if (s->wn < 2)
    goto out;
  const richeta_tw_time maps[3] = {RICHETA_TW_RAW, RICHETA_TW_THEORY, RICHETA_TW_EMPIRICAL};
  for (int i = 0; i < 3; i++) {
    if (i == 2 && richeta_curveset_align_empirical(cs, wref >= 0 ? wref : 0, NULL, 0) != RICHETA_OK)
      break;
    if (richeta_curveset_collapse_quality(cs, maps[i], &s->wq[i]) != RICHETA_OK)
      s->wq[i] = NAN;
  }
out:
  if (rc != RLZ_EXIT_OK)
    rlz_cli_error(CMD, "tau window: %s", cs ? richeta_curveset_last_error(cs) : "out of memory");
  richeta_curveset_free(cs);
  free(st);
  free(lo);
  return rc;
}

static void print_human(const curve_list *l, const curve_stats *st, int64_t ref, double fraction,
                        const summary *s) {
  printf("%-16s %11s %11s %11s %12s %11s %10s %5s\n", "curve", "gamma", "eta", "plateau",
         "escape_step", "escape_tau", "scale", "drops");
  for (int64_t i = 0; i < l->n; i++)
    printf("%-16s %11.4g %11.4g %11.4g %12.5g %11.4g %10.4g %5lld%s\n", l->c[i].name, l->c[i].gamma,
           l->c[i].eta, st[i].plateau, st[i].escape, st[i].escape_tau, st[i].scale,
           (long long)st[i].drops, i == ref ? "  (reference)" : "");
  printf("\nescape: loss below %g x plateau; tau = eta t / gamma; scale s: loss(t) ~ "
         "loss_ref(t / s)\n",
         fraction);
  if (isfinite(s->esc_slope)) {
    char err[32] = "n/a"; /* two curves: no error */
    if (isfinite(s->esc_stderr))
      snprintf(err, sizeof err, "%.4f", s->esc_stderr);
    printf("escape step ~ gamma^%.4f +- %s over %lld curves; theory gamma/eta ~ gamma^%.4f\n",
           s->esc_slope, err, (long long)s->esc_n, s->esc_theory);
  } else {
    printf("escape step vs gamma: not fitted (%lld curves escape)\n", (long long)s->esc_n);
  }
  printf("collapse Q (spread after / raw spread, smaller is better), whole curves: theory %.4g, "
         "empirical %.4g (raw spread %.4g)\n",
         s->q[1], s->q[2], s->spread[0]);
  if (!isnan(s->whi))
    printf("collapse Q over tau in [%g, %g] (%lld curves): theory %.4g, empirical %.4g\n", s->wlo,
           s->whi, (long long)s->wn, s->wq[1], s->wq[2]);
  if (isfinite(s->slope))
    printf("empirical scale ~ %.4g gamma^%.4f (stderr %.4f); theory gamma/eta ~ gamma^%.4f\n",
           s->prefactor, s->slope, s->stderr_, s->theory);
  else
    printf("empirical scale vs gamma: not fitted (need at least two distinct gamma)\n");
}

static void print_json(const curve_list *l, const curve_stats *st, int64_t ref, const summary *s) {
  rlz_json j;
  for (int64_t i = 0; i < l->n; i++) {
    rlz_json_begin(&j, stdout, "curve");
    rlz_json_str(&j, "curve", l->c[i].name);
    rlz_json_num(&j, "gamma", l->c[i].gamma);
    rlz_json_num(&j, "eta", l->c[i].eta);
    rlz_json_num(&j, "plateau", st[i].plateau);
    rlz_json_num(&j, "escape_step", st[i].escape);
    rlz_json_num(&j, "escape_tau", st[i].escape_tau);
    rlz_json_num(&j, "scale", st[i].scale);
    rlz_json_int(&j, "drops", st[i].drops);
    rlz_json_end(&j);
  }
  rlz_json_begin(&j, stdout, "summary");
  rlz_json_int(&j, "curves", l->n);
  rlz_json_str(&j, "reference", l->c[ref].name);
  rlz_json_num(&j, "collapse_raw", s->q[0]);
  rlz_json_num(&j, "collapse_theory", s->q[1]);
  rlz_json_num(&j, "collapse_empirical", s->q[2]);
  rlz_json_num(&j, "spread_raw", s->spread[0]);
  rlz_json_num(&j, "spread_theory", s->spread[1]);
  rlz_json_num(&j, "spread_empirical", s->spread[2]);
  rlz_json_num(&j, "slope", s->slope);
  rlz_json_num(&j, "stderr", s->stderr_);
  rlz_json_num(&j, "prefactor", s->prefactor);
  rlz_json_num(&j, "theory", s->theory);
  rlz_json_num(&j, "gamma_min", s->gmin);
  rlz_json_num(&j, "gamma_max", s->gmax);
  rlz_json_num(&j, "escape_slope", s->esc_slope);
  rlz_json_num(&j, "escape_stderr", s->esc_stderr);
  rlz_json_int(&j, "escape_curves", s->esc_n);
  rlz_json_num(&j, "escape_theory", s->esc_theory);
  rlz_json_num(&j, "tau_window_lo", s->wlo);
  rlz_json_num(&j, "tau_window_hi", s->whi);
  rlz_json_int(&j, "window_curves", s->wn);
  rlz_json_num(&j, "collapse_theory_window", s->wq[1]);
  rlz_json_num(&j, "collapse_empirical_window", s->wq[2]);
  rlz_json_end(&j);
}

/* Resampled curves for plotting, one log-spaced grid per mapping. */
static int write_out(richeta_curveset *cs, const curve_list *l, const char *path, int64_t points) {
  rlz_cli_out file; /* atomic: a failure leaves no partial file */
  if (rlz_cli_out_begin(CMD, path, &file) != 0)
    return RLZ_EXIT_FAIL;
  FILE *f = file.f;
  double *tau = malloc((size_t)points * sizeof *tau), *loss = malloc((size_t)points * sizeof *loss);
  int rc = RLZ_EXIT_FAIL;
  if (!tau || !loss) {
    rlz_cli_error(CMD, "out of memory");
    goto out;
  }
  fprintf(f, "curve,gamma,eta,mapping,tau,loss\n");
  const richeta_tw_time maps[3] = {RICHETA_TW_RAW, RICHETA_TW_THEORY, RICHETA_TW_EMPIRICAL};
  const char *names[3] = {"raw", "theory", "empirical"};
  for (int m = 0; m < 3; m++) {
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < l->n; i++) {
      double a, b;
      if (richeta_curveset_tau_range(cs, i, maps[m], &a, &b) != RICHETA_OK) {
        rc = lib_fail(cs, "resampling");
        goto out;
      }
      lo = fmin(lo, a);
      hi = fmax(hi, b);
    }
    for (int64_t i = 0; i < l->n; i++) {
      if (richeta_curveset_resample(cs, i, maps[m], lo, hi, points, tau, loss) != RICHETA_OK) {
        rc = lib_fail(cs, "resampling");
        goto out;
      }
      for (int64_t k = 0; k < points; k++) {
        if (!isfinite(loss[k]))
          continue;
        fputc('"', f);
        for (const char *p = l->c[i].name; *p; p++) { /* CSV quoting: double the quotes */
          if (*p == '"')
            fputc('"', f);
          fputc(*p, f);
        }
        fprintf(f, "\",%.9g,%.9g,%s,", l->c[i].gamma, l->c[i].eta, names[m]);
        rlz_csv_number(f, tau[k]);
        fputc(',', f);
        rlz_csv_number(f, loss[k]);
        fputc('\n', f);
      }
    }
  }
  rc = RLZ_EXIT_OK;
out:
  free(tau);
  free(loss);
  if (rc == RLZ_EXIT_OK && rlz_cli_out_commit(CMD, &file) != 0)
    rc = RLZ_EXIT_FAIL;
  rlz_cli_out_abort(&file);
  return rc;
}

static int64_t find_reference(const curve_list *l, const char *ref) {
  if (!ref)
    return 0;
  for (int64_t i = 0; i < l->n; i++)
    if (strcmp(l->c[i].name, ref) == 0)
      return i;
  int64_t k;
  if (rlz_cli_parse_int64(ref, &k) == 0 && k >= 0 && k < l->n)
    return k;
  return -1;
}

int rlz_cmd_align(int argc, char **argv) {
  align_args a = {.fraction = 0.5, .points = 200, .tau_lo = 0, .tau_hi = 10};
  rlz_cli_parser p = {CMD, align_opts, on_opt, &a, NULL, 0};
  int prc = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (prc == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (prc != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  if (!a.csv == !a.db) {
    rlz_cli_error(CMD, "give one input: --csv FILE or --db FILE (try --help)");
    return RLZ_EXIT_USAGE;
  }
  if (!a.db && (a.hash || a.eta0 > 0)) {
    rlz_cli_error(CMD, "--hash and --eta0 apply to --db input only");
    return RLZ_EXIT_USAGE;
  }
  curve_list l = {0};
  if ((a.csv ? read_csv(a.csv, &l) : read_db(a.db, a.hash, a.eta0, &l)) != 0) {
    curves_free(&l);
    return RLZ_EXIT_FAIL;
  }
  int64_t ref = find_reference(&l, a.reference);
  if (ref < 0) {
    rlz_cli_error(CMD, "--reference %s: no such curve in %s", a.reference, a.csv ? a.csv : a.db);
    curves_free(&l);
    return RLZ_EXIT_USAGE;
  }
  richeta_curveset *cs = NULL;
  curve_stats *st = calloc((size_t)l.n, sizeof *st);
  int rc = RLZ_EXIT_FAIL;
  if (!st || richeta_curveset_new(&cs, NULL) != RICHETA_OK) {
    rlz_cli_error(CMD, "out of memory");
    goto out;
  }
  if ((a.have_smooth &&
       richeta_curveset_set_option(cs, RICHETA_TW_OPT_SMOOTH_DECADES, a.smooth) != RICHETA_OK) ||
      (a.have_min_drop &&
       richeta_curveset_set_option(cs, RICHETA_TW_OPT_MIN_DROP, a.min_drop) != RICHETA_OK)) {
    rc = lib_fail(cs, "options");
    goto out;
  }
  for (int64_t i = 0; i < l.n; i++) {
    curve_buf *c = &l.c[i];
    if (richeta_curveset_add(cs, c->step, c->loss, c->n, c->gamma, c->eta0, c->eta, c->depth,
                             c->name, NULL) != RICHETA_OK) {
      rlz_cli_error(CMD, "curve '%s': %s", c->name, richeta_curveset_last_error(cs));
      goto out;
    }
  }
  for (int64_t i = 0; i < l.n; i++) {
    double factor;
    if (richeta_curveset_plateau(cs, i, &st[i].plateau) != RICHETA_OK ||
        richeta_curveset_escape(cs, i, a.fraction, &st[i].escape) != RICHETA_OK ||
        richeta_curveset_time_factor(cs, i, RICHETA_TW_THEORY, &factor) != RICHETA_OK ||
        richeta_curveset_staircase(cs, i, NULL, NULL, 0, &st[i].drops) == RICHETA_ERR_NOMEM) {
      rc = lib_fail(cs, l.c[i].name);
      goto out;
    }
    st[i].escape_tau = st[i].escape * factor;
  }
  if (richeta_curveset_align_empirical(cs, ref, NULL, 0) != RICHETA_OK) {
    rc = lib_fail(cs, "empirical alignment");
    goto out;
  }
  for (int64_t i = 0; i < l.n; i++) {
    double factor;
    if (richeta_curveset_time_factor(cs, i, RICHETA_TW_EMPIRICAL, &factor) != RICHETA_OK) {
      rc = lib_fail(cs, "empirical alignment");
      goto out;
    }
    st[i].scale = 1.0 / factor;
  }
  summary s;
  summarise(cs, &l, &s);
  fit_escapes(&l, st, &s);
  if (window_quality(&l, &a, ref, &s) != RLZ_EXIT_OK)
    goto out;
  if (a.json)
    print_json(&l, st, ref, &s);
  else
    print_human(&l, st, ref, a.fraction, &s);
  rc = a.out ? write_out(cs, &l, a.out, a.points) : RLZ_EXIT_OK;
out:
  richeta_curveset_free(cs);
  free(st);
  curves_free(&l);
  return rc;
}
