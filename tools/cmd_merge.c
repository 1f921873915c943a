/* richeta merge: combine sweep databases (the shards of a sweep, or any
 * stores) into one, refusing conflicting results. */
#include "cli_util.h"
#include "commands.h"

#include <stdlib.h>

#include <string.h>

enum { OPT_JSON = 1, OPT_JOURNAL };

static const rlz_cli_opt merge_opts[] = {
    {"json", 0, NULL, "print one JSON line (keys below) instead of a sentence", OPT_JSON},
    {"journal", 1, "MODE", "journal of OUT.db: wal (default) or delete (OUT.db on NFS)",
     OPT_JOURNAL},
    {NULL, 0, NULL, NULL, 0}};

typedef struct merge_args {
  int json, journal;
} merge_args;

static int on_opt(void *user, int id, const char *value) {
  merge_args *a = user;
  if (id == OPT_JSON) {
    a->json = 1;
    return 0;
  }
  if (id == OPT_JOURNAL && !strcmp(value, "wal"))
    a->journal = RICHETA_SWEEP_JOURNAL_WAL;
  else if (id == OPT_JOURNAL && !strcmp(value, "delete"))
    a->journal = RICHETA_SWEEP_JOURNAL_DELETE;
  else {
    rlz_cli_error("merge", "--journal %s: expected wal or delete", value ? value : "");
    return 1;
  }
  return 0;
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta merge [flags] OUT.db IN.db...\n\n"
             "Copy the runs (with their curves), sweeps and plans of every IN.db into OUT.db\n"
             "(created if needed). Runs are keyed by (configuration hash, gamma, eta0, seed):\n"
             "a run present in OUT.db or in several inputs with the same results (every column\n"
             "but the wall time, and its curve) is kept once; the same key with different\n"
             "results is an error that names both files and the run, and nothing is merged.\n"
             "Merging the same inputs again changes nothing. Inputs are opened read-only.\n"
             "Typical use: the stores of `richeta sweep --shard K/N`, one per Slurm array task.\n\n"
             "Output (stdout): one line with the runs added and found identical.\n"
             "  --json: {\"out\", \"inputs\", \"runs_added\", \"runs_identical\"}.\n"
             "Exit status: 0 merged, 1 conflict or database error (OUT.db unchanged),\n"
             "2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, merge_opts);
}

int rlz_cmd_merge(int argc, char **argv) {
  merge_args a = {0, RICHETA_SWEEP_JOURNAL_WAL};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  if (!pos) {
    rlz_cli_error("merge", "out of memory");
    return RLZ_EXIT_FAIL;
  }
  rlz_cli_parser p = {"merge", merge_opts, on_opt, &a, NULL, argc};
  int npos = 0;
  int pr = rlz_cli_parse(&p, argc, argv, pos, &npos);
  int rc = RLZ_EXIT_USAGE;
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    rc = RLZ_EXIT_OK;
  } else if (pr == RLZ_CLI_OK && npos < 2) {
    rlz_cli_error("merge", "expected OUT.db and at least one IN.db (try --help)");
  } else if (pr == RLZ_CLI_OK) {
    int64_t added = 0, same = 0;
    richeta_status st = richeta_sweep_merge(pos[0], (const char *const *)(pos + 1), npos - 1,
                                            a.journal, &added, &same);
    if (st != RICHETA_OK) {
      rlz_cli_error("merge", "%s", richeta_last_error());
      rc = st == RICHETA_ERR_INVALID ? RLZ_EXIT_USAGE : RLZ_EXIT_FAIL;
    } else if (a.json) {
      rlz_json j;
      rlz_json_begin(&j, stdout, "merge");
      rlz_json_str(&j, "out", pos[0]);
      rlz_json_int(&j, "inputs", npos - 1);
      rlz_json_int(&j, "runs_added", added);
      rlz_json_int(&j, "runs_identical", same);
      rlz_json_end(&j);
      rc = RLZ_EXIT_OK;
    } else {
      printf("merged %d store%s into %s: %lld runs added, %lld already there (identical)\n",
             npos - 1, npos == 2 ? "" : "s", pos[0], (long long)added, (long long)same);
      rc = RLZ_EXIT_OK;
    }
  }
  free(pos);
  return rc;
}
