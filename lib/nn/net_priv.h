/* Private layout of an executor, shared by net.c (planning, lifetime) and
 * the dtype kernels net_f32.c / net_f64.c (one source: net_impl.inc). */
#ifndef RLZ_NET_PRIV_H
#define RLZ_NET_PRIV_H

#include "core/pool.h"
#include "nn/nn.h"

#include <string.h> /* also defines __GLIBC__ on glibc, tested by simd.h */

/* Most delta slots a backward pass may need at once (a chain needs 3, a
 * residual network 4). */
#define RLZ_NET_SLOTS 8
/* Largest thread team of a net (nets with Winograd nodes). */
#define RLZ_NET_MAX_THREADS 16

struct rlz_net {
  const rlz_graph *g;
  rlz_alloc alloc;
  rlz_err *err;
  richeta_dtype dtype;
  size_t elem;
  int64_t chunk;
  unsigned flags;
  int64_t *block;  /* per node: samples per block of a convolution */
  bool *fuse_pool; /* per node: a convolution runs with the pooling node after it */
  void *ws;
  size_t ws_bytes;
  /* per node: kept output (chunk x size; NULL for the input and the last
   * node, whose outputs are the caller's), pre-activation (== out unless
   * the fused activation needs it, gelu), the output of the current run */
  void **out, **pre;
  const void **cur;
  void *delta[RLZ_NET_SLOTS]; /* backward slots: node i's output delta is in slot[i] */
  /* A node read by two others (a residual block's input) gets its delta
   * from both: the second one computes into dscratch and adds. dstarted
   * tells, during a backward pass, whose delta holds a first part. */
  bool *dstarted;
  void *dscratch, *rdscratch;
  bool *direct; /* per node: a 1x1 convolution run on its HWC input as it is (no im2col) */
  bool *wino;   /* per node: a 3x3 convolution run by Winograd F(2x2, 3x3) (winograd.inc) */
  /* Winograd buffers: transformed weights (U), and per thread of the team
   * (each *_len elements apart) the weight gradient's part (dU), one
   * block's transformed inputs (V, dV) and products (M, dM), one padded
   * sample */
  void *wino_u, *wino_du, *wino_v, *wino_m, *wino_pad;
  const void *wino_zero; /* zeros for the widest Winograd input, never written */
  int64_t wino_du_len, wino_v_len, wino_m_len, wino_pad_len;
  /* the thread team (NULL: one thread), the BLAS thread count to restore
   * after a pass, the current pass's threads */
  rlz_pool *pool;
  int blas_threads, team_now;
  int64_t col_len, hwc_len, dwperm_len; /* per-thread im2col, hwc and dwperm buffers */
  double *bnpart; /* per thread: 2 x the widest batch norm's channels (team.inc) */
  /* batch normalization: mode, running statistics (rlz_net_set_bn), and the
   * last forward's mean and 1/sqrt(var + eps) per channel (double, at each
   * node's soff: mean, then inverse std), with an accumulator per channel */
  rlz_bn_mode bn_mode;
  void *bn_state;
  double *bnstat, *bnacc;
  void *fdelta; /* one block's delta of a convolution run with its pooling */
  int *slot;
  void *col;           /* the largest im2col block */
  int col_node;        /* conv node whose whole-chunk im2col of theta is in col, or -1 */
  const void *col_src; /* the input it was computed from */
  void *wperm;         /* a conv weight in (out, ky, kx, in) order: the gemm's */
  void *dwperm;        /* its gradient */
  void *ones;          /* ones: bias gradients are G^T 1 */
  void *hwc;           /* one CHW sample turned HWC for im2col */
  /* R-operator (RLZ_NET_ROP) */
  void **rout, **rpre;
  void *rdelta[RLZ_NET_SLOTS];
  void *rcol, *vperm, *tmp; /* tmp: chunk x the widest node */
};

#include "core/simd.h"

/* A pass (forward, backward) of a net with a team: its threads are the
 * BLAS thread count at the pass's start (at most the team's size), and
 * BLAS runs single-threaded until the pass ends (restored then), so that
 * BLAS's own threads do not spin beside the team's. */
void rlz_net_pass_begin(rlz_net *n);
void rlz_net_pass_end(rlz_net *n);
/* Threads of the current pass (1 without a team). */
int rlz_net_team(rlz_net *n);

/* Rows of im2col block of conv node nd with bs samples. */
static inline int64_t rlz_conv_rows(const rlz_node *nd, int64_t bs) { return bs * nd->h * nd->w; }

richeta_status rlz_net_forward_f32(rlz_net *n, const void *P, const void *in, int from, int to,
                                   int64_t b, void *dst);
richeta_status rlz_net_forward_f64(rlz_net *n, const void *P, const void *in, int from, int to,
                                   int64_t b, void *dst);
richeta_status rlz_net_backward_f32(rlz_net *n, const void *P, const void *x, int64_t b, void *dout,
                                    void *grad, bool first, double *bound);
richeta_status rlz_net_backward_f64(rlz_net *n, const void *P, const void *x, int64_t b, void *dout,
                                    void *grad, bool first, double *bound);

#endif
