/* richeta-mpi: one sweep across the ranks of an MPI job (Open MPI). Rank 0
 * hands out gamma columns (cells of a dense sweep) as a work queue and is
 * the only writer of the SQLite store; the other ranks train, one thread
 * and one BLAS thread each. With one rank, rank 0 runs the sweep itself.
 * The stored table is the one `richeta sweep` stores from the same flags,
 * to the bit (wall times aside). */
#include <fcntl.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../cli_data.h"
#include "../cli_util.h"
#include "../startup.h"
#include "../sweep_spec.h"
#include "mpi_roles.h"
#include "sweep/sweep_internal.h"

enum { OPT_JSON = 1 };

static const rlz_cli_opt mpi_only_opts[] = {
    {"json", 0, NULL, "JSON lines: one per stored run, then the summary (keys below)", OPT_JSON},
    {NULL, 0, NULL, NULL, 0}};
static rlz_cli_opt mpi_opts[32];

typedef struct mpi_args {
  rlz_sweep_spec spec;
  int json;
} mpi_args;

static int on_opt(void *user, int id, const char *value) {
  mpi_args *a = user;
  if (id >= RLZ_SPEC_OPT_BASE)
    return rlz_sweep_spec_opt(&a->spec, "mpi", id, value);
  if (id != OPT_JSON)
    return 1;
  a->json = 1;
  return 0;
}

static void help(FILE *f) {
  fprintf(f, "usage: mpirun -np P richeta-mpi [flags]     (or srun richeta-mpi [flags])\n\n"
             "Run one gamma x eta0 x seed sweep across the P ranks of an MPI job. Rank 0 hands\n"
             "out units, a gamma column each (adaptive: a column's downward eta0 scan runs on\n"
             "one rank) or a cell (dense), as a work queue, and is the only process that writes\n"
             "the SQLite store (--db on rank 0's file system); every other rank trains its\n"
             "units with one thread and one BLAS thread and sends each finished run to rank 0,\n"
             "which stores it at once. Start one rank per core plus one for rank 0 (it sleeps\n"
             "between messages). With P = 1, rank 0 runs the sweep itself.\n"
             "The flags are those of `richeta sweep` that define the sweep; the stored table\n"
             "is the one `richeta sweep` gives for the same flags, bit for bit (wall times\n"
             "aside), and has the same hash, so the stores can be merged or resumed by\n"
             "either program. If a rank dies, Open MPI ends the job: every run stored before\n"
             "is kept, at most the run each rank had in progress is lost, and running the\n"
             "same command again finishes the sweep (see `richeta status`).\n"
             "On NFS, use --journal delete (or keep --db on local disk and copy it after).\n"
             "Then: `richeta fit --db FILE` for eta* and the exponents.\n\n"
             "Output (stdout, rank 0): a summary line.\n"
             "  --json: one object per stored run (gamma, eta0, seed, status, final_loss,\n"
             "    rank), then {ranks, units, runs_stored, runs_cached, wall_time,\n"
             "    rank0_busy_time, rank0_idle_share, store_time, store_rate (runs stored per\n"
             "    second of store time; run-start markers included), worker_run_time}.\n"
             "Exit status: 0 done, 1 runtime error, 2 usage error.\n\n"
             "sweep flags:\n");
  rlz_cli_print_options(f, mpi_opts);
  fputc('\n', f);
  rlz_cli_print_config_help(f);
}

static void summary(const mpi_stats *s, int ranks, int json) {
  double idle = s->wall > 0 ? 1 - s->busy / s->wall : 0;
  double rate = s->store > 0 ? (double)s->runs_stored / s->store : NAN;
  if (json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "mpi_summary");
    rlz_json_int(&j, "ranks", ranks);
    rlz_json_int(&j, "units", s->units);
    rlz_json_int(&j, "runs_stored", s->runs_stored);
    rlz_json_int(&j, "runs_cached", s->runs_cached);
    rlz_json_num(&j, "wall_time", s->wall);
    rlz_json_num(&j, "rank0_busy_time", s->busy);
    rlz_json_num(&j, "rank0_idle_share", idle);
    rlz_json_num(&j, "store_time", s->store);
    rlz_json_num(&j, "store_rate", rate);
    rlz_json_num(&j, "worker_run_time", s->worker_runs);
    rlz_json_end(&j);
  } else {
    printf("richeta-mpi: %d rank%s, %lld units, %lld runs stored (%lld were stored before),"
           " %.3f s; rank 0 idle %.1f%%, store %.0f runs/s\n",
           ranks, ranks == 1 ? "" : "s", (long long)s->units, (long long)s->runs_stored,
           (long long)s->runs_cached, s->wall, 100 * idle, rate);
  }
}

/* One JSON line per run stored by a one-rank job (as rank 0 prints them). */
static int print_run(void *user, double gamma, double eta0, int64_t seed, int status,
                     double final_loss, int cached, int64_t finished) {
  (void)finished;
  if (!*(const int *)user || cached)
    return 0;
  rlz_json j;
  rlz_json_begin(&j, stdout, "run");
  rlz_json_num(&j, "gamma", gamma);
  rlz_json_num(&j, "eta0", eta0);
  rlz_json_int(&j, "seed", seed);
  rlz_json_str(&j, "status", rlz_run_status_name(status));
  rlz_json_num(&j, "final_loss", status == RICHETA_SWEEP_RUN_DIVERGED ? NAN : final_loss);
  rlz_json_int(&j, "rank", 0);
  rlz_json_end(&j);
  return 0;
}

/* One rank: rank 0 runs the sweep through the library. */
static int run_alone(richeta_sweep *sw, const char *db, int json, mpi_stats *st) {
  memset(st, 0, sizeof *st);
  richeta_sweep_load(sw, db); /* what was stored before, when the file exists */
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &st->runs_cached);
  double t0 = rlz_now();
  richeta_sweep_callbacks cb = {sizeof cb, print_run, &json};
  richeta_status s = richeta_sweep_run(sw, db, &cb);
  st->wall = st->busy = rlz_now() - t0;
  if (s != RICHETA_OK) {
    rlz_cli_error("mpi", "%s (%s)", richeta_sweep_last_error(sw), richeta_status_string(s));
    return RLZ_EXIT_FAIL;
  }
  int64_t n = 0;
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n);
  st->runs_stored = n - st->runs_cached;
  st->units = rlz_plan_units(sw->mode, sw->grid[RICHETA_SWEEP_AXIS_GAMMA].n,
                             sw->grid[RICHETA_SWEEP_AXIS_ETA0].n);
  for (int64_t i = 0; i < sw->nruns; i++)
    st->worker_runs += isfinite(sw->runs[i].wall) ? sw->runs[i].wall : 0;
  return RLZ_EXIT_OK;
}

/* Parse the flags (every rank, identically) and make the sweep. */
static int prepare(int argc, char **argv, int rank, mpi_args *a, richeta_config **cfg,
                   richeta_sweep **sw) {
  rlz_sweep_spec_init(&a->spec);
  if (rlz_cli_join_opts(mpi_opts, sizeof mpi_opts / sizeof mpi_opts[0], rlz_sweep_spec_opts,
                        mpi_only_opts) != 0 ||
      richeta_config_new(cfg, NULL) != RICHETA_OK)
    return RLZ_EXIT_FAIL;
  /* only rank 0 speaks: the others parse the same flags silently */
  int saved = -1;
  if (rank != 0) {
    int nul = open("/dev/null", O_WRONLY);
    saved = nul >= 0 ? dup(2) : -1;
    if (saved >= 0)
      dup2(nul, 2);
    if (nul >= 0)
      close(nul);
  }
  rlz_cli_parser p = {"mpi", mpi_opts, on_opt, a, *cfg, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  int rc = RLZ_EXIT_OK;
  if (pr == RLZ_CLI_HELP) {
    if (rank == 0)
      help(stdout);
    rc = -1;
  } else if (pr != RLZ_CLI_OK) {
    rc = RLZ_EXIT_USAGE;
  } else if ((rc = rlz_cli_fill_data_shape(&p, argc, argv)) != RLZ_EXIT_OK) {
    /* a file task's shapes, as `richeta sweep` fills them (same hash) */
  } else {
    int64_t nseeds = 0;
    rc = rlz_sweep_spec_build("mpi", &a->spec, *cfg, sw, &nseeds);
    if (rc == RLZ_EXIT_OK &&
        (richeta_sweep_set_option(*sw, RICHETA_SWEEP_OPT_WORKERS, 1) != RICHETA_OK ||
         richeta_sweep_set_option(*sw, RICHETA_SWEEP_OPT_BLAS_SINGLE, 1) != RICHETA_OK ||
         rlz_sweep_refresh_hash(*sw) != RICHETA_OK)) {
      rlz_cli_error("mpi", "%s", richeta_sweep_last_error(*sw));
      rc = RLZ_EXIT_FAIL;
    }
  }
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  return rc;
}

int main(int argc, char **argv) {
  /* the BLAS kernels `richeta` picks (startup.h): the same bits as its sweeps */
  rlz_cli_fix_coretype(argv);
  int provided = 0, rank = 0, ranks = 1;
  /* worker threads of the library never call MPI */
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  mpi_args a = {0};
  richeta_config *cfg = NULL;
  richeta_sweep *sw = NULL;
  int rc = prepare(argc, argv, rank, &a, &cfg, &sw);
  if (rc == RLZ_EXIT_OK) {
    mpi_stats st;
    if (ranks == 1)
      rc = run_alone(sw, a.spec.db, a.json, &st);
    else if (rank == 0)
      rc = rlz_mpi_coordinate(sw, a.spec.db, ranks, a.json, &st);
    else
      rc = rlz_mpi_work(sw, rank);
    if (rank == 0 && rc == RLZ_EXIT_OK)
      summary(&st, ranks, a.json);
  } else if (rc < 0) {
    rc = RLZ_EXIT_OK; /* --help */
  }
  fflush(stdout);
  richeta_sweep_free(sw);
  richeta_config_free(cfg);
  MPI_Finalize();
  return rc;
}
