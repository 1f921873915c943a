/* An out-of-tree C program built with `pkg-config --cflags --libs richeta`
 * only: it must find the installed headers and shared library, see the same
 * version at compile time and run time, and train a small network. */
#include <richlazy/richeta.h>
#include <stdio.h>

int main(void) {
  if (richeta_version_number() != RICHETA_VERSION_NUMBER) {
    fprintf(stderr, "header %s but library %s\n", RICHETA_VERSION_STRING, richeta_version_string());
    return 1;
  }
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  if (richeta_config_new(&cfg, NULL) != RICHETA_OK ||
      richeta_config_parse(cfg, "D=8,N=16,L=2,B=8,T=20,gamma=1,eta0=0.05,eval_n=32") !=
          RICHETA_OK) {
    fprintf(stderr, "config: %s\n", richeta_config_last_error(cfg));
    return 1;
  }
  richeta_status s = richeta_trainer_new(&t, cfg);
  if (s != RICHETA_OK) {
    fprintf(stderr, "trainer_new: %s\n", richeta_last_error());
    return 1;
  }
  s = richeta_trainer_run(t, 20, NULL);
  int64_t step = 0;
  richeta_trainer_step(t, &step);
  if (s != RICHETA_OK || step != 20) {
    fprintf(stderr, "run: %s (step %lld)\n", richeta_trainer_last_error(t), (long long)step);
    return 1;
  }
  printf("C consumer ok: %s, %lld steps\n", richeta_version_string(), (long long)step);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  return 0;
}
