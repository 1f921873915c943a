/* Plain SGD with the parameterization's width multiplier, heavy-ball
 * momentum and L2 weight decay, updating the model's contiguous parameter
 * buffer in place. All buffers are sized at creation: a step allocates
 * nothing. */
#include "core/simd.h"
#include "optim/optim_internal.h"

#include "core/config_internal.h"
#include "model/model_internal.h"
#include "numeric/numeric.h"

#include <float.h>
#include <math.h>
#include <string.h>

struct richeta_optim {
  rlz_alloc alloc;
  rlz_err err;
  richeta_model *model; /* borrowed */
  richeta_dtype dtype;  /* the model's resolved dtype */
  int64_t n;            /* number of parameters */
  double eta;
  double momentum;
  double wd;
  double width_mult;
  int64_t steps;
  void *vel; /* momentum buffer in the model dtype; NULL when momentum == 0 */
};

static size_t elem_size(richeta_dtype d) {
  return d == RICHETA_DTYPE_F32 ? sizeof(float) : sizeof(double);
}

richeta_status richeta_optim_new(richeta_optim **out, richeta_model *model,
                                 const richeta_config *cfg) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_new: out is NULL");
  *out = NULL;
  if (!model || !cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_new: %s is NULL",
                    model ? "cfg" : "model");
  double eta = rlz_config_double(cfg, RICHETA_PARAM_ETA0);
  double mom = rlz_config_double(cfg, RICHETA_PARAM_MOMENTUM);
  double wd = rlz_config_double(cfg, RICHETA_PARAM_WEIGHT_DECAY);
  /* the configuration checks bounds already; re-check what the update relies on */
  if (!isfinite(eta) || !isfinite(mom) || !isfinite(wd))
    return rlz_fail(NULL, RICHETA_ERR_NONFINITE, "richeta_optim_new: non-finite hyperparameter");
  if (eta <= 0 || mom < 0 || mom >= 1 || wd < 0)
    return rlz_fail(NULL, RICHETA_ERR_RANGE,
                    "richeta_optim_new: need eta0 > 0, momentum in [0,1), wd >= 0 (got %g, %g, %g)",
                    eta, mom, wd);
  const rlz_alloc *a = rlz_config_alloc(cfg);
  richeta_optim *o = rlz_calloc(a, 1, sizeof *o);
  if (!o)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate an optimizer");
  o->alloc = *a;
  o->model = model;
  o->dtype = rlz_model_dtype(model);
  o->n = rlz_model_num_params(model);
  o->eta = eta;
  o->momentum = mom;
  o->wd = wd;
  o->width_mult = rlz_model_width_mult(model);
  if (mom > 0) {
    o->vel = rlz_calloc(a, (size_t)o->n, elem_size(o->dtype));
    if (!o->vel) {
      rlz_free(a, o);
      return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a momentum buffer of %lld values",
                      (long long)rlz_model_num_params(model));
    }
  }
  *out = o;
  return RICHETA_OK;
}

void richeta_optim_free(richeta_optim *optim) {
  if (!optim)
    return;
  rlz_alloc a = optim->alloc;
  rlz_free(&a, optim->vel);
  rlz_free(&a, optim);
}

const char *richeta_optim_last_error(const richeta_optim *optim) {
  return optim ? optim->err.msg : richeta_last_error();
}

richeta_status richeta_optim_set_eta(richeta_optim *optim, double eta) {
  if (!optim)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_set_eta: optim is NULL");
  if (!isfinite(eta))
    return rlz_fail(&optim->err, RICHETA_ERR_NONFINITE, "learning rate is %g", eta);
  if (eta <= 0)
    return rlz_fail(&optim->err, RICHETA_ERR_RANGE, "learning rate %g is not > 0", eta);
  optim->eta = eta;
  return RICHETA_OK;
}

richeta_status richeta_optim_get_eta(const richeta_optim *optim, double *eta) {
  if (!optim || !eta)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_get_eta: NULL argument");
  *eta = optim->eta;
  return RICHETA_OK;
}

richeta_status richeta_optim_width_multiplier(const richeta_optim *optim, double *mult) {
  if (!optim || !mult)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_width_multiplier: NULL argument");
  *mult = optim->width_mult;
  return RICHETA_OK;
}

richeta_status richeta_optim_steps(const richeta_optim *optim, int64_t *steps) {
  if (!optim || !steps)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_steps: NULL argument");
  *steps = optim->steps;
  return RICHETA_OK;
}

richeta_status richeta_optim_reset(richeta_optim *optim) {
  if (!optim)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_optim_reset: optim is NULL");
  if (optim->vel)
    memset(optim->vel, 0, (size_t)optim->n * elem_size(optim->dtype));
  optim->steps = 0;
  return RICHETA_OK;
}

/* Plain SGD (no momentum, no weight decay): g + 0 * p is g, so this is the
 * general rule below minus a multiply, bit for bit. Written in blocks of 16
 * with a local array: GCC then keeps the float -> double -> float
 * conversions in registers instead of bouncing them through the stack. */
#define SGD_BLK 16
/* An AVX2 clone (chosen at load time where the CPU has it) doubles the
 * conversion throughput; AVX2 alone brings no FMA, so the bits are the same. */
RLZ_SIMD_CLONES
static void sgd_plain_float(int64_t n, float *restrict p, const float *restrict g, double lr) {
  int64_t i = 0;
  for (; i + SGD_BLK <= n; i += SGD_BLK) {
    double t[SGD_BLK];
    for (int k = 0; k < SGD_BLK; k++)
      t[k] = (double)p[i + k] - lr * (double)g[i + k];
    for (int k = 0; k < SGD_BLK; k++)
      p[i + k] = (float)t[k];
  }
  for (; i < n; i++)
    p[i] = (float)((double)p[i] - lr * (double)g[i]);
}

RLZ_SIMD_CLONES
static void sgd_plain_double(int64_t n, double *restrict p, const double *restrict g, double lr) {
  for (int64_t i = 0; i < n; i++)
    p[i] = p[i] - lr * g[i];
}

/* The update for one dtype. f32 parameters are updated with double
 * intermediates and rounded once (plain f32 SGD takes the axpy in
 * rlz_optim_step when the rate is a normal float). */
#define RLZ_SGD_UPDATE(T, p, g, v, n, lr, mu, wd)                                                  \
  do {                                                                                             \
    if (v) {                                                                                       \
      for (int64_t i = 0; i < (n); i++) {                                                          \
        double vi = (mu) * (double)(v)[i] + ((double)(g)[i] + (wd) * (double)(p)[i]);              \
        (v)[i] = (T)vi;                                                                            \
        (p)[i] = (T)((double)(p)[i] - (lr) * (double)(v)[i]);                                      \
      }                                                                                            \
    } else if ((wd) == 0) {                                                                        \
      sgd_plain_##T((n), (p), (g), (lr));                                                          \
    } else {                                                                                       \
      for (int64_t i = 0; i < (n); i++)                                                            \
        (p)[i] = (T)((double)(p)[i] - (lr) * ((double)(g)[i] + (wd) * (double)(p)[i]));            \
    }                                                                                              \
  } while (0)

richeta_status rlz_optim_step(richeta_optim *o, const void *x, const void *y, int64_t batch,
                              richeta_dtype in_dtype, double *loss) {
  if (!o)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "optimizer step: optim is NULL");
  if (!x || !y)
    return rlz_fail(&o->err, RICHETA_ERR_NULL, "optimizer step: %s is NULL", x ? "y" : "x");
  if (batch < 1)
    return rlz_fail(&o->err, RICHETA_ERR_RANGE, "optimizer step: batch %lld < 1", (long long)batch);
  double l = NAN;
  richeta_status st = rlz_model_loss_grad(o->model, x, y, batch, in_dtype, &l);
  if (loss)
    *loss = l;
  if (st != RICHETA_OK)
    return rlz_fail(&o->err, st, "%s", rlz_model_err(o->model)->msg);
  const void *g = rlz_model_grad(o->model);
  bool gfinite = isfinite(l) && rlz_model_grad_finite(o->model);
  if (!isfinite(l) || !gfinite)
    return rlz_fail(&o->err, RICHETA_ERR_DIVERGED,
                    "step %lld: %s is not finite (loss %g); parameters unchanged",
                    (long long)o->steps, isfinite(l) ? "gradient" : "loss", l);
  double lr = o->eta * o->width_mult;
  if (o->dtype == RICHETA_DTYPE_F32 && !o->vel && o->wd == 0 && lr >= FLT_MIN && lr <= FLT_MAX) {
    /* plain SGD on f32 is an axpy: BLAS runs it on its threads (a large
     * model's update is a memory-bound pass as long as a step's products
     * on two threads), one rounding with FMA; lr is a normal float here.
     * A model with a thread team of its own keeps BLAS single-threaded:
     * OpenBLAS's threads would spin beside the team's next pass. */
    int bt = rlz_model_has_team(o->model) ? rlz_blas_get_threads_impl() : 1;
    if (bt > 1)
      rlz_blas_set_threads_impl(1);
    rlz_axpy_f32(o->n, (float)-lr, g, rlz_model_params(o->model));
    if (bt > 1)
      rlz_blas_set_threads_impl(bt);
  } else if (o->dtype == RICHETA_DTYPE_F32) {
    float *p = rlz_model_params(o->model);
    const float *gf = g;
    float *v = o->vel;
    RLZ_SGD_UPDATE(float, p, gf, v, o->n, lr, o->momentum, o->wd);
  } else {
    double *p = rlz_model_params(o->model);
    const double *gd = g;
    double *v = o->vel;
    RLZ_SGD_UPDATE(double, p, gd, v, o->n, lr, o->momentum, o->wd);
  }
  o->steps++;
  return RICHETA_OK;
}

richeta_status richeta_optim_step_f64(richeta_optim *optim, const double *x, const double *y,
                                      int64_t batch, double *loss) {
  return rlz_optim_step(optim, x, y, batch, RICHETA_DTYPE_F64, loss);
}

richeta_status richeta_optim_step_f32(richeta_optim *optim, const float *x, const float *y,
                                      int64_t batch, double *loss) {
  return rlz_optim_step(optim, x, y, batch, RICHETA_DTYPE_F32, loss);
}

void *rlz_optim_velocity(richeta_optim *o) { return o->vel; }
const void *rlz_optim_velocity_const(const richeta_optim *o) { return o->vel; }

void rlz_optim_restore(richeta_optim *o, int64_t steps, double eta) {
  o->steps = steps;
  o->eta = eta;
}
