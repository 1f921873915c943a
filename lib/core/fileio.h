/* Files the library reads and writes, treated as hostile paths:
 *
 * - reads open only regular files, and never block on a FIFO (the type is
 *   checked before the open and again on the descriptor, which is opened
 *   non-blocking); they read to the end of the file, not to the size that
 *   stat reports, so /proc files are read as what they hold;
 * - writes are atomic: a uniquely named temporary file `<dest>.tmp.XXXXXX`
 *   in the destination's directory, fsync, rename, fsync of the directory,
 *   so that a crash at any moment leaves either the old or the new file.
 *   A path that names a symbolic link is written through it: the link's
 *   final target is replaced and the link stays. A path that names (or
 *   whose links end at) anything but a regular file - a device, a FIFO, a
 *   socket, a directory - is refused and left alone. Temporary files of
 *   writers that were killed are removed by the next successful write to
 *   the same destination (a live writer holds a lock on its temporary). */
#ifndef RLZ_FILEIO_H
#define RLZ_FILEIO_H

#include "core.h"

#include <sys/stat.h>

/* Open path read-only if it is a regular file: *fd receives the descriptor
 * (blocking mode, close-on-exec) and st, when not NULL, its fstat. Other
 * file types give RICHETA_ERR_IO "is not a regular file" without blocking. */
richeta_status rlz_open_regular(rlz_err *e, const char *path, int *fd, struct stat *st);

/* Read all of path into a new buffer (freed with rlz_free(a, *data)).
 * Files larger than max_bytes give RICHETA_ERR_RANGE. A NUL is appended
 * (not counted in *size) so text parsers may treat it as a string. */
richeta_status rlz_read_file(const rlz_alloc *a, rlz_err *e, const char *path, size_t max_bytes,
                             char **data, size_t *size);

/* An atomic write in progress. */
typedef struct rlz_atomic_file {
  int fd;          /* the temporary file, -1 when closed */
  char tmp[4096];  /* its name */
  char dest[4096]; /* the file it will replace (symbolic links resolved) */
} rlz_atomic_file;

/* Start replacing path: resolve it (links followed, special files refused),
 * create the locked temporary file. On failure nothing is left behind and
 * w->fd is -1. */
richeta_status rlz_atomic_begin(rlz_atomic_file *w, rlz_err *e, const char *path);
/* Append bytes to the temporary file. */
richeta_status rlz_atomic_write(rlz_atomic_file *w, rlz_err *e, const void *data, size_t size);
/* fsync, rename over the destination, fsync its directory, remove stale
 * temporaries of dead writers. On failure the temporary is removed and the
 * destination is untouched. */
richeta_status rlz_atomic_commit(rlz_atomic_file *w, rlz_err *e);
/* Drop the temporary file (the destination is untouched). Safe after a
 * failed begin or a commit. */
void rlz_atomic_abort(rlz_atomic_file *w);

/* Replace path with the given bytes atomically (begin, write, commit). */
richeta_status rlz_write_file_atomic(rlz_err *e, const char *path, const void *data, size_t size);

/* Remove the temporaries `<dest>.tmp.XXXXXX` left by killed writers of
 * dest: those no live writer holds a lock on and older than a few seconds.
 * Returns how many were removed. Called by rlz_atomic_commit. */
int rlz_atomic_clean_stale(const char *dest);

#endif
