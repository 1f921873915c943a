/* The model core: every architecture is a list of nodes (ops) in
 * topological order, built once from a configuration, with one scaling
 * table for its multipliers; one executor (rlz_net) runs any such list
 * forward, backward and with the R-operator, in float32 or float64, in a
 * workspace planned once. The model handle, the diagnostics and the data
 * stream's teacher all run on it (docs/internals.md).
 *
 * Layouts. A sample is a contiguous vector. Node 0 is the input, laid out
 * as the caller gives it (an image in CHW order, as CIFAR-10 and PyTorch
 * store it). A convolution writes its output as HWC (rows of the one gemm
 * over its im2col block); pooling keeps its input's layout; flatten turns
 * HWC into CHW order, so fully connected columns match torch.flatten.
 * Parameters are one flat vector: for each parametrized node (a "layer",
 * numbered in order) its weight matrix (rows = fan-out or C_out, cols =
 * fan-in or C_in*k*k in PyTorch's (out, in, kh, kw) order), then its bias. */
#ifndef RLZ_NN_H
#define RLZ_NN_H

#include "core/core.h"
#include <richlazy/config.h>
#include <richlazy/model.h>

/* ---- ops ---------------------------------------------------------------- */

typedef enum rlz_op {
  RLZ_OP_INPUT = 0,     /* the network's input (node 0 only) */
  RLZ_OP_DENSE = 1,     /* z = wmul W a + bmul b, then the fused activation */
  RLZ_OP_CONV2D = 2,    /* the same on every im2col row: k x k, stride, padding */
  RLZ_OP_AVGPOOL = 3,   /* k x k windows with stride k, floor */
  RLZ_OP_FLATTEN = 4,   /* HWC -> CHW order (a copy when already CHW) */
  RLZ_OP_ACT = 5,       /* elementwise activation on its own */
  RLZ_OP_BATCHNORM = 6, /* per channel: gamma (x - mean) / sqrt(var + eps) + beta */
  RLZ_OP_ADD = 7        /* the sum of two nodes of one shape (residual connections) */
} rlz_op;

/* Batch normalization's constants, PyTorch's defaults (nn.BatchNorm2d). */
#define RLZ_BN_EPS 1e-5
#define RLZ_BN_MOMENTUM 0.1

/* Which statistics batch normalization uses (rlz_net_set_bn). */
typedef enum rlz_bn_mode {
  RLZ_BN_TRAIN = 0, /* the run's batch statistics (and the running ones updated) */
  RLZ_BN_EVAL = 1   /* the running statistics */
} rlz_bn_mode;

/* Role of a parametrized node in the scaling table. */
typedef enum rlz_role {
  RLZ_ROLE_NONE = 0,
  RLZ_ROLE_MLP_HIDDEN = 1, /* MLP hidden layer: W a / sqrt(fan_in) + b (bias unscaled) */
  RLZ_ROLE_STD_HIDDEN = 2, /* reference CNN conv / linear: (W a + b) / sqrt(fan) */
  RLZ_ROLE_READOUT = 3,    /* readout: divided by gamma and the parameterization's width */
  RLZ_ROLE_TEACHER = 4     /* data teacher: W a / sqrt(fan_in), no bias, any position */
} rlz_role;

/* Layout of a node's output per sample. */
typedef enum rlz_layout { RLZ_LAYOUT_CHW = 0, RLZ_LAYOUT_HWC = 1 } rlz_layout;

typedef struct rlz_node {
  rlz_op op;
  int in;          /* input node (-1 for the input node) */
  int in2;         /* second input (add), else -1 */
  int64_t c, h, w; /* output shape per sample (dense: c features, h = w = 1) */
  int64_t size;    /* c * h * w */
  rlz_layout layout;
  richeta_activation act; /* fused (dense, conv) or the op's own (act) */
  /* parametrized nodes (dense, conv) */
  int layer; /* public layer number, -1 for others */
  rlz_role role;
  int64_t rows, cols; /* weight matrix: fan-out x fan-in (conv: C_out x C_in k k) */
  int64_t woff, boff; /* offsets in the flat parameter vector; boff < 0: no bias */
  double wmul, bmul;  /* forward multipliers of W a and of b */
  double init_std;    /* weights ~ N(0, init_std^2); biases start at 0 */
  /* conv / pool geometry */
  int64_t k, stride, pad;
  /* batch normalization: running mean (c values) then running variance (c)
   * at this offset of the graph's state vector */
  int64_t soff;
} rlz_node;

/* An architecture: nodes in topological order; the last one is the output. */
typedef struct rlz_graph {
  rlz_node *nodes;
  int n;
  int nlayers;       /* parametrized nodes */
  int64_t nparams;   /* length of the flat parameter vector */
  int64_t in_size;   /* D */
  int64_t out_size;  /* C */
  double width_mult; /* SGD width multiplier (mean-field: the base width; else 1) */
  int64_t nstate;    /* length of the state vector (batch normalization's running statistics) */
} rlz_graph;

/* ---- the scaling table (lib/nn/scaling.c) -------------------------------
 * For a parametrized node of role `role` under parameterization `p`: the
 * std of its initial weights and its forward multipliers, from its fan-in
 * (MLP: cols; conv: C_in or C_in k k by convention) and gamma. The
 * learning rate of every tensor is the optimizer's one rate eta0 times the
 * graph's width multiplier (lr multiplier 1 for every role). */
typedef struct rlz_scale {
  double init_std, wmul, bmul, lr_mult;
} rlz_scale;

rlz_scale rlz_scaling(richeta_parameterization p, rlz_role role, double fan_in, double gamma);

/* ---- building graphs (lib/nn/graph.c, lib/nn/arch_*.c) ------------------ */

/* The model's architecture from a configuration (arch key and shapes);
 * messages name the configuration keys. */
richeta_status rlz_graph_from_config(rlz_graph *g, const richeta_config *cfg, const rlz_alloc *a,
                                     rlz_err *e);
/* The MLP of DESIGN 1.1 and the teacher MLP of the data streams. */
richeta_status rlz_graph_mlp(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int64_t D, int64_t N,
                             int64_t C, int64_t L, int bias, richeta_activation act,
                             richeta_parameterization p, double gamma, bool teacher);
/* The CNN of the paper's released code (docs/architectures.md); as a data
 * teacher (no bias, every layer / sqrt(fan_in)). */
richeta_status rlz_graph_cnn(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int64_t channels,
                             int64_t height, int64_t width, int64_t N, int64_t C, int bias,
                             richeta_activation act, richeta_parameterization p, double gamma,
                             richeta_conv_scale conv_scale, bool teacher);
/* The muP ResNet-18 of the paper's released code (docs/architectures.md). */
richeta_status rlz_graph_resnet18(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int64_t channels,
                                  int64_t height, int64_t width, int64_t N, int64_t C, int bias,
                                  richeta_activation act, richeta_parameterization p, double gamma,
                                  richeta_conv_scale conv_scale);
void rlz_graph_free(rlz_graph *g, const rlz_alloc *a);

/* Builder steps (used by the arch files): append a node fed by node `in`;
 * the shape and, for parametrized nodes, the parameter offsets follow. */
richeta_status rlz_graph_begin(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int max_nodes,
                               int64_t c, int64_t h, int64_t w);
int rlz_graph_dense(rlz_graph *g, int in, int64_t out, int bias, richeta_activation act,
                    rlz_role role, richeta_parameterization p, double gamma);
int rlz_graph_conv(rlz_graph *g, int in, int64_t c_out, int64_t k, int64_t stride, int64_t pad,
                   int bias, richeta_activation act, rlz_role role, richeta_parameterization p,
                   double gamma, richeta_conv_scale conv_scale);
int rlz_graph_avgpool(rlz_graph *g, int in, int64_t k);
int rlz_graph_flatten(rlz_graph *g, int in);
int rlz_graph_act(rlz_graph *g, int in, richeta_activation act);
/* Batch normalization of node `in` per channel: a parametrized node (its
 * "weight" gamma, rows = channels x 1 column, starts at 1; its "bias" beta
 * at 0) with its running statistics in the state vector. */
int rlz_graph_batchnorm(rlz_graph *g, int in);
/* The sum of nodes a and b (same shape and layout). */
int rlz_graph_add(rlz_graph *g, int a, int b);
richeta_status rlz_graph_end(rlz_graph *g, rlz_err *e, double width_mult);

/* Index of the node of public layer l, or -1. */
int rlz_graph_layer_node(const rlz_graph *g, int64_t l);
/* True when the nodes before the output node agree (ops, shapes, offsets,
 * multipliers): then the same trunk parameters give the same features. */
bool rlz_graph_trunk_equal(const rlz_graph *a, const rlz_graph *b);
/* Length of the trunk's part of the parameter vector (the output node's
 * parameters come last). */
int64_t rlz_graph_trunk_params(const rlz_graph *g);

/* ---- the executor (lib/nn/net.c, net_impl.inc) -------------------------- */

enum {
  RLZ_NET_TRAIN = 1u,     /* keep what backward needs, delta buffers */
  RLZ_NET_ROP = 2u,       /* R-operator buffers (Hessian-vector products) */
  RLZ_NET_GEMM_ONLY = 4u, /* always gemm (no gemv/ger shortcuts): the 1.0 teacher's products */
  RLZ_NET_KEEP_PRE = 8u,  /* keep every pre-activation (not only gelu's): rlz_net_preact */
  /* 3x3 convolutions with stride 1 and padding 1 of HWC nodes with at least
   * RLZ_WINO_MIN_CHANNELS channels in and out run by Winograd F(2x2, 3x3)
   * (lib/nn/winograd.inc) in float32 nets without the R-operator; these
   * flags override that (tests compare the two paths) */
  RLZ_NET_WINOGRAD = 16u,   /* also in float64 */
  RLZ_NET_NO_WINOGRAD = 32u /* never: im2col everywhere */
};
/* A thread team of t threads (2..RLZ_NET_MAX_THREADS) whatever BLAS's
 * thread count (tests: the reference BLAS has one thread); see
 * rlz_net_has_team. */
#define RLZ_NET_TEAM(t) ((unsigned)(t) << 8)
#define RLZ_WINO_MIN_CHANNELS 16
/* Tile rows and columns (2 x 2 outputs each) of a Winograd node. */
static inline int64_t rlz_wino_th(const rlz_node *nd) { return (nd->h + 1) / 2; }
static inline int64_t rlz_wino_tw(const rlz_node *nd) { return (nd->w + 1) / 2; }

typedef struct rlz_net rlz_net;

/* A workspace for running g on up to `chunk` samples at a time in dtype dt.
 * Everything a run needs is allocated here: runs allocate nothing. */
richeta_status rlz_net_new(rlz_net **out, const rlz_graph *g, richeta_dtype dt, int64_t chunk,
                           unsigned flags, const rlz_alloc *a, rlz_err *e);
void rlz_net_free(rlz_net *n);
/* Bytes of the workspace (for memory reports). */
size_t rlz_net_workspace_bytes(const rlz_net *n);
/* Batch normalization's statistics for the next runs: mode, and the
 * running statistics (the graph's state vector in the net's dtype): read
 * in RLZ_BN_EVAL, updated by every forward in RLZ_BN_TRAIN unless NULL
 * (then only the batch statistics are used). A net starts in RLZ_BN_TRAIN
 * with no state. */
void rlz_net_set_bn(rlz_net *n, rlz_bn_mode mode, void *state);
/* Initial running statistics (mean 0, variance 1) of the graph's state
 * vector in dtype dt. */
void rlz_graph_init_state(const rlz_graph *g, richeta_dtype dt, void *state);
/* Samples per block of the convolutions (a tuning knob for tests and
 * benchmarks; a block may only shrink below the planned one), and the
 * largest block planned. */
void rlz_net_set_conv_block(rlz_net *n, int64_t samples);
int64_t rlz_net_conv_block(const rlz_net *n);
/* Convolutions of the net that run by Winograd (RLZ_NET_WINOGRAD), whether
 * node i does, and its samples per block (benchmarks). */
int rlz_net_winograd_nodes(const rlz_net *n);
bool rlz_net_node_winograd(const rlz_net *n, int i);
int64_t rlz_net_node_block(const rlz_net *n, int i);
/* Whether the net runs its passes on a thread team of its own (a net with
 * Winograd nodes made while BLAS had more than one thread): its passes run
 * BLAS single-threaded, and so should the work between them (a threaded
 * BLAS call leaves OpenBLAS's threads spinning beside the team's). */
bool rlz_net_has_team(const rlz_net *n);

/* Forward over nodes (from, to] for b <= chunk samples. `in` is the output
 * of node `from` (b x size); the output of node `to` goes to dst (b x size),
 * every other node's output to the workspace. Parameters P in the net's
 * dtype. For from = 0 the input x; for to = n-1 the network output. */
richeta_status rlz_net_forward(rlz_net *n, const void *P, const void *in, int from, int to,
                               int64_t b, void *dst);
/* Output of node i of the last forward (workspace; NULL for the last node). */
const void *rlz_net_output(const rlz_net *n, int i);
/* Pre-activation of parametrized node i of the last forward (the output
 * itself for the last node and identity activations; needs
 * RLZ_NET_KEEP_PRE for the others). */
const void *rlz_net_preact(const rlz_net *n, int i);
/* Backward of the last forward over every node: dout (b x C, consumed:
 * overwritten) is dLoss/d(output); gradients are written (first) or added
 * to grad. x is the forward's input. Adds to *bound an upper bound of
 * every |gradient entry| of the dense nodes (a convolution's factors are
 * larger than its gradient, so reading that gradient is cheaper: its
 * entries are not bounded; rlz_model_grad_finite). */
richeta_status rlz_net_backward(rlz_net *n, const void *P, const void *x, int64_t b, void *dout,
                                void *grad, bool first, double *bound);

/* float64 nets with RLZ_NET_ROP only. */
/* R{every node} for direction V after a forward on x with P (the R-pass of
 * the forward); R{output} in rout (b x C). */
richeta_status rlz_net_rforward(rlz_net *n, const double *P, const double *V, const double *x,
                                int64_t b, double *rout);
/* Backward of (dout, R{dout}) after rforward: writes R{grad} = H v parts
 * into hv (dout and rdout are consumed). */
richeta_status rlz_net_rbackward(rlz_net *n, const double *P, const double *V, const double *x,
                                 int64_t b, double *dout, double *rdout, double *hv);

/* Whether every v[i] is finite (one vectorized pass). */
bool rlz_all_finite_f32(int64_t n, const float *v);
bool rlz_all_finite_f64(int64_t n, const double *v);

/* ---- activations (the only copy: lib/nn/act.inc) ------------------------- */

double rlz_act_value(richeta_activation a, double x);
double rlz_act_deriv(richeta_activation a, double x);
double rlz_act_deriv2(richeta_activation a, double x);

/* ---- losses (lib/nn/loss.inc, instantiated with the net) ----------------
 * Sum over b samples of the per-sample loss (MSE: summed over outputs too);
 * with g, dLoss/df of the mean over `total` samples. */
double rlz_loss_sum_f32(richeta_loss loss, const float *f, const float *y, int64_t b, int64_t C,
                        int64_t total, float *g);
double rlz_loss_sum_f64(richeta_loss loss, const double *f, const double *y, int64_t b, int64_t C,
                        int64_t total, double *g);
/* Samples whose largest output is at the index of the largest target. */
int64_t rlz_loss_correct_f32(const float *f, const float *y, int64_t b, int64_t C);
int64_t rlz_loss_correct_f64(const double *f, const double *y, int64_t b, int64_t C);
/* H_f r: the Hessian of the mean loss over b samples with respect to the
 * outputs f, applied to r (b x C), into out. */
void rlz_loss_hessian_f64(richeta_loss loss, const double *f, const double *y, const double *r,
                          int64_t b, int64_t C, double *out);

#endif
