/* richeta fit: eta* per gamma from a sweep database and the power-law fits
 * of eta_max and eta_opt against gamma on each side of the crossover;
 * optionally saves the fitted rule as a config spec file ("calibrated
 * scheduler"). */
#include "cli_util.h"
#include "commands.h"
#include "sweep_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_internal.h"
#include "core/fileio.h"
#include "sweep/sweep_internal.h"

enum {
  OPT_DB = 1,
  OPT_HASH,
  OPT_LAZY_MAX,
  OPT_RICH_MIN,
  OPT_MARGIN,
  OPT_JSON,
  OPT_SAVE,
  OPT_FROM,
  OPT_CENSORED
};

#define FIT_MAX_SWEEPS 64

static const rlz_cli_opt fit_opts[] = {
    {"db", 1, "FILE",
     "sweep database (default sweep.db); repeat to pool several sweeps of one configuration"
     " (other seeds, T, widths)",
     OPT_DB},
    {"hash", 1, "H",
     "which sweep of the database (needed when it holds several); repeat to pool sweeps, the"
     " k-th --hash going with the k-th --db (one --hash: the same in every --db)",
     OPT_HASH},
    {"include-censored", 0, NULL,
     "also fit censored points: eta_max at the grid top (its lower bound) and eta_opt at the"
     " grid's edge (default: left out and counted)",
     OPT_CENSORED},
    {"lazy-max", 1, "G", "fit the lazy side on gamma <= G (default: automatic)", OPT_LAZY_MAX},
    {"rich-min", 1, "G", "fit the rich side on gamma >= G (default: automatic)", OPT_RICH_MIN},
    {"margin", 1, "D",
     "automatic ranges: decades left out on each side of the crossover"
     " (default 0.5)",
     OPT_MARGIN},
    {"json", 0, NULL, "print JSON lines (keys below)", OPT_JSON},
    {"save", 1, "FILE", "save the fitted rule as a config spec file (calibrated scheduler)",
     OPT_SAVE},
    {"save-from", 1, "WHICH", "rule from eta_opt (default) or eta_max", OPT_FROM},
    {NULL, 0, NULL, NULL, 0}};

typedef struct fit_args {
  const char *db[FIT_MAX_SWEEPS], *hash[FIT_MAX_SWEEPS];
  int ndb, nhash;
  rlz_fit_opts o;
} fit_args;

static int on_opt(void *user, int id, const char *value) {
  fit_args *a = user;
  double v;
  switch (id) {
  case OPT_DB:
  case OPT_HASH:
    if ((id == OPT_DB ? a->ndb : a->nhash) >= FIT_MAX_SWEEPS) {
      rlz_cli_error("fit", "--%s: at most %d", id == OPT_DB ? "db" : "hash", FIT_MAX_SWEEPS);
      return 1;
    }
    if (id == OPT_DB)
      a->db[a->ndb++] = value;
    else
      a->hash[a->nhash++] = value;
    return 0;
  case OPT_CENSORED:
    a->o.include_censored = 1;
    return 0;
  case OPT_JSON:
    a->o.json = 1;
    return 0;
  case OPT_SAVE:
    a->o.save = value;
    return 0;
  case OPT_FROM:
    if (strcmp(value, "opt") && strcmp(value, "max")) {
      rlz_cli_error("fit", "--save-from %s: expected opt or max", value);
      return 1;
    }
    a->o.save_from_max = !strcmp(value, "max");
    return 0;
  case OPT_LAZY_MAX:
  case OPT_RICH_MIN:
  case OPT_MARGIN:
    if (rlz_cli_parse_double(value, &v) != 0 || (id == OPT_MARGIN ? v < 0 || v > 5 : !(v > 0))) {
      rlz_cli_error("fit", "--%s %s: expected %s",
                    id == OPT_MARGIN     ? "margin"
                    : id == OPT_LAZY_MAX ? "lazy-max"
                                         : "rich-min",
                    value, id == OPT_MARGIN ? "a number in [0, 5]" : "a number > 0");
      return 1;
    }
    if (id == OPT_LAZY_MAX)
      a->o.lazy_max = v;
    else if (id == OPT_RICH_MIN)
      a->o.rich_min = v;
    else
      a->o.margin = v;
    return 0;
  default:
    return 1;
  }
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta fit [flags]\n\n"
             "Read a sweep database (or several sweeps of one configuration: other seeds, T,\n"
             "widths; repeat --db / --hash) and report, per gamma, eta_max (largest eta0 at\n"
             "which every seed converged) as an interval of the grid: [eta_max, the next\n"
             "scanned eta0), and eta_opt (eta0 of the lowest seed-mean final loss, held-out\n"
             "when available, refined by a parabola in log eta0 through the best grid point\n"
             "and its neighbours). eta_max at the top of the grid (a lower bound) or with\n"
             "no convergent eta0 (an upper bound), and eta_opt at the top of the grid or the\n"
             "bottom of the scan, are censored: flagged, and left out of the fits unless\n"
             "--include-censored. Then fit log10 eta* = a + slope log10 gamma on each side\n"
             "of the crossover (eta_max at the geometric middle of its interval), next to\n"
             "the theory: 2 (lazy, gamma << 1) and 2/L (ultra-rich, gamma >> 1).\n"
             "The error of a slope is a bootstrap over the seeds (each seed of each sweep\n"
             "one unit; 1000 replicates, deterministic) in which every eta_max is drawn\n"
             "uniformly in log within its grid interval: it covers the grid's resolution\n"
             "and the seed-to-seed scatter (with one seed, the grid's alone; eta_opt needs\n"
             "two seeds). A fit through two points has no error (n/a, null in JSON).\n"
             "Automatic ranges: the best two-segment split of the eta* points, minus\n"
             "--margin decades on each side of the crossing of the two lines.\n\n"
             "--save FILE writes the calibrated rule as a config spec file\n"
             "  rule=custom,lazy_exp=S1,rich_exp=S2,crossover=GC,prefactor=P\n"
             "where GC is where the two fitted lines cross and P the fitted eta* there, so\n"
             "that eta0 * g(gamma) follows the fit when eta0 = 1; load it with\n"
             "`--config FILE --eta0 1` (or a safety fraction) or richeta_config_load().\n\n"
             "Output (stdout): a table and the fits. --json: one object per gamma with keys\n"
             "gamma, eta_max, eta_max_lo (= eta_max), eta_max_hi, eta_max_mid, censored,\n"
             "eta_opt, eta_opt_censored, opt_loss, flags (1 eta_max at the top of the grid,\n"
             "2 none convergent, 4 eta_opt not refined, 8 a convergent eta0 above a\n"
             "divergent one left out: eta* lie below the lowest divergent eta0), resolution (decades); then one per\n"
             "fit with keys quantity (eta_max|eta_opt), regime (lazy|rich), slope, stderr\n"
             "(bootstrap), stderr_ols (least squares), prefactor (eta* = prefactor\n"
             "gamma^slope), n, n_censored (left out), seeds (bootstrap units), replicates,\n"
             "gamma_min, gamma_max, theory. Every object has a key record (eta_star, fit);\n"
             "non-finite numbers are null.\n"
             "Exit status: 0 ok, 1 runtime error (unreadable database, too few points),\n"
             "2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, fit_opts);
}

static void print_fit(int json, const char *quantity, const char *regime, const rlz_star_fit_out *s,
                      double theory, int64_t units) {
  if (json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "fit");
    rlz_json_str(&j, "quantity", quantity);
    rlz_json_str(&j, "regime", regime);
    rlz_json_num(&j, "slope", s->ok ? s->slope : NAN);
    rlz_json_num(&j, "stderr", s->ok ? s->se : NAN);
    rlz_json_num(&j, "stderr_ols", s->ok ? s->se_ols : NAN);
    /* eta* = prefactor gamma^slope: the key and meaning align uses too */
    rlz_json_num(&j, "prefactor", s->ok ? pow(10.0, s->intercept) : NAN);
    rlz_json_int(&j, "n", s->n);
    rlz_json_int(&j, "n_censored", s->n_censored);
    rlz_json_int(&j, "seeds", units);
    rlz_json_int(&j, "replicates", s->reps);
    rlz_json_num(&j, "gamma_min", s->ok ? s->gamma_min : NAN);
    rlz_json_num(&j, "gamma_max", s->ok ? s->gamma_max : NAN);
    rlz_json_num(&j, "theory", theory);
    rlz_json_end(&j);
    return;
  }
  char cens[48] = "";
  if (s->n_censored > 0)
    snprintf(cens, sizeof cens, "  (%lld censored left out)", (long long)s->n_censored);
  if (!s->ok) {
    printf("  %-8s %-5s  too few points (%lld)                    theory %.3f%s\n", quantity,
           regime, (long long)s->n, theory, cens);
    return;
  }
  char err[32];
  if (isfinite(s->se))
    snprintf(err, sizeof err, "%.3f", s->se);
  else
    snprintf(err, sizeof err, "n/a  "); /* two points: no error */
  printf("  %-8s %-5s  gamma %9.3g .. %-9.3g n=%-3lld slope %6.3f +- %s   theory %.3f%s\n",
         quantity, regime, s->gamma_min, s->gamma_max, (long long)s->n, s->slope, err, theory,
         cens);
}

/* A star fit as the side fit save_rule and the crossover take. */
static rlz_side_fit side_of(const rlz_star_fit_out *f) {
  rlz_side_fit s = {0};
  s.ok = f->ok;
  s.n = f->n;
  s.slope = f->slope;
  s.se = f->se;
  s.intercept = f->intercept;
  s.gamma_min = f->gamma_min;
  s.gamma_max = f->gamma_max;
  return s;
}

static int save_rule(const char *cmd, const rlz_fit_opts *o, const rlz_side_fit *lazy,
                     const rlz_side_fit *rich, const char *hash) {
  double gc, ec;
  if (!rlz_fit_crossover(lazy, rich, &gc, &ec)) {
    rlz_cli_error(cmd, "--save: both sides need a fit to place the crossover");
    return RLZ_EXIT_FAIL;
  }
  char text[1024];
  int len = snprintf(
      text, sizeof text,
      "# calibrated gamma rule fitted by richeta fit from %s (sweep %s, %s)\n"
      "# eta0 * g(gamma) equals the fitted eta* when eta0 = 1; use a fraction to be safe.\n"
      "rule=custom,lazy_exp=%.6g,rich_exp=%.6g,crossover=%.6g,prefactor=%.6g\n",
      o->source ? o->source : "?", hash, o->save_from_max ? "eta_max" : "eta_opt", lazy->slope,
      rich->slope, gc, ec);
  if (len < 0 || (size_t)len >= sizeof text) {
    rlz_cli_error(cmd, "--save: the rule does not fit its buffer");
    return RLZ_EXIT_FAIL;
  }
  /* check that the library reads it back before anything is replaced */
  richeta_config *c = NULL;
  if (richeta_config_new(&c, NULL) != RICHETA_OK || richeta_config_parse(c, text) != RICHETA_OK) {
    rlz_cli_error(cmd, "--save: the fitted rule is not a valid configuration: %s",
                  c ? richeta_config_last_error(c) : richeta_last_error());
    richeta_config_free(c);
    return RLZ_EXIT_FAIL;
  }
  richeta_config_free(c);
  if (rlz_write_file_atomic(NULL, o->save, text, (size_t)len) != RICHETA_OK) {
    rlz_cli_error(cmd, "--save %s: %s", o->save, richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  if (!o->json)
    printf("calibrated rule saved to %s (crossover gamma %.3g, eta* there %.3g)\n", o->save, gc,
           ec);
  return RLZ_EXIT_OK;
}

/* The runs of the sweeps with their units: one per (sweep, seed). */
static int pool_runs(const char *cmd, richeta_sweep *const *sws, int64_t nsw, rlz_run **runs,
                     int64_t **units, int64_t *n) {
  int64_t total = 0, count;
  for (int64_t k = 0; k < nsw; k++) {
    rlz_sweep_loaded_runs(sws[k], &count);
    total += count;
  }
  *runs = calloc((size_t)(total ? total : 1), sizeof **runs);
  *units = calloc((size_t)(total ? total : 1), sizeof **units);
  int64_t *key_sweep = calloc((size_t)(total ? total : 1), sizeof *key_sweep);
  int64_t *key_seed = calloc((size_t)(total ? total : 1), sizeof *key_seed);
  if (!*runs || !*units || !key_sweep || !key_seed) {
    free(key_sweep);
    free(key_seed);
    rlz_cli_error(cmd, "out of memory");
    return RLZ_EXIT_FAIL;
  }
  int64_t m = 0, nk = 0;
  for (int64_t k = 0; k < nsw; k++) {
    const rlz_run *loaded = rlz_sweep_loaded_runs(sws[k], &count);
    for (int64_t i = 0; i < count; i++, m++) {
      const rlz_run *r = &loaded[i];
      int64_t u = -1;
      for (int64_t q = nk - 1; q >= 0 && u < 0; q--)
        if (key_sweep[q] == k && key_seed[q] == r->seed)
          u = q;
      if (u < 0) {
        key_sweep[nk] = k;
        key_seed[nk] = r->seed;
        u = nk++;
      }
      (*runs)[m] = *r;
      (*units)[m] = u;
    }
  }
  free(key_sweep);
  free(key_seed);
  *n = m;
  return RLZ_EXIT_OK;
}

int rlz_fit_report_many(const char *cmd, richeta_sweep *const *sws, int64_t nsw,
                        const rlz_fit_opts *o) {
  richeta_sweep *sw = sws[0];
  int64_t L = rlz_config_int(rlz_sweep_base(sw), RICHETA_PARAM_DEPTH);
  for (int64_t k = 1; k < nsw; k++)
    if (rlz_config_int(rlz_sweep_base(sws[k]), RICHETA_PARAM_DEPTH) != L) {
      rlz_cli_error(cmd, "the sweeps have different depths L: they are not one configuration");
      return RLZ_EXIT_USAGE;
    }
  rlz_run *runs = NULL;
  int64_t *units = NULL, nruns = 0;
  int rc = pool_runs(cmd, sws, nsw, &runs, &units, &nruns);
  if (rc != RLZ_EXIT_OK)
    return rc;
  rc = RLZ_EXIT_FAIL;
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_star_set *set = NULL;
  double *g = NULL, *val[2] = {NULL, NULL};
  if (nruns == 0) {
    rlz_cli_error(cmd, "the sweep has no runs");
    goto out;
  }
  if (rlz_star_build(&a, runs, units, nruns, &set) != RICHETA_OK) {
    rlz_cli_error(cmd, "out of memory");
    goto out;
  }
  int64_t ng = rlz_star_count(set), nunits = rlz_star_units(set);
  const rlz_star_point *pt = rlz_star_points(set);
  g = calloc((size_t)ng, sizeof *g);
  val[0] = calloc((size_t)ng, sizeof *val[0]);
  val[1] = calloc((size_t)ng, sizeof *val[1]);
  if (!g || !val[0] || !val[1]) {
    rlz_cli_error(cmd, "out of memory");
    goto out;
  }
  double res = 0;
  richeta_sweep_eta_resolution(sw, &res);
  char hash[17];
  richeta_sweep_hash(sw, hash, sizeof hash);
  if (!o->json) {
    if (nsw > 1)
      printf("%lld sweeps pooled (first %s): L=%lld, %lld gammas, %lld runs, %lld seeds\n",
             (long long)nsw, hash, (long long)L, (long long)ng, (long long)nruns,
             (long long)nunits);
    else
      printf("sweep %s: L=%lld, %lld gammas, %lld runs, %lld seeds, eta0 grid resolution %.3g "
             "decades\n",
             hash, (long long)L, (long long)ng, (long long)nruns, (long long)nunits, res);
    printf("  %10s %12s %25s %12s %12s  %s\n", "gamma", "eta_max", "eta_max interval", "eta_opt",
           "opt_loss", "note");
  }
  for (int64_t i = 0; i < ng; i++) {
    const rlz_star_point *p = &pt[i];
    g[i] = p->gamma;
    bool use_cens = o->include_censored;
    val[0][i] = p->censored && !use_cens ? NAN : rlz_star_value(p, RLZ_STAR_MAX);
    val[1][i] = p->opt_censored && !use_cens ? NAN : p->opt;
    if (o->json) {
      rlz_json j;
      rlz_json_begin(&j, stdout, "eta_star");
      rlz_json_num(&j, "gamma", p->gamma);
      rlz_json_num(&j, "eta_max", p->lo);
      rlz_json_num(&j, "eta_max_lo", p->lo);
      rlz_json_num(&j, "eta_max_hi", p->hi);
      rlz_json_num(&j, "eta_max_mid", p->mid);
      rlz_json_bool(&j, "censored", p->censored);
      rlz_json_num(&j, "eta_opt", p->opt);
      rlz_json_bool(&j, "eta_opt_censored", p->opt_censored);
      rlz_json_num(&j, "opt_loss", p->opt_loss);
      rlz_json_int(&j, "flags", p->flags);
      rlz_json_num(&j, "resolution", res);
      rlz_json_end(&j);
    } else {
      char iv[64];
      if (p->flags & RICHETA_ETA_STAR_NONE)
        snprintf(iv, sizeof iv, "< %.4g", p->hi);
      else if (p->flags & RICHETA_ETA_STAR_MAX_AT_TOP)
        snprintf(iv, sizeof iv, ">= %.4g", p->lo);
      else
        snprintf(iv, sizeof iv, "[%.4g, %.4g)", p->lo, p->hi);
      printf("  %10.4g %12.4g %25s %12.4g %12.4g  %s%s%s%s\n", p->gamma, p->lo, iv, p->opt,
             p->opt_loss,
             p->flags & RICHETA_ETA_STAR_ABOVE_DIVERGENT
                 ? "convergent eta0 above a divergent one left out "
                 : "",
             p->flags & RICHETA_ETA_STAR_NONE ? "no convergent eta0 (censored) " : "",
             p->flags & RICHETA_ETA_STAR_MAX_AT_TOP ? "eta_max at grid top (censored) " : "",
             p->opt_censored ? "eta_opt at the grid's edge (censored)"
             : (p->flags & RICHETA_ETA_STAR_OPT_AT_EDGE) && !(p->flags & RICHETA_ETA_STAR_NONE)
                 ? "eta_opt not refined"
                 : "");
    }
  }
  rlz_star_fit_out fits[2][2]; /* [max/opt][lazy/rich] */
  double theory[2] = {2.0, 2.0 / (double)L};
  const char *qn[2] = {"eta_max", "eta_opt"}, *rn[2] = {"lazy", "rich"};
  if (!o->json)
    printf("fits of log10 eta* = a + slope * log10 gamma (eta_max at the middle of its interval;"
           " errors: bootstrap over %lld seeds and the grid):\n",
           (long long)nunits);
  for (int q = 0; q < 2; q++) {
    rlz_side_fit side[2];
    rlz_fit_regimes(&a, g, val[q], ng, o->lazy_max, o->rich_min, o->margin, &side[0], &side[1]);
    for (int r = 0; r < 2; r++) {
      /* the range the automatic split chose, refitted with its errors */
      double lo = r == 0 ? 0 : side[1].ok ? side[1].gamma_min : INFINITY;
      double hi = r == 0 ? (side[0].ok ? side[0].gamma_max : 0) : INFINITY;
      if (!side[r].ok) { /* too few points: report the count on the requested side */
        lo = r == 0 ? 0 : isnan(o->rich_min) ? 1 : o->rich_min;
        hi = r == 0 ? (isnan(o->lazy_max) ? 1 : o->lazy_max) : INFINITY;
      }
      if (rlz_star_fit(set, q, lo, hi, o->include_censored, 1000, 17, &fits[q][r]) != RICHETA_OK) {
        rlz_cli_error(cmd, "out of memory");
        goto out;
      }
      print_fit(o->json, qn[q], rn[r], &fits[q][r], theory[r], nunits);
    }
  }
  rc = RLZ_EXIT_OK;
  if (o->save) {
    int q = o->save_from_max ? 0 : 1;
    rlz_side_fit lz = side_of(&fits[q][0]), rh = side_of(&fits[q][1]);
    rc = save_rule(cmd, o, &lz, &rh, hash);
  }
out:
  rlz_star_free(set);
  free(runs);
  free(units);
  free(g);
  free(val[0]);
  free(val[1]);
  return rc;
}

int rlz_fit_report(const char *cmd, richeta_sweep *sw, const rlz_fit_opts *o) {
  return rlz_fit_report_many(cmd, &sw, 1, o);
}

int rlz_cmd_fit(int argc, char **argv) {
  fit_args a = {.o = {.lazy_max = NAN, .rich_min = NAN, .margin = 0.5}};
  rlz_cli_parser p = {"fit", fit_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  if (a.ndb == 0)
    a.db[a.ndb++] = "sweep.db";
  int n = a.ndb > a.nhash ? a.ndb : a.nhash;
  if (a.nhash > 1 && a.ndb > 1 && a.nhash != a.ndb) {
    rlz_cli_error("fit", "%d --db and %d --hash: give one --hash, or one per --db", a.ndb, a.nhash);
    return RLZ_EXIT_USAGE;
  }
  richeta_sweep *sws[FIT_MAX_SWEEPS] = {NULL};
  int rc = RLZ_EXIT_OK;
  for (int k = 0; k < n && rc == RLZ_EXIT_OK; k++) {
    const char *db = a.db[a.ndb > 1 ? k : 0];
    const char *h = a.nhash == 0 ? NULL : a.hash[a.nhash > 1 ? k : 0];
    if (richeta_sweep_open(&sws[k], db, h, NULL) != RICHETA_OK) {
      rlz_cli_error("fit", "%s", richeta_last_error());
      rc = RLZ_EXIT_FAIL;
    }
  }
  a.o.source = a.db[0];
  if (rc == RLZ_EXIT_OK)
    rc = rlz_fit_report_many("fit", sws, n, &a.o);
  for (int k = 0; k < n; k++)
    richeta_sweep_free(sws[k]);
  return rc;
}
