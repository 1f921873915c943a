/* The architectures (docs/architectures.md): which node list a
 * configuration describes, with its shapes checked and errors that name
 * the configuration keys. */
#include "nn/nn.h"

#include "core/config_internal.h"

#include <math.h>

richeta_status rlz_graph_mlp(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int64_t D, int64_t N,
                             int64_t C, int64_t L, int bias, richeta_activation act,
                             richeta_parameterization p, double gamma, bool teacher) {
  if (L < 1 || L > 4096)
    return rlz_fail(e, RICHETA_ERR_RANGE, "model: depth L = %lld outside [1, 4096]", (long long)L);
  richeta_status st = rlz_graph_begin(g, a, e, (int)L + 1, D, 1, 1);
  if (st != RICHETA_OK)
    return st;
  int cur = 0;
  for (int64_t l = 0; l < L && cur >= 0; l++) {
    bool last = l == L - 1;
    rlz_role role = teacher ? RLZ_ROLE_TEACHER : last ? RLZ_ROLE_READOUT : RLZ_ROLE_MLP_HIDDEN;
    cur = rlz_graph_dense(g, cur, last ? C : N, teacher ? 0 : bias,
                          last ? RICHETA_ACTIVATION_IDENTITY : act, role, p, gamma);
  }
  if (cur < 0) {
    rlz_graph_free(g, a);
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "model: parameter count overflows");
  }
  /* mean-field trains every tensor at eta0 times the readout's fan-in */
  double wm = p == RICHETA_PARAMETERIZATION_MF ? (double)g->nodes[g->n - 1].cols : 1.0;
  return rlz_graph_end(g, e, wm);
}

/* Spatial size after conv 3x3 (no padding), pool 2, conv 3x3, pool 2;
 * 0 when the image is too small for it. */
static int64_t cnn_feature_side(int64_t s) {
  int64_t s1 = s - 2;
  if (s1 < 2)
    return 0;
  int64_t s2 = s1 / 2 - 2;
  return s2 >= 2 ? s2 / 2 : 0;
}

richeta_status rlz_graph_cnn(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int64_t channels,
                             int64_t height, int64_t width, int64_t N, int64_t C, int bias,
                             richeta_activation act, richeta_parameterization p, double gamma,
                             richeta_conv_scale conv_scale, bool teacher) {
  if (cnn_feature_side(height) < 1 || cnn_feature_side(width) < 1)
    return rlz_fail(e, RICHETA_ERR_RANGE,
                    "model: arch=cnn needs images of at least 10 x 10 for its two 3x3 convs and "
                    "2x2 pools (image_height = %lld, image_width = %lld)",
                    (long long)height, (long long)width);
  richeta_status st = rlz_graph_begin(g, a, e, 9, channels, height, width);
  if (st != RICHETA_OK)
    return st;
  /* a teacher: every layer W a / sqrt(fan_in), no bias: O(1) outputs */
  const rlz_role hid = teacher ? RLZ_ROLE_TEACHER : RLZ_ROLE_STD_HIDDEN;
  const rlz_role out = teacher ? RLZ_ROLE_TEACHER : RLZ_ROLE_READOUT;
  int cur = rlz_graph_conv(g, 0, N, 3, 1, 0, bias, act, hid, p, gamma, conv_scale);
  cur = rlz_graph_avgpool(g, cur, 2);
  cur = rlz_graph_conv(g, cur, 2 * N, 3, 1, 0, bias, act, hid, p, gamma, conv_scale);
  cur = rlz_graph_avgpool(g, cur, 2);
  cur = rlz_graph_flatten(g, cur);
  cur = rlz_graph_dense(g, cur, 8 * N, bias, act, hid, p, gamma);
  cur = rlz_graph_dense(g, cur, C, bias, RICHETA_ACTIVATION_IDENTITY, out, p, gamma);
  if (cur < 0) {
    rlz_graph_free(g, a);
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "model: arch=cnn with N = %lld: sizes overflow",
                    (long long)N);
  }
  /* the reference trains every tensor at N eta0 (N the base width, not the
   * readout's fan-in 8N) */
  return rlz_graph_end(g, e, p == RICHETA_PARAMETERIZATION_MF ? (double)N : 1.0);
}

/* One BasicBlock of the reference's ResNet from node x (c_in channels):
 * conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, plus the shortcut (the
 * identity, or a strided 1x1 conv -> BN when the shape changes), summed,
 * then ReLU. Convolutions have no bias. Returns the block's output node. */
static int basic_block(rlz_graph *g, int x, int64_t c_in, int64_t planes, int64_t stride,
                       richeta_activation act, richeta_parameterization p, double gamma,
                       richeta_conv_scale cs) {
  const rlz_role hid = RLZ_ROLE_STD_HIDDEN;
  const richeta_activation id = RICHETA_ACTIVATION_IDENTITY;
  int h = rlz_graph_conv(g, x, planes, 3, stride, 1, 0, id, hid, p, gamma, cs);
  h = rlz_graph_act(g, rlz_graph_batchnorm(g, h), act);
  h = rlz_graph_batchnorm(g, rlz_graph_conv(g, h, planes, 3, 1, 1, 0, id, hid, p, gamma, cs));
  int sc = x;
  if (stride != 1 || c_in != planes)
    sc = rlz_graph_batchnorm(g,
                             rlz_graph_conv(g, x, planes, 1, stride, 0, 0, id, hid, p, gamma, cs));
  return h < 0 || sc < 0 ? -1 : rlz_graph_act(g, rlz_graph_add(g, h, sc), act);
}

richeta_status rlz_graph_resnet18(rlz_graph *g, const rlz_alloc *a, rlz_err *e, int64_t channels,
                                  int64_t height, int64_t width, int64_t N, int64_t C, int bias,
                                  richeta_activation act, richeta_parameterization p, double gamma,
                                  richeta_conv_scale conv_scale) {
  if (height < 8 || width < 8)
    return rlz_fail(e, RICHETA_ERR_RANGE,
                    "model: arch=resnet18 needs images of at least 8 x 8: its stages halve them "
                    "three times (image_height = %lld, image_width = %lld)",
                    (long long)height, (long long)width);
  if (N > (INT64_C(1) << 40) / 8)
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "model: arch=resnet18 with N = %lld: sizes overflow",
                    (long long)N);
  richeta_status st = rlz_graph_begin(g, a, e, 80, channels, height, width);
  if (st != RICHETA_OK)
    return st;
  const richeta_activation id = RICHETA_ACTIVATION_IDENTITY;
  /* stem: conv 3x3 (padding 1, no bias) -> BN -> ReLU, no max-pool */
  int cur = rlz_graph_conv(g, 0, N, 3, 1, 1, 0, id, RLZ_ROLE_STD_HIDDEN, p, gamma, conv_scale);
  cur = rlz_graph_act(g, rlz_graph_batchnorm(g, cur), act);
  int64_t c_in = N;
  for (int stage = 0; stage < 4 && cur >= 0; stage++) {
    int64_t planes = N << stage;
    for (int blk = 0; blk < 2 && cur >= 0; blk++) {
      cur = basic_block(g, cur, c_in, planes, blk == 0 && stage > 0 ? 2 : 1, act, p, gamma,
                        conv_scale);
      c_in = planes;
    }
  }
  /* the reference's avg_pool2d(4) on 32 x 32 images; a smaller last stage
   * is pooled whole */
  if (cur >= 0) {
    const rlz_node *last = &g->nodes[cur];
    int64_t k = last->h < last->w ? last->h : last->w;
    k = k < 4 ? k : 4;
    if (k > 1)
      cur = rlz_graph_avgpool(g, cur, k);
    cur = rlz_graph_flatten(g, cur); /* x.view(B, -1): CHW order */
  }
  cur = rlz_graph_dense(g, cur, C, bias, id, RLZ_ROLE_READOUT, p, gamma);
  if (cur < 0) {
    rlz_graph_free(g, a);
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "model: arch=resnet18 with N = %lld: sizes overflow",
                    (long long)N);
  }
  /* every tensor at N eta0, N the base width (the readout's fan-in is 8N) */
  return rlz_graph_end(g, e, p == RICHETA_PARAMETERIZATION_MF ? (double)N : 1.0);
}

/* An image architecture needs the image shape and its depth label. */
static richeta_status image_arch_check(rlz_err *e, const char *name, bool image, int64_t L,
                                       int64_t label) {
  if (!image)
    return rlz_fail(e, RICHETA_ERR_INVALID,
                    "model: arch=%s needs the input image shape: set image_channels, "
                    "image_height and image_width (D = their product)",
                    name);
  if (L != label)
    return rlz_fail(e, RICHETA_ERR_INVALID,
                    "model: arch=%s is labelled L = %lld for the gamma rule, as the paper's code "
                    "labels it (got L = %lld; set L=%lld)",
                    name, (long long)label, (long long)L, (long long)label);
  return RICHETA_OK;
}

richeta_status rlz_graph_from_config(rlz_graph *g, const richeta_config *cfg, const rlz_alloc *a,
                                     rlz_err *e) {
  int64_t D = rlz_config_int(cfg, RICHETA_PARAM_INPUT_DIM);
  int64_t N = rlz_config_int(cfg, RICHETA_PARAM_WIDTH);
  int64_t C = rlz_config_int(cfg, RICHETA_PARAM_OUTPUT_DIM);
  int64_t L = rlz_config_int(cfg, RICHETA_PARAM_DEPTH);
  int bias = (int)rlz_config_int(cfg, RICHETA_PARAM_BIAS);
  richeta_activation act = (richeta_activation)rlz_config_int(cfg, RICHETA_PARAM_ACTIVATION);
  richeta_parameterization p =
      (richeta_parameterization)rlz_config_int(cfg, RICHETA_PARAM_PARAMETERIZATION);
  double gamma = rlz_config_double(cfg, RICHETA_PARAM_GAMMA);
  int64_t arch = rlz_config_int(cfg, RICHETA_PARAM_ARCH);
  int64_t ic = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_CHANNELS);
  int64_t ih = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_HEIGHT);
  int64_t iw = rlz_config_int(cfg, RICHETA_PARAM_IMAGE_WIDTH);
  if (!isfinite(gamma) || !(gamma > 0))
    return rlz_fail(e, RICHETA_ERR_RANGE, "model: gamma = %g must be finite and > 0", gamma);
  bool image = ic > 0 || ih > 0 || iw > 0;
  richeta_status st;
  if (image && (ic < 1 || ih < 1 || iw < 1))
    return rlz_fail(e, RICHETA_ERR_RANGE,
                    "model: image_channels, image_height and image_width must all be >= 1 "
                    "(got %lld, %lld, %lld) or all 0",
                    (long long)ic, (long long)ih, (long long)iw);
  if (image && (double)ic * (double)ih * (double)iw != (double)D)
    return rlz_fail(e, RICHETA_ERR_MISMATCH,
                    "model: D = %lld is not image_channels * image_height * image_width = "
                    "%lld * %lld * %lld",
                    (long long)D, (long long)ic, (long long)ih, (long long)iw);
  switch (arch) {
  case RICHETA_ARCH_MLP:
    return rlz_graph_mlp(g, a, e, D, N, C, L, bias, act, p, gamma, false);
  case RICHETA_ARCH_CNN:
    if ((st = image_arch_check(e, "cnn", image, L, 4)) != RICHETA_OK)
      return st;
    return rlz_graph_cnn(g, a, e, ic, ih, iw, N, C, bias, act, p, gamma,
                         (richeta_conv_scale)rlz_config_int(cfg, RICHETA_PARAM_CONV_SCALE), false);
  case RICHETA_ARCH_RESNET18:
    if ((st = image_arch_check(e, "resnet18", image, L, 3)) != RICHETA_OK)
      return st;
    return rlz_graph_resnet18(g, a, e, ic, ih, iw, N, C, bias, act, p, gamma,
                              (richeta_conv_scale)rlz_config_int(cfg, RICHETA_PARAM_CONV_SCALE));
  default:
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED, "model: unknown architecture %lld",
                    (long long)arch);
  }
}
