/* Catapult detection on a logged loss curve: early in training the loss
 * rises at least RLZ_CATAPULT_FACTOR-fold above its step-0 value (within
 * the first RLZ_CATAPULT_WINDOW steps) and then falls below that value: the
 * network was thrown out of its initial basin and landed in a flatter one,
 * the catapult phase of large learning rates. A run that diverges never
 * falls back, so it is not one. */
#include "train/train_internal.h"

#include <math.h>

bool rlz_catapult(const int64_t *step, const double *loss, int64_t n, double *ratio,
                  int64_t *peak_step) {
  *ratio = NAN;
  *peak_step = -1;
  if (n < 3 || step[0] != 0 || !(loss[0] > 0) || !isfinite(loss[0]))
    return false;
  int64_t ip = -1;
  for (int64_t i = 1; i < n && step[i] <= RLZ_CATAPULT_WINDOW; i++)
    if (isfinite(loss[i]) && (ip < 0 || loss[i] > loss[ip]))
      ip = i;
  if (ip < 0 || !(loss[ip] >= RLZ_CATAPULT_FACTOR * loss[0]))
    return false;
  for (int64_t i = ip + 1; i < n; i++)
    if (isfinite(loss[i]) && loss[i] < loss[0]) {
      *ratio = loss[ip] / loss[0];
      *peak_step = step[ip];
      return true;
    }
  return false;
}

bool rlz_trainer_catapult(const richeta_trainer *t, double *ratio, int64_t *peak_step) {
  /* the held-out curve when every logged point has one (less noisy than a
   * batch), else the training batches' */
  bool eval = t->log_n > 0;
  for (int64_t i = 0; i < t->log_n; i++)
    eval = eval && isfinite(t->log_eval[i]);
  if (t->log_n > 0 && t->state == RICHETA_RUN_DIVERGED)
    eval = false; /* the divergence point has no held-out loss: the training curve */
  return rlz_catapult(t->log_step, eval ? t->log_eval : t->log_train, t->log_n, ratio, peak_step);
}
