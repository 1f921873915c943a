/* richeta best: the gamma study of real data (the paper's "optimal online
 * performance is often found at large gamma"): from a sweep with eta0 tuned
 * per gamma, the best held-out loss and its accuracy against gamma with
 * seed error bars; gammas whose best eta0 is at the edge of the scanned
 * grid are flagged (not tuned). Optionally plots them with gnuplot. */
#include "cli_util.h"
#include "commands.h"
#include "sweep_cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

#define CMD "best"

enum { OPT_DB = 1, OPT_HASH, OPT_JSON, OPT_PLOT };

static const rlz_cli_opt best_opts[] = {
    {"db", 1, "FILE", "sweep database (default sweep.db)", OPT_DB},
    {"hash", 1, "H", "which sweep of the database (needed when it holds several)", OPT_HASH},
    {"json", 0, NULL, "print JSON lines (keys below)", OPT_JSON},
    {"plot", 1, "PREFIX", "also write PREFIX-best.{png,svg} (gnuplot)", OPT_PLOT},
    {NULL, 0, NULL, NULL, 0}};

typedef struct best_args {
  const char *db, *hash, *plot;
  int json;
} best_args;

static int on_opt(void *user, int id, const char *value) {
  best_args *a = user;
  switch (id) {
  case OPT_DB:
    a->db = value;
    return 0;
  case OPT_HASH:
    a->hash = value;
    return 0;
  case OPT_JSON:
    a->json = 1;
    return 0;
  case OPT_PLOT:
    a->plot = value;
    return 0;
  default:
    return 1;
  }
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta best [flags]\n\n"
             "The gamma study of a sweep whose eta0 grid is scanned at every gamma (richeta\n"
             "sweep): per gamma, the eta0 with the lowest seed-mean final held-out loss among\n"
             "those where every seed converged (training-batch loss when a run has no\n"
             "held-out set), that loss and the final held-out accuracy (C >= 2) as mean and\n"
             "standard error over the seeds. A gamma whose best eta0 is the largest or the\n"
             "smallest eta0 scanned there is flagged 'edge': eta0 is not tuned (the optimum\n"
             "may lie beyond the grid), its loss only bounds the best one. A best eta0 next\n"
             "to a divergent one is tuned: the stability edge bounds it.\n\n"
             "Output (stdout): a table, then the gamma of the lowest loss. --json (keys of\n"
             "docs/output.md): one object per gamma, record \"best\", with keys gamma, eta0\n"
             "(best), test_final_loss (held-out; final_loss, the training-batch one, when\n"
             "held_out is false), loss_stderr, test_accuracy, test_accuracy_stderr, seeds,\n"
             "edge (true/false), held_out; then one object, record \"best_summary\", with\n"
             "keys best_gamma, best_gamma_loss, tuned_gammas. Non-finite numbers (a\n"
             "standard error of one seed, the accuracy of a regression) are null.\n"
             "--plot PREFIX draws loss and accuracy against gamma with their error bars,\n"
             "edge gammas as open symbols.\n"
             "Exit status: 0 ok, 1 runtime error (unreadable database, no convergent run),\n"
             "2 usage error.\n\n"
             "flags:\n");
  rlz_cli_print_options(f, best_opts);
}

typedef struct best_row {
  double gamma, eta0, loss, loss_se, acc, acc_se;
  int64_t seeds;
  int edge;
} best_row;

/* Mean and standard error of the mean of v[0..n) (NaN error for n < 2). */
static void mean_se(const double *v, int64_t n, double *mean, double *se) {
  double s = 0;
  for (int64_t i = 0; i < n; i++)
    s += v[i];
  *mean = n > 0 ? s / (double)n : NAN;
  double ss = 0;
  for (int64_t i = 0; i < n; i++)
    ss += (v[i] - *mean) * (v[i] - *mean);
  *se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
}

/* The best cell of one gamma (runs r[0..n) sorted by eta0 then seed). */
static int best_of(const rlz_run *r, int64_t n, bool held_out, double *scratch, double *acc,
                   best_row *o) {
  o->gamma = r[0].gamma;
  o->eta0 = o->loss = o->loss_se = o->acc = o->acc_se = NAN;
  o->seeds = 0;
  o->edge = 0;
  int64_t ncells = 0, best_cell = -1;
  double best = INFINITY;
  for (int64_t i = 0; i < n; ncells++) {
    int64_t j = i, k = 0;
    bool conv = true;
    while (j < n && r[j].eta0 == r[i].eta0) {
      double l = held_out ? r[j].test_final : r[j].final_loss;
      conv = conv && r[j].status == RICHETA_SWEEP_RUN_CONVERGED && isfinite(l);
      scratch[k++] = l;
      j++;
    }
    double m, se;
    if (conv) {
      mean_se(scratch, k, &m, &se);
      if (m < best) {
        best = m;
        best_cell = ncells;
        o->eta0 = r[i].eta0;
        o->loss = m;
        o->loss_se = se;
        o->seeds = k;
        for (int64_t q = 0; q < k; q++)
          acc[q] = r[i + q].test_accuracy;
        mean_se(acc, k, &o->acc, &o->acc_se);
      }
    }
    i = j;
  }
  if (best_cell < 0)
    return 0;
  o->edge = best_cell == 0 || best_cell == ncells - 1;
  return 1;
}

static int plot(const char *prefix, const best_row *rows, int64_t n, int held_out) {
  if (rlz_plot_check_out(CMD, "--plot", prefix, "best.png") != 0)
    return RLZ_EXIT_FAIL;
  char gp[4096];
  if (rlz_plot_find_gnuplot(gp, sizeof gp) != 0) {
    rlz_cli_error(CMD, "gnuplot not found (not in PATH, or RICHETA_GNUPLOT not executable): "
                       "install gnuplot (e.g. apt install gnuplot-nox) to draw plots");
    return RLZ_EXIT_FAIL;
  }
  char dir[] = "/tmp/richeta-best-XXXXXX";
  if (!mkdtemp(dir)) {
    rlz_cli_error(CMD, "cannot make a temporary directory: %s", strerror(errno));
    return RLZ_EXIT_FAIL;
  }
  int rc = RLZ_EXIT_FAIL;
  char data[4200], script[4200];
  snprintf(data, sizeof data, "%s/best.dat", dir);
  snprintf(script, sizeof script, "%s/best.gp", dir);
  FILE *f = fopen(data, "w");
  if (!f) {
    rlz_cli_error(CMD, "cannot write %s", data);
    goto out;
  }
  /* gamma loss loss_se acc acc_se edge (NaN errors drawn as 0); the
   * accuracy panel only when some run has an accuracy (gnuplot refuses a
   * plot without a point: an MSE sweep has none) */
  int has_acc = 0;
  for (int64_t i = 0; i < n; i++)
    has_acc |= isfinite(rows[i].loss) && isfinite(rows[i].acc);
  for (int64_t i = 0; i < n; i++)
    if (isfinite(rows[i].loss))
      fprintf(f, "%.9g %.9g %.9g %.9g %.9g %d\n", rows[i].gamma, rows[i].loss,
              isfinite(rows[i].loss_se) ? rows[i].loss_se : 0.0,
              isfinite(rows[i].acc) ? rows[i].acc : -1.0,
              isfinite(rows[i].acc_se) ? rows[i].acc_se : 0.0, rows[i].edge);
  fclose(f);
  f = fopen(script, "w");
  if (!f) {
    rlz_cli_error(CMD, "cannot write %s", script);
    goto out;
  }
  fprintf(f, "D = '%s'\n", dir);
  rlz_plot_begin_formats(f);
  fprintf(f,
          "  set output D.'/best.'.fmt\n"
          "  reset\n"
          "  set multiplot layout %d,1 title 'best over {/Symbol h}_0 at each {/Symbol g}"
          " (open: best {/Symbol h}_0 at the grid edge, not tuned)'\n"
          "  set logscale x\n"
          "  set xlabel '{/Symbol g}'\n"
          "  set ylabel '%s loss'\n"
          "  plot D.'/best.dat' using 1:($6==0?$2:1/0):3 with yerrorlines pt 7 lc rgb 'black'"
          " title 'tuned', D.'/best.dat' using 1:($6==1?$2:1/0):3 with yerrorbars pt 6 ps 1.4"
          " lc rgb 'red' title 'edge'\n",
          has_acc ? 2 : 1, held_out ? "held-out" : "training");
  if (has_acc)
    fprintf(f, "  set ylabel 'held-out accuracy'\n"
               "  plot D.'/best.dat' using 1:($4>=0&&$6==0?$4:1/0):5 with yerrorlines pt 7"
               " lc rgb 'black' title 'tuned', D.'/best.dat' using 1:($4>=0&&$6==1?$4:1/0):5 with"
               " yerrorbars pt 6 ps 1.4 lc rgb 'red' title 'edge'\n");
  fprintf(f, "  unset multiplot\n"
             "  unset output\n"
             "}\n");
  fclose(f);
  if (rlz_plot_run_gnuplot(CMD, gp, script) != 0)
    goto out;
  static const char *const images[] = {"best.png", "best.svg"};
  for (size_t i = 0; i < 2; i++) {
    char src[4200], dest[4200];
    snprintf(src, sizeof src, "%s/%s", dir, images[i]);
    if (snprintf(dest, sizeof dest, "%s-%s", prefix, images[i]) >= (int)sizeof dest) {
      rlz_cli_error(CMD, "output prefix too long");
      goto out;
    }
    if (rlz_cli_copy_out(CMD, src, dest) != 0)
      goto out;
  }
  rc = RLZ_EXIT_OK;
out:;
  const char *names[] = {"best.dat", "best.gp", "best.png", "best.svg"};
  for (size_t i = 0; i < 4; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  return rc;
}

int rlz_cmd_best(int argc, char **argv) {
  best_args a = {.db = "sweep.db"};
  rlz_cli_parser p = {CMD, best_opts, on_opt, &a, NULL, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK)
    return RLZ_EXIT_USAGE;
  richeta_sweep *sw = NULL;
  if (richeta_sweep_open(&sw, a.db, a.hash, NULL) != RICHETA_OK) {
    rlz_cli_error(CMD, "%s", richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  int rc = RLZ_EXIT_FAIL;
  int64_t n;
  const rlz_run *runs = rlz_sweep_loaded_runs(sw, &n);
  size_t cap = n > 0 ? (size_t)n : 1;
  best_row *rows = calloc(cap, sizeof *rows);
  double *scratch = calloc(cap, sizeof *scratch), *acc = calloc(cap, sizeof *acc);
  if (!rows || !scratch || !acc) {
    rlz_cli_error(CMD, "out of memory");
    goto out;
  }
  /* held-out losses when every convergent run has one */
  bool held_out = n > 0;
  for (int64_t i = 0; i < n; i++)
    if (runs[i].status == RICHETA_SWEEP_RUN_CONVERGED && !isfinite(runs[i].test_final))
      held_out = false;
  int64_t ng = 0, found = 0, tuned = 0, ibest = -1;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && runs[j].gamma == runs[i].gamma)
      j++;
    if (best_of(runs + i, j - i, held_out, scratch, acc, &rows[ng])) {
      found++;
      tuned += !rows[ng].edge;
      if (ibest < 0 || rows[ng].loss < rows[ibest].loss)
        ibest = ng;
    }
    ng++;
    i = j;
  }
  if (found == 0) {
    rlz_cli_error(CMD, "%s: no gamma has an eta0 at which every seed converged", a.db);
    goto out;
  }
  if (!a.json)
    printf("%10s %12s %12s %10s %10s %10s %5s  %s\n", "gamma", "best_eta0",
           held_out ? "test_loss" : "train_loss", "+-", "accuracy", "+-", "seeds", "note");
  for (int64_t i = 0; i < ng; i++) {
    const best_row *r = &rows[i];
    if (a.json) {
      rlz_json j;
      rlz_json_begin(&j, stdout, "best");
      rlz_json_num(&j, "gamma", r->gamma);
      rlz_json_num(&j, "eta0", r->eta0);
      /* the final loss the contract names: held-out, or the training batch's */
      rlz_json_num(&j, held_out ? "test_final_loss" : "final_loss", r->loss);
      rlz_json_num(&j, "loss_stderr", r->loss_se);
      rlz_json_num(&j, "test_accuracy", r->acc);
      rlz_json_num(&j, "test_accuracy_stderr", r->acc_se);
      rlz_json_int(&j, "seeds", r->seeds);
      rlz_json_bool(&j, "edge", r->edge);
      rlz_json_bool(&j, "held_out", held_out);
      rlz_json_end(&j);
    } else {
      printf("%10.4g %12.4g %12.5g %10.2g %10.4f %10.2g %5lld  %s\n", r->gamma, r->eta0, r->loss,
             r->loss_se, r->acc, r->acc_se, (long long)r->seeds,
             !isfinite(r->loss) ? "no convergent eta0"
             : r->edge          ? "edge: eta0 not tuned"
                                : "");
    }
  }
  if (a.json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "best_summary");
    rlz_json_num(&j, "best_gamma", rows[ibest].gamma);
    rlz_json_num(&j, "best_gamma_loss", rows[ibest].loss);
    rlz_json_int(&j, "tuned_gammas", tuned);
    rlz_json_end(&j);
  } else {
    printf("lowest loss at gamma %.4g (%s); %lld of %lld gammas tuned\n", rows[ibest].gamma,
           rows[ibest].edge ? "its eta0 is at the grid's edge" : "eta0 tuned", (long long)tuned,
           (long long)ng);
  }
  rc = a.plot ? plot(a.plot, rows, ng, held_out) : RLZ_EXIT_OK;
  if (rc == RLZ_EXIT_OK && a.plot && !a.json)
    printf("wrote %s-best.png %s-best.svg\n", a.plot, a.plot);
out:
  free(rows);
  free(scratch);
  free(acc);
  richeta_sweep_free(sw);
  return rc;
}
