/* libFuzzer target: the checkpoint loader.
 *
 * Each input is written to a file and read back two ways:
 * - richeta_trainer_load() into a small trainer made once: on failure the
 *   trainer must be unchanged (same step, same parameters); on success its
 *   state must be usable (a step runs, a save succeeds);
 * - richeta_trainer_resume(), which rebuilds the run from the configuration
 *   stored in the file, through an allocator capped at 64 MiB so that a
 *   hostile configuration cannot ask for unbounded memory.
 * Violations abort, so that libFuzzer reports them. */
#include <richlazy/richeta.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPEC "D=3,N=4,C=2,L=2,B=2,T=8,eval_n=4,dtype=f64,momentum=0.5,log_per_decade=2"
#define CAP_BYTES (64u << 20)

static void check(int cond, const char *what) {
  if (!cond) {
    fprintf(stderr, "fuzz_checkpoint: invariant violated: %s\n", what);
    abort();
  }
}

/* A capped allocator: blocks carry their size in a header. */
static size_t live_bytes;
static void *cap_alloc(void *user, size_t size, size_t alignment) {
  (void)user;
  if (size > CAP_BYTES - live_bytes || alignment > 64)
    return NULL;
  unsigned char *p = NULL;
  if (posix_memalign((void **)&p, 64, size + 64) != 0)
    return NULL;
  memcpy(p, &size, sizeof size);
  live_bytes += size;
  return p + 64;
}
static void cap_free(void *user, void *ptr) {
  (void)user;
  unsigned char *p = (unsigned char *)ptr - 64;
  size_t size;
  memcpy(&size, p, sizeof size);
  live_bytes -= size;
  free(p);
}

static char path[64], out_path[80];
static richeta_trainer *base;
static double *before, *after;
static int64_t np;

static void setup(void) {
  snprintf(path, sizeof path, "/tmp/fuzz-ckpt-%ld", (long)getpid());
  snprintf(out_path, sizeof out_path, "%s.out", path);
  richeta_config *cfg = NULL;
  check(richeta_config_new(&cfg, NULL) == RICHETA_OK, "config");
  check(richeta_config_parse(cfg, SPEC) == RICHETA_OK, "spec");
  check(richeta_trainer_new(&base, cfg) == RICHETA_OK, "trainer");
  richeta_config_free(cfg);
  check(richeta_trainer_run(base, 3, NULL) == RICHETA_OK, "run");
  richeta_model_num_params(richeta_trainer_model(base), &np);
  before = malloc((size_t)np * sizeof *before);
  after = malloc((size_t)np * sizeof *after);
  check(before && after, "buffers");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!base)
    setup();
  FILE *f = fopen(path, "wb");
  if (!f)
    return 0;
  size_t w = fwrite(data, 1, size, f);
  fclose(f);
  if (w != size)
    return 0;

  int64_t step0 = 0, step1 = 0;
  richeta_trainer_step(base, &step0);
  richeta_model_get_params(richeta_trainer_model(base), before, np);
  richeta_status s = richeta_trainer_load(base, path);
  if (s != RICHETA_OK) {
    richeta_trainer_step(base, &step1);
    richeta_model_get_params(richeta_trainer_model(base), after, np);
    check(step0 == step1, "failed load changed the step");
    check(memcmp(before, after, (size_t)np * sizeof *before) == 0,
          "failed load changed the parameters");
    check(richeta_trainer_last_error(base)[0] != '\0', "failed load without a message");
  } else {
    check(richeta_trainer_run(base, 1, NULL) == RICHETA_OK, "run after a load");
    check(richeta_trainer_save(base, out_path) == RICHETA_OK, "save after a load");
  }

  richeta_allocator capped = {sizeof capped, cap_alloc, cap_free, NULL};
  richeta_trainer *t = NULL;
  s = richeta_trainer_resume(&t, path, &capped);
  check((s == RICHETA_OK) == (t != NULL), "resume output and status disagree");
  if (t) {
    richeta_trainer_run(t, 2, NULL); /* may diverge or finish: a result, not a crash */
    richeta_trainer_free(t);
  } else {
    check(richeta_last_error()[0] != '\0', "failed resume without a message");
  }
  check(live_bytes == 0, "resume leaked memory");
  unlink(path);
  unlink(out_path);
  return 0;
}
