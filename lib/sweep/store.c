/* The results store: an SQLite database in WAL mode, one transaction per
 * run (row + curve), so a killed sweep loses only the runs in flight. */
#include "sweep_internal.h"

#include "store_check.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct rlz_store {
  rlz_alloc alloc;
  sqlite3 *db;
  char *path; /* for messages */
  sqlite3_stmt *ins_run, *ins_curve;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');"
    "CREATE TABLE IF NOT EXISTS sweeps("
    " config_hash TEXT PRIMARY KEY, config TEXT NOT NULL, depth INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY, config_hash TEXT NOT NULL,"
    " gamma REAL NOT NULL, eta0 REAL NOT NULL, seed INTEGER NOT NULL, eta REAL,"
    " status TEXT NOT NULL CHECK (status IN ('converged', 'diverged', 'failed', 'stalled')),"
    " steps INTEGER NOT NULL, initial_loss REAL, final_loss REAL, best_loss REAL,"
    " test_initial_loss REAL, test_final_loss REAL, test_best_loss REAL, test_accuracy REAL,"
    " wall_time REAL, message TEXT, config TEXT NOT NULL,"
    " UNIQUE (config_hash, gamma, eta0, seed));"
    "CREATE TABLE IF NOT EXISTS curves("
    " run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL,"
    " loss REAL, test_loss REAL, test_accuracy REAL, eta REAL, PRIMARY KEY (run_id, step))"
    " WITHOUT ROWID;"
    /* since 1.1 (store_check.h); stores of 1.0 get it on their next write */
    "CREATE TABLE IF NOT EXISTS run_checksums("
    " run_id INTEGER PRIMARY KEY, points INTEGER NOT NULL, digest INTEGER NOT NULL);";

const char *rlz_run_status_name(int status) {
  switch (status) {
  case RICHETA_SWEEP_RUN_CONVERGED:
    return "converged";
  case RICHETA_SWEEP_RUN_DIVERGED:
    return "diverged";
  case RICHETA_SWEEP_RUN_STALLED:
    return "stalled";
  default:
    return "failed";
  }
}

static int status_from_name(const char *s) {
  if (s && !strcmp(s, "converged"))
    return RICHETA_SWEEP_RUN_CONVERGED;
  if (s && !strcmp(s, "diverged"))
    return RICHETA_SWEEP_RUN_DIVERGED;
  if (s && !strcmp(s, "stalled"))
    return RICHETA_SWEEP_RUN_STALLED;
  return RICHETA_SWEEP_RUN_FAILED;
}

static richeta_status db_fail(rlz_err *e, sqlite3 *db, const char *what) {
  return rlz_fail(e, RICHETA_ERR_DATABASE, "results store: %s: %s", what,
                  db ? sqlite3_errmsg(db) : "cannot allocate a connection");
}

void rlz_store_close(rlz_store *s) {
  if (!s)
    return;
  sqlite3_finalize(s->ins_run);
  sqlite3_finalize(s->ins_curve);
  sqlite3_close(s->db);
  rlz_alloc a = s->alloc;
  rlz_free(&a, s->path);
  rlz_free(&a, s);
}

void *rlz_store_db(rlz_store *s) { return s->db; }

static richeta_status store_open(rlz_store **out, const char *path, int readonly, int journal,
                                 const rlz_alloc *a, rlz_err *e);

/* The vetting (store_check.c) comes before anything is written: a file
 * that is not a sweep database of a known version is left untouched. */
richeta_status rlz_store_open(rlz_store **out, const char *path, int readonly, const rlz_alloc *a,
                              rlz_err *e) {
  return store_open(out, path, readonly, RICHETA_SWEEP_JOURNAL_WAL, a, e);
}

richeta_status rlz_store_open_journal(rlz_store **out, const char *path, int journal,
                                      const rlz_alloc *a, rlz_err *e) {
  return store_open(out, path, 0, journal, a, e);
}

static richeta_status store_open(rlz_store **out, const char *path, int readonly, int journal,
                                 const rlz_alloc *a, rlz_err *e) {
  *out = NULL;
  richeta_status st = rlz_store_vet_file(path, !readonly, e);
  if (st != RICHETA_OK)
    return st;
  /* sqlite3 itself allocates with its own allocator (documented) */
  rlz_store *s = rlz_calloc(a, 1, sizeof *s);
  if (!s || !(s->path = rlz_strdup(a, path))) {
    rlz_free(a, s);
    return rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
  }
  s->alloc = *a;
  if (readonly) {
    st = rlz_store_connect_readonly(&s->db, path, e);
  } else if (sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL) != SQLITE_OK) {
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "results store: cannot open '%s': %s", path,
                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
  } else {
    sqlite3_busy_timeout(s->db, 10000);
  }
  int fresh = 0;
  if (st == RICHETA_OK)
    st = rlz_store_vet_schema(s->db, path, !readonly, &fresh, e);
  if (st != RICHETA_OK) {
    rlz_store_close(s);
    return st;
  }
  /* a rollback journal (no shared memory) for network file systems */
  const char *setup = readonly ? "PRAGMA query_only=1;"
                      : journal == RICHETA_SWEEP_JOURNAL_DELETE
                          ? "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;"
                          : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
  if (sqlite3_exec(s->db, setup, NULL, NULL, NULL) != SQLITE_OK ||
      (!readonly && sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK)) {
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "results store: '%s': %s", path, sqlite3_errmsg(s->db));
    rlz_store_close(s);
    return st;
  }
  if (!readonly && (st = rlz_store_claim(s->db, path, e)) != RICHETA_OK) {
    rlz_store_close(s);
    return st;
  }
  if (!readonly) {
    const char *ins =
        "INSERT OR IGNORE INTO runs(config_hash, gamma, eta0, seed, eta, status, steps,"
        " initial_loss, final_loss, best_loss, test_initial_loss, test_final_loss,"
        " test_best_loss, wall_time, message, config, test_accuracy)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)";
    if (sqlite3_prepare_v2(s->db, ins, -1, &s->ins_run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO curves(run_id, step, loss, test_loss, eta, test_accuracy)"
                           " VALUES (?1,?2,?3,?4,?5,?6)",
                           -1, &s->ins_curve, NULL) != SQLITE_OK) {
      st = db_fail(e, s->db, "prepare");
      rlz_store_close(s);
      return st;
    }
  }
  *out = s;
  return RICHETA_OK;
}

richeta_status rlz_store_set_durable(rlz_store *s, int durable, rlz_err *e) {
  if (sqlite3_exec(s->db, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL,
                   NULL, NULL) != SQLITE_OK)
    return db_fail(e, s->db, "synchronous");
  return RICHETA_OK;
}

richeta_status rlz_store_verify_hash(rlz_store *s, const char *hash, rlz_err *e) {
  return rlz_store_verify(s->db, s->path, hash, e);
}

richeta_status rlz_store_register(rlz_store *s, const char *hash, const char *config, int64_t depth,
                                  rlz_err *e) {
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(s->db,
                         "INSERT OR IGNORE INTO sweeps(config_hash, config, depth)"
                         " VALUES (?1, ?2, ?3)",
                         -1, &q, NULL) != SQLITE_OK)
    return db_fail(e, s->db, "prepare");
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, config, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 3, depth);
  int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE)
    return db_fail(e, s->db, "register sweep");
  return RICHETA_OK;
}

/* NaN is stored as NULL; infinities as REAL. */
static void bind_num(sqlite3_stmt *q, int i, double v) {
  if (isnan(v))
    sqlite3_bind_null(q, i);
  else
    sqlite3_bind_double(q, i, v);
}

static double col_num(sqlite3_stmt *q, int i) {
  return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

richeta_status rlz_store_commit(rlz_store *s, const char *hash, const char *run_config,
                                const rlz_run_out *o, rlz_err *e) {
  if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(e, s->db, "begin");
  const rlz_run *r = &o->r;
  sqlite3_stmt *q = s->ins_run;
  sqlite3_reset(q);
  sqlite3_clear_bindings(q);
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_double(q, 2, r->gamma);
  sqlite3_bind_double(q, 3, r->eta0);
  sqlite3_bind_int64(q, 4, r->seed);
  bind_num(q, 5, r->eta);
  sqlite3_bind_text(q, 6, rlz_run_status_name(r->status), -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 7, r->steps);
  bind_num(q, 8, r->init_loss);
  bind_num(q, 9, r->final_loss);
  bind_num(q, 10, r->best_loss);
  bind_num(q, 11, r->test_init);
  bind_num(q, 12, r->test_final);
  bind_num(q, 13, r->test_best);
  bind_num(q, 14, r->wall);
  if (o->msg[0])
    sqlite3_bind_text(q, 15, o->msg, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 16, run_config, -1, SQLITE_STATIC);
  bind_num(q, 17, r->test_accuracy);
  if (sqlite3_step(q) != SQLITE_DONE)
    goto fail;
  if (sqlite3_changes(s->db) == 1) {
    sqlite3_int64 id = sqlite3_last_insert_rowid(s->db);
    for (int64_t i = 0; i < o->n; i++) {
      sqlite3_stmt *c = s->ins_curve;
      sqlite3_reset(c);
      sqlite3_bind_int64(c, 1, id);
      sqlite3_bind_int64(c, 2, o->step[i]);
      bind_num(c, 3, o->loss[i]);
      bind_num(c, 4, o->test[i]);
      bind_num(c, 5, o->eta[i]);
      bind_num(c, 6, o->acc ? o->acc[i] : NAN);
      if (sqlite3_step(c) != SQLITE_DONE)
        goto fail;
    }
    richeta_status sst = rlz_store_seal_run(s->db, id, e);
    if (sst != RICHETA_OK) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return sst;
    }
  }
  if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  return RICHETA_OK;
fail : {
  richeta_status st = db_fail(e, s->db, "store run");
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return st;
}
}

richeta_status rlz_store_load(rlz_store *s, const char *hash, const rlz_alloc *a, rlz_run **runs,
                              int64_t *n, rlz_err *e) {
  *runs = NULL;
  *n = 0;
  sqlite3_stmt *q = NULL;
  /* NOT INDEXED: the values come from the table rows, the ones the
   * checksums cover (an index holds copies of gamma, eta0, seed). The
   * check and the read are one snapshot. */
  const char *sql = "SELECT gamma, eta0, seed, eta, status, steps, initial_loss, final_loss,"
                    " best_loss, test_initial_loss, test_final_loss, test_best_loss, wall_time,"
                    " test_accuracy FROM runs NOT INDEXED WHERE config_hash = ?1"
                    " ORDER BY gamma, eta0, seed";
  if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(e, s->db, "load runs");
  richeta_status vst = rlz_store_verify(s->db, s->path, hash, e);
  if (vst != RICHETA_OK) {
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return vst;
  }
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
    richeta_status st = db_fail(e, s->db, "load runs");
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return st;
  }
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  int64_t cap = 0, cnt = 0;
  rlz_run *v = NULL;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    if (cnt == cap) {
      int64_t ncap = cap ? 2 * cap : 256;
      rlz_run *nv = rlz_calloc(a, (size_t)ncap, sizeof *nv);
      if (!nv) {
        rlz_free(a, v);
        sqlite3_finalize(q);
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        return rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
      }
      if (v)
        memcpy(nv, v, (size_t)cnt * sizeof *v);
      rlz_free(a, v);
      v = nv;
      cap = ncap;
    }
    rlz_run *r = &v[cnt++];
    r->gamma = sqlite3_column_double(q, 0);
    r->eta0 = sqlite3_column_double(q, 1);
    r->seed = sqlite3_column_int64(q, 2);
    r->eta = col_num(q, 3);
    r->status = status_from_name((const char *)sqlite3_column_text(q, 4));
    r->steps = sqlite3_column_int64(q, 5);
    r->init_loss = col_num(q, 6);
    r->final_loss = col_num(q, 7);
    r->best_loss = col_num(q, 8);
    r->test_init = col_num(q, 9);
    r->test_final = col_num(q, 10);
    r->test_best = col_num(q, 11);
    r->test_accuracy = col_num(q, 13);
    r->wall = col_num(q, 12);
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) {
    rlz_free(a, v);
    richeta_status st = db_fail(e, s->db, "load runs");
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return st;
  }
  sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  *runs = v;
  *n = cnt;
  return RICHETA_OK;
}

richeta_status rlz_store_begin_read(rlz_store *s, rlz_err *e) {
  if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  return RICHETA_OK;
}

void rlz_store_end_read(rlz_store *s) { sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL); }

static const char runs_sql[] =
    "SELECT config_hash, gamma, eta0, seed, eta, status, steps, initial_loss,"
    /* a diverged run has no final loss: null (stores of 1.0 hold the blown-up value) */
    " CASE WHEN status = 'diverged' THEN NULL ELSE final_loss END AS final_loss,"
    " best_loss, test_initial_loss,"
    " CASE WHEN status = 'diverged' THEN NULL ELSE test_final_loss END AS test_final_loss,"
    " test_best_loss, test_accuracy, wall_time, message, config,"
    /* the catapult the sweep noted in the message ("catapult xR at step S") */
    " CASE WHEN instr(message, 'catapult x') > 0 THEN"
    " CAST(substr(message, instr(message, 'catapult x') + 10) AS REAL) END AS catapult"
    " FROM runs NOT INDEXED WHERE ?1 IS NULL OR config_hash = ?1"
    " ORDER BY config_hash, gamma, eta0, seed";
static const char curves_sql[] =
    "SELECT r.config_hash, r.gamma, r.eta0, r.seed, r.status, c.step, c.loss AS train_loss,"
    " c.test_loss,"
    " c.test_accuracy, c.eta"
    " FROM runs r NOT INDEXED JOIN curves c ON c.run_id = r.id"
    " WHERE ?1 IS NULL OR r.config_hash = ?1"
    " ORDER BY r.config_hash, r.gamma, r.eta0, r.seed, c.step";

richeta_status rlz_store_export(rlz_store *s, const char *hash, int curves, rlz_store_row_fn fn,
                                void *user, rlz_err *e) {
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(s->db, curves ? curves_sql : runs_sql, -1, &q, NULL) != SQLITE_OK)
    return rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  if (hash)
    sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  rlz_store_cell cells[32];
  int n = sqlite3_column_count(q);
  if (n > 32)
    n = 32; /* the queries above have at most 18 columns */
  for (int c = 0; c < n; c++)
    cells[c] = (rlz_store_cell){.name = sqlite3_column_name(q, c), .type = RLZ_CELL_NULL};
  fn(user, cells, n, 1);
  int step;
  while ((step = sqlite3_step(q)) == SQLITE_ROW) {
    for (int c = 0; c < n; c++) {
      rlz_store_cell *x = &cells[c];
      switch (sqlite3_column_type(q, c)) {
      case SQLITE_INTEGER:
        x->type = RLZ_CELL_INT;
        x->i = sqlite3_column_int64(q, c);
        break;
      case SQLITE_FLOAT:
        x->type = RLZ_CELL_REAL;
        x->d = sqlite3_column_double(q, c);
        break;
      case SQLITE_TEXT:
        x->type = RLZ_CELL_TEXT;
        x->s = (const char *)sqlite3_column_text(q, c);
        break;
      default:
        x->type = RLZ_CELL_NULL;
      }
    }
    fn(user, cells, n, 0);
  }
  richeta_status st = RICHETA_OK;
  if (step != SQLITE_DONE)
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  sqlite3_finalize(q);
  return st;
}

richeta_status rlz_store_count_run_sweeps(rlz_store *s, int64_t *n, rlz_err *e) {
  sqlite3_stmt *q = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT config_hash FROM runs", -1, &q, NULL) != SQLITE_OK)
    return rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  while (sqlite3_step(q) == SQLITE_ROW)
    (*n)++;
  sqlite3_finalize(q);
  return RICHETA_OK;
}

richeta_status rlz_store_align_curves(rlz_store *s, const char *hash, double eta0_pick,
                                      rlz_store_curve_fn begin, rlz_store_point_fn point,
                                      void *user, rlz_err *e) {
  /* candidates in order of preference within each gamma: lowest final
   * loss, then lowest seed; with eta0_pick the nearest eta0 in log wins and
   * the order breaks ties */
  static const char sql[] = "SELECT r.id, r.gamma, r.eta0, r.eta, s.depth FROM runs r NOT INDEXED"
                            " JOIN sweeps s ON s.config_hash = r.config_hash"
                            " WHERE r.status = 'converged' AND (?1 IS NULL OR r.config_hash = ?1)"
                            " AND r.eta > 0 AND r.eta0 > 0 ORDER BY r.gamma, r.final_loss, r.seed";
  sqlite3_stmt *q = NULL, *qc = NULL;
  richeta_status st = RICHETA_OK;
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->db, "SELECT step, loss FROM curves WHERE run_id = ?1 ORDER BY step", -1,
                         &qc, NULL) != SQLITE_OK) {
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
    goto out;
  }
  if (hash)
    sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  int step_rc = sqlite3_step(q);
  while (step_rc == SQLITE_ROW) {
    double g = sqlite3_column_double(q, 1);
    int64_t id = sqlite3_column_int64(q, 0), depth = sqlite3_column_int64(q, 4);
    double e0 = sqlite3_column_double(q, 2), eta = sqlite3_column_double(q, 3);
    double dist = eta0_pick > 0 ? fabs(log(e0 / eta0_pick)) : 0;
    while ((step_rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_double(q, 1) == g) {
      double d = eta0_pick > 0 ? fabs(log(sqlite3_column_double(q, 2) / eta0_pick)) : 0;
      if (d < dist) {
        dist = d;
        id = sqlite3_column_int64(q, 0);
        e0 = sqlite3_column_double(q, 2);
        eta = sqlite3_column_double(q, 3);
        depth = sqlite3_column_int64(q, 4);
      }
    }
    if (begin(user, g, e0, eta, depth) != 0) {
      st = RICHETA_ERR_CALLBACK;
      goto out;
    }
    sqlite3_reset(qc);
    sqlite3_bind_int64(qc, 1, id);
    while (sqlite3_step(qc) == SQLITE_ROW) {
      double loss = sqlite3_column_type(qc, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(qc, 1);
      if (point(user, sqlite3_column_int64(qc, 0), loss) != 0) {
        st = RICHETA_ERR_CALLBACK;
        goto out;
      }
    }
  }
  if (step_rc != SQLITE_DONE)
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
out:
  sqlite3_finalize(q);
  sqlite3_finalize(qc);
  return st;
}

richeta_status rlz_store_plot_cells(rlz_store *s, const char *hash, rlz_store_plot_cell_fn fn,
                                    void *user, rlz_err *e) {
  static const char sql[] = "SELECT gamma, eta0, min(status = 'converged'),"
                            " avg(coalesce(test_final_loss, final_loss)),"
                            " max(status IN ('diverged', 'failed')),"
                            " max(instr(coalesce(message, ''), 'catapult x') > 0) FROM runs"
                            " NOT INDEXED WHERE config_hash = ?1 GROUP BY gamma, eta0"
                            " ORDER BY gamma, eta0";
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
    return rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  richeta_status st = RICHETA_OK;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    rlz_store_plot_cell c = {
        .gamma = sqlite3_column_double(q, 0),
        .eta0 = sqlite3_column_double(q, 1),
        .converged = sqlite3_column_int(q, 2),
        .loss = sqlite3_column_type(q, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 3),
        .diverged = sqlite3_column_int(q, 4),
        .catapult = sqlite3_column_int(q, 5),
    };
    if (fn(user, &c) != 0) {
      st = RICHETA_ERR_CALLBACK;
      break;
    }
  }
  if (st == RICHETA_OK && rc != SQLITE_DONE)
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  sqlite3_finalize(q);
  return st;
}

richeta_status rlz_store_first_seed_curve(rlz_store *s, const char *hash, double gamma, double eta0,
                                          rlz_store_point_fn point, void *user, rlz_err *e) {
  static const char sql[] = "SELECT c.step, coalesce(c.test_loss, c.loss) FROM runs r NOT INDEXED"
                            " JOIN curves c ON c.run_id = r.id WHERE r.config_hash = ?1"
                            " AND r.gamma = ?2 AND r.eta0 = ?3 AND r.seed = (SELECT min(seed)"
                            " FROM runs WHERE config_hash = ?1 AND gamma = ?2 AND eta0 = ?3)"
                            " ORDER BY c.step";
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
    return rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_double(q, 2, gamma);
  sqlite3_bind_double(q, 3, eta0);
  richeta_status st = RICHETA_OK;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    double loss = sqlite3_column_type(q, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 1);
    if (point(user, sqlite3_column_int64(q, 0), loss) != 0) {
      st = RICHETA_ERR_CALLBACK;
      break;
    }
  }
  if (st == RICHETA_OK && rc != SQLITE_DONE)
    st = rlz_fail(e, RICHETA_ERR_DATABASE, "%s", sqlite3_errmsg(s->db));
  sqlite3_finalize(q);
  return st;
}

richeta_status rlz_store_list_sweeps(rlz_store *s, char *buf, size_t cap, rlz_err *e) {
  sqlite3_stmt *q = NULL;
  if (cap)
    buf[0] = '\0';
  if (sqlite3_prepare_v2(s->db, "SELECT config_hash FROM sweeps ORDER BY config_hash", -1, &q,
                         NULL) != SQLITE_OK)
    return db_fail(e, s->db, "list sweeps");
  size_t len = 0;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    const char *h = (const char *)sqlite3_column_text(q, 0);
    if (len + 24 >= cap) { /* room for ", " + a hash + ", ..." */
      if (len + 6 < cap)
        snprintf(buf + len, cap - len, ", ...");
      break;
    }
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", h ? h : "?");
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return db_fail(e, s->db, "list sweeps");
  return RICHETA_OK;
}

richeta_status rlz_store_find_sweep(rlz_store *s, const char *want, char hash[17], char **config,
                                    int64_t *nsweeps, rlz_err *e) {
  sqlite3_stmt *q = NULL;
  if (config)
    *config = NULL;
  *nsweeps = 0;
  hash[0] = 0;
  const char *sql = want ? "SELECT config_hash, config FROM sweeps WHERE config_hash = ?1"
                         : "SELECT config_hash, config FROM sweeps ORDER BY config_hash";
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
    return db_fail(e, s->db, "list sweeps");
  if (want)
    sqlite3_bind_text(q, 1, want, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    if (*nsweeps == 0) {
      const char *h = (const char *)sqlite3_column_text(q, 0);
      const char *c = (const char *)sqlite3_column_text(q, 1);
      snprintf(hash, 17, "%s", h ? h : "");
      if (config && c) {
        *config = rlz_strdup(&s->alloc, c);
        if (!*config) {
          sqlite3_finalize(q);
          return rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
        }
      }
    }
    (*nsweeps)++;
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) {
    if (config) {
      rlz_free(&s->alloc, *config);
      *config = NULL;
    }
    return db_fail(e, s->db, "list sweeps");
  }
  return RICHETA_OK;
}
