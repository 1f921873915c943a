/* libFuzzer target: random sequences of API calls on model, optimizer,
 * scheduler, stream and trainer handles, driven by the input.
 *
 * The input first chooses a configuration (small shapes most of the time,
 * arbitrary 64-bit values sometimes) and an allocation to fail (through the
 * allocator hooks, with a 16 MiB budget per allocation), then a sequence of
 * operations with arbitrary indices, lengths, batch sizes and values (NaN,
 * infinities, huge, negative). Every buffer passed to the library holds
 * exactly the number of elements the call is told, so AddressSanitizer
 * catches any access beyond what the library was given. Invariants: no
 * crash, no leak, statuses known and not RICHETA_ERR_INTERNAL, a failed
 * call leaves the handles usable, a successful set reads back. */
#include <richlazy/richeta.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what) {
  if (!cond) {
    fprintf(stderr, "fuzz_api: invariant violated: %s\n", what);
    abort();
  }
}

static void check_status(richeta_status s) {
  check(s >= RICHETA_OK && s < RICHETA_ERR_INTERNAL, "known, non-internal status");
}

/* ---- input reader ---- */

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static uint8_t u8(reader *r) {
  if (r->n == 0)
    return 0;
  r->n--;
  return *r->p++;
}

static uint64_t u64(reader *r) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | u8(r);
  return v;
}

/* Mostly small non-negative, sometimes hostile. */
static int64_t size_arg(reader *r, int64_t typical) {
  uint8_t k = u8(r);
  switch (k >> 5) {
  case 0:
    return 0;
  case 1:
    return -(int64_t)(k & 31) - 1;
  case 2:
    return (int64_t)u64(r);
  default:
    return typical + (int64_t)(k & 3) - 1;
  }
}

static double value_arg(reader *r) {
  static const double special[] = {0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, 0.5, 1e-3};
  uint8_t k = u8(r);
  if (k < 200)
    return ((double)k - 100.0) / 37.0;
  switch (k & 7) {
  case 0:
    return NAN;
  case 1:
    return INFINITY;
  case 2:
    return -INFINITY;
  case 3: {
    uint64_t b = u64(r);
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
  }
  default:
    return special[k % 8];
  }
}

/* ---- allocator: fail the k-th allocation, cap sizes, count blocks ---- */

typedef struct fuzz_alloc {
  long count, fail_at, live;
} fuzz_alloc;

#define ALLOC_CAP (16u << 20)

static void *fa_alloc(void *user, size_t size, size_t align) {
  fuzz_alloc *a = user;
  if (++a->count == a->fail_at || size > ALLOC_CAP)
    return NULL;
  if (align < sizeof(void *))
    align = sizeof(void *);
  void *p = NULL;
  if (posix_memalign(&p, align, size ? size : 1) != 0)
    return NULL;
  a->live++;
  return p;
}

static void fa_free(void *user, void *ptr) {
  fuzz_alloc *a = user;
  a->live--;
  free(ptr);
}

/* ---- buffers of exactly the announced length (NULL when n <= 0 or too big) ---- */

static void *exact(int64_t n, size_t elem) {
  if (n <= 0 || n > (1 << 20))
    return NULL;
  return calloc((size_t)n, elem);
}

static void fill(reader *r, double *v, int64_t n) {
  for (int64_t i = 0; v && i < n; i++)
    v[i] = value_arg(r);
}

static void fillf(reader *r, float *v, int64_t n) {
  for (int64_t i = 0; v && i < n; i++)
    v[i] = (float)value_arg(r);
}

typedef struct handles {
  richeta_config *cfg;
  richeta_model *model;
  richeta_optim *optim;
  richeta_sched *sched;
  richeta_stream *stream;
  richeta_trainer *trainer;
  int64_t D, C, B, L, N, E, np;
} handles;

/* Rough multiply-adds of one step plus one evaluation, saturating. */
static double step_cost(const handles *h) {
  double n = (double)h->N, d = (double)h->D, c = (double)h->C;
  return ((double)h->B + (double)h->E) * (d * n + (double)(h->L - 1) * n * n + n * c);
}

static const richeta_param shape_keys[] = {
    RICHETA_PARAM_INPUT_DIM, RICHETA_PARAM_WIDTH,         RICHETA_PARAM_OUTPUT_DIM,
    RICHETA_PARAM_DEPTH,     RICHETA_PARAM_BATCH,         RICHETA_PARAM_STEPS,
    RICHETA_PARAM_EVAL_SIZE, RICHETA_PARAM_DTYPE,         RICHETA_PARAM_ACTIVATION,
    RICHETA_PARAM_LOSS,      RICHETA_PARAM_CENTERING,     RICHETA_PARAM_PARAMETERIZATION,
    RICHETA_PARAM_BIAS,      RICHETA_PARAM_TASK,          RICHETA_PARAM_GAMMA_RULE,
    RICHETA_PARAM_SCHEDULE,  RICHETA_PARAM_TEACHER_WIDTH, RICHETA_PARAM_TEACHER_DEPTH};
static const richeta_param double_keys[] = {RICHETA_PARAM_GAMMA,        RICHETA_PARAM_ETA0,
                                            RICHETA_PARAM_MOMENTUM,     RICHETA_PARAM_WEIGHT_DECAY,
                                            RICHETA_PARAM_BLOWUP,       RICHETA_PARAM_LABEL_NOISE,
                                            RICHETA_PARAM_DECAY_FACTOR, RICHETA_PARAM_MIN_FACTOR};

static richeta_status configure(reader *r, richeta_config *cfg) {
  /* small defaults keep every execution fast */
  richeta_status s = richeta_config_parse(cfg, "D=4,N=8,C=2,L=2,B=4,T=20,eval_n=8,teacher_N=4");
  check(s == RICHETA_OK || s == RICHETA_ERR_NOMEM, "base spec parses");
  if (s != RICHETA_OK)
    return s;
  int n = u8(r) % 8;
  for (int i = 0; i < n; i++) {
    uint8_t k = u8(r);
    if (k & 1) {
      richeta_param p = shape_keys[(k >> 1) % (sizeof shape_keys / sizeof shape_keys[0])];
      int64_t v = (k & 0x80) ? (int64_t)u64(r) : (int64_t)(u8(r) % 12);
      check_status(richeta_config_set_int(cfg, p, v));
    } else {
      richeta_param p = double_keys[(k >> 1) % (sizeof double_keys / sizeof double_keys[0])];
      check_status(richeta_config_set_double(cfg, p, value_arg(r) * 4));
    }
  }
  return RICHETA_OK;
}

static void teardown(handles *h) {
  richeta_trainer_free(h->trainer);
  richeta_optim_free(h->optim);
  richeta_sched_free(h->sched);
  richeta_stream_free(h->stream);
  richeta_model_free(h->model);
  richeta_config_free(h->cfg);
}

static void op_model(reader *r, handles *h, uint8_t op) {
  richeta_model *m = h->model;
  int64_t batch = size_arg(r, h->B);
  switch (op % 8) {
  case 0: {
    double *x = exact(batch * h->D, sizeof *x), *out = exact(batch * h->C, sizeof *out);
    fill(r, x, batch * h->D);
    if (x && out)
      check_status(richeta_model_forward_f64(m, x, batch, out));
    else
      check(richeta_model_forward_f64(m, x, batch, out) != RICHETA_OK, "NULL or bad batch refused");
    free(x);
    free(out);
    break;
  }
  case 1: {
    float *x = exact(batch * h->D, sizeof *x), *out = exact(batch * h->C, sizeof *out);
    fillf(r, x, batch * h->D);
    richeta_status s = richeta_model_forward_f32(m, x, batch, out);
    check_status(s);
    if (!x || !out)
      check(s != RICHETA_OK, "NULL or bad batch refused");
    free(x);
    free(out);
    break;
  }
  case 2: {
    int64_t glen = (u8(r) & 1) ? h->np : size_arg(r, h->np);
    double *x = exact(batch * h->D, sizeof *x), *y = exact(batch * h->C, sizeof *y);
    double *g = exact(glen, sizeof *g);
    fill(r, x, batch * h->D);
    fill(r, y, batch * h->C);
    double loss = 0;
    richeta_status s = richeta_model_loss_grad_f64(m, x, y, batch, &loss, g, g ? glen : 0);
    check_status(s);
    if (g && glen != h->np && x && y)
      check(s != RICHETA_OK, "wrong gradient length refused");
    free(x);
    free(y);
    free(g);
    break;
  }
  case 3: {
    double *x = exact(batch * h->D, sizeof *x), *y = exact(batch * h->C, sizeof *y);
    fill(r, x, batch * h->D);
    fill(r, y, batch * h->C);
    double loss = 0, acc = 0;
    check_status(richeta_model_evaluate_f64(m, x, y, batch, &loss, &acc));
    free(x);
    free(y);
    break;
  }
  case 4: {
    int64_t layer = (int64_t)(int8_t)u8(r) % 6, rows = 0, cols = 0, blen = 0;
    richeta_status s = richeta_model_layer_shape(m, layer, &rows, &cols, &blen);
    check_status(s);
    int64_t wl = rows * cols, bl = blen;
    if (u8(r) & 1)
      wl = size_arg(r, wl);
    if (u8(r) & 1)
      bl = size_arg(r, bl);
    double *w = exact(wl, sizeof *w), *b = exact(bl, sizeof *b);
    s = richeta_model_get_layer(m, layer, w, w ? wl : 0, b, b ? bl : 0);
    check_status(s);
    fill(r, w, wl);
    fill(r, b, bl);
    s = richeta_model_set_layer(m, layer, w, w ? wl : 0, b, b ? bl : 0);
    check_status(s);
    free(w);
    free(b);
    break;
  }
  case 5: {
    int64_t len = (u8(r) & 1) ? h->np : size_arg(r, h->np);
    double *p = exact(len, sizeof *p);
    check_status(richeta_model_get_params(m, p, p ? len : 0));
    check_status(richeta_model_get_initial_params(m, p, p ? len : 0));
    if (p && len == h->np) {
      int64_t at = (int64_t)(u64(r) % (uint64_t)len);
      double old = p[at], v = value_arg(r);
      p[at] = v;
      richeta_status s = richeta_model_set_params(m, p, len);
      check_status(s);
      if (!isfinite(v))
        check(s == RICHETA_ERR_NONFINITE, "non-finite parameter refused");
      if (s == RICHETA_OK) {
        double *q = exact(len, sizeof *q);
        check(q && richeta_model_get_params(m, q, len) == RICHETA_OK, "get after set");
        int64_t dt = 0;
        richeta_model_get_int(m, RICHETA_PARAM_DTYPE, &dt);
        for (int64_t i = 0; i < len; i++) {
          double want = dt == RICHETA_DTYPE_F32 ? (double)(float)p[i] : p[i];
          check(memcmp(&want, &q[i], sizeof want) == 0 ||
                    (dt == RICHETA_DTYPE_F32 && !isfinite(want)),
                "set_params reads back");
        }
        free(q);
      }
      p[at] = old;
    }
    free(p);
    break;
  }
  case 6:
    check_status(richeta_model_recenter(m));
    break;
  default: {
    int64_t v;
    double d;
    richeta_param p = shape_keys[u8(r) % (sizeof shape_keys / sizeof shape_keys[0])];
    check_status(richeta_model_get_int(m, p, &v));
    check_status(richeta_model_get_double(m, RICHETA_PARAM_GAMMA, &d));
    check(richeta_model_last_error(m) != NULL, "last_error");
    break;
  }
  }
}

static void op_optim(reader *r, handles *h, uint8_t op) {
  richeta_optim *o = h->optim;
  switch (op % 4) {
  case 0: {
    double eta = value_arg(r), back = 0;
    richeta_status s = richeta_optim_set_eta(o, eta);
    check_status(s);
    if (s == RICHETA_OK) {
      check(richeta_optim_get_eta(o, &back) == RICHETA_OK && back == eta, "eta reads back");
    }
    break;
  }
  case 1: {
    int64_t batch = size_arg(r, h->B);
    double *x = exact(batch * h->D, sizeof *x), *y = exact(batch * h->C, sizeof *y);
    fill(r, x, batch * h->D);
    fill(r, y, batch * h->C);
    double loss = 0;
    check_status(richeta_optim_step_f64(o, x, y, batch, &loss));
    free(x);
    free(y);
    break;
  }
  case 2: {
    int64_t batch = size_arg(r, h->B);
    float *x = exact(batch * h->D, sizeof *x), *y = exact(batch * h->C, sizeof *y);
    fillf(r, x, batch * h->D);
    fillf(r, y, batch * h->C);
    double loss = 0;
    check_status(richeta_optim_step_f32(o, x, y, batch, &loss));
    free(x);
    free(y);
    break;
  }
  default: {
    double mult;
    int64_t steps;
    check_status(richeta_optim_width_multiplier(o, &mult));
    check_status(richeta_optim_steps(o, &steps));
    if (op & 4)
      check_status(richeta_optim_reset(o));
    if (h->sched)
      check_status(richeta_sched_apply(h->sched, o, size_arg(r, 10)));
    break;
  }
  }
}

static void op_stream(reader *r, handles *h, uint8_t op) {
  richeta_stream *s = h->stream;
  int64_t step = size_arg(r, 3);
  double *x = exact(h->B * h->D, sizeof *x), *y = exact(h->B * h->C, sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    return;
  }
  if (op & 1) {
    check_status(richeta_stream_batch_f64(s, step, x, y));
  } else {
    int64_t first = size_arg(r, 1), count = size_arg(r, 2);
    double *ex = exact(count * h->D, sizeof *ex), *ey = exact(count * h->C, sizeof *ey);
    if (ex && ey)
      check_status(richeta_stream_eval_f64(s, first, count, ex, ey));
    free(ex);
    free(ey);
  }
  free(x);
  free(y);
}

static int stop_after;
static int on_log(void *user, int64_t step, double tl, double el, double eta) {
  (void)user;
  (void)step;
  (void)tl;
  (void)el;
  (void)eta;
  return --stop_after == 0;
}

/* Saves fsync: a few per input keep executions fast. */
static int file_ops_left;

static void op_trainer(reader *r, handles *h, uint8_t op, const char *ckpt) {
  richeta_trainer *t = h->trainer;
  if (ckpt && (op % 4) >= 2 && file_ops_left-- <= 0)
    ckpt = NULL;
  switch (op % 4) {
  case 0: {
    int64_t steps = size_arg(r, 5);
    if (steps > 20)
      steps = 20; /* negative and zero stay: they are argument checks */
    richeta_train_callbacks cb = {sizeof cb, on_log, NULL};
    stop_after = u8(r) % 4;
    check_status(richeta_trainer_run(t, steps, (op & 4) ? &cb : NULL));
    int state = -1;
    int64_t step = -1;
    check(richeta_trainer_state(t, &state) == RICHETA_OK, "state");
    check(richeta_trainer_step(t, &step) == RICHETA_OK && step >= 0, "step");
    break;
  }
  case 1: {
    int64_t cap = size_arg(r, 4), count = 0;
    int64_t *st = exact(cap, sizeof *st);
    double *a = exact(cap, sizeof *a), *b = exact(cap, sizeof *b), *c = exact(cap, sizeof *c);
    if (st && a && b && c)
      check_status(richeta_trainer_log(t, st, a, b, c, cap, &count));
    else
      check_status(richeta_trainer_log(t, NULL, NULL, NULL, NULL, 0, &count));
    free(st);
    free(a);
    free(b);
    free(c);
    break;
  }
  case 2:
    if (ckpt)
      check_status(richeta_trainer_save(t, ckpt));
    break;
  default:
    if (ckpt) {
      richeta_status s = richeta_trainer_load(t, ckpt);
      check_status(s);
      int64_t step = -1;
      check(richeta_trainer_step(t, &step) == RICHETA_OK && step >= 0, "step after load");
    }
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  reader r = {data, size};
  fuzz_alloc fa = {0, 0, 0};
  richeta_allocator hooks = {sizeof hooks, fa_alloc, fa_free, &fa};
  uint8_t fk = u8(&r);
  fa.fail_at = fk < 64 ? fk : 0; /* 0: never */
  handles h;
  memset(&h, 0, sizeof h);
  richeta_status s = richeta_config_new(&h.cfg, &hooks);
  if (s != RICHETA_OK) {
    check(s == RICHETA_ERR_NOMEM && h.cfg == NULL, "config_new fails with NOMEM only");
    check(fa.live == 0, "no leak");
    return 0;
  }
  if (configure(&r, h.cfg) != RICHETA_OK) {
    richeta_config_free(h.cfg);
    check(fa.live == 0, "no leak after a failed parse");
    return 0;
  }
  richeta_config_get_int(h.cfg, RICHETA_PARAM_INPUT_DIM, &h.D);
  richeta_config_get_int(h.cfg, RICHETA_PARAM_OUTPUT_DIM, &h.C);
  richeta_config_get_int(h.cfg, RICHETA_PARAM_BATCH, &h.B);
  richeta_config_get_int(h.cfg, RICHETA_PARAM_DEPTH, &h.L);
  richeta_config_get_int(h.cfg, RICHETA_PARAM_WIDTH, &h.N);
  richeta_config_get_int(h.cfg, RICHETA_PARAM_EVAL_SIZE, &h.E);
  s = richeta_model_new(&h.model, h.cfg);
  check_status(s);
  if (s == RICHETA_OK) {
    check(richeta_model_num_params(h.model, &h.np) == RICHETA_OK && h.np > 0, "num_params");
    check_status(richeta_optim_new(&h.optim, h.model, h.cfg));
  }
  check_status(richeta_sched_new(&h.sched, h.cfg));
  check_status(richeta_stream_new(&h.stream, h.cfg));
  check_status(richeta_trainer_new(&h.trainer, h.cfg));
  char ckpt[64];
  snprintf(ckpt, sizeof ckpt, "/tmp/richeta-fuzz-api-%ld.ck", (long)getpid());
  int with_files = (u8(&r) & 3) == 0;
  file_ops_left = 4;
  /* huge shapes exercise creation only: calls on them would be slow, not wrong */
  int max_ops = step_cost(&h) > 2e5 ? 0 : 64;
  for (int n = 0; n < max_ops && r.n > 0; n++) {
    uint8_t op = u8(&r);
    switch (op >> 6) {
    case 0:
      if (h.model)
        op_model(&r, &h, op);
      break;
    case 1:
      if (h.optim)
        op_optim(&r, &h, op);
      break;
    case 2:
      if (h.stream)
        op_stream(&r, &h, op);
      break;
    default:
      if (h.trainer)
        op_trainer(&r, &h, op, with_files ? ckpt : NULL);
      break;
    }
  }
  if (with_files)
    unlink(ckpt);
  teardown(&h);
  check(fa.live == 0, "every block returned to the allocator");
  return 0;
}
