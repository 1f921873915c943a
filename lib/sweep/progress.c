/* Progress of the sweeps of a store: the plans a sweep ran with, the runs
 * started (run_starts), and from both and the stored runs, which units of
 * each plan are done, were started and not stored (running, or running when
 * their process was killed), or are missing. */
#include "sweep_internal.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char progress_schema[] =
    "CREATE TABLE IF NOT EXISTS plans("
    " id INTEGER PRIMARY KEY, config_hash TEXT NOT NULL, mode TEXT NOT NULL,"
    " decades_below REAL NOT NULL, gamma_grid TEXT NOT NULL, eta0_grid TEXT NOT NULL,"
    " seeds TEXT NOT NULL, shard_index INTEGER NOT NULL, shard_count INTEGER NOT NULL,"
    " UNIQUE (config_hash, mode, decades_below, gamma_grid, eta0_grid, seeds, shard_index,"
    " shard_count));"
    "CREATE TABLE IF NOT EXISTS run_starts("
    " config_hash TEXT NOT NULL, gamma REAL NOT NULL, eta0 REAL NOT NULL, seed INTEGER NOT NULL,"
    " host TEXT, pid INTEGER, rank INTEGER, started_at REAL,"
    " PRIMARY KEY (config_hash, gamma, eta0, seed));";

static richeta_status db_fail(rlz_err *e, sqlite3 *db, const char *what) {
  return rlz_fail(e, RICHETA_ERR_DATABASE, "results store: %s: %s", what, sqlite3_errmsg(db));
}

void rlz_owner_self(rlz_owner *o, int64_t rank) {
  memset(o, 0, sizeof *o);
  if (gethostname(o->host, sizeof o->host - 1) != 0)
    snprintf(o->host, sizeof o->host, "?");
  o->pid = (int64_t)getpid();
  o->rank = rank;
}

richeta_status rlz_progress_prepare(rlz_store *s, rlz_err *e) {
  sqlite3 *db = rlz_store_db(s);
  if (sqlite3_exec(db, progress_schema, NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(e, db, "progress tables");
  return RICHETA_OK;
}

richeta_status rlz_progress_record_plan(rlz_store *s, const richeta_sweep *sw, rlz_err *e) {
  sqlite3 *db = rlz_store_db(s);
  const rlz_alloc *a = &sw->alloc;
  const rlz_grid *g = &sw->grid[RICHETA_SWEEP_AXIS_GAMMA], *h = &sw->grid[RICHETA_SWEEP_AXIS_ETA0];
  char *gt = rlz_format_doubles(a, g->v, g->n), *et = rlz_format_doubles(a, h->v, h->n);
  char *st = rlz_format_ints(a, sw->seeds, sw->nseeds);
  richeta_status rc = RICHETA_OK;
  sqlite3_stmt *q = NULL;
  if (!gt || !et || !st)
    rc = rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
  else if (sqlite3_prepare_v2(db,
                              "INSERT OR IGNORE INTO plans(config_hash, mode, decades_below,"
                              " gamma_grid, eta0_grid, seeds, shard_index, shard_count)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              -1, &q, NULL) != SQLITE_OK)
    rc = db_fail(e, db, "record plan");
  if (rc == RICHETA_OK) {
    sqlite3_bind_text(q, 1, sw->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, sw->mode == RICHETA_SWEEP_ADAPTIVE ? "adaptive" : "dense", -1,
                      SQLITE_STATIC);
    sqlite3_bind_double(q, 3, sw->decades_below);
    sqlite3_bind_text(q, 4, gt, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, et, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, st, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, sw->shard_index);
    sqlite3_bind_int64(q, 8, sw->shard_count);
    if (sqlite3_step(q) != SQLITE_DONE)
      rc = db_fail(e, db, "record plan");
  }
  sqlite3_finalize(q);
  rlz_free(a, gt);
  rlz_free(a, et);
  rlz_free(a, st);
  return rc;
}

void rlz_progress_mark_started(rlz_store *s, const char *hash, double gamma, double eta0,
                               int64_t seed, const rlz_owner *o, double unix_time) {
  sqlite3 *db = rlz_store_db(s);
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO run_starts(config_hash, gamma, eta0, seed, host,"
                         " pid, rank, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                         -1, &q, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_double(q, 2, gamma);
  sqlite3_bind_double(q, 3, eta0);
  sqlite3_bind_int64(q, 4, seed);
  sqlite3_bind_text(q, 5, o->host, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 6, o->pid);
  if (o->rank >= 0)
    sqlite3_bind_int64(q, 7, o->rank);
  sqlite3_bind_double(q, 8, unix_time);
  sqlite3_step(q);
  sqlite3_finalize(q);
}

/* ---- reading progress ---------------------------------------------------- */

typedef struct start_rec {
  rlz_run key; /* gamma, eta0, seed */
  rlz_owner owner;
  double at;
} start_rec;

static int start_cmp(const void *a, const void *b) {
  return rlz_run_cmp(&((const start_rec *)a)->key, &((const start_rec *)b)->key);
}

static bool has_table(sqlite3 *db, const char *name) {
  sqlite3_stmt *q = NULL;
  bool found = false;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
                         &q, NULL) == SQLITE_OK) {
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(q) == SQLITE_ROW;
  }
  sqlite3_finalize(q);
  return found;
}

/* Room for one more element after cnt of *cap in v: v itself, or a larger
 * copy (v freed); NULL when out of memory (v left as it was). */
static void *grow(const rlz_alloc *a, void *v, int64_t cnt, int64_t *cap, size_t elem) {
  if (cnt < *cap)
    return v;
  int64_t ncap = *cap ? 2 * *cap : 16;
  void *nv = rlz_calloc(a, (size_t)ncap, elem);
  if (!nv)
    return NULL;
  if (v)
    memcpy(nv, v, (size_t)cnt * elem);
  rlz_free(a, v);
  *cap = ncap;
  return nv;
}

/* Every run start of a hash, sorted. */
static richeta_status load_starts(sqlite3 *db, const char *hash, const rlz_alloc *a,
                                  start_rec **out, int64_t *n, rlz_err *e) {
  *out = NULL;
  *n = 0;
  if (!has_table(db, "run_starts"))
    return RICHETA_OK;
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT gamma, eta0, seed, host, pid, rank, started_at FROM run_starts"
                         " WHERE config_hash = ?1 ORDER BY gamma, eta0, seed",
                         -1, &q, NULL) != SQLITE_OK)
    return db_fail(e, db, "read run starts");
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  int64_t cap = 0, cnt = 0;
  start_rec *v = NULL;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    start_rec *nv = grow(a, v, cnt, &cap, sizeof *v);
    if (!nv) {
      rlz_free(a, v);
      sqlite3_finalize(q);
      return rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
    }
    v = nv;
    start_rec *r = &v[cnt++];
    r->key.gamma = sqlite3_column_double(q, 0);
    r->key.eta0 = sqlite3_column_double(q, 1);
    r->key.seed = sqlite3_column_int64(q, 2);
    const char *host = (const char *)sqlite3_column_text(q, 3);
    snprintf(r->owner.host, sizeof r->owner.host, "%s", host ? host : "?");
    r->owner.pid = sqlite3_column_int64(q, 4);
    r->owner.rank = sqlite3_column_type(q, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 5);
    r->at = sqlite3_column_double(q, 6);
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) {
    rlz_free(a, v);
    return db_fail(e, db, "read run starts");
  }
  *out = v;
  *n = cnt;
  return RICHETA_OK;
}

/* What the store knows of one sweep (a hash): its runs and run starts. */
typedef struct known {
  const rlz_run *runs;
  int64_t nruns;
  const start_rec *starts;
  int64_t nstarts;
} known;

/* Cell (g, e) of a plan: stored seeds, whether every stored seed ran
 * through (converged or stalled), and the latest start of a seed not stored. */
static int64_t cell_look(const known *k, const rlz_plan_status *p, const int64_t *seeds, double g,
                         double e, bool *ran, const start_rec **started) {
  int64_t stored = 0;
  *ran = true;
  *started = NULL;
  for (int64_t si = 0; si < p->nseeds; si++) {
    rlz_run key = {.gamma = g, .eta0 = e, .seed = seeds[si]};
    const rlz_run *r =
        k->nruns ? bsearch(&key, k->runs, (size_t)k->nruns, sizeof key, rlz_run_cmp) : NULL;
    if (r) {
      stored++;
      *ran = *ran &&
             (r->status == RICHETA_SWEEP_RUN_CONVERGED || r->status == RICHETA_SWEEP_RUN_STALLED);
      continue;
    }
    start_rec sk = {.key = key};
    const start_rec *s =
        k->nstarts ? bsearch(&sk, k->starts, (size_t)k->nstarts, sizeof sk, start_cmp) : NULL;
    if (s && (!*started || s->at > (*started)->at))
      *started = s;
  }
  return stored;
}

static void unit_frontier(rlz_unit_status *u, double eta0, const start_rec *started) {
  u->eta0 = eta0;
  u->state = started ? RLZ_UNIT_STARTED : RLZ_UNIT_MISSING;
  if (started) {
    u->owner = started->owner;
    u->started_at = started->at;
  }
}

/* The state of every unit of plan p, following the scheduler's rules. */
static void plan_units(rlz_plan_status *p, const known *k, const double *gv, const double *ev,
                       const int64_t *seeds) {
  for (int64_t ui = 0; ui < p->nunits; ui++) {
    rlz_unit_status *u = &p->units[ui];
    int64_t gi, ei;
    rlz_unit_cells(p->mode, p->ne, ui, &gi, &ei);
    u->unit = ui;
    u->shard = rlz_unit_shard(p->mode, p->ne, ui, p->shard_count);
    u->gamma = gv[gi];
    u->eta0 = NAN;
    u->state = RLZ_UNIT_DONE;
    u->owner.rank = -1;
    bool ran;
    const start_rec *started;
    if (p->mode != RICHETA_SWEEP_ADAPTIVE) {
      int64_t stored = cell_look(k, p, seeds, gv[gi], ev[ei], &ran, &started);
      u->runs = stored;
      u->cells = stored == p->nseeds;
      if (stored < p->nseeds)
        unit_frontier(u, ev[ei], started);
      else
        u->eta0 = ev[ei];
      continue;
    }
    /* the downward scan: stored cells until the scan would stop */
    int64_t first_conv = -1, stop = -1;
    for (ei = p->ne - 1; ei >= 0;) {
      int64_t stored = cell_look(k, p, seeds, gv[gi], ev[ei], &ran, &started);
      u->runs += stored;
      if (stored < p->nseeds) {
        unit_frontier(u, ev[ei], started);
        break;
      }
      u->cells++;
      if (first_conv < 0 && ran) {
        first_conv = ei;
        stop = rlz_scan_stop(ev, ei, p->decades);
      }
      ei--;
      if (first_conv >= 0 && ei < stop)
        break;
    }
  }
}

void rlz_store_progress_free(const rlz_alloc *a, rlz_store_progress *p) {
  for (int64_t i = 0; i < p->nplans; i++) {
    rlz_free(a, p->plans[i].units);
    rlz_free(a, p->plans[i].shard_seen);
  }
  rlz_free(a, p->plans);
  rlz_free(a, p->bare);
  memset(p, 0, sizeof *p);
}

/* Append one plan group (a row of the GROUP BY below) to out. */
static richeta_status add_plan(sqlite3_stmt *q, const known *k, const rlz_alloc *a,
                               rlz_store_progress *out, rlz_err *e) {
  const char *mode = (const char *)sqlite3_column_text(q, 1);
  int64_t ng = 0, ne = 0, ns = 0, nsh = 0;
  double *gv = rlz_parse_doubles(a, (const char *)sqlite3_column_text(q, 3), &ng);
  double *ev = rlz_parse_doubles(a, (const char *)sqlite3_column_text(q, 4), &ne);
  int64_t *seeds = rlz_parse_ints(a, (const char *)sqlite3_column_text(q, 5), &ns);
  int64_t *shards = rlz_parse_ints(a, (const char *)sqlite3_column_text(q, 7), &nsh);
  int64_t count = sqlite3_column_int64(q, 6);
  richeta_status st = RICHETA_OK;
  rlz_plan_status *p = &out->plans[out->nplans];
  memset(p, 0, sizeof *p);
  if (!gv || !ev || !seeds || !shards || !mode || count < 1 || count > 100000)
    st = rlz_fail(e, RICHETA_ERR_FORMAT, "results store: malformed plan of sweep %s",
                  (const char *)sqlite3_column_text(q, 0));
  if (st == RICHETA_OK) {
    snprintf(p->hash, sizeof p->hash, "%s", (const char *)sqlite3_column_text(q, 0));
    p->mode = strcmp(mode, "adaptive") ? RICHETA_SWEEP_DENSE : RICHETA_SWEEP_ADAPTIVE;
    p->decades = sqlite3_column_double(q, 2);
    p->ng = ng;
    p->ne = ne;
    p->nseeds = ns;
    p->shard_count = count;
    p->nunits = rlz_plan_units(p->mode, ng, ne);
    p->units = rlz_calloc(a, (size_t)(p->nunits ? p->nunits : 1), sizeof *p->units);
    p->shard_seen = rlz_calloc(a, (size_t)count, 1);
    if (!p->units || !p->shard_seen) {
      rlz_free(a, p->units);
      rlz_free(a, p->shard_seen);
      st = rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
    }
  }
  if (st == RICHETA_OK) {
    for (int64_t i = 0; i < nsh; i++)
      if (shards[i] >= 0 && shards[i] < count)
        p->shard_seen[shards[i]] = 1;
    plan_units(p, k, gv, ev, seeds);
    out->nplans++;
  }
  rlz_free(a, gv);
  rlz_free(a, ev);
  rlz_free(a, seeds);
  rlz_free(a, shards);
  return st;
}

/* The runs and starts of hash into k (replacing what k held). */
static richeta_status load_known(rlz_store *s, const char *hash, const rlz_alloc *a, known *k,
                                 rlz_err *e) {
  rlz_free(a, (void *)k->runs);
  rlz_free(a, (void *)k->starts);
  memset(k, 0, sizeof *k);
  rlz_run *runs = NULL;
  start_rec *starts = NULL;
  richeta_status st = rlz_store_load(s, hash, a, &runs, &k->nruns, e);
  if (st == RICHETA_OK)
    st = load_starts(rlz_store_db(s), hash, a, &starts, &k->nstarts, e);
  k->runs = runs;
  k->starts = starts;
  return st;
}

static richeta_status read_bare(sqlite3 *db, bool plans, const rlz_alloc *a,
                                rlz_store_progress *out, rlz_err *e) {
  const char *sql = plans ? "SELECT config_hash, count(*) FROM runs WHERE config_hash NOT IN"
                            " (SELECT config_hash FROM plans) GROUP BY config_hash"
                            " ORDER BY config_hash"
                          : "SELECT config_hash, count(*) FROM runs GROUP BY config_hash"
                            " ORDER BY config_hash";
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
    return db_fail(e, db, "list sweeps");
  int rc;
  int64_t cap = 0;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    rlz_bare_sweep *nv = grow(a, out->bare, out->nbare, &cap, sizeof *out->bare);
    if (!nv) {
      sqlite3_finalize(q);
      return rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
    }
    out->bare = nv;
    rlz_bare_sweep *b = &out->bare[out->nbare++];
    snprintf(b->hash, sizeof b->hash, "%s", (const char *)sqlite3_column_text(q, 0));
    b->runs = sqlite3_column_int64(q, 1);
  }
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RICHETA_OK : db_fail(e, db, "list sweeps");
}

richeta_status rlz_store_progress_read(rlz_store *s, const rlz_alloc *a, rlz_store_progress *out,
                                       rlz_err *e) {
  memset(out, 0, sizeof *out);
  sqlite3 *db = rlz_store_db(s);
  bool plans = has_table(db, "plans");
  richeta_status st = RICHETA_OK;
  if (plans) {
    sqlite3_stmt *q = NULL;
    int64_t nrows = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM (SELECT 1 FROM plans GROUP BY config_hash, mode,"
                           " decades_below, gamma_grid, eta0_grid, seeds, shard_count)",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
      nrows = sqlite3_column_int64(q, 0);
    else
      st = db_fail(e, db, "read plans");
    sqlite3_finalize(q);
    q = NULL;
    if (st == RICHETA_OK && nrows > 0) {
      out->plans = rlz_calloc(a, (size_t)nrows, sizeof *out->plans);
      if (!out->plans)
        st = rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
    }
    if (st == RICHETA_OK && nrows > 0 &&
        sqlite3_prepare_v2(db,
                           "SELECT config_hash, mode, decades_below, gamma_grid, eta0_grid, seeds,"
                           " shard_count, group_concat(shard_index) FROM plans"
                           " GROUP BY config_hash, mode, decades_below, gamma_grid, eta0_grid,"
                           " seeds, shard_count ORDER BY min(id)",
                           -1, &q, NULL) != SQLITE_OK)
      st = db_fail(e, db, "read plans");
    known k = {0};
    char loaded[17] = "";
    int rc = SQLITE_DONE;
    while (st == RICHETA_OK && q && out->nplans < nrows && (rc = sqlite3_step(q)) == SQLITE_ROW) {
      const char *hash = (const char *)sqlite3_column_text(q, 0);
      if (!hash)
        continue;
      if (strcmp(loaded, hash) != 0) {
        st = load_known(s, hash, a, &k, e);
        snprintf(loaded, sizeof loaded, "%s", hash);
      }
      if (st == RICHETA_OK)
        st = add_plan(q, &k, a, out, e);
    }
    if (st == RICHETA_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
      st = db_fail(e, db, "read plans");
    sqlite3_finalize(q);
    rlz_free(a, (void *)k.runs);
    rlz_free(a, (void *)k.starts);
  }
  if (st == RICHETA_OK && has_table(db, "runs"))
    st = read_bare(db, plans, a, out, e);
  if (st != RICHETA_OK)
    rlz_store_progress_free(a, out);
  return st;
}
