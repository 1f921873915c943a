/* The model handle: creation from a configuration, parameter storage and
 * access, argument checking of the public entry points. The network is a
 * node list of the model core (lib/nn); the run loop over chunks lives in
 * model_run.inc (instantiated by model_f32.c and model_f64.c). */
#include "model_priv.h"

#include "core/config_internal.h"
#include "core/rng.h"

#include <math.h>
#include <string.h>

#define WS_ALIGN 64 /* every workspace array starts on a cache line */

/* ---- creation ---------------------------------------------------------- */

/* Weights N(0, init_std^2) of the scaling table from the counter-based RNG
 * keyed by (seed, layer, element): independent of threads and call order;
 * f32 models get the f64 values rounded. Biases 0. */
static void init_params(richeta_model *m) {
  memset(m->params, 0, (size_t)m->nparams * m->elem);
  double tmp[256];
  for (int i = 0; i < m->graph.n; i++) {
    const rlz_node *nd = &m->graph.nodes[i];
    if (nd->layer < 0)
      continue;
    double scale = nd->init_std;
    int64_t n = nd->rows * nd->cols;
    if (nd->op == RLZ_OP_BATCHNORM) { /* gamma starts at 1 (beta at 0) */
      for (int64_t j = 0; j < n; j++) {
        if (m->dtype == RICHETA_DTYPE_F64)
          ((double *)m->params)[nd->woff + j] = 1.0;
        else
          ((float *)m->params)[nd->woff + j] = 1.0f;
      }
      continue;
    }
    for (int64_t done = 0; done < n;) {
      int64_t k = n - done < 256 ? n - done : 256;
      rlz_rng_normals((uint64_t)m->seed, RLZ_RNG_STREAM_INIT + (uint64_t)nd->layer, (uint64_t)done,
                      k, tmp);
      if (m->dtype == RICHETA_DTYPE_F64) {
        double *w = (double *)m->params + nd->woff + done;
        for (int64_t j = 0; j < k; j++)
          w[j] = scale * tmp[j];
      } else {
        float *w = (float *)m->params + nd->woff + done;
        for (int64_t j = 0; j < k; j++)
          w[j] = (float)(scale * tmp[j]);
      }
      done += k;
    }
  }
  memcpy(m->theta0, m->params, (size_t)m->nparams * m->elem);
  if (m->state) {
    rlz_graph_init_state(&m->graph, m->dtype, m->state);
    rlz_graph_init_state(&m->graph, m->dtype, m->state0);
  }
  m->theta0_version++;
}

/* Run buffers for `chunk` samples (see model_priv.h), one allocation. */
static richeta_status alloc_buffers(richeta_model *m) {
  int64_t cc, cd;
  size_t bc, bd, total;
  if (!rlz_mul_i64(m->chunk, m->C, &cc) || !rlz_mul_i64(m->chunk, m->D, &cd) ||
      rlz_array_bytes(NULL, cc, m->elem, &bc) || rlz_array_bytes(NULL, cd, m->elem, &bd))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "model: workspace size overflows");
  bc = (bc + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN;
  bd = (bd + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN;
  if (!rlz_mul_size(bc, 4, &total) || !rlz_add_size(total, bd, &total))
    return rlz_fail(NULL, RICHETA_ERR_OVERFLOW, "model: workspace size overflows");
  m->ws = rlz_calloc(&m->alloc, 1, total);
  if (!m->ws)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "model: cannot allocate a %zu-byte workspace", total);
  char *base = m->ws;
  m->out = base;
  m->out0 = base + bc;
  m->dout = base + 2 * bc;
  m->ybuf = base + 3 * bc;
  m->xbuf = base + 4 * bc;
  return RICHETA_OK;
}

/* Configuration values (bounds are the parameter table's: the setters
 * enforced them). */
static richeta_status read_config(richeta_model *m, const richeta_config *cfg) {
  m->D = rlz_config_int(cfg, RICHETA_PARAM_INPUT_DIM);
  m->N = rlz_config_int(cfg, RICHETA_PARAM_WIDTH);
  m->C = rlz_config_int(cfg, RICHETA_PARAM_OUTPUT_DIM);
  m->L = rlz_config_int(cfg, RICHETA_PARAM_DEPTH);
  m->bias = rlz_config_int(cfg, RICHETA_PARAM_BIAS);
  m->seed = rlz_config_int(cfg, RICHETA_PARAM_SEED);
  m->chunk = rlz_config_int(cfg, RICHETA_PARAM_BATCH);
  m->arch = rlz_config_int(cfg, RICHETA_PARAM_ARCH);
  m->image_c = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_CHANNELS);
  m->image_h = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_HEIGHT);
  m->image_w = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_WIDTH);
  m->conv_scale = rlz_config_int(cfg, RICHETA_PARAM_CONV_SCALE);
  m->param = (richeta_parameterization)rlz_config_int(cfg, RICHETA_PARAM_PARAMETERIZATION);
  m->act = (richeta_activation)rlz_config_int(cfg, RICHETA_PARAM_ACTIVATION);
  m->loss = (richeta_loss)rlz_config_int(cfg, RICHETA_PARAM_LOSS);
  m->centering = (richeta_centering)rlz_config_int(cfg, RICHETA_PARAM_CENTERING);
  m->gamma = rlz_config_double(cfg, RICHETA_PARAM_GAMMA);
  if (!isfinite(m->gamma) || !(m->gamma > 0))
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "model: gamma = %g must be finite and > 0", m->gamma);
  int64_t v = rlz_config_int(cfg, RICHETA_PARAM_DTYPE);
  if (v == RICHETA_DTYPE_AUTO)
    v = m->gamma < 1e-2 ? RICHETA_DTYPE_F64 : RICHETA_DTYPE_F32;
  m->dtype = (richeta_dtype)v;
  m->elem = m->dtype == RICHETA_DTYPE_F64 ? sizeof(double) : sizeof(float);
  return RICHETA_OK;
}

richeta_status richeta_model_new(richeta_model **out, const richeta_config *cfg) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_model_new: out is NULL");
  *out = NULL;
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_model_new: cfg is NULL");
  const rlz_alloc *a = rlz_config_alloc(cfg);
  richeta_model *m = rlz_calloc(a, 1, sizeof(*m));
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "model: out of memory");
  m->alloc = *a;
  richeta_status st = read_config(m, cfg);
  if (st == RICHETA_OK)
    st = rlz_graph_from_config(&m->graph, cfg, &m->alloc, NULL);
  if (st != RICHETA_OK)
    goto fail;
  for (int i = 0; i < m->graph.n; i++) {
    const rlz_node *nd = &m->graph.nodes[i];
    if (nd->layer >= 0 && m->dtype == RICHETA_DTYPE_F32 &&
        (!isfinite((float)nd->wmul) || (float)nd->wmul == 0.0f)) {
      st = rlz_fail(NULL, RICHETA_ERR_RANGE,
                    "model: layer %d multiplier %g is not representable in float32 "
                    "(use dtype f64)",
                    nd->layer, nd->wmul);
      goto fail;
    }
  }
  m->nparams = m->graph.nparams;
  size_t bytes;
  if ((st = rlz_array_bytes(NULL, m->nparams, m->elem, &bytes)) != RICHETA_OK)
    goto fail;
  m->params = rlz_malloc(&m->alloc, bytes);
  m->theta0 = rlz_malloc(&m->alloc, bytes);
  m->grad = rlz_calloc(&m->alloc, 1, bytes);
  if (!m->params || !m->theta0 || !m->grad) {
    st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "model: cannot allocate %lld parameters",
                  (long long)m->nparams);
    goto fail;
  }
  if (m->graph.nstate > 0) {
    if ((st = rlz_array_bytes(NULL, m->graph.nstate, m->elem, &bytes)) != RICHETA_OK)
      goto fail;
    m->state = rlz_malloc(&m->alloc, bytes);
    m->state0 = rlz_malloc(&m->alloc, bytes);
    if (!m->state || !m->state0) {
      st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "model: cannot allocate the running statistics");
      goto fail;
    }
  }
  if ((st = alloc_buffers(m)) != RICHETA_OK ||
      (st = rlz_net_new(&m->net, &m->graph, m->dtype, m->chunk, RLZ_NET_TRAIN, &m->alloc,
                        &m->err)) != RICHETA_OK)
    goto fail;
  init_params(m);
  *out = m;
  return RICHETA_OK;
fail:
  richeta_model_free(m);
  return st;
}

void richeta_model_free(richeta_model *m) {
  if (!m)
    return;
  rlz_alloc a = m->alloc;
  rlz_net_free(m->net);
  rlz_graph_free(&m->graph, &a);
  rlz_free(&a, m->ws);
  rlz_free(&a, m->grad);
  rlz_free(&a, m->theta0);
  rlz_free(&a, m->params);
  rlz_free(&a, m->state);
  rlz_free(&a, m->state0);
  rlz_free(&a, m);
}

const char *richeta_model_last_error(const richeta_model *m) {
  return m ? m->err.msg : richeta_last_error();
}

/* ---- queries ----------------------------------------------------------- */

richeta_status richeta_model_get_int(const richeta_model *m, richeta_param param, int64_t *value) {
  if (!m || !value)
    return rlz_fail(m ? (rlz_err *)&m->err : NULL, RICHETA_ERR_NULL,
                    "richeta_model_get_int: NULL argument");
  int64_t v;
  switch (param) {
  case RICHETA_PARAM_INPUT_DIM:
    v = m->D;
    break;
  case RICHETA_PARAM_WIDTH:
    v = m->N;
    break;
  case RICHETA_PARAM_OUTPUT_DIM:
    v = m->C;
    break;
  case RICHETA_PARAM_DEPTH:
    v = m->L;
    break;
  case RICHETA_PARAM_BIAS:
    v = m->bias;
    break;
  case RICHETA_PARAM_PARAMETERIZATION:
    v = m->param;
    break;
  case RICHETA_PARAM_ACTIVATION:
    v = m->act;
    break;
  case RICHETA_PARAM_LOSS:
    v = m->loss;
    break;
  case RICHETA_PARAM_DTYPE:
    v = m->dtype;
    break;
  case RICHETA_PARAM_CENTERING:
    v = m->centering;
    break;
  case RICHETA_PARAM_SEED:
    v = m->seed;
    break;
  case RICHETA_PARAM_BATCH:
    v = m->chunk;
    break;
  case RICHETA_PARAM_ARCH:
    v = m->arch;
    break;
  case RICHETA_PARAM_IMAGE_CHANNELS:
    v = m->image_c;
    break;
  case RICHETA_PARAM_IMAGE_HEIGHT:
    v = m->image_h;
    break;
  case RICHETA_PARAM_IMAGE_WIDTH:
    v = m->image_w;
    break;
  case RICHETA_PARAM_CONV_SCALE:
    v = m->conv_scale;
    break;
  default:
    return rlz_fail((rlz_err *)&m->err, RICHETA_ERR_UNSUPPORTED,
                    "richeta_model_get_int: %d is not a model integer parameter", (int)param);
  }
  *value = v;
  return RICHETA_OK;
}

richeta_status richeta_model_get_double(const richeta_model *m, richeta_param param,
                                        double *value) {
  if (!m || !value)
    return rlz_fail(m ? (rlz_err *)&m->err : NULL, RICHETA_ERR_NULL,
                    "richeta_model_get_double: NULL argument");
  if (param != RICHETA_PARAM_GAMMA)
    return rlz_fail((rlz_err *)&m->err, RICHETA_ERR_UNSUPPORTED,
                    "richeta_model_get_double: %d is not a model double parameter", (int)param);
  *value = m->gamma;
  return RICHETA_OK;
}

richeta_status richeta_model_num_params(const richeta_model *m, int64_t *count) {
  if (!m || !count)
    return rlz_fail(m ? (rlz_err *)&m->err : NULL, RICHETA_ERR_NULL,
                    "richeta_model_num_params: NULL argument");
  *count = m->nparams;
  return RICHETA_OK;
}

richeta_status richeta_model_num_layers(const richeta_model *m, int64_t *count) {
  if (!m || !count)
    return rlz_fail(m ? (rlz_err *)&m->err : NULL, RICHETA_ERR_NULL,
                    "richeta_model_num_layers: NULL argument");
  *count = m->graph.nlayers;
  return RICHETA_OK;
}

/* The node of public layer `layer`, or NULL with the error recorded. */
static const rlz_node *layer_node(const richeta_model *m, int64_t layer) {
  int i = layer >= 0 && layer < m->graph.nlayers ? rlz_graph_layer_node(&m->graph, layer) : -1;
  if (i < 0) {
    rlz_fail((rlz_err *)&m->err, RICHETA_ERR_RANGE, "layer %lld outside [0, %lld)",
             (long long)layer, (long long)m->graph.nlayers);
    return NULL;
  }
  return &m->graph.nodes[i];
}

static int64_t bias_len(const rlz_node *nd) { return nd->boff >= 0 ? nd->rows : 0; }

richeta_status richeta_model_layer_shape(const richeta_model *m, int64_t layer, int64_t *rows,
                                         int64_t *cols, int64_t *bias_len_out) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_model_layer_shape: model is NULL");
  const rlz_node *ly = layer_node(m, layer);
  if (!ly)
    return RICHETA_ERR_RANGE;
  if (rows)
    *rows = ly->rows;
  if (cols)
    *cols = ly->cols;
  if (bias_len_out)
    *bias_len_out = bias_len(ly);
  return RICHETA_OK;
}

/* ---- parameter access -------------------------------------------------- */

static void copy_out(const richeta_model *m, const void *src, int64_t off, int64_t n, double *dst) {
  if (m->dtype == RICHETA_DTYPE_F64) {
    memcpy(dst, (const double *)src + off, (size_t)n * sizeof(double));
  } else {
    const float *s = (const float *)src + off;
    for (int64_t i = 0; i < n; i++)
      dst[i] = (double)s[i];
  }
}

static void copy_in(richeta_model *m, void *dst, int64_t off, int64_t n, const double *src) {
  if (m->dtype == RICHETA_DTYPE_F64) {
    memcpy((double *)dst + off, src, (size_t)n * sizeof(double));
  } else {
    float *d = (float *)dst + off;
    for (int64_t i = 0; i < n; i++)
      d[i] = (float)src[i];
  }
}

/* NONFINITE when a value is NaN/Inf or would overflow the model's dtype. */
static richeta_status check_finite(richeta_model *m, const double *v, int64_t n, const char *what) {
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i]))
      return rlz_fail(&m->err, RICHETA_ERR_NONFINITE, "%s[%lld] is not finite", what, (long long)i);
    if (m->dtype == RICHETA_DTYPE_F32 && !isfinite((float)v[i]))
      return rlz_fail(&m->err, RICHETA_ERR_NONFINITE, "%s[%lld] = %g overflows float32", what,
                      (long long)i, v[i]);
  }
  return RICHETA_OK;
}

richeta_status richeta_model_get_layer(const richeta_model *m, int64_t layer, double *weights,
                                       int64_t weights_len, double *bias, int64_t bias_len_in) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_model_get_layer: model is NULL");
  rlz_err *e = (rlz_err *)&m->err;
  if (!weights)
    return rlz_fail(e, RICHETA_ERR_NULL, "richeta_model_get_layer: weights is NULL");
  const rlz_node *ly = layer_node(m, layer);
  if (!ly)
    return RICHETA_ERR_RANGE;
  int64_t bl = bias_len(ly);
  if (weights_len != ly->rows * ly->cols)
    return rlz_fail(e, RICHETA_ERR_MISMATCH, "layer %lld has %lld weights, not %lld",
                    (long long)layer, (long long)(ly->rows * ly->cols), (long long)weights_len);
  if (bias && bias_len_in != bl)
    return rlz_fail(e, RICHETA_ERR_MISMATCH, "layer %lld has %lld biases, not %lld",
                    (long long)layer, (long long)bl, (long long)bias_len_in);
  copy_out(m, m->params, ly->woff, weights_len, weights);
  if (bias)
    copy_out(m, m->params, ly->boff, bl, bias);
  rlz_err_clear(e);
  return RICHETA_OK;
}

richeta_status richeta_model_set_layer(richeta_model *m, int64_t layer, const double *weights,
                                       int64_t weights_len, const double *bias,
                                       int64_t bias_len_in) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_model_set_layer: model is NULL");
  if (!weights)
    return rlz_fail(&m->err, RICHETA_ERR_NULL, "richeta_model_set_layer: weights is NULL");
  const rlz_node *ly = layer_node(m, layer);
  if (!ly)
    return RICHETA_ERR_RANGE;
  int64_t bl = bias_len(ly);
  if (weights_len != ly->rows * ly->cols)
    return rlz_fail(&m->err, RICHETA_ERR_MISMATCH, "layer %lld has %lld weights, not %lld",
                    (long long)layer, (long long)(ly->rows * ly->cols), (long long)weights_len);
  if (bias && bias_len_in != bl)
    return rlz_fail(&m->err, RICHETA_ERR_MISMATCH, "layer %lld has %lld biases, not %lld",
                    (long long)layer, (long long)bl, (long long)bias_len_in);
  richeta_status st = check_finite(m, weights, weights_len, "weights");
  if (st == RICHETA_OK && bias)
    st = check_finite(m, bias, bl, "bias");
  if (st != RICHETA_OK)
    return st;
  copy_in(m, m->params, ly->woff, weights_len, weights);
  if (bias)
    copy_in(m, m->params, ly->boff, bl, bias);
  rlz_err_clear(&m->err);
  return RICHETA_OK;
}

static richeta_status get_flat(const richeta_model *m, const void *src, double *params, int64_t len,
                               const char *fn) {
  if (!m || !params)
    return rlz_fail(m ? (rlz_err *)&m->err : NULL, RICHETA_ERR_NULL, "%s: NULL argument", fn);
  if (len != m->nparams)
    return rlz_fail((rlz_err *)&m->err, RICHETA_ERR_MISMATCH,
                    "%s: length %lld, the model has %lld parameters", fn, (long long)len,
                    (long long)m->nparams);
  copy_out(m, src, 0, len, params);
  rlz_err_clear((rlz_err *)&m->err);
  return RICHETA_OK;
}

richeta_status richeta_model_get_params(const richeta_model *m, double *params, int64_t len) {
  return get_flat(m, m ? m->params : NULL, params, len, "richeta_model_get_params");
}

richeta_status richeta_model_get_initial_params(const richeta_model *m, double *params,
                                                int64_t len) {
  return get_flat(m, m ? m->theta0 : NULL, params, len, "richeta_model_get_initial_params");
}

richeta_status richeta_model_set_params(richeta_model *m, const double *params, int64_t len) {
  if (!m || !params)
    return rlz_fail(m ? &m->err : NULL, RICHETA_ERR_NULL,
                    "richeta_model_set_params: NULL argument");
  if (len != m->nparams)
    return rlz_fail(&m->err, RICHETA_ERR_MISMATCH,
                    "richeta_model_set_params: length %lld, the model has %lld parameters",
                    (long long)len, (long long)m->nparams);
  richeta_status st = check_finite(m, params, len, "params");
  if (st != RICHETA_OK)
    return st;
  copy_in(m, m->params, 0, len, params);
  rlz_err_clear(&m->err);
  return RICHETA_OK;
}

richeta_status richeta_model_num_running_stats(const richeta_model *m, int64_t *count) {
  if (!m || !count)
    return rlz_fail(m ? (rlz_err *)&m->err : NULL, RICHETA_ERR_NULL,
                    "richeta_model_num_running_stats: NULL argument");
  *count = m->graph.nstate;
  return RICHETA_OK;
}

/* The running statistics a call names, after the common checks. */
static richeta_status running_stats_of(const richeta_model *m, int initial, const void *stats,
                                       int64_t len, const char *fn, void **buf) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "%s: model is NULL", fn);
  rlz_err *e = (rlz_err *)&m->err;
  if (len != m->graph.nstate)
    return rlz_fail(e, RICHETA_ERR_MISMATCH,
                    "%s: length %lld, the model has %lld running statistics", fn, (long long)len,
                    (long long)m->graph.nstate);
  if (!stats && len > 0)
    return rlz_fail(e, RICHETA_ERR_NULL, "%s: stats is NULL", fn);
  *buf = initial ? m->state0 : m->state;
  return RICHETA_OK;
}

richeta_status richeta_model_get_running_stats(const richeta_model *m, int initial, double *stats,
                                               int64_t len) {
  void *src = NULL;
  richeta_status st =
      running_stats_of(m, initial, stats, len, "richeta_model_get_running_stats", &src);
  if (st != RICHETA_OK)
    return st;
  if (len > 0)
    copy_out(m, src, 0, len, stats);
  rlz_err_clear((rlz_err *)&m->err);
  return RICHETA_OK;
}

richeta_status richeta_model_set_running_stats(richeta_model *m, int initial, const double *stats,
                                               int64_t len) {
  void *dst = NULL;
  richeta_status st =
      running_stats_of(m, initial, stats, len, "richeta_model_set_running_stats", &dst);
  if (st == RICHETA_OK)
    st = check_finite(m, stats, len, "stats");
  if (st != RICHETA_OK)
    return st;
  for (int i = 0; i < m->graph.n; i++) { /* each layer's variances: after its means */
    const rlz_node *nd = &m->graph.nodes[i];
    for (int64_t c = 0; nd->op == RLZ_OP_BATCHNORM && c < nd->c; c++)
      if (stats[nd->soff + nd->c + c] < 0)
        return rlz_fail(&m->err, RICHETA_ERR_RANGE, "stats[%lld] = %g: a variance is negative",
                        (long long)(nd->soff + nd->c + c), stats[nd->soff + nd->c + c]);
  }
  if (len > 0)
    copy_in(m, dst, 0, len, stats);
  if (initial)
    m->theta0_version++; /* results kept for theta0 are stale */
  rlz_err_clear(&m->err);
  return RICHETA_OK;
}

richeta_status richeta_model_recenter(richeta_model *m) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_model_recenter: model is NULL");
  memcpy(m->theta0, m->params, (size_t)m->nparams * m->elem);
  if (m->state) /* theta0 is the network as it is now, running statistics included */
    memcpy(m->state0, m->state, (size_t)m->graph.nstate * m->elem);
  m->theta0_version++;
  rlz_err_clear(&m->err);
  return RICHETA_OK;
}

/* ---- evaluation -------------------------------------------------------- */

static richeta_status run(richeta_model *m, rlz_model_job job, const void *x, const void *y,
                          int64_t batch, richeta_dtype in_dtype, void *out, double *loss,
                          double *acc) {
  return m->dtype == RICHETA_DTYPE_F64
             ? rlz_model_run_f64(m, job, x, y, batch, in_dtype, out, loss, acc)
             : rlz_model_run_f32(m, job, x, y, batch, in_dtype, out, loss, acc);
}

/* Common checks of batch calls: pointers, batch >= 1, batch x D and
 * batch x C addressable. */
static richeta_status check_batch(richeta_model *m, const void *x, const void *y, int need_y,
                                  const void *out, int need_out, int64_t batch, const char *fn) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "%s: model is NULL", fn);
  if (!x || (need_y && !y) || (need_out && !out))
    return rlz_fail(&m->err, RICHETA_ERR_NULL, "%s: NULL argument", fn);
  if (batch < 1)
    return rlz_fail(&m->err, RICHETA_ERR_RANGE, "%s: batch %lld < 1", fn, (long long)batch);
  int64_t n;
  size_t bytes;
  if (!rlz_mul_i64(batch, m->D, &n) || rlz_array_bytes(NULL, n, sizeof(double), &bytes) ||
      !rlz_mul_i64(batch, m->C, &n) || rlz_array_bytes(NULL, n, sizeof(double), &bytes))
    return rlz_fail(&m->err, RICHETA_ERR_OVERFLOW, "%s: batch %lld overflows the array size", fn,
                    (long long)batch);
  return RICHETA_OK;
}

richeta_status rlz_model_loss_grad(richeta_model *m, const void *x, const void *y, int64_t batch,
                                   richeta_dtype in_dtype, double *loss) {
  richeta_status st = check_batch(m, x, y, 1, NULL, 0, batch, "rlz_model_loss_grad");
  if (st != RICHETA_OK)
    return st;
  if (in_dtype != RICHETA_DTYPE_F32 && in_dtype != RICHETA_DTYPE_F64)
    return rlz_fail(&m->err, RICHETA_ERR_INVALID, "rlz_model_loss_grad: bad input dtype");
  return run(m, RLZ_JOB_LOSS_GRAD, x, y, batch, in_dtype, NULL, loss, NULL);
}

richeta_status rlz_model_evaluate(richeta_model *m, const void *x, const void *y, int64_t batch,
                                  richeta_dtype in_dtype, double *loss, double *accuracy) {
  richeta_status st = check_batch(m, x, y, 1, NULL, 0, batch, "rlz_model_evaluate");
  if (st != RICHETA_OK)
    return st;
  if (in_dtype != RICHETA_DTYPE_F32 && in_dtype != RICHETA_DTYPE_F64)
    return rlz_fail(&m->err, RICHETA_ERR_INVALID, "rlz_model_evaluate: bad input dtype");
  return run(m, RLZ_JOB_LOSS, x, y, batch, in_dtype, NULL, loss, accuracy);
}

/* ---- frozen-copy work (model_internal.h) -------------------------------- */

void rlz_model_set_frozen(richeta_model *m, const rlz_frozen *fz) {
  if (!m)
    return;
  if (fz)
    m->fz = *fz;
  else
    memset(&m->fz, 0, sizeof m->fz);
}

static richeta_status frozen_job(richeta_model *m, rlz_model_job job, const void *x, int64_t batch,
                                 richeta_dtype in_dtype, void *dst, const char *fn) {
  richeta_status st = check_batch(m, x, NULL, 0, dst, 1, batch, fn);
  if (st != RICHETA_OK)
    return st;
  if (in_dtype != RICHETA_DTYPE_F32 && in_dtype != RICHETA_DTYPE_F64)
    return rlz_fail(&m->err, RICHETA_ERR_INVALID, "%s: bad input dtype", fn);
  if (m->centering != RICHETA_CENTERING_FROZEN)
    return rlz_fail(&m->err, RICHETA_ERR_INVALID, "%s: the model is not centered", fn);
  if (job == RLZ_JOB_FROZEN_FEAT && m->graph.n < 3)
    return rlz_fail(&m->err, RICHETA_ERR_INVALID, "%s: the model has no hidden layer", fn);
  return run(m, job, x, NULL, batch, in_dtype, dst, NULL, NULL);
}

richeta_status rlz_model_frozen_outputs(richeta_model *m, const void *x, int64_t batch,
                                        richeta_dtype in_dtype, void *out0) {
  return frozen_job(m, RLZ_JOB_FROZEN_OUT, x, batch, in_dtype, out0, "rlz_model_frozen_outputs");
}

richeta_status rlz_model_frozen_features(richeta_model *m, const void *x, int64_t batch,
                                         richeta_dtype in_dtype, void *feat) {
  return frozen_job(m, RLZ_JOB_FROZEN_FEAT, x, batch, in_dtype, feat, "rlz_model_frozen_features");
}

bool rlz_model_frozen_hidden_equal(const richeta_model *a, const richeta_model *b) {
  /* with batch normalization theta0's features depend on its running
   * statistics, which each model updates itself: nothing is shared */
  if (!a || !b || a->graph.nstate > 0 || a->centering != RICHETA_CENTERING_FROZEN ||
      b->centering != RICHETA_CENTERING_FROZEN || a->graph.n < 3 || a->dtype != b->dtype ||
      a->chunk != b->chunk || !rlz_graph_trunk_equal(&a->graph, &b->graph))
    return false;
  /* the trunk's parameters come first in the flat vector */
  size_t bytes = (size_t)rlz_graph_trunk_params(&a->graph) * a->elem;
  return memcmp(a->theta0, b->theta0, bytes) == 0;
}

int64_t rlz_model_feature_size(const richeta_model *m) {
  return m->graph.n >= 3 ? m->graph.nodes[m->graph.n - 2].size : 0;
}

const rlz_graph *rlz_model_graph(const richeta_model *m) { return &m->graph; }
int64_t rlz_model_conv_block(const richeta_model *m) { return rlz_net_conv_block(m->net); }
void rlz_model_set_conv_block(richeta_model *m, int64_t samples) {
  rlz_net_set_conv_block(m->net, samples);
}
bool rlz_model_has_team(const richeta_model *m) { return rlz_net_has_team(m->net); }
const rlz_net *rlz_model_net(const richeta_model *m) { return m->net; }

richeta_status richeta_model_forward_f64(richeta_model *m, const double *x, int64_t batch,
                                         double *out) {
  richeta_status st = check_batch(m, x, NULL, 0, out, 1, batch, "richeta_model_forward_f64");
  if (st == RICHETA_OK)
    st = run(m, RLZ_JOB_FORWARD, x, NULL, batch, RICHETA_DTYPE_F64, out, NULL, NULL);
  if (st == RICHETA_OK)
    rlz_err_clear(&m->err);
  return st;
}

richeta_status richeta_model_forward_f32(richeta_model *m, const float *x, int64_t batch,
                                         float *out) {
  richeta_status st = check_batch(m, x, NULL, 0, out, 1, batch, "richeta_model_forward_f32");
  if (st == RICHETA_OK)
    st = run(m, RLZ_JOB_FORWARD, x, NULL, batch, RICHETA_DTYPE_F32, out, NULL, NULL);
  if (st == RICHETA_OK)
    rlz_err_clear(&m->err);
  return st;
}

/* Loss and optional gradient; the gradient is computed in the model's
 * buffer and copied (converted) to the caller's. */
static richeta_status loss_grad(richeta_model *m, const void *x, const void *y, int64_t batch,
                                richeta_dtype in_dtype, double *loss, void *grad, int64_t grad_len,
                                const char *fn) {
  richeta_status st = check_batch(m, x, y, 1, NULL, 0, batch, fn);
  if (st != RICHETA_OK)
    return st;
  if (grad && grad_len != m->nparams)
    return rlz_fail(&m->err, RICHETA_ERR_MISMATCH, "%s: grad_len %lld, the model has %lld", fn,
                    (long long)grad_len, (long long)m->nparams);
  st = run(m, grad ? RLZ_JOB_LOSS_GRAD : RLZ_JOB_LOSS, x, y, batch, in_dtype, NULL, loss, NULL);
  if (st != RICHETA_OK)
    return st;
  if (grad) {
    if (in_dtype == m->dtype) {
      memcpy(grad, m->grad, (size_t)grad_len * m->elem);
    } else if (in_dtype == RICHETA_DTYPE_F64) {
      const float *g = m->grad;
      double *d = grad;
      for (int64_t i = 0; i < grad_len; i++)
        d[i] = (double)g[i];
    } else {
      const double *g = m->grad;
      float *d = grad;
      for (int64_t i = 0; i < grad_len; i++)
        d[i] = (float)g[i];
    }
  }
  rlz_err_clear(&m->err);
  return RICHETA_OK;
}

richeta_status richeta_model_loss_grad_f64(richeta_model *m, const double *x, const double *y,
                                           int64_t batch, double *loss, double *grad,
                                           int64_t grad_len) {
  return loss_grad(m, x, y, batch, RICHETA_DTYPE_F64, loss, grad, grad_len,
                   "richeta_model_loss_grad_f64");
}

richeta_status richeta_model_loss_grad_f32(richeta_model *m, const float *x, const float *y,
                                           int64_t batch, double *loss, float *grad,
                                           int64_t grad_len) {
  return loss_grad(m, x, y, batch, RICHETA_DTYPE_F32, loss, grad, grad_len,
                   "richeta_model_loss_grad_f32");
}

richeta_status richeta_model_evaluate_f64(richeta_model *m, const double *x, const double *y,
                                          int64_t batch, double *loss, double *accuracy) {
  richeta_status st = check_batch(m, x, y, 1, NULL, 0, batch, "richeta_model_evaluate_f64");
  if (st == RICHETA_OK)
    st = run(m, RLZ_JOB_LOSS, x, y, batch, RICHETA_DTYPE_F64, NULL, loss, accuracy);
  if (st == RICHETA_OK)
    rlz_err_clear(&m->err);
  return st;
}

richeta_status richeta_model_evaluate_f32(richeta_model *m, const float *x, const float *y,
                                          int64_t batch, double *loss, double *accuracy) {
  richeta_status st = check_batch(m, x, y, 1, NULL, 0, batch, "richeta_model_evaluate_f32");
  if (st == RICHETA_OK)
    st = run(m, RLZ_JOB_LOSS, x, y, batch, RICHETA_DTYPE_F32, NULL, loss, accuracy);
  if (st == RICHETA_OK)
    rlz_err_clear(&m->err);
  return st;
}

/* ---- internal contract (model_internal.h) ------------------------------ */

richeta_dtype rlz_model_dtype(const richeta_model *m) { return m->dtype; }
int64_t rlz_model_num_params(const richeta_model *m) { return m->nparams; }
void *rlz_model_params(richeta_model *m) { return m->params; }
const void *rlz_model_params_const(const richeta_model *m) { return m->params; }
void *rlz_model_initial_params(richeta_model *m) {
  m->theta0_version++; /* write access: results kept for theta0 are stale */
  return m->theta0;
}
const void *rlz_model_initial_params_const(const richeta_model *m) { return m->theta0; }
uint64_t rlz_model_theta0_version(const richeta_model *m) { return m->theta0_version; }
void *rlz_model_grad(richeta_model *m) { return m->grad; }
bool rlz_model_grad_finite(richeta_model *m) {
  if (!m->grad_finite) { /* nothing proven: the whole gradient's sum */
    double gsum = 0;
    if (m->dtype == RICHETA_DTYPE_F32) {
      const float *g = m->grad;
      for (int64_t i = 0; i < m->nparams; i++)
        gsum += (double)g[i];
    } else {
      const double *g = m->grad;
      for (int64_t i = 0; i < m->nparams; i++)
        gsum += g[i];
    }
    return isfinite(gsum);
  }
  /* the dense layers are proven; the other layers' (convolutions', batch
   * normalizations') parameters are read */
  for (int i = 0; i < m->graph.n; i++) {
    const rlz_node *nd = &m->graph.nodes[i];
    if (nd->layer < 0 || nd->op == RLZ_OP_DENSE)
      continue;
    int64_t n = nd->rows * nd->cols + (nd->boff >= 0 ? nd->rows : 0);
    bool ok = m->dtype == RICHETA_DTYPE_F32
                  ? rlz_all_finite_f32(n, (const float *)m->grad + nd->woff)
                  : rlz_all_finite_f64(n, (const double *)m->grad + nd->woff);
    if (!ok)
      return false;
  }
  return true;
}
const rlz_alloc *rlz_model_alloc(const richeta_model *m) { return &m->alloc; }
rlz_err *rlz_model_err(richeta_model *m) { return &m->err; }
double rlz_model_width_mult(const richeta_model *m) { return m->graph.width_mult; }
int64_t rlz_model_state_len(const richeta_model *m) { return m->graph.nstate; }
void *rlz_model_state(richeta_model *m, bool initial) { return initial ? m->state0 : m->state; }
