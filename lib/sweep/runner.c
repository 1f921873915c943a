/* The default runner: one trainer per cell, run to T or divergence, summary
 * and log copied out for the store; and the group runner, which trains the
 * runs of one seed together (lib/train/group.c). */
#include "sweep_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config_internal.h"
#include "train/train_internal.h"
#include <richlazy/stream.h>
#include <richlazy/trainer.h>

double rlz_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double rlz_unix_time(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rlz_run_out_release(const rlz_alloc *a, rlz_run_out *o) {
  rlz_free(a, o->step);
  rlz_free(a, o->loss);
  rlz_free(a, o->test);
  rlz_free(a, o->eta);
  rlz_free(a, o->acc);
  o->step = NULL;
  o->loss = o->test = o->eta = o->acc = NULL;
  o->n = 0;
}

static void summarise(const double *v, int64_t n, double *first, double *last, double *best) {
  *first = n ? v[0] : NAN;
  *last = n ? v[n - 1] : NAN;
  *best = NAN;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(v[i]) && !(v[i] >= *best))
      *best = v[i];
}

/* The summary and curve of a trainer that ran (st: its run status). */
static void collect(richeta_trainer *tr, richeta_status st, const rlz_alloc *a, rlz_run_out *o) {
  o->r.status = RICHETA_SWEEP_RUN_FAILED;
  if (st != RICHETA_OK) {
    snprintf(o->msg, sizeof o->msg, "run: %s", richeta_trainer_last_error(tr));
    if (st == RICHETA_ERR_NOMEM)
      o->err = st;
    return;
  }
  int state = RICHETA_RUN_RUNNING;
  richeta_trainer_state(tr, &state);
  richeta_trainer_step(tr, &o->r.steps);
  int64_t n = 0;
  richeta_trainer_log(tr, NULL, NULL, NULL, NULL, 0, &n);
  if (n > 0) {
    o->step = rlz_calloc(a, (size_t)n, sizeof *o->step);
    o->loss = rlz_calloc(a, (size_t)n, sizeof *o->loss);
    o->test = rlz_calloc(a, (size_t)n, sizeof *o->test);
    o->eta = rlz_calloc(a, (size_t)n, sizeof *o->eta);
    o->acc = rlz_calloc(a, (size_t)n, sizeof *o->acc);
    if (!o->step || !o->loss || !o->test || !o->eta || !o->acc) {
      rlz_run_out_release(a, o);
      snprintf(o->msg, sizeof o->msg, "out of memory for the loss curve");
      o->err = RICHETA_ERR_NOMEM;
      return;
    }
    if (richeta_trainer_log(tr, o->step, o->loss, o->test, o->eta, n, &o->n) != RICHETA_OK ||
        richeta_trainer_log_accuracy(tr, o->acc, n, &o->n) != RICHETA_OK) {
      rlz_run_out_release(a, o);
      snprintf(o->msg, sizeof o->msg, "log: %s", richeta_trainer_last_error(tr));
      return;
    }
  }
  summarise(o->loss, o->n, &o->r.init_loss, &o->r.final_loss, &o->r.best_loss);
  summarise(o->test, o->n, &o->r.test_init, &o->r.test_final, &o->r.test_best);
  o->r.eta = o->n ? o->eta[0] : NAN;
  o->r.baseline = tr->eval_mean_loss;
  if (!rlz_trainer_catapult(tr, &o->r.catapult, &o->r.catapult_step)) {
    o->r.catapult = NAN;
    o->r.catapult_step = -1;
  }
  o->r.test_accuracy = o->n ? o->acc[o->n - 1] : NAN;
  if (state == RICHETA_RUN_DONE)
    o->r.status = RICHETA_SWEEP_RUN_CONVERGED;
  else if (state == RICHETA_RUN_DIVERGED)
    o->r.status = RICHETA_SWEEP_RUN_DIVERGED;
  else
    snprintf(o->msg, sizeof o->msg, "run stopped at step %lld without finishing",
             (long long)o->r.steps);
}

/* A run whose trainer could not be made (st): failed, and an error of the
 * sweep when memory ran out. */
static void trainer_failed(richeta_status st, rlz_run_out *o) {
  o->r.status = RICHETA_SWEEP_RUN_FAILED;
  snprintf(o->msg, sizeof o->msg, "trainer: %s", richeta_last_error());
  if (st == RICHETA_ERR_NOMEM)
    o->err = st;
}

/* A trainer for cfg (on `stream` when given), or NULL with the reason in o. */
static richeta_trainer *make_trainer(const richeta_config *cfg, richeta_stream *stream,
                                     rlz_run_out *o) {
  richeta_trainer *tr = NULL;
  richeta_status st = rlz_trainer_create(&tr, cfg, stream);
  if (st == RICHETA_OK)
    return tr;
  trainer_failed(st, o);
  return NULL;
}

void rlz_sweep_default_runner(void *user, const richeta_config *cfg, const rlz_alloc *a,
                              rlz_run_out *o) {
  (void)user;
  double t0 = rlz_now();
  richeta_trainer *tr = make_trainer(cfg, NULL, o);
  if (tr)
    collect(tr, richeta_trainer_run(tr, rlz_config_int(cfg, RICHETA_PARAM_STEPS), NULL), a, o);
  richeta_trainer_free(tr);
  o->r.wall = rlz_now() - t0;
}

/* State of one group for the end-of-run callback. */
typedef struct group_ctx {
  richeta_trainer **trs;   /* the trainers that run, by group index */
  rlz_run_out *const *out; /* their outputs */
  int64_t *slot;           /* caller's index of each trainer's run */
  const rlz_alloc *a;
  double t0;
  int64_t n; /* the caller's group size (the wall time's share) */
  rlz_run_done_fn done;
  void *done_ctx;
} group_ctx;

static void group_end(void *ctx, int64_t i, richeta_status st) {
  group_ctx *g = ctx;
  rlz_run_out *o = g->out[g->slot[i]];
  collect(g->trs[i], st, g->a, o);
  richeta_trainer_free(g->trs[i]);
  g->trs[i] = NULL;
  o->r.wall = (rlz_now() - g->t0) / (double)g->n;
  g->done(g->done_ctx, g->slot[i]);
}

void rlz_sweep_group_runner(const richeta_config *const *cfgs, rlz_run_out *const *outs, int64_t n,
                            const rlz_alloc *a, rlz_run_done_fn done, void *done_ctx) {
  double t0 = rlz_now();
  if (n == 1) {
    rlz_sweep_default_runner(NULL, cfgs[0], a, outs[0]);
    done(done_ctx, 0);
    return;
  }
  richeta_stream *stream = NULL;
  richeta_trainer *trs[RLZ_GROUP_MAX] = {NULL};
  int64_t slot[RLZ_GROUP_MAX];
  int64_t nl = 0;
  /* the runs differ in gamma and eta0 only: one stream serves them all */
  richeta_status st = richeta_stream_new(&stream, cfgs[0]);
  if (st != RICHETA_OK) { /* what each run's own trainer would have said */
    for (int64_t i = 0; i < n; i++) {
      trainer_failed(st, outs[i]);
      outs[i]->r.wall = (rlz_now() - t0) / (double)n;
      done(done_ctx, i);
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    richeta_trainer *tr = make_trainer(cfgs[i], stream, outs[i]);
    if (tr) {
      trs[nl] = tr;
      slot[nl++] = i;
    } else { /* reported at once, like any finished run */
      outs[i]->r.wall = (rlz_now() - t0) / (double)n;
      done(done_ctx, i);
    }
  }
  group_ctx g = {trs, outs, slot, a, t0, n, done, done_ctx};
  richeta_status gst = nl > 0 ? rlz_trainer_run_group(trs, nl, group_end, &g) : RICHETA_OK;
  if (gst != RICHETA_OK) { /* nothing ran: every trainer is still here */
    for (int64_t i = 0; i < nl; i++) {
      rlz_run_out *o = outs[slot[i]];
      o->r.status = RICHETA_SWEEP_RUN_FAILED;
      snprintf(o->msg, sizeof o->msg, "group: %s", richeta_last_error());
      o->err = gst;
      richeta_trainer_free(trs[i]);
      o->r.wall = (rlz_now() - t0) / (double)n;
      done(done_ctx, slot[i]);
    }
  }
  richeta_stream_free(stream);
}
