/* Double-precision instance of the model's run loop (model_run.inc). */
#include "model_priv.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define REAL double
#define OTHER float
#define SFX(name) name##_f64
#define RLZ_DTYPE RICHETA_DTYPE_F64
#define R_MAX DBL_MAX

#include "model_run.inc"
