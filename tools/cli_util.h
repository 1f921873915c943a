/* Shared helpers of the richeta commands (tools/cmd_*.c): flag parsing with
 * every configuration parameter as a long option, --help texts, JSON lines
 * and CSV output, and a progress bar on stderr.
 *
 * Conventions every command follows (DESIGN 2.6):
 *   - exit 0 on success, 1 on a runtime failure, 2 on a usage error;
 *   - a usage error prints ONE line "richeta <cmd>: <reason>" on stderr;
 *   - results go to stdout (human-readable, or JSON lines with --json);
 *   - progress goes to stderr, and only when stderr is a terminal.
 *
 * Typical command:
 *
 *   enum { OPT_JSON = 1, OPT_OUT };
 *   static const rlz_cli_opt opts[] = {
 *     {"json", 0, NULL, "print JSON lines", OPT_JSON},
 *     {"out", 1, "FILE", "write results to FILE", OPT_OUT},
 *     {NULL, 0, NULL, NULL, 0}};
 *   static int on_opt(void *user, int id, const char *value) {
 *     struct args *a = user;
 *     if (id == OPT_JSON) a->json = 1;
 *     else if (id == OPT_OUT) a->out = value;
 *     return 0;                          // nonzero: usage error (print first)
 *   }
 *   ...
 *   rlz_cli_parser p = {"fit", opts, on_opt, &a, cfg, 0};
 *   int rc = rlz_cli_parse(&p, argc, argv, NULL, NULL);
 *   if (rc == RLZ_CLI_HELP) { print_help(); return 0; }
 *   if (rc != RLZ_CLI_OK) return 2;
 */
#ifndef RLZ_TOOLS_CLI_UTIL_H
#define RLZ_TOOLS_CLI_UTIL_H

#include <richlazy/richeta.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of the commands. */
enum { RLZ_EXIT_OK = 0, RLZ_EXIT_FAIL = 1, RLZ_EXIT_USAGE = 2 };

/* Results of rlz_cli_parse(). */
enum { RLZ_CLI_OK = 0, RLZ_CLI_HELP = 1, RLZ_CLI_USAGE = 2 };

/* One command-specific long option. Tables end with a row whose name is NULL. */
typedef struct rlz_cli_opt {
  const char *name;    /* without the leading "--" */
  int has_arg;         /* 1: takes a value (--name VALUE or --name=VALUE) */
  const char *metavar; /* shown in --help for options with a value */
  const char *help;    /* one line */
  int id;              /* passed to the callback */
} rlz_cli_opt;

/* Called for each command option, in command-line order; value is NULL for
 * options without a value. Return 0 to go on; nonzero is a usage error and
 * the callback must have printed its one-line reason (rlz_cli_error). */
typedef int (*rlz_cli_opt_fn)(void *user, int id, const char *value);

typedef struct rlz_cli_parser {
  const char *cmd;         /* command name used in messages ("train") */
  const rlz_cli_opt *opts; /* command options, or NULL */
  rlz_cli_opt_fn on_opt;   /* callback for opts, or NULL when opts is NULL */
  void *user;              /* passed to on_opt */
  richeta_config *cfg;     /* receives configuration flags; NULL: the command takes none */
  int max_positional;      /* positional arguments accepted (0: none) */
} rlz_cli_parser;

/* Parse argv[1..argc-1] (argv[0] is the command name). Options are applied
 * in order, so later flags override earlier ones and `--config FILE`.
 *
 * Configuration flags (when p->cfg is set):
 *   --<spec name> VALUE   every parameter of the table (--gamma 0.5, --N 256,
 *                         --act tanh, --eta0 1e-2, --data-seed 3: '-' and '_'
 *                         are interchangeable);
 *   readable aliases      --input-dim D, --width N, --outputs C, --depth L,
 *                         --batch B, --steps T, --activation act,
 *                         --parameterization param, --lr eta0,
 *                         --dataset data, --centering center;
 *   --config FILE         richeta_config_load() (spec lines, '#' comments);
 *   --set K=V[,K=V...]    richeta_config_parse().
 * Command options (p->opts) are matched first, so a command may take over a
 * parameter's flag name (a sweep's --gamma list, say).
 * Integer values accept exact floating forms ("1e4"); enumerations accept
 * their names or numbers. "--" ends the options. "-h"/"--help" anywhere
 * returns RLZ_CLI_HELP at once.
 *
 * pos (capacity p->max_positional) receives the positional arguments and
 * *npos their number; both may be NULL when max_positional is 0.
 * Returns RLZ_CLI_OK, RLZ_CLI_HELP, or RLZ_CLI_USAGE after printing one line
 * on stderr. */
int rlz_cli_parse(const rlz_cli_parser *p, int argc, char **argv, char **pos, int *npos);

/* Apply one configuration flag (name without "--", aliases allowed) to cfg.
 * Returns 1 when applied, 0 when name is not a configuration flag, -1 when
 * the value is bad (one line already printed on stderr). */
int rlz_cli_apply_config_flag(const char *cmd, richeta_config *cfg, const char *name,
                              const char *value);

/* After rlz_cli_parse(p, argc, argv, ...): whether the command line sets
 * integer key `param` (through its flag, an alias, --set or --config): the
 * configuration flags of argv replayed on two configurations that differ
 * only in param leave it equal. */
int rlz_cli_param_given(const rlz_cli_parser *p, int argc, char **argv, richeta_param param);

/* Print "richeta <cmd>: <formatted reason>\n" on stderr. */
void rlz_cli_error(const char *cmd, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* --help helpers. rlz_cli_print_options lists a command's option table;
 * rlz_cli_print_config_help lists every configuration parameter as a flag
 * with its type, bounds, enumeration values, default (read from a fresh
 * default configuration) and the aliases. */
void rlz_cli_print_options(FILE *f, const rlz_cli_opt *opts);
void rlz_cli_print_config_help(FILE *f);

/* "" or, for RICHETA_ERR_NOMEM under an address-space limit (ulimit -v),
 * a hint naming the limit and OpenBLAS's 128 MiB buffer per caller, to
 * append to the one-line failure message. */
const char *rlz_cli_nomem_hint(richeta_status s);

/* Strict number parsing for command options: the whole string must be a
 * number; doubles must be finite (values that underflow to a subnormal or
 * zero are read as strtod reads them, like the spec parser does). Return 0
 * on success, -1 otherwise. */
int rlz_cli_parse_double(const char *s, double *out);
int rlz_cli_parse_int64(const char *s, int64_t *out);

/* Parse a list of doubles: "a,b,c" or "geom:LO:HI:N" (N log-spaced values
 * from LO to HI inclusive, LO and HI > 0) or "lin:LO:HI:N". Writes at most
 * cap values into out and the count into *n. Returns 0 on success, -1 on a
 * malformed list or more than cap values. */
int rlz_cli_parse_list(const char *s, double *out, int cap, int *n);

/* --- JSON lines -------------------------------------------------------
 * One object per line on f, its first key "record" naming its type
 * (docs/output.md, docs/output-schema.json):
 *   rlz_json j; rlz_json_begin(&j, stdout, "point");
 *   rlz_json_int(&j, "step", 10); rlz_json_num(&j, "loss", 0.5);
 *   rlz_json_end(&j);                     // prints "}\n"
 * Numbers are printed as the shortest text that reads back to the same
 * double (rlz_shortest_double); NaN and infinities become null. Strings are escaped per RFC 8259. */
typedef struct rlz_json {
  FILE *f;
  int n; /* members written so far */
} rlz_json;

void rlz_json_begin(rlz_json *j, FILE *f, const char *record);
void rlz_json_num(rlz_json *j, const char *key, double v);
void rlz_json_int(rlz_json *j, const char *key, int64_t v);
void rlz_json_str(rlz_json *j, const char *key, const char *v); /* NULL -> null */
void rlz_json_bool(rlz_json *j, const char *key, int v);
void rlz_json_null(rlz_json *j, const char *key);
void rlz_json_end(rlz_json *j);
/* Write s as a quoted, escaped JSON string (NULL -> null). */
void rlz_json_write_string(FILE *f, const char *s);
/* Write v as a JSON number (shortest round trip) or null when not finite. */
void rlz_json_write_number(FILE *f, double v);

/* --- Output files ---------------------------------------------------------
 * Files a command writes (--out, --save...) are replaced atomically, never
 * left half-written, and never replace a device, FIFO or directory (links
 * are written through; core/fileio.h):
 *   rlz_cli_out o;
 *   if (rlz_cli_out_begin("export", path, &o) != 0) return 1;   // printed
 *   fprintf(o.f, ...);
 *   if (rlz_cli_out_commit("export", &o) != 0) return 1;        // printed
 * rlz_cli_out_abort() drops the temporary file on an error path (safe after
 * a failed begin or a commit). */
typedef struct rlz_cli_out {
  FILE *f;
  void *impl; /* the atomic writer (malloc'd) */
  const char *path;
} rlz_cli_out;
int rlz_cli_out_begin(const char *cmd, const char *path, rlz_cli_out *o);
int rlz_cli_out_commit(const char *cmd, rlz_cli_out *o);
void rlz_cli_out_abort(rlz_cli_out *o);
/* Copy the file src into dest through rlz_cli_out (gnuplot output from a
 * private directory to the user's path). 0 or -1 after one printed line. */
int rlz_cli_copy_out(const char *cmd, const char *src, const char *dest);

/* --- CSV ----------------------------------------------------------------
 * Write a double as its shortest round-trip text; NaN and infinities as "nan", "inf", "-inf"
 * (what numpy.genfromtxt and gnuplot read). */
void rlz_csv_number(FILE *f, double v);

/* --- Progress ----------------------------------------------------------
 * A one-line bar on stderr, drawn only when stderr is a terminal (and
 * RICHETA_NO_PROGRESS is unset), redrawn at most ~10 times a second:
 *   rlz_progress pr; rlz_progress_init(&pr, "train", total);
 *   for (...) rlz_cli_progress(&pr, done);
 *   rlz_progress_end(&pr);                // erases the bar */
typedef struct rlz_progress {
  int enabled;
  int drawn;
  const char *label;
  int64_t total;
  double last; /* monotonic seconds of the last draw */
} rlz_progress;

void rlz_progress_init(rlz_progress *p, const char *label, int64_t total);
void rlz_cli_progress(rlz_progress *p, int64_t done);
void rlz_progress_end(rlz_progress *p);

#endif
