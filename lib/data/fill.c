/* Batch filling: raw samples converted and normalized as they are copied. */
#include "dataset_priv.h"

#include <string.h>

/* Write sample idx (resident) as row r of x (and y when not NULL). */
static void put_sample(const richeta_dataset *ds, int64_t idx, int64_t r, bool f32, void *x,
                       void *y) {
  const rlz_part *p = rlz_ds_part(ds, idx);
  size_t off = (size_t)(idx - p->start);
  const uint8_t *row = p->x + off * p->x_stride;
  int64_t d = ds->d;
  if (f32) {
    float *xr = (float *)x + r * d;
    for (int64_t j = 0; j < d; j++) {
      double v = rlz_ds_xval(ds, row, rlz_ds_src(ds, j));
      xr[j] = (float)(ds->nmean ? (v - ds->nmean[j]) * ds->ninv[j] : v);
    }
  } else {
    double *xr = (double *)x + r * d;
    for (int64_t j = 0; j < d; j++) {
      double v = rlz_ds_xval(ds, row, rlz_ds_src(ds, j));
      xr[j] = ds->nmean ? (v - ds->nmean[j]) * ds->ninv[j] : v;
    }
  }
  if (!y)
    return;
  const uint8_t *yrow = p->y + off * p->y_stride;
  int64_t c = rlz_dataset_target_dim(ds);
  if (ds->k > 0) {
    int64_t lab = (int64_t)rlz_elt_load(yrow, ds->yelt, ds->ybe, 0);
    if (f32) {
      float *yr = (float *)y + r * c;
      memset(yr, 0, sizeof(float) * (size_t)c);
      yr[lab] = 1.0f;
    } else {
      double *yr = (double *)y + r * c;
      memset(yr, 0, sizeof(double) * (size_t)c);
      yr[lab] = 1.0;
    }
  } else {
    for (int64_t j = 0; j < c; j++) {
      double v = rlz_elt_load(yrow, ds->yelt, ds->ybe, j);
      if (f32)
        ((float *)y)[r * c + j] = (float)v;
      else
        ((double *)y)[r * c + j] = v;
    }
  }
}

/* First global position of the batch; OVERFLOW when the batch's last
 * position does not fit int64. */
static richeta_status batch_start(const richeta_dataset *ds, int64_t step, int64_t batch,
                                  int64_t *g0) {
  if (!ds)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "data set is NULL");
  if (step < 0 || batch < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE,
                    "batch step %lld and size %lld: need step >= 0, size >= 1", (long long)step,
                    (long long)batch);
  int64_t s;
  if (!rlz_mul_i64(step, batch, &s) || s > INT64_MAX - batch)
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "batch step %lld of size %lld overflows",
                    (long long)step, (long long)batch);
  *g0 = s;
  return RICHETA_OK;
}

int64_t rlz_dataset_epoch_of(const richeta_dataset *ds, int64_t step, int64_t batch) {
  int64_t g0 = 0;
  if (batch_start(ds, step, batch, &g0) != RICHETA_OK)
    return -1;
  return (g0 + batch - 1) / ds->n;
}

/* Rows of batch `step`: samples into x/y, or only class indices into labels. */
static richeta_status fill_batch(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                 int64_t batch, bool f32, void *x, void *y, int64_t *labels,
                                 int64_t *epoch_out) {
  int64_t g0 = 0;
  richeta_status st = batch_start(ds, step, batch, &g0);
  if (st != RICHETA_OK)
    return st;
  if (!x && !labels)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "batch buffer is NULL");
  rlz_perm perm;
  int64_t cur_epoch = -1;
  rlz_ds_lock(ds);
  for (int64_t r = 0; r < batch && st == RICHETA_OK; r++) {
    int64_t g = g0 + r, epoch = g / ds->n, pos = g % ds->n;
    if (epoch != cur_epoch) {
      rlz_perm_init(&perm, seed, (uint64_t)epoch, (uint64_t)ds->n);
      cur_epoch = epoch;
    }
    /* a streamed directory is read in file order, one part at a time */
    int64_t idx = ds->dir ? pos : (int64_t)rlz_perm_apply(&perm, (uint64_t)pos);
    st = rlz_ds_need(ds, NULL, idx);
    if (st != RICHETA_OK)
      break;
    if (labels)
      labels[r] = rlz_ds_label(ds, idx);
    else
      put_sample(ds, idx, r, f32, x, y);
  }
  rlz_ds_unlock(ds);
  if (st == RICHETA_OK && epoch_out)
    *epoch_out = (g0 + batch - 1) / ds->n;
  return st;
}

richeta_status rlz_dataset_fill_f32(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                    int64_t batch, int onehot_targets, float *x, float *y,
                                    int64_t *epoch_out) {
  (void)onehot_targets; /* classification targets are always one-hot rows */
  if (!x)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "batch input buffer is NULL");
  return fill_batch(ds, seed, step, batch, true, x, y, NULL, epoch_out);
}

richeta_status rlz_dataset_fill_f64(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                    int64_t batch, int onehot_targets, double *x, double *y,
                                    int64_t *epoch_out) {
  (void)onehot_targets;
  if (!x)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "batch input buffer is NULL");
  return fill_batch(ds, seed, step, batch, false, x, y, NULL, epoch_out);
}

richeta_status rlz_dataset_fill_labels(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                       int64_t batch, int64_t *labels) {
  if (!labels)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "label buffer is NULL");
  if (ds && ds->k == 0)
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "the data set has regression targets");
  return fill_batch(ds, seed, step, batch, false, NULL, NULL, labels, NULL);
}

static richeta_status fill_range(const richeta_dataset *ds, int64_t start, int64_t count, bool f32,
                                 void *x, void *y) {
  if (!ds || !x)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "data set or buffer is NULL");
  if (start < 0 || count < 0 || start > ds->n || count > ds->n - start)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "samples %lld..+%lld outside [0, %lld)",
                    (long long)start, (long long)count, (long long)ds->n);
  richeta_status st = RICHETA_OK;
  rlz_ds_lock(ds);
  for (int64_t r = 0; r < count && st == RICHETA_OK; r++) {
    st = rlz_ds_need(ds, NULL, start + r);
    if (st == RICHETA_OK)
      put_sample(ds, start + r, r, f32, x, y);
  }
  rlz_ds_unlock(ds);
  return st;
}

richeta_status rlz_dataset_fill_range_f32(const richeta_dataset *ds, int64_t start, int64_t count,
                                          float *x, float *y) {
  return fill_range(ds, start, count, true, x, y);
}

richeta_status rlz_dataset_fill_range_f64(const richeta_dataset *ds, int64_t start, int64_t count,
                                          double *x, double *y) {
  return fill_range(ds, start, count, false, x, y);
}

/* --- public wrappers with capacities --- */

static richeta_status check_caps(const richeta_dataset *ds, int64_t batch, int64_t x_cap,
                                 bool has_y, int64_t y_cap) {
  if (!ds)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "data set is NULL");
  if (batch < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "batch size %lld < 1", (long long)batch);
  int64_t nx, ny;
  if (!rlz_mul_i64(batch, ds->d, &nx) || !rlz_mul_i64(batch, rlz_dataset_target_dim(ds), &ny))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "batch of %lld overflows", (long long)batch);
  if (x_cap < nx || (has_y && y_cap < ny))
    return rlz_fail(NULL, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "batch needs %lld inputs and %lld targets; capacities %lld and %lld",
                    (long long)nx, (long long)ny, (long long)x_cap, (long long)y_cap);
  return RICHETA_OK;
}

richeta_status richeta_dataset_batch_f64(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                         int64_t batch, double *x, int64_t x_cap, double *y,
                                         int64_t y_cap, int64_t *epoch) {
  if (!x)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_batch_f64: x is NULL");
  richeta_status st = check_caps(ds, batch, x_cap, y != NULL, y_cap);
  if (st != RICHETA_OK)
    return st;
  return fill_batch(ds, seed, step, batch, false, x, y, NULL, epoch);
}

richeta_status richeta_dataset_batch_f32(const richeta_dataset *ds, uint64_t seed, int64_t step,
                                         int64_t batch, float *x, int64_t x_cap, float *y,
                                         int64_t y_cap, int64_t *epoch) {
  if (!x)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_batch_f32: x is NULL");
  richeta_status st = check_caps(ds, batch, x_cap, y != NULL, y_cap);
  if (st != RICHETA_OK)
    return st;
  return fill_batch(ds, seed, step, batch, true, x, y, NULL, epoch);
}

richeta_status richeta_dataset_get_input(const richeta_dataset *ds, int64_t index, double *x,
                                         int64_t cap) {
  if (!ds || !x)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_get_input: NULL argument");
  if (index < 0 || index >= ds->n)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "sample index %lld out of [0, %lld)", (long long)index,
                    (long long)ds->n);
  if (cap < ds->d)
    return rlz_fail(NULL, RICHETA_ERR_BUFFER_TOO_SMALL, "input needs %lld values, capacity %lld",
                    (long long)ds->d, (long long)cap);
  rlz_ds_lock(ds);
  richeta_status st = rlz_ds_need(ds, NULL, index);
  if (st == RICHETA_OK)
    put_sample(ds, index, 0, false, x, NULL);
  rlz_ds_unlock(ds);
  return st;
}
