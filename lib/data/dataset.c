/* Opening data sets from spec strings: file loading, cross-file checks,
 * labels, and the simple getters. */
#include "dataset_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RLZ_SPEC_MAX 4096
#define RLZ_DEFAULT_BUDGET (1ULL << 30)
#define RLZ_FASHION_DIR "/usr/share/datasets/fashion-mnist"

static richeta_status keep_buf(richeta_dataset *ds, rlz_buf *b) {
  if (ds->nbufs >= (int)(sizeof ds->bufs / sizeof ds->bufs[0])) {
    rlz_buf_release(b, &ds->alloc);
    return rlz_fail(&ds->err, RICHETA_ERR_RANGE, "too many files (at most %d)", RLZ_DS_MAX_FILES);
  }
  ds->bufs[ds->nbufs++] = *b;
  return RICHETA_OK;
}

static richeta_status load_idx(richeta_dataset *ds, const char *path, uint64_t budget,
                               rlz_array *out) {
  rlz_buf b;
  richeta_status st = rlz_file_is_gzip(path)
                          ? rlz_idx_read_gz(&b, &ds->alloc, &ds->err, path, budget)
                          : rlz_buf_read_file(&b, &ds->alloc, &ds->err, path, budget);
  if (st != RICHETA_OK)
    return st;
  st = keep_buf(ds, &b);
  if (st != RICHETA_OK)
    return st;
  return rlz_parse_idx_mem(&ds->err, path, b.data, b.len, out);
}

static richeta_status load_npy(richeta_dataset *ds, const char *path, uint64_t budget,
                               rlz_array *out) {
  rlz_buf b;
  richeta_status st = rlz_buf_read_file(&b, &ds->alloc, &ds->err, path, budget);
  if (st != RICHETA_OK)
    return st;
  st = keep_buf(ds, &b);
  if (st != RICHETA_OK)
    return st;
  return rlz_parse_npy_mem(&ds->err, path, b.data, b.len, out);
}

/* "32x32x3 uint8" (scalar samples: "scalar uint8"). */
static void shape_text(char *buf, size_t cap, int ndim, const int64_t *dims, rlz_elt elt) {
  size_t n = 0;
  buf[0] = '\0';
  for (int k = 0; k < ndim && n < cap; k++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", k ? "x" : "", (long long)dims[k]);
  if (n < cap)
    snprintf(buf + n, cap - n, "%s%s", ndim ? " " : "scalar ", rlz_elt_name(elt));
}

richeta_status rlz_ds_check_layout(richeta_dataset *ds, const char *name, rlz_elt xelt, bool xbe,
                                   int sndim, const int64_t *sdims, rlz_elt yelt, bool ybe,
                                   int64_t ydim) {
  if (ds->xelt == RLZ_ELT_NONE) { /* the first file */
    ds->xelt = xelt;
    ds->xbe = xbe;
    ds->sndim = sndim;
    memcpy(ds->sdims, sdims, sizeof(int64_t) * (size_t)sndim);
    ds->yelt = yelt;
    ds->ybe = ybe;
    ds->ydim = ydim;
    int64_t d = 1;
    for (int k = 0; k < sndim; k++)
      d *= sdims[k]; /* bounded by the file size already checked */
    ds->d = d;
    return RICHETA_OK;
  }
  bool same = ds->xelt == xelt && ds->xbe == xbe && ds->sndim == sndim && ds->yelt == yelt &&
              ds->ybe == ybe && ds->ydim == ydim &&
              memcmp(ds->sdims, sdims, sizeof(int64_t) * (size_t)sndim) == 0;
  if (!same) {
    char here[160], first[160];
    shape_text(here, sizeof here, sndim, sdims, xelt);
    shape_text(first, sizeof first, ds->sndim, ds->sdims, ds->xelt);
    return rlz_fail(&ds->err, RICHETA_ERR_MISMATCH,
                    "%s: sample shape or type differs from the first file (samples %s with %lld "
                    "%s targets each; the first file has %s with %lld %s)",
                    name, here, (long long)ydim, rlz_elt_name(yelt), first, (long long)ds->ydim,
                    rlz_elt_name(ds->yelt));
  }
  return RICHETA_OK;
}

static richeta_status add_part(richeta_dataset *ds, const char *name, int64_t n, const uint8_t *x,
                               size_t xs, const uint8_t *y, size_t ys) {
  if (ds->nparts >= RLZ_DS_MAX_FILES)
    return rlz_fail(&ds->err, RICHETA_ERR_RANGE, "%s: too many files (at most %d)", name,
                    RLZ_DS_MAX_FILES);
  int64_t start = ds->n;
  if (n > INT64_MAX - start)
    return rlz_fail(&ds->err, RICHETA_ERR_OVERFLOW, "%s: total sample count overflows", name);
  rlz_part *p = &ds->parts[ds->nparts++];
  p->start = start;
  p->n = n;
  p->x = x;
  p->x_stride = xs;
  p->y = y;
  p->y_stride = ys;
  ds->n = start + n;
  return RICHETA_OK;
}

richeta_status rlz_ds_check_targets(richeta_dataset *ds, const char *name, int64_t n,
                                    const rlz_array *y, int64_t *ydim) {
  if (y->ndim < 1)
    return rlz_fail(&ds->err, RICHETA_ERR_FORMAT, "%s: targets are a scalar, not samples", name);
  if (y->dims[0] != n)
    return rlz_fail(&ds->err, RICHETA_ERR_MISMATCH, "%s: %lld input samples but %lld targets", name,
                    (long long)n, (long long)y->dims[0]);
  *ydim = y->count / n;
  if (rlz_elt_is_float(y->elt))
    return RICHETA_OK;
  if (*ydim != 1)
    return rlz_fail(&ds->err, RICHETA_ERR_UNSUPPORTED,
                    "%s: integer targets must be one class label per sample (got %lld per "
                    "sample)",
                    name, (long long)*ydim);
  for (int64_t i = 0; i < n; i++) {
    double v = rlz_elt_load(y->data, y->elt, y->big_endian, i);
    if (v < 0 || v >= RLZ_DS_MAX_CLASSES)
      return rlz_fail(&ds->err, RICHETA_ERR_RANGE,
                      "%s: label of sample %lld is %.0f (labels must be 0..%d)", name, (long long)i,
                      v, RLZ_DS_MAX_CLASSES - 1);
    rlz_ds_note_label(ds, name, i, (int64_t)v);
  }
  return RICHETA_OK;
}

void rlz_ds_note_label(richeta_dataset *ds, const char *name, int64_t i, int64_t v) {
  if (v <= ds->max_label)
    return;
  ds->max_label = v;
  snprintf(ds->max_label_file, sizeof ds->max_label_file, "%s", name);
  ds->max_label_sample = i;
}

richeta_status rlz_dataset_check_classes(const richeta_dataset *ds, rlz_err *e, int64_t k) {
  if (ds->max_label < k)
    return RICHETA_OK;
  return rlz_fail(e, RICHETA_ERR_RANGE,
                  "%s: sample %lld has label %lld, outside the %lld classes configured (labels "
                  "0..%lld)",
                  ds->max_label_file, (long long)ds->max_label_sample, (long long)ds->max_label,
                  (long long)k, (long long)k - 1);
}

/* Inputs X (N, ...) and targets Y (N) / (N, 1) integer labels or (N, ...)
 * float regression values. */
static richeta_status add_xy(richeta_dataset *ds, const char *name, const char *yname,
                             const rlz_array *x, const rlz_array *y) {
  if (x->ndim < 1)
    return rlz_fail(&ds->err, RICHETA_ERR_FORMAT, "%s: inputs are a scalar, not samples", name);
  int64_t n = x->dims[0], ydim = 0;
  richeta_status st = rlz_ds_check_targets(ds, yname, n, y, &ydim);
  if (st == RICHETA_OK)
    st = rlz_ds_check_layout(ds, name, x->elt, x->big_endian, x->ndim - 1, x->dims + 1, y->elt,
                             y->big_endian, ydim);
  if (st != RICHETA_OK)
    return st;
  return add_part(ds, name, n, x->data, x->nbytes / (size_t)n, y->data, y->nbytes / (size_t)n);
}

static richeta_status load_cifar(richeta_dataset *ds, const char *path, uint64_t budget) {
  rlz_buf b;
  richeta_status st = rlz_buf_read_file(&b, &ds->alloc, &ds->err, path, budget);
  if (st != RICHETA_OK)
    return st;
  st = keep_buf(ds, &b);
  if (st != RICHETA_OK)
    return st;
  int64_t n;
  st = rlz_parse_cifar_mem(&ds->err, path, b.data, b.len, &n);
  if (st != RICHETA_OK)
    return st;
  static const int64_t dims[3] = {3, 32, 32};
  st = rlz_ds_check_layout(ds, path, RLZ_ELT_U8, false, 3, dims, RLZ_ELT_U8, false, 1);
  if (st != RICHETA_OK)
    return st;
  for (int64_t i = 0; i < n; i++)
    rlz_ds_note_label(ds, path, i, b.data[(size_t)i * RLZ_CIFAR_RECORD]);
  return add_part(ds, path, n, b.data + 1, RLZ_CIFAR_RECORD, b.data, RLZ_CIFAR_RECORD);
}

static richeta_status npz_member(richeta_dataset *ds, const rlz_buf *zb, const char *path,
                                 const char *key, uint64_t budget, rlz_array *out) {
  char member[300];
  snprintf(member, sizeof member, "%s.npy", key);
  rlz_zip_member m;
  richeta_status st = rlz_zip_find(&ds->err, path, zb->data, zb->len, member, &m);
  if (st != RICHETA_OK)
    return st;
  rlz_buf b;
  st = rlz_zip_extract(&b, &ds->alloc, &ds->err, path, zb->data, zb->len, member, &m, budget);
  if (st != RICHETA_OK)
    return st;
  st = keep_buf(ds, &b);
  if (st != RICHETA_OK)
    return st;
  char name[600];
  snprintf(name, sizeof name, "%s[%s]", path, member);
  st = rlz_parse_npy_mem(&ds->err, name, b.data, b.len, out);
  if (st != RICHETA_OK) /* the message names the member; copy it to the thread too */
    return st;
  return RICHETA_OK;
}

void rlz_npz_default_keys(const char *path, const uint8_t *buf, size_t len, const char **xkey,
                          const char **ykey) {
  static const char *const keys[3][2] = {{"x", "y"}, {"X", "Y"}, {"arr_0", "arr_1"}};
  int k = 0;
  for (; k < 2; k++) {
    char member[8];
    snprintf(member, sizeof member, "%s.npy", keys[k][0]);
    rlz_zip_member m;
    rlz_err scratch;
    rlz_zip_find(&scratch, path, buf, len, member, &m);
    if (m.found)
      break;
  }
  *xkey = keys[k][0];
  *ykey = keys[k][1];
}

static richeta_status load_npz(richeta_dataset *ds, const char *path, const char *xkey,
                               const char *ykey, uint64_t budget) {
  rlz_buf zb;
  richeta_status st = rlz_buf_read_file(&zb, &ds->alloc, &ds->err, path, budget);
  if (st != RICHETA_OK)
    return st;
  st = keep_buf(ds, &zb);
  if (st != RICHETA_OK)
    return st;
  if (!xkey)
    rlz_npz_default_keys(path, zb.data, zb.len, &xkey, &ykey);
  rlz_array x, y;
  st = npz_member(ds, &zb, path, xkey, budget, &x);
  if (st == RICHETA_OK)
    st = npz_member(ds, &zb, path, ykey, budget, &y);
  if (st != RICHETA_OK)
    return st;
  char yname[600];
  snprintf(yname, sizeof yname, "%s[%s.npy]", path, ykey);
  return add_xy(ds, path, yname, &x, &y);
}

static richeta_status parse_budget(rlz_err *e, const char *v, uint64_t *out) {
  char *end = NULL;
  if (*v < '0' || *v > '9')
    return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: bad budget '%s'", v);
  unsigned long long b = strtoull(v, &end, 10);
  unsigned shift = 0;
  if (*end == 'K' || *end == 'k')
    shift = 10;
  else if (*end == 'M' || *end == 'm')
    shift = 20;
  else if (*end == 'G' || *end == 'g')
    shift = 30;
  if (shift)
    end++;
  if (*end != '\0' || (shift && b > (UINT64_MAX >> shift)))
    return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: bad budget '%s'", v);
  *out = (uint64_t)b << shift;
  return RICHETA_OK;
}

/* Split s at separators into at most cap fields (in place). */
static int split(char *s, char sep, char **fields, int cap) {
  int n = 0;
  for (;;) {
    if (n == cap)
      return cap + 1;
    fields[n++] = s;
    char *q = strchr(s, sep);
    if (!q)
      return n;
    *q = '\0';
    s = q + 1;
  }
}

/* Options after '?' (see richeta_dataset_open()). */
typedef struct spec_opts {
  uint64_t budget;
  const char *dir;  /* fashion-mnist */
  bool hwc;         /* layout=hwc */
  const char *test; /* test=...: the held-out split of file streams, or NULL */
  int64_t parts;    /* npzdir: parts=K (0: all) */
} spec_opts;

static richeta_status parse_options(rlz_err *e, char *q, spec_opts *o) {
  char *opts[16];
  int no = split(q, '&', opts, 16);
  if (no > 16)
    return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: too many options");
  for (int i = 0; i < no; i++) {
    char *eq = strchr(opts[i], '=');
    if (!eq)
      return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: option '%s' lacks '='", opts[i]);
    *eq = '\0';
    const char *v = eq + 1;
    if (strcmp(opts[i], "budget") == 0) {
      richeta_status st = parse_budget(e, v, &o->budget);
      if (st != RICHETA_OK)
        return st;
    } else if (strcmp(opts[i], "dir") == 0) {
      o->dir = v;
    } else if (strcmp(opts[i], "layout") == 0) {
      if (strcmp(v, "hwc") != 0 && strcmp(v, "chw") != 0)
        return rlz_fail(e, RICHETA_ERR_INVALID,
                        "data spec: layout '%s' (expected hwc: stored H x W x C, presented as "
                        "C x H x W; or chw: as stored)",
                        v);
      o->hwc = v[0] == 'h';
    } else if (strcmp(opts[i], "test") == 0) {
      if (!*v)
        return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: test= names no file");
      o->test = v;
    } else if (strcmp(opts[i], "parts") == 0) {
      char *end = NULL;
      long long k = *v >= '1' && *v <= '9' ? strtoll(v, &end, 10) : 0;
      if (k < 1 || k > 100000 || *end != '\0')
        return rlz_fail(e, RICHETA_ERR_INVALID,
                        "data spec: parts '%s' (expected a count of parts, 1 to 100000)", v);
      o->parts = k;
    } else {
      return rlz_fail(e, RICHETA_ERR_INVALID,
                      "data spec: unknown option '%s' (budget, dir, layout, parts, test)", opts[i]);
    }
  }
  return RICHETA_OK;
}

static richeta_status open_spec(richeta_dataset *ds, char *spec, spec_opts *o) {
  rlz_err *e = &ds->err;
  o->budget = RLZ_DEFAULT_BUDGET;
  o->dir = RLZ_FASHION_DIR;
  uint64_t budget;
  const char *dir;
  char *q = strchr(spec, '?');
  if (q) {
    *q = '\0';
    richeta_status st = parse_options(e, q + 1, o);
    if (st != RICHETA_OK)
      return st;
  }
  budget = o->budget;
  dir = o->dir;
  char *colon = strchr(spec, ':');
  const char *kind = spec;
  char *rest = colon ? colon + 1 : NULL;
  if (colon)
    *colon = '\0';
  if (strcmp(kind, "fashion-mnist") == 0) {
    if (o->test || o->parts)
      return rlz_fail(e, RICHETA_ERR_INVALID,
                      "data spec: fashion-mnist takes neither test= (its held-out split is "
                      "fashion-mnist:test) nor parts=");
    const char *split_name = rest ? rest : "train";
    const char *prefix;
    if (strcmp(split_name, "train") == 0)
      prefix = "train";
    else if (strcmp(split_name, "test") == 0)
      prefix = "t10k";
    else
      return rlz_fail(e, RICHETA_ERR_INVALID,
                      "data spec: fashion-mnist split '%s' (expected train or test)", split_name);
    char img[1200], lab[1200];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    rlz_array x, y;
    richeta_status st = load_idx(ds, img, budget, &x);
    if (st == RICHETA_OK)
      st = load_idx(ds, lab, budget, &y);
    if (st == RICHETA_OK)
      st = add_xy(ds, img, lab, &x, &y);
    if (st == RICHETA_OK)
      st = rlz_dataset_check_classes(ds, e, 10); /* Fashion-MNIST has 10 */
    if (st != RICHETA_OK)
      return st;
    ds->k = 10;
    return RICHETA_OK;
  }
  static const char *const kinds[] = {"idx", "npy", "cifar10", "npz", "npzdir"};
  bool known = false;
  for (int i = 0; i < 5; i++)
    known |= strcmp(kind, kinds[i]) == 0;
  if (!known)
    return rlz_fail(e, RICHETA_ERR_INVALID,
                    "data spec: unknown kind '%s' (fashion-mnist, idx, cifar10, npy, npz, npzdir)",
                    kind);
  if (o->parts && strcmp(kind, "npzdir") != 0)
    return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: parts= applies to npzdir only");
  if (!rest || !*rest)
    return rlz_fail(e, RICHETA_ERR_INVALID,
                    "data spec '%s': expected fashion-mnist[:train|:test], idx:IMAGES,LABELS, "
                    "cifar10:FILE[;FILE...], npy:X.npy,Y.npy, npz:FILE.npz[,XKEY,YKEY] or "
                    "npzdir:DIR[,XKEY,YKEY]",
                    kind);
  if (strcmp(kind, "idx") == 0 || strcmp(kind, "npy") == 0) {
    char *f[2];
    if (split(rest, ',', f, 2) != 2 || !*f[0] || !*f[1])
      return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: %s needs two files: %s:X,Y", kind, kind);
    rlz_array x, y;
    bool idx = kind[1] == 'd';
    richeta_status st = idx ? load_idx(ds, f[0], budget, &x) : load_npy(ds, f[0], budget, &x);
    if (st == RICHETA_OK)
      st = idx ? load_idx(ds, f[1], budget, &y) : load_npy(ds, f[1], budget, &y);
    if (st == RICHETA_OK)
      st = add_xy(ds, f[0], f[1], &x, &y);
    return st;
  }
  if (strcmp(kind, "cifar10") == 0) {
    char *f[RLZ_DS_MAX_FILES];
    int nf = split(rest, ';', f, RLZ_DS_MAX_FILES);
    if (nf > RLZ_DS_MAX_FILES)
      return rlz_fail(e, RICHETA_ERR_RANGE, "data spec: more than %d files", RLZ_DS_MAX_FILES);
    for (int i = 0; i < nf; i++) {
      if (!*f[i])
        return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: empty file name");
      richeta_status st = load_cifar(ds, f[i], budget);
      if (st != RICHETA_OK)
        return st;
    }
    ds->k = 10;
    return RICHETA_OK;
  }
  if (strcmp(kind, "npz") == 0 || strcmp(kind, "npzdir") == 0) {
    bool is_dir = kind[3] == 'd';
    char *parts[3];
    int np = split(rest, ',', parts, 3);
    if (np != 1 && np != 3)
      return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: %s",
                      is_dir ? "npzdir:DIR[,XKEY,YKEY]" : "npz:FILE[;FILE...][,XKEY,YKEY]");
    if (np == 3 && (!*parts[1] || !*parts[2] || strlen(parts[1]) > 200 || strlen(parts[2]) > 200))
      return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: npz keys must be 1-200 characters");
    if (is_dir)
      return *parts[0] ? rlz_npzdir_open(ds, parts[0], np == 3 ? parts[1] : NULL,
                                         np == 3 ? parts[2] : NULL, budget, o->parts, o->test)
                       : rlz_fail(e, RICHETA_ERR_INVALID, "data spec: npzdir names no directory");
    char *f[RLZ_DS_MAX_FILES];
    int nf = split(parts[0], ';', f, RLZ_DS_MAX_FILES);
    if (nf > RLZ_DS_MAX_FILES)
      return rlz_fail(e, RICHETA_ERR_RANGE, "data spec: more than %d files", RLZ_DS_MAX_FILES);
    for (int i = 0; i < nf; i++) {
      if (!*f[i])
        return rlz_fail(e, RICHETA_ERR_INVALID, "data spec: empty file name");
      richeta_status st =
          load_npz(ds, f[i], np == 3 ? parts[1] : NULL, np == 3 ? parts[2] : NULL, budget);
      if (st != RICHETA_OK)
        return st;
    }
    return RICHETA_OK;
  }
  return rlz_fail(e, RICHETA_ERR_INVALID,
                  "data spec: unknown kind '%s' (fashion-mnist, idx, cifar10, npy, npz, npzdir)",
                  kind);
}

/* layout=hwc: present stored H x W x C samples as C x H x W. */
static richeta_status apply_layout(richeta_dataset *ds, bool cifar) {
  if (cifar)
    return rlz_fail(&ds->err, RICHETA_ERR_INVALID,
                    "data spec: layout=hwc does not apply to CIFAR-10, whose records are CHW "
                    "planes already");
  if (ds->sndim != 3) {
    char shape[160];
    shape_text(shape, sizeof shape, ds->sndim, ds->sdims, ds->xelt);
    return rlz_fail(&ds->err, RICHETA_ERR_MISMATCH,
                    "data spec: layout=hwc needs samples of three axes (H, W, C); these are %s",
                    shape);
  }
  int64_t h = ds->sdims[0], w = ds->sdims[1], c = ds->sdims[2];
  ds->hwc_pixels = h * w;
  ds->hwc_channels = c;
  ds->sdims[0] = c;
  ds->sdims[1] = h;
  ds->sdims[2] = w;
  return RICHETA_OK;
}

/* Default channel axis (see richeta_dataset_num_channels()). */
static int default_channel_axis(const richeta_dataset *ds, bool cifar) {
  if (cifar)
    return 0;
  if (ds->sndim != 3)
    return -1;
  if (ds->sdims[2] <= 4)
    return 2;
  if (ds->sdims[0] <= 4)
    return 0;
  return -1;
}

richeta_status richeta_dataset_open(richeta_dataset **out, const char *spec,
                                    const richeta_allocator *allocator) {
  if (out)
    *out = NULL;
  if (!out || !spec)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_open: %s is NULL",
                    !out ? "out" : "spec");
  rlz_alloc a;
  if (rlz_alloc_resolve(&a, allocator) != RICHETA_OK)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "richeta_dataset_open: incomplete allocator table");
  size_t len = strlen(spec);
  if (len >= RLZ_SPEC_MAX)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "data spec longer than %d bytes", RLZ_SPEC_MAX - 1);
  richeta_dataset *ds = rlz_calloc(&a, 1, sizeof *ds);
  char *copy = rlz_malloc(&a, len + 1);
  if (!ds || !copy) {
    rlz_free(&a, ds);
    rlz_free(&a, copy);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "richeta_dataset_open: out of memory");
  }
  memcpy(copy, spec, len + 1);
  ds->alloc = a;
  ds->max_label = -1;
  ds->channel_axis = -1;
  spec_opts o = {0};
  richeta_status st = open_spec(ds, copy, &o);
  bool cifar = strcmp(copy, "cifar10") == 0; /* open_spec cut the kind at ':' */
  rlz_free(&a, copy);
  if (st == RICHETA_OK && ds->n == 0)
    st = rlz_fail(&ds->err, RICHETA_ERR_FORMAT, "data set has no samples");
  if (st == RICHETA_OK && o.hwc)
    st = apply_layout(ds, cifar);
  if (st != RICHETA_OK) {
    rlz_err_to_thread(&ds->err);
    richeta_dataset_free(ds);
    return st;
  }
  if (ds->k == 0 && !rlz_elt_is_float(ds->yelt))
    ds->k = ds->max_label + 1;
  ds->channel_axis = o.hwc ? 0 : default_channel_axis(ds, cifar);
  *out = ds;
  return RICHETA_OK;
}

void richeta_dataset_free(richeta_dataset *ds) {
  if (!ds)
    return;
  rlz_alloc a = ds->alloc;
  rlz_npzdir_free(ds);
  for (int i = ds->nbufs; i-- > 0;)
    rlz_buf_release(&ds->bufs[i], &a);
  rlz_free(&a, ds->nmean);
  rlz_free(&a, ds->ninv);
  rlz_free(&a, ds->gmean);
  rlz_free(&a, ds->gstd);
  rlz_free(&a, ds);
}

const char *richeta_dataset_last_error(const richeta_dataset *ds) {
  return ds ? ds->err.msg : richeta_last_error();
}

/* --- getters --- */

const rlz_part *rlz_ds_part(const richeta_dataset *ds, int64_t i) {
  if (ds->dir) /* the resident part (rlz_ds_need made it the one holding i) */
    return &ds->dir->part;
  int lo = 0, hi = ds->nparts - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (ds->parts[mid].start <= i)
      lo = mid;
    else
      hi = mid - 1;
  }
  return &ds->parts[lo];
}

int64_t rlz_ds_label(const richeta_dataset *ds, int64_t i) {
  const rlz_part *p = rlz_ds_part(ds, i);
  return (int64_t)rlz_elt_load(p->y + (size_t)(i - p->start) * p->y_stride, ds->yelt, ds->ybe, 0);
}

int64_t rlz_dataset_num_samples(const richeta_dataset *ds) { return ds ? ds->n : -1; }
int64_t rlz_dataset_input_dim(const richeta_dataset *ds) { return ds ? ds->d : -1; }
int64_t rlz_dataset_num_classes(const richeta_dataset *ds) { return ds ? ds->k : -1; }
int64_t rlz_dataset_target_dim(const richeta_dataset *ds) {
  return ds ? (ds->k > 0 ? ds->k : ds->ydim) : -1;
}

#define GETTER(fn, expr)                                                                           \
  richeta_status fn(const richeta_dataset *ds, int64_t *v) {                                       \
    if (!ds || !v)                                                                                 \
      return rlz_fail(NULL, RICHETA_ERR_NULL, #fn ": NULL argument");                              \
    *v = (expr);                                                                                   \
    return RICHETA_OK;                                                                             \
  }
GETTER(richeta_dataset_num_samples, ds->n)
GETTER(richeta_dataset_input_dim, ds->d)
GETTER(richeta_dataset_num_classes, ds->k)
GETTER(richeta_dataset_target_dim, rlz_dataset_target_dim(ds))
GETTER(richeta_dataset_num_channels, rlz_ds_channels(ds))
#undef GETTER

richeta_status richeta_dataset_sample_shape(const richeta_dataset *ds, int64_t *dims, int64_t cap,
                                            int64_t *ndim) {
  if (!ds || (!dims && cap > 0))
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_sample_shape: NULL argument");
  if (ndim)
    *ndim = ds->sndim;
  if (cap < ds->sndim)
    return rlz_fail(NULL, RICHETA_ERR_BUFFER_TOO_SMALL,
                    "richeta_dataset_sample_shape: %d dimensions, capacity %lld", ds->sndim,
                    (long long)cap);
  for (int k = 0; k < ds->sndim; k++)
    dims[k] = ds->sdims[k];
  return RICHETA_OK;
}

richeta_status richeta_dataset_set_num_classes(richeta_dataset *ds, int64_t k) {
  if (!ds)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_set_num_classes: ds is NULL");
  if (ds->k == 0)
    return rlz_fail(&ds->err, RICHETA_ERR_UNSUPPORTED,
                    "the data set has regression targets, not classes");
  if (k < 1 || k > RLZ_DS_MAX_CLASSES)
    return rlz_fail(&ds->err, RICHETA_ERR_RANGE, "number of classes %lld: must be 1..%d",
                    (long long)k, RLZ_DS_MAX_CLASSES);
  if (rlz_dataset_check_classes(ds, &ds->err, k) != RICHETA_OK)
    return RICHETA_ERR_RANGE;
  ds->k = k;
  rlz_err_clear(&ds->err);
  return RICHETA_OK;
}

richeta_status richeta_dataset_label(const richeta_dataset *ds, int64_t index, int64_t *label) {
  if (!ds || !label)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_dataset_label: NULL argument");
  if (ds->k == 0)
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "the data set has regression targets");
  if (index < 0 || index >= ds->n)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "sample index %lld out of [0, %lld)", (long long)index,
                    (long long)ds->n);
  rlz_ds_lock(ds);
  richeta_status st = rlz_ds_need(ds, NULL, index);
  if (st == RICHETA_OK)
    *label = rlz_ds_label(ds, index);
  rlz_ds_unlock(ds);
  return st;
}
