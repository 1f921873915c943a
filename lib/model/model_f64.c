/* Double-precision instance of the model kernel (model_impl.inc). */
#include "model_priv.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

#define REAL double
#define OTHER float
#define SFX(name) name##_f64
#define RLZ_DTYPE RICHETA_DTYPE_F64
#define GEMM rlz_gemm_f64
#define R_TANH tanh
#define R_ERFC erfc
#define R_EXP exp

#include "model_impl.inc"
