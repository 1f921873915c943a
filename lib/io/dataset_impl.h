/* Layout of a data set, shared by dataset.c (opening), norm.c and fill.c. */
#ifndef RLZ_IO_DATASET_IMPL_H
#define RLZ_IO_DATASET_IMPL_H

#include "dataset.h"
#include "io_internal.h"

#define RLZ_DS_MAX_FILES 64
#define RLZ_DS_MAX_CLASSES 65536

/* A run of consecutive samples stored contiguously with fixed strides
 * (one file, one NPZ member pair or one CIFAR batch). */
typedef struct rlz_part {
  int64_t start, n;
  const uint8_t *x;
  size_t x_stride;
  const uint8_t *y;
  size_t y_stride;
} rlz_part;

struct richeta_dataset {
  rlz_alloc alloc;
  rlz_err err;
  rlz_buf bufs[3 * RLZ_DS_MAX_FILES];
  int nbufs;
  rlz_part parts[RLZ_DS_MAX_FILES];
  int nparts;
  int64_t n, d;
  rlz_elt xelt;
  bool xbe;
  int sndim;
  int64_t sdims[RLZ_MAX_DIMS];
  rlz_elt yelt;
  bool ybe;
  int64_t ydim; /* Y elements per sample (1 for labels) */
  int64_t k;    /* classes, 0 = regression */
  int64_t max_label;
  int channel_axis; /* -1: one channel */
  richeta_norm norm;
  double *nmean, *ninv; /* expanded to d entries, NULL when norm is none */
  double *gmean, *gstd; /* as given or computed, ncount entries */
  int64_t ncount;
};

/* Sample i: part, row pointers. i must be in [0, n). */
const rlz_part *rlz_ds_part(const richeta_dataset *ds, int64_t i);
int64_t rlz_ds_label(const richeta_dataset *ds, int64_t i);
int64_t rlz_ds_channels(const richeta_dataset *ds);
/* Channel of feature j (0 when one channel). */
int64_t rlz_ds_channel_of(const richeta_dataset *ds, int64_t j);

/* Raw value of input coordinate j of a sample row (8-bit fast path). */
static inline double rlz_ds_xval(const richeta_dataset *ds, const uint8_t *row, int64_t j) {
  if (ds->xelt == RLZ_ELT_U8)
    return (double)row[j];
  return rlz_elt_load(row, ds->xelt, ds->xbe, j);
}

static inline const uint8_t *rlz_ds_xrow(const richeta_dataset *ds, int64_t i) {
  const rlz_part *p = rlz_ds_part(ds, i);
  return p->x + (size_t)(i - p->start) * p->x_stride;
}

#endif
