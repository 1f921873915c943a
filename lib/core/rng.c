/* Counter-based RNG (see rng.h): SplitMix64 finalizer applied to a keyed,
 * per-stream Weyl sequence, plus Box-Muller normals. */
#include "rng.h"

#include <math.h>

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

static double to_open_unit(uint64_t u) {
  /* 53 bits, centred in their cell: never 0, never 1 */
  return ((double)(u >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double rlz_rng_uniform(uint64_t key, uint64_t stream, uint64_t counter) {
  return to_open_unit(rlz_rng_u64(key, stream, counter));
}

static void box_muller(uint64_t seed, uint64_t pair, double *c, double *s) {
  double u1 = to_open_unit(mix64(seed + (2 * pair + 1) * RLZ_GOLDEN));
  double u2 = to_open_unit(mix64(seed + (2 * pair + 2) * RLZ_GOLDEN));
  double r = sqrt(-2.0 * log(u1));
  double t = 6.283185307179586476925 * u2;
  *c = r * cos(t);
  *s = r * sin(t);
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
  int64_t i = 0;
  uint64_t ctr = counter0;
  double c, s;
  if (ctr & 1) { /* odd start: second half of a pair */
    box_muller(seed, ctr >> 1, &c, &s);
    out[i++] = s;
    ctr++;
  }
  for (; i + 1 < n; i += 2, ctr += 2) {
    box_muller(seed, ctr >> 1, &c, &s);
    out[i] = c;
    out[i + 1] = s;
  }
  if (i < n) {
    box_muller(seed, ctr >> 1, &c, &s);
    out[i] = c;
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
