/* Files for the data-set tests (check_data.c, check_images.c), written by
 * the tests themselves in a scratch directory: nothing is downloaded and
 * no fixture is committed. */
#ifndef RLZ_TESTS_DATA_FILES_H
#define RLZ_TESTS_DATA_FILES_H

#include <richlazy/data.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The scratch directory of the running test (a Check fixture: setup
 * creates it under $TMPDIR, teardown removes it and its files). */
extern char tmpdir[256];
void setup(void);
void teardown(void);
/* Path of a scratch file; four rotating buffers so a spec can use several. */
const char *tpath(const char *name);
void write_file(const char *path, const void *p, size_t n);
void write_gz(const char *path, const void *p, size_t n);

/* A growing byte buffer (free p when done). */
typedef struct bytes {
  uint8_t *p;
  size_t n, cap;
} bytes;
void put(bytes *b, const void *src, size_t n);
void put16(bytes *b, uint32_t v);
void put32(bytes *b, uint32_t v);
void put64(bytes *b, uint64_t v);
void putbe32(bytes *b, uint32_t v);

/* NPY file with the given dict text, padded like numpy (total header a
 * multiple of 64, ending in '\n'); npy_make writes the usual dict. */
bytes npy_raw(int major, const char *dict, const void *data, size_t nbytes);
bytes npy_make(const char *descr, const char *shape, const void *data, size_t nbytes);
void write_npy(const char *name, const char *descr, const char *shape, const void *data,
               size_t nbytes);
bytes idx_make(uint8_t type, int ndim, const uint32_t *dims, const void *data, size_t nbytes);

/* One zip member: method 0 (stored) or 8 (deflated); numpy_style writes the
 * local header as numpy does (sizes 0xFFFFFFFF plus a ZIP64 extra field). */
typedef struct zmember {
  const char *name;
  const void *data;
  size_t len;
  int method;
} zmember;
bytes zip_make(const zmember *m, int count, bool numpy_style);

/* Open and expect a status; the message must contain `what` when given. */
void expect_open(const char *spec, richeta_status want, const char *what);
richeta_dataset *open_ok(const char *spec);

#endif
