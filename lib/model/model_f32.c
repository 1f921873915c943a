/* Single-precision instance of the model's run loop (model_run.inc). */
#include "model_priv.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define REAL float
#define OTHER double
#define SFX(name) name##_f32
#define RLZ_DTYPE RICHETA_DTYPE_F32
#define R_MAX FLT_MAX

#include "model_run.inc"
