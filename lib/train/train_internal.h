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
  void *e0;            /* theta0's outputs on the held-out set (centered models), or NULL */
  uint64_t e0_version; /* theta0 version e0 was computed for (0: never) */
  int64_t bx_step;     /* step whose batch is in bx, -1 when none */
  int64_t eval_n;
  /* held-out loss of the best constant predictor (the targets' mean for
   * MSE, their class frequencies for CE), NaN without a held-out set: the
   * baseline of the sweeps' stall test */
  double eval_mean_loss;
  bool ce_check; /* loss=ce on a host stream: every batch's targets are checked */
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
  double *log_acc;       /* held-out accuracy, NaN when C < 2 or no held-out set */
  int ckpt_blas_threads; /* BLAS threads recorded in the checkpoint last loaded, 0: none */
  /* lifetime inside the on_log hook (trainer.c): a free there is deferred */
  int in_callback;
  bool free_pending;
};

/* The configuration stored in the checkpoint at path (a new string
 * allocated with a), without building a trainer. */
richeta_status rlz_checkpoint_config(const rlz_alloc *a, rlz_err *e, const char *path, char **spec);

/* Smallest logged step >= step (T when none is left below T). */
int64_t rlz_trainer_next_log_step(const richeta_trainer *t, int64_t step);

/* Trainer creation from a configuration with an optional borrowed stream
 * (shared by the public constructors and resume). */
richeta_status rlz_trainer_create(richeta_trainer **out, const richeta_config *cfg,
                                  richeta_stream *stream);

/* theta0's last hidden activations of one step's batch, shared by the
 * trainers of a group (see rlz_trainer_run_group). */
typedef struct rlz_shared_features {
  void *feat;   /* B x N, model dtype */
  int64_t step; /* step they are for, -1 when none */
} rlz_shared_features;

/* One step of the run loop (richeta_trainer_run's body) at t->step. With
 * sf, theta0's hidden layers come from sf (computed by the first trainer of
 * the step that needs them); the caller guarantees that the models agree
 * (rlz_model_frozen_hidden_equal) and share one stream. *stop is set when
 * the run ends (divergence, callback). */
richeta_status rlz_trainer_advance(richeta_trainer *t, const richeta_train_callbacks *callbacks,
                                   rlz_shared_features *sf, bool *stop);
/* The point at T when the loop got there and the run is still running. */
richeta_status rlz_trainer_finish_if_done(richeta_trainer *t, const richeta_train_callbacks *cb);

/* Train n trainers that share one stream in lockstep, step by step: each
 * batch is drawn once and, where the models agree, theta0's hidden layers
 * run once per step. Results are the bits of n separate runs. on_end(ctx,
 * i, status) is called once per trainer as soon as it stops (done,
 * diverged, or failed: status as richeta_trainer_run's), after which the
 * group does not touch ts[i] again (the callback may free it). Returns NOMEM,
 * calling on_end for none, when the group's state cannot be allocated. */
typedef void (*rlz_group_end_fn)(void *ctx, int64_t i, richeta_status status);
richeta_status rlz_trainer_run_group(richeta_trainer **ts, int64_t n, rlz_group_end_fn on_end,
                                     void *ctx);

/* catapult.c: a rise of at least RLZ_CATAPULT_FACTOR x the step-0 loss
 * within the first RLZ_CATAPULT_WINDOW steps, followed by a fall below the
 * step-0 loss. On logged points (step ascending, step[0] = 0); *ratio the
 * peak over the step-0 loss and *peak_step its step (NaN, -1 when not). */
#define RLZ_CATAPULT_FACTOR 2.0
#define RLZ_CATAPULT_WINDOW 100
bool rlz_catapult(const int64_t *step, const double *loss, int64_t n, double *ratio,
                  int64_t *peak_step);
/* The same on a trainer's log: its held-out curve when every point has
 * one, else its training curve. */
bool rlz_trainer_catapult(const richeta_trainer *t, double *ratio, int64_t *peak_step);

#endif
