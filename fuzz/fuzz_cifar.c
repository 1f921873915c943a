/* libFuzzer target: the CIFAR-10 binary batch checker. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rlz_err e;
  int64_t n;
  if (rlz_parse_cifar_mem(&e, "fuzz", data, size, &n) == RICHETA_OK) {
    unsigned s = 0;
    for (int64_t r = 0; r < n; r++)
      s += data[(size_t)r * RLZ_CIFAR_RECORD + RLZ_CIFAR_RECORD - 1];
    volatile unsigned sink = s;
    (void)sink;
  }
  return 0;
}
