/* Keyed permutations of [0, n) for epoch shuffling without O(n) state. */
#include "data_internal.h"

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void rlz_perm_init(rlz_perm *p, uint64_t seed, uint64_t epoch, uint64_t n) {
  uint64_t k = mix64(seed ^ 0x9e3779b97f4a7c15ULL) ^ mix64(epoch + 0x632be59bd9b4e019ULL);
  for (int r = 0; r < 6; r++) {
    k = mix64(k + 0x9e3779b97f4a7c15ULL * (uint64_t)(r + 1));
    p->keys[r] = k;
  }
  unsigned h = 1;
  while (h < 32 && (n - 1) >> (2 * h) != 0)
    h++;
  p->half_bits = h;
  p->n = n;
}

static uint64_t feistel(const rlz_perm *p, uint64_t x) {
  unsigned h = p->half_bits;
  uint64_t mask = h >= 64 ? ~0ULL : ((1ULL << h) - 1);
  uint64_t l = (x >> h) & mask, r = x & mask;
  for (int k = 0; k < 6; k++) {
    uint64_t nl = r;
    r = l ^ (mix64(r ^ p->keys[k]) & mask);
    l = nl;
  }
  return (l << h) | r;
}

uint64_t rlz_perm_apply(const rlz_perm *p, uint64_t pos) {
  /* cycle walking: the domain is < 4n, so this loops < 4 times on average */
  uint64_t x = pos;
  do
    x = feistel(p, x);
  while (x >= p->n);
  return x;
}

int64_t rlz_perm_index(uint64_t seed, uint64_t epoch, int64_t n, int64_t pos) {
  if (n <= 0 || pos < 0 || pos >= n)
    return -1;
  rlz_perm p;
  rlz_perm_init(&p, seed, epoch, (uint64_t)n);
  return (int64_t)rlz_perm_apply(&p, (uint64_t)pos);
}
