/* `richeta train --diag LIST`: lazy-versus-rich diagnostics recorded at the
 * logged steps of a run, on a probe batch taken from the held-out set. */
#ifndef RLZ_TOOLS_TRAIN_DIAG_H
#define RLZ_TOOLS_TRAIN_DIAG_H

#include "cli_util.h"

#include <stdio.h>

enum {
  RLZ_DIAG_SHARPNESS = 1 << 0, /* top Hessian eigenvalue (Lanczos) */
  RLZ_DIAG_GN = 1 << 1,        /* top Gauss-Newton eigenvalue (power iteration) */
  RLZ_DIAG_ALIGNMENT = 1 << 2, /* NTK-target alignment */
  RLZ_DIAG_MOVEMENT = 1 << 3,  /* |W_l - W0_l| / |W0_l| per layer */
  RLZ_DIAG_PREACT = 1 << 4     /* mean |h_l| per layer (coordinate check) */
};

typedef struct rlz_train_diag {
  unsigned mask;
  richeta_model *model; /* borrowed from the trainer */
  int64_t probe, L, C;
  double *x, *y;            /* probe batch */
  int64_t n, cap;           /* records */
  int64_t *step;            /* logged step of each record */
  double *sharp, *gn, *kta; /* one per record */
  double *move, *preact;    /* L per record */
  double *kernel;           /* (probe C)^2 scratch for the alignment */
  unsigned failed;          /* RLZ_DIAG_* bits of the calls that failed (reported once) */
} rlz_train_diag;

/* Parse "sharpness,gn,alignment,movement,preact" or "all" into a mask.
 * Returns 0, or -1 on an unknown name (message printed). */
int rlz_train_diag_parse(const char *list, unsigned *mask);
/* Prepare for the trainer's model with a probe of at most `probe` held-out
 * samples. Returns 0, or -1 with a message (no held-out set, no memory). */
int rlz_train_diag_init(rlz_train_diag *d, richeta_trainer *t, unsigned mask, int64_t probe);
/* Record the diagnostics at the current parameters under `step`. */
int rlz_train_diag_record(rlz_train_diag *d, int64_t step);
/* Index of the record of `step`, or -1. */
int64_t rlz_train_diag_find(const rlz_train_diag *d, int64_t step);
/* Header names (CSV) and values (CSV, JSON) of record i (-1: empty values). */
void rlz_train_diag_csv_header(const rlz_train_diag *d, FILE *f);
void rlz_train_diag_csv_row(const rlz_train_diag *d, int64_t i, FILE *f);
void rlz_train_diag_json(const rlz_train_diag *d, int64_t i, rlz_json *j);
void rlz_train_diag_free(rlz_train_diag *d);

#endif
