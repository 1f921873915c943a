/* richeta: command line front end. Dispatches `richeta <command> ...`. */
#include "cli_util.h"
#include "commands.h"
#include "startup.h"

#include "numeric/numeric.h"

#include <richlazy/richeta.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static void print_version_help(FILE *f) {
  fprintf(f, "usage: richeta version [--json]\n\n"
             "Print the library version, its build (BLAS vendor, kernels, compiler)\n"
             "and the OpenBLAS kernel set in use.\n\n"
             "  --json                     one JSON line (record \"version\")\n");
}

static int cmd_version(int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      print_version_help(stdout);
      return RLZ_EXIT_OK;
    } else {
      rlz_cli_error("version", "unknown argument '%s' (try --help)", argv[i]);
      return RLZ_EXIT_USAGE;
    }
  }
  const char *core = rlz_blas_core_name();
  const char *fixed = getenv("RICHETA_CORETYPE_FIXED");
  const char *better = core ? rlz_blas_better_core(core, rlz_cpu_features()) : NULL;
  if (json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "version");
    rlz_json_str(&j, "version", richeta_version_string());
    rlz_json_int(&j, "abi", richeta_abi_version());
    rlz_json_str(&j, "build", richeta_build_info());
    rlz_json_str(&j, "blas_core", core);
    rlz_json_str(&j, "blas_core_fallback", fixed && *fixed ? fixed : NULL);
    rlz_json_str(&j, "blas_core_advice", better);
    rlz_json_end(&j);
    return RLZ_EXIT_OK;
  }
  printf("richeta %s\n%s\n", richeta_version_string(), richeta_build_info());
  if (core) {
    printf("blas core: %s", core);
    if (fixed && *fixed)
      printf(" (set by richeta through OPENBLAS_CORETYPE; OpenBLAS alone chose %s)", fixed);
    else if (getenv("OPENBLAS_CORETYPE"))
      printf(" (OPENBLAS_CORETYPE=%s)", getenv("OPENBLAS_CORETYPE"));
    if (better)
      printf("; this CPU runs faster %s kernels (OPENBLAS_CORETYPE=%s)", better, better);
    putchar('\n');
  }
  return RLZ_EXIT_OK;
}

/* Ctrl-C or a kill while a command writes rows: stdout is line-buffered, so
 * every finished row is already written; end at once with the shell's
 * status for the signal (128 + number: 130, 143). Stores are safe to stop
 * anywhere (docs/store.md). */
static void on_stop_signal(int sig) { _exit(128 + sig); }

static void stop_cleanly_on_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static const command commands[] = {
    {"version", cmd_version, "print version and build information"},
    {"train", rlz_cmd_train, "train one network and print its loss curve"},
    {"sweep", rlz_cmd_sweep, "run a gamma x eta0 x seed sweep into a SQLite store"},
    {"fit", rlz_cmd_fit, "fit the power laws of eta* against gamma"},
    {"align", rlz_cmd_align, "align loss curves across gamma (time reparameterization)"},
    {"plot", rlz_cmd_plot, "draw heatmaps and loss curves with gnuplot"},
    {"export", rlz_cmd_export, "export sweep results as CSV or JSON lines"},
    {"check", rlz_cmd_check, "check a sweep database (integrity, checksums, complete curves)"},
    {"merge", rlz_cmd_merge, "merge sweep databases (shards) into one, checking conflicts"},
    {"status", rlz_cmd_status, "list the sweeps of a database and what is done or missing"},
    {"best", rlz_cmd_best, "best held-out loss and accuracy against gamma, eta0 tuned per gamma"},
};
static const int ncommands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *f) {
  fprintf(f, "usage: richeta <command> [flags]   (richeta <command> --help for its flags)\n\n"
             "commands:\n");
  for (int i = 0; i < ncommands; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nenvironment:\n"
             "  OPENBLAS_CORETYPE        OpenBLAS kernels; when unset and OpenBLAS fell back to\n"
             "                           slower ones than the CPU runs, richeta re-executes\n"
             "                           itself once with the best (richeta version shows them)\n"
             "  RICHETA_NO_CORETYPE_FIX  1: keep OpenBLAS's own choice\n"
             "  RICHETA_NO_PROGRESS      set: no progress bar on a terminal\n");
}

int main(int argc, char **argv) {
  rlz_cli_fix_coretype(argv); /* may re-execute the program (startup.h) */
  /* rows reach a file or pipe as they are printed, not at exit */
  setvbuf(stdout, NULL, _IOLBF, 0);
  stop_cleanly_on_signals();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(name, "--version"))
    return cmd_version(1, argv + 1);
  for (int i = 0; i < ncommands; i++)
    if (!strcmp(name, commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "richeta: unknown command '%s' (try richeta --help)\n", name);
  return 2;
}
