/* RLZ_SIMD_CLONES: give an elementwise kernel an AVX2 clone picked at load
 * time where the CPU has it (AVX2 brings no FMA: results are the same bits
 * either way). RLZ_SIMD_CLONES_WIDE adds an AVX-512 clone: that target
 * brings FMA, which is why the library is built with -ffp-contract=off (no
 * clone may fuse a multiply and an add the others round twice). Clones are
 * noinline: GCC -O3 would otherwise inline the default one into the caller.
 * Needs ifunc support (x86-64 with glibc). Left out under sanitizers: ifunc
 * resolvers run before the sanitizer runtime is ready (ThreadSanitizer
 * crashes in __tsan_func_entry from the resolver). */
#ifndef RLZ_SIMD_H
#define RLZ_SIMD_H

#include <string.h> /* defines __GLIBC__ on glibc, tested below */

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define RLZ_UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RLZ_UNDER_SANITIZER 1
#endif

#if !defined(RLZ_UNDER_SANITIZER) && defined(__x86_64__) && defined(__GLIBC__) &&                  \
    defined(__GNUC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define RLZ_SIMD_CLONES __attribute__((noinline, target_clones("avx2", "default")))
#define RLZ_SIMD_CLONES_WIDE __attribute__((noinline, target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef RLZ_SIMD_CLONES
#define RLZ_SIMD_CLONES
#endif
#ifndef RLZ_SIMD_CLONES_WIDE
#define RLZ_SIMD_CLONES_WIDE
#endif

#endif
