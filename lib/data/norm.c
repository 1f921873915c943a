/* Input statistics and standardization of data sets. */
#include "dataset_priv.h"

#include <math.h>
#include <string.h>

#define RLZ_MIN_STD 1e-12

/* Neumaier-compensated sum: tens of millions of pixels summed naively lose
 * about 1e-9 relative, visible in checksummed statistics. */
static inline void kadd(double *s, double *c, double v) {
  double t = *s + v;
  if (fabs(*s) >= fabs(v))
    *c += (*s - t) + v;
  else
    *c += (v - t) + *s;
  *s = t;
}

int64_t rlz_ds_channels(const richeta_dataset *ds) {
  return ds->channel_axis < 0 ? 1 : ds->sdims[ds->channel_axis];
}

int64_t rlz_ds_channel_of(const richeta_dataset *ds, int64_t j) {
  if (ds->channel_axis < 0)
    return 0;
  int64_t inner = 1;
  for (int k = ds->channel_axis + 1; k < ds->sndim; k++)
    inner *= ds->sdims[k];
  return (j / inner) % ds->sdims[ds->channel_axis];
}

static bool mode_valid(richeta_norm m) {
  return m == RICHETA_NORM_NONE || m == RICHETA_NORM_PER_FEATURE || m == RICHETA_NORM_PER_CHANNEL ||
         m == RICHETA_NORM_GLOBAL;
}

static int64_t mode_count(const richeta_dataset *ds, richeta_norm m) {
  switch (m) {
  case RICHETA_NORM_PER_FEATURE:
    return ds->d;
  case RICHETA_NORM_PER_CHANNEL:
    return rlz_ds_channels(ds);
  case RICHETA_NORM_GLOBAL:
    return 1;
  case RICHETA_NORM_NONE:
    break;
  }
  return 0;
}

static int64_t bin_of(const richeta_dataset *ds, richeta_norm m, int64_t j) {
  if (m == RICHETA_NORM_PER_FEATURE)
    return j;
  if (m == RICHETA_NORM_PER_CHANNEL)
    return rlz_ds_channel_of(ds, j);
  return 0;
}

static void clear_norm(richeta_dataset *ds) {
  rlz_free(&ds->alloc, ds->nmean);
  rlz_free(&ds->alloc, ds->ninv);
  rlz_free(&ds->alloc, ds->gmean);
  rlz_free(&ds->alloc, ds->gstd);
  ds->nmean = ds->ninv = ds->gmean = ds->gstd = NULL;
  ds->ncount = 0;
  ds->norm = RICHETA_NORM_NONE;
}

/* Install validated statistics (copied) and their per-feature expansion. */
static richeta_status install(richeta_dataset *ds, richeta_norm m, const double *mean,
                              const double *sd, int64_t count) {
  const rlz_alloc *a = &ds->alloc;
  double *gm = rlz_calloc(a, (size_t)count, sizeof(double));
  double *gs = rlz_calloc(a, (size_t)count, sizeof(double));
  double *em = rlz_calloc(a, (size_t)ds->d, sizeof(double));
  double *ei = rlz_calloc(a, (size_t)ds->d, sizeof(double));
  if (!gm || !gs || !em || !ei) {
    rlz_free(a, gm);
    rlz_free(a, gs);
    rlz_free(a, em);
    rlz_free(a, ei);
    return rlz_fail(&ds->err, RICHETA_ERR_NOMEM, "cannot allocate normalization statistics");
  }
  memcpy(gm, mean, sizeof(double) * (size_t)count);
  memcpy(gs, sd, sizeof(double) * (size_t)count);
  for (int64_t j = 0; j < ds->d; j++) {
    int64_t b = bin_of(ds, m, j);
    em[j] = gm[b];
    ei[j] = 1.0 / gs[b];
  }
  clear_norm(ds);
  ds->norm = m;
  ds->gmean = gm;
  ds->gstd = gs;
  ds->nmean = em;
  ds->ninv = ei;
  ds->ncount = count;
  return RICHETA_OK;
}

richeta_status richeta_dataset_set_normalization(richeta_dataset *ds, richeta_norm mode,
                                                 const double *mean, const double *std,
                                                 int64_t count) {
  if (!ds || !mean || !std)
    return rlz_fail(ds ? &ds->err : NULL, RICHETA_ERR_NULL,
                    "richeta_dataset_set_normalization: NULL argument");
  if (!mode_valid(mode) || mode == RICHETA_NORM_NONE)
    return rlz_fail(&ds->err, RICHETA_ERR_INVALID, "normalization mode %d is not valid here",
                    (int)mode);
  int64_t want = mode_count(ds, mode);
  if (count != want)
    return rlz_fail(&ds->err, RICHETA_ERR_MISMATCH,
                    "normalization needs %lld values for this mode and data set, got %lld",
                    (long long)want, (long long)count);
  for (int64_t i = 0; i < count; i++) {
    if (!isfinite(mean[i]) || !isfinite(std[i]))
      return rlz_fail(&ds->err, RICHETA_ERR_NONFINITE, "normalization value %lld is not finite",
                      (long long)i);
    if (!(std[i] > 0))
      return rlz_fail(&ds->err, RICHETA_ERR_RANGE, "standard deviation %lld is %g (must be > 0)",
                      (long long)i, std[i]);
  }
  richeta_status st = install(ds, mode, mean, std, count);
  if (st == RICHETA_OK)
    rlz_err_clear(&ds->err);
  return st;
}

richeta_status richeta_dataset_normalize(richeta_dataset *ds, richeta_norm mode) {
  if (!ds)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_normalize: ds is NULL");
  if (!mode_valid(mode))
    return rlz_fail(&ds->err, RICHETA_ERR_INVALID, "unknown normalization mode %d", (int)mode);
  if (mode == RICHETA_NORM_NONE) {
    clear_norm(ds);
    rlz_err_clear(&ds->err);
    return RICHETA_OK;
  }
  int64_t count = mode_count(ds, mode);
  const rlz_alloc *a = &ds->alloc;
  double *sum = rlz_calloc(a, (size_t)count, sizeof(double));
  double *var = rlz_calloc(a, (size_t)count, sizeof(double));
  double *comp = rlz_calloc(a, (size_t)count, sizeof(double));
  int64_t *bin = rlz_calloc(a, (size_t)ds->d, sizeof(int64_t));
  richeta_status st = RICHETA_OK;
  if (!sum || !var || !comp || !bin) {
    st = rlz_fail(&ds->err, RICHETA_ERR_NOMEM, "cannot allocate normalization workspace");
    goto done;
  }
  for (int64_t j = 0; j < ds->d; j++)
    bin[j] = bin_of(ds, mode, j);
  /* a streamed directory: statistics of its first part */
  int64_t n = rlz_ds_stats_samples(ds);
  rlz_ds_lock(ds);
  st = rlz_ds_need(ds, &ds->err, 0);
  /* two passes (mean, then squared deviations) for accuracy on float data */
  for (int64_t i = 0; st == RICHETA_OK && i < n; i++) {
    const uint8_t *row = rlz_ds_xrow(ds, i);
    for (int64_t j = 0; j < ds->d; j++)
      kadd(&sum[bin[j]], &comp[bin[j]], rlz_ds_xval(ds, row, rlz_ds_src(ds, j)));
  }
  double per_bin = (double)n * (double)(ds->d / count);
  for (int64_t b = 0; b < count; b++) {
    sum[b] = (sum[b] + comp[b]) / per_bin;
    comp[b] = 0;
  }
  for (int64_t i = 0; st == RICHETA_OK && i < n; i++) {
    const uint8_t *row = rlz_ds_xrow(ds, i);
    for (int64_t j = 0; j < ds->d; j++) {
      double dv = rlz_ds_xval(ds, row, rlz_ds_src(ds, j)) - sum[bin[j]];
      kadd(&var[bin[j]], &comp[bin[j]], dv * dv);
    }
  }
  rlz_ds_unlock(ds);
  if (st != RICHETA_OK)
    goto done;
  for (int64_t b = 0; b < count; b++) {
    double s = sqrt((var[b] + comp[b]) / per_bin);
    var[b] = s < RLZ_MIN_STD ? 1.0 : s;
  }
  st = install(ds, mode, sum, var, count);
  if (st == RICHETA_OK)
    rlz_err_clear(&ds->err);
done:
  rlz_free(a, sum);
  rlz_free(a, var);
  rlz_free(a, comp);
  rlz_free(a, bin);
  return st;
}

richeta_status richeta_dataset_get_normalization(const richeta_dataset *ds, richeta_norm *mode,
                                                 double *mean, double *std, int64_t cap,
                                                 int64_t *count) {
  if (!ds || (cap > 0 && (!mean || !std)))
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_get_normalization: NULL argument");
  if (mode)
    *mode = ds->norm;
  if (count)
    *count = ds->ncount;
  if (cap < ds->ncount)
    return rlz_fail(NULL, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "normalization has %lld values, capacity %lld", (long long)ds->ncount,
                    (long long)cap);
  if (ds->ncount > 0) {
    memcpy(mean, ds->gmean, sizeof(double) * (size_t)ds->ncount);
    memcpy(std, ds->gstd, sizeof(double) * (size_t)ds->ncount);
  }
  return RICHETA_OK;
}

richeta_status richeta_dataset_copy_normalization(richeta_dataset *dst,
                                                  const richeta_dataset *src) {
  if (!dst || !src)
    return rlz_fail(dst ? &dst->err : NULL, RICHETA_ERR_NULL,
                    "richeta_dataset_copy_normalization: NULL argument");
  if (dst->d != src->d)
    return rlz_fail(&dst->err, RICHETA_ERR_MISMATCH,
                    "input dimensions differ (%lld here, %lld in the source)", (long long)dst->d,
                    (long long)src->d);
  if (src->norm == RICHETA_NORM_NONE) {
    clear_norm(dst);
    rlz_err_clear(&dst->err);
    return RICHETA_OK;
  }
  if (src->norm == RICHETA_NORM_PER_CHANNEL && rlz_ds_channels(dst) != rlz_ds_channels(src))
    return rlz_fail(&dst->err, RICHETA_ERR_MISMATCH, "channel counts differ (%lld vs %lld)",
                    (long long)rlz_ds_channels(dst), (long long)rlz_ds_channels(src));
  return richeta_dataset_set_normalization(dst, src->norm, src->gmean, src->gstd, src->ncount);
}

richeta_status richeta_dataset_set_channel_axis(richeta_dataset *ds, int64_t axis) {
  if (!ds)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_set_channel_axis: ds is NULL");
  if (axis < -1 || axis >= ds->sndim)
    return rlz_fail(&ds->err, RICHETA_ERR_RANGE, "channel axis %lld: samples have %d axes",
                    (long long)axis, ds->sndim);
  clear_norm(ds);
  ds->channel_axis = (int)axis;
  rlz_err_clear(&ds->err);
  return RICHETA_OK;
}

richeta_status richeta_dataset_raw_stats(const richeta_dataset *ds, double *mean, double *std) {
  if (!ds || !mean || !std)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_raw_stats: NULL argument");
  int64_t n = rlz_ds_stats_samples(ds);
  rlz_ds_lock(ds);
  richeta_status st = rlz_ds_need(ds, NULL, 0);
  double s = 0, c = 0;
  for (int64_t i = 0; st == RICHETA_OK && i < n; i++) {
    const uint8_t *row = rlz_ds_xrow(ds, i);
    for (int64_t j = 0; j < ds->d; j++)
      kadd(&s, &c, rlz_ds_xval(ds, row, j));
  }
  double total = (double)n * (double)ds->d, m = (s + c) / total, v = 0;
  c = 0;
  for (int64_t i = 0; st == RICHETA_OK && i < n; i++) {
    const uint8_t *row = rlz_ds_xrow(ds, i);
    for (int64_t j = 0; j < ds->d; j++) {
      double dv = rlz_ds_xval(ds, row, j) - m;
      kadd(&v, &c, dv * dv);
    }
  }
  rlz_ds_unlock(ds);
  if (st != RICHETA_OK)
    return st;
  v += c;
  *mean = m;
  *std = sqrt(v / total);
  return RICHETA_OK;
}
