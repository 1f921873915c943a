/* Files for the data-set tests, written by the tests themselves: a
 * scratch directory per test, byte builders, NPY, IDX and zip (NPZ)
 * encoders (see data_files.h). */
#include "data_files.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---------- scratch directory (one per test, removed afterwards) ---------- */

char tmpdir[256];

void setup(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/rlzdataXXXXXX", base && *base ? base : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Remove a directory and what it holds, one level of subdirectories deep
 * (npzdir tests write directories of parts). */
static void remove_tree(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char p[900];
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      if (unlink(p) != 0 && depth > 0)
        remove_tree(p, depth - 1);
    }
    closedir(d);
  }
  rmdir(dir);
}

void teardown(void) { remove_tree(tmpdir, 1); }

/* Path of a scratch file; four rotating buffers so a spec can use several. */
const char *tpath(const char *name) {
  static char bufs[4][600];
  static int k;
  char *b = bufs[k++ & 3];
  snprintf(b, 600, "%s/%s", tmpdir, name);
  return b;
}

void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(p, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

void write_gz(const char *path, const void *p, size_t n) {
  gzFile g = gzopen(path, "wb");
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(gzwrite(g, p, (unsigned)n), (int)n);
  ck_assert_int_eq(gzclose(g), Z_OK);
}

/* ---------- byte builders ---------- */

void put(bytes *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    ck_assert_ptr_nonnull(b->p);
  }
  if (n)
    memcpy(b->p + b->n, src, n);
  b->n += n;
}
void put16(bytes *b, uint32_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put(b, x, 2);
}
void put32(bytes *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(b, x, 4);
}
void put64(bytes *b, uint64_t v) {
  put32(b, (uint32_t)v);
  put32(b, (uint32_t)(v >> 32));
}
void putbe32(bytes *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  put(b, x, 4);
}

/* NPY file with the given dict text, padded like numpy (total header a
 * multiple of 64, ending in '\n'). */
bytes npy_raw(int major, const char *dict, const void *data, size_t nbytes) {
  bytes b = {0};
  const uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)major, 0};
  put(&b, magic, 8);
  size_t prefix = major == 1 ? 10 : 12, dl = strlen(dict);
  size_t hlen = dl + 1;
  while ((prefix + hlen) % 64)
    hlen++;
  if (major == 1)
    put16(&b, (uint32_t)hlen);
  else
    put32(&b, (uint32_t)hlen);
  put(&b, dict, dl);
  for (size_t i = dl; i + 1 < hlen; i++)
    put(&b, " ", 1);
  put(&b, "\n", 1);
  put(&b, data, nbytes);
  return b;
}

bytes npy_make(const char *descr, const char *shape, const void *data, size_t nbytes) {
  char dict[256];
  snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr,
           shape);
  return npy_raw(1, dict, data, nbytes);
}

void write_npy(const char *name, const char *descr, const char *shape, const void *data,
               size_t nbytes) {
  bytes b = npy_make(descr, shape, data, nbytes);
  write_file(tpath(name), b.p, b.n);
  free(b.p);
}

bytes idx_make(uint8_t type, int ndim, const uint32_t *dims, const void *data, size_t nbytes) {
  bytes b = {0};
  uint8_t m[4] = {0, 0, type, (uint8_t)ndim};
  put(&b, m, 4);
  for (int k = 0; k < ndim; k++)
    putbe32(&b, dims[k]);
  put(&b, data, nbytes);
  return b;
}

bytes zip_make(const zmember *m, int count, bool numpy_style) {
  bytes b = {0}, cd = {0};
  for (int i = 0; i < count; i++) {
    uint32_t crc = (uint32_t)crc32(0L, m[i].data, (uInt)m[i].len);
    uint8_t *comp = NULL;
    size_t clen = m[i].len;
    if (m[i].method == 8) {
      z_stream zs;
      memset(&zs, 0, sizeof zs);
      ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
      size_t bound = deflateBound(&zs, (uLong)m[i].len);
      comp = malloc(bound);
      zs.next_in = (Bytef *)(uintptr_t)m[i].data;
      zs.avail_in = (uInt)m[i].len;
      zs.next_out = comp;
      zs.avail_out = (uInt)bound;
      ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
      clen = zs.total_out;
      deflateEnd(&zs);
    }
    uint32_t off = (uint32_t)b.n;
    size_t nl = strlen(m[i].name);
    put32(&b, 0x04034b50u);
    put16(&b, numpy_style ? 45 : 20);
    put16(&b, 0);
    put16(&b, (uint32_t)m[i].method);
    put16(&b, 0);
    put16(&b, 0);
    put32(&b, crc);
    put32(&b, numpy_style ? 0xFFFFFFFFu : (uint32_t)clen);
    put32(&b, numpy_style ? 0xFFFFFFFFu : (uint32_t)m[i].len);
    put16(&b, (uint32_t)nl);
    put16(&b, numpy_style ? 20 : 0);
    put(&b, m[i].name, nl);
    if (numpy_style) {
      put16(&b, 1);
      put16(&b, 16);
      put64(&b, m[i].len);
      put64(&b, clen);
    }
    put(&b, comp ? comp : m[i].data, clen);
    free(comp);
    put32(&cd, 0x02014b50u);
    put16(&cd, 20);
    put16(&cd, 20);
    put16(&cd, 0);
    put16(&cd, (uint32_t)m[i].method);
    put16(&cd, 0);
    put16(&cd, 0);
    put32(&cd, crc);
    put32(&cd, (uint32_t)clen);
    put32(&cd, (uint32_t)m[i].len);
    put16(&cd, (uint32_t)nl);
    put16(&cd, 0);
    put16(&cd, 0);
    put16(&cd, 0);
    put16(&cd, 0);
    put32(&cd, 0);
    put32(&cd, off);
    put(&cd, m[i].name, nl);
  }
  uint32_t cd_off = (uint32_t)b.n;
  put(&b, cd.p, cd.n);
  put32(&b, 0x06054b50u);
  put16(&b, 0);
  put16(&b, 0);
  put16(&b, (uint32_t)count);
  put16(&b, (uint32_t)count);
  put32(&b, (uint32_t)cd.n);
  put32(&b, cd_off);
  put16(&b, 0);
  free(cd.p);
  return b;
}

/* Open and expect a status; the message must contain `what` when given. */
void expect_open(const char *spec, richeta_status want, const char *what) {
  richeta_dataset *ds = (richeta_dataset *)1;
  richeta_status st = richeta_dataset_open(&ds, spec, NULL);
  ck_assert_msg(st == want, "spec %s: status %d (%s), expected %d; message: %s", spec, (int)st,
                richeta_status_string(st), (int)want, richeta_last_error());
  if (want != RICHETA_OK) {
    ck_assert_ptr_null(ds);
    ck_assert_msg(strlen(richeta_last_error()) > 0, "no message for %s", spec);
    if (what)
      ck_assert_msg(strstr(richeta_last_error(), what) != NULL, "message '%s' lacks '%s'",
                    richeta_last_error(), what);
  }
  richeta_dataset_free(want == RICHETA_OK ? ds : NULL);
}

richeta_dataset *open_ok(const char *spec) {
  richeta_dataset *ds = NULL;
  richeta_status st = richeta_dataset_open(&ds, spec, NULL);
  ck_assert_msg(st == RICHETA_OK, "open %s: %s", spec, richeta_last_error());
  return ds;
}
