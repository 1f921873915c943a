/* The two roles of richeta-mpi: rank 0 hands out units (gamma columns, or
 * cells of a dense sweep) as a work queue and is the only writer of the
 * store; every other rank trains the units it is given and sends each
 * finished run to rank 0. */
#ifndef RLZ_TOOLS_MPI_ROLES_H
#define RLZ_TOOLS_MPI_ROLES_H

#include <richlazy/sweep.h>
#include <stdint.h>

/* What rank 0 measured (the scale figures of bench/cluster_scale.sh). */
typedef struct mpi_stats {
  int64_t units;
  int64_t runs_cached; /* stored before this call */
  int64_t runs_stored; /* committed by this call */
  double wall;         /* s, from the store's opening to the last worker's stop */
  double busy;         /* s rank 0 spent handling messages (store work included) */
  double store;        /* s in store transactions: run commits and run-start markers */
  double worker_runs;  /* s of training the workers reported (sum of run wall times) */
} mpi_stats;

/* Rank 0 of a job of `ranks` >= 2. Returns an exit status; json: one line
 * per stored run on stdout. */
int rlz_mpi_coordinate(richeta_sweep *sw, const char *db, int ranks, int json, mpi_stats *st);

/* Ranks >= 1. Returns an exit status. */
int rlz_mpi_work(richeta_sweep *sw, int rank);

#endif
