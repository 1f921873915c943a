/* File-backed streams: open the training split named by the data spec,
 * standardize it (one global mean and std from the training split), and
 * open its test split as the held-out set when the spec names one. */
#include "stream/stream_internal.h"

#include "io/dataset.h"

#include <stdio.h>
#include <string.h>

/* Spec of the test split: "name" or "name:train" (before any '?options')
 * become "name:test"; other forms have no test split (returns false). */
static bool test_spec(const char *spec, char *out, size_t cap) {
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

/* Prefix the data layer's message (which lives in the thread-local buffer
 * that rlz_fail may write to) with context: copy it first. */
static richeta_status fail_with(rlz_err *e, richeta_status st, const char *what, const char *name,
                                const char *detail) {
  char msg[RLZ_ERRMSG_CAP];
  snprintf(msg, sizeof msg, "%s", detail);
  return rlz_fail(e, st, "%s '%s': %s", what, name, msg);
}

richeta_status rlz_stream_file_open(const rlz_alloc *a, rlz_err *e, const char *spec, int64_t D,
                                    int64_t C, richeta_dataset **train, richeta_dataset **test) {
  *train = NULL;
  *test = NULL;
  richeta_allocator al = {sizeof al, a->alloc, a->free, a->user};
  if (!spec || !*spec)
    return rlz_fail(e, RICHETA_ERR_INVALID, "task=file needs a data set name or path (data=...)");
  richeta_status st = richeta_dataset_open(train, spec, &al);
  if (st != RICHETA_OK)
    return fail_with(e, st, "data set", spec, richeta_last_error());
  int64_t d = rlz_dataset_input_dim(*train), c = rlz_dataset_target_dim(*train);
  if (d != D || c != C) {
    st = rlz_fail(e, RICHETA_ERR_MISMATCH,
                  "data set '%s' has input dimension %lld and %lld targets, the configuration "
                  "says D=%lld C=%lld",
                  spec, (long long)d, (long long)c, (long long)D, (long long)C);
    goto fail;
  }
  st = richeta_dataset_normalize(*train, RICHETA_NORM_GLOBAL);
  if (st != RICHETA_OK) {
    fail_with(e, st, "data set", spec, richeta_dataset_last_error(*train));
    goto fail;
  }
  char tspec[4200];
  if (strlen(spec) < 4096 && test_spec(spec, tspec, sizeof tspec)) {
    st = richeta_dataset_open(test, tspec, &al);
    if (st != RICHETA_OK) {
      fail_with(e, st, "held-out split", tspec, richeta_last_error());
      goto fail;
    }
    if (rlz_dataset_input_dim(*test) != D || rlz_dataset_target_dim(*test) != C) {
      st = rlz_fail(e, RICHETA_ERR_MISMATCH, "held-out split '%s' does not match D=%lld C=%lld",
                    tspec, (long long)D, (long long)C);
      goto fail;
    }
    st = richeta_dataset_copy_normalization(*test, *train);
    if (st != RICHETA_OK) {
      fail_with(e, st, "held-out split", tspec, richeta_dataset_last_error(*test));
      goto fail;
    }
  }
  return RICHETA_OK;
fail:
  richeta_dataset_free(*train);
  richeta_dataset_free(*test);
  *train = NULL;
  *test = NULL;
  return st;
}
