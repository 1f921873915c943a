/* Embedding libricheta in a host framework: the host owns the data and the
 * memory. Batches come through a callback stream, every allocation goes
 * through the host's allocator (counted here), and errors come back as
 * statuses with messages. Exits non-zero if any allocation is left over.
 *
 *   cc embed.c $(pkg-config --cflags --libs richeta) -lm -o embed && ./embed
 */
#include <math.h>
#include <richlazy/richeta.h>
#include <stdio.h>
#include <stdlib.h>

/* The host's allocator: counts live blocks and bytes. */
typedef struct host_memory {
  long live_blocks, total_blocks;
} host_memory;

static void *host_alloc(void *user, size_t size, size_t alignment) {
  host_memory *m = user;
  void *p = NULL;
  if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) != 0)
    return NULL;
  m->live_blocks++;
  m->total_blocks++;
  return p;
}

static void host_free(void *user, void *ptr) {
  host_memory *m = user;
  m->live_blocks--;
  free(ptr);
}

/* The host's data: y = sin(x_0) + x_1 x_2 / 2 on Gaussian-ish inputs, made
 * deterministically from the step so that a resumed run sees the same data. */
static int host_fill(void *user, int64_t step, int64_t batch, int64_t d, int64_t c, double *x,
                     double *y) {
  (void)user;
  if (d < 3 || c != 1)
    return -1; /* a host error: comes back as RICHETA_ERR_CALLBACK */
  for (int64_t i = 0; i < batch; i++) {
    for (int64_t k = 0; k < d; k++) {
      uint64_t h = (uint64_t)(step * batch + i) * 2654435761u + (uint64_t)k * 40503u;
      x[i * d + k] = (double)(h % 2001) / 1000.0 - 1.0;
    }
    y[i] = sin(x[i * d]) + 0.5 * x[i * d + 1] * x[i * d + 2];
  }
  return 0;
}

int main(void) {
  host_memory mem = {0, 0};
  richeta_allocator alloc = {sizeof alloc, host_alloc, host_free, &mem};
  richeta_config *cfg = NULL;
  richeta_stream *stream = NULL;
  richeta_trainer *tr = NULL;
  int rc = 1;
  if (richeta_config_new(&cfg, &alloc) != RICHETA_OK ||
      richeta_config_parse(cfg, "D=4,N=32,C=1,L=2,B=16,T=200,eta0=0.05,task=callback") !=
          RICHETA_OK) {
    fprintf(stderr, "config: %s\n", richeta_last_error());
    goto done;
  }
  richeta_stream_callbacks cb = {sizeof cb, host_fill, NULL};
  if (richeta_stream_new_callback(&stream, cfg, &cb) != RICHETA_OK ||
      richeta_trainer_new_with_stream(&tr, cfg, stream) != RICHETA_OK) {
    fprintf(stderr, "setup: %s\n", richeta_last_error());
    goto done;
  }
  if (richeta_trainer_run(tr, INT64_MAX, NULL) != RICHETA_OK) {
    fprintf(stderr, "run: %s\n", richeta_trainer_last_error(tr));
    goto done;
  }
  int64_t n = 0;
  double first = 0, last = 0;
  richeta_trainer_log(tr, NULL, NULL, NULL, NULL, 0, &n);
  double *loss = malloc((size_t)n * sizeof *loss);
  if (loss && richeta_trainer_log(tr, NULL, loss, NULL, NULL, n, &n) == RICHETA_OK) {
    first = loss[0];
    last = loss[n - 1];
  }
  free(loss);
  printf("host-fed training: loss %.4f -> %.4f over %lld logged points, %ld allocations\n", first,
         last, (long long)n, mem.total_blocks);
  rc = last < first ? 0 : 1;
done:
  richeta_trainer_free(tr);
  richeta_stream_free(stream);
  richeta_config_free(cfg);
  if (mem.live_blocks != 0) {
    fprintf(stderr, "leak: %ld blocks still allocated\n", mem.live_blocks);
    rc = 1;
  }
  return rc;
}
