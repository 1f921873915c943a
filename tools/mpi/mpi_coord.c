/* Rank 0 of richeta-mpi: a work queue of units and the only writer of the
 * SQLite store. It polls for messages with short sleeps instead of a
 * blocking receive (Open MPI's spins a core), so that on a shared node it
 * leaves the cores to the workers. */
#include "mpi_roles.h"
#include "mpi_wire.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli_util.h"
#include "core/config_internal.h"

typedef struct coord {
  richeta_sweep *sw;
  rlz_store *store;
  rlz_run *cache;
  int64_t ncache;
  int64_t nunits, next_unit;
  rlz_owner *owners; /* per rank, from HELLO */
  bool issuing;      /* false after a failure: every worker gets STOP */
  int rc;            /* exit status so far */
  int json;
  mpi_stats *st;
} coord;

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static void fail(coord *c, const char *fmt, const char *detail) {
  if (c->rc == RLZ_EXIT_OK)
    rlz_cli_error("mpi", fmt, detail);
  c->rc = RLZ_EXIT_FAIL;
  c->issuing = false;
}

/* The stored runs of unit u: a slice of the sorted cache. */
static const rlz_run *unit_cache(const coord *c, int64_t u, int64_t *n) {
  const richeta_sweep *sw = c->sw;
  int64_t ne = sw->grid[RICHETA_SWEEP_AXIS_ETA0].n, gi, ei;
  rlz_unit_cells(sw->mode, ne, u, &gi, &ei);
  double g = sw->grid[RICHETA_SWEEP_AXIS_GAMMA].v[gi];
  double e = ei >= 0 ? sw->grid[RICHETA_SWEEP_AXIS_ETA0].v[ei] : 0;
  int64_t lo = 0, end = c->ncache; /* binary search: first run at or after (g, e) */
  while (lo < end) {
    int64_t mid = lo + (end - lo) / 2;
    const rlz_run *r = &c->cache[mid];
    if (r->gamma < g || (ei >= 0 && r->gamma == g && r->eta0 < e))
      lo = mid + 1;
    else
      end = mid;
  }
  int64_t hi = lo;
  while (hi < c->ncache && c->cache[hi].gamma == g && (ei < 0 || c->cache[hi].eta0 == e))
    hi++;
  *n = hi - lo;
  return c->cache + lo;
}

/* A worker is ready: its next unit, or STOP. Returns true when stopped. */
static bool hand_out(coord *c, int rank) {
  if (!c->issuing || c->next_unit >= c->nunits) {
    MPI_Send(NULL, 0, MPI_BYTE, rank, TAG_STOP, MPI_COMM_WORLD);
    return true;
  }
  int64_t u = c->next_unit++, n = 0;
  const rlz_run *runs = unit_cache(c, u, &n);
  size_t size = sizeof(wire_unit) + (size_t)n * sizeof(rlz_run);
  char *buf = malloc(size);
  if (!buf) {
    fail(c, "%s", "out of memory");
    MPI_Send(NULL, 0, MPI_BYTE, rank, TAG_STOP, MPI_COMM_WORLD);
    return true;
  }
  wire_unit h = {u, n};
  memcpy(buf, &h, sizeof h);
  if (n)
    memcpy(buf + sizeof h, runs, (size_t)n * sizeof *runs);
  MPI_Send(buf, (int)size, MPI_BYTE, rank, TAG_UNIT, MPI_COMM_WORLD);
  free(buf);
  return false;
}

static void on_result(coord *c, int rank, void *buf, size_t size) {
  rlz_run_out o;
  const char *run_config = NULL;
  if (wire_result_view(buf, size, &o, &run_config) != 0) {
    fail(c, "%s", "malformed result message");
    return;
  }
  c->st->worker_runs += isfinite(o.r.wall) ? o.r.wall : 0;
  if (c->rc != RLZ_EXIT_OK)
    return; /* the store failed: not stored, a rerun redoes the run */
  rlz_err e = {{0}};
  double t0 = rlz_now();
  richeta_status s = rlz_store_commit(c->store, c->sw->hash, run_config, &o, &e);
  c->st->store += rlz_now() - t0;
  if (s != RICHETA_OK) {
    fail(c, "%s", e.msg);
    return;
  }
  c->st->runs_stored++;
  if (c->json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "run");
    rlz_json_num(&j, "gamma", o.r.gamma);
    rlz_json_num(&j, "eta0", o.r.eta0);
    rlz_json_int(&j, "seed", o.r.seed);
    rlz_json_str(&j, "status", rlz_run_status_name(o.r.status));
    rlz_json_num(&j, "final_loss",
                 o.r.status == RICHETA_SWEEP_RUN_DIVERGED ? NAN : o.r.final_loss);
    rlz_json_int(&j, "rank", rank);
    rlz_json_end(&j);
  }
}

/* Receive and handle one message. Returns true when the sender stopped. */
static bool handle(coord *c, const MPI_Status *ms) {
  int rank = ms->MPI_SOURCE, size = 0;
  MPI_Get_count(ms, MPI_BYTE, &size);
  char small[sizeof(wire_done) + 16];
  char *buf = (size_t)size <= sizeof small ? small : malloc((size_t)size);
  if (!buf) {
    fail(c, "%s", "out of memory");
    buf = small; /* receive what fits: the message must leave the queue */
    size = 0;
  }
  MPI_Status rs;
  MPI_Recv(buf, size, MPI_BYTE, rank, ms->MPI_TAG, MPI_COMM_WORLD, &rs);
  bool stopped = false;
  switch (ms->MPI_TAG) {
  case TAG_HELLO:
    if ((size_t)size == sizeof(rlz_owner))
      memcpy(&c->owners[rank], buf, sizeof(rlz_owner));
    stopped = hand_out(c, rank);
    break;
  case TAG_START:
    if ((size_t)size == sizeof(wire_start) && c->rc == RLZ_EXIT_OK) {
      wire_start w;
      memcpy(&w, buf, sizeof w);
      double t0 = rlz_now();
      rlz_progress_mark_started(c->store, c->sw->hash, w.gamma, w.eta0, w.seed, &c->owners[rank],
                                rlz_unix_time());
      c->st->store += rlz_now() - t0;
    }
    break;
  case TAG_RESULT:
    on_result(c, rank, buf, (size_t)size);
    break;
  case TAG_DONE:
    if ((size_t)size == sizeof(wire_done)) {
      wire_done d;
      memcpy(&d, buf, sizeof d);
      if (d.status != RICHETA_OK) {
        char msg[RLZ_ERRMSG_CAP + 64];
        snprintf(msg, sizeof msg, "rank %d, unit %lld: %s", rank, (long long)d.unit, d.msg);
        fail(c, "%s", msg);
      }
    }
    stopped = hand_out(c, rank);
    break;
  default:
    fail(c, "%s", "unexpected message");
  }
  if (buf != small)
    free(buf);
  return stopped;
}

/* Open the store, record the sweep and its plan, read what is stored. */
static int open_store(coord *c, const char *db) {
  richeta_sweep *sw = c->sw;
  rlz_err *e = &sw->err;
  richeta_status s = rlz_store_open_journal(&c->store, db, sw->journal, &sw->alloc, e);
  if (s == RICHETA_OK)
    s = rlz_store_register(c->store, sw->hash, sw->config_text,
                           rlz_config_int(sw->base, RICHETA_PARAM_DEPTH), e);
  if (s == RICHETA_OK)
    s = rlz_progress_prepare(c->store, e);
  if (s == RICHETA_OK)
    s = rlz_progress_record_plan(c->store, sw, e);
  if (s == RICHETA_OK)
    s = rlz_store_load(c->store, sw->hash, &sw->alloc, &c->cache, &c->ncache, e);
  if (s != RICHETA_OK) {
    fail(c, "%s", e->msg);
    return -1;
  }
  return 0;
}

int rlz_mpi_coordinate(richeta_sweep *sw, const char *db, int ranks, int json, mpi_stats *st) {
  memset(st, 0, sizeof *st);
  coord c = {.sw = sw, .issuing = true, .rc = RLZ_EXIT_OK, .json = json, .st = st};
  c.nunits = rlz_plan_units(sw->mode, sw->grid[RICHETA_SWEEP_AXIS_GAMMA].n,
                            sw->grid[RICHETA_SWEEP_AXIS_ETA0].n);
  st->units = c.nunits;
  c.owners = calloc((size_t)ranks, sizeof *c.owners);
  if (!c.owners) { /* the workers wait for an answer: end the job */
    rlz_cli_error("mpi", "out of memory");
    MPI_Abort(MPI_COMM_WORLD, RLZ_EXIT_FAIL);
    return RLZ_EXIT_FAIL;
  }
  double t0 = rlz_now();
  if (open_store(&c, db) == 0)
    st->runs_cached = c.ncache;
  int active = ranks - 1;
  long nap = 20; /* us, doubled while nothing comes, up to 0.5 ms */
  while (active > 0) {
    int flag = 0;
    MPI_Status ms;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms);
    if (!flag) {
      sleep_us(nap);
      nap = nap < 500 ? 2 * nap : 500;
      continue;
    }
    nap = 20;
    double h0 = rlz_now();
    if (handle(&c, &ms))
      active--;
    st->busy += rlz_now() - h0;
  }
  st->wall = rlz_now() - t0;
  rlz_store_close(c.store);
  rlz_free(&sw->alloc, c.cache);
  free(c.owners);
  return c.rc;
}
