/* The gamma-aware learning-rate scheduler: eta(t) = eta0 * g(gamma) * s(t).
 * Everything is fixed at creation, so a scheduler is immutable and may be
 * shared read-only between threads. */
#include <richlazy/sched.h>

#include "core/config_internal.h"
#include "core/core.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

struct richeta_sched {
  rlz_alloc alloc;
  rlz_err err; /* written only by failing calls (documented one-thread use) */
  double eta0;
  double gfactor; /* g(gamma), computed once */
  int schedule;
  int64_t warmup;
  int64_t steps; /* T, the cosine horizon */
  int64_t decay_every;
  double decay_factor;
  double min_factor;
};

richeta_status richeta_gamma_rule_theory(double gamma, int64_t depth, double *factor) {
  if (!factor)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_gamma_rule_theory: factor is NULL");
  if (!isfinite(gamma))
    return rlz_fail(NULL, RICHETA_ERR_NONFINITE, "richeta_gamma_rule_theory: gamma is %g", gamma);
  if (gamma <= 0)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "richeta_gamma_rule_theory: gamma %g <= 0", gamma);
  if (depth < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "richeta_gamma_rule_theory: depth %lld < 1",
                    (long long)depth);
  /* gamma^2 and gamma^(2/L) meet at gamma = 1 (both 1): continuous there. */
  *factor = gamma <= 1.0 ? gamma * gamma : pow(gamma, 2.0 / (double)depth);
  return RICHETA_OK;
}

/* g(gamma) of the configured rule; RANGE when it is not a finite positive number. */
static richeta_status gamma_factor(const richeta_config *cfg, double *g) {
  double gamma = rlz_config_double(cfg, RICHETA_PARAM_GAMMA);
  int64_t rule = rlz_config_int(cfg, RICHETA_PARAM_GAMMA_RULE);
  richeta_status st = RICHETA_OK;
  switch (rule) {
  case RICHETA_GAMMA_RULE_NONE:
    *g = 1.0;
    break;
  case RICHETA_GAMMA_RULE_THEORY:
    st = richeta_gamma_rule_theory(gamma, rlz_config_int(cfg, RICHETA_PARAM_DEPTH), g);
    break;
  case RICHETA_GAMMA_RULE_CUSTOM: {
    double cross = rlz_config_double(cfg, RICHETA_PARAM_CROSSOVER);
    double pre = rlz_config_double(cfg, RICHETA_PARAM_RULE_PREFACTOR);
    double a = gamma <= cross ? rlz_config_double(cfg, RICHETA_PARAM_LAZY_EXPONENT)
                              : rlz_config_double(cfg, RICHETA_PARAM_RICH_EXPONENT);
    *g = pre * pow(gamma / cross, a);
    break;
  }
  default:
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "unknown gamma rule %lld", (long long)rule);
  }
  if (st != RICHETA_OK)
    return st;
  if (!isfinite(*g) || *g <= 0)
    return rlz_fail(NULL, RICHETA_ERR_RANGE,
                    "gamma rule gives g(gamma=%g) = %g, not a finite positive factor", gamma, *g);
  return RICHETA_OK;
}

richeta_status richeta_sched_new(richeta_sched **out, const richeta_config *cfg) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sched_new: out is NULL");
  *out = NULL;
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sched_new: cfg is NULL");
  int64_t schedule = rlz_config_int(cfg, RICHETA_PARAM_SCHEDULE);
  if (schedule != RICHETA_SCHEDULE_CONSTANT && schedule != RICHETA_SCHEDULE_COSINE &&
      schedule != RICHETA_SCHEDULE_STEP)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "unknown schedule %lld", (long long)schedule);
  double g;
  richeta_status st = gamma_factor(cfg, &g);
  if (st != RICHETA_OK)
    return st;
  const rlz_alloc *a = rlz_config_alloc(cfg);
  richeta_sched *s = rlz_calloc(a, 1, sizeof *s);
  if (!s)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a scheduler");
  s->alloc = *a;
  s->eta0 = rlz_config_double(cfg, RICHETA_PARAM_ETA0);
  s->gfactor = g;
  s->schedule = (int)schedule;
  s->warmup = rlz_config_int(cfg, RICHETA_PARAM_WARMUP_STEPS);
  s->steps = rlz_config_int(cfg, RICHETA_PARAM_STEPS);
  s->decay_every = rlz_config_int(cfg, RICHETA_PARAM_DECAY_STEPS);
  s->decay_factor = rlz_config_double(cfg, RICHETA_PARAM_DECAY_FACTOR);
  s->min_factor = rlz_config_double(cfg, RICHETA_PARAM_MIN_FACTOR);
  *out = s;
  return RICHETA_OK;
}

void richeta_sched_free(richeta_sched *sched) {
  if (!sched)
    return;
  rlz_alloc a = sched->alloc;
  rlz_free(&a, sched);
}

const char *richeta_sched_last_error(const richeta_sched *sched) {
  return sched ? sched->err.msg : richeta_last_error();
}

/* s(t) for t >= 0. */
static double time_factor(const richeta_sched *s, int64_t t) {
  double w = 1.0;
  if (t < s->warmup)
    w = (double)(t + 1) / (double)s->warmup;
  double f = 1.0;
  switch (s->schedule) {
  case RICHETA_SCHEDULE_COSINE:
    if (s->steps > 0) {
      /* past T the rate stays at the floor */
      double u = t >= s->steps ? 1.0 : (double)t / (double)s->steps;
      f = s->min_factor + (1.0 - s->min_factor) * 0.5 * (1.0 + cos(M_PI * u));
    }
    break;
  case RICHETA_SCHEDULE_STEP:
    f = pow(s->decay_factor, (double)(t / s->decay_every));
    break;
  default:
    break;
  }
  return w * f;
}

richeta_status richeta_sched_time_factor(const richeta_sched *sched, int64_t step, double *factor) {
  if (!sched || !factor)
    return rlz_fail(sched ? (rlz_err *)&sched->err : NULL, RICHETA_ERR_NULL,
                    "richeta_sched_time_factor: NULL argument");
  if (step < 0)
    return rlz_fail((rlz_err *)&sched->err, RICHETA_ERR_RANGE, "step %lld < 0", (long long)step);
  *factor = time_factor(sched, step);
  return RICHETA_OK;
}

richeta_status richeta_sched_eta(const richeta_sched *sched, int64_t step, double *eta) {
  if (!sched || !eta)
    return rlz_fail(sched ? (rlz_err *)&sched->err : NULL, RICHETA_ERR_NULL,
                    "richeta_sched_eta: NULL argument");
  if (step < 0)
    return rlz_fail((rlz_err *)&sched->err, RICHETA_ERR_RANGE, "step %lld < 0", (long long)step);
  *eta = sched->eta0 * sched->gfactor * time_factor(sched, step);
  return RICHETA_OK;
}

richeta_status richeta_sched_gamma_factor(const richeta_sched *sched, double *factor) {
  if (!sched || !factor)
    return rlz_fail(sched ? (rlz_err *)&sched->err : NULL, RICHETA_ERR_NULL,
                    "richeta_sched_gamma_factor: NULL argument");
  *factor = sched->gfactor;
  return RICHETA_OK;
}

richeta_status richeta_sched_apply(const richeta_sched *sched, richeta_optim *optim, int64_t step) {
  if (!sched || !optim)
    return rlz_fail(sched ? (rlz_err *)&sched->err : NULL, RICHETA_ERR_NULL,
                    "richeta_sched_apply: NULL argument");
  if (step < 0)
    return rlz_fail((rlz_err *)&sched->err, RICHETA_ERR_RANGE, "step %lld < 0", (long long)step);
  double eta = sched->eta0 * sched->gfactor * time_factor(sched, step);
  if (!isfinite(eta) || eta <= 0)
    return rlz_fail((rlz_err *)&sched->err, RICHETA_ERR_RANGE,
                    "rate at step %lld is %g, not a finite positive number", (long long)step, eta);
  richeta_status st = richeta_optim_set_eta(optim, eta);
  if (st != RICHETA_OK)
    return rlz_fail((rlz_err *)&sched->err, st, "%s", richeta_optim_last_error(optim));
  return RICHETA_OK;
}
