/* The sweep a command line describes: the flags that `richeta sweep` and
 * `richeta-mpi` share (database, grids, seeds, mode, scan depth, progress
 * test, journal, durability), so that both programs run the same sweep, with the same
 * hash, from the same flags. */
#ifndef RLZ_TOOLS_SWEEP_SPEC_H
#define RLZ_TOOLS_SWEEP_SPEC_H

#include "cli_util.h"

#include <richlazy/sweep.h>

/* Default of --stall: a run that finishes without diverging converged only
 * if its final loss is at most this factor times its initial loss (the
 * zero predictor's loss under centering). 0.9 keeps every run that learned
 * anything (the MLP teacher's lazy runs end near 0.5 of it at T = 400) and
 * drops networks that died or never left the plateau (they end within a
 * few per cent of it). */
#define RLZ_STALL_DEFAULT 0.9

/* Option ids of the shared flags start here (commands number theirs below). */
#define RLZ_SPEC_OPT_BASE 100

typedef struct rlz_sweep_spec {
  const char *db, *gammas, *etas, *seeds;
  int64_t nseeds;
  int mode; /* -1: the library's default */
  double decades, progress;
  int journal;       /* richeta_sweep_journal */
  int durable;       /* 1: RICHETA_SWEEP_OPT_DURABLE */
  int steps_law;     /* richeta_sweep_steps_law */
  double tau_budget; /* RICHETA_SWEEP_OPT_TAU_BUDGET */
  int64_t steps_max; /* 0: the library's default (100 x T) */
} rlz_sweep_spec;

/* The shared flags (ending with a NULL row). */
extern const rlz_cli_opt rlz_sweep_spec_opts[];

void rlz_sweep_spec_init(rlz_sweep_spec *s);

/* Apply shared flag `id` (>= RLZ_SPEC_OPT_BASE). Returns 0, or 1 after
 * printing a one-line usage error. */
int rlz_sweep_spec_opt(rlz_sweep_spec *s, const char *cmd, int id, const char *value);

/* Make the sweep from cfg and the flags. Returns RLZ_EXIT_OK with *out
 * set, RLZ_EXIT_USAGE for bad grids or seeds, RLZ_EXIT_FAIL otherwise (one
 * line printed). *nseeds receives the number of seeds. */
int rlz_sweep_spec_build(const char *cmd, const rlz_sweep_spec *s, const richeta_config *cfg,
                         richeta_sweep **out, int64_t *nseeds);

/* Copy option tables a then b into dst (cap rows, NULL row included).
 * Returns 0, or -1 when dst is too small. */
int rlz_cli_join_opts(rlz_cli_opt *dst, size_t cap, const rlz_cli_opt *a, const rlz_cli_opt *b);

#endif
