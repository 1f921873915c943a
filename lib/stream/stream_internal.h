/* Internal access to streams for the trainer. */
#ifndef RLZ_STREAM_INTERNAL_H
#define RLZ_STREAM_INTERNAL_H

#include "core/core.h"
#include <richlazy/data.h>
#include <richlazy/stream.h>

/* Training batch of step t in dtype (F32 or F64); same contract as the
 * public batch functions. */
richeta_status rlz_stream_batch(richeta_stream *s, int64_t step, richeta_dtype dtype, void *x,
                                void *y);
/* The stream's richeta_task (RICHETA_TASK_CALLBACK for host streams). */
int rlz_stream_kind(const richeta_stream *s);
/* Whether the stream's targets are class probabilities by construction:
 * a data set's one-hot labels, or labels=argmax on a teacher. Host
 * streams are not (their batches are checked). */
bool rlz_stream_gives_classes(const richeta_stream *s);
/* The stream's error buffer (for copying messages into a trainer). */
const char *rlz_stream_msg(const richeta_stream *s);

/* Open a file stream's training split (data_path of cfg, standardized by
 * its data_norm) and, when the spec names one, its held-out split (NULL
 * otherwise), checking D, C and any image shape of cfg. */
richeta_status rlz_stream_file_open(const rlz_alloc *a, rlz_err *e, const richeta_config *cfg,
                                    richeta_dataset **train, richeta_dataset **test);

/* ---- function tasks (tasks.c): single/multi-index, staircase, parity ---- */

typedef struct rlz_task {
  int64_t task;     /* richeta_task */
  bool sign_inputs; /* inputs are signs of the Gaussian draws */
  int64_t D, p, k;  /* input dimension, Hermite degree, relevant directions */
  double hnorm;     /* index tasks: 1 / sqrt(p! k) */
  double *dirs;     /* index tasks: k x D orthonormal directions, else NULL */
  double *proj;     /* index tasks: B x k projections workspace, else NULL */
} rlz_task;

/* True for the tasks whose targets are computed here. */
bool rlz_task_is_function(int64_t task);
/* Whether a task's inputs are signs, given RICHETA_PARAM_TASK_INPUTS. */
bool rlz_task_sign_inputs(int64_t task, int64_t inputs);
/* Probabilists' Hermite polynomial He_p(z) (three-term recurrence). */
double rlz_hermite(int64_t p, double z);
/* Read degree, k and inputs from cfg and draw the directions from seed;
 * checks C == 1 and k <= D. Errors go to the thread-local message. */
richeta_status rlz_task_init(rlz_task *t, const rlz_alloc *a, const richeta_config *cfg,
                             uint64_t seed, int64_t D, int64_t C, int64_t B);
void rlz_task_free(rlz_task *t, const rlz_alloc *a);
/* x[i] = sign(x[i]) in {-1, +1} (0 maps to +1). */
void rlz_task_sign(int64_t n, double *x);
/* Targets y (n) of n <= B samples x (n x D). */
richeta_status rlz_task_targets(const rlz_task *t, rlz_err *e, int64_t n, const double *x,
                                double *y);
/* The k x D directions of an index task (NULL and *k = 0 otherwise). */
const double *rlz_task_directions(const rlz_task *t, int64_t *k);
/* The stream's task (for tests: directions of index tasks). */
const rlz_task *rlz_stream_task(const richeta_stream *s);

#endif
