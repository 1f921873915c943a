/* The configuration object: typed, bounds-checked values for every key of
 * the parameter table, and the spec-string reader and writer. */
#include "config_internal.h"
#include "fileio.h"
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RLZ_STRING_MAX 4095
#define RLZ_SPEC_FILE_MAX (1u << 20)

typedef union rlz_value {
  int64_t i;
  double d;
  char *s;
} rlz_value;

struct richeta_config {
  rlz_alloc alloc;
  rlz_err err;
  rlz_value *values; /* one per row of rlz_param_table */
};

static void free_values(const rlz_alloc *a, rlz_value *v) {
  if (!v)
    return;
  for (int i = 0; i < rlz_param_count; i++)
    if (rlz_param_table[i].type == RICHETA_TYPE_STRING)
      rlz_free(a, v[i].s);
  rlz_free(a, v);
}

/* Deep copy of a value array (src NULL: defaults). */
static rlz_value *copy_values(const rlz_alloc *a, const rlz_value *src) {
  rlz_value *v = rlz_calloc(a, (size_t)rlz_param_count, sizeof *v);
  if (!v)
    return NULL;
  for (int i = 0; i < rlz_param_count; i++) {
    const rlz_param_def *d = &rlz_param_table[i];
    switch (d->type) {
    case RICHETA_TYPE_INT: v[i].i = src ? src[i].i : d->def_int; break;
    case RICHETA_TYPE_DOUBLE: v[i].d = src ? src[i].d : d->def_double; break;
    case RICHETA_TYPE_STRING:
      v[i].s = rlz_strdup(a, src ? src[i].s : d->def_string);
      if (!v[i].s) {
        free_values(a, v);
        return NULL;
      }
      break;
    }
  }
  return v;
}

richeta_status richeta_config_new(richeta_config **out, const richeta_allocator *allocator) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_new: out is NULL");
  *out = NULL;
  rlz_alloc a;
  if (rlz_alloc_resolve(&a, allocator) != RICHETA_OK)
    return rlz_fail(NULL, RICHETA_ERR_INVALID,
                    "allocator table too small or with NULL hooks (set struct_size, alloc, free)");
  richeta_config *c = rlz_malloc(&a, sizeof *c);
  if (!c)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a configuration");
  c->alloc = a;
  c->err.msg[0] = '\0';
  c->values = copy_values(&a, NULL);
  if (!c->values) {
    rlz_free(&a, c);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate configuration values");
  }
  *out = c;
  return RICHETA_OK;
}

richeta_status richeta_config_clone(richeta_config **out, const richeta_config *src) {
  if (!out)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_clone: out is NULL");
  *out = NULL;
  if (!src)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_clone: src is NULL");
  richeta_config *c = rlz_malloc(&src->alloc, sizeof *c);
  if (!c)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate a configuration");
  c->alloc = src->alloc;
  c->err.msg[0] = '\0';
  c->values = copy_values(&src->alloc, src->values);
  if (!c->values) {
    rlz_free(&src->alloc, c);
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate configuration values");
  }
  *out = c;
  return RICHETA_OK;
}

void richeta_config_free(richeta_config *cfg) {
  if (!cfg)
    return;
  rlz_alloc a = cfg->alloc;
  free_values(&a, cfg->values);
  rlz_free(&a, cfg);
}

const char *richeta_config_last_error(const richeta_config *cfg) {
  return cfg ? cfg->err.msg : rlz_thread_error();
}

/* Find a row of the expected type, or fail with the right status. */
static richeta_status lookup(rlz_err *e, richeta_param p, richeta_param_type want, int *row) {
  int i = rlz_param_index(p);
  if (i < 0)
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED, "unknown parameter key %d", (int)p);
  if (rlz_param_table[i].type != want)
    return rlz_fail(e, RICHETA_ERR_INVALID, "parameter '%s' is not of the requested type",
                    rlz_param_table[i].name);
  *row = i;
  return RICHETA_OK;
}

/* v < lo or v > hi, compared exactly: (double)v rounds above 2^53, which
 * let 2^53 + 1 pass a bound of 2^53. */
static bool int_outside(int64_t v, double lo, double hi) {
  if (lo > -9.2e18 && v < (int64_t)ceil(lo))
    return true;
  return hi < 9.2e18 && v > (int64_t)floor(hi);
}

static richeta_status check_int(rlz_err *e, const rlz_param_def *d, int64_t v) {
  char lo[RLZ_NUM_CAP], hi[RLZ_NUM_CAP];
  if (int_outside(v, d->lo, d->hi))
    return rlz_fail(e, RICHETA_ERR_RANGE, "%s=%lld is outside [%s, %s]", d->name, (long long)v,
                    rlz_shortest_double(lo, d->lo), rlz_shortest_double(hi, d->hi));
  return RICHETA_OK;
}

/* Rows whose upper bound is +inf take +inf itself (blowup=inf: only NaN/Inf
 * losses diverge); NaN and -inf are never values. */
static bool value_allowed(const rlz_param_def *d, double v) {
  return isfinite(v) || (v > 0 && isinf(v) && isinf(d->hi));
}

static richeta_status check_double(rlz_err *e, const rlz_param_def *d, double v) {
  if (!value_allowed(d, v))
    return rlz_fail(e, RICHETA_ERR_NONFINITE, "%s must be finite", d->name);
  char val[RLZ_NUM_CAP], lo[RLZ_NUM_CAP], hi[RLZ_NUM_CAP];
  if (v < d->lo || v > d->hi || (d->lo_open && v == d->lo))
    return rlz_fail(e, RICHETA_ERR_RANGE, "%s=%s is outside %s%s, %s]", d->name,
                    rlz_shortest_double(val, v), d->lo_open ? "(" : "[",
                    rlz_shortest_double(lo, d->lo), rlz_shortest_double(hi, d->hi));
  return RICHETA_OK;
}

richeta_status richeta_config_set_int(richeta_config *cfg, richeta_param param, int64_t value) {
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_set_int: cfg is NULL");
  int i = 0; /* set by lookup; initialised for -O3 -Wmaybe-uninitialized */
  richeta_status s = lookup(&cfg->err, param, RICHETA_TYPE_INT, &i);
  if (s == RICHETA_OK)
    s = check_int(&cfg->err, &rlz_param_table[i], value);
  if (s == RICHETA_OK)
    cfg->values[i].i = value;
  return s;
}

richeta_status richeta_config_set_double(richeta_config *cfg, richeta_param param, double value) {
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_set_double: cfg is NULL");
  int i = 0; /* set by lookup; initialised for -O3 -Wmaybe-uninitialized */
  richeta_status s = lookup(&cfg->err, param, RICHETA_TYPE_DOUBLE, &i);
  if (s == RICHETA_OK)
    s = check_double(&cfg->err, &rlz_param_table[i], value);
  if (s == RICHETA_OK)
    cfg->values[i].d = value;
  return s;
}

static richeta_status set_string_row(richeta_config *cfg, rlz_value *values, int i,
                                     const char *value) {
  if (strlen(value) > RLZ_STRING_MAX)
    return rlz_fail(&cfg->err, RICHETA_ERR_RANGE, "%s is longer than %d bytes",
                    rlz_param_table[i].name, RLZ_STRING_MAX);
  char *copy = rlz_strdup(&cfg->alloc, value);
  if (!copy)
    return rlz_fail(&cfg->err, RICHETA_ERR_NOMEM, "cannot copy %s", rlz_param_table[i].name);
  rlz_free(&cfg->alloc, values[i].s);
  values[i].s = copy;
  return RICHETA_OK;
}

richeta_status richeta_config_set_string(richeta_config *cfg, richeta_param param,
                                         const char *value) {
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_set_string: cfg is NULL");
  if (!value)
    return rlz_fail(&cfg->err, RICHETA_ERR_NULL, "richeta_config_set_string: value is NULL");
  int i = 0; /* set by lookup; initialised for -O3 -Wmaybe-uninitialized */
  richeta_status s = lookup(&cfg->err, param, RICHETA_TYPE_STRING, &i);
  if (s != RICHETA_OK)
    return s;
  return set_string_row(cfg, cfg->values, i, value);
}

richeta_status richeta_config_get_int(const richeta_config *cfg, richeta_param param,
                                      int64_t *value) {
  if (!cfg || !value)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_get_int: NULL argument");
  int i = 0; /* set by lookup; initialised for -O3 -Wmaybe-uninitialized */
  richeta_status s = lookup(NULL, param, RICHETA_TYPE_INT, &i);
  if (s == RICHETA_OK)
    *value = cfg->values[i].i;
  return s;
}

richeta_status richeta_config_get_double(const richeta_config *cfg, richeta_param param,
                                         double *value) {
  if (!cfg || !value)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_get_double: NULL argument");
  int i = 0; /* set by lookup; initialised for -O3 -Wmaybe-uninitialized */
  richeta_status s = lookup(NULL, param, RICHETA_TYPE_DOUBLE, &i);
  if (s == RICHETA_OK)
    *value = cfg->values[i].d;
  return s;
}

richeta_status richeta_config_get_string(const richeta_config *cfg, richeta_param param,
                                         char *buf, size_t cap, size_t *needed) {
  if (!cfg || (!buf && cap > 0))
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_get_string: NULL argument");
  int i = 0; /* set by lookup; initialised for -O3 -Wmaybe-uninitialized */
  richeta_status s = lookup(NULL, param, RICHETA_TYPE_STRING, &i);
  if (s != RICHETA_OK)
    return s;
  size_t n = strlen(cfg->values[i].s) + 1;
  if (needed)
    *needed = n;
  if (cap < n)
    return rlz_fail(NULL, RICHETA_ERR_BUFFER_TOO_SMALL, "%s needs %zu bytes, buffer has %zu",
                    rlz_param_table[i].name, n, cap);
  memcpy(buf, cfg->values[i].s, n);
  return RICHETA_OK;
}

/* ---- spec strings ---------------------------------------------------- */

/* Parse one value for row i from [v, v+len) into vals. */
static richeta_status parse_value(richeta_config *cfg, rlz_value *vals, int i, const char *v,
                                  size_t len) {
  const rlz_param_def *d = &rlz_param_table[i];
  char tmp[RLZ_STRING_MAX + 1];
  if (len > RLZ_STRING_MAX)
    return rlz_fail(&cfg->err, RICHETA_ERR_RANGE, "value of '%s' is too long", d->name);
  memcpy(tmp, v, len);
  tmp[len] = '\0';
  if (d->type == RICHETA_TYPE_STRING)
    return set_string_row(cfg, vals, i, tmp);
  if (len == 0)
    return rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "empty value for '%s'", d->name);
  if (d->values) { /* enumeration by name */
    for (int k = 0; k < d->nvalues; k++)
      if (strcmp(tmp, d->values[k]) == 0) {
        vals[i].i = k;
        return RICHETA_OK;
      }
  }
  char *end;
  errno = 0;
  double x = strtod(tmp, &end);
  if (*end != '\0' || end == tmp) {
    if (d->values) {
      char names[256] = "";
      for (int k = 0; k < d->nvalues; k++) {
        strncat(names, d->values[k], sizeof names - strlen(names) - 1);
        if (k + 1 < d->nvalues)
          strncat(names, ", ", sizeof names - strlen(names) - 1);
      }
      return rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "unknown value '%s' for '%s' (one of: %s)",
                      tmp, d->name, names);
    }
    return rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "'%s' is not a number (for '%s')", tmp,
                    d->name);
  }
  if (!(d->type == RICHETA_TYPE_DOUBLE ? value_allowed(d, x) : isfinite(x)))
    return rlz_fail(&cfg->err, RICHETA_ERR_NONFINITE, "%s must be finite (got '%s')", d->name,
                    tmp);
  if (d->type == RICHETA_TYPE_DOUBLE) {
    richeta_status s = check_double(&cfg->err, d, x);
    if (s == RICHETA_OK)
      vals[i].d = x;
    return s;
  }
  /* integers: plain decimal, or an exactly integral number such as 1e5 */
  if (x != floor(x) || fabs(x) > 9.2e18)
    return rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "'%s' is not an integer (for '%s')", tmp,
                    d->name);
  int64_t iv = (int64_t)x;
  if (fabs(x) >= 9007199254740992.0) { /* beyond 2^53: reparse exactly */
    errno = 0;
    long long ll = strtoll(tmp, &end, 10);
    if (*end != '\0' || errno == ERANGE)
      return rlz_fail(&cfg->err, RICHETA_ERR_RANGE, "'%s' is out of range for '%s'", tmp,
                      d->name);
    iv = ll;
  }
  richeta_status s = check_int(&cfg->err, d, iv);
  if (s == RICHETA_OK)
    vals[i].i = iv;
  return s;
}

static int is_sep(char c) { return c == ',' || c == ';' || isspace((unsigned char)c); }

/* Apply spec text to a scratch copy of the values; commit only if all of it parses. */
static richeta_status apply_spec(richeta_config *cfg, const char *spec, const char *origin) {
  rlz_value *vals = copy_values(&cfg->alloc, cfg->values);
  if (!vals)
    return rlz_fail(&cfg->err, RICHETA_ERR_NOMEM, "cannot allocate while parsing a spec");
  richeta_status s = RICHETA_OK;
  const char *p = spec;
  int line = 1;
  while (s == RICHETA_OK) {
    while (*p && (is_sep(*p) || *p == '#')) {
      if (*p == '#')
        while (*p && *p != '\n')
          p++;
      else if (*p++ == '\n')
        line++;
    }
    if (!*p)
      break;
    const char *key = p;
    while (*p && *p != '=' && !is_sep(*p) && *p != '#')
      p++;
    size_t klen = (size_t)(p - key);
    if (*p != '=') {
      s = rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "%s line %d: expected key=value near '%.*s'",
                   origin, line, (int)(klen > 40 ? 40 : klen), key);
      break;
    }
    char kbuf[64];
    if (klen == 0 || klen >= sizeof kbuf) {
      s = rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "%s line %d: empty or overlong key", origin,
                   line);
      break;
    }
    memcpy(kbuf, key, klen);
    kbuf[klen] = '\0';
    int row = rlz_param_index_by_name(kbuf);
    if (row < 0) {
      const char *near = rlz_param_closest_name(kbuf);
      s = rlz_fail(&cfg->err, RICHETA_ERR_UNSUPPORTED, "%s line %d: unknown parameter '%s'%s%s%s",
                   origin, line, kbuf, near ? " (did you mean '" : "", near ? near : "",
                   near ? "'?)" : "");
      break;
    }
    p++; /* '=' */
    if (*p == '"') { /* quoted value: \" and \\ escapes, may hold separators */
      char buf[RLZ_STRING_MAX + 1];
      size_t n = 0;
      p++;
      while (*p && *p != '"' && n < RLZ_STRING_MAX) {
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
          p++;
        buf[n++] = *p++;
      }
      if (*p != '"') {
        s = rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "%s line %d: unterminated quote for '%s'",
                     origin, line, kbuf);
        break;
      }
      p++;
      s = parse_value(cfg, vals, row, buf, n);
    } else {
      const char *v = p;
      while (*p && !is_sep(*p) && *p != '#')
        p++;
      s = parse_value(cfg, vals, row, v, (size_t)(p - v));
    }
  }
  if (s == RICHETA_OK) {
    free_values(&cfg->alloc, cfg->values);
    cfg->values = vals;
  } else {
    free_values(&cfg->alloc, vals);
    if (strncmp(cfg->err.msg, origin, strlen(origin)) != 0) { /* value errors: add the place */
      char detail[RLZ_ERRMSG_CAP];
      memcpy(detail, cfg->err.msg, sizeof detail);
      rlz_fail(&cfg->err, s, "%s line %d: %s", origin, line, detail);
    }
  }
  return s;
}

richeta_status richeta_config_parse(richeta_config *cfg, const char *spec) {
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_parse: cfg is NULL");
  if (!spec)
    return rlz_fail(&cfg->err, RICHETA_ERR_NULL, "richeta_config_parse: spec is NULL");
  return apply_spec(cfg, spec, "spec");
}

/* Append to a bounded buffer, counting the total length needed. */
typedef struct sbuf {
  char *buf;
  size_t cap, len;
} sbuf;

static void sbuf_put(sbuf *b, const char *s, size_t n) {
  if (b->len + n < b->cap)
    memcpy(b->buf + b->len, s, n);
  b->len += n;
}

static void sbuf_str(sbuf *b, const char *s) { sbuf_put(b, s, strlen(s)); }

/* Whether row i holds its default value. */
static bool at_default(const richeta_config *cfg, int i) {
  const rlz_param_def *d = &rlz_param_table[i];
  switch (d->type) {
  case RICHETA_TYPE_INT:
    return cfg->values[i].i == d->def_int;
  case RICHETA_TYPE_DOUBLE:
    return cfg->values[i].d == d->def_double;
  default:
    return strcmp(cfg->values[i].s, d->def_string) == 0;
  }
}

/* The canonical text; with omit_new_defaults, keys added after 1.0 that
 * are at their default are left out. */
static richeta_status canonical_text(const richeta_config *cfg, char *buf, size_t cap,
                                     size_t *needed, bool omit_new_defaults, const char *fn) {
  if (!cfg || (!buf && cap > 0))
    return rlz_fail(NULL, RICHETA_ERR_NULL, "%s: NULL argument", fn);
  sbuf b = {buf, cap, 0};
  char num[64];
  bool first = true;
  for (int i = 0; i < rlz_param_count; i++) {
    const rlz_param_def *d = &rlz_param_table[i];
    if (omit_new_defaults && d->since_minor > 0 && at_default(cfg, i))
      continue;
    if (!first)
      sbuf_str(&b, ",");
    first = false;
    sbuf_str(&b, d->name);
    sbuf_str(&b, "=");
    if (d->type == RICHETA_TYPE_INT && d->values) {
      sbuf_str(&b, d->values[cfg->values[i].i]);
    } else if (d->type == RICHETA_TYPE_INT) {
      snprintf(num, sizeof num, "%lld", (long long)cfg->values[i].i);
      sbuf_str(&b, num);
    } else if (d->type == RICHETA_TYPE_DOUBLE) {
      /* people read the canonical string: the shortest text that parses back
       * to the same double (0.1); the hashed text keeps %.17g, the form the
       * hashes of existing stores were computed from */
      if (omit_new_defaults)
        snprintf(num, sizeof num, "%.17g", cfg->values[i].d);
      else
        rlz_shortest_double(num, cfg->values[i].d);
      sbuf_str(&b, num);
    } else {
      sbuf_str(&b, "\"");
      for (const char *s = cfg->values[i].s; *s; s++) {
        if (*s == '"' || *s == '\\')
          sbuf_str(&b, "\\");
        sbuf_put(&b, s, 1);
      }
      sbuf_str(&b, "\"");
    }
  }
  if (needed)
    *needed = b.len + 1;
  if (b.len + 1 > cap)
    return rlz_fail(NULL, RICHETA_ERR_BUFFER_TOO_SMALL, "spec string needs %zu bytes, buffer has %zu",
                    b.len + 1, cap);
  buf[b.len] = '\0';
  return RICHETA_OK;
}

richeta_status richeta_config_to_string(const richeta_config *cfg, char *buf, size_t cap,
                                        size_t *needed) {
  return canonical_text(cfg, buf, cap, needed, false, "richeta_config_to_string");
}

richeta_status rlz_config_hash_text(const richeta_config *cfg, char *buf, size_t cap,
                                    size_t *needed) {
  return canonical_text(cfg, buf, cap, needed, true, "rlz_config_hash_text");
}

richeta_status richeta_config_load(richeta_config *cfg, const char *path) {
  if (!cfg)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_load: cfg is NULL");
  if (!path)
    return rlz_fail(&cfg->err, RICHETA_ERR_NULL, "richeta_config_load: path is NULL");
  char *text;
  size_t n;
  richeta_status s = rlz_read_file(&cfg->alloc, &cfg->err, path, RLZ_SPEC_FILE_MAX, &text, &n);
  if (s != RICHETA_OK)
    return s;
  if (strlen(text) != n)
    s = rlz_fail(&cfg->err, RICHETA_ERR_FORMAT, "'%s' contains a NUL byte", path);
  else
    s = apply_spec(cfg, text, path);
  rlz_free(&cfg->alloc, text);
  return s;
}

richeta_status richeta_config_save(const richeta_config *cfg, const char *path) {
  if (!cfg || !path)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_config_save: NULL argument");
  size_t n = 0;
  richeta_config_to_string(cfg, NULL, 0, &n);
  char *text = rlz_malloc(&cfg->alloc, n + 1);
  if (!text)
    return rlz_fail(NULL, RICHETA_ERR_NOMEM, "cannot allocate %zu bytes", n + 1);
  richeta_status s = richeta_config_to_string(cfg, text, n, NULL);
  if (s == RICHETA_OK) {
    text[n - 1] = '\n'; /* replace the NUL: files end with a newline */
    s = rlz_write_file_atomic(NULL, path, text, n);
  }
  rlz_free(&cfg->alloc, text);
  return s;
}

/* ---- internal access --------------------------------------------------- */

const rlz_alloc *rlz_config_alloc(const richeta_config *cfg) { return &cfg->alloc; }

int64_t rlz_config_int(const richeta_config *cfg, richeta_param p) {
  int i = rlz_param_index(p);
  return i >= 0 && rlz_param_table[i].type == RICHETA_TYPE_INT ? cfg->values[i].i : 0;
}

double rlz_config_double(const richeta_config *cfg, richeta_param p) {
  int i = rlz_param_index(p);
  return i >= 0 && rlz_param_table[i].type == RICHETA_TYPE_DOUBLE ? cfg->values[i].d : NAN;
}

const char *rlz_config_string(const richeta_config *cfg, richeta_param p) {
  int i = rlz_param_index(p);
  return i >= 0 && rlz_param_table[i].type == RICHETA_TYPE_STRING ? cfg->values[i].s : "";
}
