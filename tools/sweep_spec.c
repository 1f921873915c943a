/* The flags that describe a sweep, shared by `richeta sweep` and
 * `richeta-mpi` (see sweep_spec.h). */
#include "sweep_spec.h"

#include <stdlib.h>
#include <string.h>

enum {
  OPT_DB = RLZ_SPEC_OPT_BASE,
  OPT_GAMMAS,
  OPT_ETAS,
  OPT_SEEDS,
  OPT_NSEEDS,
  OPT_MODE,
  OPT_DECADES,
  OPT_PROGRESS,
  OPT_JOURNAL,
  OPT_DURABLE,
  OPT_STEPS_LAW,
  OPT_TAU_BUDGET,
  OPT_STEPS_MAX,
};

const rlz_cli_opt rlz_sweep_spec_opts[] = {
    {"db", 1, "FILE", "results database (default sweep.db); reruns skip stored runs", OPT_DB},
    {"gamma-grid", 1, "SPEC", "gamma grid: LO:HI:PER_DECADE or V1,V2,... (default 1e-4:1e4:2)",
     OPT_GAMMAS},
    {"eta-grid", 1, "SPEC", "eta0 grid, same forms (default 1e-10:1e4:10)", OPT_ETAS},
    {"seeds", 1, "LIST", "seeds run at each cell, e.g. 0,1,2 (default: --seed)", OPT_SEEDS},
    {"nseeds", 1, "K", "seeds --seed .. --seed+K-1", OPT_NSEEDS},
    {"mode", 1, "MODE", "adaptive (default: downward eta0 scan per gamma) or dense", OPT_MODE},
    {"decades-below", 1, "X",
     "adaptive: decades scanned below the first convergent eta0 (default 2)", OPT_DECADES},
    {"stall", 1, "R",
     "count a run that finished without diverging as converged only if its final loss (held-out"
     " when there is a held-out set) is <= R x its initial loss, else it is 'stalled' (default"
     " 0.9; 0: off, every such run converged, the 1.0 protocol)",
     OPT_PROGRESS},
    {"progress", 1, "R", "the same as --stall R (its name in 1.0)", OPT_PROGRESS},
    {"steps-law", 1, "LAW",
     "T of each run: fixed (default: --T), escape (T max(1, gamma)^(1-2/L), T (1 + ln gamma) "
     "for L = 2: the plateau's escape time) or tau (max(T, tau-budget gamma / eta))",
     OPT_STEPS_LAW},
    {"tau-budget", 1, "X", "--steps-law tau: the budget in tau = eta t / gamma (default 100)",
     OPT_TAU_BUDGET},
    {"steps-max", 1, "N", "largest T a steps law gives (default 100 x --T)", OPT_STEPS_MAX},
    {"journal", 1, "MODE",
     "database journal: wal (default) or delete (rollback journal, for a database on NFS)",
     OPT_JOURNAL},
    {"durable", 0, NULL,
     "sync every stored run to disk (SQLite synchronous=FULL): a power loss loses no stored "
     "run (default: a killed process loses none, a power loss may lose the last ones)",
     OPT_DURABLE},
    {NULL, 0, NULL, NULL, 0}};

void rlz_sweep_spec_init(rlz_sweep_spec *s) {
  memset(s, 0, sizeof *s);
  s->db = "sweep.db";
  s->gammas = "1e-4:1e4:2";
  s->etas = "1e-10:1e4:10";
  s->mode = -1;
  s->decades = 2;
  s->progress = RLZ_STALL_DEFAULT;
  s->tau_budget = 100;
  s->journal = RICHETA_SWEEP_JOURNAL_WAL;
}

int rlz_sweep_spec_opt(rlz_sweep_spec *s, const char *cmd, int id, const char *value) {
  switch (id) {
  case OPT_DB:
    s->db = value;
    return 0;
  case OPT_GAMMAS:
    s->gammas = value;
    return 0;
  case OPT_ETAS:
    s->etas = value;
    return 0;
  case OPT_SEEDS:
    s->seeds = value;
    return 0;
  case OPT_NSEEDS:
    if (rlz_cli_parse_int64(value, &s->nseeds) != 0 || s->nseeds < 1 || s->nseeds > 10000) {
      rlz_cli_error(cmd, "--nseeds %s: expected an integer in [1, 10000]", value);
      return 1;
    }
    return 0;
  case OPT_MODE:
    if (!strcmp(value, "adaptive"))
      s->mode = RICHETA_SWEEP_ADAPTIVE;
    else if (!strcmp(value, "dense"))
      s->mode = RICHETA_SWEEP_DENSE;
    else {
      rlz_cli_error(cmd, "--mode %s: expected adaptive or dense", value);
      return 1;
    }
    return 0;
  case OPT_DECADES:
    if (rlz_cli_parse_double(value, &s->decades) != 0 || s->decades < 0 || s->decades > 100) {
      rlz_cli_error(cmd, "--decades-below %s: expected a number in [0, 100]", value);
      return 1;
    }
    return 0;
  case OPT_PROGRESS:
    if (rlz_cli_parse_double(value, &s->progress) != 0 || s->progress < 0 || s->progress > 1e6) {
      rlz_cli_error(cmd, "--stall %s: expected a number in [0, 1e6]", value);
      return 1;
    }
    return 0;
  case OPT_DURABLE:
    s->durable = 1;
    return 0;
  case OPT_STEPS_LAW:
    if (!strcmp(value, "fixed"))
      s->steps_law = RICHETA_SWEEP_STEPS_FIXED;
    else if (!strcmp(value, "escape"))
      s->steps_law = RICHETA_SWEEP_STEPS_ESCAPE;
    else if (!strcmp(value, "tau"))
      s->steps_law = RICHETA_SWEEP_STEPS_TAU;
    else {
      rlz_cli_error(cmd, "--steps-law %s: expected fixed, escape or tau", value);
      return 1;
    }
    return 0;
  case OPT_TAU_BUDGET:
    if (rlz_cli_parse_double(value, &s->tau_budget) != 0 || !(s->tau_budget > 0)) {
      rlz_cli_error(cmd, "--tau-budget %s: expected a number > 0", value);
      return 1;
    }
    return 0;
  case OPT_STEPS_MAX:
    if (rlz_cli_parse_int64(value, &s->steps_max) != 0 || s->steps_max < 1 ||
        s->steps_max > 1000000000000LL) {
      rlz_cli_error(cmd, "--steps-max %s: expected an integer in [1, 1e12]", value);
      return 1;
    }
    return 0;
  case OPT_JOURNAL:
    if (!strcmp(value, "wal"))
      s->journal = RICHETA_SWEEP_JOURNAL_WAL;
    else if (!strcmp(value, "delete"))
      s->journal = RICHETA_SWEEP_JOURNAL_DELETE;
    else {
      rlz_cli_error(cmd, "--journal %s: expected wal or delete", value);
      return 1;
    }
    return 0;
  default:
    return 1;
  }
}

static int parse_seeds(const char *s, int64_t **out, int64_t *n) {
  int64_t cap = 1;
  for (const char *q = s; *q; q++)
    cap += *q == ',';
  int64_t *v = calloc((size_t)cap, sizeof *v);
  if (!v)
    return -1;
  char *copy = strdup(s);
  if (!copy) {
    free(v);
    return -1;
  }
  /* every comma separates two values: "1,,2", ",1" and "1," are malformed */
  int64_t k = 0;
  for (char *tok = copy;; k++) {
    char *comma = strchr(tok, ',');
    if (comma)
      *comma = '\0';
    if (k >= cap || rlz_cli_parse_int64(tok, &v[k]) != 0) {
      free(copy);
      free(v);
      return -1;
    }
    if (!comma) {
      k++;
      break;
    }
    tok = comma + 1;
  }
  free(copy);
  if (k == 0) {
    free(v);
    return -1;
  }
  *out = v;
  *n = k;
  return 0;
}

/* The seeds of the flags: --seeds, or --nseeds from --seed; none (NULL,
 * 0) keeps the configuration's seed. Returns an exit status. */
static int spec_seeds(const char *cmd, const rlz_sweep_spec *s, const richeta_config *cfg,
                      int64_t **seeds, int64_t *n) {
  *seeds = NULL;
  *n = 0;
  if (s->seeds) {
    if (parse_seeds(s->seeds, seeds, n) != 0) {
      rlz_cli_error(cmd, "--seeds %s: expected integers separated by commas", s->seeds);
      return RLZ_EXIT_USAGE;
    }
  } else if (s->nseeds > 0) {
    int64_t s0 = 0;
    richeta_config_get_int(cfg, RICHETA_PARAM_SEED, &s0);
    *seeds = calloc((size_t)s->nseeds, sizeof **seeds);
    if (!*seeds) {
      rlz_cli_error(cmd, "out of memory");
      return RLZ_EXIT_FAIL;
    }
    for (int64_t i = 0; i < s->nseeds; i++)
      (*seeds)[i] = s0 + i;
    *n = s->nseeds;
  }
  return RLZ_EXIT_OK;
}

int rlz_sweep_spec_build(const char *cmd, const rlz_sweep_spec *s, const richeta_config *cfg,
                         richeta_sweep **out, int64_t *nseeds) {
  *out = NULL;
  richeta_sweep *sw = NULL;
  if (richeta_sweep_new(&sw, cfg) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s", richeta_last_error());
    return RLZ_EXIT_FAIL;
  }
  /* grid and seed mistakes are usage errors */
  int rc = RLZ_EXIT_USAGE;
  int64_t *seeds = NULL, n = 0;
  if (richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, s->gammas) != RICHETA_OK) {
    rlz_cli_error(cmd, "--gamma-grid %s: %s", s->gammas, richeta_sweep_last_error(sw));
    goto fail;
  }
  if (richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, s->etas) != RICHETA_OK) {
    rlz_cli_error(cmd, "--eta-grid %s: %s", s->etas, richeta_sweep_last_error(sw));
    goto fail;
  }
  if ((rc = spec_seeds(cmd, s, cfg, &seeds, &n)) != RLZ_EXIT_OK)
    goto fail;
  rc = RLZ_EXIT_USAGE;
  if (seeds && richeta_sweep_set_seeds(sw, seeds, n) != RICHETA_OK) {
    rlz_cli_error(cmd, "seeds: %s", richeta_sweep_last_error(sw));
    goto fail;
  }
  if ((s->mode >= 0 && richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, s->mode)) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DECADES_BELOW, s->decades) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_PROGRESS, s->progress) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_JOURNAL, s->journal) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DURABLE, s->durable) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_TAU_BUDGET, s->tau_budget) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_MAX, (double)s->steps_max) ||
      richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_STEPS_LAW, s->steps_law)) {
    rlz_cli_error(cmd, "%s", richeta_sweep_last_error(sw));
    goto fail;
  }
  free(seeds);
  *nseeds = n ? n : 1;
  *out = sw;
  return RLZ_EXIT_OK;
fail:
  free(seeds);
  richeta_sweep_free(sw);
  return rc;
}

int rlz_cli_join_opts(rlz_cli_opt *dst, size_t cap, const rlz_cli_opt *a, const rlz_cli_opt *b) {
  size_t n = 0;
  for (const rlz_cli_opt *t = a; t && t->name; t++, n++)
    if (n + 1 >= cap)
      return -1;
    else
      dst[n] = *t;
  for (const rlz_cli_opt *t = b; t && t->name; t++, n++)
    if (n + 1 >= cap)
      return -1;
    else
      dst[n] = *t;
  dst[n] = (rlz_cli_opt){NULL, 0, NULL, NULL, 0};
  return 0;
}
