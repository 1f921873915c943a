/* Lockstep training of several small models (the runs of a sweep that share
 * a seed): one stream serves every trainer, so each batch is drawn once,
 * and theta0's hidden layers, which gamma and eta do not touch, run once
 * per step for all models whose frozen copies agree. Each trainer still
 * takes exactly the steps richeta_trainer_run would: the results are the
 * same bits, only the shared work is done once. */
#include "train/train_internal.h"

#include "core/config_internal.h"
#include "model/model_internal.h"

richeta_status rlz_trainer_run_group(richeta_trainer **ts, int64_t n, richeta_status *status) {
  if (n <= 0)
    return RICHETA_OK;
  richeta_trainer *lead = ts[0];
  /* who may use the lead model's features: same stream, same frozen hidden layers */
  bool share_any = false;
  for (int64_t i = 1; i < n; i++)
    share_any = share_any || (ts[i]->stream == lead->stream &&
                              rlz_model_frozen_hidden_equal(lead->model, ts[i]->model));
  rlz_shared_features sf = {NULL, -1};
  if (share_any) {
    int64_t width = rlz_config_int(lead->cfg, RICHETA_PARAM_WIDTH);
    size_t elem = lead->dtype == RICHETA_DTYPE_F32 ? sizeof(float) : sizeof(double);
    sf.feat = rlz_calloc(&lead->alloc, (size_t)(lead->B * width), elem);
    if (!sf.feat)
      return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the shared features");
  }
  bool *share = rlz_calloc(&lead->alloc, (size_t)n, sizeof *share);
  bool *live = rlz_calloc(&lead->alloc, (size_t)n, sizeof *live);
  if (!share || !live) {
    rlz_free(&lead->alloc, sf.feat);
    rlz_free(&lead->alloc, share);
    rlz_free(&lead->alloc, live);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the group's state");
  }
  int64_t T = 0;
  for (int64_t i = 0; i < n; i++) {
    share[i] = share_any && ts[i]->stream == lead->stream &&
               (i == 0 || rlz_model_frozen_hidden_equal(lead->model, ts[i]->model));
    live[i] = ts[i]->state == RICHETA_RUN_RUNNING;
    status[i] = RICHETA_OK;
    T = ts[i]->T > T ? ts[i]->T : T;
  }
  for (int64_t s = 0; s <= T; s++) {
    for (int64_t i = 0; i < n; i++) {
      richeta_trainer *t = ts[i];
      if (!live[i] || t->step != s)
        continue;
      bool stop = false;
      if (s < t->T)
        status[i] = rlz_trainer_advance(t, NULL, share[i] ? &sf : NULL, &stop);
      if (status[i] == RICHETA_OK && !stop && t->step == t->T)
        status[i] = rlz_trainer_finish_if_done(t, NULL);
      live[i] = status[i] == RICHETA_OK && !stop && t->state == RICHETA_RUN_RUNNING;
    }
  }
  rlz_free(&lead->alloc, sf.feat);
  rlz_free(&lead->alloc, share);
  rlz_free(&lead->alloc, live);
  return RICHETA_OK;
}
