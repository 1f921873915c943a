/* Shared helpers of the richeta commands: see cli_util.h. */
#include "cli_util.h"

#include "core/core.h"   /* rlz_shortest_double */
#include "core/fileio.h" /* atomic output files */
#include "core/params.h" /* help line of each parameter (the tool links the static library) */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>


/* The library's messages name the C function that failed
 * ("richeta_sweep_set_seeds: duplicate seed 1"), which tells a C caller
 * where, and a user of the program nothing: drop "richeta_xxx: ". */
static void drop_function_names(char *s) {
  char *w = s;
  for (const char *r = s; *r;) {
    if (!strncmp(r, "richeta_", 8) && (r == s || r[-1] == ' ' || r[-1] == '(')) {
      const char *e = r + 8;
      while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') || *e == '_')
        e++;
      if (e[0] == ':' && e[1] == ' ') {
        r = e + 2;
        continue;
      }
    }
    *w++ = *r++;
  }
  *w = '\0';
}

void rlz_cli_error(const char *cmd, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  drop_function_names(msg);
  fprintf(stderr, "richeta %s: %s\n", cmd ? cmd : "", msg);
}

const char *rlz_cli_nomem_hint(richeta_status s) {
  static _Thread_local char hint[200];
  struct rlimit rl;
  if (s != RICHETA_ERR_NOMEM || getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return "";
  snprintf(hint, sizeof hint,
           "; the address-space limit (ulimit -v) is %llu MiB, and OpenBLAS needs a 128 MiB "
           "buffer per thread that calls it",
           (unsigned long long)(rl.rlim_cur >> 20));
  return hint;
}

int rlz_cli_parse_double(const char *s, double *out) {
  if (!s || !*s || isspace((unsigned char)*s))
    return -1;
  char *end = NULL;
  double v = strtod(s, &end);
  /* ERANGE on underflow is not an error: 1e-308 is a (subnormal) finite
   * number, as the spec parser reads it; overflow gives inf, refused */
  if (*end != '\0' || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

/* "inf" for a key whose upper bound is +inf (--blowup inf). */
static bool parse_plus_inf(const rlz_param_def *d, const char *s, double *out) {
  char *end = NULL;
  double v = s && *s && !isspace((unsigned char)*s) ? strtod(s, &end) : 0.0;
  if (!end || *end != '\0' || !(v > 0 && isinf(v)) || !isinf(d->hi))
    return false;
  *out = v;
  return true;
}

int rlz_cli_parse_int64(const char *s, int64_t *out) {
  if (!s || !*s || isspace((unsigned char)*s))
    return -1;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end == '\0' && errno == 0) {
    *out = (int64_t)v;
    return 0;
  }
  /* exact floating forms such as 1e4 */
  double d;
  if (rlz_cli_parse_double(s, &d) != 0 || d != floor(d) || fabs(d) > 9007199254740992.0)
    return -1;
  *out = (int64_t)d;
  return 0;
}

int rlz_cli_parse_list(const char *s, double *out, int cap, int *n) {
  if (!s || !out || !n || cap < 1)
    return -1;
  *n = 0;
  int geom = !strncmp(s, "geom:", 5), lin = !strncmp(s, "lin:", 4);
  if (geom || lin) {
    char buf[256];
    if (strlen(s) >= sizeof buf)
      return -1;
    strcpy(buf, s + (geom ? 5 : 4));
    char *a = buf, *b = strchr(a, ':');
    if (!b)
      return -1;
    *b++ = '\0';
    char *c = strchr(b, ':');
    if (!c)
      return -1;
    *c++ = '\0';
    double lo, hi;
    int64_t k;
    if (rlz_cli_parse_double(a, &lo) || rlz_cli_parse_double(b, &hi) ||
        rlz_cli_parse_int64(c, &k) || k < 1 || k > cap)
      return -1;
    if (geom && (lo <= 0 || hi <= 0))
      return -1;
    for (int64_t i = 0; i < k; i++) {
      double t = k == 1 ? 0.0 : (double)i / (double)(k - 1);
      out[i] = geom ? exp(log(lo) + t * (log(hi) - log(lo))) : lo + t * (hi - lo);
    }
    if (k > 1) /* exact end points */
      out[k - 1] = hi;
    out[0] = lo;
    *n = (int)k;
    return 0;
  }
  const char *p = s;
  while (1) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    char tok[64];
    if (len == 0 || len >= sizeof tok || *n >= cap)
      return -1;
    memcpy(tok, p, len);
    tok[len] = '\0';
    if (rlz_cli_parse_double(tok, &out[*n]) != 0)
      return -1;
    (*n)++;
    if (!comma)
      return 0;
    p = comma + 1;
  }
}

/* Row of the parameter table a flag names (spec name or alias, '-' for
 * '_'), or -1. */
static int flag_param_row(const char *flag) { return rlz_param_index_by_name(flag); }

/* " (did you mean --gamma?)" for the command option or configuration flag
 * closest to an unknown flag, else " (try --help)". */
static const char *flag_hint(const rlz_cli_parser *p, const char *name) {
  static _Thread_local char hint[96];
  const char *best = NULL;
  int best_d = strlen(name) <= 3 ? 2 : 3;
  for (const rlz_cli_opt *q = p->opts; q && q->name; q++) {
    int d = rlz_name_distance(name, q->name);
    if (d < best_d) {
      best_d = d;
      best = q->name;
    }
  }
  const char *cfg_near = p->cfg ? rlz_param_closest_name(name) : NULL;
  if (cfg_near && (!best || rlz_name_distance(name, cfg_near) < best_d))
    best = cfg_near;
  if (!best)
    return " (try --help)";
  snprintf(hint, sizeof hint, " (did you mean --%s?)", best);
  return hint;
}

static void config_error(const char *cmd, const char *flag, const char *value, richeta_config *cfg,
                         richeta_status s) {
  rlz_cli_error(cmd, "--%s %s: %s (%s)", flag, value, richeta_config_last_error(cfg),
                richeta_status_string(s));
}

int rlz_cli_apply_config_flag(const char *cmd, richeta_config *cfg, const char *flag,
                              const char *value) {
  if (!strcmp(flag, "config")) {
    richeta_status s = richeta_config_load(cfg, value);
    if (s != RICHETA_OK) {
      config_error(cmd, flag, value, cfg, s);
      return -1;
    }
    return 1;
  }
  if (!strcmp(flag, "set")) {
    richeta_status s = richeta_config_parse(cfg, value);
    if (s != RICHETA_OK) {
      config_error(cmd, flag, value, cfg, s);
      return -1;
    }
    return 1;
  }
  int row = flag_param_row(flag);
  if (row < 0)
    return 0;
  const rlz_param_def *d = &rlz_param_table[row];
  richeta_status s = RICHETA_OK;
  if (d->type == RICHETA_TYPE_STRING) {
    s = richeta_config_set_string(cfg, d->id, value);
  } else if (d->type == RICHETA_TYPE_DOUBLE) {
    double v;
    if (rlz_cli_parse_double(value, &v) != 0 && !parse_plus_inf(d, value, &v)) {
      rlz_cli_error(cmd, "--%s %s: not a finite number%s", flag, value,
                    isinf(d->hi) ? " or inf" : "");
      return -1;
    }
    s = richeta_config_set_double(cfg, d->id, v);
  } else {
    int64_t v = -1;
    int found = 0;
    if (d->values) {
      for (int k = 0; k < d->nvalues; k++)
        if (!strcmp(value, d->values[k])) {
          v = k;
          found = 1;
        }
    }
    if (!found && rlz_cli_parse_int64(value, &v) != 0) {
      if (d->values) {
        char names[256] = "";
        for (int k = 0; k < d->nvalues; k++) {
          if (k)
            strncat(names, ", ", sizeof names - strlen(names) - 1);
          strncat(names, d->values[k], sizeof names - strlen(names) - 1);
        }
        rlz_cli_error(cmd, "--%s %s: expected one of %s", flag, value, names);
      } else {
        rlz_cli_error(cmd, "--%s %s: not an integer", flag, value);
      }
      return -1;
    }
    s = richeta_config_set_int(cfg, d->id, v);
  }
  if (s != RICHETA_OK) {
    config_error(cmd, flag, value, cfg, s);
    return -1;
  }
  return 1;
}

/* Apply argv's configuration flags (not the command's own options, nor
 * positional arguments) to cfg, as rlz_cli_parse() did. */
static void replay_config_flags(const rlz_cli_parser *p, int argc, char **argv,
                                richeta_config *cfg) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--"))
      break;
    if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
      continue;
    char name[128];
    const char *eq = strchr(a + 2, '=');
    size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    if (len >= sizeof name)
      continue;
    memcpy(name, a + 2, len);
    name[len] = '\0';
    const rlz_cli_opt *o = NULL;
    for (const rlz_cli_opt *q = p->opts; q && q->name; q++)
      if (!strcmp(q->name, name))
        o = q;
    if (o) {
      if (o->has_arg && !eq)
        i++;
      continue;
    }
    const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (value)
      rlz_cli_apply_config_flag(p->cmd, cfg, name, value); /* it succeeded once already */
  }
}

int rlz_cli_param_given(const rlz_cli_parser *p, int argc, char **argv, richeta_param param) {
  double lo = 0, hi = 0;
  if (richeta_param_bounds(param, &lo, &hi, NULL) != RICHETA_OK || hi < lo + 1)
    return 0;
  richeta_config *c[2] = {NULL, NULL};
  int64_t v[2] = {-1, -2};
  for (int k = 0; k < 2; k++) {
    if (richeta_config_new(&c[k], NULL) != RICHETA_OK ||
        richeta_config_set_int(c[k], param, (int64_t)lo + k) != RICHETA_OK)
      break;
    replay_config_flags(p, argc, argv, c[k]);
    richeta_config_get_int(c[k], param, &v[k]);
  }
  richeta_config_free(c[0]);
  richeta_config_free(c[1]);
  return v[0] == v[1];
}

/* Architecture defaults: the CNN is labelled L = 4 for the gamma rule and
 * the ResNet-18 L = 3, so --arch cnn / resnet18 sets L unless the command
 * line gives it. */
/* An MLP with L = 1 is the linear readout of the input: it has no hidden
 * layer, so a width given on the command line does nothing; say so. */
static void warn_unused_width(const rlz_cli_parser *p, int argc, char **argv) {
  int64_t arch = 0, L = 0;
  if (richeta_config_get_int(p->cfg, RICHETA_PARAM_ARCH, &arch) == RICHETA_OK &&
      arch == RICHETA_ARCH_MLP &&
      richeta_config_get_int(p->cfg, RICHETA_PARAM_DEPTH, &L) == RICHETA_OK && L == 1 &&
      rlz_cli_param_given(p, argc, argv, RICHETA_PARAM_WIDTH))
    rlz_cli_error(p->cmd, "warning: N (width) has no effect with L=1: the network is the "
                          "readout of the input, without a hidden layer");
}

static int arch_defaults(const rlz_cli_parser *p, int argc, char **argv) {
  int64_t arch = 0;
  warn_unused_width(p, argc, argv);
  if (richeta_config_get_int(p->cfg, RICHETA_PARAM_ARCH, &arch) != RICHETA_OK ||
      (arch != RICHETA_ARCH_CNN && arch != RICHETA_ARCH_RESNET18) ||
      rlz_cli_param_given(p, argc, argv, RICHETA_PARAM_DEPTH))
    return RLZ_CLI_OK;
  int64_t L = arch == RICHETA_ARCH_CNN ? 4 : 3;
  if (richeta_config_set_int(p->cfg, RICHETA_PARAM_DEPTH, L) != RICHETA_OK) {
    rlz_cli_error(p->cmd, "cannot set L=%lld for --arch %s: %s", (long long)L,
                  arch == RICHETA_ARCH_CNN ? "cnn" : "resnet18", richeta_config_last_error(p->cfg));
    return RLZ_CLI_USAGE;
  }
  return RLZ_CLI_OK;
}

int rlz_cli_parse(const rlz_cli_parser *p, int argc, char **argv, char **pos, int *npos) {
  const char *cmd = p->cmd;
  int np = 0, only_pos = 0;
  if (npos)
    *npos = 0;
  /* --help wins wherever it is, so "richeta train --gamma x --help" helps. */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--"))
      break;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return RLZ_CLI_HELP;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
      if (np >= p->max_positional || !pos) {
        rlz_cli_error(cmd, "unexpected argument '%s' (try --help)", a);
        return RLZ_CLI_USAGE;
      }
      pos[np++] = argv[i];
      continue;
    }
    if (!strcmp(a, "--")) {
      only_pos = 1;
      continue;
    }
    if (a[1] != '-' || a[2] == '\0') {
      rlz_cli_error(cmd, "unknown flag '%s' (flags are long: --name VALUE; try --help)", a);
      return RLZ_CLI_USAGE;
    }
    char name[128];
    const char *eq = strchr(a + 2, '=');
    size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    if (len >= sizeof name) {
      rlz_cli_error(cmd, "unknown flag '%.40s...'", a);
      return RLZ_CLI_USAGE;
    }
    memcpy(name, a + 2, len);
    name[len] = '\0';
    const char *value = eq ? eq + 1 : NULL;

    const rlz_cli_opt *o = NULL;
    for (const rlz_cli_opt *q = p->opts; q && q->name; q++)
      if (!strcmp(q->name, name)) {
        o = q;
        break;
      }
    int is_cfg = !o && p->cfg &&
                 (!strcmp(name, "config") || !strcmp(name, "set") || flag_param_row(name) >= 0);
    if (!o && !is_cfg) {
      rlz_cli_error(cmd, "unknown flag '--%s'%s", name, flag_hint(p, name));
      return RLZ_CLI_USAGE;
    }
    int wants = o ? o->has_arg : 1;
    if (wants && !value) {
      if (i + 1 >= argc) {
        rlz_cli_error(cmd, "flag '--%s' needs a value", name);
        return RLZ_CLI_USAGE;
      }
      value = argv[++i];
    } else if (!wants && value) {
      rlz_cli_error(cmd, "flag '--%s' takes no value", name);
      return RLZ_CLI_USAGE;
    }
    if (o) {
      if (p->on_opt && p->on_opt(p->user, o->id, value) != 0)
        return RLZ_CLI_USAGE;
    } else if (rlz_cli_apply_config_flag(cmd, p->cfg, name, value) < 0) {
      return RLZ_CLI_USAGE;
    }
  }
  if (npos)
    *npos = np;
  return p->cfg ? arch_defaults(p, argc, argv) : RLZ_CLI_OK;
}

static void print_row(FILE *f, const char *head, const char *help);

void rlz_cli_print_options(FILE *f, const rlz_cli_opt *opts) {
  for (const rlz_cli_opt *o = opts; o && o->name; o++) {
    char head[64];
    snprintf(head, sizeof head, "--%s%s%s", o->name, o->has_arg ? " " : "",
             o->has_arg ? (o->metavar ? o->metavar : "VALUE") : "");
    print_row(f, head, o->help);
  }
}

/* The bound as the range check and its error message state it. */
static void print_bound(FILE *f, double v, int is_int) {
  char buf[RLZ_NUM_CAP];
  if (is_int && fabs(v) < 9.2e18)
    fprintf(f, "%lld", (long long)v);
  else
    fputs(rlz_shortest_double(buf, v), f);
}

/* "  HEAD   help" with the help in column 30, or on the next line when HEAD is long. */
static void print_row(FILE *f, const char *head, const char *help) {
  if (strlen(head) > 26)
    fprintf(f, "  %s\n  %-26s %s\n", head, "", help ? help : "");
  else
    fprintf(f, "  %-26s %s\n", head, help ? help : "");
}

void rlz_cli_print_config_help(FILE *f) {
  richeta_config *def = NULL;
  if (richeta_config_new(&def, NULL) != RICHETA_OK)
    def = NULL;
  fprintf(f, "configuration flags (every parameter; later flags override earlier ones):\n");
  for (int i = 0; i < rlz_param_count; i++) {
    const rlz_param_def *d = &rlz_param_table[i];
    /* "--N, --width VALUE": the spec name, then its aliases as flags */
    char head[160];
    size_t len = (size_t)snprintf(head, sizeof head, "--%s", d->name);
    for (int k = 0; k < rlz_param_alias_count && len < sizeof head; k++)
      if (!strcmp(rlz_param_aliases[k].name, d->name)) {
        len += (size_t)snprintf(head + len, sizeof head - len, ", --");
        for (const char *c = rlz_param_aliases[k].alias; *c && len + 1 < sizeof head; c++)
          head[len++] = *c == '_' ? '-' : *c;
        head[len] = '\0';
      }
    if (len < sizeof head)
      snprintf(head + len, sizeof head - len, " VALUE");
    print_row(f, head, d->help);
    fprintf(f, "  %-26s [", "");
    if (d->type == RICHETA_TYPE_STRING) {
      char buf[512] = "";
      if (def)
        richeta_config_get_string(def, d->id, buf, sizeof buf, NULL);
      fprintf(f, "string, default \"%s\"]\n", buf);
      continue;
    }
    if (d->values) {
      fputs("one of ", f);
      for (int k = 0; k < d->nvalues; k++)
        fprintf(f, "%s%s", k ? "|" : "", d->values[k]);
      int64_t v = 0;
      const char *vn = "?";
      if (def && richeta_config_get_int(def, d->id, &v) == RICHETA_OK)
        richeta_param_value_name(d->id, v, &vn);
      fprintf(f, ", default %s]\n", vn);
      continue;
    }
    double lo = 0, hi = 0;
    int lo_open = 0;
    richeta_param_bounds(d->id, &lo, &hi, &lo_open);
    fputs(d->type == RICHETA_TYPE_INT ? "int in " : "real in ", f);
    fputc(lo_open ? '(' : '[', f);
    print_bound(f, lo, d->type == RICHETA_TYPE_INT);
    fputs(", ", f);
    print_bound(f, hi, d->type == RICHETA_TYPE_INT);
    fputs("], default ", f);
    if (d->type == RICHETA_TYPE_INT) {
      int64_t v = 0;
      if (def)
        richeta_config_get_int(def, d->id, &v);
      fprintf(f, "%lld]\n", (long long)v);
    } else {
      double v = 0;
      if (def)
        richeta_config_get_double(def, d->id, &v);
      char buf[RLZ_NUM_CAP];
      fprintf(f, "%s]\n", rlz_shortest_double(buf, v));
    }
  }
  fprintf(f, "  %-26s %s\n", "--config FILE", "apply a spec file (key=value lines, # comments)");
  fprintf(f, "  %-26s %s\n", "--set K=V[,K=V...]", "apply a spec string (values may be quoted)");
  fprintf(f, "  (flag names also accept '-' for '_': --data-seed = --data_seed)\n");
  richeta_config_free(def);
}

/* --- JSON ------------------------------------------------------------- */

void rlz_json_write_string(FILE *f, const char *s) {
  if (!s) {
    fputs("null", f);
    return;
  }
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    switch (*c) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '\b':
      fputs("\\b", f);
      break;
    case '\f':
      fputs("\\f", f);
      break;
    default:
      if (*c < 0x20)
        fprintf(f, "\\u%04x", *c);
      else
        fputc(*c, f);
    }
  }
  fputc('"', f);
}

void rlz_json_write_number(FILE *f, double v) {
  char buf[RLZ_NUM_CAP];
  fputs(isfinite(v) ? rlz_shortest_double(buf, v) : "null", f);
}

static void json_key(rlz_json *j, const char *key) {
  if (j->n++)
    fputc(',', j->f);
  rlz_json_write_string(j->f, key);
  fputc(':', j->f);
}

void rlz_json_begin(rlz_json *j, FILE *f, const char *record) {
  j->f = f;
  j->n = 0;
  fputc('{', f);
  rlz_json_str(j, "record", record);
}

void rlz_json_num(rlz_json *j, const char *key, double v) {
  json_key(j, key);
  rlz_json_write_number(j->f, v);
}

void rlz_json_int(rlz_json *j, const char *key, int64_t v) {
  json_key(j, key);
  fprintf(j->f, "%lld", (long long)v);
}

void rlz_json_str(rlz_json *j, const char *key, const char *v) {
  json_key(j, key);
  rlz_json_write_string(j->f, v);
}

void rlz_json_bool(rlz_json *j, const char *key, int v) {
  json_key(j, key);
  fputs(v ? "true" : "false", j->f);
}

void rlz_json_null(rlz_json *j, const char *key) {
  json_key(j, key);
  fputs("null", j->f);
}

void rlz_json_end(rlz_json *j) { fputs("}\n", j->f); }

void rlz_csv_number(FILE *f, double v) {
  char buf[RLZ_NUM_CAP];
  fputs(rlz_shortest_double(buf, v), f);
}

/* --- progress ----------------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rlz_progress_init(rlz_progress *p, const char *label, int64_t total) {
  p->enabled = isatty(STDERR_FILENO) && !getenv("RICHETA_NO_PROGRESS");
  p->drawn = 0;
  p->label = label ? label : "";
  p->total = total;
  p->last = -1.0;
}

void rlz_cli_progress(rlz_progress *p, int64_t done) {
  if (!p->enabled)
    return;
  double t = now_seconds();
  if (p->last >= 0 && t - p->last < 0.1 && done < p->total)
    return;
  p->last = t;
  const int width = 30;
  double frac = p->total > 0 ? (double)done / (double)p->total : 1.0;
  if (frac < 0)
    frac = 0;
  if (frac > 1)
    frac = 1;
  int fill = (int)(frac * width + 0.5);
  fprintf(stderr, "\r%s [", p->label);
  for (int i = 0; i < width; i++)
    fputc(i < fill ? '#' : ' ', stderr);
  fprintf(stderr, "] %3d%% %lld/%lld", (int)(frac * 100 + 0.5), (long long)done,
          (long long)p->total);
  fflush(stderr);
  p->drawn = 1;
}

void rlz_progress_end(rlz_progress *p) {
  if (p->enabled && p->drawn) {
    fputs("\r\033[K", stderr); /* erase the bar */
    fflush(stderr);
  }
  p->drawn = 0;
}

/* --- output files ------------------------------------------------------ */

int rlz_cli_out_begin(const char *cmd, const char *path, rlz_cli_out *o) {
  o->f = NULL;
  o->path = path;
  rlz_atomic_file *w = malloc(sizeof *w);
  o->impl = w;
  if (!w) {
    rlz_cli_error(cmd, "%s: out of memory", path);
    return -1;
  }
  rlz_err e;
  if (rlz_atomic_begin(w, &e, path) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s", e.msg);
    rlz_cli_out_abort(o);
    return -1;
  }
  int fd = dup(w->fd); /* the stream owns the copy; the writer keeps its own for fsync */
  if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
    if (fd >= 0)
      close(fd);
    rlz_cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
    rlz_cli_out_abort(o);
    return -1;
  }
  return 0;
}

int rlz_cli_out_commit(const char *cmd, rlz_cli_out *o) {
  rlz_atomic_file *w = o->impl;
  int bad = !o->f || ferror(o->f);
  if (o->f && fclose(o->f) != 0)
    bad = 1;
  o->f = NULL;
  rlz_err e;
  if (bad || !w) {
    rlz_cli_error(cmd, "%s: write failed (the file is left as it was)", o->path);
    rlz_cli_out_abort(o);
    return -1;
  }
  if (rlz_atomic_commit(w, &e) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s (the file is left as it was)", e.msg);
    rlz_cli_out_abort(o);
    return -1;
  }
  rlz_cli_out_abort(o); /* frees the writer; nothing left to drop */
  return 0;
}

void rlz_cli_out_abort(rlz_cli_out *o) {
  if (o->f)
    fclose(o->f);
  o->f = NULL;
  if (o->impl)
    rlz_atomic_abort(o->impl);
  free(o->impl);
  o->impl = NULL;
}

int rlz_cli_copy_out(const char *cmd, const char *src, const char *dest) {
  FILE *in = fopen(src, "rb");
  if (!in) {
    rlz_cli_error(cmd, "cannot read %s: %s", src, strerror(errno));
    return -1;
  }
  rlz_cli_out o;
  if (rlz_cli_out_begin(cmd, dest, &o) != 0) {
    fclose(in);
    return -1;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, o.f) != n)
      break;
  int bad = ferror(in);
  fclose(in);
  if (bad) {
    rlz_cli_error(cmd, "cannot read %s", src);
    rlz_cli_out_abort(&o);
    return -1;
  }
  return rlz_cli_out_commit(cmd, &o);
}
