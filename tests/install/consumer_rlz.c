/* A static consumer that defines functions with the names of libricheta's
 * internals (rlz_*): linked against the installed libricheta.a, it must
 * build without duplicate symbols, keep its own functions, and the library
 * must keep using its own internals (it trains and reports errors). */
#include <richlazy/richeta.h>
#include <stdio.h>
#include <string.h>

/* Same names as internal functions of the library, other meanings. */
int rlz_fail(int x);
int rlz_malloc(int x);
double rlz_gemm_f64(double a, double b);
int rlz_fail(int x) { return x + 1; }
int rlz_malloc(int x) { return 2 * x; }
double rlz_gemm_f64(double a, double b) { return a - b; }

int main(void) {
  if (rlz_fail(1) != 2 || rlz_malloc(3) != 6 || rlz_gemm_f64(5, 2) != 3) {
    fprintf(stderr, "the consumer's own rlz_* functions were replaced\n");
    return 1;
  }
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  if (richeta_config_new(&cfg, NULL) != RICHETA_OK ||
      richeta_config_parse(cfg, "D=8,N=16,L=2,B=8,T=20,gamma=1,eta0=0.05,eval_n=32") != RICHETA_OK)
    return 1;
  /* an error path of the library runs its own rlz_fail */
  if (richeta_config_parse(cfg, "gamma=-1") == RICHETA_OK ||
      strstr(richeta_config_last_error(cfg), "gamma") == NULL) {
    fprintf(stderr, "bad gamma not reported: %s\n", richeta_config_last_error(cfg));
    return 1;
  }
  if (richeta_trainer_new(&t, cfg) != RICHETA_OK) {
    fprintf(stderr, "trainer_new: %s\n", richeta_last_error());
    return 1;
  }
  richeta_status s = richeta_trainer_run(t, 20, NULL);
  int64_t step = 0;
  richeta_trainer_step(t, &step);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  if (s != RICHETA_OK || step != 20) {
    fprintf(stderr, "run failed (step %lld)\n", (long long)step);
    return 1;
  }
  printf("static consumer with its own rlz_* functions: OK\n");
  return 0;
}
