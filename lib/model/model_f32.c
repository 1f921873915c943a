/* Single-precision instance of the model kernel (model_impl.inc). */
#include "model_priv.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

#define REAL float
#define OTHER double
#define SFX(name) name##_f32
#define RLZ_DTYPE RICHETA_DTYPE_F32
#define GEMM rlz_gemm_f32
#define R_TANH tanhf
#define R_ERFC erfcf
#define R_EXP expf

#include "model_impl.inc"
