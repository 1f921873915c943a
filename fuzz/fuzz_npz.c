/* libFuzzer target: the zip directory parser, inflate and CRC check of NPZ
 * members, then the NPY parser on what comes out. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"x.npy", "y.npy", "arr_0.npy"};
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  for (int k = 0; k < 3; k++) {
    rlz_err e;
    rlz_zip_member m;
    if (rlz_zip_find(&e, "fuzz", data, size, names[k], &m) != RICHETA_OK)
      continue;
    rlz_buf b;
    if (rlz_zip_extract(&b, &a, &e, "fuzz", data, size, names[k], &m, 1u << 26) != RICHETA_OK)
      continue;
    rlz_array arr;
    if (rlz_parse_npy_mem(&e, "fuzz", b.data, b.len, &arr) == RICHETA_OK) {
      volatile double s = rlz_fuzz_touch(&arr);
      (void)s;
    }
    rlz_buf_release(&b, &a);
  }
  return 0;
}
