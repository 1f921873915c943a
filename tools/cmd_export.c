/* richeta export: the runs (or their loss curves) of a sweep database as
 * CSV or JSON lines. */
#include "cli_store.h"
#include "cli_util.h"
#include "commands.h"
#include "sweep/sweep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_DB = 1, OPT_HASH, OPT_FORMAT, OPT_OUT, OPT_CURVES, OPT_JSON };

static const rlz_cli_opt export_opts[] = {
    {"db", 1, "FILE", "sweep database (default sweep.db)", OPT_DB},
    {"hash", 1, "H", "only the sweep with this configuration hash (default: all)", OPT_HASH},
    {"format", 1, "FMT", "csv (default) or jsonl", OPT_FORMAT},
    {"json", 0, NULL, "same as --format jsonl", OPT_JSON},
    {"out", 1, "FILE", "write to FILE instead of stdout (replaced atomically: all or nothing)",
     OPT_OUT},
    {"curves", 0, NULL, "export the loss curves (one row per logged step) instead of runs",
     OPT_CURVES},
    {NULL, 0, NULL, NULL, 0}};

typedef struct export_args {
  const char *db, *hash, *out;
  int json, curves;
} export_args;

static int on_opt(void *user, int id, const char *value) {
  export_args *a = user;
  switch (id) {
  case OPT_DB:
    a->db = value;
    return 0;
  case OPT_HASH:
    a->hash = value;
    return 0;
  case OPT_OUT:
    a->out = value;
    return 0;
  case OPT_CURVES:
    a->curves = 1;
    return 0;
  case OPT_JSON:
    a->json = 1;
    return 0;
  case OPT_FORMAT:
    if (!strcmp(value, "csv"))
      a->json = 0;
    else if (!strcmp(value, "jsonl") || !strcmp(value, "json"))
      a->json = 1;
    else {
      rlz_cli_error("export", "--format %s: expected csv or jsonl", value);
      return 1;
    }
    return 0;
  default:
    return 1;
  }
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta export [flags]\n\n"
             "Write the runs of a sweep database as CSV (header line, then one row per run)\n"
             "or JSON lines (one object per run). Columns / keys:\n"
             "  config_hash, gamma, eta0, seed, eta (scheduler rate at step 0), status\n"
             "  (converged|diverged|stalled|failed), steps, initial_loss, final_loss, best_loss\n"
             "  (training batch), test_initial_loss, test_final_loss, test_best_loss\n"
             "  (held-out; empty/null without a held-out set), test_accuracy (final\n"
             "  held-out accuracy; empty/null unless C >= 2), wall_time (s), message,\n"
             "  config (the run's full spec string), catapult (the peak of an early\n"
             "  catapult over the step-0 loss, empty/null when the run had none: the loss\n"
             "  rose at least 2x within the first 100 steps, then fell below its start;\n"
             "  the message says at which step).\n"
             "--curves: one row per logged step instead, with config_hash, gamma, eta0,\n"
             "  seed, status, step, train_loss, test_loss, test_accuracy, eta.\n"
             "Non-finite numbers: CSV nan/inf, JSON null. Rows ordered by hash, gamma,\n"
             "eta0, seed (and step).\n"
             "Every exported run is first checked against its checksum (docs/store.md): a\n"
             "damaged, truncated, foreign or newer-version database is refused (exit 1)\n"
             "and nothing is written; `richeta check --db FILE` tells what is wrong.\n"
             "Exit status: 0 ok, 1 runtime error, 2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, export_opts);
}

static void csv_text(FILE *f, const char *s) {
  if (!s)
    return;
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

typedef struct export_sink {
  FILE *out;
  int json, curves;
} export_sink;

/* One row (or the CSV header) of the export. */
static void write_row(void *user, const rlz_store_cell *cells, int n, int header) {
  export_sink *k = user;
  FILE *out = k->out;
  if (header) {
    if (!k->json) {
      for (int c = 0; c < n; c++)
        fprintf(out, "%s%s", c ? "," : "", cells[c].name);
      fputc('\n', out);
    }
    return;
  }
  rlz_json j;
  if (k->json)
    rlz_json_begin(&j, out, k->curves ? "point" : "run");
  for (int c = 0; c < n; c++) {
    const rlz_store_cell *x = &cells[c];
    if (!k->json && c)
      fputc(',', out);
    if (x->type == RLZ_CELL_INT) {
      if (k->json)
        rlz_json_int(&j, x->name, x->i);
      else
        fprintf(out, "%lld", (long long)x->i);
    } else if (x->type == RLZ_CELL_REAL) {
      if (k->json)
        rlz_json_num(&j, x->name, x->d);
      else
        rlz_csv_number(out, x->d);
    } else if (x->type == RLZ_CELL_TEXT) {
      if (k->json)
        rlz_json_str(&j, x->name, x->s);
      else
        csv_text(out, x->s);
    } else if (k->json) {
      rlz_json_null(&j, x->name);
    }
  }
  if (k->json)
    rlz_json_end(&j);
  else
    fputc('\n', out);
}

int rlz_cmd_export(int argc, char **argv) {
  export_args a = {.db = "sweep.db"};
  rlz_cli_parser p = {"export", export_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  /* The values come from the table rows, the ones whose checksums
   * rlz_cli_store_open verified, in the same snapshot. */
  rlz_store *store = NULL;
  rlz_cli_out file = {0};
  export_sink sink = {stdout, a.json, a.curves};
  rlz_err e = {{0}};
  int rc = RLZ_EXIT_FAIL;
  if (!rlz_cli_store_open("export", a.db, a.hash, &store))
    goto done;
  /* --out is written atomically: a failed export leaves no partial file */
  if (a.out) {
    if (rlz_cli_out_begin("export", a.out, &file) != 0)
      goto done;
    sink.out = file.f;
  }
  if (rlz_store_export(store, a.hash, a.curves, write_row, &sink, &e) != RICHETA_OK) {
    rlz_cli_error("export", "%s: %s", a.db, e.msg);
    goto done;
  }
  if (a.out) {
    if (rlz_cli_out_commit("export", &file) != 0)
      goto done;
  } else if (fflush(stdout) != 0) {
    rlz_cli_error("export", "writing the output failed");
    goto done;
  }
  rc = RLZ_EXIT_OK;
done:
  rlz_cli_out_abort(&file);
  rlz_cli_store_close(store);
  return rc;
}
