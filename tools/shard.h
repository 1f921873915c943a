/* --shard K/N and --shard auto (a Slurm job array's task) for
 * `richeta sweep`. */
#ifndef RLZ_TOOLS_SHARD_H
#define RLZ_TOOLS_SHARD_H

#include <stdint.h>

/* Largest shard count (the library's bound on RICHETA_SWEEP_OPT_SHARD_COUNT). */
#define RLZ_SHARD_MAX 100000

/* Parse "K/N" (0 <= K < N <= RLZ_SHARD_MAX) or "auto": K and N from
 * SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or from the array's
 * SLURM_ARRAY_TASK_MIN / _MAX / _STEP; an array whose task ids are not a
 * contiguous range (with its step) is refused. Returns 0, or 1 after
 * printing a one-line usage error for `richeta <cmd>`. */
int rlz_parse_shard(const char *cmd, const char *value, int64_t *k, int64_t *n);

#endif
