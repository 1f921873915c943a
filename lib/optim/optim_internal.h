/* Internal access to the optimizer for the trainer and checkpoints. */
#ifndef RLZ_OPTIM_INTERNAL_H
#define RLZ_OPTIM_INTERNAL_H

#include "core/core.h"
#include <richlazy/optim.h>

/* One step on a batch in dtype in_dtype (F32 or F64); same contract as the
 * public step functions. */
richeta_status rlz_optim_step(richeta_optim *o, const void *x, const void *y, int64_t batch,
                              richeta_dtype in_dtype, double *loss);
/* Momentum buffer (model dtype, num_params elements) or NULL without momentum. */
void *rlz_optim_velocity(richeta_optim *o);
const void *rlz_optim_velocity_const(const richeta_optim *o);
/* Restore the counters saved in a checkpoint (eta already validated). */
void rlz_optim_restore(richeta_optim *o, int64_t steps, double eta);

#endif
