/* richeta status: the sweeps of a database and, for each, which units
 * (gamma columns or cells) are done, running, were running when their
 * process was killed, or are missing; and which shards to resubmit. */
#include "cli_util.h"
#include "commands.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

enum { OPT_DB = 1, OPT_HASH, OPT_ALL, OPT_JSON };

static const rlz_cli_opt status_opts[] = {
    {"db", 1, "FILE", "sweep database (default sweep.db)", OPT_DB},
    {"hash", 1, "H", "only the sweep with this configuration hash", OPT_HASH},
    {"all", 0, NULL, "list every unit, not only the unfinished ones", OPT_ALL},
    {"json", 0, NULL, "print JSON lines (keys below)", OPT_JSON},
    {NULL, 0, NULL, NULL, 0}};

typedef struct status_args {
  const char *db, *hash;
  int all, json;
} status_args;

static int on_opt(void *user, int id, const char *value) {
  status_args *a = user;
  switch (id) {
  case OPT_DB:
    a->db = value;
    return 0;
  case OPT_HASH:
    a->hash = value;
    return 0;
  case OPT_ALL:
    a->all = 1;
    return 0;
  case OPT_JSON:
    a->json = 1;
    return 0;
  default:
    return 1;
  }
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta status [flags]\n\n"
             "List the sweeps stored in a database and, for each plan a sweep ran with (grids,\n"
             "seeds, mode, shard count), the state of every unit: a gamma column for adaptive\n"
             "sweeps (its eta0 scan is sequential), a cell (gamma, eta0, all seeds) for dense\n"
             "ones. States:\n"
             "  done         every run the unit needs is stored;\n"
             "  running      a run of it was started by a process that is alive on this host;\n"
             "  interrupted  started by a process of this host that is gone (running when it\n"
             "               was killed): rerun the same command to redo it;\n"
             "  started      started on another host (running there, or killed);\n"
             "  missing      not started (an adaptive column: the next cell of its scan);\n"
             "  absent       belongs to a shard this store has not seen (merge its store).\n"
             "Shards of this store with unfinished units are listed so you know which array\n"
             "tasks to rerun. Progress needs the plans and run starts that richeta 1.1 records;\n"
             "older stores list their runs only. (`richeta check` verifies integrity.)\n\n"
             "Output (stdout): one block per sweep.\n"
             "  --json: one line per plan with keys config_hash, mode, gammas, eta0s, seeds,\n"
             "    shard_count, shards_in_store, shards_unfinished (arrays), units, done,\n"
             "    running, interrupted, started, missing, absent, runs, complete; then one\n"
             "    line per unfinished unit (every unit with --all) with keys config_hash,\n"
             "    gamma, eta0 (the cell, or an adaptive column's next cell; null when done),\n"
             "    state, shard, runs, cells, host, pid, rank, started_at (null unless\n"
             "    started); sweeps without a plan give {config_hash, runs, plan: null}.\n"
             "Exit status: 0 listed, 1 database error, 2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, status_opts);
}

enum { ST_DONE, ST_RUNNING, ST_INTERRUPTED, ST_STARTED, ST_MISSING, ST_ABSENT, NSTATES };
static const char *const state_names[NSTATES] = {"done",    "running", "interrupted",
                                                 "started", "missing", "absent"};

/* Whether process pid of this host is alive (a zombie is not). */
static bool process_alive(int64_t pid) {
  if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
    return false;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return true; /* no /proc: trust kill() */
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *paren = strrchr(buf, ')'); /* "pid (comm) S ..." */
  return !(paren && paren[1] == ' ' && paren[2] == 'Z');
}

/* The state shown for a unit: the store's, refined by whether the process
 * that started it is still alive (only knowable on its own host). */
static int shown_state(const rlz_plan_status *p, const rlz_unit_status *u, const char *host) {
  if (u->state == RLZ_UNIT_DONE)
    return ST_DONE;
  if (u->state == RLZ_UNIT_MISSING)
    return p->shard_seen[u->shard] || u->runs > 0 ? ST_MISSING : ST_ABSENT;
  if (strcmp(u->owner.host, host) != 0)
    return ST_STARTED;
  return process_alive(u->owner.pid) ? ST_RUNNING : ST_INTERRUPTED;
}

static void json_ints(rlz_json *j, const char *key, const int64_t *v, int64_t n) {
  fprintf(j->f, "%s", j->n++ ? "," : "");
  rlz_json_write_string(j->f, key);
  fputs(":[", j->f);
  for (int64_t i = 0; i < n; i++)
    fprintf(j->f, "%s%lld", i ? "," : "", (long long)v[i]);
  fputc(']', j->f);
}

static void print_ints(const int64_t *v, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    printf("%s%lld", i ? "," : "", (long long)v[i]);
}

static void unit_json(const rlz_plan_status *p, const rlz_unit_status *u, int state) {
  rlz_json j;
  rlz_json_begin(&j, stdout, "unit");
  rlz_json_str(&j, "config_hash", p->hash);
  rlz_json_num(&j, "gamma", u->gamma);
  rlz_json_num(&j, "eta0", u->eta0);
  rlz_json_str(&j, "state", state_names[state]);
  rlz_json_int(&j, "shard", u->shard);
  rlz_json_int(&j, "runs", u->runs);
  rlz_json_int(&j, "cells", u->cells);
  bool started = u->state == RLZ_UNIT_STARTED;
  rlz_json_str(&j, "host", started ? u->owner.host : NULL);
  if (started)
    rlz_json_int(&j, "pid", u->owner.pid);
  else
    rlz_json_null(&j, "pid");
  if (started && u->owner.rank >= 0)
    rlz_json_int(&j, "rank", u->owner.rank);
  else
    rlz_json_null(&j, "rank");
  rlz_json_num(&j, "started_at", started ? u->started_at : NAN);
  rlz_json_end(&j);
}

static void unit_line(const rlz_plan_status *p, const rlz_unit_status *u, int state) {
  bool adaptive = p->mode == RICHETA_SWEEP_ADAPTIVE;
  printf("  gamma %-10.5g", u->gamma);
  if (!adaptive)
    printf(" eta0 %-10.5g", u->eta0);
  printf(" %-11s", state_names[state]);
  if (adaptive && state != ST_DONE)
    printf(" at eta0 %.5g,", u->eta0);
  printf(" %lld cells, %lld runs stored, shard %lld", (long long)u->cells, (long long)u->runs,
         (long long)u->shard);
  if (u->state == RLZ_UNIT_STARTED) {
    printf(" (started by %s pid %lld", u->owner.host, (long long)u->owner.pid);
    if (u->owner.rank >= 0)
      printf(" rank %lld", (long long)u->owner.rank);
    printf(")");
  }
  printf("\n");
}

/* One plan: summary, then its units (unfinished ones unless all). */
static int report_plan(const rlz_plan_status *p, const status_args *a, const char *host) {
  int64_t count[NSTATES] = {0}, runs = 0;
  int64_t *present = calloc((size_t)p->shard_count, sizeof *present);
  int64_t *unfinished = calloc((size_t)p->shard_count, sizeof *unfinished);
  unsigned char *open = calloc((size_t)p->shard_count, 1);
  int *states = calloc((size_t)(p->nunits ? p->nunits : 1), sizeof *states);
  if (!present || !unfinished || !open || !states) {
    free(present), free(unfinished), free(open), free(states);
    rlz_cli_error("status", "out of memory");
    return RLZ_EXIT_FAIL;
  }
  for (int64_t i = 0; i < p->nunits; i++) {
    states[i] = shown_state(p, &p->units[i], host);
    count[states[i]]++;
    runs += p->units[i].runs;
    if (states[i] != ST_DONE && states[i] != ST_ABSENT)
      open[p->units[i].shard] = 1;
  }
  int64_t npresent = 0, nunfinished = 0, nabsent = 0;
  for (int64_t k = 0; k < p->shard_count; k++) {
    if (p->shard_seen[k])
      present[npresent++] = k;
    else
      nabsent++;
    if (open[k])
      unfinished[nunfinished++] = k;
  }
  bool adaptive = p->mode == RICHETA_SWEEP_ADAPTIVE;
  if (a->json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "sweep");
    rlz_json_str(&j, "config_hash", p->hash);
    rlz_json_str(&j, "mode", adaptive ? "adaptive" : "dense");
    rlz_json_int(&j, "gammas", p->ng);
    rlz_json_int(&j, "eta0s", p->ne);
    rlz_json_int(&j, "seeds", p->nseeds);
    rlz_json_int(&j, "shard_count", p->shard_count);
    json_ints(&j, "shards_in_store", present, npresent);
    json_ints(&j, "shards_unfinished", unfinished, nunfinished);
    rlz_json_int(&j, "units", p->nunits);
    for (int s = 0; s < NSTATES; s++)
      rlz_json_int(&j, state_names[s], count[s]);
    rlz_json_int(&j, "runs", runs);
    rlz_json_bool(&j, "complete", count[ST_DONE] == p->nunits);
    rlz_json_end(&j);
  } else {
    printf("sweep %s: %s, %lld gammas x %lld eta0 x %lld seeds", p->hash,
           adaptive ? "adaptive" : "dense", (long long)p->ng, (long long)p->ne,
           (long long)p->nseeds);
    if (p->shard_count > 1) {
      printf(", %lld shards (in this store: ", (long long)p->shard_count);
      print_ints(present, npresent);
      printf(")");
    }
    printf("\n  %s: %lld of %lld done", adaptive ? "gamma columns" : "cells",
           (long long)count[ST_DONE], (long long)p->nunits);
    for (int s = ST_RUNNING; s < NSTATES; s++)
      if (count[s])
        printf(", %lld %s", (long long)count[s], state_names[s]);
    printf("; %lld runs stored\n", (long long)runs);
  }
  for (int64_t i = 0; i < p->nunits; i++) {
    if (states[i] == ST_ABSENT && !a->all)
      continue; /* whole shards missing: said once below */
    if (states[i] != ST_DONE || a->all) {
      if (a->json)
        unit_json(p, &p->units[i], states[i]);
      else
        unit_line(p, &p->units[i], states[i]);
    }
  }
  if (!a->json) {
    if (count[ST_DONE] == p->nunits)
      printf("  complete\n");
    else if (p->shard_count == 1)
      printf("  unfinished: run the same sweep command again to finish it\n");
    if (nunfinished > 0 && p->shard_count > 1) {
      printf("  unfinished shards (rerun these array tasks): ");
      print_ints(unfinished, nunfinished);
      printf("\n");
    }
    if (nunfinished == 0 && count[ST_DONE] < p->nunits)
      printf("  the shards in this store are complete\n");
    if (nabsent > 0 && count[ST_ABSENT] > 0) {
      printf("  %lld shard%s not in this store: merge their stores (or run those tasks)\n",
             (long long)nabsent, nabsent == 1 ? " is" : "s are");
    }
  }
  free(present), free(unfinished), free(open), free(states);
  return RLZ_EXIT_OK;
}

int rlz_cmd_status(int argc, char **argv) {
  status_args a = {.db = "sweep.db"};
  rlz_cli_parser p = {"status", status_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  rlz_alloc al;
  rlz_alloc_resolve(&al, NULL);
  rlz_err e = {{0}};
  rlz_store *s = NULL;
  if (rlz_store_open(&s, a.db, 1, &al, &e) != RICHETA_OK) {
    rlz_cli_error("status", "%s", e.msg);
    return RLZ_EXIT_FAIL;
  }
  rlz_store_progress prog;
  richeta_status st = rlz_store_progress_read(s, &al, &prog, &e);
  rlz_store_close(s);
  if (st != RICHETA_OK) {
    rlz_cli_error("status", "%s", e.msg);
    return RLZ_EXIT_FAIL;
  }
  rlz_owner self;
  rlz_owner_self(&self, -1);
  int rc = RLZ_EXIT_OK, shown = 0;
  for (int64_t i = 0; i < prog.nplans && rc == RLZ_EXIT_OK; i++)
    if (!a.hash || !strcmp(a.hash, prog.plans[i].hash)) {
      rc = report_plan(&prog.plans[i], &a, self.host);
      shown++;
    }
  for (int64_t i = 0; i < prog.nbare && rc == RLZ_EXIT_OK; i++) {
    const rlz_bare_sweep *b = &prog.bare[i];
    if (a.hash && strcmp(a.hash, b->hash))
      continue;
    shown++;
    if (a.json) {
      rlz_json j;
      rlz_json_begin(&j, stdout, "sweep");
      rlz_json_str(&j, "config_hash", b->hash);
      rlz_json_int(&j, "runs", b->runs);
      rlz_json_null(&j, "plan");
      rlz_json_end(&j);
    } else {
      printf("sweep %s: %lld runs stored, no plan recorded (a store from before 1.1):"
             " cannot tell what is missing\n",
             b->hash, (long long)b->runs);
    }
  }
  if (rc == RLZ_EXIT_OK && shown == 0 && !a.json)
    printf("no sweep%s%s in %s\n", a.hash ? " " : "", a.hash ? a.hash : "", a.db);
  rlz_store_progress_free(&al, &prog);
  return rc;
}
