/* The training loop: scheduler -> stream batch -> SGD step, with
 * log-spaced logging, held-out evaluation and divergence detection.
 * Everything the loop touches is allocated at creation. */
#include "train/train_internal.h"

#include "core/config_internal.h"
#include "core/params.h" /* task names for messages */
#include "model/model_internal.h"
#include "optim/optim_internal.h"
#include "stream/stream_internal.h"

#include <math.h>
#include <string.h>

static size_t esize(richeta_dtype d) {
  return d == RICHETA_DTYPE_F32 ? sizeof(float) : sizeof(double);
}

/* Log-spaced steps below T: 0, then the distinct values of
 * round(10^(k / per_decade)) for k = 0, 1, ... that are < T, ascending;
 * per_decade 0: every step (no log spacing leaves gaps above t ~ 0.43 x
 * per_decade). With out == NULL only counts. */
static int64_t log_steps(int64_t T, int64_t per_decade, int64_t *out) {
  int64_t n = 0, last = 0;
  if (T <= 0)
    return 0;
  if (per_decade == 0) {
    for (int64_t s = 0; out && s < T; s++)
      out[s] = s;
    return T;
  }
  if (out)
    out[n] = 0;
  n++;
  for (int64_t k = 0;; k++) {
    double v = pow(10.0, (double)k / (double)per_decade);
    if (!(v < (double)T)) /* also stops on overflow */
      break;
    int64_t s = (int64_t)llround(v);
    if (s >= T)
      break;
    if (s > last) {
      if (out)
        out[n] = s;
      n++;
      last = s;
    }
  }
  return n;
}

static void trainer_destroy(richeta_trainer *t) {
  if (!t)
    return;
  rlz_alloc a = t->alloc;
  richeta_optim_free(t->optim);
  richeta_sched_free(t->sched);
  if (t->own_stream)
    richeta_stream_free(t->stream);
  richeta_model_free(t->model);
  richeta_config_free(t->cfg);
  void *bufs[] = {t->bx,       t->by,        t->ex,       t->ey,      t->e0,     t->sched_steps,
                  t->log_step, t->log_train, t->log_eval, t->log_eta, t->log_acc};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    rlz_free(&a, bufs[i]);
  rlz_free(&a, t);
}

/* Cross-entropy needs class probabilities as targets: with real-valued
 * targets it trains on a number that is not a loss (negative "losses",
 * an "accuracy" of regression outputs). Teacher streams give classes only
 * with labels=argmax; host streams' batches are checked as they come. */
static richeta_status check_ce_targets_source(const richeta_trainer *t) {
  if (rlz_config_int(t->cfg, RICHETA_PARAM_LOSS) != RICHETA_LOSS_CROSS_ENTROPY)
    return RICHETA_OK;
  if (t->C < 2)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "loss=ce needs C >= 2 classes (got C = %lld): a softmax over one output is "
                    "constant",
                    (long long)t->C);
  int kind = rlz_stream_kind(t->stream);
  if (kind == RICHETA_TASK_CALLBACK || rlz_stream_gives_classes(t->stream))
    return RICHETA_OK;
  return rlz_fail(NULL, RICHETA_ERR_INVALID,
                  "loss=ce needs class targets, but task %s gives real-valued ones: set "
                  "labels=argmax (balanced one-hot classes of the teacher's argmax), or use "
                  "loss=mse",
                  rlz_param_table[rlz_param_index(RICHETA_PARAM_TASK)].values[kind]);
}

/* A host batch's targets under loss=ce: rows of entries >= 0 summing to 1
 * (to 1e-6 relative in float64, 1e-4 in float32). */
static richeta_status check_ce_batch(richeta_trainer *t, int64_t step) {
  double tol = t->dtype == RICHETA_DTYPE_F32 ? 1e-4 : 1e-6;
  for (int64_t i = 0; i < t->B; i++) {
    double sum = 0.0, low = 0.0;
    for (int64_t c = 0; c < t->C; c++) {
      size_t k = (size_t)(i * t->C + c);
      double v = t->dtype == RICHETA_DTYPE_F32 ? (double)((const float *)t->by)[k]
                                               : ((const double *)t->by)[k];
      sum += v;
      if (!(v >= low)) /* also NaN */
        low = v;
    }
    if (low < 0 || isnan(low) || !(fabs(sum - 1.0) <= tol))
      return rlz_fail(&t->err, RICHETA_ERR_INVALID,
                      "loss=ce: the targets of sample %lld of step %lld are not probabilities "
                      "(entries >= 0 summing to 1): they sum to %g%s",
                      (long long)i, (long long)step, sum, low < 0 ? " with a negative entry" : "");
  }
  return RICHETA_OK;
}

/* Held-out set: drawn once in doubles, stored in the model dtype. */
/* Loss of the best constant output on targets y (n x C): for MSE the
 * targets' column means, for CE the softmax equal to their normalised
 * mean (mean_i sum_c y_ic (log S - log m_c), S = sum_c m_c). */
static double constant_predictor_loss(int loss, const double *y, int64_t n, int64_t C) {
  double total = 0.0;
  for (int64_t c = 0; c < C; c++) {
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
      m += y[i * C + c];
    m /= (double)n;
    if (loss == RICHETA_LOSS_MSE) {
      double v = 0.0;
      for (int64_t i = 0; i < n; i++)
        v += (y[i * C + c] - m) * (y[i * C + c] - m);
      total += v / ((double)n * (double)C);
    } else {
      total += m; /* S, finished below */
    }
  }
  if (loss == RICHETA_LOSS_MSE)
    return total;
  double S = total, ce = 0.0;
  for (int64_t c = 0; c < C; c++) {
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
      m += y[i * C + c];
    m /= (double)n;
    if (m > 0)
      ce += m * (log(S) - log(m));
  }
  return ce;
}

static richeta_status load_eval_set(richeta_trainer *t) {
  t->eval_mean_loss = NAN;
  if (t->eval_n == 0)
    return RICHETA_OK;
  size_t nx = (size_t)(t->eval_n * t->D), ny = (size_t)(t->eval_n * t->C);
  double *dx = rlz_calloc(&t->alloc, nx, sizeof(double));
  double *dy = rlz_calloc(&t->alloc, ny, sizeof(double));
  t->ex = rlz_calloc(&t->alloc, nx, esize(t->dtype));
  t->ey = rlz_calloc(&t->alloc, ny, esize(t->dtype));
  richeta_status st = RICHETA_OK;
  if (!dx || !dy || !t->ex || !t->ey) {
    st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the held-out set (%lld samples)",
                  (long long)t->eval_n);
  } else {
    st = richeta_stream_eval_f64(t->stream, 0, t->eval_n, dx, dy);
    if (st != RICHETA_OK) {
      rlz_fail(NULL, st, "held-out set: %s", rlz_stream_msg(t->stream));
    } else if (t->dtype == RICHETA_DTYPE_F64) {
      memcpy(t->ex, dx, nx * sizeof(double));
      memcpy(t->ey, dy, ny * sizeof(double));
    } else {
      float *fx = t->ex, *fy = t->ey;
      for (size_t i = 0; i < nx; i++)
        fx[i] = (float)dx[i];
      for (size_t i = 0; i < ny; i++)
        fy[i] = (float)dy[i];
    }
  }
  if (st == RICHETA_OK)
    t->eval_mean_loss = constant_predictor_loss((int)rlz_config_int(t->cfg, RICHETA_PARAM_LOSS), dy,
                                                t->eval_n, t->C);
  rlz_free(&t->alloc, dx);
  rlz_free(&t->alloc, dy);
  /* room for theta0's outputs on the set, computed at the first evaluation */
  if (st == RICHETA_OK &&
      rlz_config_int(t->cfg, RICHETA_PARAM_CENTERING) == RICHETA_CENTERING_FROZEN) {
    t->e0 = rlz_calloc(&t->alloc, ny, esize(t->dtype));
    if (!t->e0)
      st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the held-out set (%lld samples)",
                    (long long)t->eval_n);
  }
  return st;
}

richeta_status rlz_trainer_create(richeta_trainer **out, const richeta_config *cfg,
                                  richeta_stream *stream) {
  const rlz_alloc *a = rlz_config_alloc(cfg);
  richeta_trainer *t = rlz_calloc(a, 1, sizeof *t);
  if (!t)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a trainer");
  t->alloc = *a;
  t->init_loss = NAN;
  t->bx_step = -1;
  t->state = RICHETA_RUN_RUNNING;
  richeta_status st = richeta_config_clone(&t->cfg, cfg);
  if (st == RICHETA_OK)
    st = richeta_model_new(&t->model, t->cfg);
  if (st != RICHETA_OK)
    goto fail;
  t->dtype = rlz_model_dtype(t->model);
  t->np = rlz_model_num_params(t->model);
  t->D = rlz_config_int(t->cfg, RICHETA_PARAM_INPUT_DIM);
  t->C = rlz_config_int(t->cfg, RICHETA_PARAM_OUTPUT_DIM);
  t->B = rlz_config_int(t->cfg, RICHETA_PARAM_BATCH);
  t->T = rlz_config_int(t->cfg, RICHETA_PARAM_STEPS);
  t->blowup = rlz_config_double(t->cfg, RICHETA_PARAM_BLOWUP);
  if (stream) {
    t->stream = stream;
  } else {
    st = richeta_stream_new(&t->stream, t->cfg);
    if (st != RICHETA_OK)
      goto fail;
    t->own_stream = true;
  }
  int64_t sd, sc, sb, sn;
  richeta_stream_get_int(t->stream, RICHETA_PARAM_INPUT_DIM, &sd);
  richeta_stream_get_int(t->stream, RICHETA_PARAM_OUTPUT_DIM, &sc);
  richeta_stream_get_int(t->stream, RICHETA_PARAM_BATCH, &sb);
  richeta_stream_get_int(t->stream, RICHETA_PARAM_EVAL_SIZE, &sn);
  if (sd != t->D || sc != t->C || sb != t->B) {
    st = rlz_fail(NULL, RICHETA_ERR_MISMATCH,
                  "stream gives D=%lld C=%lld B=%lld but the model needs D=%lld C=%lld B=%lld",
                  (long long)sd, (long long)sc, (long long)sb, (long long)t->D, (long long)t->C,
                  (long long)t->B);
    goto fail;
  }
  t->eval_n = rlz_config_int(t->cfg, RICHETA_PARAM_EVAL_SIZE);
  if (sn < t->eval_n)
    t->eval_n = sn;
  st = richeta_optim_new(&t->optim, t->model, t->cfg);
  if (st == RICHETA_OK)
    st = richeta_sched_new(&t->sched, t->cfg);
  if (st != RICHETA_OK)
    goto fail;
  t->bx = rlz_calloc(a, (size_t)(t->B * t->D), esize(t->dtype));
  t->by = rlz_calloc(a, (size_t)(t->B * t->C), esize(t->dtype));
  t->n_sched = log_steps(t->T, rlz_config_int(t->cfg, RICHETA_PARAM_LOG_PER_DECADE), NULL);
  /* every scheduled point, the final point at T and a divergence point */
  t->log_cap = t->n_sched + 2;
  t->sched_steps = rlz_calloc(a, (size_t)t->n_sched + 1, sizeof(int64_t));
  t->log_step = rlz_calloc(a, (size_t)t->log_cap, sizeof(int64_t));
  t->log_train = rlz_calloc(a, (size_t)t->log_cap, sizeof(double));
  t->log_eval = rlz_calloc(a, (size_t)t->log_cap, sizeof(double));
  t->log_eta = rlz_calloc(a, (size_t)t->log_cap, sizeof(double));
  t->log_acc = rlz_calloc(a, (size_t)t->log_cap, sizeof(double));
  if (!t->bx || !t->by || !t->sched_steps || !t->log_step || !t->log_train || !t->log_eval ||
      !t->log_eta || !t->log_acc) {
    st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the trainer's buffers");
    goto fail;
  }
  log_steps(t->T, rlz_config_int(t->cfg, RICHETA_PARAM_LOG_PER_DECADE), t->sched_steps);
  t->ce_check = rlz_config_int(t->cfg, RICHETA_PARAM_LOSS) == RICHETA_LOSS_CROSS_ENTROPY &&
                rlz_stream_kind(t->stream) == RICHETA_TASK_CALLBACK;
  st = check_ce_targets_source(t);
  if (st == RICHETA_OK)
    st = load_eval_set(t);
  if (st != RICHETA_OK)
    goto fail;
  *out = t;
  return RICHETA_OK;
fail:
  trainer_destroy(t);
  return st;
}

richeta_status richeta_trainer_new(richeta_trainer **out, const richeta_config *cfg) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_new: out is NULL");
  *out = NULL;
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_new: cfg is NULL");
  return rlz_trainer_create(out, cfg, NULL);
}

richeta_status richeta_trainer_new_with_stream(richeta_trainer **out, const richeta_config *cfg,
                                               richeta_stream *stream) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_new_with_stream: out is NULL");
  *out = NULL;
  if (!cfg || !stream)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_new_with_stream: %s is NULL",
                    cfg ? "stream" : "cfg");
  return rlz_trainer_create(out, cfg, stream);
}

void richeta_trainer_free(richeta_trainer *trainer) {
  if (trainer && trainer->in_callback > 0) {
    /* inside its own on_log hook: the run still uses it; freed when
     * richeta_trainer_run returns */
    trainer->free_pending = true;
    return;
  }
  trainer_destroy(trainer);
}

const char *richeta_trainer_last_error(const richeta_trainer *trainer) {
  return trainer ? trainer->err.msg : richeta_last_error();
}

/* Index of the first scheduled log step >= step. */
static int64_t next_sched(const richeta_trainer *t, int64_t step) {
  int64_t lo = 0, hi = t->n_sched;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (t->sched_steps[mid] < step)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int64_t rlz_trainer_next_log_step(const richeta_trainer *t, int64_t step) {
  int64_t k = next_sched(t, step);
  return k < t->n_sched ? t->sched_steps[k] : t->T;
}

static void log_append(richeta_trainer *t, int64_t step, double train, double eval, double acc,
                       double eta) {
  if (t->log_n >= t->log_cap) /* cannot happen: capacity covers every point */
    return;
  t->log_step[t->log_n] = step;
  t->log_train[t->log_n] = train;
  t->log_eval[t->log_n] = eval;
  t->log_acc[t->log_n] = acc;
  t->log_eta[t->log_n] = eta;
  t->log_n++;
}

static bool blown_up(const richeta_trainer *t, double loss) {
  if (!isfinite(loss))
    return true;
  /* an exactly-zero initial loss gives no scale: only non-finite losses count then */
  return t->init_loss > 0 && loss > t->blowup * t->init_loss;
}

/* Held-out loss and accuracy (NaN when undefined: no held-out set, C < 2). */
static richeta_status eval_loss(richeta_trainer *t, double *loss, double *acc) {
  *loss = NAN;
  *acc = NAN;
  if (t->eval_n == 0)
    return RICHETA_OK;
  richeta_status st = RICHETA_OK;
  if (t->e0) { /* theta0's outputs on the set do not change: computed once */
    uint64_t v = rlz_model_theta0_version(t->model);
    if (t->e0_version != v)
      st = rlz_model_frozen_outputs(t->model, t->ex, t->eval_n, t->dtype, t->e0);
    if (st != RICHETA_OK)
      return rlz_fail(&t->err, st, "held-out evaluation: %s", rlz_model_err(t->model)->msg);
    t->e0_version = v;
    rlz_frozen fz = {.x = t->ex, .batch = t->eval_n, .out0 = t->e0};
    rlz_model_set_frozen(t->model, &fz);
  }
  st =
      rlz_model_evaluate(t->model, t->ex, t->ey, t->eval_n, t->dtype, loss, t->C >= 2 ? acc : NULL);
  rlz_model_set_frozen(t->model, NULL);
  if (st != RICHETA_OK)
    return rlz_fail(&t->err, st, "held-out evaluation: %s", rlz_model_err(t->model)->msg);
  return RICHETA_OK;
}

/* Call the log hook of the point just appended. */
static richeta_status notify(richeta_trainer *t, const richeta_train_callbacks *cb) {
  if (!cb || !cb->on_log)
    return RICHETA_OK;
  int64_t i = t->log_n - 1;
  t->in_callback++;
  rlz_callback_forget();
  int rc = cb->on_log(cb->user, t->log_step[i], t->log_train[i], t->log_eval[i], t->log_eta[i]);
  t->in_callback--;
  if (t->free_pending)
    return rlz_fail(&t->err, RICHETA_ERR_ABORTED,
                    "the trainer was freed inside its own log callback at step %lld",
                    (long long)t->log_step[i]);
  if (rc != 0 && *rlz_callback_message())
    return rlz_fail(&t->err, RICHETA_ERR_ABORTED, "stopped by the log callback at step %lld: %s",
                    (long long)t->log_step[i], rlz_callback_message());
  if (rc != 0)
    return rlz_fail(&t->err, RICHETA_ERR_ABORTED, "stopped by the log callback (%d) at step %lld",
                    rc, (long long)t->log_step[i]);
  return RICHETA_OK;
}

/* The point at T: losses of the final parameters on the last training
 * batch (batch 0 when T = 0) and on the held-out set. */
static richeta_status finish(richeta_trainer *t, const richeta_train_callbacks *cb) {
  int64_t last = t->T > 0 ? t->T - 1 : 0;
  richeta_status st = RICHETA_OK;
  if (t->bx_step != last) { /* e.g. resumed at T: fetch it again */
    t->bx_step = -1;
    st = rlz_stream_batch(t->stream, last, t->dtype, t->bx, t->by);
    if (st != RICHETA_OK)
      return rlz_fail(&t->err, st, "%s", rlz_stream_msg(t->stream));
    t->bx_step = last;
  }
  double train = NAN, eval = NAN, acc = NAN, eta = NAN;
  st = rlz_model_evaluate(t->model, t->bx, t->by, t->B, t->dtype, &train, NULL);
  if (st != RICHETA_OK)
    return rlz_fail(&t->err, st, "final evaluation: %s", rlz_model_err(t->model)->msg);
  st = eval_loss(t, &eval, &acc);
  if (st != RICHETA_OK)
    return st;
  richeta_sched_eta(t->sched, t->T, &eta);
  if (t->T == 0)
    t->init_loss = train;
  bool div = blown_up(t, train) || (t->eval_n > 0 && !isfinite(eval));
  log_append(t, t->T, train, eval, acc, eta);
  t->state = div ? RICHETA_RUN_DIVERGED : RICHETA_RUN_DONE;
  return notify(t, cb);
}

static richeta_status run_steps(richeta_trainer *t, int64_t max_steps,
                                const richeta_train_callbacks *callbacks);

richeta_status richeta_trainer_run(richeta_trainer *trainer, int64_t max_steps,
                                   const richeta_train_callbacks *callbacks) {
  if (!trainer)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_run: trainer is NULL");
  if (trainer->in_callback > 0)
    return rlz_fail(&trainer->err, RICHETA_ERR_STATE,
                    "richeta_trainer_run: called from inside the trainer's own log callback");
  richeta_status st = run_steps(trainer, max_steps, callbacks);
  if (trainer->free_pending) { /* freed by its own hook: now it can go */
    trainer_destroy(trainer);
    return rlz_fail(NULL, RICHETA_ERR_ABORTED,
                    "richeta_trainer_run: the trainer was freed inside its own log callback; "
                    "the run stopped and the trainer is gone");
  }
  return st;
}

static richeta_status run_steps(richeta_trainer *t, int64_t max_steps,
                                const richeta_train_callbacks *callbacks) {
  if (max_steps < 0)
    return rlz_fail(&t->err, RICHETA_ERR_RANGE, "max_steps %lld < 0", (long long)max_steps);
  if (callbacks &&
      callbacks->struct_size < offsetof(richeta_train_callbacks, user) + sizeof(void *))
    return rlz_fail(&t->err, RICHETA_ERR_INVALID,
                    "callbacks->struct_size %zu is too small (set it to "
                    "sizeof(richeta_train_callbacks))",
                    callbacks->struct_size);
  if (t->state != RICHETA_RUN_RUNNING)
    return RICHETA_OK;
  for (int64_t taken = 0; taken < max_steps && t->step < t->T; taken++) {
    bool stop = false;
    richeta_status st = rlz_trainer_advance(t, callbacks, NULL, &stop);
    if (st != RICHETA_OK || stop)
      return st;
  }
  return rlz_trainer_finish_if_done(t, callbacks);
}

richeta_status rlz_trainer_finish_if_done(richeta_trainer *t, const richeta_train_callbacks *cb) {
  if (t->step == t->T && t->state == RICHETA_RUN_RUNNING)
    return finish(t, cb);
  return RICHETA_OK;
}

richeta_status rlz_trainer_advance(richeta_trainer *t, const richeta_train_callbacks *callbacks,
                                   rlz_shared_features *sf, bool *stop) {
  int64_t s = t->step;
  int64_t k = next_sched(t, s);
  richeta_status st = richeta_sched_apply(t->sched, t->optim, s);
  if (st != RICHETA_OK)
    return rlz_fail(&t->err, st, "%s", richeta_sched_last_error(t->sched));
  double eta;
  richeta_optim_get_eta(t->optim, &eta);
  t->bx_step = -1;
  st = rlz_stream_batch(t->stream, s, t->dtype, t->bx, t->by);
  if (st != RICHETA_OK)
    return rlz_fail(&t->err, st, "%s", rlz_stream_msg(t->stream));
  if (t->ce_check && (st = check_ce_batch(t, s)) != RICHETA_OK)
    return st;
  t->bx_step = s;
  bool logged = k < t->n_sched && t->sched_steps[k] == s;
  double eval = NAN, acc = NAN, loss = NAN;
  if (logged && (st = eval_loss(t, &eval, &acc)) != RICHETA_OK)
    return st;
  if (sf) { /* theta0's hidden layers on this batch: once per group and step */
    if (sf->step != s) {
      sf->step = -1;
      st = rlz_model_frozen_features(t->model, t->bx, t->B, t->dtype, sf->feat);
      if (st != RICHETA_OK)
        return rlz_fail(&t->err, st, "%s", rlz_model_err(t->model)->msg);
      sf->step = s;
    }
    rlz_frozen fz = {.x = t->bx, .batch = t->B, .feat = sf->feat};
    rlz_model_set_frozen(t->model, &fz);
  }
  st = rlz_optim_step(t->optim, t->bx, t->by, t->B, t->dtype, &loss);
  rlz_model_set_frozen(t->model, NULL);
  if (st == RICHETA_ERR_DIVERGED) { /* parameters unchanged, step not taken */
    t->state = RICHETA_RUN_DIVERGED;
    log_append(t, s, loss, eval, acc, eta);
    *stop = true;
    return notify(t, callbacks);
  }
  if (st != RICHETA_OK)
    return rlz_fail(&t->err, st, "%s", richeta_optim_last_error(t->optim));
  t->step = s + 1;
  if (s == 0)
    t->init_loss = loss;
  bool div = blown_up(t, loss) || (logged && t->eval_n > 0 && !isfinite(eval));
  if (!logged && !div)
    return RICHETA_OK;
  log_append(t, s, loss, eval, acc, eta);
  if (div)
    t->state = RICHETA_RUN_DIVERGED;
  st = notify(t, callbacks);
  if (st != RICHETA_OK || div)
    *stop = true;
  return st;
}

richeta_status richeta_trainer_step(const richeta_trainer *trainer, int64_t *step) {
  if (!trainer || !step)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_step: NULL argument");
  *step = trainer->step;
  return RICHETA_OK;
}

richeta_status richeta_trainer_state(const richeta_trainer *trainer, int *state) {
  if (!trainer || !state)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_state: NULL argument");
  *state = trainer->state;
  return RICHETA_OK;
}

richeta_status richeta_trainer_log(const richeta_trainer *trainer, int64_t *steps,
                                   double *train_loss, double *eval_loss, double *eta, int64_t cap,
                                   int64_t *count) {
  if (!trainer)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_log: trainer is NULL");
  rlz_err *e = (rlz_err *)&trainer->err;
  if (count)
    *count = trainer->log_n;
  if (cap < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_trainer_log: cap %lld < 0", (long long)cap);
  if (trainer->log_n == 0)
    return RICHETA_OK;
  if (!steps && !train_loss && !eval_loss && !eta)
    return RICHETA_OK; /* size query */
  if (cap < trainer->log_n)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "log has %lld points, buffers hold %lld",
                    (long long)trainer->log_n, (long long)cap);
  size_t n = (size_t)trainer->log_n;
  if (steps)
    memcpy(steps, trainer->log_step, n * sizeof *steps);
  if (train_loss)
    memcpy(train_loss, trainer->log_train, n * sizeof *train_loss);
  if (eval_loss)
    memcpy(eval_loss, trainer->log_eval, n * sizeof *eval_loss);
  if (eta)
    memcpy(eta, trainer->log_eta, n * sizeof *eta);
  return RICHETA_OK;
}

richeta_status richeta_trainer_log_accuracy(const richeta_trainer *trainer, double *accuracy,
                                            int64_t cap, int64_t *count) {
  if (!trainer)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_log_accuracy: trainer is NULL");
  rlz_err *e = (rlz_err *)&trainer->err; /* only the message buffer changes */
  if (count)
    *count = trainer->log_n;
  if (cap < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_trainer_log_accuracy: cap %lld < 0",
                    (long long)cap);
  if (!accuracy || trainer->log_n == 0)
    return RICHETA_OK; /* size query */
  if (cap < trainer->log_n)
    return rlz_fail(e, RICHETA_ERR_BUFFER_TOO_SMALL, "log has %lld points, buffer holds %lld",
                    (long long)trainer->log_n, (long long)cap);
  memcpy(accuracy, trainer->log_acc, (size_t)trainer->log_n * sizeof *accuracy);
  return RICHETA_OK;
}

richeta_model *richeta_trainer_model(richeta_trainer *trainer) {
  return trainer ? trainer->model : NULL;
}

richeta_optim *richeta_trainer_optim(richeta_trainer *trainer) {
  return trainer ? trainer->optim : NULL;
}

richeta_stream *richeta_trainer_stream(richeta_trainer *trainer) {
  return trainer ? trainer->stream : NULL;
}
