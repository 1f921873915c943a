/* Private layout of an executor, shared by net.c (planning, lifetime) and
 * the dtype kernels net_f32.c / net_f64.c (one source: net_impl.inc). */
#ifndef RLZ_NET_PRIV_H
#define RLZ_NET_PRIV_H

#include "nn/nn.h"

#include <string.h> /* also defines __GLIBC__ on glibc, tested by simd.h */

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
  void *delta[3]; /* backward slots: node i's output delta is in slot[i] */
  void *fdelta;   /* one block's delta of a convolution run with its pooling */
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
  void *rdelta[3];
  void *rcol, *vperm, *tmp; /* tmp: chunk x the widest node */
};

#include "core/simd.h"

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
