/* Capped whole-file reads and crash-safe atomic writes. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

richeta_status rlz_read_file(const rlz_alloc *a, rlz_err *e, const char *path, size_t max_bytes,
                             char **data, size_t *size) {
  *data = NULL;
  *size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return rlz_fail(e, RICHETA_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_IO, "'%s' is not a regular file", path);
  }
  if ((uint64_t)st.st_size > max_bytes) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_RANGE, "'%s' is %lld bytes, more than the limit of %zu", path,
                    (long long)st.st_size, max_bytes);
  }
  size_t n = (size_t)st.st_size;
  char *buf = rlz_malloc(a, n + 1);
  if (!buf) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes to read '%s'", n + 1, path);
  }
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) { /* file shrank or failed while reading */
      close(fd);
      rlz_free(a, buf);
      return rlz_fail(e, RICHETA_ERR_IO, "short read on '%s' (%zu of %zu bytes)", path, got, n);
    }
    got += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *data = buf;
  *size = n;
  return RICHETA_OK;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void sync_parent_dir(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    strcpy(dir, ".");
  } else {
    size_t len = (size_t)(slash - path);
    if (len == 0)
      len = 1; /* root */
    if (len >= sizeof dir)
      return;
    memcpy(dir, path, len);
    dir[len] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd); /* best effort: some file systems refuse directory fsync */
    close(fd);
  }
}

richeta_status rlz_write_file_atomic(rlz_err *e, const char *path, const void *data,
                                     size_t size) {
  /* A unique temporary name per call (mkstemp), so that concurrent writers
   * of one path, threads of one process included, never share it. */
  char tmp[4096];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
  if (n < 0 || (size_t)n >= sizeof tmp)
    return rlz_fail(e, RICHETA_ERR_RANGE, "path too long: '%s'", path);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return rlz_fail(e, RICHETA_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
  if (fchmod(fd, 0644) != 0) { /* mkstemp creates 0600; checkpoints are ordinary files */
    int err = errno;
    close(fd);
    unlink(tmp);
    return rlz_fail(e, RICHETA_ERR_IO, "cannot set the mode of '%s': %s", tmp, strerror(err));
  }
  if (write_all(fd, data, size) != 0 || fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp);
    return rlz_fail(e, RICHETA_ERR_IO, "cannot write '%s': %s", tmp, strerror(err));
  }
  if (close(fd) != 0) {
    unlink(tmp);
    return rlz_fail(e, RICHETA_ERR_IO, "cannot close '%s': %s", tmp, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    int err = errno;
    unlink(tmp);
    return rlz_fail(e, RICHETA_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
                    strerror(err));
  }
  sync_parent_dir(path);
  return RICHETA_OK;
}
