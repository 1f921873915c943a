/* Internal core services shared by every handle: allocation through the
 * per-handle hooks, error messages, checked size arithmetic. Not installed. */
#ifndef RLZ_CORE_H
#define RLZ_CORE_H

#include <richlazy/common.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RLZ_ERRMSG_CAP 512

/* Allocator copied into every handle (never NULL members once resolved). */
typedef struct rlz_alloc {
  void *(*alloc)(void *user, size_t size, size_t alignment);
  void (*free)(void *user, void *ptr);
  void *user;
} rlz_alloc;

/* Fill *dst from a public table (NULL = malloc/free). Returns INVALID when
 * the table is too small or has NULL hooks. */
richeta_status rlz_alloc_resolve(rlz_alloc *dst, const richeta_allocator *src);
/* 64-byte aligned allocation; size 0 gives a valid unique pointer. */
void *rlz_malloc(const rlz_alloc *a, size_t size);
void *rlz_calloc(const rlz_alloc *a, size_t count, size_t elem); /* overflow-checked, zeroed */
void rlz_free(const rlz_alloc *a, void *p);
char *rlz_strdup(const rlz_alloc *a, const char *s);

/* Error message buffer embedded in each handle. */
typedef struct rlz_err {
  char msg[RLZ_ERRMSG_CAP];
} rlz_err;

/* Record a failure: formats into e (or the thread-local buffer when e is
 * NULL) and returns status, so callers write `return rlz_fail(...)`. */
richeta_status rlz_fail(rlz_err *e, richeta_status status, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;
richeta_status rlz_vfail(rlz_err *e, richeta_status status, const char *fmt, va_list ap);
/* Clear a handle's message at the start of a successful public call. */
void rlz_err_clear(rlz_err *e);
/* Copy a handle's message to the thread-local buffer (for constructors that
 * fail after creating a temporary handle). */
void rlz_err_to_thread(const rlz_err *e);
const char *rlz_thread_error(void);
/* Host callbacks' own messages (richeta_callback_error): forgotten before
 * each callback call, read after it failed ("" when it said nothing). */
void rlz_callback_forget(void);
const char *rlz_callback_message(void);

/* The shortest decimal text of v that strtod reads back to v ("nan", "inf",
 * "-inf" for the others), written into buf; returns buf. */
#define RLZ_NUM_CAP 32
const char *rlz_shortest_double(char buf[RLZ_NUM_CAP], double v);

/* Checked arithmetic: return false on overflow. */
bool rlz_mul_size(size_t a, size_t b, size_t *out);
bool rlz_add_size(size_t a, size_t b, size_t *out);
bool rlz_mul_i64(int64_t a, int64_t b, int64_t *out);

/* Number of elements a*b*... for array dims, with overflow check against
 * SIZE_MAX / elem. Returns RICHETA_ERR_OVERFLOW through e on overflow. */
richeta_status rlz_array_bytes(rlz_err *e, int64_t count, size_t elem, size_t *bytes);

#endif
