/* The parameter table and its public queries. */
#include "params.h"
#include "core.h"

#include <richlazy/data.h>

#include <ctype.h>
#include <math.h>
#include <string.h>

static const char *const param_names[] = {"mf", "ntk", "sp"};
static const char *const act_names[] = {"relu", "tanh", "gelu", "identity"};
static const char *const loss_names[] = {"mse", "ce"};
static const char *const dtype_names[] = {"auto", "f32", "f64"};
static const char *const center_names[] = {"none", "frozen"};
static const char *const rule_names[] = {"none", "theory", "custom"};
static const char *const sched_names[] = {"constant", "cosine", "step"};
static const char *const task_names[] = {"linear",    "mlp",          "callback",
                                         "file",      "single_index", "multi_index",
                                         "staircase", "parity",       "image_cnn"};
static const char *const input_names[] = {"auto", "gauss", "sign"};
static const char *const label_names[] = {"none", "argmax"}; /* indexed by richeta_labels */
static const char *const arch_names[] = {"mlp", "cnn", "resnet18"};
static const char *const conv_scale_names[] = {"channels", "fan_in"};
/* indexed by richeta_norm */
static const char *const data_norm_names[] = {"none", "per_feature", "per_channel", "global"};

#define N_(a) (int)(sizeof(a) / sizeof((a)[0]))
#define BIG 1e30
#define SEED_MAX 9007199254740992.0 /* 2^53: exact as a double */
#define INT_ROW(id, name, lo, hi, def, help)                                                       \
  { id, name, RICHETA_TYPE_INT, lo, hi, 0, def, 0.0, NULL, NULL, 0, help, 0 }
#define ENUM_ROW(id, name, names, def, help)                                                       \
  { id, name, RICHETA_TYPE_INT, 0, N_(names) - 1, 0, def, 0.0, NULL, names, N_(names), help, 0 }
#define DBL_ROW(id, name, lo, hi, lo_open, def, help)                                              \
  { id, name, RICHETA_TYPE_DOUBLE, lo, hi, lo_open, 0, def, NULL, NULL, 0, help, 0 }
/* Rows of keys added in 1.1 (rlz_param_def.since_minor). */
#define INT_ROW_1_1(id, name, lo, hi, def, help)                                                   \
  { id, name, RICHETA_TYPE_INT, lo, hi, 0, def, 0.0, NULL, NULL, 0, help, 1 }
#define ENUM_ROW_1_1(id, name, names, def, help)                                                   \
  { id, name, RICHETA_TYPE_INT, 0, N_(names) - 1, 0, def, 0.0, NULL, names, N_(names), help, 1 }

const rlz_param_def rlz_param_table[] = {
    INT_ROW(RICHETA_PARAM_INPUT_DIM, "D", 1, 1 << 24, 16, "input dimension"),
    INT_ROW(RICHETA_PARAM_WIDTH, "N", 1, 1 << 20, 64, "hidden width"),
    INT_ROW(RICHETA_PARAM_OUTPUT_DIM, "C", 1, 1 << 20, 1, "number of outputs"),
    INT_ROW(RICHETA_PARAM_DEPTH, "L", 1, 64, 3, "number of weight matrices"),
    INT_ROW(RICHETA_PARAM_BIAS, "bias", 0, 1, 1, "1 = biases on, 0 = off"),
    ENUM_ROW(RICHETA_PARAM_PARAMETERIZATION, "param", param_names, 0,
             "parameterization: mf (mean-field/muP), ntk, sp"),
    ENUM_ROW(RICHETA_PARAM_ACTIVATION, "act", act_names, 0,
             "activation: relu, tanh, gelu, identity"),
    ENUM_ROW(RICHETA_PARAM_LOSS, "loss", loss_names, 0, "loss: mse (no 1/2) or ce"),
    ENUM_ROW(RICHETA_PARAM_DTYPE, "dtype", dtype_names, 0,
             "precision: auto (f64 if gamma<1e-2), f32, f64"),
    ENUM_ROW(RICHETA_PARAM_CENTERING, "center", center_names, 1,
             "centering: none, frozen (f - f at init)"),
    DBL_ROW(RICHETA_PARAM_GAMMA, "gamma", 0, BIG, 1, 1.0, "feature-learning strength gamma > 0"),
    INT_ROW(RICHETA_PARAM_SEED, "seed", 0, SEED_MAX, 0, "seed of the initialisation"),
    INT_ROW(RICHETA_PARAM_BATCH, "B", 1, 1 << 20, 32, "batch size"),
    ENUM_ROW_1_1(
        RICHETA_PARAM_ARCH, "arch", arch_names, 0,
        "architecture: mlp, cnn (the paper's CNN, labelled L=4), resnet18 (its muP ResNet-18, "
        "labelled L=3); the CLI sets L unless given"),
    INT_ROW_1_1(RICHETA_PARAM_IMAGE_CHANNELS, "image_channels", 0, 1 << 16, 0,
                "input image channels (0: not an image; D = channels*height*width)"),
    INT_ROW_1_1(RICHETA_PARAM_IMAGE_HEIGHT, "image_height", 0, 1 << 16, 0, "input image height"),
    INT_ROW_1_1(RICHETA_PARAM_IMAGE_WIDTH, "image_width", 0, 1 << 16, 0, "input image width"),
    ENUM_ROW_1_1(RICHETA_PARAM_CONV_SCALE, "conv_scale", conv_scale_names, 0,
                 "convolutions divide by sqrt(C_in) (channels) or sqrt(C_in k^2) (fan_in)"),
    DBL_ROW(RICHETA_PARAM_ETA0, "eta0", 0, BIG, 1, 0.1, "base learning rate eta0 > 0"),
    DBL_ROW(RICHETA_PARAM_MOMENTUM, "momentum", 0, 0.999999, 0, 0.0,
            "heavy-ball momentum in [0,1)"),
    DBL_ROW(RICHETA_PARAM_WEIGHT_DECAY, "wd", 0, 1e6, 0, 0.0, "L2 weight decay"),
    ENUM_ROW(RICHETA_PARAM_GAMMA_RULE, "rule", rule_names, 0,
             "gamma rule of the rate: none, theory, custom"),
    ENUM_ROW(RICHETA_PARAM_SCHEDULE, "schedule", sched_names, 0,
             "time schedule: constant, cosine, step"),
    INT_ROW(RICHETA_PARAM_WARMUP_STEPS, "warmup", 0, 1e12, 0, "linear warm-up steps"),
    INT_ROW(RICHETA_PARAM_DECAY_STEPS, "decay_every", 1, 1e12, 1000, "step-decay interval"),
    DBL_ROW(RICHETA_PARAM_DECAY_FACTOR, "decay_factor", 0, 1, 1, 0.1, "step-decay factor in (0,1]"),
    DBL_ROW(RICHETA_PARAM_MIN_FACTOR, "min_factor", 0, 1, 0, 0.0, "cosine floor in [0,1]"),
    DBL_ROW(RICHETA_PARAM_LAZY_EXPONENT, "lazy_exp", -10, 10, 0, 2.0,
            "custom rule exponent below the crossover"),
    DBL_ROW(RICHETA_PARAM_RICH_EXPONENT, "rich_exp", -10, 10, 0, 2.0 / 3.0,
            "custom rule exponent above the crossover"),
    DBL_ROW(RICHETA_PARAM_CROSSOVER, "crossover", 0, BIG, 1, 1.0, "custom rule crossover gamma"),
    DBL_ROW(RICHETA_PARAM_RULE_PREFACTOR, "prefactor", 0, BIG, 1, 1.0,
            "custom rule factor at the crossover"),
    ENUM_ROW(RICHETA_PARAM_TASK, "task", task_names, 0,
             "data: linear, mlp, callback, file, single_index, multi_index, staircase, parity, "
             "image_cnn"),
    INT_ROW(RICHETA_PARAM_TEACHER_WIDTH, "teacher_N", 1, 1 << 20, 64, "MLP-teacher width"),
    INT_ROW(RICHETA_PARAM_TEACHER_DEPTH, "teacher_L", 1, 64, 2, "MLP-teacher depth"),
    ENUM_ROW(RICHETA_PARAM_TEACHER_ACTIVATION, "teacher_act", act_names, 1,
             "MLP-teacher activation"),
    DBL_ROW(RICHETA_PARAM_LABEL_NOISE, "noise", 0, 1e6, 0, 0.0, "label noise std"),
    INT_ROW(RICHETA_PARAM_DATA_SEED, "data_seed", 0, SEED_MAX, 1, "seed of teacher and samples"),
    {RICHETA_PARAM_DATA_PATH, "data", RICHETA_TYPE_STRING, 0, 0, 0, 0, 0.0, "", NULL, 0,
     "data set name or path (task=file)", 0},
    INT_ROW(RICHETA_PARAM_TASK_DEGREE, "degree", 1, 20, 2,
            "Hermite degree p of single_index and multi_index"),
    INT_ROW(RICHETA_PARAM_TASK_INDICES, "k", 1, 1 << 20, 3,
            "relevant directions: multi_index directions, parity order, staircase depth"),
    ENUM_ROW(RICHETA_PARAM_TASK_INPUTS, "inputs", input_names, 0,
             "synthetic inputs: auto (task's own), gauss, sign"),
    ENUM_ROW_1_1(RICHETA_PARAM_TASK_LABELS, "labels", label_names, RICHETA_LABELS_NONE,
                 "teacher targets: none (real values) or argmax (balanced one-hot classes, C >= 2)"),
    ENUM_ROW_1_1(RICHETA_PARAM_DATA_NORM, "data_norm", data_norm_names, RICHETA_NORM_GLOBAL,
                 "file-stream normalization from the training split: none, per_feature, "
                 "per_channel, global"),
    INT_ROW(RICHETA_PARAM_STEPS, "T", 0, 1e12, 400, "training steps"),
    INT_ROW(RICHETA_PARAM_LOG_PER_DECADE, "log_per_decade", 0, 1000, 10,
            "logged steps per decade (0: every step)"),
    DBL_ROW(RICHETA_PARAM_BLOWUP, "blowup", 1, INFINITY, 1, 1e3,
            "divergence when loss > blowup x initial loss (inf: NaN/Inf only)"),
    INT_ROW(RICHETA_PARAM_EVAL_SIZE, "eval_n", 0, 1 << 24, 512, "held-out samples"),
};
const int rlz_param_count = N_(rlz_param_table);

int rlz_param_index(richeta_param p) {
  for (int i = 0; i < rlz_param_count; i++)
    if (rlz_param_table[i].id == p)
      return i;
  return -1;
}

const rlz_param_alias rlz_param_aliases[] = {
    {"input_dim", "D"},
    {"width", "N"},
    {"outputs", "C"},
    {"output_dim", "C"},
    {"depth", "L"},
    {"batch", "B"},
    {"steps", "T"},
    {"activation", "act"},
    {"parameterization", "param"},
    {"lr", "eta0"},
    {"eta", "eta0"},
    {"dataset", "data"},
    {"data_path", "data"},
    {"centering", "center"},
    {"channels", "image_channels"},
    {"height", "image_height"},
    {"weight_decay", "wd"},
    {"gamma_rule", "rule"},
    {"warmup_steps", "warmup"},
    {"decay_steps", "decay_every"},
    {"lazy_exponent", "lazy_exp"},
    {"rich_exponent", "rich_exp"},
    {"rule_prefactor", "prefactor"},
    {"teacher_width", "teacher_N"},
    {"teacher_depth", "teacher_L"},
    {"teacher_activation", "teacher_act"},
    {"label_noise", "noise"},
    {"task_degree", "degree"},
    {"task_indices", "k"},
    {"task_inputs", "inputs"},
    {"eval_size", "eval_n"},
};
const int rlz_param_alias_count = (int)(sizeof rlz_param_aliases / sizeof rlz_param_aliases[0]);

static int exact_index(const char *name) {
  for (int i = 0; i < rlz_param_count; i++)
    if (strcmp(rlz_param_table[i].name, name) == 0)
      return i;
  return -1;
}

int rlz_param_index_by_name(const char *name) {
  int i = exact_index(name);
  if (i >= 0)
    return i;
  char norm[64];
  size_t len = strlen(name);
  if (len == 0 || len >= sizeof norm)
    return -1;
  for (size_t k = 0; k <= len; k++)
    norm[k] = name[k] == '-' ? '_' : name[k];
  if ((i = exact_index(norm)) >= 0)
    return i;
  for (int k = 0; k < rlz_param_alias_count; k++)
    if (strcmp(rlz_param_aliases[k].alias, norm) == 0)
      return exact_index(rlz_param_aliases[k].name);
  return -1;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps),
 * case-insensitive, capped: names are short. */
int rlz_name_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 62 || m > 62)
    return 99;
  int d[64][64];
  for (size_t i = 0; i <= n; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
      int best = d[i - 1][j - 1] + (ca != cb);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

const char *rlz_param_closest_name(const char *name) {
  const char *best = NULL;
  /* one-letter spec names (N, T...) are too close to everything short */
  int best_d = strlen(name) <= 3 ? 2 : 3;
  for (int i = 0; i < rlz_param_count + rlz_param_alias_count; i++) {
    const char *cand = i < rlz_param_count ? rlz_param_table[i].name
                                           : rlz_param_aliases[i - rlz_param_count].alias;
    int dd = rlz_name_distance(name, cand);
    if (dd < best_d && (strlen(cand) > 1 || dd == 0)) {
      best_d = dd;
      best = cand;
    }
  }
  return best;
}

richeta_status richeta_param_info(richeta_param param, richeta_param_type *type,
                                  const char **name) {
  int i = rlz_param_index(param);
  if (i < 0)
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "unknown parameter key %d", (int)param);
  if (type)
    *type = rlz_param_table[i].type;
  if (name)
    *name = rlz_param_table[i].name;
  return RICHETA_OK;
}

richeta_status richeta_param_bounds(richeta_param param, double *lower, double *upper,
                                    int *lower_open) {
  int i = rlz_param_index(param);
  if (i < 0)
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "unknown parameter key %d", (int)param);
  const rlz_param_def *d = &rlz_param_table[i];
  if (d->type == RICHETA_TYPE_STRING)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "parameter '%s' is a string: no bounds", d->name);
  if (lower)
    *lower = d->lo;
  if (upper)
    *upper = d->hi;
  if (lower_open)
    *lower_open = d->lo_open;
  return RICHETA_OK;
}

richeta_status richeta_param_from_name(const char *name, richeta_param *param) {
  if (!name || !param)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_param_from_name: NULL argument");
  int i = rlz_param_index_by_name(name);
  const char *near = i < 0 ? rlz_param_closest_name(name) : NULL;
  if (i < 0)
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "unknown parameter name '%s'%s%s%s", name,
                    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
  *param = rlz_param_table[i].id;
  return RICHETA_OK;
}

richeta_status richeta_param_value_name(richeta_param param, int64_t value, const char **name) {
  if (!name)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_param_value_name: NULL name");
  int i = rlz_param_index(param);
  if (i < 0 || !rlz_param_table[i].values)
    return rlz_fail(NULL, RICHETA_ERR_UNSUPPORTED, "parameter key %d is not an enumeration",
                    (int)param);
  if (value < 0 || value >= rlz_param_table[i].nvalues)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "no value %lld for parameter '%s'", (long long)value,
                    rlz_param_table[i].name);
  *name = rlz_param_table[i].values[value];
  return RICHETA_OK;
}
