/* Train one network at three values of gamma and print the held-out loss
 * curves: the smallest example of the C API (config -> trainer -> log).
 *
 *   cc train.c $(pkg-config --cflags --libs richeta) -o train && ./train
 */
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>

/* Print the failing call's message and leave. */
static int fail(const char *what, const char *msg) {
  fprintf(stderr, "%s: %s\n", what, msg);
  return 1;
}

int main(void) {
  const double gammas[] = {0.01, 1.0, 1000.0};
  for (int g = 0; g < 3; g++) {
    richeta_config *cfg = NULL;
    if (richeta_config_new(&cfg, NULL) != RICHETA_OK)
      return fail("config", richeta_last_error());
    /* Width 64, depth 3, MLP teacher; the theory rule scales the rate with gamma. */
    if (richeta_config_parse(cfg, "D=16,N=64,L=3,B=32,T=300,task=mlp,rule=theory,eta0=0.2") !=
            RICHETA_OK ||
        richeta_config_set_double(cfg, RICHETA_PARAM_GAMMA, gammas[g]) != RICHETA_OK) {
      int rc = fail("config", richeta_config_last_error(cfg));
      richeta_config_free(cfg);
      return rc;
    }
    richeta_trainer *tr = NULL;
    if (richeta_trainer_new(&tr, cfg) != RICHETA_OK) {
      richeta_config_free(cfg);
      return fail("trainer", richeta_last_error());
    }
    richeta_config_free(cfg); /* the trainer keeps its own copy */
    if (richeta_trainer_run(tr, INT64_MAX, NULL) != RICHETA_OK) {
      int rc = fail("run", richeta_trainer_last_error(tr));
      richeta_trainer_free(tr);
      return rc;
    }
    int64_t n = 0;
    richeta_trainer_log(tr, NULL, NULL, NULL, NULL, 0, &n); /* size query */
    int64_t *steps = malloc((size_t)n * sizeof *steps);
    double *loss = malloc((size_t)n * sizeof *loss);
    int state = 0;
    if (!steps || !loss ||
        richeta_trainer_log(tr, steps, NULL, loss, NULL, n, &n) != RICHETA_OK) {
      free(steps);
      free(loss);
      richeta_trainer_free(tr);
      return fail("log", "cannot read the log");
    }
    richeta_trainer_state(tr, &state);
    printf("gamma=%g (%s): ", gammas[g], state == RICHETA_RUN_DIVERGED ? "diverged" : "done");
    for (int64_t i = 0; i < n; i += 4)
      printf("t=%lld loss=%.4g  ", (long long)steps[i], loss[i]);
    printf("final=%.4g\n", loss[n - 1]);
    free(steps);
    free(loss);
    richeta_trainer_free(tr);
  }
  return 0;
}
