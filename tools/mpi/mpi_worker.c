/* A worker rank of richeta-mpi: runs the units rank 0 hands out with the
 * library's scheduler (one training thread, one BLAS thread), skipping the
 * runs rank 0 says are stored, and sends each run to rank 0 as it ends. */
#include "mpi_roles.h"
#include "mpi_wire.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Results in flight to rank 0: sent without waiting for rank 0 to take
 * them (a large message waits for the receiver), released once delivered. */
typedef struct pending {
  MPI_Request req;
  void *buf;
  struct pending *next;
} pending;

static void release(pending **list, bool wait) {
  for (pending **p = list; *p;) {
    int done = 0;
    if (wait)
      MPI_Wait(&(*p)->req, MPI_STATUS_IGNORE), done = 1;
    else
      MPI_Test(&(*p)->req, &done, MPI_STATUS_IGNORE);
    if (!done) {
      p = &(*p)->next;
      continue;
    }
    pending *d = *p;
    *p = d->next;
    free(d->buf);
    free(d);
  }
}

static void send_started(void *ctx, double gamma, double eta0, int64_t seed) {
  (void)ctx;
  wire_start w = {gamma, eta0, seed};
  MPI_Send(&w, (int)sizeof w, MPI_BYTE, 0, TAG_START, MPI_COMM_WORLD);
}

/* The run is rank 0's to store (a run lost in flight when the job dies is
 * redone on rerun). MPI delivers the messages of one sender in the order
 * they were posted, so rank 0 still sees START, RESULT, DONE in order. */
static richeta_status send_result(void *ctx, const char *run_config, const rlz_run_out *o,
                                  rlz_err *e) {
  pending **list = ctx;
  release(list, false);
  size_t size = 0;
  pending *p = calloc(1, sizeof *p);
  void *buf = p ? wire_result_pack(run_config, o, &size) : NULL;
  if (!buf) {
    free(p);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "worker: out of memory");
  }
  if (size > (size_t)INT32_MAX) {
    free(buf);
    free(p);
    return rlz_fail(e, RICHETA_ERR_RANGE, "worker: a run's curve is too long to send");
  }
  p->buf = buf;
  MPI_Isend(buf, (int)size, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD, &p->req);
  p->next = *list;
  *list = p;
  return RICHETA_OK;
}

/* Run one UNIT message (header and stored runs in buf). */
static richeta_status run_unit(richeta_sweep *sw, const char *buf, int size, wire_done *d) {
  wire_unit h;
  memcpy(&h, buf, sizeof h);
  d->unit = h.unit;
  if (h.ncache < 0 || (size_t)size != sizeof h + (size_t)h.ncache * sizeof(rlz_run))
    return rlz_fail(&sw->err, RICHETA_ERR_FORMAT, "worker: malformed unit message");
  rlz_run *cache = NULL;
  if (h.ncache > 0) {
    cache = malloc((size_t)h.ncache * sizeof *cache);
    if (!cache)
      return rlz_fail(&sw->err, RICHETA_ERR_NOMEM, "worker: out of memory");
    memcpy(cache, buf + sizeof h, (size_t)h.ncache * sizeof *cache);
  }
  pending *inflight = NULL;
  rlz_sink sink = {send_started, send_result, &inflight};
  rlz_exec x = {cache, h.ncache, &sink, NULL, h.unit};
  richeta_status st = rlz_sweep_exec(sw, &x);
  release(&inflight, true);
  free(cache);
  return st;
}

int rlz_mpi_work(richeta_sweep *sw, int rank) {
  richeta_blas_set_threads(1);
  rlz_owner me;
  rlz_owner_self(&me, rank);
  MPI_Send(&me, (int)sizeof me, MPI_BYTE, 0, TAG_HELLO, MPI_COMM_WORLD);
  for (;;) {
    MPI_Status ms;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &ms);
    int size = 0;
    MPI_Get_count(&ms, MPI_BYTE, &size);
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf) {
      MPI_Abort(MPI_COMM_WORLD, 1);
      return 1;
    }
    MPI_Recv(buf, size, MPI_BYTE, 0, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (ms.MPI_TAG != TAG_UNIT || (size_t)size < sizeof(wire_unit)) {
      free(buf);
      return 0; /* STOP */
    }
    wire_done d;
    memset(&d, 0, sizeof d);
    richeta_status st = run_unit(sw, buf, size, &d);
    free(buf);
    d.status = st;
    if (st != RICHETA_OK)
      snprintf(d.msg, sizeof d.msg, "%s", richeta_sweep_last_error(sw));
    MPI_Send(&d, (int)sizeof d, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
  }
}
