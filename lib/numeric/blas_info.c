/* The public BLAS entry points of common.h: the build description (BLAS
 * vendor, kernels, integer width, compiler) and the BLAS thread count. */
#include "core/core.h"
#include "numeric.h"
#include <richlazy/version.h>

#include <stdio.h>

const char *richeta_build_info(void) {
  /* Computed once per thread: the BLAS description does not change. */
  static _Thread_local char info[384];
  const char *core = rlz_blas_core_name();
  const char *better = rlz_blas_better_core(core, rlz_cpu_features());
  if (!info[0])
    snprintf(info, sizeof info,
             "version=%s abi=%d blas=\"%s\" blas_int=%d blas_core=%s blas_core_advice=%s "
             "blas_max_threads=%d compiler=%s",
             RICHETA_VERSION_STRING, RICHETA_ABI_VERSION, rlz_blas_vendor(), rlz_blas_int_bits(),
             core && *core ? core : "none", better ? better : "none", rlz_blas_max_callers(),
#if defined(__clang__)
             "clang-" __clang_version__
#elif defined(__GNUC__)
             "gcc-" __VERSION__
#else
             "unknown"
#endif
    );
  return info;
}

richeta_status richeta_blas_set_threads(int threads) {
  if (threads < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "BLAS thread count must be >= 1 (got %d)", threads);
  richeta_status s = rlz_blas_set_threads_impl(threads);
  if (s != RICHETA_OK)
    return rlz_fail(NULL, s, "this BLAS (%s) cannot set its thread count", rlz_blas_vendor());
  return RICHETA_OK;
}

int richeta_blas_get_threads(void) { return rlz_blas_get_threads_impl(); }
