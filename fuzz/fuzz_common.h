/* Shared by the fuzz targets: touch every element of a parsed array so that
 * AddressSanitizer sees any view that reaches past the input. */
#ifndef RLZ_FUZZ_COMMON_H
#define RLZ_FUZZ_COMMON_H

#include "data/parse_priv.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline double rlz_fuzz_touch(const rlz_array *a) {
  double s = 0;
  for (int64_t i = 0; i < a->count; i++)
    s += rlz_elt_load(a->data, a->elt, a->big_endian, i);
  return s;
}

#endif
