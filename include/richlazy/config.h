/**
 * @file config.h
 * @brief One configuration model for every handle: enum-keyed typed
 *        setters with bounds queries, and a `key=value,...` spec string.
 *
 * A ::richeta_config holds every hyperparameter of a run (model, optimizer,
 * scheduler, stream, training loop). Handles read the parameters they need
 * when they are created and keep their own copy, so a configuration may be
 * changed or freed afterwards. Values are checked when they are set: out of
 * bounds is an error (::RICHETA_ERR_RANGE), never a silent clamp.
 */
#ifndef RICHLAZY_CONFIG_H
#define RICHLAZY_CONFIG_H

#include <richlazy/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup config Configuration
 * @brief Typed, bounds-checked hyperparameters shared by all handles.
 * @{
 */

/** Opaque configuration object. */
typedef struct richeta_config richeta_config;

/** Value type of a parameter. */
typedef enum richeta_param_type {
  RICHETA_TYPE_INT = 1,    ///< 64-bit integer (enumerations are integers too).
  RICHETA_TYPE_DOUBLE = 2, ///< Finite double.
  RICHETA_TYPE_STRING = 3  ///< UTF-8 string.
} richeta_param_type;

/**
 * Parameter keys. Values are stable and append-only; the spec-string name
 * of each key is given in brackets.
 */
typedef enum richeta_param {
  /* --- model: 1..99 --- */
  RICHETA_PARAM_INPUT_DIM = 1,        ///< [D] input dimension, int >= 1 (default 16).
  RICHETA_PARAM_WIDTH = 2,            ///< [N] hidden width, int >= 1 (default 64).
  RICHETA_PARAM_OUTPUT_DIM = 3,       ///< [C] outputs, int >= 1 (default 1).
  RICHETA_PARAM_DEPTH = 4,            ///< [L] number of weight matrices, int >= 1 (default 3).
  RICHETA_PARAM_BIAS = 5,             ///< [bias] 1 = biases on (default), 0 = off.
  RICHETA_PARAM_PARAMETERIZATION = 6, ///< [param] ::richeta_parameterization (default mf).
  RICHETA_PARAM_ACTIVATION = 7,       ///< [act] ::richeta_activation (default relu).
  RICHETA_PARAM_LOSS = 8,             ///< [loss] ::richeta_loss (default mse).
  RICHETA_PARAM_DTYPE = 9,            ///< [dtype] ::richeta_dtype (default auto).
  RICHETA_PARAM_CENTERING = 10,       ///< [center] ::richeta_centering (default frozen).
  RICHETA_PARAM_GAMMA = 11,           ///< [gamma] readout divisor gamma, double > 0 (default 1).
  RICHETA_PARAM_SEED = 12,            ///< [seed] seed of initialisation and data, int >= 0 (default 0).
  RICHETA_PARAM_BATCH = 13,           ///< [B] batch size, int >= 1 (default 32).
  /* --- model, appended in 1.1: architectures on the model core --- */
  RICHETA_PARAM_ARCH = 14,            ///< [arch] ::richeta_arch (default mlp). @since 1.1
  RICHETA_PARAM_IMAGE_CHANNELS = 15,  ///< [image_channels] input image channels, int >= 0, 0 = not an image (default 0). Image inputs are flattened in CHW order; D must equal channels * height * width. @since 1.1
  RICHETA_PARAM_IMAGE_HEIGHT = 16,    ///< [image_height] input image height, int >= 0 (default 0). @since 1.1
  RICHETA_PARAM_IMAGE_WIDTH = 17,     ///< [image_width] input image width, int >= 0 (default 0). @since 1.1
  RICHETA_PARAM_CONV_SCALE = 18,      ///< [conv_scale] ::richeta_conv_scale of the convolutions (default channels). @since 1.1
  /* --- optimizer: 100..199 --- */
  RICHETA_PARAM_ETA0 = 100,           ///< [eta0] base learning rate, double > 0 (default 0.1).
  RICHETA_PARAM_MOMENTUM = 101,       ///< [momentum] heavy-ball momentum in [0,1) (default 0).
  RICHETA_PARAM_WEIGHT_DECAY = 102,   ///< [wd] L2 weight decay coefficient >= 0 (default 0).
  /* --- scheduler: 200..299 --- */
  RICHETA_PARAM_GAMMA_RULE = 200,     ///< [rule] ::richeta_gamma_rule (default none, the paper's axis).
  RICHETA_PARAM_SCHEDULE = 201,       ///< [schedule] ::richeta_schedule (default constant).
  RICHETA_PARAM_WARMUP_STEPS = 202,   ///< [warmup] linear warm-up steps, int >= 0 (default 0).
  RICHETA_PARAM_DECAY_STEPS = 203,    ///< [decay_every] step-decay interval, int >= 1 (default 1000).
  RICHETA_PARAM_DECAY_FACTOR = 204,   ///< [decay_factor] step-decay factor in (0,1] (default 0.1).
  RICHETA_PARAM_MIN_FACTOR = 205,     ///< [min_factor] cosine floor in [0,1] (default 0).
  RICHETA_PARAM_LAZY_EXPONENT = 206,  ///< [lazy_exp] custom rule exponent below the crossover (default 2).
  RICHETA_PARAM_RICH_EXPONENT = 207,  ///< [rich_exp] custom rule exponent above the crossover (default 2/3).
  RICHETA_PARAM_CROSSOVER = 208,      ///< [crossover] custom rule crossover gamma > 0 (default 1).
  RICHETA_PARAM_RULE_PREFACTOR = 209, ///< [prefactor] custom rule factor at the crossover > 0 (default 1).
  /* --- stream: 300..399 --- */
  RICHETA_PARAM_TASK = 300,           ///< [task] ::richeta_task (default linear teacher).
  RICHETA_PARAM_TEACHER_WIDTH = 301,  ///< [teacher_N] MLP-teacher width, int >= 1 (default 64).
  RICHETA_PARAM_TEACHER_DEPTH = 302,  ///< [teacher_L] MLP-teacher depth, int >= 1 (default 2).
  RICHETA_PARAM_TEACHER_ACTIVATION = 303, ///< [teacher_act] ::richeta_activation (default tanh).
  RICHETA_PARAM_LABEL_NOISE = 304,    ///< [noise] std of Gaussian label noise >= 0 (default 0).
  RICHETA_PARAM_DATA_SEED = 305,      ///< [data_seed] seed of the teacher and samples, int >= 0 (default 1).
  RICHETA_PARAM_DATA_PATH = 306,      ///< [data] data set name or path (string, default "").
  /* --- stream, appended in 1.0: the index, staircase and parity tasks --- */
  RICHETA_PARAM_TASK_DEGREE = 307,    ///< [degree] Hermite degree p of the single- and multi-index tasks, int in [1, 20] (default 2).
  RICHETA_PARAM_TASK_INDICES = 308,   ///< [k] relevant directions: index directions (multi_index), parity order |S| (parity), staircase depth S (staircase); int in [1, 2^20], at most D (default 3).
  RICHETA_PARAM_TASK_INPUTS = 309,    ///< [inputs] ::richeta_input_dist of synthetic inputs (default auto).
  /* --- stream, appended in 1.1: image files --- */
  RICHETA_PARAM_DATA_NORM = 310,      ///< [data_norm] ::richeta_norm of a file stream's inputs, computed on the training split (a streamed npzdir: on its first part) and copied to the held-out split: none, per_feature, per_channel, global (default global, the 1.0 behaviour). @since 1.1
  RICHETA_PARAM_TASK_LABELS = 311,    ///< [labels] ::richeta_labels of the teacher tasks (linear, mlp, image_cnn): none (real-valued targets, default) or argmax (one-hot class labels, balanced; needs C >= 2). @since 1.1
  /* --- training loop: 400..499 --- */
  RICHETA_PARAM_STEPS = 400,          ///< [T] training steps, int >= 0 (default 400).
  RICHETA_PARAM_LOG_PER_DECADE = 401, ///< [log_per_decade] logged steps per decade, int in [0, 1000], 0 = every step (@since 1.1; 1.0: >= 1) (default 10).
  RICHETA_PARAM_BLOWUP = 402,         ///< [blowup] divergence when loss > blowup * initial loss, double > 1 or +inf (only NaN/Inf losses diverge: the paper's rule; since 1.1) (default 1e3).
  RICHETA_PARAM_EVAL_SIZE = 403       ///< [eval_n] held-out samples evaluated at logged steps, int >= 0 (default 512).
} richeta_param;

/** How the readout and weights scale with width (DESIGN 1.1). */
typedef enum richeta_parameterization {
  RICHETA_PARAMETERIZATION_MF = 0,  ///< [mf] mean-field / muP: readout / (gamma N), LR * N.
  RICHETA_PARAMETERIZATION_NTK = 1, ///< [ntk] readout / (gamma sqrt N).
  RICHETA_PARAMETERIZATION_SP = 2   ///< [sp] weights ~ N(0, 1/fan_in), readout / gamma.
} richeta_parameterization;

/** Elementwise nonlinearity phi. */
typedef enum richeta_activation {
  RICHETA_ACTIVATION_RELU = 0,     ///< [relu] max(0, x).
  RICHETA_ACTIVATION_TANH = 1,     ///< [tanh] tanh(x).
  RICHETA_ACTIVATION_GELU = 2,     ///< [gelu] exact x * Phi(x) (erf form).
  RICHETA_ACTIVATION_IDENTITY = 3  ///< [identity] x (deep linear network).
} richeta_activation;

/** Training loss. */
typedef enum richeta_loss {
  RICHETA_LOSS_MSE = 0,          ///< [mse] mean over batch and outputs of (f - y)^2, no 1/2.
  RICHETA_LOSS_CROSS_ENTROPY = 1 ///< [ce] mean over batch of -sum_c y_c log softmax(f)_c.
} richeta_loss;

/** How the output is centered at initialisation. */
typedef enum richeta_centering {
  RICHETA_CENTERING_NONE = 0,  ///< [none] f(x; theta).
  RICHETA_CENTERING_FROZEN = 1 ///< [frozen] f(x; theta) - f(x; theta0), theta0 a frozen copy.
} richeta_centering;

/**
 * Architecture of the model (docs/architectures.md).
 */
typedef enum richeta_arch {
  RICHETA_ARCH_MLP = 0,     ///< [mlp] the MLP of depth L and width N (DESIGN 1.1).
  RICHETA_ARCH_CNN = 1,     ///< [cnn] the paper's CNN: two 3x3 convs (N, 2N channels) with ReLU and 2x2 average pooling, a fully connected layer of width 8N, the readout; labelled L = 4 for the gamma rule (set L=4).
  RICHETA_ARCH_RESNET18 = 2 ///< [resnet18] the paper's muP ResNet-18: BatchNorm, widths N, 2N, 4N, 8N, no conv bias, readout / (gamma 8N); labelled L = 3 for the gamma rule (set L=3). @since 1.1
} richeta_arch;

/**
 * What a convolution divides its output (bias included) by, its weights
 * being drawn N(0, 1) (mean-field and NTK; SP draws them with variance
 * 1 / (C_in k^2) and uses no multiplier).
 */
typedef enum richeta_conv_scale {
  RICHETA_CONV_SCALE_CHANNELS = 0, ///< [channels] sqrt(C_in), as the paper's released code.
  RICHETA_CONV_SCALE_FAN_IN = 1    ///< [fan_in] sqrt(C_in k^2), as muP's mup and feature_lazy.
} richeta_conv_scale;

/** Dependence of the learning rate on gamma (DESIGN 1.2). */
typedef enum richeta_gamma_rule {
  RICHETA_GAMMA_RULE_NONE = 0,   ///< [none] g = 1: eta0 is used as given.
  RICHETA_GAMMA_RULE_THEORY = 1, ///< [theory] g = gamma^2 (gamma <= 1), gamma^(2/L) (gamma >= 1).
  RICHETA_GAMMA_RULE_CUSTOM = 2  ///< [custom] g = prefactor * (gamma/crossover)^a, a = lazy or rich exponent.
} richeta_gamma_rule;

/** Time schedule s(t) multiplying the learning rate. */
typedef enum richeta_schedule {
  RICHETA_SCHEDULE_CONSTANT = 0, ///< [constant] s = 1 (after warm-up).
  RICHETA_SCHEDULE_COSINE = 1,   ///< [cosine] cosine from 1 to min_factor over the steps T.
  RICHETA_SCHEDULE_STEP = 2      ///< [step] s = decay_factor^floor(t / decay_every).
} richeta_schedule;

/** Synthetic and file tasks of a data stream. */
typedef enum richeta_task {
  RICHETA_TASK_LINEAR = 0,     ///< [linear] y = W* x / sqrt(D), Gaussian x.
  RICHETA_TASK_MLP = 1,        ///< [mlp] y = random MLP teacher of x, Gaussian x.
  RICHETA_TASK_CALLBACK = 2,   ///< [callback] batches come from a callback table.
  RICHETA_TASK_FILE = 3,       ///< [file] batches come from the data set named by RICHETA_PARAM_DATA_PATH.
  RICHETA_TASK_SINGLE_INDEX = 4, ///< [single_index] y = He_p(w.x / |w|) / sqrt(p!), one fixed random direction w (stream.h).
  RICHETA_TASK_MULTI_INDEX = 5,  ///< [multi_index] y = sum_j He_p(u_j.x) / sqrt(p! k), k orthonormal random directions u_j (stream.h).
  RICHETA_TASK_STAIRCASE = 6,    ///< [staircase] y = (x_1 + x_1 x_2 + ... + x_1...x_S) / sqrt(S), S = k, sign inputs by default (stream.h).
  RICHETA_TASK_PARITY = 7,       ///< [parity] y = x_1 x_2 ... x_k on x in {-1,+1}^D by default (stream.h).
  RICHETA_TASK_IMAGE_CNN = 8     ///< [image_cnn] y = a random CNN teacher (the arch=cnn network of base width teacher_N, activation teacher_act, no bias, every layer divided by sqrt(fan_in)) of Gaussian images of the image_* shape (stream.h). @since 1.1
} richeta_task;

/** Distribution of the inputs of synthetic tasks. */
typedef enum richeta_input_dist {
  RICHETA_INPUT_AUTO = 0,  ///< [auto] the task's own: sign for staircase and parity, Gaussian otherwise.
  RICHETA_INPUT_GAUSS = 1, ///< [gauss] x ~ N(0, I_D).
  RICHETA_INPUT_SIGN = 2   ///< [sign] x uniform on {-1,+1}^D (the sign of the Gaussian draw).
} richeta_input_dist;

/**
 * Targets of the teacher tasks (values of ::RICHETA_PARAM_TASK_LABELS).
 * @since 1.1
 */
typedef enum richeta_labels {
  RICHETA_LABELS_NONE = 0, ///< [none] the teacher's C real-valued outputs (plus label noise).
  /**
   * [argmax] class labels: the one-hot vector of argmax_c (y_c + b_c) of the
   * teacher's outputs y (plus label noise), with per-class offsets b fixed
   * at creation on 20000 probe inputs of the data seed so that the C
   * classes are equally likely (to within the probes' sampling error,
   * about 0.002 in probability for C = 10). Needs C >= 2; the task
   * for cross-entropy (`loss=ce`) on synthetic data.
   */
  RICHETA_LABELS_ARGMAX = 1
} richeta_labels;

/**
 * @brief Create a configuration holding every parameter at its default.
 * @param[out] out Receives the new configuration, or NULL on failure.
 * @param[in] allocator Allocator hooks for this configuration and every
 *            handle created from it, or NULL for the C library's allocator.
 *            The table is copied.
 * @retval RICHETA_OK Created.
 * @retval RICHETA_ERR_NULL @p out is NULL.
 * @retval RICHETA_ERR_INVALID Incomplete allocator table.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_config_new(richeta_config **out,
                                              const richeta_allocator *allocator);

/**
 * @brief Copy a configuration, including its allocator.
 * @param[out] out Receives the copy, or NULL on failure.
 * @param[in] src Configuration to copy.
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: @p src may be read concurrently.
 */
RICHETA_API richeta_status richeta_config_clone(richeta_config **out,
                                                const richeta_config *src);

/**
 * @brief Free a configuration; NULL is a no-op.
 * @param[in] cfg Configuration or NULL.
 * @since 1.0
 */
RICHETA_API void richeta_config_free(richeta_config *cfg);

/**
 * @brief Message of the last failed call on @p cfg.
 * @param[in] cfg Configuration, or NULL for richeta_last_error().
 * @return Never NULL; valid until the next call on @p cfg.
 * @since 1.0
 */
RICHETA_API const char *richeta_config_last_error(const richeta_config *cfg);

/**
 * @brief Set an integer (or enumeration) parameter.
 * @param[in,out] cfg Configuration.
 * @param[in] param Key of type ::RICHETA_TYPE_INT.
 * @param[in] value New value, within richeta_param_bounds().
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p cfg is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID Key is not an integer parameter.
 * @retval RICHETA_ERR_RANGE Value out of bounds.
 * @since 1.0 @par Thread safety: one thread per configuration.
 */
RICHETA_API richeta_status richeta_config_set_int(richeta_config *cfg, richeta_param param,
                                                  int64_t value);

/**
 * @brief Set a double parameter.
 * @param[in,out] cfg Configuration.
 * @param[in] param Key of type ::RICHETA_TYPE_DOUBLE.
 * @param[in] value New finite value within richeta_param_bounds(); +inf
 *            too for a key whose upper bound is +inf (RICHETA_PARAM_BLOWUP,
 *            since 1.1).
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL @p cfg is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID Key is not a double parameter.
 * @retval RICHETA_ERR_NONFINITE @p value is NaN, -inf, or +inf for a key
 *         with a finite upper bound.
 * @retval RICHETA_ERR_RANGE Value out of bounds.
 * @since 1.0 @par Thread safety: one thread per configuration.
 */
RICHETA_API richeta_status richeta_config_set_double(richeta_config *cfg, richeta_param param,
                                                     double value);

/**
 * @brief Set a string parameter (copied).
 * @param[in,out] cfg Configuration.
 * @param[in] param Key of type ::RICHETA_TYPE_STRING.
 * @param[in] value NUL-terminated string of at most 4095 bytes.
 * @retval RICHETA_OK Set.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID Key is not a string parameter.
 * @retval RICHETA_ERR_RANGE String too long.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per configuration.
 */
RICHETA_API richeta_status richeta_config_set_string(richeta_config *cfg, richeta_param param,
                                                     const char *value);

/**
 * @brief Read an integer parameter.
 * @param[in] cfg Configuration.
 * @param[in] param Key of type ::RICHETA_TYPE_INT.
 * @param[out] value Receives the value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID Key is not an integer parameter.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_config_get_int(const richeta_config *cfg, richeta_param param,
                                                  int64_t *value);

/**
 * @brief Read a double parameter.
 * @param[in] cfg Configuration.
 * @param[in] param Key of type ::RICHETA_TYPE_DOUBLE.
 * @param[out] value Receives the value.
 * @retval RICHETA_OK Read.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID Key is not a double parameter.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_config_get_double(const richeta_config *cfg,
                                                     richeta_param param, double *value);

/**
 * @brief Read a string parameter into a caller buffer.
 * @param[in] cfg Configuration.
 * @param[in] param Key of type ::RICHETA_TYPE_STRING.
 * @param[out] buf Buffer of @p cap bytes (may be NULL when @p cap is 0).
 * @param[in] cap Capacity of @p buf in bytes.
 * @param[out] needed Receives the size needed including the NUL (may be NULL).
 * @retval RICHETA_OK Copied.
 * @retval RICHETA_ERR_NULL @p cfg is NULL, or @p buf is NULL with @p cap > 0.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID Key is not a string parameter.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < needed; nothing copied.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_config_get_string(const richeta_config *cfg,
                                                     richeta_param param, char *buf, size_t cap,
                                                     size_t *needed);

/**
 * @brief Apply a spec string `key=value[,key=value...]`.
 *
 * Keys are the bracketed names of ::richeta_param; enumeration values may be
 * given by name (`act=tanh`) or number. Whitespace around tokens is ignored.
 * The string is applied atomically: on error nothing changes.
 * @param[in,out] cfg Configuration.
 * @param[in] spec NUL-terminated spec string (may be empty).
 * @retval RICHETA_OK Applied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_FORMAT Malformed token (the message names it).
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_RANGE A value is out of bounds.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per configuration.
 */
RICHETA_API richeta_status richeta_config_parse(richeta_config *cfg, const char *spec);

/**
 * @brief Write every parameter as a canonical spec string that
 *        richeta_config_parse() reads back to an equal configuration.
 * @param[in] cfg Configuration.
 * @param[out] buf Buffer of @p cap bytes (may be NULL when @p cap is 0).
 * @param[in] cap Capacity of @p buf.
 * @param[out] needed Receives the size needed including the NUL (may be NULL).
 * @retval RICHETA_OK Written.
 * @retval RICHETA_ERR_NULL @p cfg is NULL, or @p buf is NULL with @p cap > 0.
 * @retval RICHETA_ERR_BUFFER_TOO_SMALL @p cap < needed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_config_to_string(const richeta_config *cfg, char *buf,
                                                    size_t cap, size_t *needed);

/**
 * @brief Apply a spec file: spec strings on lines, `#` starts a comment.
 *
 * Equivalent to richeta_config_parse() on every line, applied atomically.
 * Calibrated learning-rate rules written by `richeta fit --save` are such
 * files.
 * @param[in,out] cfg Configuration.
 * @param[in] path File to read (at most 1 MiB).
 * @retval RICHETA_OK Applied.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_IO The file cannot be read.
 * @retval RICHETA_ERR_FORMAT Malformed line (the message gives its number).
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_RANGE A value is out of bounds, or the file is too large.
 * @retval RICHETA_ERR_NONFINITE A value is NaN or infinite.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0 @par Thread safety: one thread per configuration.
 */
RICHETA_API richeta_status richeta_config_load(richeta_config *cfg, const char *path);

/**
 * @brief Write the canonical spec string of @p cfg to a file, atomically
 *        (temporary file, fsync, rename).
 * @param[in] cfg Configuration.
 * @param[in] path Destination.
 * @retval RICHETA_OK Written.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_IO Writing failed; @p path is unchanged.
 * @retval RICHETA_ERR_NOMEM Allocation failed.
 * @since 1.0
 */
RICHETA_API richeta_status richeta_config_save(const richeta_config *cfg, const char *path);

/**
 * @brief Describe a parameter key.
 * @param[in] param Key.
 * @param[out] type Receives its value type (may be NULL).
 * @param[out] name Receives its spec-string name, static (may be NULL).
 * @retval RICHETA_OK Known key.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_param_info(richeta_param param, richeta_param_type *type,
                                              const char **name);

/**
 * @brief Inclusive bounds of a numeric parameter (integers as doubles).
 * @param[in] param Key.
 * @param[out] lower Receives the lower bound (may be NULL).
 * @param[out] upper Receives the upper bound (may be NULL).
 * @param[out] lower_open Receives 1 when the lower bound itself is excluded (may be NULL).
 * @retval RICHETA_OK Known numeric key.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key.
 * @retval RICHETA_ERR_INVALID String parameter (no bounds).
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_param_bounds(richeta_param param, double *lower,
                                                double *upper, int *lower_open);

/**
 * @brief Look a parameter key up by its spec-string name.
 * @param[in] name Name such as "gamma" or "N".
 * @param[out] param Receives the key.
 * @retval RICHETA_OK Found.
 * @retval RICHETA_ERR_NULL A pointer argument is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED No such name.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_param_from_name(const char *name, richeta_param *param);

/**
 * @brief Name of an enumeration value of an enumeration-typed parameter.
 * @param[in] param Enumeration-typed key (e.g. ::RICHETA_PARAM_ACTIVATION).
 * @param[in] value Value.
 * @param[out] name Receives a static name such as "relu".
 * @retval RICHETA_OK Found.
 * @retval RICHETA_ERR_NULL @p name is NULL.
 * @retval RICHETA_ERR_UNSUPPORTED Unknown key, or not an enumeration.
 * @retval RICHETA_ERR_RANGE No such value.
 * @since 1.0 @par Thread safety: safe.
 */
RICHETA_API richeta_status richeta_param_value_name(richeta_param param, int64_t value,
                                                    const char **name);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RICHLAZY_CONFIG_H */
