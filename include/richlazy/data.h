/**
 * @file data.h
 * @brief Finite data sets read from files: IDX (MNIST, Fashion-MNIST),
 *        CIFAR-10 binary batches, NPY and NPZ.
 *
 * A ::richeta_dataset holds the raw samples of one split compactly (8-bit
 * pixels stay 8-bit) and converts and normalizes them when a batch is
 * filled. Batches come from an endless sequence of epochs, each epoch a
 * seeded random permutation of the samples that can be computed for any
 * step without replaying earlier ones, so a run gives the same batches
 * however it is split or resumed. Chunked NPZ directories (`npzdir:`, as
 * CIFAR-5M ships) are streamed instead: read in file order, one part in
 * memory at a time (see richeta_dataset_open()).
 */
#ifndef RICHLAZY_DATA_H
#define RICHLAZY_DATA_H

#include <richlazy/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup data Data sets
 * @brief Loading, validating and normalizing finite data sets, and drawing
 *        seeded batches from them.
 *
 * Every parser treats every byte of its input as hostile: wrong magic
 * numbers, truncated files, headers that declare more (or less) data than
 * the file holds and overflowing dimensions give ::RICHETA_ERR_FORMAT or
 * ::RICHETA_ERR_OVERFLOW, labels out of range ::RICHETA_ERR_RANGE, NaN or
 * infinite values ::RICHETA_ERR_NONFINITE, and valid but unsupported
 * contents (Fortran order, big-endian or exotic dtypes, CIFAR-100)
 * ::RICHETA_ERR_UNSUPPORTED, each with a message naming the file.
 * @{
 */

/** Opaque data set: the samples and labels of one split of a data set. */
typedef struct richeta_dataset richeta_dataset;

/** How inputs are standardized, x' = (x - mean) / std. */
typedef enum richeta_norm {
  RICHETA_NORM_NONE = 0,        ///< Raw values (e.g. pixels 0..255).
  RICHETA_NORM_PER_FEATURE = 1, ///< One mean and std per input coordinate.
  RICHETA_NORM_PER_CHANNEL = 2, ///< One mean and std per channel (richeta_dataset_num_channels()).
  RICHETA_NORM_GLOBAL = 3       ///< One mean and std for all coordinates.
} richeta_norm;

/**
 * @brief Open a data set described by a spec string.
 *
 * Forms (paths may not contain `,`, `;` or `?`):
 * - `fashion-mnist` or `fashion-mnist:train`, `fashion-mnist:test`: the
 *   IDX files of Debian's dataset-fashion-mnist package under
 *   /usr/share/datasets/fashion-mnist (another directory with the option
 *   `dir=PATH`); 10 classes.
 * - `idx:IMAGES,LABELS`: IDX files, raw or gzip-compressed (detected by
 *   content); types unsigned byte, signed byte, short, int, float, double.
 * - `cifar10:FILE[;FILE...]`: CIFAR-10 binary batches, concatenated; 10
 *   classes; samples are 3x32x32 (channel planes).
 * - `npy:X.npy,Y.npy`: NPY files (format 1 to 3, C order, little-endian,
 *   dtypes uint8, int8..int64, float32, float64).
 * - `npz:FILE.npz[;FILE.npz...][,XKEY,YKEY]`: NPZ archives (stored or
 *   deflated members); keys default to `x`/`y`, else `X`/`Y`, else
 *   `arr_0`/`arr_1`.
 * - `npzdir:DIR[,XKEY,YKEY]` (since 1.1): a directory of NPZ parts named
 *   `PREFIXpart0.npz`, `PREFIXpart1.npz`, ... (`part0.npz` or CIFAR-5M's
 *   `cifar5m_part0.npz`; K in decimal without leading zeros; other files
 *   are ignored), every part present from 0 up, one prefix, the same
 *   per-sample shape and types in every part (keys as for `npz`, chosen
 *   from part 0). Opening reads only each part's zip directory, the NPY
 *   header of its inputs and its targets; the inputs of one part at a time
 *   are resident (read or mapped by the budget below) and are released
 *   when a sample of another part is needed. Samples are numbered across
 *   the parts in order, and every epoch reads them in that order (no
 *   shuffling: the seed of the batch functions is ignored), so batch t of
 *   size B holds samples tB .. tB+B-1 modulo the total: one pass over the
 *   directory, then the same pass again, each later pass counted as an
 *   epoch. Statistics (richeta_dataset_normalize(),
 *   richeta_dataset_raw_stats()) are those of part 0. Random access
 *   (richeta_dataset_get_input(), richeta_dataset_label()) works but
 *   reloads parts. A part that changed or became unreadable after opening
 *   makes the fill that needs it fail, naming the file.
 *
 * Targets: integer labels give a classification set whose number of
 * classes is the largest label + 1 (at most 65536; fixed at 10 for the
 * named data sets); floating-point Y gives regression targets with one
 * value per trailing element of Y.
 *
 * Options may follow a `?`, separated by `&`:
 * - `budget=BYTES` (suffix K, M, G allowed; default 1G) is the memory
 *   budget per file: uncompressed files larger than it are memory-mapped
 *   rather than read, and decompressed data larger than it is kept in a
 *   mapped temporary file. A mapped file must not be truncated while the
 *   data set is open.
 * - `layout=hwc` (since 1.1): the samples are stored as H x W x C images
 *   (channels last, numpy's and CIFAR-5M's order) and are presented as
 *   C x H x W, the order of CIFAR-10, PyTorch and the model's image inputs:
 *   input coordinate c*H*W + h*W + w is stored element (h*W + w)*C + c of
 *   the sample, so rows equal `torch.from_numpy(X).permute(0, 3, 1, 2)`
 *   flattened. richeta_dataset_sample_shape() then reports (C, H, W), the
 *   channel axis is 0, and per-channel statistics are per C. Needs samples
 *   of three axes; not for `cifar10` (CHW planes already). `layout=chw`
 *   (the default) presents samples as stored.
 * - `parts=K` (`npzdir` only, since 1.1): use parts 0 .. K-1 and ignore the
 *   others (to hold a part out as a test set).
 * - `test=FILES` (since 1.1): the held-out split used by file streams
 *   (task=file, see stream.h): a spec of the same kind with FILES in place
 *   of the training files (for `npzdir`, an `npz` file), the same keys and
 *   the other options except `parts`. This function only checks that it is
 *   not empty and, for `npzdir`, that it is not one of the training parts;
 *   `fashion-mnist` refuses it (its held-out split is `fashion-mnist:test`).
 * - `dir=PATH`: the directory of `fashion-mnist`.
 *
 * @param[out] out Receives the data set, or NULL on failure.
 * @param[in] spec NUL-terminated spec string.
 * @param[in] allocator Allocator hooks (copied), or NULL for the C library.
 * @retval RICHETA_OK Opened and validated.
 * @retval RICHETA_ERR_NULL @p out or @p spec is NULL.
 * @retval RICHETA_ERR_INVALID Malformed spec or allocator table.
 * @retval RICHETA_ERR_IO A file cannot be opened, read or mapped.
 * @retval RICHETA_ERR_FORMAT A file is malformed (the message says how).
 * @retval RICHETA_ERR_VERSION Unsupported NPY format version.
 * @retval RICHETA_ERR_UNSUPPORTED Valid but unsupported contents.
 * @retval RICHETA_ERR_OVERFLOW Dimensions whose product overflows.
 * @retval RICHETA_ERR_RANGE A label is negative or too large.
 * @retval RICHETA_ERR_NONFINITE NaN or infinity in floating-point data.
 * @retval RICHETA_ERR_CHECKSUM An NPZ member fails its CRC-32.
 * @retval RICHETA_ERR_MISMATCH Inputs and labels (or several files)
 *         disagree in sample count, shape or type.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 (`npzdir`, `layout`, `parts`, `test` and the `X`/`Y` keys
 *        since 1.1) @par Thread safety: safe; the message is in
 *        richeta_last_error().
 */
RICHETA_API richeta_status richeta_dataset_open(richeta_dataset **out, const char *spec,
                                                const richeta_allocator *allocator);

/**
 * @brief Free a data set and unmap its files; NULL is a no-op.
 * @param[in] ds Data set or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_dataset_free(richeta_dataset *ds);

/**
 * @brief Message of the last failed call on @p ds.
 * @param[in] ds Data set, or NULL for richeta_last_error().
 * @return Never NULL; valid until the next call on @p ds.
 * @since 1.0
 */
RICHETA_API const char *richeta_dataset_last_error(const richeta_dataset *ds);

/**
 * @brief Number of samples.
 * @param[in] ds Data set.
 * @param[out] n Receives the count (>= 1).
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_num_samples(const richeta_dataset *ds, int64_t *n);

/**
 * @brief Input dimension: the product of the per-sample dimensions.
 * @param[in] ds Data set.
 * @param[out] dim Receives the dimension (784 for Fashion-MNIST).
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_input_dim(const richeta_dataset *ds, int64_t *dim);

/**
 * @brief Per-sample shape of the inputs as presented (e.g. 28, 28; with
 *        `layout=hwc`, C, H, W).
 * @param[in] ds Data set.
 * @param[out] dims Buffer of @p cap entries (may be NULL when @p cap is 0).
 * @param[in] cap Capacity of @p dims.
 * @param[out] ndim Receives the number of per-sample dimensions (0 for
 *             scalar samples); may be NULL.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p ds is NULL, or @p dims is NULL with @p cap > 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < ndim; nothing copied.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_sample_shape(const richeta_dataset *ds, int64_t *dims,
                                                        int64_t cap, int64_t *ndim);

/**
 * @brief Number of classes K (labels are 0..K-1); 0 for regression targets.
 * @param[in] ds Data set.
 * @param[out] k Receives K.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_num_classes(const richeta_dataset *ds, int64_t *k);

/**
 * @brief Force the number of classes, e.g. to match a test split to its
 *        training split when a class is missing from one of them.
 * @param[in,out] ds Classification data set.
 * @param[in] k Number of classes, larger than every label, at most 65536.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p ds is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED @p ds has regression targets.
 * @retval RICHETA_ERR_RANGE Some label is >= @p k (the message names the
 *         file and the sample holding the largest label), or @p k is not
 *         in 1..65536.
 * @since 1.0 @par Thread safety: one thread per data set.
 */
RICHETA_API richeta_status richeta_dataset_set_num_classes(richeta_dataset *ds, int64_t k);

/**
 * @brief Target dimension: K (one-hot) for classification, else the number
 *        of regression outputs per sample.
 * @param[in] ds Data set.
 * @param[out] dim Receives the dimension.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_target_dim(const richeta_dataset *ds, int64_t *dim);

/**
 * @brief Class label of a sample.
 * @param[in] ds Classification data set.
 * @param[in] index Sample index in file order, 0 <= index < n.
 * @param[out] label Receives the label.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p index out of range.
 * @retval RICHETA_ERR_UNSUPPORTED @p ds has regression targets.
 * @retval RICHETA_ERR_IO The `npzdir` part of the sample cannot be read
 *         (or another status of a part that changed since opening).
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_label(const richeta_dataset *ds, int64_t index,
                                                 int64_t *label);

/**
 * @brief Normalized input of one sample.
 * @param[in] ds Data set.
 * @param[in] index Sample index in file order.
 * @param[out] x Buffer of @p cap values.
 * @param[in] cap Capacity of @p x, at least the input dimension.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_RANGE @p index out of range.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap too small.
 * @retval RICHETA_ERR_IO The `npzdir` part of the sample cannot be read
 *         (or another status of a part that changed since opening).
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_get_input(const richeta_dataset *ds, int64_t index,
                                                     double *x, int64_t cap);

/**
 * @brief Number of channels used by ::RICHETA_NORM_PER_CHANNEL.
 *
 * CIFAR-10 samples have 3 (their first axis). For other 3-D samples the
 * default channel axis is the last one if its size is at most 4, else the
 * first if its size is at most 4; otherwise there is one channel.
 * @param[in] ds Data set.
 * @param[out] channels Receives the count (>= 1).
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_num_channels(const richeta_dataset *ds,
                                                        int64_t *channels);

/**
 * @brief Choose the per-sample axis that holds the channels.
 *
 * Clears any normalization (it may no longer fit).
 * @param[in,out] ds Data set.
 * @param[in] axis Axis index into the per-sample shape, or -1 for a single
 *            channel.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p ds is NULL.
 * @retval RICHETA_ERR_RANGE @p axis is not -1 or a valid axis.
 * @since 1.0 @par Thread safety: one thread per data set.
 */
RICHETA_API richeta_status richeta_dataset_set_channel_axis(richeta_dataset *ds, int64_t axis);

/**
 * @brief Compute mean and standard deviation on this data set and
 *        standardize its inputs with them from now on.
 *
 * Population standard deviations; a standard deviation below 1e-12 (a
 * constant feature) is replaced by 1 so that the feature is only centered.
 * For an `npzdir` set the statistics are those of its first part (the
 * whole directory is not read for them).
 * @param[in,out] ds Data set (normally the training split).
 * @param[in] mode How statistics are pooled; ::RICHETA_NORM_NONE removes
 *            any normalization.
 * @retval RICHETA_OK Computed and applied.
 * @retval RICHETA_ERR_NULL @p ds is NULL.
 * @retval RICHETA_ERR_INVALID Unknown @p mode.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per data set.
 */
RICHETA_API richeta_status richeta_dataset_normalize(richeta_dataset *ds, richeta_norm mode);

/**
 * @brief Standardize with statistics given by the caller.
 * @param[in,out] ds Data set.
 * @param[in] mode Pooling of @p mean and @p std (not ::RICHETA_NORM_NONE).
 * @param[in] mean @p count means.
 * @param[in] std @p count standard deviations, each finite and > 0.
 * @param[in] count Input dimension (per feature), number of channels (per
 *            channel) or 1 (global).
 * @retval RICHETA_OK Applied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_INVALID Unknown or ::RICHETA_NORM_NONE @p mode.
 * @retval RICHETA_ERR_MISMATCH @p count does not fit @p mode and @p ds.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @retval RICHETA_ERR_RANGE A standard deviation is <= 0.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per data set.
 */
RICHETA_API richeta_status richeta_dataset_set_normalization(richeta_dataset *ds, richeta_norm mode,
                                                             const double *mean, const double *std,
                                                             int64_t count);

/**
 * @brief Read the normalization in force.
 * @param[in] ds Data set.
 * @param[out] mode Receives the mode (may be NULL).
 * @param[out] mean Buffer of @p cap means (may be NULL when @p cap is 0).
 * @param[out] std Buffer of @p cap standard deviations (may be NULL when
 *             @p cap is 0).
 * @param[in] cap Capacity of @p mean and @p std.
 * @param[out] count Receives the number of values (0 for none); may be NULL.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p ds is NULL, or a buffer is NULL with @p cap > 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < count; nothing copied.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_get_normalization(const richeta_dataset *ds,
                                                             richeta_norm *mode, double *mean,
                                                             double *std, int64_t cap,
                                                             int64_t *count);

/**
 * @brief Apply the normalization of @p src (normally the training split)
 *        to @p dst (its test split), so both see the same transformation.
 * @param[in,out] dst Data set to change.
 * @param[in] src Data set whose statistics are copied.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_MISMATCH Input dimensions or channel counts differ.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: @p src may be read concurrently.
 */
RICHETA_API richeta_status richeta_dataset_copy_normalization(richeta_dataset *dst,
                                                              const richeta_dataset *src);

/**
 * @brief Mean and population standard deviation of all raw input values
 *        (before normalization), for checks against published figures
 *        (of the first part for an `npzdir` set).
 * @param[in] ds Data set.
 * @param[out] mean Receives the mean.
 * @param[out] std Receives the standard deviation.
 * @retval RICHETA_OK Computed.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_raw_stats(const richeta_dataset *ds, double *mean,
                                                     double *std);

/**
 * @brief Fill a batch in double precision.
 *
 * Batch @p step holds samples step*B .. step*B+B-1 of an endless sequence
 * of epochs, each a random permutation of the samples keyed by (@p seed,
 * epoch); for an `npzdir` set, the samples in file order in every epoch.
 * Targets are one-hot rows of K for classification (usable for MSE and
 * cross-entropy alike) or the regression values.
 * @param[in] ds Data set.
 * @param[in] seed Permutation seed.
 * @param[in] step Batch index, >= 0.
 * @param[in] batch Batch size B, >= 1.
 * @param[out] x B x input_dim values, row-major.
 * @param[in] x_cap Capacity of @p x.
 * @param[out] y B x target_dim values, or NULL to skip targets.
 * @param[in] y_cap Capacity of @p y.
 * @param[out] epoch Receives the epoch (0-based) of the batch's last
 *             sample; may be NULL.
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_NULL @p ds or @p x is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0 or @p batch < 1.
 * @retval RICHETA_ERR_OVERFLOW step * batch overflows.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL A capacity is too small.
 * @retval RICHETA_ERR_IO An `npzdir` part the batch needs cannot be read
 *         (other statuses of richeta_dataset_open() when it is malformed
 *         or changed since opening; the message names the file).
 * @since 1.0 @par Thread safety: read-only; several threads may fill
 *        batches from one data set at once.
 */
RICHETA_API richeta_status richeta_dataset_batch_f64(const richeta_dataset *ds, uint64_t seed,
                                                     int64_t step, int64_t batch, double *x,
                                                     int64_t x_cap, double *y, int64_t y_cap,
                                                     int64_t *epoch);

/**
 * @brief Single-precision twin of richeta_dataset_batch_f64().
 * @param[in] ds Data set.
 * @param[in] seed Permutation seed.
 * @param[in] step Batch index, >= 0.
 * @param[in] batch Batch size B, >= 1.
 * @param[out] x B x input_dim values.
 * @param[in] x_cap Capacity of @p x.
 * @param[out] y B x target_dim values, or NULL.
 * @param[in] y_cap Capacity of @p y.
 * @param[out] epoch Receives the epoch of the last sample; may be NULL.
 * @retval RICHETA_OK Filled.
 * @retval RICHETA_ERR_NULL @p ds or @p x is NULL.
 * @retval RICHETA_ERR_RANGE @p step < 0 or @p batch < 1.
 * @retval RICHETA_ERR_OVERFLOW step * batch overflows.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL A capacity is too small.
 * @retval RICHETA_ERR_IO An `npzdir` part the batch needs cannot be read
 *         (other statuses of richeta_dataset_open() when it is malformed
 *         or changed since opening; the message names the file).
 * @since 1.0 @par Thread safety: read-only.
 */
RICHETA_API richeta_status richeta_dataset_batch_f32(const richeta_dataset *ds, uint64_t seed,
                                                     int64_t step, int64_t batch, float *x,
                                                     int64_t x_cap, float *y, int64_t y_cap,
                                                     int64_t *epoch);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_DATA_H */
