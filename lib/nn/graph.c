/* Building node lists: each step appends one node fed by an earlier one,
 * infers its output shape and, for parametrized nodes, places its weights
 * and bias in the flat parameter vector and takes its multipliers from the
 * scaling table. A step returns the new node's index, or -1 when its
 * shapes do not fit (the architecture's builder checked them first, so
 * this is an internal error there). */
#include "nn/nn.h"

#include <string.h>

richeta_status rlz_graph_begin(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int max_nodes,
                               int64_t c, int64_t h, int64_t w) {
  memset(g, 0, sizeof *g);
  g->nodes = rlz_calloc(a, (size_t)max_nodes, sizeof(rlz_node));
  if (!g->nodes)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "model: cannot allocate %d nodes", max_nodes);
  rlz_node *in = &g->nodes[0];
  in->op = RLZ_OP_INPUT;
  in->in = -1;
  in->c = c;
  in->h = h;
  in->w = w;
  in->size = c * h * w;
  in->layout = RLZ_LAYOUT_CHW;
  in->layer = -1;
  in->boff = -1;
  g->n = 1;
  g->in_size = in->size;
  return RICHETA_OK;
}

/* A new node fed by `in` (shape copied), or NULL when `in` is invalid. */
static rlz_node *append(rlz_graph *g, int in, rlz_op op) {
  if (in < 0 || in >= g->n)
    return NULL;
  rlz_node *nd = &g->nodes[g->n];
  *nd = g->nodes[in];
  nd->op = op;
  nd->in = in;
  nd->in2 = -1;
  nd->layer = -1;
  nd->role = RLZ_ROLE_NONE;
  nd->boff = -1;
  nd->woff = 0;
  nd->rows = nd->cols = 0;
  nd->wmul = nd->bmul = 1.0;
  nd->init_std = 0.0;
  nd->act = RICHETA_ACTIVATION_IDENTITY;
  nd->k = nd->stride = 1;
  nd->pad = 0;
  nd->soff = 0;
  return nd;
}

/* Place rows x cols weights (and rows biases) at the end of the vector. */
static bool place_params(rlz_graph *g, rlz_node *nd, int bias) {
  int64_t wn;
  if (!rlz_mul_i64(nd->rows, nd->cols, &wn) || wn > INT64_MAX - g->nparams ||
      (bias && nd->rows > INT64_MAX - g->nparams - wn))
    return false;
  nd->woff = g->nparams;
  nd->boff = bias ? nd->woff + wn : -1;
  g->nparams = nd->woff + wn + (bias ? nd->rows : 0);
  nd->layer = g->nlayers++;
  return true;
}

static void set_scale(rlz_node *nd, rlz_role role, richeta_parameterization p, double fan_mult,
                      double fan_init, double gamma) {
  rlz_scale s = rlz_scaling(p, role, fan_mult, gamma);
  rlz_scale si = rlz_scaling(p, role, fan_init, gamma);
  nd->role = role;
  nd->wmul = s.wmul;
  nd->bmul = s.bmul;
  nd->init_std = si.init_std;
}

int rlz_graph_dense(rlz_graph *g, int in, int64_t out, int bias, richeta_activation act,
                    rlz_role role, richeta_parameterization p, double gamma) {
  rlz_node *nd = append(g, in, RLZ_OP_DENSE);
  if (!nd || out < 1)
    return -1;
  nd->cols = g->nodes[in].size;
  nd->rows = out;
  nd->c = out;
  nd->h = nd->w = 1;
  nd->size = out;
  nd->layout = RLZ_LAYOUT_CHW;
  nd->act = act;
  if (!place_params(g, nd, bias))
    return -1;
  set_scale(nd, role, p, (double)nd->cols, (double)nd->cols, gamma);
  return g->n++;
}

int rlz_graph_conv(rlz_graph *g, int in, int64_t c_out, int64_t k, int64_t stride, int64_t pad,
                   int bias, richeta_activation act, rlz_role role, richeta_parameterization p,
                   double gamma, richeta_conv_scale conv_scale) {
  rlz_node *nd = append(g, in, RLZ_OP_CONV2D);
  if (!nd || c_out < 1 || k < 1 || stride < 1 || pad < 0)
    return -1;
  const rlz_node *src = &g->nodes[in];
  int64_t ho = (src->h + 2 * pad - k) / stride + 1, wo = (src->w + 2 * pad - k) / stride + 1;
  if (src->h + 2 * pad < k || src->w + 2 * pad < k || ho < 1 || wo < 1)
    return -1;
  nd->k = k;
  nd->stride = stride;
  nd->pad = pad;
  nd->c = c_out;
  nd->h = ho;
  nd->w = wo;
  nd->size = c_out * ho * wo;
  nd->layout = RLZ_LAYOUT_HWC;
  nd->act = act;
  nd->rows = c_out;
  nd->cols = src->c * k * k;
  if (!place_params(g, nd, bias))
    return -1;
  double fan = conv_scale == RICHETA_CONV_SCALE_FAN_IN ? (double)nd->cols : (double)src->c;
  set_scale(nd, role, p, fan, (double)nd->cols, gamma);
  return g->n++;
}

int rlz_graph_avgpool(rlz_graph *g, int in, int64_t k) {
  rlz_node *nd = append(g, in, RLZ_OP_AVGPOOL);
  if (!nd || k < 1 || nd->h < k || nd->w < k)
    return -1;
  nd->k = k;
  nd->stride = k;
  nd->h /= k;
  nd->w /= k;
  nd->size = nd->c * nd->h * nd->w;
  return g->n++;
}

int rlz_graph_act(rlz_graph *g, int in, richeta_activation act) {
  rlz_node *nd = append(g, in, RLZ_OP_ACT);
  if (!nd)
    return -1;
  nd->act = act;
  return g->n++;
}

int rlz_graph_flatten(rlz_graph *g, int in) {
  rlz_node *nd = append(g, in, RLZ_OP_FLATTEN);
  if (!nd)
    return -1;
  nd->c = nd->size;
  nd->h = nd->w = 1;
  nd->layout = RLZ_LAYOUT_CHW;
  return g->n++;
}

int rlz_graph_batchnorm(rlz_graph *g, int in) {
  rlz_node *nd = append(g, in, RLZ_OP_BATCHNORM);
  if (!nd || g->nstate > INT64_MAX / 2 - nd->c)
    return -1;
  nd->rows = nd->c;
  nd->cols = 1;
  if (!place_params(g, nd, 1)) /* beta is always there: BatchNorm2d(affine=True) */
    return -1;
  nd->role = RLZ_ROLE_NONE; /* no multipliers: gamma and beta act as they are */
  nd->soff = g->nstate;
  g->nstate += 2 * nd->c;
  return g->n++;
}

int rlz_graph_add(rlz_graph *g, int a, int b) {
  if (b < 0 || b >= g->n || a == b)
    return -1;
  rlz_node *nd = append(g, a, RLZ_OP_ADD);
  if (!nd)
    return -1;
  const rlz_node *o = &g->nodes[b];
  if (o->c != nd->c || o->h != nd->h || o->w != nd->w || o->layout != nd->layout)
    return -1;
  nd->in2 = b;
  return g->n++;
}

void rlz_graph_init_state(const rlz_graph *g, richeta_dtype dt, void *state) {
  for (int i = 0; i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    if (nd->op != RLZ_OP_BATCHNORM)
      continue;
    for (int64_t c = 0; c < 2 * nd->c; c++) { /* mean 0, then variance 1 */
      double v = c < nd->c ? 0.0 : 1.0;
      if (dt == RICHETA_DTYPE_F64)
        ((double *)state)[nd->soff + c] = v;
      else
        ((float *)state)[nd->soff + c] = (float)v;
    }
  }
}

richeta_status rlz_graph_end(rlz_graph *g, rlz_err *e, double width_mult) {
  if (g->n < 2)
    return rlz_fail(e, RICHETA_ERR_INTERNAL, "model: the network has no layer");
  g->out_size = g->nodes[g->n - 1].size;
  g->width_mult = width_mult;
  return RICHETA_OK;
}

void rlz_graph_free(rlz_graph *g, const rlz_alloc *a) {
  if (!g)
    return;
  rlz_free(a, g->nodes);
  g->nodes = NULL;
  g->n = 0;
}

int rlz_graph_layer_node(const rlz_graph *g, int64_t l) {
  for (int i = 0; i < g->n; i++)
    if (g->nodes[i].layer == l)
      return i;
  return -1;
}

static bool node_equal(const rlz_node *x, const rlz_node *y) {
  return x->op == y->op && x->in == y->in && x->in2 == y->in2 && x->soff == y->soff &&
         x->c == y->c && x->h == y->h && x->w == y->w && x->layout == y->layout &&
         x->act == y->act && x->layer == y->layer && x->rows == y->rows && x->cols == y->cols &&
         x->woff == y->woff && x->boff == y->boff && x->wmul == y->wmul && x->bmul == y->bmul &&
         x->k == y->k && x->stride == y->stride && x->pad == y->pad;
}

bool rlz_graph_trunk_equal(const rlz_graph *a, const rlz_graph *b) {
  if (a->n != b->n || a->in_size != b->in_size)
    return false;
  for (int i = 0; i < a->n - 1; i++)
    if (!node_equal(&a->nodes[i], &b->nodes[i]))
      return false;
  return true;
}

int64_t rlz_graph_trunk_params(const rlz_graph *g) {
  const rlz_node *last = &g->nodes[g->n - 1];
  return last->layer >= 0 ? last->woff : g->nparams;
}
