/* The executor's workspace: planned once for a graph, a dtype and a number
 * of samples per run, so that runs allocate nothing. It holds every node's
 * kept output, the pre-activations a fused activation needs, two delta
 * slots for the backward pass (a chain alternates between them, each slot
 * as large as the largest delta it carries), the largest im2col block and,
 * for the R-operator, the same again for the directional derivatives. */
#include "nn/net_priv.h"
#include "numeric/numeric.h"

#define WS_ALIGN 64 /* every workspace array starts on a cache line */
/* Cache budget of a convolution's block (im2col rows and outputs). */
#define BLOCK_CACHE_BYTES ((double)(2 << 20))
/* Budget of a Winograd block (its transformed inputs and products): the
 * 16 products of a block each read 1/16 of it. */
#define WINO_CACHE_BYTES ((double)(4 << 20))

/* Offsets are planned first, then one allocation serves them all. */
typedef struct plan {
  size_t total;
  bool ok;
} plan;

static size_t plan_add(plan *p, int64_t count, size_t elem) {
  size_t bytes, off = p->total;
  if (!p->ok || count < 0 || (uint64_t)count > SIZE_MAX ||
      !rlz_mul_size((size_t)count, elem, &bytes) || !rlz_add_size(bytes, WS_ALIGN - 1, &bytes)) {
    p->ok = false;
    return 0;
  }
  bytes -= bytes % WS_ALIGN;
  if (!rlz_add_size(p->total, bytes, &p->total))
    p->ok = false;
  return off;
}

/* A fused activation keeps its pre-activation apart when it needs it for
 * its derivative (gelu), or when asked to (diagnostics). */
static bool needs_pre(const rlz_node *nd, unsigned flags) {
  if (nd->op == RLZ_OP_BATCHNORM) /* its normalized input, for the R-operator and diagnostics
                                   * (the backward pass recomputes it) */
    return (flags & (RLZ_NET_ROP | RLZ_NET_KEEP_PRE)) != 0;
  return (nd->op == RLZ_OP_DENSE || nd->op == RLZ_OP_CONV2D) &&
         (nd->act == RICHETA_ACTIVATION_GELU ||
          ((flags & RLZ_NET_KEEP_PRE) && nd->act != RICHETA_ACTIVATION_IDENTITY));
}

/* Samples per block of a convolution: its im2col block and its output
 * block together fit the cache budget (at least one sample): small blocks
 * keep the products' operands in cache (measured: 1.5-2x faster sgemm
 * than a whole batch of 128 images), and the activation and pooling of a
 * block run while it is still there. */
static int64_t default_block(const rlz_node *nd, int64_t chunk, size_t elem) {
  double per = ((double)rlz_conv_rows(nd, 1) * (double)nd->cols + (double)nd->size) * (double)elem;
  int64_t fit = (int64_t)((double)BLOCK_CACHE_BYTES / per);
  return fit < 1 ? 1 : fit > chunk ? chunk : fit;
}

/* Whether conv node nd of graph g runs by Winograd (winograd.inc) in a
 * net of dtype dt with these flags. */
static bool use_winograd(const rlz_graph *g, const rlz_node *nd, richeta_dtype dt, unsigned flags) {
  const rlz_node *s = &g->nodes[nd->in];
  bool on = (flags & RLZ_NET_WINOGRAD) || dt == RICHETA_DTYPE_F32;
  return on && !(flags & (RLZ_NET_NO_WINOGRAD | RLZ_NET_ROP)) && nd->k == 3 && nd->stride == 1 &&
         nd->pad == 1 && s->layout == RLZ_LAYOUT_HWC && s->c >= RLZ_WINO_MIN_CHANNELS &&
         nd->rows >= RLZ_WINO_MIN_CHANNELS && nd->h == s->h && nd->w == s->w;
}

/* Tiles (2 x 2 outputs) per sample of a Winograd node. */
static int64_t wino_tiles(const rlz_node *nd) { return rlz_wino_th(nd) * rlz_wino_tw(nd); }

/* The team size RLZ_NET_TEAM(t) asks for (0: as BLAS has threads). */
static int forced_team(unsigned flags) { return (int)((flags >> 8) & 0xffu); }

/* Samples per Winograd block: its V and M fit WINO_CACHE_BYTES. */
static int64_t wino_block(const rlz_graph *g, const rlz_node *nd, int64_t chunk, size_t elem) {
  double per = 16.0 * (double)wino_tiles(nd) * (double)(g->nodes[nd->in].c + nd->rows) * (double)elem;
  int64_t fit = (int64_t)((double)WINO_CACHE_BYTES / per);
  return fit < 1 ? 1 : fit > chunk ? chunk : fit;
}

/* Delta slots for the backward pass, walking it: while node j's backward
 * runs, its output delta is live, so is every delta that a later node
 * started and whose own node is still to come (a residual block's input),
 * and for a convolution run with its pooling (fuse_pool) the pooling's
 * output delta too; each new delta gets the lowest slot not in use. The
 * output node's delta is the caller's. False when more than RLZ_NET_SLOTS
 * would be needed. */
static bool assign_slots(rlz_net *n, bool *started) {
  const rlz_graph *g = n->g;
  n->slot[g->n - 1] = -1;
  memset(started, 0, (size_t)g->n * sizeof(bool));
  for (int j = g->n - 1; j >= 1; j--) {
    const rlz_node *nd = &g->nodes[j];
    bool busy[RLZ_NET_SLOTS] = {false};
    if (n->slot[j] >= 0)
      busy[n->slot[j]] = true;
    if (nd->op == RLZ_OP_CONV2D && j + 1 < g->n && n->fuse_pool[j] && n->slot[j + 1] >= 0)
      busy[n->slot[j + 1]] = true;
    for (int k = 1; k < j; k++)
      if (started[k])
        busy[n->slot[k]] = true;
    int ins[2] = {nd->in, nd->in2};
    for (int q = 0; q < 2; q++) {
      int in = ins[q];
      if (in < 1 || started[in])
        continue;
      int s = 0;
      while (s < RLZ_NET_SLOTS && busy[s])
        s++;
      if (s == RLZ_NET_SLOTS)
        return false;
      n->slot[in] = s;
      busy[s] = started[in] = true;
    }
  }
  return true;
}

richeta_status rlz_net_new(rlz_net **out, const rlz_graph *g, richeta_dtype dt, int64_t chunk,
                           unsigned flags, const rlz_alloc *a, rlz_err *e) {
  *out = NULL;
  if (chunk < 1)
    return rlz_fail(e, RICHETA_ERR_RANGE, "network: %lld samples per run", (long long)chunk);
  for (int i = 1; i < g->n; i++)
    if (g->nodes[i].in < 0 || g->nodes[i].in >= i || g->nodes[i].in2 >= i)
      return rlz_fail(e, RICHETA_ERR_INTERNAL, "network: node %d is fed by a later node", i);
  rlz_net *n = rlz_calloc(a, 1, sizeof *n);
  if (!n)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "network: out of memory");
  n->g = g;
  n->alloc = *a;
  n->err = e;
  n->dtype = dt;
  n->elem = dt == RICHETA_DTYPE_F64 ? sizeof(double) : sizeof(float);
  n->chunk = chunk;
  n->flags = flags;
  n->col_node = -1;
  n->team_now = 1;
  size_t nn = (size_t)g->n;
  n->block = rlz_calloc(a, nn, sizeof(int64_t));
  n->fuse_pool = rlz_calloc(a, nn, sizeof(bool));
  n->out = rlz_calloc(a, nn, sizeof(void *));
  n->pre = rlz_calloc(a, nn, sizeof(void *));
  n->cur = rlz_calloc(a, nn, sizeof(void *));
  n->slot = rlz_calloc(a, nn, sizeof(int));
  n->rout = rlz_calloc(a, nn, sizeof(void *));
  n->rpre = rlz_calloc(a, nn, sizeof(void *));
  n->dstarted = rlz_calloc(a, nn, sizeof(bool));
  n->direct = rlz_calloc(a, nn, sizeof(bool));
  n->wino = rlz_calloc(a, nn, sizeof(bool));
  int *readers = rlz_calloc(a, nn, sizeof(int));
  size_t *o_out = rlz_calloc(a, nn, sizeof(size_t)), *o_pre = rlz_calloc(a, nn, sizeof(size_t));
  size_t *o_rout = rlz_calloc(a, nn, sizeof(size_t)), *o_rpre = rlz_calloc(a, nn, sizeof(size_t));
  richeta_status st = RICHETA_OK;
  if (!n->out || !n->pre || !n->cur || !n->slot || !n->rout || !n->rpre || !n->block ||
      !n->fuse_pool || !n->dstarted || !n->direct || !n->wino || !readers || !o_out || !o_pre || !o_rout ||
      !o_rpre) {
    st = rlz_fail(e, RICHETA_ERR_NOMEM, "network: out of memory");
    goto done;
  }
  bool train = flags & (RLZ_NET_TRAIN | RLZ_NET_ROP), rop = flags & RLZ_NET_ROP;
  bool shared = false; /* some node is read by two others */
  for (int i = 1; i < g->n; i++) {
    readers[g->nodes[i].in]++;
    if (g->nodes[i].in2 >= 0)
      readers[g->nodes[i].in2]++;
  }
  for (int i = 1; i < g->n; i++)
    shared = shared || readers[i] > 1;
  int64_t bnmax = 0;
  for (int i = 1; i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    if (nd->op == RLZ_OP_BATCHNORM)
      bnmax = nd->c > bnmax ? nd->c : bnmax;
    if (nd->op != RLZ_OP_CONV2D)
      continue;
    /* a 1x1 convolution of an HWC node is a product on its pixels as they
     * are: no im2col, no blocks */
    n->direct[i] = nd->k == 1 && nd->pad == 0 && g->nodes[nd->in].layout == RLZ_LAYOUT_HWC;
    n->block[i] = default_block(nd, chunk, n->elem); /* the R-operator's blocks */
    /* a convolution feeding only a pooling node runs with it (not in
     * R-operator nets, whose passes go node by node) */
    n->fuse_pool[i] = !rop && !n->direct[i] && i + 1 < g->n &&
                      g->nodes[i + 1].op == RLZ_OP_AVGPOOL && g->nodes[i + 1].in == i &&
                      readers[i] == 1;
    if (!n->fuse_pool[i] && use_winograd(g, nd, dt, flags)) {
      n->wino[i] = true;
      n->block[i] = wino_block(g, nd, chunk, n->elem);
    }
  }
  if (!assign_slots(n, n->dstarted)) {
    st = rlz_fail(e, RICHETA_ERR_INTERNAL, "network: the backward pass needs more than %d deltas",
                  RLZ_NET_SLOTS);
    goto done;
  }
  plan p = {0, true};
  int64_t cs[RLZ_NET_SLOTS] = {0}, dsmax = 0, widest = g->in_size, colmax = 0, wmax = 0,
          rowsmax = chunk, hwcmax = 0, fdmax = 0, wumax = 0, wvmax = 0, wmmax = 0, wpmax = 0,
          wcmax = 0;
  for (int i = 1; i < g->n; i++) {
    const rlz_node *nd = &g->nodes[i];
    int64_t cnt;
    if (!rlz_mul_i64(chunk, nd->size, &cnt)) {
      p.ok = false;
      break;
    }
    widest = nd->size > widest ? nd->size : widest;
    bool last = i == g->n - 1;
    if (!last)
      o_out[i] = plan_add(&p, cnt, n->elem);
    if (!last && needs_pre(nd, flags))
      o_pre[i] = plan_add(&p, cnt, n->elem);
    if (rop) {
      o_rout[i] = plan_add(&p, cnt, n->elem);
      if (nd->layer >= 0)
        o_rpre[i] = plan_add(&p, cnt, n->elem);
    }
    if (n->fuse_pool[i]) { /* its delta lives one block at a time (see conv_bwd) */
      int64_t bc;
      if (!rlz_mul_i64(n->block[i], nd->size, &bc)) {
        p.ok = false;
        break;
      }
      fdmax = bc > fdmax ? bc : fdmax;
    } else if (n->slot[i] >= 0) { /* deltas of the output come from the caller */
      cs[n->slot[i]] = cnt > cs[n->slot[i]] ? cnt : cs[n->slot[i]];
    }
    if (readers[i] > 1)
      dsmax = cnt > dsmax ? cnt : dsmax;
    if (n->direct[i]) { /* its bias gradient sums all the rows of a run at once */
      int64_t rows = rlz_conv_rows(nd, chunk);
      rowsmax = rows > rowsmax ? rows : rowsmax;
    }
    if (n->wino[i]) { /* its own buffers: no im2col */
      int64_t ci = g->nodes[nd->in].c, pt = n->block[i] * wino_tiles(nd);
      int64_t side = ci > nd->rows ? ci : nd->rows, u, v, m, pd;
      if (!rlz_mul_i64(16 * ci, nd->rows, &u) || !rlz_mul_i64(16 * pt, ci, &v) ||
          !rlz_mul_i64(16 * pt, nd->rows, &m) ||
          !rlz_mul_i64((2 * rlz_wino_th(nd) + 2) * (2 * rlz_wino_tw(nd) + 2), side, &pd)) {
        p.ok = false;
        break;
      }
      wumax = u > wumax ? u : wumax;
      wvmax = v > wvmax ? v : wvmax;
      wmmax = m > wmmax ? m : wmmax;
      wpmax = pd > wpmax ? pd : wpmax;
      wcmax = ci > wcmax ? ci : wcmax;
      /* its bias gradient sums all the rows of a run at once */
      int64_t rows = rlz_conv_rows(nd, nd->boff >= 0 ? chunk : n->block[i]);
      rowsmax = rows > rowsmax ? rows : rowsmax;
    } else if (nd->op == RLZ_OP_CONV2D && (!n->direct[i] || rop)) {
      hwcmax = g->nodes[nd->in].size > hwcmax ? g->nodes[nd->in].size : hwcmax;
      int64_t rows = rlz_conv_rows(nd, n->block[i]), cc, wc;
      if (!rlz_mul_i64(rows, nd->cols, &cc) || !rlz_mul_i64(nd->rows, nd->cols, &wc)) {
        p.ok = false;
        break;
      }
      colmax = cc > colmax ? cc : colmax;
      wmax = wc > wmax ? wc : wmax;
      rowsmax = rows > rowsmax ? rows : rowsmax;
    }
  }
  size_t o_d[RLZ_NET_SLOTS] = {0}, o_rd[RLZ_NET_SLOTS] = {0}, o_ds = 0, o_rds = 0, o_bn = 0,
         o_bnacc = 0, o_col = 0, o_rcol = 0, o_wp = 0, o_dwp = 0, o_vp = 0, o_ones = 0, o_tmp = 0,
         o_hwc = 0, o_fd = 0, o_wu = 0, o_wdu = 0, o_wv = 0, o_wm = 0, o_wpad = 0;
  /* the team of a net with Winograd nodes: as many threads as BLAS has
   * now (rlz_net_team); its convolutions then all run on the team */
  int team = 1;
  if (wumax > 0) {
    int bt = forced_team(flags) > 1 ? forced_team(flags) : rlz_blas_get_threads_impl();
    team = bt < 1 ? 1 : bt > RLZ_NET_MAX_THREADS ? RLZ_NET_MAX_THREADS : bt;
  }
  /* per-thread buffers start on cache lines */
  wumax = (wumax + 15) / 16 * 16, wvmax = (wvmax + 15) / 16 * 16;
  wmmax = (wmmax + 15) / 16 * 16, wpmax = (wpmax + 15) / 16 * 16;
  colmax = (colmax + 15) / 16 * 16, hwcmax = (hwcmax + 15) / 16 * 16, wmax = (wmax + 15) / 16 * 16;
  n->col_len = colmax, n->hwc_len = hwcmax, n->dwperm_len = wmax;
  if (train) {
    for (int k = 0; k < RLZ_NET_SLOTS; k++)
      o_d[k] = plan_add(&p, cs[k], n->elem);
    o_ds = plan_add(&p, shared ? dsmax : 0, n->elem);
    o_dwp = plan_add(&p, team * wmax, n->elem);
    o_fd = plan_add(&p, fdmax, n->elem);
  }
  if (train)
    o_wdu = plan_add(&p, team * wumax, n->elem);
  o_wu = plan_add(&p, wumax, n->elem);
  o_wv = plan_add(&p, team * wvmax, n->elem);
  o_wm = plan_add(&p, team * wmmax, n->elem);
  o_wpad = plan_add(&p, team * wpmax, n->elem);
  size_t o_wzero = plan_add(&p, wcmax, n->elem);
  n->wino_du_len = wumax, n->wino_v_len = wvmax, n->wino_m_len = wmmax, n->wino_pad_len = wpmax;
  o_col = plan_add(&p, team * colmax, n->elem);
  o_wp = plan_add(&p, wmax, n->elem);
  o_ones = plan_add(&p, rowsmax, n->elem);
  o_hwc = plan_add(&p, team * hwcmax, n->elem);
  o_bn = plan_add(&p, g->nstate, sizeof(double));
  o_bnacc = plan_add(&p, 7 * bnmax, sizeof(double)); /* 2 accumulators, 5 REAL coefficients */
  size_t o_bnpart = plan_add(&p, team > 1 ? 2 * team * bnmax : 0, sizeof(double));
  if (rop) {
    int64_t tw;
    for (int k = 0; k < RLZ_NET_SLOTS; k++)
      o_rd[k] = plan_add(&p, cs[k], n->elem);
    o_rds = plan_add(&p, shared ? dsmax : 0, n->elem);
    o_rcol = plan_add(&p, colmax, n->elem);
    o_vp = plan_add(&p, wmax, n->elem);
    o_tmp = rlz_mul_i64(chunk, widest, &tw) ? plan_add(&p, tw, n->elem) : plan_add(&p, -1, 1);
  }
  if (!p.ok) {
    st = rlz_fail(e, RICHETA_ERR_OVERFLOW, "network: workspace size overflows");
    goto done;
  }
  n->ws = rlz_malloc(a, p.total ? p.total : 1);
  if (!n->ws) {
    st = rlz_fail(e, RICHETA_ERR_NOMEM, "network: cannot allocate a %zu-byte workspace", p.total);
    goto done;
  }
  n->ws_bytes = p.total;
  memset(n->ws, 0, p.total); /* no uninitialised memory is ever read */
  char *base = n->ws;
  for (int i = 1; i < g->n; i++) {
    bool last = i == g->n - 1;
    n->out[i] = last ? NULL : base + o_out[i];
    n->pre[i] = !last && needs_pre(&g->nodes[i], flags) ? base + o_pre[i] : n->out[i];
    if (rop) {
      n->rout[i] = base + o_rout[i];
      n->rpre[i] = g->nodes[i].layer >= 0 ? base + o_rpre[i] : NULL;
    }
  }
  n->bnstat = (double *)(void *)(base + o_bn);
  n->bnacc = (double *)(void *)(base + o_bnacc);
  n->bnpart = (double *)(void *)(base + o_bnpart);
  n->bn_mode = RLZ_BN_TRAIN;
  if (train) {
    for (int k = 0; k < RLZ_NET_SLOTS; k++)
      n->delta[k] = base + o_d[k];
    n->dscratch = base + o_ds;
    n->dwperm = base + o_dwp;
    n->fdelta = base + o_fd;
    n->wino_du = base + o_wdu;
  }
  n->wino_u = base + o_wu;
  n->wino_v = base + o_wv;
  n->wino_m = base + o_wm;
  n->wino_pad = base + o_wpad;
  n->wino_zero = base + o_wzero;
  if (team > 1 && (st = rlz_pool_new(&n->pool, team, a, e)) != RICHETA_OK)
    goto done;
  n->col = base + o_col;
  n->wperm = base + o_wp;
  n->ones = base + o_ones;
  n->hwc = base + o_hwc;
  for (int64_t i = 0; i < rowsmax; i++) {
    if (n->elem == sizeof(float))
      ((float *)n->ones)[i] = 1.0f;
    else
      ((double *)n->ones)[i] = 1.0;
  }
  if (rop) {
    for (int k = 0; k < RLZ_NET_SLOTS; k++)
      n->rdelta[k] = base + o_rd[k];
    n->rdscratch = base + o_rds;
    n->rcol = base + o_rcol;
    n->vperm = base + o_vp;
    n->tmp = base + o_tmp;
  }
done:
  rlz_free(a, readers);
  rlz_free(a, o_out);
  rlz_free(a, o_pre);
  rlz_free(a, o_rout);
  rlz_free(a, o_rpre);
  if (st != RICHETA_OK) {
    rlz_net_free(n);
    return st;
  }
  *out = n;
  return RICHETA_OK;
}

void rlz_net_free(rlz_net *n) {
  if (!n)
    return;
  rlz_alloc a = n->alloc;
  rlz_pool_free(n->pool);
  rlz_free(&a, n->ws);
  rlz_free(&a, n->out);
  rlz_free(&a, n->pre);
  rlz_free(&a, n->cur);
  rlz_free(&a, n->slot);
  rlz_free(&a, n->rout);
  rlz_free(&a, n->rpre);
  rlz_free(&a, n->block);
  rlz_free(&a, n->fuse_pool);
  rlz_free(&a, n->dstarted);
  rlz_free(&a, n->direct);
  rlz_free(&a, n->wino);
  rlz_free(&a, n);
}

void rlz_net_set_bn(rlz_net *n, rlz_bn_mode mode, void *state) {
  n->bn_mode = mode;
  n->bn_state = state;
}

size_t rlz_net_workspace_bytes(const rlz_net *n) { return n->ws_bytes; }

void rlz_net_set_conv_block(rlz_net *n, int64_t samples) {
  /* a block may only shrink: the buffers were sized for the planned one */
  for (int i = 1; i < n->g->n; i++)
    if (samples >= 1 && samples < n->block[i])
      n->block[i] = samples;
  n->col_node = -1;
}

int64_t rlz_net_conv_block(const rlz_net *n) {
  int64_t b = 0; /* the largest: what a caller sizing like the net needs */
  for (int i = 1; i < n->g->n; i++)
    b = n->block[i] > b ? n->block[i] : b;
  return b;
}

int rlz_net_team(rlz_net *n) { return n->team_now; }

bool rlz_net_has_team(const rlz_net *n) { return n->pool != NULL; }

bool rlz_net_node_winograd(const rlz_net *n, int i) { return i > 0 && i < n->g->n && n->wino[i]; }

int64_t rlz_net_node_block(const rlz_net *n, int i) {
  return i > 0 && i < n->g->n ? n->block[i] : 0;
}

void rlz_net_pass_begin(rlz_net *n) {
  n->team_now = 1;
  if (!n->pool)
    return;
  int bt = rlz_blas_get_threads_impl(), team = rlz_pool_threads(n->pool);
  n->blas_threads = bt;
  n->team_now = bt < team && !forced_team(n->flags) ? bt : team;
  if (n->team_now > 1) /* the team's threads call BLAS, each single-threaded */
    rlz_blas_set_threads_impl(1);
}

void rlz_net_pass_end(rlz_net *n) {
  if (n->team_now > 1)
    rlz_blas_set_threads_impl(n->blas_threads);
  n->team_now = 1;
}

int rlz_net_winograd_nodes(const rlz_net *n) {
  int c = 0;
  for (int i = 1; i < n->g->n; i++)
    c += n->wino[i];
  return c;
}

const void *rlz_net_output(const rlz_net *n, int i) {
  return i > 0 && i < n->g->n - 1 ? n->out[i] : NULL;
}

const void *rlz_net_preact(const rlz_net *n, int i) {
  return i == n->g->n - 1 ? n->cur[i] : n->pre[i];
}

richeta_status rlz_net_forward(rlz_net *n, const void *P, const void *in, int from, int to,
                               int64_t b, void *dst) {
  rlz_net_pass_begin(n);
  richeta_status st = n->dtype == RICHETA_DTYPE_F64
                          ? rlz_net_forward_f64(n, P, in, from, to, b, dst)
                          : rlz_net_forward_f32(n, P, in, from, to, b, dst);
  rlz_net_pass_end(n);
  return st;
}

richeta_status rlz_net_backward(rlz_net *n, const void *P, const void *x, int64_t b, void *dout,
                                void *grad, bool first, double *bound) {
  rlz_net_pass_begin(n);
  richeta_status st = n->dtype == RICHETA_DTYPE_F64
                          ? rlz_net_backward_f64(n, P, x, b, dout, grad, first, bound)
                          : rlz_net_backward_f32(n, P, x, b, dout, grad, first, bound);
  rlz_net_pass_end(n);
  return st;
}
