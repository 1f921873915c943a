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
/* The stream's error buffer (for copying messages into a trainer). */
const char *rlz_stream_msg(const richeta_stream *s);

/* Open a file stream's training split (standardized) and, when the spec
 * names one, its test split (NULL otherwise), checking D and C. */
richeta_status rlz_stream_file_open(const rlz_alloc *a, rlz_err *e, const char *spec, int64_t D,
                                    int64_t C, richeta_dataset **train, richeta_dataset **test);

#endif
