/* Cross-entropy from class indices: the labels are checked and expanded to
 * the one-hot rows the probability-target entry points take, so the results
 * are those of richeta_model_loss_grad_f64/_f32 on those rows, bit for bit. */
#include "model/model_internal.h"

#include <string.h>

static richeta_status loss_grad_labels(richeta_model *m, const void *x, const int32_t *labels,
                                       int64_t batch, richeta_dtype dtype, double *loss, void *grad,
                                       int64_t grad_len, const char *fn) {
  if (!m)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "%s: model is NULL", fn);
  if (!x || !labels)
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_NULL, "%s: %s is NULL", fn, !x ? "x" : "labels");
  if (batch < 1)
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_RANGE, "%s: batch %lld < 1", fn,
                    (long long)batch);
  int64_t loss_kind = 0, C = 0;
  richeta_model_get_int(m, RICHETA_PARAM_LOSS, &loss_kind);
  richeta_model_get_int(m, RICHETA_PARAM_OUTPUT_DIM, &C);
  if (loss_kind != RICHETA_LOSS_CROSS_ENTROPY)
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_UNSUPPORTED,
                    "%s: class labels need loss=ce (the model's loss is mse: give targets)", fn);
  for (int64_t i = 0; i < batch; i++)
    if (labels[i] < 0 || labels[i] >= C)
      return rlz_fail(rlz_model_err(m), RICHETA_ERR_INVALID,
                      "%s: label of sample %lld is %ld, outside the %lld classes (0..%lld)", fn,
                      (long long)i, (long)labels[i], (long long)C, (long long)C - 1);
  if (batch > INT64_MAX / C)
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_OVERFLOW, "%s: batch %lld x %lld classes", fn,
                    (long long)batch, (long long)C);
  size_t elem = dtype == RICHETA_DTYPE_F64 ? sizeof(double) : sizeof(float);
  void *y = rlz_calloc(rlz_model_alloc(m), (size_t)(batch * C), elem);
  if (!y)
    return rlz_fail(rlz_model_err(m), RICHETA_ERR_NOMEM, "%s: out of memory", fn);
  richeta_status st;
  if (dtype == RICHETA_DTYPE_F64) {
    double *t = y;
    for (int64_t i = 0; i < batch; i++)
      t[i * C + labels[i]] = 1.0;
    st = richeta_model_loss_grad_f64(m, x, t, batch, loss, grad, grad_len);
  } else {
    float *t = y;
    for (int64_t i = 0; i < batch; i++)
      t[i * C + labels[i]] = 1.0f;
    st = richeta_model_loss_grad_f32(m, x, t, batch, loss, grad, grad_len);
  }
  rlz_free(rlz_model_alloc(m), y);
  return st;
}

richeta_status richeta_model_loss_grad_labels_f64(richeta_model *m, const double *x,
                                                  const int32_t *labels, int64_t batch,
                                                  double *loss, double *grad, int64_t grad_len) {
  return loss_grad_labels(m, x, labels, batch, RICHETA_DTYPE_F64, loss, grad, grad_len,
                          "richeta_model_loss_grad_labels_f64");
}

richeta_status richeta_model_loss_grad_labels_f32(richeta_model *m, const float *x,
                                                  const int32_t *labels, int64_t batch,
                                                  double *loss, float *grad, int64_t grad_len) {
  return loss_grad_labels(m, x, labels, batch, RICHETA_DTYPE_F32, loss, grad, grad_len,
                          "richeta_model_loss_grad_labels_f32");
}
