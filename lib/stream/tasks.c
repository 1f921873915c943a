/* Targets of the function tasks: single- and multi-index (Hermite),
 * staircase and sparse parity. Each target is a fixed function of the
 * input sample (and, for the index tasks, of directions drawn once from
 * the data seed), so batches stay pure functions of (data seed, step).
 * Every target has unit variance under its default input distribution. */
#include "stream/stream_internal.h"

#include "core/config_internal.h"
#include "core/rng.h"
#include "numeric/numeric.h"

#include <math.h>

/* Generator stream of the index directions; stream.c uses DATA|1..4 and
 * DATA|0x100+l for teacher layers l < 64, so 0x200 is free. */
#define STREAM_DIRECTIONS (RLZ_RNG_STREAM_DATA | 0x200u)

bool rlz_task_is_function(int64_t task) {
  return task == RICHETA_TASK_SINGLE_INDEX || task == RICHETA_TASK_MULTI_INDEX ||
         task == RICHETA_TASK_STAIRCASE || task == RICHETA_TASK_PARITY;
}

bool rlz_task_sign_inputs(int64_t task, int64_t inputs) {
  if (inputs == RICHETA_INPUT_SIGN)
    return true;
  if (inputs == RICHETA_INPUT_GAUSS)
    return false;
  return task == RICHETA_TASK_STAIRCASE || task == RICHETA_TASK_PARITY;
}

double rlz_hermite(int64_t p, double z) {
  /* He_0 = 1, He_1 = z, He_{n+1} = z He_n - n He_{n-1} */
  if (p <= 0)
    return 1.0;
  double prev = 1.0, cur = z;
  for (int64_t n = 1; n < p; n++) {
    double next = z * cur - (double)n * prev;
    prev = cur;
    cur = next;
  }
  return cur;
}

void rlz_task_free(rlz_task *t, const rlz_alloc *a) {
  rlz_free(a, t->dirs);
  rlz_free(a, t->proj);
  t->dirs = NULL;
  t->proj = NULL;
}

/* k orthonormal rows of length D by modified Gram-Schmidt (applied twice,
 * which keeps them orthonormal to rounding) on Gaussian rows. */
static richeta_status orthonormal_rows(rlz_err *e, uint64_t seed, int64_t k, int64_t D, double *u) {
  rlz_rng_normals(seed, STREAM_DIRECTIONS, 0, k * D, u);
  for (int64_t j = 0; j < k; j++) {
    double *r = u + j * D;
    for (int pass = 0; pass < 2; pass++)
      for (int64_t i = 0; i < j; i++) {
        double c = rlz_dot_f64(D, u + i * D, r);
        for (int64_t d = 0; d < D; d++)
          r[d] -= c * u[i * D + d];
      }
    double nrm = rlz_nrm2_f64(D, r);
    if (!(nrm > 1e-8 * sqrt((double)D))) /* probability zero for k <= D */
      return rlz_fail(e, RICHETA_ERR_INTERNAL, "index direction %lld is degenerate", (long long)j);
    for (int64_t d = 0; d < D; d++)
      r[d] /= nrm;
  }
  return RICHETA_OK;
}

richeta_status rlz_task_init(rlz_task *t, const rlz_alloc *a, const richeta_config *cfg,
                             uint64_t seed, int64_t D, int64_t C, int64_t B) {
  t->task = rlz_config_int(cfg, RICHETA_PARAM_TASK);
  t->p = rlz_config_int(cfg, RICHETA_PARAM_TASK_DEGREE);
  t->k = rlz_config_int(cfg, RICHETA_PARAM_TASK_INDICES);
  t->D = D;
  t->dirs = NULL;
  t->proj = NULL;
  t->sign_inputs = rlz_task_sign_inputs(t->task, rlz_config_int(cfg, RICHETA_PARAM_TASK_INPUTS));
  const char *name = "?";
  richeta_param_value_name(RICHETA_PARAM_TASK, t->task, &name);
  if (C != 1)
    return rlz_fail(NULL, RICHETA_ERR_MISMATCH, "task=%s has one output: set C=1 (C=%lld)", name,
                    (long long)C);
  if (t->task == RICHETA_TASK_SINGLE_INDEX)
    t->k = 1; /* one direction whatever k says */
  if (t->p < 1 || t->p > 20 || t->k < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "task=%s: degree %lld or k %lld out of range", name,
                    (long long)t->p, (long long)t->k);
  if (t->k > D)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "task=%s needs k <= D (k=%lld, D=%lld)", name,
                    (long long)t->k, (long long)D);
  double fact = 1.0;
  for (int64_t n = 2; n <= t->p; n++)
    fact *= (double)n;
  t->hnorm = 1.0 / sqrt(fact * (double)t->k);
  if (t->task != RICHETA_TASK_SINGLE_INDEX && t->task != RICHETA_TASK_MULTI_INDEX)
    return RICHETA_OK;
  size_t nd, np;
  if (!rlz_mul_size((size_t)t->k, (size_t)D, &nd) || !rlz_mul_size((size_t)t->k, (size_t)B, &np))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "task=%s: %lld directions overflow", name,
                    (long long)t->k);
  t->dirs = rlz_calloc(a, nd, sizeof(double));
  t->proj = rlz_calloc(a, np, sizeof(double));
  if (!t->dirs || !t->proj) {
    rlz_task_free(t, a);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "task=%s: cannot allocate %lld directions", name,
                    (long long)t->k);
  }
  richeta_status st = orthonormal_rows(NULL, seed, t->k, D, t->dirs);
  if (st != RICHETA_OK)
    rlz_task_free(t, a);
  return st;
}

void rlz_task_sign(int64_t n, double *x) {
  for (int64_t i = 0; i < n; i++)
    x[i] = x[i] < 0 ? -1.0 : 1.0;
}

richeta_status rlz_task_targets(const rlz_task *t, rlz_err *e, int64_t n, const double *x,
                                double *y) {
  const int64_t D = t->D, k = t->k;
  switch (t->task) {
  case RICHETA_TASK_SINGLE_INDEX:
  case RICHETA_TASK_MULTI_INDEX: {
    /* projections u_j . x of the n samples: n x k */
    richeta_status st =
        rlz_gemm_f64(RLZ_NO_TRANS, RLZ_TRANS, n, k, D, 1.0, x, D, t->dirs, D, 0.0, t->proj, k);
    if (st != RICHETA_OK)
      return rlz_fail(e, st, "index-task projections failed");
    for (int64_t i = 0; i < n; i++) {
      double sum = 0;
      for (int64_t j = 0; j < k; j++)
        sum += rlz_hermite(t->p, t->proj[i * k + j]);
      y[i] = sum * t->hnorm;
    }
    return RICHETA_OK;
  }
  case RICHETA_TASK_STAIRCASE:
    for (int64_t i = 0; i < n; i++) {
      double prod = 1, sum = 0;
      for (int64_t j = 0; j < k; j++) {
        prod *= x[i * D + j];
        sum += prod;
      }
      y[i] = sum / sqrt((double)k);
    }
    return RICHETA_OK;
  case RICHETA_TASK_PARITY:
    for (int64_t i = 0; i < n; i++) {
      double prod = 1;
      for (int64_t j = 0; j < k; j++)
        prod *= x[i * D + j];
      y[i] = prod;
    }
    return RICHETA_OK;
  default:
    return rlz_fail(e, RICHETA_ERR_INTERNAL, "task %lld has no target function",
                    (long long)t->task);
  }
}

const double *rlz_task_directions(const rlz_task *t, int64_t *k) {
  if (k)
    *k = t->dirs ? t->k : 0;
  return t->dirs;
}
