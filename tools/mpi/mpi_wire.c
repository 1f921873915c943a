/* Packing of finished runs for the trip to rank 0 (see mpi_wire.h). */
#include "mpi_wire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct result_head {
  rlz_run r;
  int64_t n; /* curve points */
  char msg[RLZ_RUN_MSG_CAP];
  uint64_t config_len; /* bytes of the run config, without its NUL */
} result_head;

/* Curve arrays in order: step (int64), then loss, test, eta, acc (double). */
static size_t curve_bytes(int64_t n) { return (size_t)n * (sizeof(int64_t) + 4 * sizeof(double)); }

void *wire_result_pack(const char *run_config, const rlz_run_out *o, size_t *size) {
  result_head h;
  memset(&h, 0, sizeof h);
  h.r = o->r;
  h.n = o->n;
  memcpy(h.msg, o->msg, sizeof h.msg);
  h.config_len = strlen(run_config);
  size_t total = sizeof h + curve_bytes(o->n) + h.config_len + 1;
  char *buf = malloc(total);
  if (!buf)
    return NULL;
  char *p = buf;
  memcpy(p, &h, sizeof h);
  p += sizeof h;
  size_t nd = (size_t)o->n * sizeof(double);
  if (o->n > 0) {
    memcpy(p, o->step, (size_t)o->n * sizeof(int64_t));
    p += (size_t)o->n * sizeof(int64_t);
    const double *arrays[4] = {o->loss, o->test, o->eta, o->acc};
    for (int k = 0; k < 4; k++) {
      if (arrays[k])
        memcpy(p, arrays[k], nd);
      else
        for (int64_t i = 0; i < o->n; i++)
          ((double *)(void *)p)[i] = (double)NAN;
      p += nd;
    }
  }
  memcpy(p, run_config, h.config_len + 1);
  *size = total;
  return buf;
}

int wire_result_view(void *buf, size_t size, rlz_run_out *o, const char **run_config) {
  result_head h;
  if (size < sizeof h)
    return -1;
  memcpy(&h, buf, sizeof h);
  if (h.n < 0 || h.n > (int64_t)(size / sizeof(double)) ||
      sizeof h + curve_bytes(h.n) + h.config_len + 1 != size)
    return -1;
  memset(o, 0, sizeof *o);
  o->r = h.r;
  o->n = h.n;
  memcpy(o->msg, h.msg, sizeof o->msg);
  o->msg[sizeof o->msg - 1] = 0;
  char *p = (char *)buf + sizeof h;
  if (h.n > 0) {
    size_t nd = (size_t)h.n * sizeof(double);
    o->step = (int64_t *)(void *)p;
    p += (size_t)h.n * sizeof(int64_t);
    o->loss = (double *)(void *)p;
    o->test = (double *)(void *)(p + nd);
    o->eta = (double *)(void *)(p + 2 * nd);
    o->acc = (double *)(void *)(p + 3 * nd);
    p += 4 * nd;
  }
  if (p[h.config_len] != 0)
    return -1;
  *run_config = p;
  return 0;
}
