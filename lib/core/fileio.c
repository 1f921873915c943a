/* Regular-file reads that never block, and crash-safe atomic writes that
 * never replace what is not a regular file (see fileio.h). */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define RLZ_MAX_LINK_HOPS 40
/* A temporary younger than this may belong to a writer between mkstemp and
 * flock: never removed. */
#define RLZ_STALE_TMP_SECONDS 10

static const char *file_kind(mode_t m) {
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISCHR(m))
    return "a character device";
  if (S_ISBLK(m))
    return "a block device";
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISSOCK(m))
    return "a socket";
  return "not a regular file";
}

richeta_status rlz_open_regular(rlz_err *e, const char *path, int *fd, struct stat *st) {
  *fd = -1;
  struct stat sb;
  /* the type first, so that a FIFO or a device is never opened at all */
  if (stat(path, &sb) != 0)
    return rlz_fail(e, RICHETA_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode))
    return rlz_fail(e, RICHETA_ERR_IO, "'%s' is not a regular file (it is %s)", path,
                    file_kind(sb.st_mode));
  /* non-blocking, in case it was swapped for a FIFO since the stat */
  int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (f < 0)
    return rlz_fail(e, RICHETA_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
  if (fstat(f, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(f);
    return rlz_fail(e, RICHETA_ERR_IO, "'%s' is not a regular file", path);
  }
  int fl = fcntl(f, F_GETFL);
  if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    int err = errno;
    close(f);
    return rlz_fail(e, RICHETA_ERR_IO, "cannot read '%s': %s", path, strerror(err));
  }
  if (st)
    *st = sb;
  *fd = f;
  return RICHETA_OK;
}

richeta_status rlz_read_file(const rlz_alloc *a, rlz_err *e, const char *path, size_t max_bytes,
                             char **data, size_t *size) {
  *data = NULL;
  *size = 0;
  int fd;
  struct stat st;
  richeta_status s = rlz_open_regular(e, path, &fd, &st);
  if (s != RICHETA_OK)
    return s;
  if ((uint64_t)st.st_size > max_bytes) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_RANGE, "'%s' is %lld bytes, more than the limit of %zu", path,
                    (long long)st.st_size, max_bytes);
  }
  /* Read to the end, not to st_size: /proc files report 0 bytes and hold
   * text, and a file may grow while it is read. */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  if (cap < 4096)
    cap = 4096;
  if (cap > max_bytes + 1)
    cap = max_bytes + 1;
  char *buf = rlz_malloc(a, cap);
  if (!buf) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes to read '%s'", cap, path);
  }
  for (;;) {
    if (n + 1 == cap) { /* room for one more byte and the NUL */
      if (n >= max_bytes) {
        close(fd);
        rlz_free(a, buf);
        return rlz_fail(e, RICHETA_ERR_RANGE, "'%s' holds more than the limit of %zu bytes", path,
                        max_bytes);
      }
      size_t ncap = cap > (max_bytes + 1) / 2 ? max_bytes + 1 : 2 * cap;
      char *nb = rlz_malloc(a, ncap);
      if (!nb) {
        close(fd);
        rlz_free(a, buf);
        return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes to read '%s'", ncap, path);
      }
      memcpy(nb, buf, n);
      rlz_free(a, buf);
      buf = nb;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int err = errno;
      close(fd);
      rlz_free(a, buf);
      return rlz_fail(e, RICHETA_ERR_IO, "cannot read '%s': %s", path, strerror(err));
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *data = buf;
  *size = n;
  return RICHETA_OK;
}

/* ---- atomic writes ------------------------------------------------------ */

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

/* dir receives the directory part of path ("." when none). */
static int dir_of(const char *path, char *dir, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return snprintf(dir, cap, ".") < (int)cap ? 0 : -1;
  size_t len = (size_t)(slash - path);
  if (len == 0)
    len = 1; /* root */
  if (len >= cap)
    return -1;
  memcpy(dir, path, len);
  dir[len] = '\0';
  return 0;
}

static void sync_parent_dir(const char *path) {
  char dir[4096];
  if (dir_of(path, dir, sizeof dir) != 0)
    return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd); /* best effort: some file systems refuse directory fsync */
    close(fd);
  }
}

/* Follow path through symbolic links to the file a rename must replace:
 * a regular file, or a name that does not exist yet. *mode receives the
 * existing file's permission bits (0644 for a new file). */
static richeta_status resolve_dest(rlz_err *e, const char *path, char *dest, size_t cap,
                                   mode_t *mode) {
  if (strlen(path) >= cap)
    return rlz_fail(e, RICHETA_ERR_RANGE, "path too long: '%s'", path);
  strcpy(dest, path);
  *mode = 0644;
  for (int hop = 0; hop <= RLZ_MAX_LINK_HOPS; hop++) {
    struct stat sb;
    if (lstat(dest, &sb) != 0) {
      if (errno == ENOENT)
        return RICHETA_OK; /* a new file (its directory must exist: the create says) */
      return rlz_fail(e, RICHETA_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    }
    if (S_ISREG(sb.st_mode)) {
      *mode = sb.st_mode & 07777;
      return RICHETA_OK;
    }
    if (!S_ISLNK(sb.st_mode))
      return rlz_fail(e, RICHETA_ERR_IO,
                      "refusing to replace '%s': it is %s, not a regular file (left as it is)",
                      strcmp(dest, path) ? dest : path, file_kind(sb.st_mode));
    char target[4096];
    ssize_t len = readlink(dest, target, sizeof target - 1);
    if (len < 0)
      return rlz_fail(e, RICHETA_ERR_IO, "cannot read the link '%s': %s", dest, strerror(errno));
    target[len] = '\0';
    if (target[0] == '/') {
      if ((size_t)len >= cap)
        return rlz_fail(e, RICHETA_ERR_RANGE, "link target too long: '%s'", target);
      strcpy(dest, target);
    } else { /* relative to the link's directory */
      char dir[4096];
      if (dir_of(dest, dir, sizeof dir) != 0)
        return rlz_fail(e, RICHETA_ERR_RANGE, "path too long: '%s'", dest);
      int n = strchr(dest, '/') ? snprintf(dest, cap, "%s/%s", dir, target)
                                : snprintf(dest, cap, "%s", target);
      if (n < 0 || (size_t)n >= cap)
        return rlz_fail(e, RICHETA_ERR_RANGE, "link target too long: '%s'", target);
    }
  }
  return rlz_fail(e, RICHETA_ERR_IO, "cannot write '%s': too many levels of symbolic links", path);
}

richeta_status rlz_atomic_begin(rlz_atomic_file *w, rlz_err *e, const char *path) {
  w->fd = -1;
  w->tmp[0] = '\0';
  mode_t mode;
  richeta_status s = resolve_dest(e, path, w->dest, sizeof w->dest, &mode);
  if (s != RICHETA_OK)
    return s;
  /* A unique temporary name per call (mkstemp), so that concurrent writers
   * of one path, threads of one process included, never share it. */
  int n = snprintf(w->tmp, sizeof w->tmp, "%s.tmp.XXXXXX", w->dest);
  if (n < 0 || (size_t)n >= sizeof w->tmp)
    return rlz_fail(e, RICHETA_ERR_RANGE, "path too long: '%s'", w->dest);
  int fd = mkostemp(w->tmp, O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    w->tmp[0] = '\0';
    return rlz_fail(e, RICHETA_ERR_IO, "cannot create a temporary file next to '%s': %s", w->dest,
                    strerror(err));
  }
  /* The lock tells rlz_atomic_clean_stale that this writer is alive; it
   * goes away with the descriptor, also when the process is killed. */
  if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fchmod(fd, mode) != 0) {
    int err = errno;
    close(fd);
    unlink(w->tmp);
    w->tmp[0] = '\0';
    return rlz_fail(e, RICHETA_ERR_IO, "cannot prepare a temporary file next to '%s': %s", w->dest,
                    strerror(err));
  }
  w->fd = fd;
  return RICHETA_OK;
}

void rlz_atomic_abort(rlz_atomic_file *w) {
  if (w->fd >= 0)
    close(w->fd);
  w->fd = -1;
  if (w->tmp[0])
    unlink(w->tmp);
  w->tmp[0] = '\0';
}

richeta_status rlz_atomic_write(rlz_atomic_file *w, rlz_err *e, const void *data, size_t size) {
  if (w->fd < 0)
    return rlz_fail(e, RICHETA_ERR_STATE, "write to a closed temporary file");
  if (write_all(w->fd, data, size) != 0) {
    int err = errno;
    rlz_fail(e, RICHETA_ERR_IO, "cannot write '%s': %s", w->tmp, strerror(err));
    rlz_atomic_abort(w);
    return RICHETA_ERR_IO;
  }
  return RICHETA_OK;
}

richeta_status rlz_atomic_commit(rlz_atomic_file *w, rlz_err *e) {
  if (w->fd < 0)
    return rlz_fail(e, RICHETA_ERR_STATE, "commit of a closed temporary file");
  if (fsync(w->fd) != 0) {
    int err = errno;
    rlz_fail(e, RICHETA_ERR_IO, "cannot write '%s': %s", w->tmp, strerror(err));
    rlz_atomic_abort(w);
    return RICHETA_ERR_IO;
  }
  /* Check the destination again: it may have become a special file since
   * begin (the window is small; this narrows it further). */
  struct stat sb;
  if (lstat(w->dest, &sb) == 0 && !S_ISREG(sb.st_mode)) {
    rlz_fail(e, RICHETA_ERR_IO, "refusing to replace '%s': it is %s, not a regular file", w->dest,
             file_kind(sb.st_mode));
    rlz_atomic_abort(w);
    return RICHETA_ERR_IO;
  }
  if (rename(w->tmp, w->dest) != 0) {
    int err = errno;
    rlz_fail(e, RICHETA_ERR_IO, "cannot rename '%s' to '%s': %s", w->tmp, w->dest, strerror(err));
    rlz_atomic_abort(w);
    return RICHETA_ERR_IO;
  }
  w->tmp[0] = '\0'; /* renamed: nothing to unlink */
  int cr = close(w->fd);
  int cerr = errno;
  w->fd = -1;
  sync_parent_dir(w->dest);
  rlz_atomic_clean_stale(w->dest);
  if (cr != 0)
    return rlz_fail(e, RICHETA_ERR_IO, "cannot close '%s': %s", w->dest, strerror(cerr));
  return RICHETA_OK;
}

richeta_status rlz_write_file_atomic(rlz_err *e, const char *path, const void *data, size_t size) {
  rlz_atomic_file w;
  richeta_status s = rlz_atomic_begin(&w, e, path);
  if (s == RICHETA_OK)
    s = rlz_atomic_write(&w, e, data, size);
  if (s == RICHETA_OK)
    s = rlz_atomic_commit(&w, e);
  rlz_atomic_abort(&w);
  return s;
}

/* 1 when name is base + ".tmp." + six mkstemp characters. */
static int is_tmp_of(const char *name, const char *base) {
  size_t bl = strlen(base);
  if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".tmp.", 5) != 0)
    return 0;
  const char *x = name + bl + 5;
  if (strlen(x) != 6)
    return 0;
  for (int i = 0; i < 6; i++) {
    char c = x[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return 0;
  }
  return 1;
}

int rlz_atomic_clean_stale(const char *dest) {
  char dir[4096];
  if (dir_of(dest, dir, sizeof dir) != 0)
    return 0;
  const char *slash = strrchr(dest, '/');
  const char *base = slash ? slash + 1 : dest;
  if (!*base)
    return 0;
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return 0;
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return 0;
  }
  int removed = 0;
  time_t now = time(NULL);
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (!is_tmp_of(ent->d_name, base))
      continue;
    int fd = openat(dfd, ent->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
      continue;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime >= RLZ_STALE_TMP_SECONDS &&
        flock(fd, LOCK_EX | LOCK_NB) == 0) {
      if (unlinkat(dfd, ent->d_name, 0) == 0)
        removed++;
    }
    close(fd);
  }
  closedir(d);
  return removed;
}
