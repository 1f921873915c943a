/* Messages between the ranks of richeta-mpi. Every rank runs the same
 * binary, so structs travel as bytes (MPI_BYTE).
 *
 *   worker -> 0  HELLO   rlz_owner (host, pid, rank) once, then "ready"
 *   0 -> worker  UNIT    wire_unit, then the unit's stored runs (rlz_run[])
 *   0 -> worker  STOP    nothing more to do
 *   worker -> 0  START   wire_start: a run of the unit starts
 *   worker -> 0  RESULT  a finished run (wire_result_pack)
 *   worker -> 0  DONE    wire_done: the unit ended, and the worker is ready
 * MPI keeps the order of messages between two ranks, so rank 0 sees a
 * run's START before its RESULT and a unit's RESULTs before its DONE. */
#ifndef RLZ_TOOLS_MPI_WIRE_H
#define RLZ_TOOLS_MPI_WIRE_H

#include "sweep/sweep_internal.h"

enum { TAG_HELLO = 1, TAG_UNIT, TAG_STOP, TAG_START, TAG_RESULT, TAG_DONE };

typedef struct wire_unit {
  int64_t unit;
  int64_t ncache; /* rlz_run records that follow in the same message */
} wire_unit;

typedef struct wire_start {
  double gamma, eta0;
  int64_t seed;
} wire_start;

typedef struct wire_done {
  int64_t unit;
  int32_t status; /* richeta_status of the unit */
  char msg[RLZ_ERRMSG_CAP];
} wire_done;

/* A finished run as one byte buffer: header, curve arrays, run config.
 * Returns a malloc'd buffer and its size, or NULL when out of memory. */
void *wire_result_pack(const char *run_config, const rlz_run_out *o, size_t *size);
/* Point *o and *run_config into buf (no copy). Returns 0, or -1 when buf
 * is not a well-formed result of `size` bytes. */
int wire_result_view(void *buf, size_t size, rlz_run_out *o, const char **run_config);

#endif
