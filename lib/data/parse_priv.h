/* Internal parsers of the data-set layer. Every parser works on a complete
 * byte buffer (a file read whole, memory-mapped or decompressed) so that the
 * same code runs under the fuzzers; none of them allocates except where
 * noted, and every one treats every byte as hostile. Not installed. */
#ifndef RLZ_DATA_PARSE_PRIV_H
#define RLZ_DATA_PARSE_PRIV_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RLZ_MAX_DIMS 8

/* Element types found in the supported formats. */
typedef enum rlz_elt {
  RLZ_ELT_NONE = 0,
  RLZ_ELT_U8 = 1,
  RLZ_ELT_I8 = 2,
  RLZ_ELT_U16 = 3,
  RLZ_ELT_I16 = 4,
  RLZ_ELT_U32 = 5,
  RLZ_ELT_I32 = 6,
  RLZ_ELT_U64 = 7,
  RLZ_ELT_I64 = 8,
  RLZ_ELT_F32 = 9,
  RLZ_ELT_F64 = 10
} rlz_elt;

size_t rlz_elt_size(rlz_elt e);
bool rlz_elt_is_float(rlz_elt e);
const char *rlz_elt_name(rlz_elt e);

/* A typed view into a parsed buffer. data is not necessarily aligned: read
 * elements with rlz_elt_load. big_endian is set for IDX multi-byte data. */
typedef struct rlz_array {
  rlz_elt elt;
  bool big_endian;
  int ndim;
  int64_t dims[RLZ_MAX_DIMS];
  int64_t count; /* product of dims */
  const uint8_t *data;
  size_t nbytes; /* count * element size */
} rlz_array;

/* Value of element i of a raw buffer of type elt. */
double rlz_elt_load(const uint8_t *data, rlz_elt elt, bool big_endian, int64_t i);

/* Shape product with overflow check (dims >= 1 each); OVERFLOW through e. */
richeta_status rlz_shape_count(rlz_err *e, const char *name, int ndim, const int64_t *dims,
                               size_t elem, int64_t *count, size_t *nbytes);

/* NaN/Inf scan of float data; NONFINITE naming the first bad index. */
richeta_status rlz_check_finite(rlz_err *e, const char *name, const rlz_array *a);

/* --- parsers on memory (name is used in messages only) --- */

/* IDX (MNIST): big-endian magic 00 00 TT ND, ND big-endian u32 dims, data. */
richeta_status rlz_parse_idx_mem(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                 rlz_array *out);
/* Header size and total size an IDX header declares, from a prefix of the
 * file: *header = 0 when the prefix is too short to tell (need at least
 * *header_needed bytes). */
richeta_status rlz_idx_declared_size(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                     size_t *header_needed, size_t *total);

/* NPY v1-v3; rejects Fortran order, big-endian and unsupported dtypes. */
richeta_status rlz_parse_npy_mem(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                 rlz_array *out);
/* The header alone (buf may be a prefix of the file): elt, shape, count and
 * nbytes of out (data stays NULL) and the offset of the data. */
richeta_status rlz_parse_npy_header(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                    rlz_array *out, size_t *data_offset);

/* CIFAR-10 binary: records of 1 label byte + 3072 pixel bytes. */
#define RLZ_CIFAR_RECORD 3073
richeta_status rlz_parse_cifar_mem(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                   int64_t *records);

/* --- storage --- */

/* Bytes of a file or of a decompressed member: heap (through the handle's
 * allocator), a read-only file mapping, a temporary-file mapping (for
 * decompressed data larger than the memory budget), or a borrowed view. */
typedef enum rlz_buf_kind {
  RLZ_BUF_NONE = 0,
  RLZ_BUF_HEAP = 1,
  RLZ_BUF_MMAP = 2,
  RLZ_BUF_VIEW = 3
} rlz_buf_kind;

typedef struct rlz_buf {
  uint8_t *data;
  size_t len;
  size_t map_len;
  rlz_buf_kind kind;
} rlz_buf;

/* Read a file whole when it fits the budget, else map it read-only. */
richeta_status rlz_buf_read_file(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *path,
                                 uint64_t budget);
/* Writable storage of size bytes: heap when it fits the budget, else a
 * mapping of an anonymous temporary file. */
richeta_status rlz_buf_create(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *name,
                              size_t size, uint64_t budget);
void rlz_buf_release(rlz_buf *b, const rlz_alloc *a);
/* True when the file starts with the gzip magic 1f 8b. */
bool rlz_file_is_gzip(const char *path);

/* Decompress a gzip IDX file: the header is decompressed first and the
 * declared size is the hard cap; the decompressed size must match it. */
richeta_status rlz_idx_read_gz(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *path,
                               uint64_t budget);

/* --- NPZ (zip) --- */
typedef struct rlz_zip_member {
  uint16_t method; /* 0 stored, 8 deflate */
  uint32_t crc;
  uint64_t comp_size;
  uint64_t size;
  uint64_t data_offset; /* of the member's bytes in the archive */
  bool found;           /* the name is in the directory (even if unusable) */
} rlz_zip_member;

/* Locate member `name` (e.g. "x.npy"); NOT FOUND gives RICHETA_ERR_FORMAT
 * naming the members present. */
richeta_status rlz_zip_find(rlz_err *e, const char *zname, const uint8_t *buf, size_t len,
                            const char *member, rlz_zip_member *out);
/* Bytes of a member: a view (stored) or inflated storage; CRC-32 checked. */
richeta_status rlz_zip_extract(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *zname,
                               const uint8_t *buf, size_t len, const char *member,
                               const rlz_zip_member *m, uint64_t budget);
/* The first min(cap, size) bytes of a member into out (copied or inflated;
 * no CRC check, which needs the whole member): *got receives their number. */
richeta_status rlz_zip_peek(const rlz_alloc *a, rlz_err *e, const char *zname, const uint8_t *buf,
                            size_t len, const char *member, const rlz_zip_member *m, uint8_t *out,
                            size_t cap, size_t *got);

#endif
