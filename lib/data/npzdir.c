/* Chunked NPZ directories (npzdir:DIR), as CIFAR-5M ships: PREFIXpart0.npz,
 * PREFIXpart1.npz, ... each holding inputs X [n, ...] and targets Y. Opening
 * reads, part by part, only the zip directory, the NPY header of X and the
 * targets (checked as for any file); the inputs of ONE part at a time become
 * resident when a fill needs them (read whole or mapped, by the memory
 * budget) and are released when a sample of another part is asked for, so a
 * pass over the directory never holds two parts. */
#include "dataset_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RLZ_NPZDIR_MAX_PARTS 100000
/* Bytes of X.npy read to parse its header: any version-1 header (numpy
 * writes version 1 unless the header exceeds 64 KiB). */
#define RLZ_NPY_PEEK (65536 + 16)

/* K of a name PREFIXpartK.npz (K in decimal without leading zeros) and the
 * prefix length in *plen; -1 when the name is not a part's. */
static long part_index(const char *name, size_t *plen) {
  size_t n = strlen(name);
  if (n < 9 || strcmp(name + n - 4, ".npz") != 0)
    return -1;
  size_t end = n - 4, d = end;
  while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
    d--;
  if (d == end || end - d > 6 || d < 4 || memcmp(name + d - 4, "part", 4) != 0)
    return -1;
  if (name[d] == '0' && end - d > 1)
    return -1;
  *plen = d - 4;
  return strtol(name + d, NULL, 10);
}

/* The part files of dir: indices 0..count-1, every one present, one
 * prefix; their paths go to z->files. */
static richeta_status list_parts(richeta_dataset *ds, rlz_npzdir *z, const char *dir,
                                 int64_t max_parts) {
  rlz_err *e = &ds->err;
  DIR *d = opendir(dir);
  if (!d)
    return rlz_fail(e, RICHETA_ERR_IO, "npzdir %s: cannot open the directory: %s", dir,
                    strerror(errno));
  uint8_t *seen = rlz_calloc(&ds->alloc, RLZ_NPZDIR_MAX_PARTS / 8 + 1, 1);
  if (!seen) {
    closedir(d);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "npzdir %s: out of memory", dir);
  }
  char prefix[256] = "", first[256] = "";
  bool have_prefix = false;
  long count = 0, top = -1;
  richeta_status st = RICHETA_OK;
  struct dirent *ent;
  while (st == RICHETA_OK && (ent = readdir(d)) != NULL) {
    size_t plen = 0;
    long k = part_index(ent->d_name, &plen);
    if (k < 0 || plen >= sizeof prefix)
      continue;
    if (k >= RLZ_NPZDIR_MAX_PARTS) {
      st = rlz_fail(e, RICHETA_ERR_RANGE, "npzdir %s: %s: at most %d parts", dir, ent->d_name,
                    RLZ_NPZDIR_MAX_PARTS);
      break;
    }
    if (!have_prefix) {
      memcpy(prefix, ent->d_name, plen);
      prefix[plen] = '\0';
      snprintf(first, sizeof first, "%s", ent->d_name);
      have_prefix = true;
    } else if (strlen(prefix) != plen || memcmp(prefix, ent->d_name, plen) != 0) {
      st = rlz_fail(e, RICHETA_ERR_FORMAT,
                    "npzdir %s: part files with two prefixes ('%s' and '%s'): keep one set of "
                    "parts per directory",
                    dir, first, ent->d_name);
      break;
    }
    seen[k / 8] |= (uint8_t)(1u << (k % 8));
    count++;
    if (k > top)
      top = k;
  }
  closedir(d);
  if (st == RICHETA_OK && count == 0)
    st = rlz_fail(e, RICHETA_ERR_IO,
                  "npzdir %s: no part files in the directory (expected part0.npz, part1.npz, "
                  "... or PREFIXpart0.npz, ...)",
                  dir);
  long use = max_parts > 0 ? (long)max_parts : count;
  if (st == RICHETA_OK && max_parts > top + 1)
    st = rlz_fail(e, RICHETA_ERR_IO,
                  "npzdir %s: parts=%lld but the part files are numbered up to %ld", dir,
                  (long long)max_parts, top);
  for (long k = 0; st == RICHETA_OK && k < use; k++)
    if (!(seen[k / 8] & (1u << (k % 8))))
      st = rlz_fail(e, RICHETA_ERR_IO,
                    "npzdir %s: %spart%ld.npz is missing (%ld part files found, numbered up to "
                    "%ld)",
                    dir, prefix, k, count, top);
  rlz_free(&ds->alloc, seen);
  if (st != RICHETA_OK)
    return st;
  z->files = rlz_calloc(&ds->alloc, (size_t)use, sizeof *z->files);
  if (!z->files)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "npzdir %s: out of memory", dir);
  z->nfiles = (int)use;
  for (long k = 0; k < use; k++) {
    size_t len = strlen(dir) + strlen(prefix) + 24;
    z->files[k].path = rlz_malloc(&ds->alloc, len);
    if (!z->files[k].path)
      return rlz_fail(e, RICHETA_ERR_NOMEM, "npzdir %s: out of memory", dir);
    snprintf(z->files[k].path, len, "%s/%spart%ld.npz", dir, prefix, k);
  }
  return RICHETA_OK;
}

/* Check part k's header and targets against the first part's; record its
 * sample range. Nothing stays resident. */
static richeta_status scan_part(richeta_dataset *ds, rlz_npzdir *z, int k, uint8_t *peek,
                                const char *xkey, const char *ykey) {
  rlz_err *e = &ds->err;
  rlz_npzdir_file *f = &z->files[k];
  rlz_buf zb, yb;
  memset(&yb, 0, sizeof yb);
  richeta_status st = rlz_buf_read_file(&zb, &ds->alloc, e, f->path, 0); /* mapped: lazy */
  if (st != RICHETA_OK)
    return st;
  if (k == 0) {
    if (!xkey)
      rlz_npz_default_keys(f->path, zb.data, zb.len, &xkey, &ykey);
    snprintf(z->xmember, sizeof z->xmember, "%s.npy", xkey);
    snprintf(z->ymember, sizeof z->ymember, "%s.npy", ykey);
  }
  char xname[600], yname[600];
  snprintf(xname, sizeof xname, "%s[%s]", f->path, z->xmember);
  snprintf(yname, sizeof yname, "%s[%s]", f->path, z->ymember);
  rlz_zip_member mx, my;
  rlz_array x, y;
  memset(&x, 0, sizeof x);
  memset(&y, 0, sizeof y);
  size_t got = 0, off = 0;
  int64_t ydim = 0;
  st = rlz_zip_find(e, f->path, zb.data, zb.len, z->xmember, &mx);
  if (st == RICHETA_OK)
    st = rlz_zip_peek(&ds->alloc, e, f->path, zb.data, zb.len, z->xmember, &mx, peek, RLZ_NPY_PEEK,
                      &got);
  if (st == RICHETA_OK)
    st = rlz_parse_npy_header(e, xname, peek, got, &x, &off);
  if (st == RICHETA_OK && mx.size != (uint64_t)off + x.nbytes)
    st = rlz_fail(e, RICHETA_ERR_FORMAT,
                  "%s: the header declares %zu data bytes after %zu header bytes, the member "
                  "holds %llu bytes",
                  xname, x.nbytes, off, (unsigned long long)mx.size);
  if (st == RICHETA_OK && x.ndim < 1)
    st = rlz_fail(e, RICHETA_ERR_FORMAT, "%s: inputs are a scalar, not samples", xname);
  if (st == RICHETA_OK)
    st = rlz_zip_find(e, f->path, zb.data, zb.len, z->ymember, &my);
  if (st == RICHETA_OK)
    st = rlz_zip_extract(&yb, &ds->alloc, e, f->path, zb.data, zb.len, z->ymember, &my, z->budget);
  if (st == RICHETA_OK)
    st = rlz_parse_npy_mem(e, yname, yb.data, yb.len, &y);
  if (st == RICHETA_OK)
    st = rlz_ds_check_targets(ds, yname, x.dims[0], &y, &ydim);
  if (st == RICHETA_OK)
    st = rlz_ds_check_layout(ds, f->path, x.elt, false, x.ndim - 1, x.dims + 1, y.elt, false, ydim);
  if (st == RICHETA_OK && x.dims[0] > INT64_MAX - ds->n)
    st = rlz_fail(e, RICHETA_ERR_OVERFLOW, "%s: total sample count overflows", f->path);
  if (st == RICHETA_OK) {
    f->start = ds->n;
    f->n = x.dims[0];
    ds->n += f->n;
  }
  rlz_buf_release(&yb, &ds->alloc);
  rlz_buf_release(&zb, &ds->alloc);
  return st;
}

/* The held-out file must not be one of the training parts. */
static richeta_status check_test_apart(richeta_dataset *ds, const rlz_npzdir *z, const char *test) {
  struct stat ts, ps;
  if (!test || stat(test, &ts) != 0)
    return RICHETA_OK; /* the stream reports a missing held-out file when it opens it */
  for (int k = 0; k < z->nfiles; k++)
    if (stat(z->files[k].path, &ps) == 0 && ps.st_dev == ts.st_dev && ps.st_ino == ts.st_ino)
      return rlz_fail(&ds->err, RICHETA_ERR_INVALID,
                      "npzdir: the held-out file %s is training part %s (hold parts out with "
                      "parts=K: the first K parts train)",
                      test, z->files[k].path);
  return RICHETA_OK;
}

richeta_status rlz_npzdir_open(richeta_dataset *ds, const char *dir, const char *xkey,
                               const char *ykey, uint64_t budget, int64_t max_parts,
                               const char *test) {
  rlz_npzdir *z = rlz_calloc(&ds->alloc, 1, sizeof *z);
  if (!z)
    return rlz_fail(&ds->err, RICHETA_ERR_NOMEM, "npzdir %s: out of memory", dir);
  if (pthread_mutex_init(&z->mu, NULL) != 0) {
    rlz_free(&ds->alloc, z);
    return rlz_fail(&ds->err, RICHETA_ERR_NOMEM, "npzdir %s: cannot create a lock", dir);
  }
  z->resident = -1;
  z->budget = budget;
  ds->dir = z;
  richeta_status st = list_parts(ds, z, dir, max_parts);
  if (st == RICHETA_OK)
    st = check_test_apart(ds, z, test);
  if (st != RICHETA_OK)
    return st;
  uint8_t *peek = rlz_malloc(&ds->alloc, RLZ_NPY_PEEK);
  if (!peek)
    return rlz_fail(&ds->err, RICHETA_ERR_NOMEM, "npzdir %s: out of memory", dir);
  for (int k = 0; st == RICHETA_OK && k < z->nfiles; k++)
    st = scan_part(ds, z, k, peek, xkey, ykey);
  rlz_free(&ds->alloc, peek);
  if (st != RICHETA_OK)
    return st;
  z->sndim = ds->sndim;
  memcpy(z->sdims, ds->sdims, sizeof z->sdims);
  return RICHETA_OK;
}

static void release_resident(const richeta_dataset *ds, rlz_npzdir *z) {
  rlz_buf_release(&z->ybuf, &ds->alloc);
  rlz_buf_release(&z->xbuf, &ds->alloc);
  rlz_buf_release(&z->zbuf, &ds->alloc);
  memset(&z->part, 0, sizeof z->part);
  z->resident = -1;
}

void rlz_npzdir_free(richeta_dataset *ds) {
  rlz_npzdir *z = ds->dir;
  if (!z)
    return;
  release_resident(ds, z);
  for (int k = 0; k < z->nfiles; k++)
    rlz_free(&ds->alloc, z->files[k].path);
  rlz_free(&ds->alloc, z->files);
  pthread_mutex_destroy(&z->mu);
  rlz_free(&ds->alloc, z);
  ds->dir = NULL;
}

/* A member of the resident zip, parsed; the part must still match what
 * opening found. */
static richeta_status load_member(const richeta_dataset *ds, rlz_npzdir *z, rlz_err *e,
                                  const rlz_npzdir_file *f, const char *member, rlz_buf *b,
                                  rlz_array *out) {
  rlz_zip_member m;
  richeta_status st = rlz_zip_find(e, f->path, z->zbuf.data, z->zbuf.len, member, &m);
  if (st == RICHETA_OK)
    st = rlz_zip_extract(b, &ds->alloc, e, f->path, z->zbuf.data, z->zbuf.len, member, &m,
                         z->budget);
  if (st != RICHETA_OK)
    return st;
  char name[600];
  snprintf(name, sizeof name, "%s[%s]", f->path, member);
  st = rlz_parse_npy_mem(e, name, b->data, b->len, out);
  if (st == RICHETA_OK && (out->ndim < 1 || out->dims[0] != f->n))
    st = rlz_fail(e, RICHETA_ERR_MISMATCH,
                  "%s: changed since the data set was opened (%lld samples then, %lld now)", name,
                  (long long)f->n, out->ndim < 1 ? 0LL : (long long)out->dims[0]);
  return st;
}

static richeta_status load_part(const richeta_dataset *ds, rlz_npzdir *z, rlz_err *e, int k) {
  release_resident(ds, z);
  const rlz_npzdir_file *f = &z->files[k];
  rlz_array x, y;
  memset(&x, 0, sizeof x);
  memset(&y, 0, sizeof y);
  richeta_status st = rlz_buf_read_file(&z->zbuf, &ds->alloc, e, f->path, z->budget);
  if (st == RICHETA_OK)
    st = load_member(ds, z, e, f, z->xmember, &z->xbuf, &x);
  if (st == RICHETA_OK && (x.elt != ds->xelt || x.ndim - 1 != z->sndim ||
                           memcmp(x.dims + 1, z->sdims, sizeof(int64_t) * (size_t)z->sndim)))
    st = rlz_fail(e, RICHETA_ERR_MISMATCH,
                  "%s: the sample shape or type of %s changed since the data set was opened",
                  f->path, z->xmember);
  if (st == RICHETA_OK)
    st = load_member(ds, z, e, f, z->ymember, &z->ybuf, &y);
  if (st == RICHETA_OK && (y.elt != ds->yelt || y.count != f->n * ds->ydim))
    st = rlz_fail(e, RICHETA_ERR_MISMATCH,
                  "%s: the targets in %s changed since the data set was opened", f->path,
                  z->ymember);
  for (int64_t i = 0; st == RICHETA_OK && ds->k > 0 && i < f->n; i++) {
    double v = rlz_elt_load(y.data, y.elt, y.big_endian, i);
    if (v < 0 || v >= (double)ds->k)
      st = rlz_fail(e, RICHETA_ERR_RANGE,
                    "%s[%s]: label of sample %lld is %.0f, outside the %lld classes found when "
                    "the data set was opened",
                    f->path, z->ymember, (long long)i, v, (long long)ds->k);
  }
  if (st != RICHETA_OK) {
    release_resident(ds, z);
    return st;
  }
  z->part.start = f->start;
  z->part.n = f->n;
  z->part.x = x.data;
  z->part.x_stride = x.nbytes / (size_t)f->n;
  z->part.y = y.data;
  z->part.y_stride = y.nbytes / (size_t)f->n;
  z->resident = k;
  z->loads++;
  return RICHETA_OK;
}

void rlz_ds_lock(const richeta_dataset *ds) {
  if (ds->dir)
    pthread_mutex_lock(&ds->dir->mu);
}

void rlz_ds_unlock(const richeta_dataset *ds) {
  if (ds->dir)
    pthread_mutex_unlock(&ds->dir->mu);
}

richeta_status rlz_ds_need(const richeta_dataset *ds, rlz_err *e, int64_t i) {
  rlz_npzdir *z = ds->dir;
  if (!z || (z->resident >= 0 && i >= z->part.start && i - z->part.start < z->part.n))
    return RICHETA_OK;
  int lo = 0, hi = z->nfiles - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (z->files[mid].start <= i)
      lo = mid;
    else
      hi = mid - 1;
  }
  return load_part(ds, z, e, lo);
}

int64_t rlz_ds_stats_samples(const richeta_dataset *ds) {
  return ds->dir ? ds->dir->files[0].n : ds->n;
}
