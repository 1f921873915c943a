/* Checkpoints: a versioned, CRC-checked, little-endian image of a run.
 *
 * Layout (all integers little-endian, floats as their IEEE bit patterns):
 *
 *   0   magic "RICHETA\0CKPT" (12 bytes)
 *   12  u32 format version (RLZ_CKPT_VERSION)
 *   16  u32 number of sections n (1..RLZ_CKPT_MAX_SECTIONS)
 *   20  u32 flags (0)
 *   24  u64 total file size in bytes, CRC included
 *   32  n section entries of 24 bytes: u32 id, u32 reserved (0), u64 offset, u64 length
 *   ... section payloads (anywhere between the table and the CRC)
 *   end u32 CRC-32 (zlib polynomial) of every preceding byte
 *
 * STATE (64 bytes): u32 dtype, u32 run state, u64 parameter count, u64
 * step, u64 optimizer steps, f64 eta, f64 initial loss, u64 log points, u32
 * momentum flag, u32 BLAS thread count at save time (0: unknown, files
 * written before 1.1; results are bit-reproducible for a given count).
 *
 * Sections: CONFIG (canonical spec string), STATE (fixed record above),
 * PARAMS, THETA0, MOMENTUM (model dtype; MOMENTUM empty without momentum),
 * LOG (per point: i64 step, f64 train loss, f64 held-out loss, f64 eta),
 * the optional ACCURACY (per point: f64 held-out accuracy or NaN; added
 * within version 1: files without it load with NaN accuracies), and
 * BN_STATE, written only for models with batch normalization: theta's
 * running statistics then theta0's (model dtype; added within version 1:
 * models without batch normalization write the 7 sections they always
 * did, and their older files load as before).
 * Unknown section ids are skipped, so later minor versions may add some.
 *
 * Loading parses the whole file into a view and validates every length
 * and value before touching the trainer, so a failed load changes nothing. */
#include "train/train_internal.h"

#include "core/config_internal.h"
#include "core/fileio.h"
#include "core/params.h"
#include "model/model_internal.h"
#include "optim/optim_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define RLZ_CKPT_VERSION 1u
#define RLZ_CKPT_MAX_SECTIONS 64u
#define HDR_SIZE 32u
#define ENTRY_SIZE 24u
#define STATE_SIZE 64u
#define LOG_REC 32u

static const unsigned char MAGIC[12] = {'R', 'I', 'C', 'H', 'E', 'T', 'A', 0, 'C', 'K', 'P', 'T'};

enum {
  SEC_CONFIG = 1,
  SEC_STATE = 2,
  SEC_PARAMS = 3,
  SEC_THETA0 = 4,
  SEC_MOMENTUM = 5,
  SEC_LOG = 6,
  SEC_ACCURACY = 7, /* optional */
  SEC_BN_STATE = 8  /* batch normalization's running statistics, when the model has them */
};
#define N_SECTIONS 8u
#define N_REQUIRED 6u /* sections 1..N_REQUIRED must be present */

/* ---- little-endian encoding, byte by byte (host-order independent) ---- */

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static void put_f64(unsigned char *p, double d) {
  uint64_t v;
  memcpy(&v, &d, sizeof v);
  put_u64(p, v);
}
static uint32_t get_u32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}
static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}
static double get_f64(const unsigned char *p) {
  uint64_t v = get_u64(p);
  double d;
  memcpy(&d, &v, sizeof d);
  return d;
}

/* Array of n values of dtype to / from little-endian bytes. */
static void put_array(unsigned char *p, const void *src, int64_t n, richeta_dtype dt) {
  if (dt == RICHETA_DTYPE_F32) {
    const float *f = src;
    for (int64_t i = 0; i < n; i++) {
      uint32_t v;
      memcpy(&v, &f[i], sizeof v);
      put_u32(p + 4 * i, v);
    }
  } else {
    const double *d = src;
    for (int64_t i = 0; i < n; i++)
      put_f64(p + 8 * i, d[i]);
  }
}
static void get_array(void *dst, const unsigned char *p, int64_t n, richeta_dtype dt) {
  if (dt == RICHETA_DTYPE_F32) {
    float *f = dst;
    for (int64_t i = 0; i < n; i++) {
      uint32_t v = get_u32(p + 4 * i);
      memcpy(&f[i], &v, sizeof v);
    }
  } else {
    double *d = dst;
    for (int64_t i = 0; i < n; i++)
      d[i] = get_f64(p + 8 * i);
  }
}

static uint32_t crc_of(const unsigned char *p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (n > 0) { /* zlib takes uInt lengths */
    uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
    c = crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return (uint32_t)c;
}

static size_t esize(richeta_dtype d) { return d == RICHETA_DTYPE_F32 ? 4u : 8u; }

/* Canonical spec string of cfg in a new buffer (without NUL in *len). */
static richeta_status config_string(const rlz_alloc *a, rlz_err *e, const richeta_config *cfg,
                                    char **out, size_t *len) {
  size_t need = 0;
  *out = NULL;
  richeta_status st = richeta_config_to_string(cfg, NULL, 0, &need);
  if (st != RICHETA_OK && st != RICHETA_ERR_BUFFER_TOO_SMALL)
    return rlz_fail(e, st, "cannot write the configuration: %s", richeta_config_last_error(cfg));
  if (need == 0)
    return rlz_fail(e, RICHETA_ERR_INTERNAL, "configuration string has no size");
  char *s = rlz_malloc(a, need);
  if (!s)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes", need);
  st = richeta_config_to_string(cfg, s, need, NULL);
  if (st != RICHETA_OK) {
    rlz_free(a, s);
    return rlz_fail(e, st, "cannot write the configuration: %s", richeta_config_last_error(cfg));
  }
  *out = s;
  *len = strlen(s);
  return RICHETA_OK;
}

richeta_status richeta_trainer_save(const richeta_trainer *trainer, const char *path) {
  if (!trainer || !path)
    return rlz_fail(trainer ? (rlz_err *)&trainer->err : NULL, RICHETA_ERR_NULL,
                    "richeta_trainer_save: %s is NULL", trainer ? "path" : "trainer");
  richeta_trainer *t = (richeta_trainer *)trainer; /* only the error buffer is written */
  rlz_err *e = &t->err;
  char *spec;
  size_t spec_len;
  richeta_status st = config_string(&t->alloc, e, t->cfg, &spec, &spec_len);
  if (st != RICHETA_OK)
    return st;
  const void *vel = rlz_optim_velocity_const(t->optim);
  size_t arr = (size_t)t->np * esize(t->dtype); /* the model allocated this much already */
  size_t len[N_SECTIONS + 1] = {0};
  len[SEC_CONFIG] = spec_len;
  len[SEC_STATE] = STATE_SIZE;
  len[SEC_PARAMS] = arr;
  len[SEC_THETA0] = arr;
  len[SEC_MOMENTUM] = vel ? arr : 0;
  len[SEC_LOG] = (size_t)t->log_n * LOG_REC;
  len[SEC_ACCURACY] = (size_t)t->log_n * 8u;
  int64_t ns = rlz_model_state_len(t->model);
  len[SEC_BN_STATE] = (size_t)(2 * ns) * esize(t->dtype); /* the model allocated this too */
  const unsigned nsec = ns > 0 ? N_SECTIONS : SEC_ACCURACY;
  size_t total = HDR_SIZE + nsec * ENTRY_SIZE + 4;
  for (unsigned i = 1; i <= nsec; i++)
    if (!rlz_add_size(total, len[i], &total)) {
      rlz_free(&t->alloc, spec);
      return rlz_fail(e, RICHETA_ERR_OVERFLOW, "checkpoint size overflows");
    }
  unsigned char *buf = rlz_calloc(&t->alloc, total, 1);
  if (!buf) {
    rlz_free(&t->alloc, spec);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes for a checkpoint", total);
  }
  memcpy(buf, MAGIC, sizeof MAGIC);
  put_u32(buf + 12, RLZ_CKPT_VERSION);
  put_u32(buf + 16, nsec);
  put_u32(buf + 20, 0);
  put_u64(buf + 24, (uint64_t)total);
  size_t off = HDR_SIZE + nsec * ENTRY_SIZE;
  size_t sec_off[N_SECTIONS + 1];
  for (unsigned i = 1; i <= nsec; i++) {
    unsigned char *ent = buf + HDR_SIZE + (i - 1) * ENTRY_SIZE;
    put_u32(ent, i);
    put_u32(ent + 4, 0);
    put_u64(ent + 8, (uint64_t)off);
    put_u64(ent + 16, (uint64_t)len[i]);
    sec_off[i] = off;
    off += len[i];
  }
  memcpy(buf + sec_off[SEC_CONFIG], spec, spec_len);
  rlz_free(&t->alloc, spec);
  unsigned char *p = buf + sec_off[SEC_STATE];
  int64_t osteps = 0;
  double eta = 0;
  richeta_optim_steps(t->optim, &osteps);
  richeta_optim_get_eta(t->optim, &eta);
  put_u32(p + 0, (uint32_t)t->dtype);
  put_u32(p + 4, (uint32_t)t->state);
  put_u64(p + 8, (uint64_t)t->np);
  put_u64(p + 16, (uint64_t)t->step);
  put_u64(p + 24, (uint64_t)osteps);
  put_f64(p + 32, eta);
  put_f64(p + 40, t->init_loss);
  put_u64(p + 48, (uint64_t)t->log_n);
  put_u32(p + 56, vel ? 1u : 0u);
  int threads = richeta_blas_get_threads();
  put_u32(p + 60, threads > 0 ? (uint32_t)threads : 0u);
  put_array(buf + sec_off[SEC_PARAMS], rlz_model_params_const(t->model), t->np, t->dtype);
  /* read access: saving must not make the results kept for theta0 stale */
  put_array(buf + sec_off[SEC_THETA0], rlz_model_initial_params_const(t->model), t->np, t->dtype);
  if (vel)
    put_array(buf + sec_off[SEC_MOMENTUM], vel, t->np, t->dtype);
  p = buf + sec_off[SEC_LOG];
  for (int64_t i = 0; i < t->log_n; i++, p += LOG_REC) {
    put_u64(p, (uint64_t)t->log_step[i]);
    put_f64(p + 8, t->log_train[i]);
    put_f64(p + 16, t->log_eval[i]);
    put_f64(p + 24, t->log_eta[i]);
  }
  p = buf + sec_off[SEC_ACCURACY];
  for (int64_t i = 0; i < t->log_n; i++)
    put_f64(p + 8 * i, t->log_acc[i]);
  if (ns > 0) {
    p = buf + sec_off[SEC_BN_STATE];
    put_array(p, rlz_model_state(t->model, false), ns, t->dtype);
    put_array(p + (size_t)ns * esize(t->dtype), rlz_model_state(t->model, true), ns, t->dtype);
  }
  put_u32(buf + total - 4, crc_of(buf, total - 4));
  st = rlz_write_file_atomic(e, path, buf, total);
  rlz_free(&t->alloc, buf);
  return st;
}

/* A parsed, structurally valid checkpoint (pointers into the file buffer). */
typedef struct ckpt_view {
  const unsigned char *sec[N_SECTIONS + 1];
  uint64_t len[N_SECTIONS + 1];
  uint32_t dtype, state, has_mom, blas_threads;
  int64_t np, step, osteps, log_n;
  double eta, init_loss;
} ckpt_view;

/* Validate the container (size, magic, version, CRC, section table) and
 * the STATE record's own consistency. Every length is checked before use. */
static richeta_status parse(rlz_err *e, const char *path, const unsigned char *b, size_t n,
                            ckpt_view *v) {
  memset(v, 0, sizeof *v);
  if (n < HDR_SIZE + 4)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': %zu bytes is too short for a checkpoint", path,
                    n);
  if (memcmp(b, MAGIC, sizeof MAGIC) != 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s' is not a libricheta checkpoint (bad magic)", path);
  uint32_t version = get_u32(b + 12);
  if (version != RLZ_CKPT_VERSION)
    return rlz_fail(e, RICHETA_ERR_VERSION, "'%s': checkpoint format version %u, expected %u", path,
                    version, RLZ_CKPT_VERSION);
  uint64_t fsize = get_u64(b + 24);
  if (fsize != (uint64_t)n)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "'%s': header says %llu bytes but the file has %zu (truncated or extended)",
                    path, (unsigned long long)fsize, n);
  if (crc_of(b, n - 4) != get_u32(b + n - 4))
    return rlz_fail(e, RICHETA_ERR_CHECKSUM, "'%s': CRC-32 mismatch (corrupted checkpoint)", path);
  uint32_t nsec = get_u32(b + 16);
  if (nsec < 1 || nsec > RLZ_CKPT_MAX_SECTIONS ||
      (uint64_t)HDR_SIZE + (uint64_t)nsec * ENTRY_SIZE > (uint64_t)n - 4)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': bad section count %u", path, nsec);
  uint64_t data_lo = HDR_SIZE + (uint64_t)nsec * ENTRY_SIZE, data_hi = (uint64_t)n - 4;
  for (uint32_t i = 0; i < nsec; i++) {
    const unsigned char *ent = b + HDR_SIZE + (size_t)i * ENTRY_SIZE;
    uint32_t id = get_u32(ent);
    uint64_t off = get_u64(ent + 8), len = get_u64(ent + 16);
    if (off < data_lo || off > data_hi || len > data_hi - off)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': section %u lies outside the file", path, id);
    if (id < 1 || id > N_SECTIONS)
      continue; /* unknown: skipped */
    if (v->sec[id])
      return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': section %u appears twice", path, id);
    v->sec[id] = b + off;
    v->len[id] = len;
  }
  for (unsigned id = 1; id <= N_REQUIRED; id++)
    if (!v->sec[id])
      return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': section %u is missing", path, id);
  if (v->len[SEC_STATE] != STATE_SIZE)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': state record has %llu bytes, expected %u", path,
                    (unsigned long long)v->len[SEC_STATE], STATE_SIZE);
  const unsigned char *p = v->sec[SEC_STATE];
  v->dtype = get_u32(p);
  v->state = get_u32(p + 4);
  v->np = (int64_t)get_u64(p + 8);
  v->step = (int64_t)get_u64(p + 16);
  v->osteps = (int64_t)get_u64(p + 24);
  v->eta = get_f64(p + 32);
  v->init_loss = get_f64(p + 40);
  v->log_n = (int64_t)get_u64(p + 48);
  v->has_mom = get_u32(p + 56);
  v->blas_threads = get_u32(p + 60);
  if (v->dtype != RICHETA_DTYPE_F32 && v->dtype != RICHETA_DTYPE_F64)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': bad dtype %u", path, v->dtype);
  if (v->state > RICHETA_RUN_DIVERGED || v->has_mom > 1 || v->np < 0 || v->step < 0 ||
      v->osteps < 0 || v->log_n < 0 || !isfinite(v->eta) || v->eta <= 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': inconsistent state record", path);
  uint64_t arr = (uint64_t)v->np * esize(v->dtype);
  if ((uint64_t)v->np > UINT64_MAX / 8 || v->len[SEC_PARAMS] != arr || v->len[SEC_THETA0] != arr ||
      v->len[SEC_MOMENTUM] != (v->has_mom ? arr : 0))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': parameter sections do not match %lld values",
                    path, (long long)v->np);
  if ((uint64_t)v->log_n > UINT64_MAX / LOG_REC || v->len[SEC_LOG] != (uint64_t)v->log_n * LOG_REC)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': log section does not hold %lld points", path,
                    (long long)v->log_n);
  if (v->sec[SEC_ACCURACY] && v->len[SEC_ACCURACY] != (uint64_t)v->log_n * 8u)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': accuracy section does not hold %lld points", path,
                    (long long)v->log_n);
  return RICHETA_OK;
}

/* One parameter's value as text ("tanh", "0.1", "\"x.npz\"") into buf. */
static void value_text(const richeta_config *c, const rlz_param_def *d, char *buf, size_t cap) {
  char num[RLZ_NUM_CAP];
  if (d->type == RICHETA_TYPE_DOUBLE) {
    double v = NAN;
    richeta_config_get_double(c, d->id, &v);
    snprintf(buf, cap, "%s", rlz_shortest_double(num, v));
  } else if (d->type == RICHETA_TYPE_INT) {
    int64_t v = 0;
    const char *name = NULL;
    richeta_config_get_int(c, d->id, &v);
    if (d->values && richeta_param_value_name(d->id, v, &name) == RICHETA_OK)
      snprintf(buf, cap, "%s", name);
    else
      snprintf(buf, cap, "%lld", (long long)v);
  } else {
    char s[96] = "";
    richeta_config_get_string(c, d->id, s, sizeof s, NULL);
    snprintf(buf, cap, "\"%s\"", s);
  }
}

/* "eta0: saved 0.1, this trainer's 0.05" for the first key whose values
 * differ (and how many more do), so a refused resume says what to change. */
static void first_difference(const richeta_config *saved, const richeta_config *mine, char *diff,
                             size_t cap) {
  int ndiff = 0;
  for (int i = 0; i < rlz_param_count; i++) {
    const rlz_param_def *d = &rlz_param_table[i];
    char a[128], b[128];
    value_text(saved, d, a, sizeof a);
    value_text(mine, d, b, sizeof b);
    if (strcmp(a, b) == 0)
      continue;
    if (ndiff++ == 0)
      snprintf(diff, cap, "%s: saved %s, this trainer's %s", d->name, a, b);
  }
  if (ndiff > 1) {
    size_t len = strlen(diff);
    snprintf(diff + len, cap - len, " (and %d more key%s)", ndiff - 1, ndiff > 2 ? "s" : "");
  }
}

/* Whether the stored spec string describes the configuration whose
 * canonical string is spec. Byte equality is the common case; otherwise the
 * stored string is parsed and written canonically again, so that files
 * written before a parameter was appended (the key is absent and takes its
 * default) still match. */
static richeta_status same_config(richeta_trainer *t, rlz_err *e, const char *spec, size_t spec_len,
                                  const ckpt_view *v, bool *same, char *diff, size_t diff_cap) {
  *same = spec_len == v->len[SEC_CONFIG] && memcmp(spec, v->sec[SEC_CONFIG], spec_len) == 0;
  if (*same)
    return RICHETA_OK;
  richeta_allocator al = {sizeof al, t->alloc.alloc, t->alloc.free, t->alloc.user};
  richeta_config *stored = NULL;
  char *text = rlz_malloc(&t->alloc, (size_t)v->len[SEC_CONFIG] + 1);
  if (!text)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate the stored configuration");
  memcpy(text, v->sec[SEC_CONFIG], (size_t)v->len[SEC_CONFIG]);
  text[v->len[SEC_CONFIG]] = '\0';
  richeta_status st = richeta_config_new(&stored, &al);
  if (st != RICHETA_OK) {
    rlz_free(&t->alloc, text);
    return rlz_fail(e, st, "cannot allocate the stored configuration");
  }
  if (strlen(text) == v->len[SEC_CONFIG] && richeta_config_parse(stored, text) == RICHETA_OK) {
    char *canon;
    size_t canon_len;
    st = config_string(&t->alloc, e, stored, &canon, &canon_len);
    if (st == RICHETA_OK) {
      *same = canon_len == spec_len && memcmp(canon, spec, spec_len) == 0;
      rlz_free(&t->alloc, canon);
      if (!*same)
        first_difference(stored, t->cfg, diff, diff_cap);
    }
  }
  richeta_config_free(stored);
  rlz_free(&t->alloc, text);
  return st;
}

/* Check that the view fits trainer t, then copy it in. Nothing is written
 * before every check passed. */
static richeta_status apply(richeta_trainer *t, rlz_err *e, const char *path, const ckpt_view *v) {
  char *spec;
  size_t spec_len;
  richeta_status st = config_string(&t->alloc, e, t->cfg, &spec, &spec_len);
  if (st != RICHETA_OK)
    return st;
  bool same = false;
  char diff[320] = "";
  st = same_config(t, e, spec, spec_len, v, &same, diff, sizeof diff);
  rlz_free(&t->alloc, spec);
  if (st != RICHETA_OK)
    return st;
  if (!same)
    return rlz_fail(e, RICHETA_ERR_MISMATCH,
                    "'%s' was saved with a different configuration than this trainer's%s%s", path,
                    diff[0] ? ": " : "", diff);
  void *vel = rlz_optim_velocity(t->optim);
  if (v->dtype != (uint32_t)t->dtype || v->np != t->np || (v->has_mom != 0) != (vel != NULL))
    return rlz_fail(e, RICHETA_ERR_MISMATCH, "'%s': model or optimizer shape differs", path);
  int64_t ns = rlz_model_state_len(t->model);
  if (v->len[SEC_BN_STATE] != (uint64_t)(2 * ns) * esize(t->dtype) ||
      (ns > 0 && !v->sec[SEC_BN_STATE]))
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "'%s': the running statistics section does not hold 2 x %lld values", path,
                    (long long)ns);
  if (v->step > t->T || v->log_n > t->log_cap || (v->state == RICHETA_RUN_DONE && v->step != t->T))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': step %lld or log size %lld impossible here", path,
                    (long long)v->step, (long long)v->log_n);
  const unsigned char *p = v->sec[SEC_LOG];
  int64_t prev = -1;
  for (int64_t i = 0; i < v->log_n; i++, p += LOG_REC) {
    int64_t s = (int64_t)get_u64(p);
    if (s < prev || s > t->T)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "'%s': log point %lld has bad step %lld", path,
                      (long long)i, (long long)s);
    prev = s;
  }
  /* all checks passed: copy */
  get_array(rlz_model_params(t->model), v->sec[SEC_PARAMS], t->np, t->dtype);
  get_array(rlz_model_initial_params(t->model), v->sec[SEC_THETA0], t->np, t->dtype);
  if (vel)
    get_array(vel, v->sec[SEC_MOMENTUM], t->np, t->dtype);
  if (ns > 0) {
    get_array(rlz_model_state(t->model, false), v->sec[SEC_BN_STATE], ns, t->dtype);
    get_array(rlz_model_state(t->model, true), v->sec[SEC_BN_STATE] + (size_t)ns * esize(t->dtype),
              ns, t->dtype);
  }
  rlz_optim_restore(t->optim, v->osteps, v->eta);
  t->step = v->step;
  t->state = (int)v->state;
  t->ckpt_blas_threads = v->blas_threads > 1u << 20 ? 0 : (int)v->blas_threads;
  t->init_loss = v->init_loss;
  t->bx_step = -1;
  t->log_n = v->log_n;
  p = v->sec[SEC_LOG];
  for (int64_t i = 0; i < v->log_n; i++, p += LOG_REC) {
    t->log_step[i] = (int64_t)get_u64(p);
    t->log_train[i] = get_f64(p + 8);
    t->log_eval[i] = get_f64(p + 16);
    t->log_eta[i] = get_f64(p + 24);
    t->log_acc[i] = v->sec[SEC_ACCURACY] ? get_f64(v->sec[SEC_ACCURACY] + 8 * i) : NAN;
  }
  return RICHETA_OK;
}

/* Read and parse path with allocator a; *buf must be freed by the caller. */
static richeta_status read_view(const rlz_alloc *a, rlz_err *e, const char *path,
                                unsigned char **buf, ckpt_view *v) {
  char *data;
  size_t n;
  *buf = NULL;
  richeta_status st = rlz_read_file(a, e, path, SIZE_MAX / 2, &data, &n);
  if (st != RICHETA_OK)
    return st == RICHETA_ERR_RANGE ? rlz_fail(e, RICHETA_ERR_FORMAT, "'%s' is too large", path)
                                   : st;
  *buf = (unsigned char *)data;
  return parse(e, path, *buf, n, v);
}

richeta_status richeta_trainer_load(richeta_trainer *trainer, const char *path) {
  if (!trainer || !path)
    return rlz_fail(trainer ? &trainer->err : NULL, RICHETA_ERR_NULL,
                    "richeta_trainer_load: %s is NULL", trainer ? "path" : "trainer");
  if (trainer->in_callback > 0)
    return rlz_fail(&trainer->err, RICHETA_ERR_STATE,
                    "richeta_trainer_load: called from inside the trainer's own log callback");
  unsigned char *buf;
  ckpt_view v;
  richeta_status st = read_view(&trainer->alloc, &trainer->err, path, &buf, &v);
  if (st == RICHETA_OK)
    st = apply(trainer, &trainer->err, path, &v);
  rlz_free(&trainer->alloc, buf);
  return st;
}

richeta_status richeta_trainer_resume(richeta_trainer **out, const char *path,
                                      const richeta_allocator *allocator) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_resume: out is NULL");
  *out = NULL;
  if (!path)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_resume: path is NULL");
  rlz_alloc a;
  if (rlz_alloc_resolve(&a, allocator) != RICHETA_OK)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "richeta_trainer_resume: incomplete allocator");
  unsigned char *buf;
  ckpt_view v;
  richeta_status st = read_view(&a, NULL, path, &buf, &v);
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  char *spec = NULL;
  if (st != RICHETA_OK)
    goto done;
  st = richeta_config_new(&cfg, allocator);
  if (st != RICHETA_OK)
    goto done;
  spec = rlz_malloc(&a, (size_t)v.len[SEC_CONFIG] + 1);
  if (!spec) {
    st = rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate the configuration string");
    goto done;
  }
  memcpy(spec, v.sec[SEC_CONFIG], (size_t)v.len[SEC_CONFIG]);
  spec[v.len[SEC_CONFIG]] = '\0';
  if (strlen(spec) != v.len[SEC_CONFIG]) {
    st = rlz_fail(NULL, RICHETA_ERR_FORMAT, "'%s': configuration contains a NUL byte", path);
    goto done;
  }
  st = richeta_config_parse(cfg, spec);
  if (st != RICHETA_OK) {
    st =
        rlz_fail(NULL, st == RICHETA_ERR_NOMEM ? st : RICHETA_ERR_FORMAT,
                 "'%s': stored configuration is invalid: %s", path, richeta_config_last_error(cfg));
    goto done;
  }
  st = rlz_trainer_create(&t, cfg, NULL);
  if (st != RICHETA_OK)
    goto done;
  st = apply(t, NULL, path, &v);
  if (st == RICHETA_OK) {
    *out = t;
    t = NULL;
  }
done:
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  rlz_free(&a, spec);
  rlz_free(&a, buf);
  return st;
}

richeta_status rlz_checkpoint_config(const rlz_alloc *a, rlz_err *e, const char *path,
                                     char **spec) {
  *spec = NULL;
  unsigned char *buf;
  ckpt_view v;
  richeta_status st = read_view(a, e, path, &buf, &v);
  if (st == RICHETA_OK) {
    *spec = rlz_malloc(a, (size_t)v.len[SEC_CONFIG] + 1);
    if (!*spec) {
      st = rlz_fail(e, RICHETA_ERR_NOMEM, "cannot allocate the configuration string");
    } else {
      memcpy(*spec, v.sec[SEC_CONFIG], (size_t)v.len[SEC_CONFIG]);
      (*spec)[v.len[SEC_CONFIG]] = '\0';
    }
  }
  rlz_free(a, buf);
  return st;
}

richeta_status richeta_trainer_saved_blas_threads(const richeta_trainer *trainer, int *threads) {
  if (!trainer || !threads)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_trainer_saved_blas_threads: NULL argument");
  *threads = trainer->ckpt_blas_threads;
  return RICHETA_OK;
}
