/* Element types, unaligned loads with byte order, shape arithmetic and the
 * NaN/Inf scan shared by every parser. */
#include "parse_priv.h"

#include <math.h>
#include <string.h>

size_t rlz_elt_size(rlz_elt e) {
  switch (e) {
  case RLZ_ELT_U8:
  case RLZ_ELT_I8:
    return 1;
  case RLZ_ELT_U16:
  case RLZ_ELT_I16:
    return 2;
  case RLZ_ELT_U32:
  case RLZ_ELT_I32:
  case RLZ_ELT_F32:
    return 4;
  case RLZ_ELT_U64:
  case RLZ_ELT_I64:
  case RLZ_ELT_F64:
    return 8;
  case RLZ_ELT_NONE:
    break;
  }
  return 0;
}

bool rlz_elt_is_float(rlz_elt e) { return e == RLZ_ELT_F32 || e == RLZ_ELT_F64; }

const char *rlz_elt_name(rlz_elt e) {
  switch (e) {
  case RLZ_ELT_U8:
    return "uint8";
  case RLZ_ELT_I8:
    return "int8";
  case RLZ_ELT_U16:
    return "uint16";
  case RLZ_ELT_I16:
    return "int16";
  case RLZ_ELT_U32:
    return "uint32";
  case RLZ_ELT_I32:
    return "int32";
  case RLZ_ELT_U64:
    return "uint64";
  case RLZ_ELT_I64:
    return "int64";
  case RLZ_ELT_F32:
    return "float32";
  case RLZ_ELT_F64:
    return "float64";
  case RLZ_ELT_NONE:
    break;
  }
  return "none";
}

/* Little-endian host assumed for the native path; big-endian data (IDX) is
 * reversed byte by byte. */
static void load_bytes(void *dst, const uint8_t *src, size_t n, bool big_endian) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  bool swap = !big_endian;
#else
  bool swap = big_endian;
#endif
  if (!swap) {
    memcpy(dst, src, n);
    return;
  }
  uint8_t *d = dst;
  for (size_t k = 0; k < n; k++)
    d[k] = src[n - 1 - k];
}

double rlz_elt_load(const uint8_t *data, rlz_elt elt, bool big_endian, int64_t i) {
  size_t sz = rlz_elt_size(elt);
  const uint8_t *p = data + (size_t)i * sz;
  switch (elt) {
  case RLZ_ELT_U8:
    return (double)p[0];
  case RLZ_ELT_I8:
    return (double)(int8_t)p[0];
  case RLZ_ELT_U16: {
    uint16_t v;
    load_bytes(&v, p, 2, big_endian);
    return (double)v;
  }
  case RLZ_ELT_I16: {
    int16_t v;
    load_bytes(&v, p, 2, big_endian);
    return (double)v;
  }
  case RLZ_ELT_U32: {
    uint32_t v;
    load_bytes(&v, p, 4, big_endian);
    return (double)v;
  }
  case RLZ_ELT_I32: {
    int32_t v;
    load_bytes(&v, p, 4, big_endian);
    return (double)v;
  }
  case RLZ_ELT_U64: {
    uint64_t v;
    load_bytes(&v, p, 8, big_endian);
    return (double)v;
  }
  case RLZ_ELT_I64: {
    int64_t v;
    load_bytes(&v, p, 8, big_endian);
    return (double)v;
  }
  case RLZ_ELT_F32: {
    float v;
    load_bytes(&v, p, 4, big_endian);
    return (double)v;
  }
  case RLZ_ELT_F64: {
    double v;
    load_bytes(&v, p, 8, big_endian);
    return v;
  }
  case RLZ_ELT_NONE:
    break;
  }
  return 0.0;
}

richeta_status rlz_shape_count(rlz_err *e, const char *name, int ndim, const int64_t *dims,
                               size_t elem, int64_t *count, size_t *nbytes) {
  int64_t c = 1;
  for (int k = 0; k < ndim; k++) {
    if (dims[k] <= 0)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: dimension %d is %lld (must be >= 1)", name, k,
                      (long long)dims[k]);
    if (!rlz_mul_i64(c, dims[k], &c))
      return rlz_fail(e, RICHETA_ERR_OVERFLOW,
                      "%s: the product of the dimensions overflows 64 bits (at dimension %d)", name,
                      k);
  }
  size_t bytes;
  if ((uint64_t)c > SIZE_MAX || !rlz_mul_size((size_t)c, elem, &bytes))
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "%s: %lld elements of %zu bytes overflow size_t", name,
                    (long long)c, elem);
  *count = c;
  *nbytes = bytes;
  return RICHETA_OK;
}

richeta_status rlz_check_finite(rlz_err *e, const char *name, const rlz_array *a) {
  if (!rlz_elt_is_float(a->elt))
    return RICHETA_OK;
  for (int64_t i = 0; i < a->count; i++) {
    double v = rlz_elt_load(a->data, a->elt, a->big_endian, i);
    if (!isfinite(v))
      return rlz_fail(e, RICHETA_ERR_NONFINITE, "%s: element %lld is %s", name, (long long)i,
                      isnan(v) ? "NaN" : "infinite");
  }
  return RICHETA_OK;
}
