/* Shared helpers of the diagnostics files. */
#ifndef RLZ_DIAG_INTERNAL_H
#define RLZ_DIAG_INTERNAL_H

#include "diag/jet.h"
#include "model/model_internal.h"
#include <richlazy/diag.h>

/* Validate (model, x, y, batch) and record the message on the model. */
richeta_status rlz_diag_check_batch(richeta_model *m, const double *x, const double *y,
                                    int64_t batch, int need_y);

#endif
