/* Layout of a data set, shared by dataset.c (opening), norm.c and fill.c. */
#ifndef RLZ_DATA_DATASET_PRIV_H
#define RLZ_DATA_DATASET_PRIV_H

#include "data_internal.h"
#include "parse_priv.h"

#include <pthread.h>

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

typedef struct rlz_npzdir rlz_npzdir;

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
  /* where max_label first occurs (file, sample within it), so a class count
   * that does not cover it can be reported against the sample */
  char max_label_file[640];
  int64_t max_label_sample;
  int channel_axis; /* -1: one channel */
  richeta_norm norm;
  double *nmean, *ninv; /* expanded to d entries, NULL when norm is none */
  double *gmean, *gstd; /* as given or computed, ncount entries */
  int64_t ncount;
  /* layout=hwc: samples stored H x W x C are presented as C x H x W (sdims
   * is the presented shape): pixels = H * W, channels = C; both 0 otherwise */
  int64_t hwc_pixels, hwc_channels;
  rlz_npzdir *dir; /* npzdir: form, parts read one at a time; NULL otherwise */
};

/* A chunked NPZ directory (npzdir.c): the parts' paths and sample ranges,
 * found when the data set is opened, and the one part resident at a time. */
typedef struct rlz_npzdir_file {
  char *path;
  int64_t start, n;
} rlz_npzdir_file;

struct rlz_npzdir {
  rlz_npzdir_file *files;
  int nfiles;
  char xmember[208], ymember[208]; /* "X.npy", "Y.npy" */
  uint64_t budget;
  int sndim; /* stored per-sample shape (before any layout) */
  int64_t sdims[RLZ_MAX_DIMS];
  /* the resident part, guarded by mu (fills take the lock for their whole
   * call, so a part is never released under a reader) */
  pthread_mutex_t mu;
  int resident; /* index into files, -1 when none */
  rlz_part part;
  rlz_buf zbuf, xbuf, ybuf;
  int64_t loads; /* parts made resident so far (tests) */
};

/* Record the per-sample layout of the first file, check later ones
 * against it (MISMATCH naming the file and both shapes). */
richeta_status rlz_ds_check_layout(richeta_dataset *ds, const char *name, rlz_elt xelt, bool xbe,
                                   int sndim, const int64_t *sdims, rlz_elt yelt, bool ybe,
                                   int64_t ydim);
/* Check the targets of a file against its n inputs: integer labels one per
 * sample in range (raising max_label), or float regression values; *ydim
 * receives the target values per sample. */
richeta_status rlz_ds_check_targets(richeta_dataset *ds, const char *name, int64_t n,
                                    const rlz_array *y, int64_t *ydim);
/* Record label v of sample i of file `name` (raising max_label). */
void rlz_ds_note_label(richeta_dataset *ds, const char *name, int64_t i, int64_t v);

/* Default NPZ keys: x/y when x.npy is a member, else X/Y when X.npy is,
 * else numpy's positional arr_0/arr_1. */
void rlz_npz_default_keys(const char *path, const uint8_t *buf, size_t len, const char **xkey,
                          const char **ykey);

/* --- npzdir.c --- */
/* Find the parts of directory `dir` (the first max_parts, 0: all) and
 * check their headers and targets (keys NULL: x/y, else X/Y, else
 * arr_0/arr_1, from part 0); test (may be NULL) is the held-out file,
 * which must not be one of the parts. */
richeta_status rlz_npzdir_open(richeta_dataset *ds, const char *dir, const char *xkey,
                               const char *ykey, uint64_t budget, int64_t max_parts,
                               const char *test);
void rlz_npzdir_free(richeta_dataset *ds);
/* Fills of a streamed set hold its lock; no-ops for other sets. */
void rlz_ds_lock(const richeta_dataset *ds);
void rlz_ds_unlock(const richeta_dataset *ds);
/* Make the part holding sample i resident (releasing the previous one);
 * under the lock. No-op for other sets. Errors go to e (NULL: thread). */
richeta_status rlz_ds_need(const richeta_dataset *ds, rlz_err *e, int64_t i);
/* Samples statistics are computed on: all of them, or a streamed set's
 * first part (made resident by rlz_ds_need(ds, e, 0)). */
int64_t rlz_ds_stats_samples(const richeta_dataset *ds);

/* Sample i: part, row pointers. i must be in [0, n) (and resident). */
const rlz_part *rlz_ds_part(const richeta_dataset *ds, int64_t i);
int64_t rlz_ds_label(const richeta_dataset *ds, int64_t i);
int64_t rlz_ds_channels(const richeta_dataset *ds);
/* Channel of feature j (0 when one channel). */
int64_t rlz_ds_channel_of(const richeta_dataset *ds, int64_t j);

/* Stored element of presented input coordinate j (layout=hwc permutes). */
static inline int64_t rlz_ds_src(const richeta_dataset *ds, int64_t j) {
  if (!ds->hwc_pixels)
    return j;
  return (j % ds->hwc_pixels) * ds->hwc_channels + j / ds->hwc_pixels;
}

/* Raw value of stored element j of a sample row (8-bit fast path). */
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
