/* libFuzzer target: the IDX parser (raw bytes, as after gunzip). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rlz_err e;
  rlz_array a;
  if (rlz_parse_idx_mem(&e, "fuzz", data, size, &a) == RICHETA_OK) {
    volatile double s = rlz_fuzz_touch(&a);
    (void)s;
  }
  size_t need, total;
  (void)rlz_idx_declared_size(&e, "fuzz", data, size, &need, &total);
  return 0;
}
