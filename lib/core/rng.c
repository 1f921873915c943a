/* Counter-based RNG (see rng.h): SplitMix64 finalizer applied to a keyed,
 * per-stream Weyl sequence, plus Box-Muller normals. */
#include "rng.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "simd.h"

#define RLZ_GOLDEN UINT64_C(0x9e3779b97f4a7c15)

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Seed of the SplitMix64 sequence of (key, stream): two finalizer rounds so
 * that nearby keys and streams give unrelated sequences. */
static uint64_t stream_seed(uint64_t key, uint64_t stream) {
  uint64_t k = mix64(key ^ UINT64_C(0x243f6a8885a308d3));
  return mix64(k ^ mix64(stream + UINT64_C(0x13198a2e03707344)));
}

uint64_t rlz_rng_u64(uint64_t key, uint64_t stream, uint64_t counter) {
  return mix64(stream_seed(key, stream) + (counter + 1) * RLZ_GOLDEN);
}

/* ---- Box-Muller with our own log and sincos ------------------------------
 * libm's log, sin and cos are scalar calls and were a third of a small
 * training step. The versions below are branch-free, so the pair loop
 * vectorizes, and accurate to a few ulps (tested against libm). The library
 * is built with -ffp-contract=off, so every clone and the scalar path give
 * the same bits. */

#define RLZ_PAIR_BLOCK 64
/* inlined into every clone of box_muller_block, so that its loops vectorize */
#define RLZ_INLINE __attribute__((always_inline)) inline

static RLZ_INLINE double bits_to_double(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

static RLZ_INLINE uint64_t double_to_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}

/* Exact conversion of an integer below 2^52 (no int64 -> double vector
 * instruction before AVX-512DQ): place it in the mantissa of 2^52. */
static RLZ_INLINE double small_u64_to_double(uint64_t x) {
  return bits_to_double(x | UINT64_C(0x4330000000000000)) - 4503599627370496.0;
}

/* 53 random bits, centred in their cell: never 0, never 1. The bits are
 * converted in two exact halves (no 64-bit integer conversion in the
 * vector loops): the same double as (double)(u >> 11). */
static RLZ_INLINE double to_open_unit(uint64_t u) {
  uint64_t x = u >> 11;
  double d = small_u64_to_double(x >> 26) * 67108864.0 + small_u64_to_double(x & 0x3ffffff);
  return (d + 0.5) * (1.0 / 9007199254740992.0);
}

/* log(u) for a normal positive u: u = 2^e m with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.1716, by its series. */
static RLZ_INLINE double log_positive(double u) {
  uint64_t b = double_to_bits(u);
  double e = small_u64_to_double(b >> 52) - 1023.0;
  double m = bits_to_double((b & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000));
  bool big = m > 1.4142135623730951;
  m = big ? 0.5 * m : m;
  e = big ? e + 1.0 : e;
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double z = s * s;
  double p = 1.0 / 21;
  p = p * z + 1.0 / 19;
  p = p * z + 1.0 / 17;
  p = p * z + 1.0 / 15;
  p = p * z + 1.0 / 13;
  p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;
  p = p * z + 1.0 / 7;
  p = p * z + 1.0 / 5;
  p = p * z + 1.0 / 3;
  /* log m = 2s (1 + z p): the correction 2s z p is added last, to 2s */
  double logm = 2.0 * s + 2.0 * s * (z * p);
  return e * 0.6931471805599453 + (e * 2.319046813846299558e-17 + logm);
}

/* cos(2 pi u) and sin(2 pi u) for u in [0, 1]: 4u = q + r with q the
 * nearest integer (exact), x = r pi/2 in [-pi/4, pi/4], Taylor series to
 * x^17 / x^16 (remainders below 1e-17), then the quadrant q mod 4. */
static RLZ_INLINE void sincos_2pi(double u, double *c, double *s) {
  double v = 4.0 * u;
  double shifted = v + 6755399441055744.0; /* 1.5 * 2^52: rounds v to an integer */
  uint64_t q = double_to_bits(shifted) & 3;
  double r = v - (shifted - 6755399441055744.0);
  double x = r * 1.5707963267948966;
  double z = x * x;
  double ps = -1.0 / 355687428096000.0; /* -1/17! */
  ps = ps * z + 1.0 / 1307674368000.0;
  ps = ps * z - 1.0 / 6227020800.0;
  ps = ps * z + 1.0 / 39916800.0;
  ps = ps * z - 1.0 / 362880.0;
  ps = ps * z + 1.0 / 5040.0;
  ps = ps * z - 1.0 / 120.0;
  ps = ps * z + 1.0 / 6.0;
  double sn = x - x * z * ps;
  double pc = 1.0 / 20922789888000.0; /* 1/16! */
  pc = pc * z - 1.0 / 87178291200.0;
  pc = pc * z + 1.0 / 479001600.0;
  pc = pc * z - 1.0 / 3628800.0;
  pc = pc * z + 1.0 / 40320.0;
  pc = pc * z - 1.0 / 720.0;
  pc = pc * z + 1.0 / 24.0;
  pc = pc * z - 0.5;
  double cs = 1.0 + z * pc;
  bool swap = q & 1;
  double cc = swap ? sn : cs, ss = swap ? cs : sn;
  *c = (q == 1 || q == 2) ? -cc : cc;
  *s = (q >= 2) ? -ss : ss;
}

double rlz_rng_uniform(uint64_t key, uint64_t stream, uint64_t counter) {
  return to_open_unit(rlz_rng_u64(key, stream, counter));
}

static RLZ_INLINE void pair_uniforms(uint64_t seed, uint64_t pair, double *u1, double *u2) {
  *u1 = to_open_unit(mix64(seed + (2 * pair + 1) * RLZ_GOLDEN));
  *u2 = to_open_unit(mix64(seed + (2 * pair + 2) * RLZ_GOLDEN));
}

static RLZ_INLINE void box_muller_uniforms(double u1, double u2, double *c, double *s) {
  double r = sqrt(-2.0 * log_positive(u1));
  double cs, sn;
  sincos_2pi(u2, &cs, &sn);
  *c = r * cs;
  *s = r * sn;
}

static void box_muller(uint64_t seed, uint64_t pair, double *c, double *s) {
  double u1, u2;
  pair_uniforms(seed, pair, &u1, &u2);
  box_muller_uniforms(u1, u2, c, s);
}

/* n <= RLZ_PAIR_BLOCK consecutive pairs from pair0: cosines into c, sines
 * into s. Same arithmetic as box_muller, in loops the compiler vectorizes. */
RLZ_SIMD_CLONES_WIDE
static void box_muller_block(uint64_t seed, uint64_t pair0, int n, double *c, double *s) {
  double u1[RLZ_PAIR_BLOCK], u2[RLZ_PAIR_BLOCK];
  for (int i = 0; i < n; i++)
    pair_uniforms(seed, pair0 + (uint64_t)i, &u1[i], &u2[i]);
  for (int i = 0; i < n; i++)
    box_muller_uniforms(u1[i], u2[i], &c[i], &s[i]);
}

double rlz_rng_normal(uint64_t key, uint64_t stream, uint64_t counter) {
  double c, s;
  box_muller(stream_seed(key, stream), counter >> 1, &c, &s);
  return (counter & 1) ? s : c;
}

void rlz_rng_normals(uint64_t key, uint64_t stream, uint64_t counter0, int64_t n, double *out) {
  if (n <= 0)
    return;
  uint64_t seed = stream_seed(key, stream);
  double c[RLZ_PAIR_BLOCK], s[RLZ_PAIR_BLOCK];
  uint64_t pair = counter0 >> 1;   /* counters wrap like the scalar draws */
  bool skip_cosine = counter0 & 1; /* odd start: second half of a pair */
  for (int64_t i = 0; i < n;) {
    int64_t need = (n - i + (skip_cosine ? 1 : 0) + 1) / 2;
    int k = need < RLZ_PAIR_BLOCK ? (int)need : RLZ_PAIR_BLOCK;
    box_muller_block(seed, pair, k, c, s);
    for (int j = 0; j < k && i < n; j++) {
      if (!(skip_cosine && j == 0))
        out[i++] = c[j];
      if (i < n)
        out[i++] = s[j];
    }
    skip_cosine = false;
    pair += (uint64_t)k;
  }
}

void rlz_rng_normals_f32(uint64_t key, uint64_t stream, uint64_t counter0, int64_t n, float *out) {
  double tmp[256];
  for (int64_t done = 0; done < n;) {
    int64_t k = n - done < 256 ? n - done : 256;
    rlz_rng_normals(key, stream, counter0 + (uint64_t)done, k, tmp);
    for (int64_t i = 0; i < k; i++)
      out[done + i] = (float)tmp[i];
    done += k;
  }
}

uint64_t rlz_rng_below(uint64_t key, uint64_t stream, uint64_t counter, uint64_t bound) {
  if (bound <= 1)
    return 0;
  /* rejection on the top of the range; the retry draws from a sub-stream of
   * counters that no plain call uses (counter mixed with an attempt tag) */
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t u = rlz_rng_u64(key, stream, counter);
  for (uint64_t attempt = 1; u >= limit; attempt++)
    u = mix64(u ^ mix64(counter + attempt * RLZ_GOLDEN));
  return u % bound;
}
