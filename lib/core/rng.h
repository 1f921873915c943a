/* Counter-based random numbers: every value is a pure function of
 * (key, stream, counter), so results do not depend on call order or on the
 * number of threads. key is a user seed, stream separates independent uses
 * (one per weight matrix, one per data purpose...), counter indexes values
 * inside a stream. The generator hashes the triple with the SplitMix64
 * finalizer (a keyed SplitMix64 sequence per stream). */
#ifndef RLZ_RNG_H
#define RLZ_RNG_H

#include <stdint.h>

/* Stream ids used by the library, so that distinct purposes never share a
 * stream. Model initialisation uses RLZ_RNG_STREAM_INIT + layer. */
#define RLZ_RNG_STREAM_INIT UINT64_C(0x494e495400000000) /* "INIT" << 32 */
#define RLZ_RNG_STREAM_DATA UINT64_C(0x4441544100000000) /* "DATA" << 32 */

/* 64 uniformly distributed bits. */
uint64_t rlz_rng_u64(uint64_t key, uint64_t stream, uint64_t counter);
/* Uniform double in the open interval (0, 1) with 53 random bits. */
double rlz_rng_uniform(uint64_t key, uint64_t stream, uint64_t counter);
/* Standard normal. Normals come in Box-Muller pairs: counters 2k and 2k+1
 * share the uniforms drawn at counters 2k and 2k+1 (cosine and sine). */
double rlz_rng_normal(uint64_t key, uint64_t stream, uint64_t counter);
/* out[i] = rlz_rng_normal(key, stream, counter0 + i) for i in [0, n);
 * n <= 0 does nothing. */
void rlz_rng_normals(uint64_t key, uint64_t stream, uint64_t counter0, int64_t n, double *out);
/* Single-precision twin: the double values rounded to float. */
void rlz_rng_normals_f32(uint64_t key, uint64_t stream, uint64_t counter0, int64_t n, float *out);
/* Uniform integer in [0, bound) (bound >= 1), without modulo bias. */
uint64_t rlz_rng_below(uint64_t key, uint64_t stream, uint64_t counter, uint64_t bound);

#endif
