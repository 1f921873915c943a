/* Double-precision instance of the executor's kernels (net_impl.inc),
 * with the R-operator, the scalar activations and the loss Hessian that
 * the diagnostics use (float64 only). */
#include "nn/net_priv.h"
#include "numeric/numeric.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define REAL double
#define SFX(name) name##_f64
#define RLZ_DTYPE RICHETA_DTYPE_F64
#define GEMV rlz_gemv_f64
#define GEMM rlz_gemm_f64
#define GER rlz_ger_f64
#define R_TANH tanh
#define R_ERFC erfc
#define R_EXP exp
#define R_UINT uint64_t
#define R_ABS_MASK UINT64_C(0x7fffffffffffffff)
#define R_INF_BITS UINT64_C(0x7ff0000000000000)
#define RLZ_NET_ROP_KERNELS 1

#include "net_impl.inc"

static richeta_status need_rop(rlz_net *n) {
  if (n->dtype != RICHETA_DTYPE_F64 || !(n->flags & RLZ_NET_ROP))
    return rlz_fail(n->err, RICHETA_ERR_INTERNAL, "network: R-operator on a net without it");
  return RICHETA_OK;
}

richeta_status rlz_net_rforward(rlz_net *n, const double *P, const double *V, const double *x,
                                int64_t b, double *rout) {
  richeta_status st = need_rop(n);
  return st != RICHETA_OK ? st : rlz_net_rforward_f64(n, P, V, x, b, rout);
}

richeta_status rlz_net_rbackward(rlz_net *n, const double *P, const double *V, const double *x,
                                 int64_t b, double *dout, double *rdout, double *hv) {
  richeta_status st = need_rop(n);
  return st != RICHETA_OK ? st : rlz_net_rbackward_f64(n, P, V, x, b, dout, rdout, hv);
}

double rlz_act_value(richeta_activation a, double x) {
  double y;
  act_apply_f64(a, 1, &x, &y);
  return y;
}

double rlz_act_deriv(richeta_activation a, double x) {
  return act_d1_f64(a, x, rlz_act_value(a, x));
}

double rlz_act_deriv2(richeta_activation a, double x) {
  return act_d2_f64(a, x, rlz_act_value(a, x));
}

/* Softmax CE: H_f r = sum(y) (p * r - p (p . r)) / b per sample; MSE: 2 r / (b C). */
void rlz_loss_hessian_f64(richeta_loss loss, const double *f, const double *y, const double *r,
                          int64_t b, int64_t C, double *out) {
  if (loss == RICHETA_LOSS_MSE) {
    for (int64_t i = 0; i < b * C; i++)
      out[i] = 2 * r[i] / ((double)b * (double)C);
    return;
  }
  for (int64_t i = 0; i < b; i++) {
    const double *fi = f + i * C, *yi = y + i * C, *ri = r + i * C;
    double mx = fi[0], sum = 0, ysum = 0, pr = 0;
    for (int64_t c = 1; c < C; c++)
      mx = fi[c] > mx ? fi[c] : mx;
    for (int64_t c = 0; c < C; c++) {
      sum += exp(fi[c] - mx);
      ysum += yi[c];
    }
    for (int64_t c = 0; c < C; c++)
      pr += exp(fi[c] - mx) / sum * ri[c];
    for (int64_t c = 0; c < C; c++) {
      double p = exp(fi[c] - mx) / sum;
      out[i * C + c] = ysum * (p * ri[c] - p * pr) / (double)b;
    }
  }
}
