/* richeta sweep: a gamma x eta0 x seed sweep into a SQLite store, then the
 * eta* report, the fits and (optionally) the plots. */
#include "cli_data.h"
#include "cli_util.h"
#include "commands.h"
#include "shard.h"
#include "sweep_cli.h"
#include "sweep_spec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
  OPT_WORKERS = 1,
  OPT_KEEP_BLAS,
  OPT_JSON,
  OPT_NO_REPORT,
  OPT_PLOT,
  OPT_LAZY_MAX,
  OPT_RICH_MIN,
  OPT_SAVE_RULE,
  OPT_SHARD,
};

static const rlz_cli_opt sweep_only_opts[] = {
    {"shard", 1, "K/N",
     "run only shard K of N (0 <= K < N) into --db; 'auto': the Slurm array task"
     " (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT)",
     OPT_SHARD},
    {"workers", 1, "K",
     "worker threads (default 0 = one per core); at most the BLAS's thread limit train at once "
     "(blas_max_threads in richeta version), the others wait",
     OPT_WORKERS},
    {"keep-blas-threads", 0, NULL, "do not set BLAS to one thread during the sweep", OPT_KEEP_BLAS},
    {"json", 0, NULL, "JSON lines: one per run, then the eta* and fit lines of `richeta fit`",
     OPT_JSON},
    {"no-report", 0, NULL, "do not print eta* and the fits after the sweep", OPT_NO_REPORT},
    {"plot", 1, "PREFIX", "also write PREFIX-heatmap.{png,svg} and PREFIX-curves.{png,svg}",
     OPT_PLOT},
    {"lazy-max", 1, "G", "fit the lazy side on gamma <= G (default: automatic)", OPT_LAZY_MAX},
    {"rich-min", 1, "G", "fit the rich side on gamma >= G (default: automatic)", OPT_RICH_MIN},
    {"save-rule", 1, "FILE", "save the calibrated rule (from eta_opt) as a config spec file",
     OPT_SAVE_RULE},
    {NULL, 0, NULL, NULL, 0}};

/* the shared sweep flags, then ours (filled by rlz_cmd_sweep) */
static rlz_cli_opt sweep_opts[32];

typedef struct sweep_args {
  rlz_sweep_spec spec;
  const char *plot, *save_rule;
  double workers;
  int keep_blas, json, no_report;
  int64_t shard_k, shard_n;
  double lazy_max, rich_min;
} sweep_args;

static int positive_number(const char *flag, const char *value, double *out) {
  if (rlz_cli_parse_double(value, out) != 0 || !(*out > 0)) {
    rlz_cli_error("sweep", "--%s %s: expected a number > 0", flag, value);
    return 1;
  }
  return 0;
}

static int on_opt(void *user, int id, const char *value) {
  sweep_args *a = user;
  if (id >= RLZ_SPEC_OPT_BASE)
    return rlz_sweep_spec_opt(&a->spec, "sweep", id, value);
  switch (id) {
  case OPT_PLOT:
    a->plot = value;
    break;
  case OPT_SAVE_RULE:
    a->save_rule = value;
    break;
  case OPT_KEEP_BLAS:
    a->keep_blas = 1;
    break;
  case OPT_JSON:
    a->json = 1;
    break;
  case OPT_NO_REPORT:
    a->no_report = 1;
    break;
  case OPT_SHARD:
    return rlz_parse_shard("sweep", value, &a->shard_k, &a->shard_n);
  case OPT_WORKERS:
    if (rlz_cli_parse_double(value, &a->workers) != 0 || a->workers < 0 || a->workers > 1024 ||
        a->workers != floor(a->workers)) {
      rlz_cli_error("sweep", "--workers %s: expected an integer in [0, 1024]", value);
      return 1;
    }
    break;
  case OPT_LAZY_MAX:
    return positive_number("lazy-max", value, &a->lazy_max);
  case OPT_RICH_MIN:
    return positive_number("rich-min", value, &a->rich_min);
  default:
    return 1;
  }
  return 0;
}

static void help(FILE *f) {
  fprintf(f,
          "usage: richeta sweep [flags]\n\n"
          "Train one network per cell of a gamma x eta0 x seed grid, all from one\n"
          "configuration (the flags below; gamma, eta0 and seed are swept), store every\n"
          "run in a SQLite database, then print eta* per gamma and the power-law fits of\n"
          "eta_max and eta_opt against gamma on each side of the crossover, next to the\n"
          "theory (2 and 2/L).\n\n"
          "The rate on the eta0 axis is the base rate: the optimizer multiplies it by N\n"
          "(mean-field) and the default rule=none applies no gamma factor, the paper's axis.\n"
          "adaptive mode: for each gamma, eta0 is scanned downward from the top of its grid;\n"
          "a run whose loss turns NaN/Inf or exceeds blowup x its initial loss stops and is\n"
          "recorded as diverged; the scan goes --decades-below decades below the first eta0\n"
          "at which no seed diverged. eta_max is the largest eta0 at which every seed\n"
          "converged. A run that finishes without diverging but whose final loss (held-out\n"
          "when there is a held-out set, as by default) is above --stall R x its initial\n"
          "loss (default R = 0.9; under centering the initial loss is that of the zero\n"
          "predictor) is 'stalled', not converged: dead units, a plateau not escaped\n"
          "within T. --stall 0 counts every such run as converged (the 1.0 protocol).\n"
          "--blowup inf (a configuration key) makes only NaN/Inf losses divergent, the\n"
          "paper's rule; the default 1000 also stops runs whose loss grows 1000-fold.\n"
          "The sweep is resumable: run the same command again after an interruption (even\n"
          "kill -9) and it skips the stored runs. Results do not depend on --workers.\n"
          "File tasks: --task file --data SPEC fills in D, C and, for --arch cnn, the image\n"
          "shape from the data set, as `richeta train` does (see its --help).\n"
          "An existing --db that is not a sweep database (another program's SQLite file, a\n"
          "newer schema version, a damaged or truncated store, a FIFO...) is refused and left\n"
          "as it is. What survives a crash or a power loss: docs/store.md.\n"
          "--shard K/N runs a deterministic part of the sweep (adaptive: the gamma columns\n"
          "i with i mod N = K; dense: the cells (i, j) of gamma i and eta0 j with\n"
          "(i + j) mod N = K), e.g. one per Slurm array task into its own --db; combine the\n"
          "stores with `richeta merge`, see what is missing with `richeta status`. A shard\n"
          "prints no eta* report (fit the merged store) and takes no --plot or --save-rule.\n\n"
          "Output (stdout): the report of `richeta fit` (see richeta fit --help).\n"
          "  --json: first one object per run with keys gamma, eta0, seed, status\n"
          "    (converged|diverged|stalled|failed), final_loss, cached (true when found stored),\n"
          "    then the JSON lines of `richeta fit --json`.\n"
          "Progress goes to stderr when it is a terminal.\n"
          "Exit status: 0 done, 1 runtime error, 2 usage error.\n\n"
          "command flags:\n");
  rlz_cli_print_options(f, sweep_opts);
  fputc('\n', f);
  rlz_cli_print_config_help(f);
  fprintf(f, "\nexample (a deep linear network on the default linear teacher, D=16, N=64,\n"
             "L=3, B=32, T=400; about 10 s of CPU):\n"
             "  richeta sweep --db teacher.db --act identity --lazy-max 3.162e-3 --rich-min 31.62"
             " --plot teacher\n");
}

typedef struct progress_ctx {
  rlz_progress pr;
  int json;
} progress_ctx;

static const char *status_name(int status) {
  switch (status) {
  case RICHETA_SWEEP_RUN_CONVERGED:
    return "converged";
  case RICHETA_SWEEP_RUN_DIVERGED:
    return "diverged";
  case RICHETA_SWEEP_RUN_STALLED:
    return "stalled";
  default:
    return "failed";
  }
}

static int on_run(void *user, double gamma, double eta0, int64_t seed, int status,
                  double final_loss, int cached, int64_t finished) {
  progress_ctx *p = user;
  if (p->json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "run");
    rlz_json_num(&j, "gamma", gamma);
    rlz_json_num(&j, "eta0", eta0);
    rlz_json_int(&j, "seed", seed);
    rlz_json_str(&j, "status", status_name(status));
    /* a diverged run has no final loss: null (docs/output.md) */
    rlz_json_num(&j, "final_loss", status == RICHETA_SWEEP_RUN_DIVERGED ? NAN : final_loss);
    rlz_json_bool(&j, "cached", cached);
    rlz_json_end(&j);
  }
  if (finished > p->pr.total)
    p->pr.total = finished;
  rlz_cli_progress(&p->pr, finished);
  return 0;
}

int rlz_cmd_sweep(int argc, char **argv) {
  sweep_args a = {.shard_n = 1, .lazy_max = NAN, .rich_min = NAN};
  rlz_sweep_spec_init(&a.spec);
  if (rlz_cli_join_opts(sweep_opts, sizeof sweep_opts / sizeof sweep_opts[0], rlz_sweep_spec_opts,
                        sweep_only_opts) != 0) {
    rlz_cli_error("sweep", "internal: option table too small");
    return RLZ_EXIT_FAIL;
  }
  richeta_config *cfg = NULL;
  richeta_sweep *sw = NULL;
  int rc = RLZ_EXIT_FAIL;
  if (richeta_config_new(&cfg, NULL) != RICHETA_OK) {
    rlz_cli_error("sweep", "%s", richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  rlz_cli_parser p = {"sweep", sweep_opts, on_opt, &a, cfg, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    richeta_config_free(cfg);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK) {
    richeta_config_free(cfg);
    return RLZ_EXIT_USAGE;
  }
  int fill = rlz_cli_fill_data_shape(&p, argc, argv);
  if (fill != RLZ_EXIT_OK) {
    richeta_config_free(cfg);
    return fill;
  }
  int sharded = a.shard_n > 1;
  if (sharded && (a.plot || a.save_rule)) {
    rlz_cli_error("sweep", "--%s needs the whole sweep: run it on the merged store",
                  a.plot ? "plot" : "save-rule");
    richeta_config_free(cfg);
    return RLZ_EXIT_USAGE;
  }
  int64_t nseeds = 1;
  rc = rlz_sweep_spec_build("sweep", &a.spec, cfg, &sw, &nseeds);
  if (rc != RLZ_EXIT_OK)
    goto out;
  if (richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, a.workers) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_BLAS_SINGLE, a.keep_blas ? 0 : 1) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_COUNT, (double)a.shard_n) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_SHARD_INDEX, (double)a.shard_k)) {
    rlz_cli_error("sweep", "%s", richeta_sweep_last_error(sw));
    rc = RLZ_EXIT_USAGE;
    goto out;
  }
  rc = RLZ_EXIT_FAIL;
  int64_t ng = 0, ne = 0;
  richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, NULL, 0, &ng);
  richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_ETA0, NULL, 0, &ne);
  progress_ctx pc = {.json = a.json};
  /* adaptive sweeps run an unknown share of the grid: the bar's total grows */
  rlz_progress_init(&pc.pr, "sweep",
                    (a.spec.mode == RICHETA_SWEEP_DENSE ? ng * ne * nseeds : ng * nseeds * 20) /
                        a.shard_n);
  richeta_sweep_callbacks cb = {sizeof cb, on_run, &pc};
  richeta_status st = richeta_sweep_run(sw, a.spec.db, &cb);
  rlz_progress_end(&pc.pr);
  if (st != RICHETA_OK) {
    rlz_cli_error("sweep", "%s (%s)%s", richeta_sweep_last_error(sw), richeta_status_string(st),
                  rlz_cli_nomem_hint(st));
    goto out;
  }
  rc = RLZ_EXIT_OK;
  if (!sharded && (!a.no_report || a.save_rule)) {
    rlz_fit_opts fo = {.lazy_max = a.lazy_max,
                       .rich_min = a.rich_min,
                       .margin = 0.5,
                       .json = a.json,
                       .save = a.save_rule,
                       .source = a.spec.db};
    rc = rlz_fit_report("sweep", sw, &fo);
  }
  if (rc == RLZ_EXIT_OK && a.plot)
    rc = rlz_plot_sweep("sweep", "--plot", sw, a.spec.db, a.plot, a.lazy_max, a.rich_min);
out:
  richeta_sweep_free(sw);
  richeta_config_free(cfg);
  return rc;
}
