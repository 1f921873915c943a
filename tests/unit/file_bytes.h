/* Whole files as bytes, for the tests that damage files on purpose
 * (checkpoints, stores, data files). Fails the running Check test on an
 * I/O error. The buffer from slurp() is malloc'd (one spare byte). */
#ifndef RLZ_TEST_FILE_BYTES_H
#define RLZ_TEST_FILE_BYTES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)len + 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return b;
}

static inline void spit(const char *path, const unsigned char *b, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(b, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

#endif
