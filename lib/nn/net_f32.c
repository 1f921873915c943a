/* Single-precision instance of the executor's kernels (net_impl.inc). */
#include "nn/net_priv.h"
#include "numeric/numeric.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define REAL float
#define SFX(name) name##_f32
#define RLZ_DTYPE RICHETA_DTYPE_F32
#define GEMV rlz_gemv_f32
#define GEMM rlz_gemm_f32
#define GER rlz_ger_f32
#define R_TANH tanhf
#define R_ERFC erfcf
#define R_EXP expf
#define R_UINT uint32_t
#define R_ABS_MASK UINT32_C(0x7fffffff)
#define R_INF_BITS UINT32_C(0x7f800000)
#define RLZ_NET_ROP_KERNELS 0

#include "net_impl.inc"
