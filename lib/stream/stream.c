/* Data streams. Synthetic batches are pure functions of (data seed, step):
 * every value comes from the counter-based generator at a counter derived
 * from its position, so batches do not depend on call order, resumption or
 * threads. The held-out set uses its own generator streams, so it never
 * overlaps a training batch. */
#include "stream/stream_internal.h"

#include "core/config_internal.h"
#include "core/params.h" /* task names for messages */
#include "core/rng.h"
#include "data/data_internal.h"
#include "nn/nn.h"
#include "numeric/numeric.h"

#include <math.h>
#include <string.h>

/* Generator streams of the data purposes (all below RLZ_RNG_STREAM_DATA's
 * upper half, so they never meet the model's initialisation streams). */
#define STREAM_TRAIN_X (RLZ_RNG_STREAM_DATA | 1u)
#define STREAM_TRAIN_NOISE (RLZ_RNG_STREAM_DATA | 2u)
#define STREAM_EVAL_X (RLZ_RNG_STREAM_DATA | 3u)
#define STREAM_EVAL_NOISE (RLZ_RNG_STREAM_DATA | 4u)
#define STREAM_TEACHER(l) (RLZ_RNG_STREAM_DATA | (0x100u + (uint64_t)(l)))
#define STREAM_TEACHER_PROBE (RLZ_RNG_STREAM_DATA | 5u)
#define STREAM_LABEL_PROBE (RLZ_RNG_STREAM_DATA | 6u)
/* Probe inputs on which labels=argmax balances its classes: each class's
 * probability is then 1/C to within the probes' sampling error, about
 * sqrt(1 / (C LABEL_PROBES)) (0.002 for C = 10). */
#define LABEL_PROBES 20000

struct richeta_stream {
  rlz_alloc alloc;
  rlz_err err;
  int task;
  int64_t D, C, B;
  int64_t eval_n;
  uint64_t seed;
  double noise;
  /* teacher: linear uses one C x D matrix, the MLP teacher tL matrices of
   * widths M (first M x D, last C x M), the CNN teacher the paper's CNN of
   * base width M; each on the model core */
  int64_t tM, tL;
  int tact;
  double *teacher;  /* the teacher's weights, flat (W_0, W_1, ...: no biases) */
  rlz_graph tgraph; /* the teacher network and its workspace (model core) */
  rlz_net *tnet;
  double *xbuf, *ybuf;   /* B x D and B x C doubles: f32 fills and callbacks */
  double *exbuf, *eybuf; /* the same for held-out chunks (see richeta_stream_eval_f64) */
  /* step whose batch xbuf/ybuf hold, -1 when none: trainers sharing the
   * stream in lockstep (sweep groups) draw each batch once. Never set for
   * callback streams, whose fills are the host's business. */
  int64_t memo_step;
  richeta_stream_callbacks cb;
  richeta_dataset *ds, *ds_test; /* file streams: training and held-out splits */
  bool sign_inputs;              /* synthetic inputs are signs of the Gaussian draws */
  rlz_task fn;                   /* function tasks (tasks.c); fn.task = -1 otherwise */
  double *label_off;             /* labels=argmax: the C class offsets, else NULL */
};

/* labels=argmax: each row of y (n x C) becomes the one-hot vector of
 * argmax_c (y_c + off_c). */
static void one_hot_argmax(int64_t n, int64_t C, const double *off, double *y) {
  for (int64_t i = 0; i < n; i++) {
    double *r = y + i * C;
    int64_t best = 0;
    for (int64_t c = 1; c < C; c++)
      if (r[c] + off[c] > r[best] + off[best])
        best = c;
    for (int64_t c = 0; c < C; c++)
      r[c] = c == best ? 1.0 : 0.0;
  }
}

/* Targets of n <= B samples x (n x D) into y (n x C), without noise: the
 * teacher network on the model core, with 1.0's products (gemm only). */
static richeta_status teacher_forward(richeta_stream *s, int64_t n, const double *x, double *y) {
  return rlz_net_forward(s->tnet, s->teacher, x, 0, s->tgraph.n - 1, n, y);
}

/* Samples with inputs from generator stream sx at counter cx0 and noise
 * from sn at cn0 (n <= B samples). */
static richeta_status synth_fill(richeta_stream *s, int64_t n, uint64_t sx, uint64_t cx0,
                                 uint64_t sn, uint64_t cn0, double *x, double *y) {
  rlz_rng_normals(s->seed, sx, cx0, n * s->D, x);
  if (s->sign_inputs)
    rlz_task_sign(n * s->D, x);
  richeta_status st = rlz_task_is_function(s->fn.task) ? rlz_task_targets(&s->fn, &s->err, n, x, y)
                                                       : teacher_forward(s, n, x, y);
  if (st != RICHETA_OK)
    return st;
  if (s->noise > 0) {
    for (int64_t i = 0; i < n * s->C; i++)
      y[i] += s->noise * rlz_rng_normal(s->seed, sn, cn0 + (uint64_t)i);
  }
  if (s->label_off)
    one_hot_argmax(n, s->C, s->label_off, y);
  return RICHETA_OK;
}

static void stream_destroy(richeta_stream *s) {
  if (!s)
    return;
  rlz_alloc a = s->alloc;
  richeta_dataset_free(s->ds);
  richeta_dataset_free(s->ds_test);
  rlz_task_free(&s->fn, &a);
  rlz_free(&a, s->label_off);
  rlz_free(&a, s->teacher);
  rlz_net_free(s->tnet);
  rlz_graph_free(&s->tgraph, &a);
  rlz_free(&a, s->xbuf);
  rlz_free(&a, s->ybuf);
  rlz_free(&a, s->exbuf);
  rlz_free(&a, s->eybuf);
  rlz_free(&a, s);
}

/* Common part: the handle, shapes and the double scratch batch. */
static richeta_status stream_alloc(richeta_stream **out, const richeta_config *cfg, int task) {
  const rlz_alloc *a = rlz_config_alloc(cfg);
  int64_t D = rlz_config_int(cfg, RICHETA_PARAM_INPUT_DIM);
  int64_t C = rlz_config_int(cfg, RICHETA_PARAM_OUTPUT_DIM);
  int64_t B = rlz_config_int(cfg, RICHETA_PARAM_BATCH);
  if (D < 1 || C < 1 || B < 1)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "stream: D, C and B must be >= 1");
  int64_t bd, bc;
  if (!rlz_mul_i64(B, D, &bd) || !rlz_mul_i64(B, C, &bc))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "stream: batch size overflows");
  richeta_stream *s = rlz_calloc(a, 1, sizeof *s);
  if (!s)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a stream");
  s->alloc = *a;
  s->task = task;
  s->fn.task = -1;
  s->D = D;
  s->C = C;
  s->B = B;
  s->memo_step = -1;
  s->xbuf = rlz_calloc(a, (size_t)bd, sizeof(double));
  s->ybuf = rlz_calloc(a, (size_t)bc, sizeof(double));
  s->exbuf = rlz_calloc(a, (size_t)bd, sizeof(double));
  s->eybuf = rlz_calloc(a, (size_t)bc, sizeof(double));
  if (!s->xbuf || !s->ybuf || !s->exbuf || !s->eybuf) {
    stream_destroy(s);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the stream's batch buffers");
  }
  *out = s;
  return RICHETA_OK;
}

static richeta_status file_stream_new(richeta_stream **out, const richeta_config *cfg) {
  richeta_stream *s;
  richeta_status st = stream_alloc(&s, cfg, RICHETA_TASK_FILE);
  if (st != RICHETA_OK)
    return st;
  s->seed = (uint64_t)rlz_config_int(cfg, RICHETA_PARAM_DATA_SEED);
  st = rlz_stream_file_open(&s->alloc, NULL, cfg, &s->ds, &s->ds_test);
  if (st != RICHETA_OK) {
    stream_destroy(s);
    return st;
  }
  s->eval_n = 0;
  if (s->ds_test) {
    int64_t n = rlz_dataset_num_samples(s->ds_test);
    int64_t want = rlz_config_int(cfg, RICHETA_PARAM_EVAL_SIZE);
    s->eval_n = n < want ? n : want;
  }
  *out = s;
  return RICHETA_OK;
}

/* The CNN teacher's pooled layers shrink its outputs well below 1: its
 * readout is rescaled once so that the targets have mean square 1 over
 * 1024 probe images (at least) of its own generator stream (deterministic
 * in the seed). */
static richeta_status teacher_unit_scale(richeta_stream *s) {
  double ms = 0;
  int64_t chunks = (1023 + s->B) / s->B;
  for (int64_t k = 0; k < chunks; k++) {
    rlz_rng_normals(s->seed, STREAM_TEACHER_PROBE, (uint64_t)(k * s->B * s->D), s->B * s->D,
                    s->exbuf);
    richeta_status st = teacher_forward(s, s->B, s->exbuf, s->eybuf);
    if (st != RICHETA_OK)
      return st;
    for (int64_t i = 0; i < s->B * s->C; i++)
      ms += s->eybuf[i] * s->eybuf[i];
  }
  ms /= (double)(chunks * s->B * s->C);
  if (!(ms > 0) || !isfinite(ms))
    return RICHETA_OK; /* a dead teacher stays as drawn */
  const rlz_node *out = &s->tgraph.nodes[s->tgraph.n - 1];
  double scale = 1.0 / sqrt(ms);
  for (int64_t i = 0; i < out->rows * out->cols; i++)
    s->teacher[out->woff + i] *= scale;
  return RICHETA_OK;
}

/* The teacher network of the linear, MLP and CNN tasks on the model core,
 * its weights drawn once from the data seed, layer by layer. */
static richeta_status teacher_new(richeta_stream *s, const richeta_config *cfg, int64_t task) {
  richeta_status st;
  if (task == RICHETA_TASK_IMAGE_CNN) {
    s->tact = (int)rlz_config_int(cfg, RICHETA_PARAM_TEACHER_ACTIVATION);
    int64_t ic = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_CHANNELS);
    int64_t ih = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_HEIGHT);
    int64_t iw = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_WIDTH);
    if (ic < 1 || ih < 1 || iw < 1 || (double)ic * (double)ih * (double)iw != (double)s->D)
      return rlz_fail(NULL, RICHETA_ERR_INVALID,
                      "task=image_cnn needs the image shape: image_channels, image_height and "
                      "image_width with D = their product (got %lld x %lld x %lld, D = %lld)",
                      (long long)ic, (long long)ih, (long long)iw, (long long)s->D);
    st = rlz_graph_cnn(&s->tgraph, &s->alloc, NULL, ic, ih, iw,
                       rlz_config_int(cfg, RICHETA_PARAM_TEACHER_WIDTH), s->C, 0,
                       (richeta_activation)s->tact, RICHETA_PARAMETERIZATION_MF, 1.0,
                       RICHETA_CONV_SCALE_FAN_IN, true);
  } else {
    if (task == RICHETA_TASK_LINEAR) {
      s->tL = 1;
      s->tM = 1; /* unused */
      s->tact = RICHETA_ACTIVATION_IDENTITY;
    } else {
      s->tL = rlz_config_int(cfg, RICHETA_PARAM_TEACHER_DEPTH);
      s->tM = rlz_config_int(cfg, RICHETA_PARAM_TEACHER_WIDTH);
      s->tact = (int)rlz_config_int(cfg, RICHETA_PARAM_TEACHER_ACTIVATION);
      if (s->tL < 1 || s->tM < 1)
        return rlz_fail(NULL, RICHETA_ERR_RANGE, "teacher depth and width must be >= 1");
    }
    st = rlz_graph_mlp(&s->tgraph, &s->alloc, NULL, s->D, s->tM, s->C, s->tL, 0,
                       (richeta_activation)s->tact, RICHETA_PARAMETERIZATION_MF, 1.0, true);
  }
  if (st != RICHETA_OK)
    return st;
  /* the MLP teacher keeps 1.0's products (gemm only) and so its targets */
  unsigned flags = task == RICHETA_TASK_IMAGE_CNN ? 0u : RLZ_NET_GEMM_ONLY;
  if ((st = rlz_net_new(&s->tnet, &s->tgraph, RICHETA_DTYPE_F64, s->B, flags, &s->alloc,
                        &s->err)) != RICHETA_OK)
    return st;
  s->teacher = rlz_calloc(&s->alloc, (size_t)s->tgraph.nparams, sizeof(double));
  if (!s->teacher)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the teacher (%lld weights)",
                    (long long)s->tgraph.nparams);
  for (int i = 0; i < s->tgraph.n; i++) {
    const rlz_node *nd = &s->tgraph.nodes[i];
    if (nd->layer >= 0)
      rlz_rng_normals(s->seed, STREAM_TEACHER(nd->layer), 0, nd->rows * nd->cols,
                      s->teacher + nd->woff);
  }
  return task == RICHETA_TASK_IMAGE_CNN ? teacher_unit_scale(s) : RICHETA_OK;
}

/* labels=argmax: class offsets that make the argmax of the teacher's
 * outputs (with label noise, as the samples get it) equally likely on
 * LABEL_PROBES probe inputs of the data seed. Each round moves every
 * class's offset against its excess frequency, in units of the outputs'
 * spread, with a shrinking step; it stops when every class holds 1/C of
 * the probes within 0.2% of them (or after 2000 rounds). Deterministic in
 * the seed. */
static richeta_status balance_labels(richeta_stream *s) {
  int64_t C = s->C, np = LABEL_PROBES;
  size_t ny = (size_t)(np * C);
  double *y = rlz_calloc(&s->alloc, ny, sizeof(double));
  int64_t *count = rlz_calloc(&s->alloc, (size_t)C, sizeof(int64_t));
  s->label_off = rlz_calloc(&s->alloc, (size_t)C, sizeof(double));
  richeta_status st = RICHETA_OK;
  if (!y || !count || !s->label_off)
    st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the label probes");
  double *off = s->label_off;
  s->label_off = NULL; /* synth_fill gives the raw outputs while probing */
  for (int64_t i0 = 0; st == RICHETA_OK && i0 < np; i0 += s->B) {
    int64_t n = np - i0 < s->B ? np - i0 : s->B;
    st = synth_fill(s, n, STREAM_LABEL_PROBE, (uint64_t)(i0 * s->D), STREAM_LABEL_PROBE | 0x80u,
                    (uint64_t)(i0 * C), s->exbuf, y + i0 * C);
  }
  double mean = 0, var = 0;
  for (size_t i = 0; st == RICHETA_OK && i < ny; i++)
    mean += y[i] / (double)ny;
  for (size_t i = 0; st == RICHETA_OK && i < ny; i++)
    var += (y[i] - mean) * (y[i] - mean) / (double)ny;
  double step = 0.5 * (var > 0 ? sqrt(var) : 1.0);
  int64_t tol = np / 500 > 1 ? np / 500 : 1;
  for (int round = 0; st == RICHETA_OK && round < 2000; round++, step *= 0.995) {
    memset(count, 0, (size_t)C * sizeof *count);
    for (int64_t i = 0; i < np; i++) {
      const double *r = y + i * C;
      int64_t best = 0;
      for (int64_t c = 1; c < C; c++)
        if (r[c] + off[c] > r[best] + off[best])
          best = c;
      count[best]++;
    }
    int64_t worst = 0;
    for (int64_t c = 0; c < C; c++) {
      int64_t d = count[c] * C - np; /* C x the excess count */
      if (d < 0)
        d = -d;
      if (d > worst)
        worst = d;
    }
    if (worst <= tol * C)
      break;
    for (int64_t c = 0; c < C; c++)
      off[c] -= step * ((double)count[c] * (double)C / (double)np - 1.0);
  }
  rlz_free(&s->alloc, y);
  rlz_free(&s->alloc, count);
  if (st != RICHETA_OK) {
    rlz_free(&s->alloc, off);
    return st;
  }
  s->label_off = off;
  return RICHETA_OK;
}

richeta_status richeta_stream_new(richeta_stream **out, const richeta_config *cfg) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_new: out is NULL");
  *out = NULL;
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_new: cfg is NULL");
  int64_t task = rlz_config_int(cfg, RICHETA_PARAM_TASK);
  if (task == RICHETA_TASK_CALLBACK)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "task=callback needs richeta_stream_new_callback() and a callback table");
  if (task == RICHETA_TASK_FILE &&
      rlz_config_int(cfg, RICHETA_PARAM_TASK_LABELS) != RICHETA_LABELS_NONE)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "labels=argmax is for the teacher tasks: a data set's targets are its own "
                    "labels (one-hot)");
  if (task == RICHETA_TASK_FILE)
    return file_stream_new(out, cfg);
  if (task != RICHETA_TASK_LINEAR && task != RICHETA_TASK_MLP && task != RICHETA_TASK_IMAGE_CNN &&
      !rlz_task_is_function(task))
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "unknown task %lld", (long long)task);
  double noise = rlz_config_double(cfg, RICHETA_PARAM_LABEL_NOISE);
  if (!isfinite(noise) || noise < 0)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "label noise %g must be finite and >= 0", noise);
  richeta_stream *s;
  richeta_status st = stream_alloc(&s, cfg, (int)task);
  if (st != RICHETA_OK)
    return st;
  s->seed = (uint64_t)rlz_config_int(cfg, RICHETA_PARAM_DATA_SEED);
  s->noise = noise;
  s->eval_n = rlz_config_int(cfg, RICHETA_PARAM_EVAL_SIZE);
  s->sign_inputs = rlz_task_sign_inputs(task, rlz_config_int(cfg, RICHETA_PARAM_TASK_INPUTS));
  int64_t labels = rlz_config_int(cfg, RICHETA_PARAM_TASK_LABELS);
  if (labels == RICHETA_LABELS_ARGMAX && (rlz_task_is_function(task) || s->C < 2)) {
    long long classes = (long long)s->C; /* read before the handle goes */
    stream_destroy(s);
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "labels=argmax needs a teacher task (linear, mlp, image_cnn) with C >= 2 "
                    "classes (got task %s, C = %lld)",
                    rlz_param_table[rlz_param_index(RICHETA_PARAM_TASK)].values[task], classes);
  }
  if (rlz_task_is_function(task)) {
    st = rlz_task_init(&s->fn, &s->alloc, cfg, s->seed, s->D, s->C, s->B);
    if (st != RICHETA_OK) {
      s->fn.task = -1;
      stream_destroy(s);
      return st;
    }
    *out = s;
    return RICHETA_OK;
  }
  st = teacher_new(s, cfg, task);
  if (st == RICHETA_OK && labels == RICHETA_LABELS_ARGMAX)
    st = balance_labels(s);
  if (st != RICHETA_OK) {
    stream_destroy(s);
    return st;
  }
  *out = s;
  return RICHETA_OK;
}

richeta_status richeta_stream_new_callback(richeta_stream **out, const richeta_config *cfg,
                                           const richeta_stream_callbacks *callbacks) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_new_callback: out is NULL");
  *out = NULL;
  if (!cfg || !callbacks)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_new_callback: %s is NULL",
                    cfg ? "callbacks" : "cfg");
  size_t need = offsetof(richeta_stream_callbacks, user) + sizeof(void *);
  if (callbacks->struct_size < need)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "richeta_stream_new_callback: struct_size %zu < %zu (set it to "
                    "sizeof(richeta_stream_callbacks))",
                    callbacks->struct_size, need);
  if (!callbacks->fill)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_new_callback: fill hook is NULL");
  richeta_stream *s;
  richeta_status st = stream_alloc(&s, cfg, RICHETA_TASK_CALLBACK);
  if (st != RICHETA_OK)
    return st;
  s->cb.struct_size = sizeof s->cb;
  s->cb.fill = callbacks->fill;
  s->cb.user = callbacks->user;
  s->eval_n = 0; /* a host stream has no held-out set */
  *out = s;
  return RICHETA_OK;
}

void richeta_stream_free(richeta_stream *stream) { stream_destroy(stream); }

const char *richeta_stream_last_error(const richeta_stream *stream) {
  return stream ? stream->err.msg : richeta_last_error();
}

const char *rlz_stream_msg(const richeta_stream *s) { return s->err.msg; }

int rlz_stream_kind(const richeta_stream *s) { return s->task; }

bool rlz_stream_gives_classes(const richeta_stream *s) {
  return s->task == RICHETA_TASK_FILE || s->label_off != NULL;
}

const rlz_task *rlz_stream_task(const richeta_stream *s) { return &s->fn; }

richeta_status richeta_stream_epoch(const richeta_stream *stream, int64_t step, int64_t *epoch) {
  if (!stream || !epoch)
    return rlz_fail(stream ? (rlz_err *)&stream->err : NULL, RICHETA_ERR_NULL,
                    "richeta_stream_epoch: %s is NULL", stream ? "epoch" : "stream");
  rlz_err *e = (rlz_err *)&stream->err; /* only the message buffer changes */
  if (step < 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "richeta_stream_epoch: step %lld < 0", (long long)step);
  if (stream->task != RICHETA_TASK_FILE) { /* fresh samples every step (or unknown: host) */
    *epoch = 0;
    return RICHETA_OK;
  }
  int64_t ep = rlz_dataset_epoch_of(stream->ds, step, stream->B);
  if (ep < 0)
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "richeta_stream_epoch: step %lld overflows",
                    (long long)step);
  *epoch = ep;
  return RICHETA_OK;
}

richeta_status richeta_stream_get_int(const richeta_stream *stream, richeta_param param,
                                      int64_t *value) {
  if (!stream || !value)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_get_int: NULL argument");
  switch (param) {
  case RICHETA_PARAM_INPUT_DIM:
    *value = stream->D;
    break;
  case RICHETA_PARAM_OUTPUT_DIM:
    *value = stream->C;
    break;
  case RICHETA_PARAM_BATCH:
    *value = stream->B;
    break;
  case RICHETA_PARAM_TASK:
    *value = stream->task;
    break;
  case RICHETA_PARAM_EVAL_SIZE:
    *value = stream->eval_n;
    break;
  default:
    return rlz_fail((rlz_err *)&stream->err, RICHETA_ERR_UNSUPPORTED,
                    "parameter %d is not a stream property", (int)param);
  }
  return RICHETA_OK;
}

/* Batch of step t in doubles. */
static richeta_status batch_f64(richeta_stream *s, int64_t step, double *x, double *y) {
  if (s->task == RICHETA_TASK_CALLBACK) {
    rlz_callback_forget();
    int rc = s->cb.fill(s->cb.user, step, s->B, s->D, s->C, x, y);
    if (rc != 0 && *rlz_callback_message())
      return rlz_fail(&s->err, RICHETA_ERR_CALLBACK, "stream fill callback failed at step %lld: %s",
                      (long long)step, rlz_callback_message());
    if (rc != 0)
      return rlz_fail(&s->err, RICHETA_ERR_CALLBACK,
                      "stream fill callback returned %d at step %lld", rc, (long long)step);
    return RICHETA_OK;
  }
  if (s->task == RICHETA_TASK_FILE) {
    richeta_status st = rlz_dataset_fill_f64(s->ds, s->seed, step, s->B, 1, x, y, NULL);
    if (st != RICHETA_OK)
      return rlz_fail(&s->err, st, "data set batch %lld: %s", (long long)step,
                      richeta_last_error());
    return RICHETA_OK;
  }
  int64_t cx, cn;
  /* counters of this batch's first value; the last one must fit as well */
  if (!rlz_mul_i64(step + 1, s->B * s->D, &cx) || !rlz_mul_i64(step + 1, s->B * s->C, &cn))
    return rlz_fail(&s->err, RICHETA_ERR_RANGE, "step %lld is too large for this batch shape",
                    (long long)step);
  return synth_fill(s, s->B, STREAM_TRAIN_X, (uint64_t)(cx - s->B * s->D), STREAM_TRAIN_NOISE,
                    (uint64_t)(cn - s->B * s->C), x, y);
}

richeta_status rlz_stream_batch(richeta_stream *s, int64_t step, richeta_dtype dtype, void *x,
                                void *y) {
  if (!s)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "stream batch: stream is NULL");
  if (!x || !y)
    return rlz_fail(&s->err, RICHETA_ERR_NULL, "stream batch: %s is NULL", x ? "y" : "x");
  if (step < 0)
    return rlz_fail(&s->err, RICHETA_ERR_RANGE, "stream batch: step %lld < 0", (long long)step);
  if (s->task == RICHETA_TASK_CALLBACK && dtype == RICHETA_DTYPE_F64)
    return batch_f64(s, step, x, y);
  /* fill the double scratch (unless it holds this step), then copy or round once */
  if (s->memo_step != step) { /* always so for callback streams (memo_step stays -1) */
    s->memo_step = -1;
    richeta_status st = batch_f64(s, step, s->xbuf, s->ybuf);
    if (st != RICHETA_OK)
      return st;
    if (s->task != RICHETA_TASK_CALLBACK)
      s->memo_step = step;
  }
  if (dtype == RICHETA_DTYPE_F64) {
    memcpy(x, s->xbuf, (size_t)(s->B * s->D) * sizeof(double));
    memcpy(y, s->ybuf, (size_t)(s->B * s->C) * sizeof(double));
    return RICHETA_OK;
  }
  float *xf = x, *yf = y;
  for (int64_t i = 0; i < s->B * s->D; i++)
    xf[i] = (float)s->xbuf[i];
  for (int64_t i = 0; i < s->B * s->C; i++)
    yf[i] = (float)s->ybuf[i];
  return RICHETA_OK;
}

richeta_status richeta_stream_batch_f64(richeta_stream *stream, int64_t step, double *x,
                                        double *y) {
  return rlz_stream_batch(stream, step, RICHETA_DTYPE_F64, x, y);
}

richeta_status richeta_stream_batch_f32(richeta_stream *stream, int64_t step, float *x, float *y) {
  return rlz_stream_batch(stream, step, RICHETA_DTYPE_F32, x, y);
}

richeta_status richeta_stream_eval_f64(richeta_stream *stream, int64_t first, int64_t count,
                                       double *x, double *y) {
  if (!stream)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_stream_eval_f64: stream is NULL");
  richeta_stream *s = stream;
  if (!x || !y)
    return rlz_fail(&s->err, RICHETA_ERR_NULL, "richeta_stream_eval_f64: %s is NULL",
                    x ? "y" : "x");
  if (s->task == RICHETA_TASK_CALLBACK)
    return rlz_fail(&s->err, RICHETA_ERR_UNSUPPORTED, "callback streams have no held-out set");
  if (first < 0 || count < 0 || first > s->eval_n || count > s->eval_n - first)
    return rlz_fail(&s->err, RICHETA_ERR_RANGE,
                    "held-out samples [%lld, %lld + %lld) outside [0, %lld)", (long long)first,
                    (long long)first, (long long)count, (long long)s->eval_n);
  if (s->task == RICHETA_TASK_FILE) {
    if (count == 0)
      return RICHETA_OK;
    richeta_status st = rlz_dataset_fill_range_f64(s->ds_test, first, count, x, y);
    if (st != RICHETA_OK)
      return rlz_fail(&s->err, st, "held-out samples: %s", richeta_last_error());
    return RICHETA_OK;
  }
  /* Held-out sample i is always computed in the chunk that holds it when
   * the whole set is read, [kB, min(kB + B, eval_n)), whatever range is
   * asked for: a BLAS may round a row of a product differently with the
   * number of rows (OpenBLAS does), and the set must not depend on how it
   * is read. */
  for (int64_t done = 0; done < count;) {
    int64_t i0 = first + done, k0 = i0 / s->B * s->B, off = i0 - k0;
    int64_t rows = s->eval_n - k0 < s->B ? s->eval_n - k0 : s->B;
    int64_t n = rows - off < count - done ? rows - off : count - done;
    bool whole = off == 0 && n == rows;
    double *cx = whole ? x + done * s->D : s->exbuf, *cy = whole ? y + done * s->C : s->eybuf;
    richeta_status st = synth_fill(s, rows, STREAM_EVAL_X, (uint64_t)(k0 * s->D), STREAM_EVAL_NOISE,
                                   (uint64_t)(k0 * s->C), cx, cy);
    if (st != RICHETA_OK)
      return st;
    if (!whole) {
      memcpy(x + done * s->D, cx + off * s->D, (size_t)(n * s->D) * sizeof(double));
      memcpy(y + done * s->C, cy + off * s->C, (size_t)(n * s->C) * sizeof(double));
    }
    done += n;
  }
  return RICHETA_OK;
}
