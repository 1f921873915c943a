/* Sharpness across gamma (issue 9 figures, a benchmark, not a test):
 * for each gamma, find the largest convergent eta0 on a descending grid,
 * train there, and compare the top Hessian eigenvalue of the held-out loss
 * at the end with the edge-of-stability value 2 / (eta0 * N) (the optimizer
 * steps with eta0 times the width multiplier N). Also prints the initial
 * sharpness (full Hessian, and its Gauss-Newton part, which carries the
 * gamma^-2 law; for gamma >> 1 the full Hessian at init is dominated by the
 * residual term, of order 1/gamma) and the end sharpness at a tenth of the
 * largest stable rate, whose gamma exponent should approach -2/L.
 *
 *   build/bench/diag_sharpness [L] [T]
 */
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>

enum { PROBE = 256 };

typedef struct run_result {
  int state;
  double final_loss, sharp0, gn0, sharp_end;
} run_result;

static int run_one(double gamma, double eta0, int L, int T, int with_diag, run_result *r) {
  richeta_config *cfg = NULL;
  richeta_trainer *tr = NULL;
  char spec[256];
  snprintf(spec, sizeof spec,
           "D=16,N=64,C=1,L=%d,B=32,T=%d,task=mlp,act=relu,dtype=f64,eval_n=%d,blowup=100,"
           "log_per_decade=4",
           L, T, PROBE);
  if (richeta_config_new(&cfg, NULL) || richeta_config_parse(cfg, spec) ||
      richeta_config_set_double(cfg, RICHETA_PARAM_GAMMA, gamma) ||
      richeta_config_set_double(cfg, RICHETA_PARAM_ETA0, eta0) || richeta_trainer_new(&tr, cfg)) {
    fprintf(stderr, "setup: %s\n", richeta_last_error());
    richeta_config_free(cfg);
    return 1;
  }
  richeta_config_free(cfg);
  static double x[PROBE * 16], y[PROBE];
  richeta_model *m = richeta_trainer_model(tr);
  richeta_stream_eval_f64(richeta_trainer_stream(tr), 0, PROBE, x, y);
  if (with_diag) {
    richeta_diag_hessian_top(m, x, y, PROBE, 1, 30, 1, &r->sharp0);
    richeta_diag_gn_top(m, x, y, PROBE, 100, 1, &r->gn0);
  }
  richeta_trainer_run(tr, INT64_MAX, NULL);
  richeta_trainer_state(tr, &r->state);
  int64_t n = 0;
  richeta_trainer_log(tr, NULL, NULL, NULL, NULL, 0, &n);
  double *ev = malloc((size_t)n * sizeof *ev);
  richeta_trainer_log(tr, NULL, NULL, ev, NULL, n, &n);
  r->final_loss = ev[n - 1];
  free(ev);
  if (with_diag && r->state != RICHETA_RUN_DIVERGED)
    richeta_diag_hessian_top(m, x, y, PROBE, 1, 30, 1, &r->sharp_end);
  richeta_trainer_free(tr);
  return 0;
}

int main(int argc, char **argv) {
  int L = argc > 1 ? atoi(argv[1]) : 3;
  int T = argc > 2 ? atoi(argv[2]) : 2000;
  const double gammas[] = {10, 100, 1000};
  const int ng = 3;
  const double N = 64;
  double lg[3], ls[3];
  printf("# L=%d T=%d D=16 N=64 B=32 mlp teacher, relu, f64, sharpness on %d held-out samples\n",
         L, T, PROBE);
  printf("%8s %12s %12s %12s %12s %12s %8s %14s\n", "gamma", "eta0_max", "gn_init", "sharp_init",
         "sharp_end", "2/(eta0 N)", "ratio", "sharp_end@0.1");
  for (int g = 0; g < ng; g++) {
    double gamma = gammas[g], guess = pow(gamma, 2.0 / L) / N; /* eta0 ~ gamma^(2/L) / N */
    run_result r = {0}, best = {0};
    double eta_max = 0;
    for (int k = 16; k >= -16; k--) { /* 8 points per decade, from 100x down to 1e-2x */
      double eta0 = guess * pow(10, k / 8.0);
      run_one(gamma, eta0, L, T, 0, &r);
      if (r.state != RICHETA_RUN_DIVERGED && isfinite(r.final_loss)) {
        eta_max = eta0;
        break;
      }
    }
    if (eta_max == 0) {
      printf("%8g no convergent eta0 on the grid\n", gamma);
      continue;
    }
    run_one(gamma, eta_max, L, T, 1, &best);
    run_result low = {0};
    run_one(gamma, 0.1 * eta_max, L, T, 1, &low);
    double eos = 2.0 / (eta_max * N);
    printf("%8g %12.4g %12.4g %12.4g %12.4g %12.4g %8.3f %14.4g\n", gamma, eta_max, best.gn0,
           best.sharp0, best.sharp_end, eos, best.sharp_end / eos, low.sharp_end);
    lg[g] = log(gamma);
    ls[g] = log(low.sharp_end);
  }
  double mx = (lg[0] + lg[1] + lg[2]) / 3, my = (ls[0] + ls[1] + ls[2]) / 3, sxy = 0, sxx = 0;
  for (int g = 0; g < ng; g++) {
    sxy += (lg[g] - mx) * (ls[g] - my);
    sxx += (lg[g] - mx) * (lg[g] - mx);
  }
  printf("# exponent of end sharpness (at 0.1 eta0_max) vs gamma: %.3f (theory -2/L = %.3f)\n",
         sxy / sxx, -2.0 / L);
  return 0;
}
