/* Internal interface of data sets for the stream layer (lib/stream). The
 * fill functions read a data set without changing it, so several threads
 * may fill batches from one data set at once. Errors of these calls go to
 * the thread-local message (richeta_last_error()). Not installed. */
#ifndef RLZ_DATA_INTERNAL_H
#define RLZ_DATA_INTERNAL_H

#include "core/core.h"

#include <richlazy/data.h>

#include <stdint.h>

/* Batch `step` = samples step*B .. step*B+B-1 of the endless sequence made
 * of consecutive epochs, epoch e being the permutation keyed by (seed, e).
 * x: B x input_dim row-major (normalized as set on ds). y: B x target_dim,
 * one-hot of K for classification whatever onehot_targets says (MSE and
 * cross-entropy use the same targets), regression values otherwise; y may be
 * NULL. *epoch_out (may be NULL) = epoch of the batch's last sample, so a
 * value > 0 means samples are being reused. */
richeta_status rlz_dataset_fill_f32(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                    int64_t batch, int onehot_targets, float *x, float *y,
                                    int64_t *epoch_out);
richeta_status rlz_dataset_fill_f64(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                    int64_t batch, int onehot_targets, double *x, double *y,
                                    int64_t *epoch_out);

/* Samples start .. start+count-1 in file order (held-out evaluation). */
richeta_status rlz_dataset_fill_range_f32(const richeta_dataset *ds, int64_t start, int64_t count,
                                          float *x, float *y);
richeta_status rlz_dataset_fill_range_f64(const richeta_dataset *ds, int64_t start, int64_t count,
                                          double *x, double *y);

/* Class indices of batch `step` (same samples as the fill calls), for
 * losses that take indices; UNSUPPORTED for regression data sets. */
richeta_status rlz_dataset_fill_labels(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                       int64_t batch, int64_t *labels);

/* Shape queries; -1 when ds is NULL. num_classes is 0 for regression. */
int64_t rlz_dataset_num_samples(const richeta_dataset *ds);
int64_t rlz_dataset_input_dim(const richeta_dataset *ds);
int64_t rlz_dataset_num_classes(const richeta_dataset *ds);
/* RICHETA_OK when every label is below k classes, else RICHETA_ERR_RANGE
 * with a message (to e, NULL: the thread's) naming the file and the sample
 * holding the largest label and k. Not for regression sets. */
richeta_status rlz_dataset_check_classes(const richeta_dataset *ds, rlz_err *e, int64_t k);
int64_t rlz_dataset_target_dim(const richeta_dataset *ds);

/* Epoch of the last sample of batch `step` (-1 on overflow or bad args). */
int64_t rlz_dataset_epoch_of(const richeta_dataset *ds, int64_t step, int64_t batch);

/* The keyed permutation of [0, n): position pos of epoch `epoch` holds
 * sample rlz_perm_index(...). A balanced Feistel network on the smallest
 * even-bit domain >= n, cycle-walked back into [0, n): a bijection, O(1)
 * state, any position computable directly. */
typedef struct rlz_perm {
  uint64_t keys[6];
  unsigned half_bits;
  uint64_t n;
} rlz_perm;
void rlz_perm_init(rlz_perm *p, uint64_t seed, uint64_t epoch, uint64_t n);
uint64_t rlz_perm_apply(const rlz_perm *p, uint64_t pos);
int64_t rlz_perm_index(uint64_t seed, uint64_t epoch, int64_t n, int64_t pos);

#endif
