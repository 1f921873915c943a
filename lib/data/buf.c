/* Bytes behind a data set: files read whole when they fit the memory budget
 * and memory-mapped otherwise; decompressed data larger than the budget goes
 * to a mapped anonymous temporary file whose space is reserved up front (so
 * a full disk is an error, not a SIGBUS). */
#include "parse_priv.h"

#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Deflate cannot expand more than about 1032:1; anything claiming more is a
 * lying header, caught before allocating. */
#define RLZ_MAX_INFLATE_RATIO 1100u

richeta_status rlz_buf_read_file(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *path,
                                 uint64_t budget) {
  memset(b, 0, sizeof *b);
  int fd;
  struct stat sb;
  richeta_status st = rlz_open_regular(e, path, &fd, &sb); /* never blocks on a FIFO */
  if (st != RICHETA_OK)
    return st;
  if ((uint64_t)sb.st_size > SIZE_MAX) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "%s is too large for this address space", path);
  }
  size_t size = (size_t)sb.st_size;
  if ((uint64_t)size > budget) {
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
      return rlz_fail(e, RICHETA_ERR_IO, "cannot map %s (%zu bytes): %s", path, size,
                      strerror(errno));
    b->data = p;
    b->len = b->map_len = size;
    b->kind = RLZ_BUF_MMAP;
    return RICHETA_OK;
  }
  uint8_t *p = rlz_malloc(a, size);
  if (!p) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes for %s", size, path);
  }
  size_t got = 0;
  while (got < size) {
    ssize_t r = read(fd, p + got, size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      int err = errno;
      close(fd);
      rlz_free(a, p);
      return rlz_fail(e, RICHETA_ERR_IO, "%s: read %zu of %zu bytes: %s", path, got, size,
                      r < 0 ? strerror(err) : "file shrank while reading");
    }
    got += (size_t)r;
  }
  close(fd);
  b->data = p;
  b->len = size;
  b->kind = RLZ_BUF_HEAP;
  return RICHETA_OK;
}

richeta_status rlz_buf_create(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *name,
                              size_t size, uint64_t budget) {
  memset(b, 0, sizeof *b);
  if ((uint64_t)size <= budget) {
    b->data = rlz_malloc(a, size);
    if (!b->data)
      return rlz_fail(e, RICHETA_ERR_NOMEM, "%s: cannot allocate %zu bytes", name, size);
    b->len = size;
    b->kind = RLZ_BUF_HEAP;
    return RICHETA_OK;
  }
  FILE *f = tmpfile();
  if (!f)
    return rlz_fail(e, RICHETA_ERR_IO, "%s: cannot create a temporary file: %s", name,
                    strerror(errno));
  int fd = fileno(f);
  int rc = (uint64_t)size > (uint64_t)INT64_MAX ? EFBIG : posix_fallocate(fd, 0, (off_t)size);
  if (rc != 0) {
    fclose(f);
    return rlz_fail(e, RICHETA_ERR_IO,
                    "%s: cannot reserve %zu bytes in a temporary file (over the memory budget): %s",
                    name, size, strerror(rc));
  }
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fclose(f); /* the mapping keeps the unlinked file alive */
  if (p == MAP_FAILED)
    return rlz_fail(e, RICHETA_ERR_IO, "%s: cannot map a temporary file of %zu bytes: %s", name,
                    size, strerror(errno));
  b->data = p;
  b->len = b->map_len = size;
  b->kind = RLZ_BUF_MMAP;
  return RICHETA_OK;
}

void rlz_buf_release(rlz_buf *b, const rlz_alloc *a) {
  if (!b)
    return;
  if (b->kind == RLZ_BUF_HEAP)
    rlz_free(a, b->data);
  else if (b->kind == RLZ_BUF_MMAP && b->map_len)
    munmap(b->data, b->map_len);
  memset(b, 0, sizeof *b);
}

bool rlz_file_is_gzip(const char *path) {
  int fd;
  rlz_err scratch;
  if (rlz_open_regular(&scratch, path, &fd, NULL) != RICHETA_OK)
    return false; /* the reader that follows reports why */
  uint8_t m[2] = {0, 0};
  ssize_t r = read(fd, m, 2);
  close(fd);
  return r == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

/* Read exactly n bytes (fewer only at the end of the data or on error). */
static richeta_status gz_read_n(gzFile g, rlz_err *e, const char *path, uint8_t *dst, size_t n,
                                size_t *got) {
  *got = 0;
  while (*got < n) {
    size_t chunk = n - *got;
    if (chunk > (1u << 30))
      chunk = 1u << 30;
    int r = gzread(g, dst + *got, (unsigned)chunk);
    if (r < 0) {
      int errnum = 0;
      const char *msg = gzerror(g, &errnum);
      return rlz_fail(e, errnum == Z_ERRNO ? RICHETA_ERR_IO : RICHETA_ERR_FORMAT,
                      "%s: corrupt gzip data: %s", path, msg ? msg : "unknown zlib error");
    }
    if (r == 0) {
      /* zlib reports a stream cut short as a short read plus Z_BUF_ERROR */
      int errnum = Z_OK;
      gzerror(g, &errnum);
      if (errnum == Z_BUF_ERROR)
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: truncated gzip data (stream ends after %zu of the bytes asked for)",
                        path, *got);
      break;
    }
    *got += (size_t)r;
  }
  return RICHETA_OK;
}

richeta_status rlz_idx_read_gz(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *path,
                               uint64_t budget) {
  memset(b, 0, sizeof *b);
  struct stat sb;
  int fd;
  richeta_status ost = rlz_open_regular(e, path, &fd, &sb);
  if (ost != RICHETA_OK)
    return ost;
  gzFile g = gzdopen(fd, "rb"); /* owns fd from here */
  if (!g) {
    close(fd);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot open %s: out of memory for zlib", path);
  }
  uint8_t hdr[4 + 4 * RLZ_MAX_DIMS];
  size_t have = 0, need = 4, total = 0, got = 0;
  richeta_status st = RICHETA_OK;
  while (total == 0) {
    st = gz_read_n(g, e, path, hdr + have, need - have, &got);
    if (st != RICHETA_OK)
      goto fail;
    have += got;
    if (have < need) {
      st = rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: truncated IDX header: %zu decompressed bytes, the header needs %zu", path,
                    have, need);
      goto fail;
    }
    st = rlz_idx_declared_size(e, path, hdr, have, &need, &total);
    if (st != RICHETA_OK)
      goto fail;
  }
  uint64_t max_plausible = (uint64_t)sb.st_size * RLZ_MAX_INFLATE_RATIO + 4096u;
  if ((uint64_t)total > max_plausible) {
    st = rlz_fail(e, RICHETA_ERR_FORMAT,
                  "%s: IDX header declares %zu bytes, more than %llu compressed bytes can hold",
                  path, total, (unsigned long long)sb.st_size);
    goto fail;
  }
  st = rlz_buf_create(b, a, e, path, total, budget);
  if (st != RICHETA_OK)
    goto fail;
  memcpy(b->data, hdr, have);
  st = gz_read_n(g, e, path, b->data + have, total - have, &got);
  if (st != RICHETA_OK)
    goto fail;
  if (have + got < total) {
    st = rlz_fail(e, RICHETA_ERR_FORMAT,
                  "%s: truncated IDX file: header declares %zu bytes, gzip data holds %zu", path,
                  total, have + got);
    goto fail;
  }
  uint8_t extra;
  st = gz_read_n(g, e, path, &extra, 1, &got);
  if (st != RICHETA_OK)
    goto fail;
  if (got != 0) {
    st =
        rlz_fail(e, RICHETA_ERR_FORMAT,
                 "%s: gzip data continues past the %zu bytes the IDX header declares", path, total);
    goto fail;
  }
  gzclose(g);
  return RICHETA_OK;
fail:
  gzclose(g);
  rlz_buf_release(b, a);
  return st;
}
