/* Double-precision instance of the model kernel (model_impl.inc). */
#include "model_priv.h"
#include "numeric/numeric.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define REAL double
#define OTHER float
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
#define R_MAX DBL_MAX

#include "model_impl.inc"
