/* --shard K/N and --shard auto (see shard.h). */
#include "shard.h"

#include "cli_util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* An integer environment variable: 1 set and valid, 0 unset, -1 malformed. */
static int env_int(const char *name, int64_t *v) {
  const char *s = getenv(name);
  if (!s || !*s)
    return 0;
  return rlz_cli_parse_int64(s, v) == 0 ? 1 : -1;
}

static int from_slurm(const char *cmd, int64_t *k, int64_t *n) {
  int64_t id, count = 0, lo = 0, hi = 0, step = 1;
  int has_id = env_int("SLURM_ARRAY_TASK_ID", &id);
  int has_count = env_int("SLURM_ARRAY_TASK_COUNT", &count);
  int has_lo = env_int("SLURM_ARRAY_TASK_MIN", &lo);
  int has_hi = env_int("SLURM_ARRAY_TASK_MAX", &hi);
  int has_step = env_int("SLURM_ARRAY_TASK_STEP", &step);
  if (has_id == 0) {
    rlz_cli_error(cmd, "--shard auto: SLURM_ARRAY_TASK_ID is not set (not a Slurm array task;"
                       " give --shard K/N)");
    return 1;
  }
  if (has_id < 0 || has_count < 0 || has_lo < 0 || has_hi < 0 || has_step < 0 || step < 1) {
    rlz_cli_error(cmd, "--shard auto: malformed SLURM_ARRAY_TASK_* variable");
    return 1;
  }
  if (has_count == 0 && has_hi == 0) {
    rlz_cli_error(cmd, "--shard auto: neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX"
                       " is set");
    return 1;
  }
  /* the array's range, when Slurm gave it, must be exactly its tasks */
  if (has_hi) {
    if (hi < lo || (hi - lo) % step != 0) {
      rlz_cli_error(cmd, "--shard auto: array range %lld..%lld does not fit step %lld",
                    (long long)lo, (long long)hi, (long long)step);
      return 1;
    }
    int64_t span = (hi - lo) / step + 1;
    if (has_count && count != span) {
      rlz_cli_error(cmd,
                    "--shard auto: the array's %lld tasks are not the range %lld..%lld (step %lld):"
                    " use --array=0-%lld or --shard K/N",
                    (long long)count, (long long)lo, (long long)hi, (long long)step,
                    (long long)(count - 1));
      return 1;
    }
    count = span;
  }
  if (id < lo || (id - lo) % step != 0 || (id - lo) / step >= count) {
    rlz_cli_error(cmd, "--shard auto: task id %lld is outside the array (%lld tasks from %lld)",
                  (long long)id, (long long)count, (long long)lo);
    return 1;
  }
  if (count > RLZ_SHARD_MAX) {
    rlz_cli_error(cmd, "--shard auto: %lld tasks (at most %d)", (long long)count, RLZ_SHARD_MAX);
    return 1;
  }
  *k = (id - lo) / step;
  *n = count;
  return 0;
}

/* 1 to 9 decimal digits, nothing else. */
static bool digits(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 9)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

int rlz_parse_shard(const char *cmd, const char *value, int64_t *k, int64_t *n) {
  if (!strcmp(value, "auto"))
    return from_slurm(cmd, k, n);
  const char *slash = strchr(value, '/');
  char head[32];
  size_t len = slash ? (size_t)(slash - value) : 0;
  if (!slash || len == 0 || len >= sizeof head) {
    rlz_cli_error(cmd, "--shard %s: expected K/N (0 <= K < N) or auto", value);
    return 1;
  }
  memcpy(head, value, len);
  head[len] = 0;
  if (!digits(head) || !digits(slash + 1) || rlz_cli_parse_int64(head, k) != 0 ||
      rlz_cli_parse_int64(slash + 1, n) != 0) {
    rlz_cli_error(cmd, "--shard %s: expected integers K/N (0 <= K < N) or auto", value);
    return 1;
  }
  if (*n < 1 || *n > RLZ_SHARD_MAX || *k < 0 || *k >= *n) {
    rlz_cli_error(cmd, "--shard %s: need 0 <= K < N <= %d", value, RLZ_SHARD_MAX);
    return 1;
  }
  return 0;
}
