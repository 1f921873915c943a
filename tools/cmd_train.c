/* richeta train: one run through the trainer API, printed as a loss curve. */
#include "cli_data.h"
#include "cli_util.h"
#include "commands.h"
#include "train/train_internal.h"
#include "train_diag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
  OPT_JSON = 1,
  OPT_CHECKPOINT,
  OPT_CKPT_EVERY,
  OPT_RESUME,
  OPT_MAX_STEPS,
  OPT_THREADS,
  OPT_SHOW_CONFIG,
  OPT_DIAG,
  OPT_DIAG_PROBE
};

static const rlz_cli_opt train_opts[] = {
    {"json", 0, NULL, "print JSON lines instead of CSV (keys below)", OPT_JSON},
    {"checkpoint", 1, "FILE",
     "save a checkpoint to FILE at the end (atomic; a link is written through, a device, FIFO "
     "or directory refused)",
     OPT_CHECKPOINT},
    {"checkpoint-every", 1, "K", "also save it every K steps (needs --checkpoint)", OPT_CKPT_EVERY},
    {"resume", 1, "FILE",
     "continue the run saved in FILE (flags, if any, must match it) with the BLAS thread count "
     "it was saved with (unless --threads)",
     OPT_RESUME},
    {"max-steps", 1, "K", "take at most K steps now (then status 'running'; resume later)",
     OPT_MAX_STEPS},
    {"threads", 1, "K", "set the BLAS thread count to K (default: leave it)", OPT_THREADS},
    {"show-config", 0, NULL,
     "print the effective spec string and exit (with a bare --resume: the checkpoint's)",
     OPT_SHOW_CONFIG},
    {"diag", 1, "LIST",
     "record diagnostics at logged steps: sharpness,gn,alignment,movement,preact or all", OPT_DIAG},
    {"diag-probe", 1, "N", "held-out samples in the diagnostics' probe batch (default 128)",
     OPT_DIAG_PROBE},
    {NULL, 0, NULL, NULL, 0}};

typedef struct train_args {
  int json;
  int show_config;
  const char *checkpoint;
  int64_t ckpt_every;
  const char *resume;
  int64_t threads;
  int64_t max_steps; /* 0: no limit */
  unsigned diag;     /* RLZ_DIAG_* mask, 0: none */
  int64_t diag_probe;
} train_args;

static int on_opt(void *user, int id, const char *value) {
  train_args *a = user;
  switch (id) {
  case OPT_JSON:
    a->json = 1;
    break;
  case OPT_SHOW_CONFIG:
    a->show_config = 1;
    break;
  case OPT_CHECKPOINT:
    a->checkpoint = value;
    break;
  case OPT_RESUME:
    a->resume = value;
    break;
  case OPT_CKPT_EVERY:
    if (rlz_cli_parse_int64(value, &a->ckpt_every) != 0 || a->ckpt_every < 1) {
      rlz_cli_error("train", "--checkpoint-every %s: expected an integer >= 1", value);
      return 1;
    }
    break;
  case OPT_MAX_STEPS:
    if (rlz_cli_parse_int64(value, &a->max_steps) != 0 || a->max_steps < 1) {
      rlz_cli_error("train", "--max-steps %s: expected an integer >= 1", value);
      return 1;
    }
    break;
  case OPT_DIAG:
    if (rlz_train_diag_parse(value, &a->diag) != 0)
      return 1;
    break;
  case OPT_DIAG_PROBE:
    if (rlz_cli_parse_int64(value, &a->diag_probe) != 0 || a->diag_probe < 1 ||
        a->diag_probe > 4096) {
      rlz_cli_error("train", "--diag-probe %s: expected an integer in [1, 4096]", value);
      return 1;
    }
    break;
  case OPT_THREADS:
    if (rlz_cli_parse_int64(value, &a->threads) != 0 || a->threads < 1 || a->threads > 4096) {
      rlz_cli_error("train", "--threads %s: expected an integer in [1, 4096]", value);
      return 1;
    }
    break;
  default:
    return 1;
  }
  return 0;
}

static void help(FILE *f) {
  fprintf(f, "usage: richeta train [flags]\n\n"
             "Train one network with online SGD and print its loss curve: the\n"
             "training-batch loss, the held-out loss and the rate eta at step 0,\n"
             "at log-spaced steps and at the last step.\n\n"
             "Output (stdout, printed as the run goes; keys as in docs/output.md):\n"
             "  CSV (default): header 'step,train_loss,test_loss,eta,test_accuracy' (then\n"
             "    the --diag columns), one row per logged step, then a comment line\n"
             "    '# status=S final_loss=X test_final_loss=Y steps=T'.\n"
             "  --json: one object per logged step, record \"point\", with keys step,\n"
             "    train_loss (training batch), test_loss (held-out), eta, test_accuracy\n"
             "    (held-out, null unless C >= 2), gamma, eta0 and the --diag keys; then\n"
             "    one object, record \"run\", with keys status (S below), final_loss\n"
             "    (training batch), test_final_loss (held-out), steps, gamma, eta0,\n"
             "    catapult, catapult_step.\n"
             "  catapult: the peak loss over the step-0 loss when the run catapulted (the\n"
             "    loss rose at least 2x within the first 100 steps, then fell below its\n"
             "    start; held-out loss when there is a held-out set), at catapult_step;\n"
             "    null otherwise (in CSV, ' catapult=R catapult_step=S' on the status line).\n"
             "  --diag keys: sharpness (top Hessian eigenvalue of the probe loss; null\n"
             "    with batch normalization: no Hessian-vector product with batch\n"
             "    statistics; one warning), gn (top Gauss-Newton eigenvalue), alignment\n"
             "    (NTK-target alignment; with batch normalization both take the running\n"
             "    statistics),\n"
             "    movement_<l> (|W_l - W0_l| / |W0_l|), preact_<l> (mean |h_l|), measured\n"
             "    on the first --diag-probe held-out samples at the parameters of the\n"
             "    logged step (before its update; at T, the final parameters).\n"
             "    Non-finite numbers are null; eta0 is null after a bare --resume.\n"
             "  status S: converged (all T steps), diverged (stopped early on a NaN/Inf\n"
             "    or blown-up loss; final losses null/nan), running (--max-steps).\n"
             "Divergence (NaN/Inf or a blown-up loss) is a result: status 'diverged', exit 0.\n"
             "File tasks: --task file --data SPEC fills in D and C from the data set, and for\n"
             "  --arch cnn the image shape (image_channels, image_height, image_width) as it\n"
             "  presents its samples (C x H x W, or H x W as one channel); values given on\n"
             "  the command line must agree with it. A run that goes past the end of the\n"
             "  data set reuses samples and says so on stderr.\n"
             "Exit status: 0 done or diverged, 1 runtime error, 2 usage error.\n"
             "A progress bar is drawn on stderr when it is a terminal.\n\n"
             "command flags:\n");
  rlz_cli_print_options(f, train_opts);
  fputc('\n', f);
  rlz_cli_print_config_help(f);
  fprintf(f,
          "\nexample: richeta train --gamma 1000 --eta0 0.5 --rule theory --steps 2000 --json\n");
}

/* 1 when cfg equals a default configuration (no configuration flag given). */
static int same_as_default(const richeta_config *cfg) {
  richeta_config *def = NULL;
  char a[8192], b[8192];
  int same = 0;
  if (richeta_config_new(&def, NULL) == RICHETA_OK &&
      richeta_config_to_string(cfg, a, sizeof a, NULL) == RICHETA_OK &&
      richeta_config_to_string(def, b, sizeof b, NULL) == RICHETA_OK)
    same = !strcmp(a, b);
  richeta_config_free(def);
  return same;
}

/* Failure of a trainer call: one line on stderr, exit 1. */
static int fail(const richeta_trainer *t, const char *what, richeta_status s) {
  rlz_cli_error("train", "%s: %s (%s)%s", what, richeta_trainer_last_error(t),
                richeta_status_string(s), rlz_cli_nomem_hint(s));
  return RLZ_EXIT_FAIL;
}

/* The log printed as the run goes (rows reach a redirected file while it
 * trains, so an interrupted run keeps them): the header, the rows of each
 * newly logged step, then the closing status line. */
typedef struct log_printer {
  int json;
  double gamma, eta0;
  const rlz_train_diag *diag;
  int64_t printed;                /* log points printed so far */
  double final_loss, test_final_loss; /* training-batch and held-out loss of the last one */
} log_printer;

static void print_header(const log_printer *o) {
  if (o->json)
    return;
  printf("step,train_loss,test_loss,eta,test_accuracy");
  if (o->diag)
    rlz_train_diag_csv_header(o->diag, stdout);
  putchar('\n');
}

static void print_row(log_printer *o, int64_t step, double tr, double ev, double eta, double acc) {
  o->final_loss = tr;
  o->test_final_loss = ev;
  if (o->json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "point");
    rlz_json_int(&j, "step", step);
    rlz_json_num(&j, "train_loss", tr);
    rlz_json_num(&j, "test_loss", ev);
    rlz_json_num(&j, "eta", eta);
    rlz_json_num(&j, "test_accuracy", acc);
    rlz_json_num(&j, "gamma", o->gamma);
    rlz_json_num(&j, "eta0", o->eta0);
    if (o->diag)
      rlz_train_diag_json(o->diag, rlz_train_diag_find(o->diag, step), &j);
    rlz_json_end(&j);
    return;
  }
  printf("%lld,", (long long)step);
  rlz_csv_number(stdout, tr);
  putchar(',');
  rlz_csv_number(stdout, ev);
  putchar(',');
  rlz_csv_number(stdout, eta);
  putchar(',');
  rlz_csv_number(stdout, acc);
  if (o->diag)
    rlz_train_diag_csv_row(o->diag, rlz_train_diag_find(o->diag, step), stdout);
  putchar('\n');
}

/* Print the logged points not printed yet whose step is <= upto (their
 * diagnostics, when asked for, are recorded by then). */
static int print_new_rows(const richeta_trainer *t, log_printer *o, int64_t upto) {
  int64_t n = 0;
  richeta_status s = richeta_trainer_log(t, NULL, NULL, NULL, NULL, 0, &n);
  if (s != RICHETA_OK)
    return fail(t, "reading the log", s);
  if (n <= o->printed)
    return RLZ_EXIT_OK;
  size_t cap = (size_t)n;
  int64_t *steps = malloc(cap * sizeof *steps);
  double *tr = malloc(cap * sizeof *tr), *ev = malloc(cap * sizeof *ev),
         *eta = malloc(cap * sizeof *eta), *acc = malloc(cap * sizeof *acc);
  int rc = RLZ_EXIT_OK;
  if (!steps || !tr || !ev || !eta || !acc) {
    rlz_cli_error("train", "out of memory");
    rc = RLZ_EXIT_FAIL;
    goto out;
  }
  s = richeta_trainer_log(t, steps, tr, ev, eta, n, &n);
  if (s == RICHETA_OK)
    s = richeta_trainer_log_accuracy(t, acc, n, &n);
  if (s != RICHETA_OK) {
    rc = fail(t, "reading the log", s);
    goto out;
  }
  for (; o->printed < n && steps[o->printed] <= upto; o->printed++) {
    int64_t i = o->printed;
    print_row(o, steps[i], tr[i], ev[i], eta[i], acc[i]);
  }
out:
  free(steps);
  free(tr);
  free(ev);
  free(eta);
  free(acc);
  return rc;
}

static void print_footer(const richeta_trainer *t, const log_printer *o, int state) {
  int64_t taken = 0;
  richeta_trainer_step(t, &taken);
  const char *status = state == RICHETA_RUN_DIVERGED ? "diverged"
                       : state == RICHETA_RUN_DONE   ? "converged"
                                                     : "running";
  /* a diverged run has no final loss (null everywhere, docs/output.md) */
  int diverged = state == RICHETA_RUN_DIVERGED;
  double final_loss = diverged ? NAN : o->final_loss;
  double test_final_loss = diverged ? NAN : o->test_final_loss;
  double cat = NAN;
  int64_t cat_step = -1;
  rlz_trainer_catapult(t, &cat, &cat_step);
  if (o->json) {
    rlz_json j;
    rlz_json_begin(&j, stdout, "run");
    rlz_json_str(&j, "status", status);
    rlz_json_num(&j, "final_loss", final_loss);
    rlz_json_num(&j, "test_final_loss", test_final_loss);
    rlz_json_int(&j, "steps", taken);
    rlz_json_num(&j, "gamma", o->gamma);
    rlz_json_num(&j, "eta0", o->eta0);
    rlz_json_num(&j, "catapult", cat);
    if (cat_step >= 0)
      rlz_json_int(&j, "catapult_step", cat_step);
    else
      rlz_json_null(&j, "catapult_step");
    rlz_json_end(&j);
  } else {
    printf("# status=%s final_loss=", status);
    rlz_csv_number(stdout, final_loss);
    printf(" test_final_loss=");
    rlz_csv_number(stdout, test_final_loss);
    printf(" steps=%lld", (long long)taken);
    if (cat_step >= 0)
      printf(" catapult=%.3g catapult_step=%lld", cat, (long long)cat_step);
    printf("\n");
  }
}

int rlz_cmd_train(int argc, char **argv) {
  train_args a = {0};
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  richeta_status s = richeta_config_new(&cfg, NULL);
  if (s != RICHETA_OK) {
    rlz_cli_error("train", "%s", richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  rlz_cli_parser p = {"train", train_opts, on_opt, &a, cfg, 0};
  int pr = rlz_cli_parse(&p, argc, argv, NULL, NULL);
  if (pr == RLZ_CLI_HELP) {
    help(stdout);
    richeta_config_free(cfg);
    return RLZ_EXIT_OK;
  }
  if (pr != RLZ_CLI_OK) {
    richeta_config_free(cfg);
    return RLZ_EXIT_USAGE;
  }
  int fill = rlz_cli_fill_data_shape(&p, argc, argv);
  if (fill != RLZ_EXIT_OK) {
    richeta_config_free(cfg);
    return fill;
  }
  if (a.ckpt_every > 0 && !a.checkpoint) {
    rlz_cli_error("train", "--checkpoint-every needs --checkpoint FILE");
    richeta_config_free(cfg);
    return RLZ_EXIT_USAGE;
  }
  if (a.show_config && a.resume && same_as_default(cfg)) {
    /* a bare --resume runs the checkpoint's configuration: show that one */
    rlz_alloc al;
    rlz_err e = {{0}};
    char *spec = NULL;
    int ok = rlz_alloc_resolve(&al, NULL) == RICHETA_OK &&
             rlz_checkpoint_config(&al, &e, a.resume, &spec) == RICHETA_OK;
    if (ok)
      printf("%s\n", spec);
    else
      rlz_cli_error("train", "--resume %s: %s", a.resume, e.msg);
    rlz_free(&al, spec);
    richeta_config_free(cfg);
    return ok ? RLZ_EXIT_OK : RLZ_EXIT_FAIL;
  }
  if (a.show_config) {
    size_t need = 0;
    richeta_config_to_string(cfg, NULL, 0, &need);
    char *buf = malloc(need ? need : 1);
    int ok = buf && richeta_config_to_string(cfg, buf, need, NULL) == RICHETA_OK;
    if (ok)
      printf("%s\n", buf);
    free(buf);
    richeta_config_free(cfg);
    return ok ? RLZ_EXIT_OK : RLZ_EXIT_FAIL;
  }
  if (a.threads > 0) {
    s = richeta_blas_set_threads((int)a.threads);
    if (s != RICHETA_OK)
      rlz_cli_error("train", "warning: --threads ignored: %s", richeta_last_error());
  }

  int rc = RLZ_EXIT_OK;
  int have_cfg = 1; /* total steps and eta0 known from the configuration */
  if (a.resume && same_as_default(cfg)) {
    /* No configuration flags: the checkpoint carries its configuration. */
    have_cfg = 0;
    s = richeta_trainer_resume(&t, a.resume, NULL);
    if (s != RICHETA_OK) {
      rlz_cli_error("train", "--resume %s: %s (%s)", a.resume, richeta_last_error(),
                    richeta_status_string(s));
      richeta_config_free(cfg);
      return RLZ_EXIT_FAIL;
    }
  } else {
    s = richeta_trainer_new(&t, cfg);
    if (s != RICHETA_OK) {
      rlz_cli_error("train", "%s (%s)%s", richeta_last_error(), richeta_status_string(s),
                    rlz_cli_nomem_hint(s));
      richeta_config_free(cfg);
      return RLZ_EXIT_FAIL;
    }
    /* Flags and a checkpoint: the checkpoint must come from the same
     * configuration (richeta_trainer_load checks it). */
    if (a.resume && (s = richeta_trainer_load(t, a.resume)) != RICHETA_OK) {
      rlz_cli_error("train", "--resume %s: %s (%s)", a.resume, richeta_trainer_last_error(t),
                    richeta_status_string(s));
      richeta_trainer_free(t);
      richeta_config_free(cfg);
      return RLZ_EXIT_FAIL;
    }
  }

  if (a.resume) { /* bit-identical resumption needs the BLAS thread count of the save */
    int saved = 0;
    richeta_trainer_saved_blas_threads(t, &saved);
    int now = richeta_blas_get_threads();
    if (saved > 0 && saved != now) {
      if (a.threads > 0)
        rlz_cli_error("train",
                      "warning: %s was saved with %d BLAS thread%s, --threads %d differs: the "
                      "resumed run is not bit-identical to an uninterrupted one",
                      a.resume, saved, saved == 1 ? "" : "s", (int)a.threads);
      else if (richeta_blas_set_threads(saved) != RICHETA_OK)
        rlz_cli_error("train",
                      "warning: %s was saved with %d BLAS threads and this BLAS cannot be set "
                      "to that count (%d now): not bit-identical",
                      a.resume, saved, now);
    }
  }
  /* gamma from the model (right for resumed runs too); eta0 and T from the
   * flags (unknown, printed as null, for a bare --resume). */
  double gamma = NAN, eta0 = NAN;
  int64_t total = 0, step = 0;
  richeta_model_get_double(richeta_trainer_model(t), RICHETA_PARAM_GAMMA, &gamma);
  if (have_cfg) {
    richeta_config_get_double(cfg, RICHETA_PARAM_ETA0, &eta0);
    richeta_config_get_int(cfg, RICHETA_PARAM_STEPS, &total);
  }
  richeta_trainer_step(t, &step);
  int64_t stop_at = a.max_steps > 0 ? step + a.max_steps : INT64_MAX;

  rlz_train_diag diag;
  int use_diag = a.diag != 0;
  if (use_diag && rlz_train_diag_init(&diag, t, a.diag, a.diag_probe ? a.diag_probe : 128) != 0) {
    rlz_train_diag_free(&diag);
    richeta_trainer_free(t);
    richeta_config_free(cfg);
    return RLZ_EXIT_FAIL;
  }
  int64_t diag_done = -1; /* last step whose diagnostics are recorded */

  rlz_progress bar;
  rlz_progress_init(&bar, "train", total);
  if (!have_cfg)
    bar.enabled = 0; /* no known total to draw against */
  int state = RICHETA_RUN_RUNNING;
  log_printer out = {a.json, gamma, eta0, use_diag ? &diag : NULL, 0, NAN, NAN};
  print_header(&out);
  int64_t chunk = total / 200 > 1 ? total / 200 : have_cfg ? 1 : 1000;
  int64_t next_ckpt = a.ckpt_every > 0 ? (step / a.ckpt_every + 1) * a.ckpt_every : INT64_MAX;
  while (1) {
    s = richeta_trainer_state(t, &state);
    if (s != RICHETA_OK) {
      rc = fail(t, "reading the state", s);
      break;
    }
    /* Diagnostics of logged step t are taken at the parameters of step t
     * (before its update), as the held-out loss is: run up to each logged
     * step, record, go on. */
    if (use_diag && step > diag_done && rlz_trainer_next_log_step(t, step) == step) {
      if (rlz_train_diag_record(&diag, step) != 0) {
        rc = RLZ_EXIT_FAIL;
        break;
      }
      diag_done = step;
    }
    if ((rc = print_new_rows(t, &out, step)) != RLZ_EXIT_OK)
      break;
    if (state != RICHETA_RUN_RUNNING || (have_cfg && step >= total) || step >= stop_at)
      break;
    int64_t n = chunk;
    if (use_diag && rlz_trainer_next_log_step(t, step + 1) - step < n)
      n = rlz_trainer_next_log_step(t, step + 1) - step;
    if (next_ckpt - step < n)
      n = next_ckpt - step;
    if (stop_at - step < n)
      n = stop_at - step;
    s = richeta_trainer_run(t, n, NULL);
    if (s != RICHETA_OK) {
      rc = fail(t, "training", s);
      break;
    }
    richeta_trainer_step(t, &step);
    rlz_cli_progress(&bar, step);
    if (step >= next_ckpt) {
      s = richeta_trainer_save(t, a.checkpoint);
      if (s != RICHETA_OK) {
        rc = fail(t, "saving the checkpoint", s);
        break;
      }
      next_ckpt += a.ckpt_every;
    }
  }
  rlz_progress_end(&bar);
  if (rc == RLZ_EXIT_OK && a.checkpoint) {
    s = richeta_trainer_save(t, a.checkpoint);
    if (s != RICHETA_OK)
      rc = fail(t, "saving the checkpoint", s);
  }
  int64_t epoch = 0;
  if (step > 0 && richeta_stream_epoch(richeta_trainer_stream(t), step - 1, &epoch) == RICHETA_OK &&
      epoch > 0)
    rlz_cli_error("train",
                  "warning: the run reused training samples (%lld full passes over "
                  "the data set): not an online run past the first pass",
                  (long long)epoch);
  if (rc == RLZ_EXIT_OK)
    rc = print_new_rows(t, &out, INT64_MAX);
  if (rc == RLZ_EXIT_OK)
    print_footer(t, &out, state);
  if (use_diag)
    rlz_train_diag_free(&diag);
  if (fflush(stdout) != 0 && rc == RLZ_EXIT_OK) {
    rlz_cli_error("train", "writing the output failed");
    rc = RLZ_EXIT_FAIL;
  }
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  return rc;
}
