/* What the linked BLAS can take, and which kernels this CPU deserves:
 * the backend-independent part (blas_cblas.c asks OpenBLAS itself).
 *
 * - The core advice: OpenBLAS 0.3.21 does not know some recent CPUs (Intel
 *   family 6 model 207, say) and falls back to its "Prescott" kernels, five
 *   times slower for sgemm than the SkylakeX ones the CPU can run. The
 *   library never changes the environment; it tells (build info, the
 *   richeta program's version command) and the program and the Python
 *   binding act on it (OPENBLAS_CORETYPE).
 * - The address-space check: OpenBLAS maps a 128 MiB buffer the first time
 *   a new concurrent caller needs one and, when the mapping fails (ulimit
 *   -v), retries forever at 100% CPU. Calls that would need a new buffer
 *   first check that the address-space limit leaves room for it and fail
 *   with RICHETA_ERR_NOMEM instead. */
#include "numeric.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

unsigned rlz_cpu_features(void) {
  unsigned f = 0;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  /* libgcc checks that the OS saves the AVX / AVX-512 state (XCR0) too */
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2"))
    f |= RLZ_CPU_AVX2;
  if (__builtin_cpu_supports("fma"))
    f |= RLZ_CPU_FMA;
  if (__builtin_cpu_supports("avx512f"))
    f |= RLZ_CPU_AVX512F;
  if (__builtin_cpu_supports("avx512bw"))
    f |= RLZ_CPU_AVX512BW;
  if (__builtin_cpu_supports("avx512vl"))
    f |= RLZ_CPU_AVX512VL;
  if (__builtin_cpu_supports("avx512dq"))
    f |= RLZ_CPU_AVX512DQ;
  if (__builtin_cpu_supports("avx512cd"))
    f |= RLZ_CPU_AVX512CD;
#endif
  return f;
}

/* 2: AVX-512 kernels, 1: AVX2 kernels, 0: older ones (or unknown). */
static int core_tier(const char *core) {
  static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  static const char *const avx2[] = {"Haswell", "Zen", "Excavator"};
  for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
    if (!strcmp(core, avx512[i]))
      return 2;
  for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; i++)
    if (!strcmp(core, avx2[i]))
      return 1;
  return 0;
}

const char *rlz_blas_better_core(const char *chosen, unsigned cpu) {
  if (!chosen || !*chosen)
    return NULL; /* not OpenBLAS, or it did not say */
  const unsigned avx512 =
      RLZ_CPU_AVX512F | RLZ_CPU_AVX512BW | RLZ_CPU_AVX512VL | RLZ_CPU_AVX512DQ | RLZ_CPU_AVX512CD;
  const unsigned avx2 = RLZ_CPU_AVX2 | RLZ_CPU_FMA;
  int have = core_tier(chosen);
  /* an AMD core is OpenBLAS's deliberate choice for that CPU: kept */
  if (!strcmp(chosen, "Zen") || !strcmp(chosen, "Excavator"))
    return NULL;
  if ((cpu & avx512) == avx512 && have < 2)
    return "SkylakeX";
  if ((cpu & avx2) == avx2 && have < 1)
    return "Haswell";
  return NULL;
}

/* ---- address space for BLAS buffers ----------------------------------- */

/* OpenBLAS 0.3.21 x86-64: BUFFER_SIZE (128 MiB) plus alignment pages */
#define RLZ_BLAS_BUFFER_BYTES ((128ull << 20) + (64ull << 10))

/* Concurrent callers now, and the most there have been: each had its own
 * buffer, which OpenBLAS keeps, so only a caller beyond the high-water mark
 * can make it map a new one. */
static atomic_int blas_inflight;
static atomic_int blas_highwater;

/* Bytes the address-space limit still allows, or -1 when unlimited. */
static long long address_room(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return -1;
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long long pages = 0;
  if (!f)
    return -1; /* cannot tell: do not refuse */
  int ok = fscanf(f, "%llu", &pages) == 1;
  fclose(f);
  if (!ok)
    return -1;
  long long used = (long long)pages * (long long)sysconf(_SC_PAGESIZE);
  long long lim = (long long)rl.rlim_cur;
  return lim > used ? lim - used : 0;
}

richeta_status rlz_blas_enter(void) {
  int n = atomic_fetch_add(&blas_inflight, 1) + 1;
  int hw = atomic_load(&blas_highwater);
  if (n <= hw || !rlz_blas_maps_buffers())
    return RICHETA_OK;
  long long room = address_room();
  if (room >= 0 && (unsigned long long)room < RLZ_BLAS_BUFFER_BYTES) {
    atomic_fetch_sub(&blas_inflight, 1);
    return RICHETA_ERR_NOMEM;
  }
  while (hw < n && !atomic_compare_exchange_weak(&blas_highwater, &hw, n)) {
  }
  return RICHETA_OK;
}

void rlz_blas_leave(void) { atomic_fetch_sub(&blas_inflight, 1); }

const char *rlz_blas_nomem_reason(void) {
  return "the address-space limit (ulimit -v) leaves no room for the 128 MiB buffer OpenBLAS "
         "maps for a new caller (it would retry forever): raise the limit or use less memory";
}
