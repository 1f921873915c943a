/* Diagnostics recorded during `richeta train` (see train_diag.h). */
#include "train_diag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  unsigned bit;
} diag_names[] = {{"sharpness", RLZ_DIAG_SHARPNESS},
                  {"gn", RLZ_DIAG_GN},
                  {"alignment", RLZ_DIAG_ALIGNMENT},
                  {"movement", RLZ_DIAG_MOVEMENT},
                  {"preact", RLZ_DIAG_PREACT}};
enum { N_DIAG = sizeof diag_names / sizeof diag_names[0] };

int rlz_train_diag_parse(const char *list, unsigned *mask) {
  *mask = 0;
  const char *p = list;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    unsigned bit = 0;
    if (len == 3 && !strncmp(p, "all", 3))
      bit = RLZ_DIAG_SHARPNESS | RLZ_DIAG_GN | RLZ_DIAG_ALIGNMENT | RLZ_DIAG_MOVEMENT |
            RLZ_DIAG_PREACT;
    for (int k = 0; k < N_DIAG && !bit; k++)
      if (strlen(diag_names[k].name) == len && !strncmp(p, diag_names[k].name, len))
        bit = diag_names[k].bit;
    if (!bit) {
      rlz_cli_error("train",
                    "--diag: unknown diagnostic '%.*s' (sharpness, gn, alignment, "
                    "movement, preact or all)",
                    (int)len, p);
      return -1;
    }
    *mask |= bit;
    p = e ? e + 1 : p + len;
  }
  if (!*mask) {
    rlz_cli_error("train", "--diag: empty list");
    return -1;
  }
  return 0;
}

int rlz_train_diag_init(rlz_train_diag *d, richeta_trainer *t, unsigned mask, int64_t probe) {
  memset(d, 0, sizeof *d);
  d->mask = mask;
  d->model = richeta_trainer_model(t);
  richeta_stream *s = richeta_trainer_stream(t);
  int64_t D = 0, eval_n = 0;
  richeta_model_get_int(d->model, RICHETA_PARAM_INPUT_DIM, &D);
  richeta_model_get_int(d->model, RICHETA_PARAM_OUTPUT_DIM, &d->C);
  richeta_model_num_layers(d->model, &d->L); /* parametrized layers: L for the MLP */
  if (richeta_stream_get_int(s, RICHETA_PARAM_EVAL_SIZE, &eval_n) != RICHETA_OK || eval_n < 1) {
    rlz_cli_error("train", "--diag needs a held-out set (eval_n >= 1; callback streams have none)");
    return -1;
  }
  d->probe = probe < eval_n ? probe : eval_n;
  d->x = malloc((size_t)(d->probe * D) * sizeof(double));
  d->y = malloc((size_t)(d->probe * d->C) * sizeof(double));
  if (mask & RLZ_DIAG_ALIGNMENT)
    d->kernel = malloc((size_t)(d->probe * d->C * d->probe * d->C) * sizeof(double));
  if (!d->x || !d->y || ((mask & RLZ_DIAG_ALIGNMENT) && !d->kernel)) {
    rlz_cli_error("train", "--diag: out of memory for a probe of %lld samples",
                  (long long)d->probe);
    return -1;
  }
  if (richeta_stream_eval_f64(s, 0, d->probe, d->x, d->y) != RICHETA_OK) {
    rlz_cli_error("train", "--diag: cannot read the held-out set: %s",
                  richeta_stream_last_error(s));
    return -1;
  }
  return 0;
}

static int grow(rlz_train_diag *d) {
  if (d->n < d->cap)
    return 0;
  int64_t cap = d->cap ? 2 * d->cap : 64;
  int64_t *st = realloc(d->step, (size_t)cap * sizeof *st);
  if (st)
    d->step = st;
  double *a = realloc(d->sharp, (size_t)cap * sizeof *a);
  if (a)
    d->sharp = a;
  double *b = realloc(d->gn, (size_t)cap * sizeof *b);
  if (b)
    d->gn = b;
  double *c = realloc(d->kta, (size_t)cap * sizeof *c);
  if (c)
    d->kta = c;
  double *m = realloc(d->move, (size_t)(cap * d->L) * sizeof *m);
  if (m)
    d->move = m;
  double *p = realloc(d->preact, (size_t)(cap * d->L) * sizeof *p);
  if (p)
    d->preact = p;
  if (!st || !a || !b || !c || !m || !p)
    return -1;
  d->cap = cap;
  return 0;
}

/* The outcome of one diagnostic call: a failure leaves NaN and is reported
 * once per diagnostic (one that the model does not support, e.g. the
 * sharpness of a network with batch normalization, must not hide another's
 * failure); the run goes on. */
static void note(rlz_train_diag *d, richeta_status s, unsigned bit, double *out, int64_t n) {
  if (s == RICHETA_OK)
    return;
  for (int64_t i = 0; i < n; i++)
    out[i] = NAN;
  if (d->failed & bit)
    return;
  const char *what = "?";
  for (int k = 0; k < N_DIAG; k++)
    if (diag_names[k].bit == bit)
      what = diag_names[k].name;
  if (s == RICHETA_ERR_UNSUPPORTED)
    rlz_cli_error("train",
                  "warning: --diag %s is not available for this model (NaN in its "
                  "column): %s",
                  what, richeta_model_last_error(d->model));
  else
    rlz_cli_error("train", "warning: --diag %s failed: %s", what,
                  richeta_model_last_error(d->model));
  d->failed |= bit;
}

int rlz_train_diag_record(rlz_train_diag *d, int64_t step) {
  if (grow(d) != 0) {
    rlz_cli_error("train", "--diag: out of memory");
    return -1;
  }
  int64_t i = d->n++, L = d->L, nc = d->probe * d->C;
  d->step[i] = step;
  d->sharp[i] = d->gn[i] = d->kta[i] = NAN;
  for (int64_t l = 0; l < L; l++)
    d->move[i * L + l] = d->preact[i * L + l] = NAN;
  if (d->mask & RLZ_DIAG_SHARPNESS)
    note(d, richeta_diag_hessian_top(d->model, d->x, d->y, d->probe, 1, 20, 1, &d->sharp[i]),
         RLZ_DIAG_SHARPNESS, &d->sharp[i], 1);
  if (d->mask & RLZ_DIAG_GN)
    note(d, richeta_diag_gn_top(d->model, d->x, d->y, d->probe, 30, 1, &d->gn[i]), RLZ_DIAG_GN,
         &d->gn[i], 1);
  if (d->mask & RLZ_DIAG_ALIGNMENT) {
    richeta_status s = richeta_diag_ntk(d->model, d->x, d->probe, 0, d->kernel, nc * nc);
    if (s == RICHETA_OK)
      s = richeta_diag_kernel_alignment(nc, d->kernel, d->y, d->probe, d->C, &d->kta[i]);
    note(d, s, RLZ_DIAG_ALIGNMENT, &d->kta[i], 1);
  }
  if (d->mask & RLZ_DIAG_MOVEMENT)
    note(d, richeta_diag_weight_movement(d->model, d->move + i * L, L), RLZ_DIAG_MOVEMENT,
         d->move + i * L, L);
  if (d->mask & RLZ_DIAG_PREACT)
    note(d, richeta_diag_preactivation_size(d->model, d->x, d->probe, d->preact + i * L, L),
         RLZ_DIAG_PREACT, d->preact + i * L, L);
  return 0;
}

int64_t rlz_train_diag_find(const rlz_train_diag *d, int64_t step) {
  for (int64_t i = d->n - 1; i >= 0; i--) /* the last record of a step wins */
    if (d->step[i] == step)
      return i;
  return -1;
}

void rlz_train_diag_csv_header(const rlz_train_diag *d, FILE *f) {
  if (d->mask & RLZ_DIAG_SHARPNESS)
    fputs(",sharpness", f);
  if (d->mask & RLZ_DIAG_GN)
    fputs(",gn", f);
  if (d->mask & RLZ_DIAG_ALIGNMENT)
    fputs(",alignment", f);
  for (int64_t l = 0; (d->mask & RLZ_DIAG_MOVEMENT) && l < d->L; l++)
    fprintf(f, ",movement_%lld", (long long)l);
  for (int64_t l = 0; (d->mask & RLZ_DIAG_PREACT) && l < d->L; l++)
    fprintf(f, ",preact_%lld", (long long)l);
}

static double at(const double *v, int64_t i, int64_t k) { return i < 0 ? NAN : v[i * k]; }

void rlz_train_diag_csv_row(const rlz_train_diag *d, int64_t i, FILE *f) {
  double vals[3] = {at(d->sharp, i, 1), at(d->gn, i, 1), at(d->kta, i, 1)};
  unsigned bits[3] = {RLZ_DIAG_SHARPNESS, RLZ_DIAG_GN, RLZ_DIAG_ALIGNMENT};
  for (int k = 0; k < 3; k++)
    if (d->mask & bits[k]) {
      fputc(',', f);
      rlz_csv_number(f, vals[k]);
    }
  for (int64_t l = 0; (d->mask & RLZ_DIAG_MOVEMENT) && l < d->L; l++) {
    fputc(',', f);
    rlz_csv_number(f, i < 0 ? NAN : d->move[i * d->L + l]);
  }
  for (int64_t l = 0; (d->mask & RLZ_DIAG_PREACT) && l < d->L; l++) {
    fputc(',', f);
    rlz_csv_number(f, i < 0 ? NAN : d->preact[i * d->L + l]);
  }
}

void rlz_train_diag_json(const rlz_train_diag *d, int64_t i, rlz_json *j) {
  char key[32];
  if (d->mask & RLZ_DIAG_SHARPNESS)
    rlz_json_num(j, "sharpness", at(d->sharp, i, 1));
  if (d->mask & RLZ_DIAG_GN)
    rlz_json_num(j, "gn", at(d->gn, i, 1));
  if (d->mask & RLZ_DIAG_ALIGNMENT)
    rlz_json_num(j, "alignment", at(d->kta, i, 1));
  for (int64_t l = 0; (d->mask & RLZ_DIAG_MOVEMENT) && l < d->L; l++) {
    snprintf(key, sizeof key, "movement_%lld", (long long)l);
    rlz_json_num(j, key, i < 0 ? NAN : d->move[i * d->L + l]);
  }
  for (int64_t l = 0; (d->mask & RLZ_DIAG_PREACT) && l < d->L; l++) {
    snprintf(key, sizeof key, "preact_%lld", (long long)l);
    rlz_json_num(j, key, i < 0 ? NAN : d->preact[i * d->L + l]);
  }
}

void rlz_train_diag_free(rlz_train_diag *d) {
  free(d->x);
  free(d->y);
  free(d->kernel);
  free(d->step);
  free(d->sharp);
  free(d->gn);
  free(d->kta);
  free(d->move);
  free(d->preact);
  memset(d, 0, sizeof *d);
}
