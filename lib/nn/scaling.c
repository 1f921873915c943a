/* The one scaling table: initial std and forward multipliers of every
 * parametrized node, per (parameterization, role). The gamma readout lives
 * here and nowhere else (docs/architectures.md, docs/parameterization.md).
 *
 *   role         param    init std        W multiplier          b multiplier
 *   MLP hidden   mf, ntk  1               1/sqrt(fan)           1
 *                sp       1/sqrt(fan)     1                     1
 *   std hidden   mf, ntk  1               1/sqrt(fan)           1/sqrt(fan)
 *                sp       1/sqrt(fan)     1                     1
 *   readout      mf       1               1/(gamma fan)         same
 *                ntk      1               1/(gamma sqrt(fan))   same
 *                sp       1/sqrt(fan)     1/gamma               same
 *   teacher      -        1               1/sqrt(fan)           (no bias)
 *
 * "fan" is the fan-in (a convolution's per its conv_scale: C_in or
 * C_in k^2; SP always draws with 1/(C_in k^2)). Every tensor trains at the
 * optimizer's one rate: lr multiplier 1. */
#include "nn/nn.h"

#include <math.h>

rlz_scale rlz_scaling(richeta_parameterization p, rlz_role role, double fan_in, double gamma) {
  rlz_scale s = {1.0, 1.0, 1.0, 1.0};
  bool sp = p == RICHETA_PARAMETERIZATION_SP;
  switch (role) {
  case RLZ_ROLE_MLP_HIDDEN:
    if (sp)
      s.init_std = 1.0 / sqrt(fan_in);
    else
      s.wmul = 1.0 / sqrt(fan_in);
    break;
  case RLZ_ROLE_STD_HIDDEN:
    if (sp)
      s.init_std = 1.0 / sqrt(fan_in);
    else
      s.wmul = s.bmul = 1.0 / sqrt(fan_in);
    break;
  case RLZ_ROLE_READOUT: {
    double div;
    switch (p) {
    case RICHETA_PARAMETERIZATION_NTK:
      div = gamma * sqrt(fan_in);
      break;
    case RICHETA_PARAMETERIZATION_SP:
      div = gamma;
      s.init_std = 1.0 / sqrt(fan_in);
      break;
    case RICHETA_PARAMETERIZATION_MF:
    default:
      div = gamma * fan_in;
      break;
    }
    s.wmul = s.bmul = 1.0 / div;
    break;
  }
  case RLZ_ROLE_TEACHER:
    s.wmul = 1.0 / sqrt(fan_in);
    break;
  case RLZ_ROLE_NONE:
  default:
    break;
  }
  return s;
}
