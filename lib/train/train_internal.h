/* The trainer's state, shared by the run loop (trainer.c) and the
 * checkpoint format (checkpoint.c). */
#ifndef RLZ_TRAIN_INTERNAL_H
#define RLZ_TRAIN_INTERNAL_H

#include "core/core.h"
#include <richlazy/trainer.h>

struct richeta_trainer {
  rlz_alloc alloc;
  rlz_err err;
  richeta_config *cfg; /* private copy */
  richeta_model *model;
  richeta_optim *optim;
  richeta_sched *sched;
  richeta_stream *stream;
  bool own_stream;
  richeta_dtype dtype;
  int64_t D, C, B, T;
  int64_t np; /* number of parameters */
  double blowup;
  /* batch and held-out buffers in the model dtype, made at creation */
  void *bx, *by;
  void *ex, *ey;
  int64_t bx_step; /* step whose batch is in bx, -1 when none */
  int64_t eval_n;
  /* progress */
  int64_t step;     /* steps taken = index of the next step */
  int state;        /* richeta_run_state */
  double init_loss; /* training loss at step 0, NaN before */
  /* log-spaced steps below T, ascending (0 first), fixed at creation */
  int64_t *sched_steps;
  int64_t n_sched;
  /* the log: capacity = n_sched + 2 (final point, divergence point) */
  int64_t log_cap, log_n;
  int64_t *log_step;
  double *log_train, *log_eval, *log_eta;
  double *log_acc; /* held-out accuracy, NaN when C < 2 or no held-out set */
};

/* Smallest logged step >= step (T when none is left below T). */
int64_t rlz_trainer_next_log_step(const richeta_trainer *t, int64_t step);

/* Trainer creation from a configuration with an optional borrowed stream
 * (shared by the public constructors and resume). */
richeta_status rlz_trainer_create(richeta_trainer **out, const richeta_config *cfg,
                                  richeta_stream *stream);

#endif
