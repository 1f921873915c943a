/* Whole-file reads with a size cap, and atomic writes (a uniquely named
 * temporary file `<path>.tmp.XXXXXX` in the same directory, fsync, rename,
 * fsync of the directory) so that a crash at any moment leaves either the
 * old or the new file. */
#ifndef RLZ_FILEIO_H
#define RLZ_FILEIO_H

#include "core.h"

/* Read all of path into a new buffer (freed with rlz_free(a, *data)).
 * Files larger than max_bytes give RICHETA_ERR_RANGE. A NUL is appended
 * (not counted in *size) so text parsers may treat it as a string. */
richeta_status rlz_read_file(const rlz_alloc *a, rlz_err *e, const char *path, size_t max_bytes,
                             char **data, size_t *size);
/* Replace path with the given bytes atomically. */
richeta_status rlz_write_file_atomic(rlz_err *e, const char *path, const void *data, size_t size);

#endif
