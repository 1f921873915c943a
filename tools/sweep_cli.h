/* Pieces shared by `richeta sweep`, `fit` and `plot`: the eta* report and
 * fits (cmd_fit.c) and the plots (cmd_plot.c), so that `richeta sweep` can
 * print the exponents and draw the figures right after running. */
#ifndef RLZ_TOOLS_SWEEP_CLI_H
#define RLZ_TOOLS_SWEEP_CLI_H

#include <richlazy/sweep.h>
#include <stdio.h>

/* Fit ranges: NaN = automatic. */
typedef struct rlz_fit_opts {
  double lazy_max, rich_min;
  double margin; /* decades dropped on each side of the crossover (automatic ranges) */
  int json;
  const char *save;     /* calibrated rule file, or NULL */
  int save_from_max;    /* 1: calibrate from eta_max, 0: from eta_opt */
  const char *source;   /* database name for the saved file's comment */
  int include_censored; /* 1: fit censored eta_max (its bound) and unrefined eta_opt too */
} rlz_fit_opts;

/* Print eta* per gamma and both fits (eta_max, eta_opt) of an opened or
 * just-run sweep. Returns an exit status. */
int rlz_fit_report(const char *cmd, richeta_sweep *sw, const rlz_fit_opts *o);
/* The same for several sweeps of one configuration (seeds, T, widths):
 * their runs are pooled, each (sweep, seed) one unit of the bootstrap. */
int rlz_fit_report_many(const char *cmd, richeta_sweep *const *sws, int64_t nsw,
                        const rlz_fit_opts *o);

/* Write PREFIX-heatmap.{png,svg} and PREFIX-curves.{png,svg} for the sweep
 * stored in db under the sweep's hash; flag names PREFIX's option in
 * errors. Returns an exit status. */
int rlz_plot_sweep(const char *cmd, const char *flag, richeta_sweep *sw, const char *db,
                   const char *prefix, double lazy_max, double rich_min);

/* gnuplot for the plots (cmd_plot.c): its path ($RICHETA_GNUPLOT or PATH;
 * -1 when none), and a script run by it (-1 after one printed line). */
int rlz_plot_find_gnuplot(char *out, size_t cap);
/* Images go to PREFIX-*: PREFIX's directory must exist and be writable,
 * checked before any work so that a bad flag (--out, --plot) is one line naming
 * PREFIX-first_image, not gnuplot's output (-1 after that line). */
int rlz_plot_check_out(const char *cmd, const char *flag, const char *prefix,
                       const char *first_image);
int rlz_plot_run_gnuplot(const char *cmd, const char *gp, const char *script);
/* The start of a gnuplot script's loop over the png and svg terminals
 * (the variable fmt; the caller sets the output and closes the loop). */
void rlz_plot_begin_formats(FILE *f);

#endif
