/**
 * @file common.h
 * @brief Status codes, export macro, allocator hooks and library-wide queries.
 *
 * Every fallible libricheta call returns a ::richeta_status. Zero means
 * success; any other value (including values added in later versions) is an
 * error. Handles keep a detailed message of their last failure
 * (`richeta_<handle>_last_error()`); before a handle exists the message is
 * kept per thread and read with richeta_last_error().
 */
#ifndef RICHLAZY_COMMON_H
#define RICHLAZY_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @cond INTERNAL */
#if defined(RICHETA_BUILDING) && defined(__GNUC__)
#define RICHETA_API __attribute__((visibility("default")))
#else
#define RICHETA_API
#endif
/** @endcond */

/**
 * @defgroup common Common definitions
 * @brief Status codes, allocators, version and build queries.
 * @{
 */

/** Result of every fallible call. Values are stable and append-only. */
typedef enum richeta_status {
  RICHETA_OK = 0,                   ///< Success.
  RICHETA_ERR_NULL = 1,             ///< A required pointer argument was NULL.
  RICHETA_ERR_INVALID = 2,          ///< An argument is invalid (wrong kind, NaN, unknown name...).
  RICHETA_ERR_RANGE = 3,            ///< A value lies outside its documented bounds.
  RICHETA_ERR_OVERFLOW = 4,         ///< A size computation would overflow.
  RICHETA_ERR_NOMEM = 5,            ///< An allocation failed.
  RICHETA_ERR_UNSUPPORTED = 6,      ///< Valid request that this build or object does not support.
  RICHETA_ERR_IO = 7,               ///< Operating-system I/O failure (open, read, write, rename...).
  RICHETA_ERR_FORMAT = 8,           ///< A file or string is malformed (bad magic, truncated...).
  RICHETA_ERR_CHECKSUM = 9,         ///< Stored checksum does not match the contents.
  RICHETA_ERR_VERSION = 10,         ///< File or object from an incompatible format version.
  RICHETA_ERR_MISMATCH = 11,        ///< Objects or files do not fit together (shapes, configuration).
  RICHETA_ERR_STATE = 12,           ///< The call is not valid in the object's current state.
  RICHETA_ERR_NONFINITE = 13,       ///< NaN or infinity in an input or hyperparameter.
  RICHETA_ERR_DIVERGED = 14,        ///< Training produced a non-finite or blown-up loss.
  RICHETA_ERR_BUFFER_TOO_SMALL = 15,///< Caller buffer too small; the needed size was reported.
  RICHETA_ERR_CALLBACK = 16,        ///< A user callback reported an error.
  RICHETA_ERR_ABORTED = 17,         ///< A user callback asked to stop.
  RICHETA_ERR_DATABASE = 18,        ///< The results database reported an error.
  RICHETA_ERR_EXTERNAL = 19,        ///< An external program failed or is missing (e.g. gnuplot).
  RICHETA_ERR_INTERNAL = 20         ///< Internal invariant violated (a bug: please report).
} richeta_status;

/** Floating-point precision of a model's parameters and workspaces. */
typedef enum richeta_dtype {
  RICHETA_DTYPE_AUTO = 0, ///< float64 when gamma < 1e-2, float32 otherwise.
  RICHETA_DTYPE_F32 = 1,  ///< IEEE single precision.
  RICHETA_DTYPE_F64 = 2   ///< IEEE double precision.
} richeta_dtype;

/**
 * @brief Allocator hooks, given per configuration and copied into every
 *        handle created from it.
 *
 * This is a callback table: set @c struct_size to `sizeof(richeta_allocator)`
 * so that later versions can append members. Memory that BLAS allocates
 * internally does not go through these hooks.
 */
typedef struct richeta_allocator {
  size_t struct_size; ///< `sizeof(richeta_allocator)` as compiled by the caller.
  /** Return @p size bytes aligned to @p alignment (a power of two), or NULL. */
  void *(*alloc)(void *user, size_t size, size_t alignment);
  /** Release memory from @c alloc; never called with NULL. */
  void (*free)(void *user, void *ptr);
  void *user; ///< Passed unchanged to both hooks.
} richeta_allocator;

/**
 * @brief Static English text for a status code.
 * @param[in] status Any value, including unknown ones.
 * @return A never-NULL string with static lifetime.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API const char *richeta_status_string(richeta_status status);

/**
 * @brief Detail of the last failure on this thread of a call that had no
 *        handle to keep it (constructors, loaders, static helpers).
 * @return A never-NULL string owned by the library, valid until the next
 *         libricheta call on this thread; "" if nothing failed yet.
 * @since 1.0 @par Thread safety: per thread.
 */
RICHETA_API const char *richeta_last_error(void);

/**
 * @brief Let a host callback say why it failed.
 *
 * Called by a callback (richeta_stream_callbacks::fill,
 * richeta_train_callbacks::on_log, richeta_sweep_callbacks::on_run) on the
 * thread the library called it on, before it returns nonzero: the error
 * message of the call that ran the callback then quotes @p message ("stream
 * fill callback failed at step 3: data loader failed") instead of only the
 * return code. The library forgets the message before each callback call,
 * so a message set by an earlier callback is never quoted.
 * @param[in] message UTF-8 text, copied (at most 255 bytes kept); NULL or ""
 *            clears it.
 * @since 1.1 @par Thread safety: per thread.
 */
RICHETA_API void richeta_callback_error(const char *message);

/**
 * @brief Runtime version as MAJOR*10000 + MINOR*100 + PATCH.
 * @return The version number of the loaded library (compare with RICHETA_VERSION_NUMBER).
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API int richeta_version_number(void);

/**
 * @brief Runtime version as "MAJOR.MINOR.PATCH".
 * @return Static string.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API const char *richeta_version_string(void);

/**
 * @brief ABI major version of the loaded library (the soname number).
 * @return The ABI major (compare with RICHETA_ABI_VERSION).
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API int richeta_abi_version(void);

/**
 * @brief Build description: version, BLAS vendor and core, integer width,
 *        compiler, as one line of `key=value` pairs separated by spaces.
 *
 * Keys: `version`, `abi`, `blas` (quoted: vendor, version, kernel set,
 * threading), `blas_int` (32 or 64), and since 1.1 `blas_core` (the kernel
 * set OpenBLAS chose, "none" for another BLAS), `blas_core_advice` (the
 * `OPENBLAS_CORETYPE` this CPU runs faster, "none" when the chosen kernels
 * are as good: OpenBLAS 0.3.21 falls back to "Prescott" kernels on CPUs it
 * does not know, about 5x slower for sgemm than "SkylakeX"; the library
 * never sets the variable, the richeta program and the Python binding do
 * when it is unset), `blas_max_threads` (threads that may call the BLAS at
 * once, OpenBLAS's compiled limit; 0 when unknown), and `compiler`.
 * @return Static string.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API const char *richeta_build_info(void);

/**
 * @brief Set the number of threads BLAS uses (process-wide in OpenBLAS).
 *
 * The library never changes the BLAS thread count on its own, except inside
 * sweep workers when the caller asked for it.
 * @param[in] threads Number of threads, >= 1.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_RANGE @p threads < 1.
 * @retval RICHETA_ERR_UNSUPPORTED The BLAS in use cannot be told.
 * @since 1.0 @par Thread safety: affects the whole process.
 */
RICHETA_API richeta_status richeta_blas_set_threads(int threads);

/**
 * @brief Number of threads BLAS currently uses (1 when it cannot be asked).
 * @return The thread count, >= 1.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API int richeta_blas_get_threads(void);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_COMMON_H */
