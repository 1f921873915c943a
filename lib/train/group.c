/* Lockstep training of several small models (the runs of a sweep that share
 * a seed): one stream serves every trainer, so each batch is drawn once,
 * and theta0's hidden layers, which gamma and eta do not touch, run once
 * per step for all models whose frozen copies agree. Each trainer still
 * takes exactly the steps richeta_trainer_run would: the results are the
 * same bits, only the shared work is done once. */
#include "train/train_internal.h"

#include "core/config_internal.h"
#include "model/model_internal.h"

richeta_status rlz_trainer_run_group(richeta_trainer **ts, int64_t n, rlz_group_end_fn on_end,
                                     void *ctx) {
  if (n <= 0)
    return RICHETA_OK;
  /* ts[0] may be gone before the end (on_end): keep what is needed of it */
  richeta_trainer *lead = ts[0];
  rlz_alloc a = lead->alloc;
  bool share_any = false; /* same stream and same frozen hidden layers as ts[0] */
  for (int64_t i = 1; i < n; i++)
    share_any = share_any || (ts[i]->stream == lead->stream &&
                              rlz_model_frozen_hidden_equal(lead->model, ts[i]->model));
  rlz_shared_features sf = {NULL, -1};
  bool *share = rlz_calloc(&a, (size_t)n, sizeof *share);
  bool *live = rlz_calloc(&a, (size_t)n, sizeof *live);
  if (share_any) {
    int64_t width = rlz_model_feature_size(lead->model);
    size_t elem = lead->dtype == RICHETA_DTYPE_F32 ? sizeof(float) : sizeof(double);
    sf.feat = rlz_calloc(&a, (size_t)(lead->B * width), elem);
  }
  if (!share || !live || (share_any && !sf.feat)) {
    rlz_free(&a, sf.feat);
    rlz_free(&a, share);
    rlz_free(&a, live);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the state of a training group");
  }
  int64_t T = 0, alive = 0;
  for (int64_t i = 0; i < n; i++) {
    share[i] = share_any && ts[i]->stream == lead->stream &&
               (i == 0 || rlz_model_frozen_hidden_equal(lead->model, ts[i]->model));
    T = ts[i]->T > T ? ts[i]->T : T;
    live[i] = true;
    alive++;
  }
  /* step s of every trainer at step s, in order; a trainer that stops is
   * handed back at once (its results can be stored while the others run) */
  for (int64_t s = 0; s <= T && alive > 0; s++) {
    for (int64_t i = 0; i < n; i++) {
      if (!live[i])
        continue;
      richeta_trainer *t = ts[i];
      richeta_status st = RICHETA_OK;
      bool stop = t->state != RICHETA_RUN_RUNNING;
      if (!stop && t->step != s)
        continue; /* resumed further on: joins at its step */
      if (!stop && s < t->T)
        st = rlz_trainer_advance(t, NULL, share[i] ? &sf : NULL, &stop);
      if (st == RICHETA_OK && !stop && t->step == t->T)
        st = rlz_trainer_finish_if_done(t, NULL);
      if (st != RICHETA_OK || stop || t->state != RICHETA_RUN_RUNNING) {
        live[i] = false;
        alive--;
        on_end(ctx, i, st);
      }
    }
  }
  for (int64_t i = 0; i < n; i++) /* cannot happen: every trainer stops by T */
    if (live[i])
      on_end(ctx, i, rlz_fail(NULL, RICHETA_ERR_INTERNAL, "training group ended early"));
  rlz_free(&a, sf.feat);
  rlz_free(&a, share);
  rlz_free(&a, live);
  return RICHETA_OK;
}
