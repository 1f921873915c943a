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

enum { OPT_DB = 1, OPT_HASH, OPT_LAZY_MAX, OPT_RICH_MIN, OPT_MARGIN, OPT_JSON, OPT_SAVE, OPT_FROM };

static const rlz_cli_opt fit_opts[] = {
    {"db", 1, "FILE", "sweep database (default sweep.db)", OPT_DB},
    {"hash", 1, "H", "which sweep of the database (needed when it holds several)", OPT_HASH},
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
  const char *db, *hash;
  rlz_fit_opts o;
} fit_args;

static int on_opt(void *user, int id, const char *value) {
  fit_args *a = user;
  double v;
  switch (id) {
  case OPT_DB:
    a->db = value;
    return 0;
  case OPT_HASH:
    a->hash = value;
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
             "Read a sweep database and report, per gamma, eta_max (largest eta0 at which\n"
             "every seed converged) and eta_opt (eta0 of the lowest seed-mean final loss,\n"
             "held-out when available, refined by a parabola in log eta0 through the best\n"
             "grid point and its neighbours). Then fit log10 eta* = a + slope log10 gamma\n"
             "on each side of the crossover, with the standard error of the slope, next to\n"
             "the theory: 2 (lazy, gamma << 1) and 2/L (ultra-rich, gamma >> 1).\n"
             "Automatic ranges: the best two-segment split of the eta* points, minus\n"
             "--margin decades on each side of the crossing of the two lines.\n\n"
             "--save FILE writes the calibrated rule as a config spec file\n"
             "  rule=custom,lazy_exp=S1,rich_exp=S2,crossover=GC,prefactor=P\n"
             "where GC is where the two fitted lines cross and P the fitted eta* there, so\n"
             "that eta0 * g(gamma) follows the fit when eta0 = 1; load it with\n"
             "`--config FILE --eta0 1` (or a safety fraction) or richeta_config_load().\n\n"
             "Output (stdout): a table and the fits. --json: one object per gamma with keys\n"
             "gamma, eta_max, eta_opt, opt_loss, flags (1 eta_max at the top of the grid,\n"
             "2 none convergent, 4 eta_opt not refined), resolution (decades); then one per\n"
             "fit with keys quantity (eta_max|eta_opt), regime (lazy|rich), slope, stderr,\n"
             "intercept, n, gamma_min, gamma_max, theory. Non-finite numbers are null.\n"
             "Exit status: 0 ok, 1 runtime error (unreadable database, too few points),\n"
             "2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, fit_opts);
}

static void print_fit(int json, const char *quantity, const char *regime, const rlz_side_fit *s,
                      double theory) {
  if (json) {
    rlz_json j;
    rlz_json_begin(&j, stdout);
    rlz_json_str(&j, "quantity", quantity);
    rlz_json_str(&j, "regime", regime);
    rlz_json_num(&j, "slope", s->ok ? s->slope : NAN);
    rlz_json_num(&j, "stderr", s->ok ? s->se : NAN);
    rlz_json_num(&j, "intercept", s->ok ? s->intercept : NAN);
    rlz_json_int(&j, "n", s->n);
    rlz_json_num(&j, "gamma_min", s->ok ? s->gamma_min : NAN);
    rlz_json_num(&j, "gamma_max", s->ok ? s->gamma_max : NAN);
    rlz_json_num(&j, "theory", theory);
    rlz_json_end(&j);
    return;
  }
  if (!s->ok) {
    printf("  %-8s %-5s  too few points (%lld)                    theory %.3f\n", quantity, regime,
           (long long)s->n, theory);
    return;
  }
  printf("  %-8s %-5s  gamma %9.3g .. %-9.3g n=%-3lld slope %6.3f +- %.3f   theory %.3f\n",
         quantity, regime, s->gamma_min, s->gamma_max, (long long)s->n, s->slope, s->se, theory);
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

int rlz_fit_report(const char *cmd, richeta_sweep *sw, const rlz_fit_opts *o) {
  int64_t ng = 0;
  if (richeta_sweep_eta_star(sw, NULL, NULL, NULL, NULL, NULL, 0, &ng) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s", richeta_sweep_last_error(sw));
    return RLZ_EXIT_FAIL;
  }
  if (ng == 0) {
    rlz_cli_error(cmd, "the sweep has no runs");
    return RLZ_EXIT_FAIL;
  }
  size_t n = (size_t)ng;
  double *g = calloc(n, sizeof *g), *em = calloc(n, sizeof *em), *eo = calloc(n, sizeof *eo),
         *ol = calloc(n, sizeof *ol);
  int32_t *fl = calloc(n, sizeof *fl);
  int rc = RLZ_EXIT_FAIL;
  if (!g || !em || !eo || !ol || !fl) {
    rlz_cli_error(cmd, "out of memory");
    goto out;
  }
  if (richeta_sweep_eta_star(sw, g, em, eo, ol, fl, ng, &ng) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s", richeta_sweep_last_error(sw));
    goto out;
  }
  int64_t L = rlz_config_int(sw->base, RICHETA_PARAM_DEPTH), nruns = 0;
  double res = 0;
  richeta_sweep_eta_resolution(sw, &res);
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &nruns);
  char hash[17];
  richeta_sweep_hash(sw, hash, sizeof hash);
  if (!o->json) {
    printf("sweep %s: L=%lld, %lld gammas, %lld runs, eta0 grid resolution %.3g decades\n", hash,
           (long long)L, (long long)ng, (long long)nruns, res);
    printf("  %10s %12s %12s %12s  %s\n", "gamma", "eta_max", "eta_opt", "opt_loss", "note");
  }
  for (int64_t i = 0; i < ng; i++) {
    if (o->json) {
      rlz_json j;
      rlz_json_begin(&j, stdout);
      rlz_json_num(&j, "gamma", g[i]);
      rlz_json_num(&j, "eta_max", em[i]);
      rlz_json_num(&j, "eta_opt", eo[i]);
      rlz_json_num(&j, "opt_loss", ol[i]);
      rlz_json_int(&j, "flags", fl[i]);
      rlz_json_num(&j, "resolution", res);
      rlz_json_end(&j);
    } else {
      printf("  %10.4g %12.4g %12.4g %12.4g  %s%s%s\n", g[i], em[i], eo[i], ol[i],
             fl[i] & RICHETA_ETA_STAR_NONE ? "no convergent eta0 " : "",
             fl[i] & RICHETA_ETA_STAR_MAX_AT_TOP ? "eta_max at grid top (lower bound) " : "",
             (fl[i] & RICHETA_ETA_STAR_OPT_AT_EDGE) && !(fl[i] & RICHETA_ETA_STAR_NONE)
                 ? "eta_opt not refined"
                 : "");
    }
  }
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_side_fit fits[2][2]; /* [max/opt][lazy/rich] */
  double theory[2] = {2.0, 2.0 / (double)L};
  const char *qn[2] = {"eta_max", "eta_opt"}, *rn[2] = {"lazy", "rich"};
  if (!o->json)
    printf("fits of log10 eta* = a + slope * log10 gamma:\n");
  for (int q = 0; q < 2; q++) {
    rlz_fit_regimes(&a, g, q == 0 ? em : eo, ng, o->lazy_max, o->rich_min, o->margin, &fits[q][0],
                    &fits[q][1]);
    for (int r = 0; r < 2; r++)
      print_fit(o->json, qn[q], rn[r], &fits[q][r], theory[r]);
  }
  rc = RLZ_EXIT_OK;
  if (o->save) {
    int q = o->save_from_max ? 0 : 1;
    rc = save_rule(cmd, o, &fits[q][0], &fits[q][1], hash);
  }
out:
  free(g);
  free(em);
  free(eo);
  free(ol);
  free(fl);
  return rc;
}

int rlz_cmd_fit(int argc, char **argv) {
  fit_args a = {.db = "sweep.db", .o = {.lazy_max = NAN, .rich_min = NAN, .margin = 0.5}};
  rlz_cli_parser p = {"fit", fit_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  richeta_sweep *sw = NULL;
  if (richeta_sweep_open(&sw, a.db, a.hash, NULL) != RICHETA_OK) {
    rlz_cli_error("fit", "%s", richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  a.o.source = a.db;
  int rc = rlz_fit_report("fit", sw, &a.o);
  richeta_sweep_free(sw);
  return rc;
}
