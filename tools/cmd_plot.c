/* richeta plot: the gamma-eta0 heatmap of final loss (diverged cells
 * masked, eta_max and eta_opt marked, guide lines of slopes 2 and 2/L) and
 * the loss curves at each gamma's best eta0, as PNG and SVG through
 * gnuplot (run as a child process on a script written to a temp dir). */
#include "cli_store.h"
#include "cli_util.h"
#include "commands.h"
#include "sweep_cli.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config_internal.h"
#include "sweep/sweep_internal.h"

/* viridis (matplotlib's default map, sampled at 9 stops): perceptually
 * uniform and sequential, so equal loss steps look equally far apart and
 * the map reads in grey scale; richeta.plots uses the same map. */
#define RLZ_PLOT_PALETTE                                                                           \
  "set palette defined (0 '#440154', 1 '#472d7b', 2 '#3b528b', 3 '#2c728e', 4 '#21918c',"          \
  " 5 '#28ae80', 6 '#5ec962', 7 '#addc30', 8 '#fde725')\n"

enum { OPT_DB = 1, OPT_HASH, OPT_OUT, OPT_LAZY_MAX, OPT_RICH_MIN };

static const rlz_cli_opt plot_opts[] = {
    {"db", 1, "FILE", "sweep database (default sweep.db)", OPT_DB},
    {"hash", 1, "H", "which sweep of the database (needed when it holds several)", OPT_HASH},
    {"out", 1, "PREFIX",
     "output prefix (default sweep): PREFIX-heatmap.{png,svg},"
     " PREFIX-curves.{png,svg}",
     OPT_OUT},
    {"lazy-max", 1, "G", "anchor the slope-2 guide on gamma <= G (default 10^-1.5)", OPT_LAZY_MAX},
    {"rich-min", 1, "G", "anchor the slope-2/L guide on gamma >= G (default 10^1.5)", OPT_RICH_MIN},
    {NULL, 0, NULL, NULL, 0}};

/* Path of gnuplot: $RICHETA_GNUPLOT, else the first executable in $PATH. */
int rlz_plot_find_gnuplot(char *out, size_t cap) {
  const char *env = getenv("RICHETA_GNUPLOT");
  if (env && *env) {
    snprintf(out, cap, "%s", env);
    return access(out, X_OK) == 0 ? 0 : -1;
  }
  const char *path = getenv("PATH");
  if (!path)
    return -1;
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    if (len > 0 && len + 10 < cap) {
      snprintf(out, cap, "%.*s/gnuplot", (int)len, path);
      if (access(out, X_OK) == 0)
        return 0;
    }
    if (!colon)
      break;
    path = colon + 1;
  }
  return -1;
}

static double min_gap_log(const double *v, int64_t n) {
  double g = INFINITY;
  for (int64_t i = 1; i < n; i++)
    g = fmin(g, log10(v[i]) - log10(v[i - 1]));
  return isfinite(g) ? g : 1.0;
}

/* Centroid of (log gamma, log eta) over a gamma range, for a guide line. */
static int centroid(const double *g, const double *e, int64_t n, double lo, double hi, double *cx,
                    double *cy) {
  int64_t m = 0;
  *cx = *cy = 0;
  for (int64_t i = 0; i < n; i++)
    if (g[i] >= lo && g[i] <= hi && isfinite(e[i]) && e[i] > 0) {
      *cx += log10(g[i]);
      *cy += log10(e[i]);
      m++;
    }
  if (!m)
    return 0;
  *cx /= (double)m;
  *cy /= (double)m;
  return 1;
}

void rlz_plot_begin_formats(FILE *f) {
  fputs("set encoding utf8\n"
        "do for [fmt in 'png svg'] {\n"
        "  if (fmt eq 'png') {\n"
        "    if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
        "      set terminal pngcairo size 900,700 enhanced font ',10'\n"
        "    } else {\n"
        "      set terminal png size 900,700\n"
        "    }\n"
        "  } else {\n"
        "    set terminal svg size 900,700 enhanced font ',10'\n"
        "  }\n",
        f);
}

int rlz_plot_run_gnuplot(const char *cmd, const char *gp, const char *script) {
  pid_t pid = fork();
  if (pid < 0) {
    rlz_cli_error(cmd, "cannot start gnuplot: %s", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    execl(gp, "gnuplot", script, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    rlz_cli_error(cmd, "gnuplot (%s) failed on %s (exit %d)", gp, script,
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return -1;
  }
  return 0;
}

/* What the store's cells and curves become: the plot's data files. */
typedef struct plot_data {
  FILE *fc, *fm, *fk, *fp, *fe; /* cells, masked, curves, catapults, plateau edge */
  int nc, nm, np, ne;
  /* the plateau's lower edge: per gamma, between the lowest convergent
   * eta0 and the stalled cell just below it (cells come by gamma, eta0) */
  double edge_g, below; /* below: the previous cell, if stalled only */
  bool edge_seen, edge_broken;
  /* a curve's last point is held until the next one shows it is not T's */
  int pts;
  int64_t held_step, prev_step;
  double held_loss, gamma;
} plot_data;

static int on_cell(void *user, const rlz_store_plot_cell *c) {
  plot_data *d = user;
  double g = c->gamma, e = c->eta0;
  if (g != d->edge_g) { /* a new gamma column */
    if (!d->edge_seen && d->ne)
      d->edge_broken = true; /* no edge here: the line stops */
    d->edge_g = g;
    d->below = NAN;
    d->edge_seen = false;
  }
  if (c->catapult) { /* a seed catapulted (the sweep's note) */
    fprintf(d->fp, "%.9g %.9g\n", log10(g), log10(e));
    d->np++;
  }
  if (c->converged && !d->edge_seen) {
    d->edge_seen = true;
    if (isfinite(d->below)) {
      fprintf(d->fe, "%s%.9g %.9g\n", d->edge_broken ? "\n" : "", log10(g),
              (log10(d->below) + log10(e)) / 2);
      d->edge_broken = false;
      d->ne++;
    } else if (d->ne) {
      d->edge_broken = true;
    }
  }
  d->below = !c->converged && !c->diverged ? e : NAN;
  if (c->converged && isfinite(c->loss) && c->loss > 0) {
    fprintf(d->fc, "%.9g %.9g %.9g\n", log10(g), log10(e), log10(c->loss));
    d->nc++;
  } else {
    /* dark grey: diverged or failed; light grey: stalled only */
    fprintf(d->fm, "%.9g %.9g %d\n", log10(g), log10(e), c->diverged ? 0xb4b4b4 : 0xe6e6e6);
    d->nm++;
  }
  return 0;
}

static int on_curve_point(void *user, int64_t step, double loss) {
  plot_data *d = user;
  if (!(isfinite(loss) && loss > 0))
    return 0;
  if (d->held_step >= 0)
    fprintf(d->fk, "%lld %.9g %.6g\n", (long long)d->held_step, d->held_loss, d->gamma);
  d->prev_step = d->held_step;
  d->held_step = step > 0 ? step : 0;
  d->held_loss = loss;
  d->pts++;
  return 0;
}

/* Write cells (converged: seed-mean loss; masked: a seed diverged, failed
 * or stalled, with its kind) and each gamma's curve at its best grid eta0,
 * read through the store module. */
static int write_data(const char *cmd, richeta_sweep *sw, const char *db, const char *dir,
                      const rlz_eta_star *es, int64_t ng, int *ncurves) {
  double per_decade = (double)rlz_config_int(rlz_sweep_base(sw), RICHETA_PARAM_LOG_PER_DECADE);
  char hash[32];
  if (richeta_sweep_hash(sw, hash, sizeof hash) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s: the sweep has no hash", db);
    return -1;
  }
  rlz_store *store = NULL;
  if (!rlz_cli_store_open(cmd, db, hash, &store))
    return -1;
  plot_data d = {.edge_g = NAN, .below = NAN};
  char path[4200];
  snprintf(path, sizeof path, "%s/cells.dat", dir);
  d.fc = fopen(path, "w");
  snprintf(path, sizeof path, "%s/masked.dat", dir);
  d.fm = fopen(path, "w");
  snprintf(path, sizeof path, "%s/curves.dat", dir);
  d.fk = fopen(path, "w");
  snprintf(path, sizeof path, "%s/catapult.dat", dir);
  d.fp = fopen(path, "w");
  snprintf(path, sizeof path, "%s/edge.dat", dir);
  d.fe = fopen(path, "w");
  int rc = -1;
  rlz_err e = {{0}};
  if (!d.fc || !d.fm || !d.fk || !d.fp || !d.fe) {
    rlz_cli_error(cmd, "cannot write plot data in %s", dir);
    goto out;
  }
  if (rlz_store_plot_cells(store, hash, on_cell, &d, &e) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s: %s", db, e.msg);
    goto out;
  }
  /* gnuplot refuses empty data files: a point far off the plot */
  if (!d.nc)
    fprintf(d.fc, "1e9 1e9 0\n");
  if (!d.nm)
    fprintf(d.fm, "1e9 1e9 0\n");
  if (!d.np)
    fprintf(d.fp, "1e9 1e9\n");
  if (!d.ne)
    fprintf(d.fe, "1e9 1e9\n");
  *ncurves = 0;
  for (int64_t i = 0; i < ng; i++) {
    if (!isfinite(es[i].eta_opt_grid))
      continue;
    fprintf(d.fk, "# gamma %.6g eta0 %.6g\n", es[i].gamma, es[i].eta_opt_grid);
    /* The trainer always logs T, on top of its log-spaced schedule, and
     * T's training loss is on the batch it has just trained on: a
     * scheduled step just below T (398 of 400) drew a near-vertical last
     * segment. The store keeps both points (final_loss is T's); the plot
     * leaves out T's point when it is less than half a log spacing after
     * the previous one. */
    d.pts = 0;
    d.held_step = d.prev_step = -1;
    d.held_loss = NAN;
    d.gamma = es[i].gamma;
    if (rlz_store_first_seed_curve(store, hash, es[i].gamma, es[i].eta_opt_grid, on_curve_point, &d,
                                   &e) != RICHETA_OK) {
      rlz_cli_error(cmd, "%s: %s", db, e.msg);
      goto out;
    }
    /* steps are plotted at step + 1 */
    bool near_dup = d.prev_step >= 0 && per_decade > 0 &&
                    log10((double)(d.held_step + 1) / (double)(d.prev_step + 1)) < 0.5 / per_decade;
    if (d.held_step >= 0 && !near_dup)
      fprintf(d.fk, "%lld %.9g %.6g\n", (long long)d.held_step, d.held_loss, es[i].gamma);
    if (!d.pts)
      fprintf(d.fk, "1 1e300 %.6g\n", es[i].gamma);
    fprintf(d.fk, "\n\n");
    (*ncurves)++;
  }
  rc = 0;
out:
  rlz_cli_store_close(store);
  FILE *files[5] = {d.fc, d.fm, d.fk, d.fp, d.fe};
  for (int k = 0; k < 5; k++)
    if (files[k])
      fclose(files[k]);
  return rc;
}

/* The images go to PREFIX-*: check PREFIX's directory before any work, so
 * that an unwritable --out is one line naming it (not gnuplot's output or
 * the temporary script's path). */
int rlz_plot_check_out(const char *cmd, const char *flag, const char *prefix,
                       const char *first_image) {
  char dir[4096];
  const char *slash = strrchr(prefix, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == prefix)
    snprintf(dir, sizeof dir, "/");
  else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - prefix), prefix) >= (int)sizeof dir) {
    rlz_cli_error(cmd, "%s %s: output prefix too long", flag, prefix);
    return -1;
  }
  struct stat st;
  const char *why = NULL;
  if (stat(dir, &st) != 0)
    why = strerror(errno);
  else if (!S_ISDIR(st.st_mode))
    why = "not a directory";
  else if (access(dir, W_OK | X_OK) != 0)
    why = strerror(errno);
  if (why) {
    rlz_cli_error(cmd, "cannot write %s-%s (%s %s): %s: %s", prefix, first_image, flag, prefix, dir,
                  why);
    return -1;
  }
  return 0;
}

int rlz_plot_sweep(const char *cmd, const char *flag, richeta_sweep *sw, const char *db,
                   const char *prefix, double lazy_max, double rich_min) {
  if (rlz_plot_check_out(cmd, flag, prefix, "heatmap.png") != 0)
    return RLZ_EXIT_FAIL;
  char gp[4096];
  if (rlz_plot_find_gnuplot(gp, sizeof gp) != 0) {
    rlz_cli_error(cmd,
                  "gnuplot not found (not in PATH, or RICHETA_GNUPLOT not executable):"
                  " install gnuplot (e.g. apt install gnuplot-nox) to draw plots;"
                  " the results are in %s (richeta export)",
                  db);
    return RLZ_EXIT_FAIL;
  }
  int64_t nruns = 0;
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &nruns);
  if (nruns == 0) {
    rlz_cli_error(cmd, "the sweep has no runs to plot");
    return RLZ_EXIT_FAIL;
  }
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_eta_star *es = calloc((size_t)nruns, sizeof *es);
  double *g = calloc((size_t)nruns, sizeof *g), *em = calloc((size_t)nruns, sizeof *em);
  char dir[] = "/tmp/richeta-plot-XXXXXX";
  int rc = RLZ_EXIT_FAIL, have_dir = 0;
  if (!es || !g || !em) {
    rlz_cli_error(cmd, "out of memory");
    goto out;
  }
  int64_t nloaded = 0;
  const rlz_run *loaded = rlz_sweep_loaded_runs(sw, &nloaded);
  int64_t ng = rlz_eta_star_compute(&a, loaded, nloaded, es);
  if (ng < 0) {
    rlz_cli_error(cmd, "out of memory");
    goto out;
  }
  for (int64_t i = 0; i < ng; i++) {
    g[i] = es[i].gamma;
    em[i] = es[i].eta_max;
  }
  if (!mkdtemp(dir)) {
    rlz_cli_error(cmd, "cannot make a temporary directory: %s", strerror(errno));
    goto out;
  }
  have_dir = 1;
  int ncurves = 0;
  if (write_data(cmd, sw, db, dir, es, ng, &ncurves) != 0)
    goto out;
  char path[4200];
  snprintf(path, sizeof path, "%s/etastar.dat", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    rlz_cli_error(cmd, "cannot write %s", path);
    goto out;
  }
  snprintf(path, sizeof path, "%s/censored.dat", dir);
  FILE *fcen = fopen(path, "w");
  if (!fcen) {
    fclose(f);
    rlz_cli_error(cmd, "cannot write %s", path);
    goto out;
  }
  int ncen = 0;
  for (int64_t i = 0; i < ng; i++)
    if (isfinite(es[i].eta_max) && (es[i].flags & RICHETA_ETA_STAR_MAX_AT_TOP)) {
      fprintf(fcen, "%.9g %.9g\n", log10(es[i].gamma), log10(es[i].eta_max));
      ncen++;
    }
  if (!ncen)
    fprintf(fcen, "1e9 1e9\n");
  fclose(fcen);
  int nstar = 0;
  for (int64_t i = 0; i < ng; i++)
    if (isfinite(es[i].eta_max)) {
      fprintf(f, "%.9g %.9g %.9g\n", log10(es[i].gamma), log10(es[i].eta_max),
              log10(es[i].eta_opt));
      nstar++;
    }
  if (!nstar)
    fprintf(f, "1e9 1e9 1e9\n");
  fclose(f);
  /* guide lines: slopes 2 and 2/L through the centroids of eta_max */
  int64_t L = rlz_config_int(rlz_sweep_base(sw), RICHETA_PARAM_DEPTH);
  double lm = isnan(lazy_max) ? pow(10, -1.5) : lazy_max;
  double rm = isnan(rich_min) ? pow(10, 1.5) : rich_min;
  double lx, ly, rx, ry;
  int has_l = centroid(g, em, ng, 0, lm, &lx, &ly),
      has_r = centroid(g, em, ng, rm, INFINITY, &rx, &ry);
  const rlz_grid *ggrid = rlz_sweep_grid(sw, RICHETA_SWEEP_AXIS_GAMMA),
                 *egrid = rlz_sweep_grid(sw, RICHETA_SWEEP_AXIS_ETA0);
  const double *gv = ggrid->v, *ev = egrid->v;
  int64_t gn = ggrid->n, en = egrid->n;
  double dx = min_gap_log(gv, gn) / 2, dy = min_gap_log(ev, en) / 2;
  double xlo = log10(gv[0]) - dx, xhi = log10(gv[gn - 1]) + dx;
  double ylo = log10(ev[0]) - dy, yhi = log10(ev[en - 1]) + dy;
  snprintf(path, sizeof path, "%s/plot.gp", dir);
  f = fopen(path, "w");
  if (!f) {
    rlz_cli_error(cmd, "cannot write %s", path);
    goto out;
  }
  fprintf(f, "D = '%s'\nL = %lld\n", dir, (long long)L);
  /* a guide without an anchor is neither defined nor plotted */
  if (has_l)
    fprintf(f, "lazy(x) = x <= 0.5 ? %.9g + 2.0 * (x - %.9g) : 1/0\n", ly, lx);
  if (has_r)
    fprintf(f, "rich(x) = x >= -0.5 ? %.9g + 2.0 / L * (x - %.9g) : 1/0\n", ry, rx);
  rlz_plot_begin_formats(f);
  fprintf(f,
          "  set output D.'/heatmap.'.fmt\n"
          "  reset\n"
          "  set title sprintf('final loss over the {/Symbol g} - {/Symbol h}_0 plane (L = %%d);"
          " grey: diverged, light grey: stalled (no escape or no progress within T)', L)\n"
          "  set xlabel 'log_{10} {/Symbol g}'\n"
          "  set ylabel 'log_{10} {/Symbol h}_0'\n"
          "  set cblabel 'log_{10} final loss (held-out when available)'\n"
          "  set xrange [%.9g:%.9g]\n  set yrange [%.9g:%.9g]\n"
          "  " RLZ_PLOT_PALETTE "  set key bottom right opaque\n"
          "  set style fill solid 1.0 noborder\n"
          "  plot D.'/cells.dat' using 1:2:(%.9g):(%.9g):3 with boxxyerror fc palette notitle, \\\n"
          "       D.'/masked.dat' using 1:2:(%.9g):(%.9g):3 with boxxyerror lc rgb variable"
          " notitle, \\\n"
          "       D.'/etastar.dat' using 1:2 with linespoints pt 7 ps 0.9 lc rgb 'black'"
          " title '{/Symbol h}_{max}', \\\n"
          /* orange, not white: the key's opaque box is white */
          "       D.'/etastar.dat' using 1:3 with linespoints pt 6 ps 1.1 lw 2 lc rgb '#e66101'"
          " title '{/Symbol h}_{opt}', \\\n"
          "       D.'/censored.dat' using 1:2 with points pt 8 ps 2.2 lw 2 lc rgb 'red'"
          " title '{/Symbol h}_{max} censored (grid top: a lower bound)', \\\n"
          "       D.'/edge.dat' using 1:2 with linespoints pt 9 ps 0.9 lw 2 lc rgb '#7b3294'"
          " title 'plateau''s lower edge (runs below it stall within T)', \\\n"
          "       D.'/catapult.dat' using 1:2 with points pt 2 ps 0.8 lc rgb 'black'"
          " title 'catapult (a seed''s loss rose 2x early, then fell below its start)'",
          /* boxes overlap a little so that no hairlines show between them */
          xlo, xhi, ylo, yhi, dx * 1.04, dy * 1.04, dx * 1.04, dy * 1.04);
  /* a guide is in the key only when it is drawn (it needs eta_max on its side) */
  if (has_l)
    fputs(", \\\n       lazy(x) with lines dt 2 lw 2 lc rgb 'black' title '{/Symbol g}^2'", f);
  if (has_r)
    fputs(", \\\n       rich(x) with lines dt 4 lw 2 lc rgb 'black'"
          " title sprintf('{/Symbol g}^{2/%d}', L)",
          f);
  fputs("\n"
        "  set output D.'/curves.'.fmt\n"
        "  reset\n"
        "  set title 'loss curves at each {/Symbol g}''s best {/Symbol h}_0'\n"
        "  set logscale xy\n"
        /* powers of ten, not %f's 10.000000 ... 0.000010 */
        "  set format x '10^{%L}'\n"
        "  set format y '10^{%L}'\n"
        "  set xlabel 'step + 1'\n"
        "  set ylabel 'loss (held-out when available)'\n"
        "  set key outside right title '{/Symbol g}'\n"
        "  " RLZ_PLOT_PALETTE "  unset colorbox\n"
        "  plot \\\n",
        f);
  /* one term per curve, coloured along the gamma axis */
  int k = 0;
  for (int64_t i = 0; i < ng; i++) {
    if (!isfinite(es[i].eta_opt_grid))
      continue;
    fprintf(f,
            "    D.'/curves.dat' index %d using ($1+1):2 with lines lw 1.5"
            " lc palette frac %.4f title '%.3g'%s\n",
            k, ncurves > 1 ? (double)k / (ncurves - 1) : 0.0, es[i].gamma,
            k + 1 < ncurves ? ", \\" : "");
    k++;
  }
  if (ncurves == 0)
    fprintf(f, "    1/0 notitle\n");
  fprintf(f, "  unset output\n}\n");
  fclose(f);
  if (rlz_plot_run_gnuplot(cmd, gp, path) != 0)
    goto out;
  /* gnuplot wrote into the private directory (the user's prefix never goes
   * into its script); each image replaces its destination atomically */
  static const char *const images[] = {"heatmap.png", "heatmap.svg", "curves.png", "curves.svg"};
  for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
    char src[4200], dest[4200];
    snprintf(src, sizeof src, "%s/%s", dir, images[i]);
    if (snprintf(dest, sizeof dest, "%s-%s", prefix, images[i]) >= (int)sizeof dest) {
      rlz_cli_error(cmd, "output prefix too long");
      goto out;
    }
    if (rlz_cli_copy_out(cmd, src, dest) != 0)
      goto out;
  }
  printf("wrote %s-heatmap.png %s-heatmap.svg %s-curves.png %s-curves.svg\n", prefix, prefix,
         prefix, prefix);
  rc = RLZ_EXIT_OK;
out:
  if (have_dir && getenv("RICHETA_KEEP_PLOT_DATA"))
    fprintf(stderr, "richeta %s: plot data kept in %s\n", cmd, dir);
  else if (have_dir) {
    const char *names[] = {"cells.dat",    "masked.dat",   "curves.dat", "etastar.dat",
                           "catapult.dat", "censored.dat", "edge.dat",   "plot.gp",
                           "heatmap.png",  "heatmap.svg",  "curves.png", "curves.svg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      unlink(path);
    }
    rmdir(dir);
  }
  free(es);
  free(g);
  free(em);
  return rc;
}

typedef struct plot_args {
  const char *db, *hash, *out;
  double lazy_max, rich_min;
} plot_args;

static int on_opt(void *user, int id, const char *value) {
  plot_args *a = user;
  double v;
  switch (id) {
  case OPT_DB:
    a->db = value;
    return 0;
  case OPT_HASH:
    a->hash = value;
    return 0;
  case OPT_OUT:
    a->out = value;
    return 0;
  case OPT_LAZY_MAX:
  case OPT_RICH_MIN:
    if (rlz_cli_parse_double(value, &v) != 0 || !(v > 0)) {
      rlz_cli_error("plot", "--%s %s: expected a number > 0",
                    id == OPT_LAZY_MAX ? "lazy-max" : "rich-min", value);
      return 1;
    }
    if (id == OPT_LAZY_MAX)
      a->lazy_max = v;
    else
      a->rich_min = v;
    return 0;
  default:
    return 1;
  }
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta plot [flags]\n\n"
             "Draw a sweep database with gnuplot, as PNG (pngcairo, else png) and SVG:\n"
             "  PREFIX-heatmap: log10 final loss (held-out when available, seed mean) over\n"
             "    (log10 gamma, log10 eta0) in viridis (as richeta.plots.heatmap); cells\n"
             "    where a seed diverged or failed in grey,\n"
             "    stalled ones (richeta sweep --stall: no escape from the plateau or no\n"
             "    progress within T, the lower edge of the optimizable region) in light\n"
             "    grey, and the plateau's lower edge (midway between each gamma's lowest\n"
             "    convergent eta0 and the stalled cell just below it) as a purple line;\n"
             "    cells where a seed catapulted (its loss rose 2x within the first\n"
             "    100 steps, then fell below its start) marked x;\n"
             "    eta_max (black, filled) and eta_opt (orange, open) per gamma, eta_max at\n"
             "    the top of the grid (censored: a lower bound) circled by a red triangle;\n"
             "    guide lines of slope 2 and 2/L through the mean of eta_max on each side\n"
             "    (--lazy-max, --rich-min), each drawn and in the key only when eta_max\n"
             "    exists on its side;\n"
             "  PREFIX-curves: the loss curve at each gamma's best grid eta0 (lowest seed),\n"
             "    log-log with power-of-ten labels; the point at T is left out when it is\n"
             "    less than half a log spacing after the one before (the store keeps it).\n"
             "An unwritable --out directory is reported before gnuplot runs.\n"
             "gnuplot is found in PATH or at $RICHETA_GNUPLOT; without it the command\n"
             "fails with a message (exit 1). RICHETA_KEEP_PLOT_DATA=1 keeps the data and\n"
             "script in /tmp (the directory is named on stderr).\n"
             "Exit status: 0 ok, 1 runtime error, 2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, plot_opts);
}

int rlz_cmd_plot(int argc, char **argv) {
  plot_args a = {.db = "sweep.db", .out = "sweep", .lazy_max = NAN, .rich_min = NAN};
  rlz_cli_parser p = {"plot", plot_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  richeta_sweep *sw = NULL;
  if (richeta_sweep_open(&sw, a.db, a.hash, NULL) != RICHETA_OK) {
    rlz_cli_error("plot", "%s", richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  int rc = rlz_plot_sweep("plot", "--out", sw, a.db, a.out, a.lazy_max, a.rich_min);
  richeta_sweep_free(sw);
  return rc;
}
