/* libFuzzer target: the NPY parser (header dict tokenizer included). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rlz_err e;
  rlz_array a;
  if (rlz_parse_npy_mem(&e, "fuzz", data, size, &a) == RICHETA_OK) {
    volatile double s = rlz_fuzz_touch(&a);
    (void)s;
  }
  return 0;
}
