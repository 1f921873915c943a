/* Shared by check_model_toy.c and check_model_slow.c: the deep linear toy
 * model (D = N = C = 1, identity, no biases, all weights 1, recentered,
 * x = y = 1, MSE without 1/2), hand-written SGD on it, and the predicted
 * edge of stability eta_max = 2 / lambda* = gamma^2 / (L (1+gamma)^(2-2/L)). */
#ifndef RLZ_TEST_TOY_MODEL_H
#define RLZ_TEST_TOY_MODEL_H

#include <richlazy/richeta.h>

#include <check.h>
#include <math.h>

#define STEPS 2000
#define PER_DECADE 40

static richeta_model *toy_model(int64_t L, double gamma) {
  richeta_config *cfg;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  const struct {
    richeta_param p;
    int64_t v;
  } ints[] = {{RICHETA_PARAM_INPUT_DIM, 1},
              {RICHETA_PARAM_WIDTH, 1},
              {RICHETA_PARAM_OUTPUT_DIM, 1},
              {RICHETA_PARAM_DEPTH, L},
              {RICHETA_PARAM_BIAS, 0},
              {RICHETA_PARAM_PARAMETERIZATION, RICHETA_PARAMETERIZATION_MF},
              {RICHETA_PARAM_ACTIVATION, RICHETA_ACTIVATION_IDENTITY},
              {RICHETA_PARAM_LOSS, RICHETA_LOSS_MSE},
              {RICHETA_PARAM_DTYPE, RICHETA_DTYPE_F64},
              {RICHETA_PARAM_CENTERING, RICHETA_CENTERING_FROZEN},
              {RICHETA_PARAM_BATCH, 1}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    ck_assert_int_eq(richeta_config_set_int(cfg, ints[i].p, ints[i].v), RICHETA_OK);
  ck_assert_int_eq(richeta_config_set_double(cfg, RICHETA_PARAM_GAMMA, gamma), RICHETA_OK);
  richeta_model *m;
  ck_assert_int_eq(richeta_model_new(&m, cfg), RICHETA_OK);
  richeta_config_free(cfg);
  const double one = 1.0;
  for (int64_t l = 0; l < L; l++)
    ck_assert_int_eq(richeta_model_set_layer(m, l, &one, 1, NULL, 0), RICHETA_OK);
  ck_assert_int_eq(richeta_model_recenter(m), RICHETA_OK);
  return m;
}

/* Train from all-ones for STEPS steps at rate eta; converged when the final
 * loss is finite and below 1e-6. */
static int converges_in(richeta_model *m, int64_t L, double eta, int steps) {
  const double x = 1.0, y = 1.0;
  double p[8], g[8], loss;
  for (int64_t l = 0; l < L; l++)
    p[l] = 1.0;
  ck_assert_int_eq(richeta_model_set_params(m, p, L), RICHETA_OK);
  for (int t = 0; t < steps; t++) {
    ck_assert_int_eq(richeta_model_loss_grad_f64(m, &x, &y, 1, &loss, g, L), RICHETA_OK);
    if (!isfinite(loss) || loss > 1e30)
      return 0;
    if (loss < 1e-24) /* deep inside the basin of the stable minimum */
      return 1;
    for (int64_t l = 0; l < L; l++)
      p[l] -= eta * g[l];
    if (richeta_model_set_params(m, p, L) != RICHETA_OK) /* overflowed to inf */
      return 0;
  }
  ck_assert_int_eq(richeta_model_evaluate_f64(m, &x, &y, 1, &loss, NULL), RICHETA_OK);
  return isfinite(loss) && loss < 1e-6;
}

static int converges(richeta_model *m, int64_t L, double eta) {
  return converges_in(m, L, eta, STEPS);
}

static double predicted_eta_max(int64_t L, double gamma) {
  return gamma * gamma / ((double)L * pow(1.0 + gamma, 2.0 - 2.0 / (double)L));
}


#endif
