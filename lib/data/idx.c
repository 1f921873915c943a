/* IDX files (MNIST, Fashion-MNIST): magic 00 00 TYPE NDIM, NDIM big-endian
 * uint32 dimensions, then big-endian data in C order. */
#include "parse_priv.h"

#include <string.h>

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static rlz_elt idx_type(uint8_t t) {
  switch (t) {
  case 0x08:
    return RLZ_ELT_U8;
  case 0x09:
    return RLZ_ELT_I8;
  case 0x0B:
    return RLZ_ELT_I16;
  case 0x0C:
    return RLZ_ELT_I32;
  case 0x0D:
    return RLZ_ELT_F32;
  case 0x0E:
    return RLZ_ELT_F64;
  default:
    return RLZ_ELT_NONE;
  }
}

/* Validate the fixed part of the header; fills elt/ndim/dims. */
static richeta_status idx_header(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                 size_t *header_needed, rlz_array *a, size_t *total) {
  *total = 0;
  if (len < 4) {
    *header_needed = 4;
    return RICHETA_OK;
  }
  if (buf[0] != 0 || buf[1] != 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: bad IDX magic %02x %02x %02x %02x (expected 00 00 TYPE NDIM)", name,
                    buf[0], buf[1], buf[2], buf[3]);
  a->elt = idx_type(buf[2]);
  if (a->elt == RLZ_ELT_NONE)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: bad IDX magic: unknown type byte 0x%02x", name,
                    buf[2]);
  a->big_endian = true;
  if (buf[3] == 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: IDX header declares 0 dimensions", name);
  if (buf[3] > RLZ_MAX_DIMS)
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                    "%s: IDX header declares %u dimensions (at most %d supported)", name, buf[3],
                    RLZ_MAX_DIMS);
  a->ndim = buf[3];
  size_t hdr = 4 + 4 * (size_t)a->ndim;
  *header_needed = hdr;
  if (len < hdr)
    return RICHETA_OK;
  for (int k = 0; k < a->ndim; k++)
    a->dims[k] = (int64_t)be32(buf + 4 + 4 * k);
  richeta_status st =
      rlz_shape_count(e, name, a->ndim, a->dims, rlz_elt_size(a->elt), &a->count, &a->nbytes);
  if (st != RICHETA_OK)
    return st;
  if (!rlz_add_size(a->nbytes, hdr, total))
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "%s: declared IDX size overflows size_t", name);
  return RICHETA_OK;
}

richeta_status rlz_idx_declared_size(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                     size_t *header_needed, size_t *total) {
  rlz_array a;
  memset(&a, 0, sizeof a);
  return idx_header(e, name, buf, len, header_needed, &a, total);
}

richeta_status rlz_parse_idx_mem(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                 rlz_array *out) {
  memset(out, 0, sizeof *out);
  size_t need = 0, total = 0;
  rlz_array a;
  memset(&a, 0, sizeof a);
  richeta_status st = idx_header(e, name, buf, len, &need, &a, &total);
  if (st != RICHETA_OK)
    return st;
  if (total == 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: truncated IDX header: %zu bytes, the header needs %zu", name, len, need);
  if (len < total)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: truncated IDX file: header declares %zu bytes, file has %zu", name, total,
                    len);
  if (len > total)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: IDX file has %zu trailing bytes after the %zu the header declares", name,
                    len - total, total);
  a.data = buf + need;
  st = rlz_check_finite(e, name, &a);
  if (st != RICHETA_OK)
    return st;
  *out = a;
  return RICHETA_OK;
}
