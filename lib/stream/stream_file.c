/* File-backed streams: open the training split named by the data spec,
 * check it against the configuration's shapes, standardize it (data_norm,
 * statistics of the training split), and open its held-out split when the
 * spec names one, with the training split's statistics. */
#include "stream/stream_internal.h"

#include "core/config_internal.h"
#include "data/data_internal.h"

#include <stdio.h>
#include <string.h>

#define SPEC_CAP 4200

/* Held-out spec of "name" or "name:train" (before any '?options'):
 * "name:test" (fashion-mnist). */
static bool split_test_spec(const char *spec, char *out, size_t cap) {
  const char *q = strchr(spec, '?');
  size_t name_len = q ? (size_t)(q - spec) : strlen(spec);
  const char *opts = q ? q : "";
  const char *colon = memchr(spec, ':', name_len);
  size_t base_len;
  if (!colon) {
    base_len = name_len;
  } else if ((size_t)(spec + name_len - colon) == 6 && memcmp(colon, ":train", 6) == 0) {
    base_len = (size_t)(colon - spec);
  } else {
    return false;
  }
  int n = snprintf(out, cap, "%.*s:test%s", (int)base_len, spec, opts);
  return n > 0 && (size_t)n < cap;
}

/* Held-out spec named by a test=FILE option: the training spec's kind
 * (npz for an npzdir) with FILE for its files, the same NPZ keys, and the
 * other options but parts=. Returns false when there is no test= option. */
static bool option_test_spec(const char *spec, char *out, size_t cap) {
  const char *q = strchr(spec, '?');
  if (!q)
    return false;
  const char *test = NULL;
  int test_len = 0;
  char keep[SPEC_CAP] = "";
  size_t kept = 0;
  for (const char *o = q + 1; kept < sizeof keep;) {
    const char *amp = strchr(o, '&');
    int len = amp ? (int)(amp - o) : (int)strlen(o);
    if (len > 5 && strncmp(o, "test=", 5) == 0) {
      test = o + 5;
      test_len = len - 5;
    } else if (strncmp(o, "parts=", 6) != 0) {
      kept += (size_t)snprintf(keep + kept, sizeof keep - kept, "%s%.*s", kept ? "&" : "?", len, o);
    }
    if (!amp)
      break;
    o = amp + 1;
  }
  if (!test || kept >= sizeof keep)
    return false;
  const char *colon = memchr(spec, ':', (size_t)(q - spec));
  if (!colon)
    return false;
  size_t kind_len = (size_t)(colon - spec);
  bool npzdir = kind_len == 6 && memcmp(spec, "npzdir", 6) == 0;
  bool npz = npzdir || (kind_len == 3 && memcmp(spec, "npz", 3) == 0);
  const char *keys = npz ? memchr(colon, ',', (size_t)(q - colon)) : NULL;
  int n = snprintf(out, cap, "%.*s:%.*s%.*s%s", npzdir ? 3 : (int)kind_len, spec, test_len, test,
                   keys ? (int)(q - keys) : 0, keys ? keys : "", keep);
  return n > 0 && (size_t)n < cap;
}

/* Prefix the data layer's message (which lives in the thread-local buffer
 * that rlz_fail may write to) with context: copy it first. */
static richeta_status fail_with(rlz_err *e, richeta_status st, const char *what, const char *name,
                                const char *detail) {
  char msg[RLZ_ERRMSG_CAP];
  snprintf(msg, sizeof msg, "%s", detail);
  return rlz_fail(e, st, "%s '%s': %s", what, name, msg);
}

/* "32x32x3" (scalar samples: "()"): a data set's per-sample shape. */
static void shape_text(const richeta_dataset *ds, char *buf, size_t cap) {
  int64_t dims[8], nd = 0;
  buf[0] = '\0';
  if (richeta_dataset_sample_shape(ds, dims, 8, &nd) != RICHETA_OK || nd == 0) {
    snprintf(buf, cap, "()");
    return;
  }
  size_t n = 0;
  for (int64_t k = 0; k < nd && n < cap; k++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", k ? "x" : "", (long long)dims[k]);
}

/* The configuration's image shape (image_* keys, when set) must be the
 * samples' shape as presented: C x H x W, or H x W for one channel. */
static richeta_status check_image_shape(rlz_err *e, const richeta_config *cfg, const char *spec,
                                        const richeta_dataset *ds) {
  int64_t c = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_CHANNELS);
  int64_t h = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_HEIGHT);
  int64_t w = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_WIDTH);
  if (c == 0 && h == 0 && w == 0)
    return RICHETA_OK;
  int64_t dims[8], nd = 0;
  richeta_dataset_sample_shape(ds, dims, 8, &nd);
  bool same = (nd == 3 && dims[0] == c && dims[1] == h && dims[2] == w) ||
              (nd == 2 && c == 1 && dims[0] == h && dims[1] == w);
  if (same)
    return RICHETA_OK;
  char shape[96];
  shape_text(ds, shape, sizeof shape);
  bool hwc_hint = nd == 3 && dims[2] == c && dims[0] == h && dims[1] == w;
  return rlz_fail(e, RICHETA_ERR_MISMATCH,
                  "data set '%s' has samples of shape %s; image_channels, image_height, "
                  "image_width say %lldx%lldx%lld (CHW)%s",
                  spec, shape, (long long)c, (long long)h, (long long)w,
                  hwc_hint ? ": they are stored channels last, add ?layout=hwc to the spec" : "");
}

static richeta_status open_test(const richeta_allocator *al, rlz_err *e, const char *tspec,
                                const richeta_dataset *train, richeta_dataset **test) {
  richeta_status st = richeta_dataset_open(test, tspec, al);
  if (st != RICHETA_OK)
    return fail_with(e, st, "held-out split", tspec, richeta_last_error());
  int64_t k = rlz_dataset_num_classes(train);
  if (k > 0 && rlz_dataset_num_classes(*test) > k) { /* a label the model has no output for */
    rlz_dataset_check_classes(*test, NULL, k);
    return fail_with(e, RICHETA_ERR_RANGE, "held-out split", tspec, richeta_last_error());
  }
  if (k > 0 && rlz_dataset_num_classes(*test) > 0 && rlz_dataset_num_classes(*test) < k &&
      richeta_dataset_set_num_classes(*test, k) != RICHETA_OK) /* a class absent from it */
    return fail_with(e, RICHETA_ERR_MISMATCH, "held-out split", tspec,
                     richeta_dataset_last_error(*test));
  char ts[96], ds[96];
  shape_text(*test, ts, sizeof ts);
  shape_text(train, ds, sizeof ds);
  if (strcmp(ts, ds) != 0 || rlz_dataset_target_dim(*test) != rlz_dataset_target_dim(train))
    return rlz_fail(e, RICHETA_ERR_MISMATCH,
                    "held-out split '%s' has samples of shape %s and %lld targets, the training "
                    "split %s and %lld",
                    tspec, ts, (long long)rlz_dataset_target_dim(*test), ds,
                    (long long)rlz_dataset_target_dim(train));
  st = richeta_dataset_copy_normalization(*test, train);
  if (st != RICHETA_OK)
    return fail_with(e, st, "held-out split", tspec, richeta_dataset_last_error(*test));
  return RICHETA_OK;
}

richeta_status rlz_stream_file_open(const rlz_alloc *a, rlz_err *e, const richeta_config *cfg,
                                    richeta_dataset **train, richeta_dataset **test) {
  *train = NULL;
  *test = NULL;
  richeta_allocator al = {sizeof al, a->alloc, a->free, a->user};
  const char *spec = rlz_config_string(cfg, RICHETA_PARAM_DATA_PATH);
  int64_t D = rlz_config_int(cfg, RICHETA_PARAM_INPUT_DIM);
  int64_t C = rlz_config_int(cfg, RICHETA_PARAM_OUTPUT_DIM);
  if (!spec || !*spec)
    return rlz_fail(e, RICHETA_ERR_INVALID, "task=file needs a data set name or path (data=...)");
  richeta_status st = richeta_dataset_open(train, spec, &al);
  if (st != RICHETA_OK)
    return fail_with(e, st, "data set", spec, richeta_last_error());
  int64_t d = rlz_dataset_input_dim(*train), c = rlz_dataset_target_dim(*train);
  if (rlz_dataset_num_classes(*train) > C) { /* a label the model has no output for */
    rlz_dataset_check_classes(*train, NULL, C);
    st = fail_with(e, RICHETA_ERR_RANGE, "data set", spec, richeta_last_error());
    goto fail;
  }
  if (d != D || c != C) {
    st = rlz_fail(e, RICHETA_ERR_MISMATCH,
                  "data set '%s' has input dimension %lld and %lld targets, the configuration "
                  "says D=%lld C=%lld",
                  spec, (long long)d, (long long)c, (long long)D, (long long)C);
    goto fail;
  }
  st = check_image_shape(e, cfg, spec, *train);
  if (st != RICHETA_OK)
    goto fail;
  st =
      richeta_dataset_normalize(*train, (richeta_norm)rlz_config_int(cfg, RICHETA_PARAM_DATA_NORM));
  if (st != RICHETA_OK) {
    fail_with(e, st, "data set", spec, richeta_dataset_last_error(*train));
    goto fail;
  }
  char tspec[SPEC_CAP];
  if (strlen(spec) < 4096 &&
      (option_test_spec(spec, tspec, sizeof tspec) || split_test_spec(spec, tspec, sizeof tspec))) {
    st = open_test(&al, e, tspec, *train, test);
    if (st != RICHETA_OK)
      goto fail;
  }
  return RICHETA_OK;
fail:
  richeta_dataset_free(*train);
  richeta_dataset_free(*test);
  *train = NULL;
  *test = NULL;
  return st;
}
