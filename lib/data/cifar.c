/* CIFAR-10 binary batches: records of one label byte (0..9) followed by
 * 3072 pixel bytes (R, G and B planes of 32x32, row-major). No header, so
 * the size must be a whole number of records and every label is checked. */
#include "parse_priv.h"

richeta_status rlz_parse_cifar_mem(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                   int64_t *records) {
  *records = 0;
  if (len == 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: empty CIFAR-10 file", name);
  if (len % RLZ_CIFAR_RECORD != 0) {
    if (len % (RLZ_CIFAR_RECORD + 1) == 0)
      return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                      "%s: looks like a CIFAR-100 file (3074-byte records); only CIFAR-10 is "
                      "supported",
                      name);
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: truncated CIFAR-10 file: %zu bytes is not a multiple of the %d-byte "
                    "record (%zu whole records, %zu bytes left over)",
                    name, len, RLZ_CIFAR_RECORD, len / RLZ_CIFAR_RECORD, len % RLZ_CIFAR_RECORD);
  }
  size_t n = len / RLZ_CIFAR_RECORD;
  for (size_t r = 0; r < n; r++) {
    uint8_t lab = buf[r * RLZ_CIFAR_RECORD];
    if (lab > 9)
      return rlz_fail(e, RICHETA_ERR_RANGE, "%s: record %zu has label %u (CIFAR-10 labels are 0-9)",
                      name, r, lab);
  }
  *records = (int64_t)n;
  return RICHETA_OK;
}
