/* Allocation through the per-handle hooks. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define RLZ_ALIGN 64

static void *default_alloc(void *user, size_t size, size_t alignment) {
  (void)user;
  void *p = NULL;
  if (size == 0)
    size = alignment;
  /* round up: aligned_alloc requires a multiple of the alignment */
  size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (rounded < size)
    return NULL;
  if (posix_memalign(&p, alignment, rounded) != 0)
    return NULL;
  return p;
}

static void default_free(void *user, void *ptr) {
  (void)user;
  free(ptr);
}

richeta_status rlz_alloc_resolve(rlz_alloc *dst, const richeta_allocator *src) {
  if (!src) {
    dst->alloc = default_alloc;
    dst->free = default_free;
    dst->user = NULL;
    return RICHETA_OK;
  }
  size_t need = offsetof(richeta_allocator, user) + sizeof(void *);
  if (src->struct_size < need)
    return RICHETA_ERR_INVALID;
  if (!src->alloc || !src->free)
    return RICHETA_ERR_INVALID;
  dst->alloc = src->alloc;
  dst->free = src->free;
  dst->user = src->user;
  return RICHETA_OK;
}

void *rlz_malloc(const rlz_alloc *a, size_t size) {
  return a->alloc(a->user, size ? size : 1, RLZ_ALIGN);
}

void *rlz_calloc(const rlz_alloc *a, size_t count, size_t elem) {
  size_t bytes;
  if (!rlz_mul_size(count, elem, &bytes))
    return NULL;
  void *p = rlz_malloc(a, bytes);
  if (p)
    memset(p, 0, bytes);
  return p;
}

void rlz_free(const rlz_alloc *a, void *p) {
  if (p)
    a->free(a->user, p);
}

char *rlz_strdup(const rlz_alloc *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = rlz_malloc(a, n);
  if (d)
    memcpy(d, s, n);
  return d;
}

bool rlz_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a)
    return false;
  *out = a * b;
  return true;
}

bool rlz_add_size(size_t a, size_t b, size_t *out) {
  if (b > SIZE_MAX - a)
    return false;
  *out = a + b;
  return true;
}

bool rlz_mul_i64(int64_t a, int64_t b, int64_t *out) {
  if (a < 0 || b < 0)
    return false;
  if (a != 0 && b > INT64_MAX / a)
    return false;
  *out = a * b;
  return true;
}

richeta_status rlz_array_bytes(rlz_err *e, int64_t count, size_t elem, size_t *bytes) {
  if (count < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "negative element count %lld", (long long)count);
  if ((uint64_t)count > SIZE_MAX || !rlz_mul_size((size_t)count, elem, bytes))
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "array of %lld elements of %zu bytes overflows",
                    (long long)count, elem);
  return RICHETA_OK;
}
