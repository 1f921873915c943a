/* richeta check: is a sweep database sound? SQLite's integrity check plus
 * the library's own: schema version known, every run's checksum and curve,
 * no orphaned rows (lib/sweep/store_check.h). */
#include "cli_util.h"
#include "commands.h"
#include "sweep/sweep_internal.h"

#include <math.h>
#include <string.h>

enum { OPT_DB = 1, OPT_JSON };

static const rlz_cli_opt check_opts[] = {
    {"db", 1, "FILE", "sweep database to check (default sweep.db)", OPT_DB},
    {"json", 0, NULL, "JSON lines: one per problem, then a summary (keys below)", OPT_JSON},
    {NULL, 0, NULL, NULL, 0}};

typedef struct check_args {
  const char *db;
  int json;
} check_args;

static int on_opt(void *user, int id, const char *value) {
  check_args *a = user;
  if (id == OPT_DB)
    a->db = value;
  else if (id == OPT_JSON)
    a->json = 1;
  else
    return 1;
  return 0;
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta check [flags]\n\n"
             "Check a sweep database without changing it (it is opened read-only):\n"
             "  - the file is a richeta sweep database of a schema version this build knows,\n"
             "    not truncated (else: unreadable);\n"
             "  - SQLite's integrity check (pages, b-trees, indexes);\n"
             "  - every run matches its checksum (written with the run since richeta 1.1;\n"
             "    runs of 1.0 have none and count as unverified);\n"
             "  - every run's loss curve is complete: it starts at step 0 and ends at the\n"
             "    run's last step (failed runs may have none), with as many points as\n"
             "    were stored;\n"
             "  - no curve point or checksum belongs to a missing run, no run to a missing\n"
             "    sweep.\n"
             "What the store promises after a crash, a power loss or damage: docs/store.md.\n\n"
             "Output (stdout): one line per problem, then a summary line.\n"
             "  --json: one object per problem with keys problem (integrity|checksum|curve|\n"
             "    orphan), run_id, gamma, eta0, seed (null when it names no run), message;\n"
             "    then a summary object with keys db, verdict (ok|damaged|unreadable),\n"
             "    schema_version, integrity (ok|failed), integrity_messages, sweeps, runs,\n"
             "    verified, unverified, bad_checksum, bad_curve, orphans (and message when\n"
             "    unreadable).\n"
             "Exit status: 0 sound, 1 damaged or unreadable, 2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, check_opts);
}

typedef struct problem_ctx {
  int json;
} problem_ctx;

static void on_problem(void *ctx, const char *kind, int64_t run_id, double gamma, double eta0,
                       int64_t seed, const char *message) {
  problem_ctx *p = ctx;
  if (!p->json) {
    printf("problem: %s: %s\n", kind, message);
    return;
  }
  rlz_json j;
  rlz_json_begin(&j, stdout, "problem");
  rlz_json_str(&j, "problem", kind);
  if (run_id >= 0) {
    rlz_json_int(&j, "run_id", run_id);
    rlz_json_num(&j, "gamma", gamma);
    rlz_json_num(&j, "eta0", eta0);
    rlz_json_int(&j, "seed", seed);
  } else {
    rlz_json_null(&j, "run_id");
    rlz_json_null(&j, "gamma");
    rlz_json_null(&j, "eta0");
    rlz_json_null(&j, "seed");
  }
  rlz_json_str(&j, "message", message);
  rlz_json_end(&j);
}

int rlz_cmd_check(int argc, char **argv) {
  check_args a = {.db = "sweep.db"};
  rlz_cli_parser p = {"check", check_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  rlz_store_report r;
  rlz_err e = {{0}};
  problem_ctx pc = {a.json};
  richeta_status st = rlz_store_check(a.db, &r, on_problem, &pc, &e);
  if (st != RICHETA_OK) {
    rlz_cli_error("check", "%s (%s)", e.msg, richeta_status_string(st));
    if (a.json) {
      rlz_json j;
      rlz_json_begin(&j, stdout, "check");
      rlz_json_str(&j, "db", a.db);
      rlz_json_str(&j, "verdict", "unreadable");
      rlz_json_str(&j, "message", e.msg);
      rlz_json_end(&j);
    }
    fflush(stdout);
    return RLZ_EXIT_FAIL;
  }
  int sound = r.integrity_ok && r.integrity_msgs == 0 && r.bad_checksum == 0 && r.bad_curve == 0 &&
              r.orphans == 0;
  if (a.json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "check");
    rlz_json_str(&j, "db", a.db);
    rlz_json_str(&j, "verdict", sound ? "ok" : "damaged");
    rlz_json_int(&j, "schema_version", r.schema_version);
    rlz_json_str(&j, "integrity", r.integrity_ok && r.integrity_msgs == 0 ? "ok" : "failed");
    rlz_json_int(&j, "integrity_messages", r.integrity_msgs);
    rlz_json_int(&j, "sweeps", r.sweeps);
    rlz_json_int(&j, "runs", r.runs);
    rlz_json_int(&j, "verified", r.verified);
    rlz_json_int(&j, "unverified", r.unverified);
    rlz_json_int(&j, "bad_checksum", r.bad_checksum);
    rlz_json_int(&j, "bad_curve", r.bad_curve);
    rlz_json_int(&j, "orphans", r.orphans);
    rlz_json_end(&j);
  } else {
    printf("%s: %s (schema version %d; SQLite integrity %s; %lld sweep%s, %lld run%s: %lld "
           "verified, %lld unverified (no checksum), %lld bad checksum%s, %lld incomplete "
           "curve%s, %lld orphaned row%s)\n",
           a.db, sound ? "ok" : "DAMAGED", r.schema_version,
           r.integrity_ok && r.integrity_msgs == 0 ? "ok" : "FAILED", (long long)r.sweeps,
           r.sweeps == 1 ? "" : "s", (long long)r.runs, r.runs == 1 ? "" : "s",
           (long long)r.verified, (long long)r.unverified, (long long)r.bad_checksum,
           r.bad_checksum == 1 ? "" : "s", (long long)r.bad_curve, r.bad_curve == 1 ? "" : "s",
           (long long)r.orphans, r.orphans == 1 ? "" : "s");
  }
  if (fflush(stdout) != 0) {
    rlz_cli_error("check", "writing the output failed");
    return RLZ_EXIT_FAIL;
  }
  return sound ? RLZ_EXIT_OK : RLZ_EXIT_FAIL;
}
