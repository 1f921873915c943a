/* richeta_sweep_merge: combine results stores, runs keyed by (configuration
 * hash, gamma, eta0, seed). One transaction on the output: a conflict
 * leaves it as it was. */
#include "store_check.h"
#include "sweep_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Columns of a run copied and compared (id and wall_time are neither
 * compared nor part of the key; wall_time is copied). */
static const char run_cols[] =
    "config_hash, gamma, eta0, seed, eta, status, steps, initial_loss, final_loss, best_loss,"
    " test_initial_loss, test_final_loss, test_best_loss, test_accuracy, message, config,"
    " wall_time";
enum { NCOLS = 17, WALL_COL = 16, CONFIG_COL = 15, KEY_COLS = 4 };
static const char *const col_names[NCOLS] = {"config_hash",
                                             "gamma",
                                             "eta0",
                                             "seed",
                                             "eta",
                                             "status",
                                             "steps",
                                             "initial_loss",
                                             "final_loss",
                                             "best_loss",
                                             "test_initial_loss",
                                             "test_final_loss",
                                             "test_best_loss",
                                             "test_accuracy",
                                             "message",
                                             "config",
                                             "wall_time"};

typedef struct merger {
  sqlite3 *out;
  const char *out_name;
  const char *const *names; /* input file names */
  sqlite3_stmt *find, *insert, *curve_ins, *origin_ins, *origin_find;
  int64_t added, identical;
  rlz_err err;
} merger;

static richeta_status db_fail(merger *m, sqlite3 *db, const char *file, const char *what) {
  return rlz_fail(&m->err, RICHETA_ERR_DATABASE, "richeta_sweep_merge: %s: %s: %s", file, what,
                  sqlite3_errmsg(db));
}

/* Column j of q and column k of r hold the same value. */
static bool same_value(sqlite3_stmt *q, int j, sqlite3_stmt *r, int k) {
  int tq = sqlite3_column_type(q, j), tr = sqlite3_column_type(r, k);
  if (tq == SQLITE_NULL || tr == SQLITE_NULL)
    return tq == tr;
  if (tq == SQLITE_INTEGER && tr == SQLITE_INTEGER)
    return sqlite3_column_int64(q, j) == sqlite3_column_int64(r, k);
  if ((tq == SQLITE_FLOAT || tq == SQLITE_INTEGER) && (tr == SQLITE_FLOAT || tr == SQLITE_INTEGER))
    return sqlite3_column_double(q, j) == sqlite3_column_double(r, k);
  if (tq != tr)
    return false;
  int n = sqlite3_column_bytes(q, j);
  return n == sqlite3_column_bytes(r, k) &&
         memcmp(sqlite3_column_blob(q, j), sqlite3_column_blob(r, k), (size_t)n) == 0;
}

/* Two stored run configurations that are one configuration: equal text, or
 * texts that parse to the same canonical string (1.1 writes numbers as the
 * shortest text, 0.1, where earlier builds wrote 0.10000000000000001). */
static bool same_config(sqlite3_stmt *q, int j, sqlite3_stmt *r, int k) {
  if (same_value(q, j, r, k))
    return true;
  const char *a = (const char *)sqlite3_column_text(q, j);
  const char *b = (const char *)sqlite3_column_text(r, k);
  if (!a || !b)
    return false;
  richeta_config *ca = NULL, *cb = NULL;
  bool same = false;
  if (richeta_config_new(&ca, NULL) == RICHETA_OK && richeta_config_new(&cb, NULL) == RICHETA_OK &&
      richeta_config_parse(ca, a) == RICHETA_OK && richeta_config_parse(cb, b) == RICHETA_OK) {
    size_t na = 0, nb = 0;
    richeta_config_to_string(ca, NULL, 0, &na);
    richeta_config_to_string(cb, NULL, 0, &nb);
    char *ta = malloc(na), *tb = malloc(nb);
    same = ta && tb && na == nb && richeta_config_to_string(ca, ta, na, NULL) == RICHETA_OK &&
           richeta_config_to_string(cb, tb, nb, NULL) == RICHETA_OK && strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
  }
  richeta_config_free(ca);
  richeta_config_free(cb);
  return same;
}

static void describe(sqlite3_stmt *q, int j, char *buf, size_t cap) {
  switch (sqlite3_column_type(q, j)) {
  case SQLITE_NULL:
    snprintf(buf, cap, "NULL");
    break;
  case SQLITE_INTEGER:
    snprintf(buf, cap, "%lld", (long long)sqlite3_column_int64(q, j));
    break;
  case SQLITE_FLOAT:
    snprintf(buf, cap, "%.17g", sqlite3_column_double(q, j));
    break;
  default:
    snprintf(buf, cap, "'%.40s%s'", (const char *)sqlite3_column_text(q, j),
             sqlite3_column_bytes(q, j) > 40 ? "..." : "");
  }
}

/* Name of the file the output's run id came from: an input merged in this
 * call, or the output itself. */
static const char *origin_of(merger *m, sqlite3_int64 id) {
  sqlite3_stmt *q = m->origin_find;
  sqlite3_reset(q);
  sqlite3_bind_int64(q, 1, id);
  const char *name = m->out_name;
  if (sqlite3_step(q) == SQLITE_ROW)
    name = m->names[sqlite3_column_int64(q, 0)];
  sqlite3_reset(q);
  return name;
}

static richeta_status conflict(merger *m, sqlite3_stmt *src, int64_t in, sqlite3_int64 out_id,
                               const char *what) {
  return rlz_fail(&m->err, RICHETA_ERR_MISMATCH,
                  "richeta_sweep_merge: run gamma %.17g, eta0 %.17g, seed %lld of sweep %s"
                  " differs between '%s' and '%s' (%s); nothing merged",
                  sqlite3_column_double(src, 2), sqlite3_column_double(src, 3),
                  (long long)sqlite3_column_int64(src, 4),
                  (const char *)sqlite3_column_text(src, 1), origin_of(m, out_id), m->names[in],
                  what);
}

/* Compare the curves of output run out_id and input run src_id. Returns
 * RICHETA_OK when equal, MISMATCH (message in `what`) when not. */
static richeta_status same_curves(merger *m, sqlite3 *in, sqlite3_int64 out_id,
                                  sqlite3_int64 src_id, char *what, size_t cap) {
  static const char sql[] = "SELECT step, loss, test_loss, test_accuracy, eta FROM curves"
                            " WHERE run_id = ?1 ORDER BY step";
  sqlite3_stmt *a = NULL, *b = NULL;
  richeta_status st = RICHETA_OK;
  if (sqlite3_prepare_v2(m->out, sql, -1, &a, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(in, sql, -1, &b, NULL) != SQLITE_OK) {
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    snprintf(what, cap, "curves unreadable");
    return RICHETA_ERR_DATABASE;
  }
  sqlite3_bind_int64(a, 1, out_id);
  sqlite3_bind_int64(b, 1, src_id);
  for (int64_t row = 0;; row++) {
    int ra = sqlite3_step(a), rb = sqlite3_step(b);
    if (ra != SQLITE_ROW || rb != SQLITE_ROW) {
      if (ra != rb || ra != SQLITE_DONE) {
        snprintf(what, cap, "curves of different lengths or unreadable");
        st = RICHETA_ERR_MISMATCH;
      }
      break;
    }
    for (int j = 0; j < 5; j++)
      if (!same_value(a, j, b, j)) {
        static const char *const names[5] = {"step", "loss", "test_loss", "test_accuracy", "eta"};
        char va[64], vb[64];
        describe(a, j, va, sizeof va);
        describe(b, j, vb, sizeof vb);
        snprintf(what, cap, "curve point %lld: %s %s vs %s", (long long)row, names[j], va, vb);
        st = RICHETA_ERR_MISMATCH;
        break;
      }
    if (st != RICHETA_OK)
      break;
  }
  sqlite3_finalize(a);
  sqlite3_finalize(b);
  return st;
}

static richeta_status copy_curves(merger *m, sqlite3 *in, int64_t idx, sqlite3_int64 src_id,
                                  sqlite3_int64 out_id) {
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(in,
                         "SELECT step, loss, test_loss, test_accuracy, eta FROM curves"
                         " WHERE run_id = ?1 ORDER BY step",
                         -1, &q, NULL) != SQLITE_OK)
    return db_fail(m, in, m->names[idx], "read curves");
  sqlite3_bind_int64(q, 1, src_id);
  int rc;
  richeta_status st = RICHETA_OK;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    sqlite3_stmt *c = m->curve_ins;
    sqlite3_reset(c);
    sqlite3_bind_int64(c, 1, out_id);
    for (int j = 0; j < 5; j++)
      sqlite3_bind_value(c, j + 2, sqlite3_column_value(q, j));
    if (sqlite3_step(c) != SQLITE_DONE) {
      st = db_fail(m, m->out, m->out_name, "write curves");
      break;
    }
  }
  if (st == RICHETA_OK && rc != SQLITE_DONE)
    st = db_fail(m, in, m->names[idx], "read curves");
  sqlite3_finalize(q);
  return st;
}

/* One run of input idx (row of q: id, then run_cols). */
static richeta_status merge_run(merger *m, sqlite3 *in, int64_t idx, sqlite3_stmt *q) {
  sqlite3_stmt *f = m->find;
  sqlite3_reset(f);
  for (int j = 0; j < KEY_COLS; j++)
    sqlite3_bind_value(f, j + 1, sqlite3_column_value(q, j + 1));
  int rc = sqlite3_step(f);
  if (rc == SQLITE_ROW) { /* f: id, then run_cols */
    sqlite3_int64 out_id = sqlite3_column_int64(f, 0);
    for (int j = KEY_COLS; j < NCOLS; j++) {
      if (j == WALL_COL || (j == CONFIG_COL ? same_config(f, j + 1, q, j + 1)
                                            : same_value(f, j + 1, q, j + 1)))
        continue;
      char va[64], vb[64], what[200];
      describe(f, j + 1, va, sizeof va);
      describe(q, j + 1, vb, sizeof vb);
      snprintf(what, sizeof what, "%s %s vs %s", col_names[j], va, vb);
      richeta_status st = conflict(m, q, idx, out_id, what);
      sqlite3_reset(f);
      return st;
    }
    sqlite3_reset(f);
    char what[200];
    richeta_status st = same_curves(m, in, out_id, sqlite3_column_int64(q, 0), what, sizeof what);
    if (st == RICHETA_ERR_DATABASE)
      return db_fail(m, in, m->names[idx], what);
    if (st != RICHETA_OK)
      return conflict(m, q, idx, out_id, what);
    m->identical++;
    return RICHETA_OK;
  }
  sqlite3_reset(f);
  if (rc != SQLITE_DONE)
    return db_fail(m, m->out, m->out_name, "look up run");
  sqlite3_stmt *ins = m->insert;
  sqlite3_reset(ins);
  for (int j = 0; j < NCOLS; j++)
    sqlite3_bind_value(ins, j + 1, sqlite3_column_value(q, j + 1));
  if (sqlite3_step(ins) != SQLITE_DONE)
    return db_fail(m, m->out, m->out_name, "write run");
  sqlite3_int64 out_id = sqlite3_last_insert_rowid(m->out);
  sqlite3_reset(m->origin_ins);
  sqlite3_bind_int64(m->origin_ins, 1, out_id);
  sqlite3_bind_int64(m->origin_ins, 2, idx);
  if (sqlite3_step(m->origin_ins) != SQLITE_DONE)
    return db_fail(m, m->out, m->out_name, "note origin");
  m->added++;
  richeta_status st = copy_curves(m, in, idx, sqlite3_column_int64(q, 0), out_id);
  return st == RICHETA_OK ? rlz_store_seal_run(m->out, out_id, &m->err) : st;
}

/* The sweeps rows of input idx: a hash already present must carry the
 * same configuration. */
static richeta_status merge_sweeps(merger *m, sqlite3 *in, int64_t idx) {
  sqlite3_stmt *q = NULL, *f = NULL, *ins = NULL;
  richeta_status st = RICHETA_OK;
  if (sqlite3_prepare_v2(in, "SELECT config_hash, config, depth FROM sweeps", -1, &q, NULL) !=
      SQLITE_OK)
    return db_fail(m, in, m->names[idx], "read sweeps");
  if (sqlite3_prepare_v2(m->out, "SELECT config FROM sweeps WHERE config_hash = ?1", -1, &f,
                         NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(m->out,
                         "INSERT INTO sweeps(config_hash, config, depth) VALUES (?1, ?2, ?3)", -1,
                         &ins, NULL) != SQLITE_OK)
    st = db_fail(m, m->out, m->out_name, "prepare");
  int rc = SQLITE_DONE;
  while (st == RICHETA_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
    sqlite3_reset(f);
    sqlite3_bind_value(f, 1, sqlite3_column_value(q, 0));
    int fr = sqlite3_step(f);
    if (fr == SQLITE_ROW) {
      if (!same_value(f, 0, q, 1))
        st = rlz_fail(&m->err, RICHETA_ERR_MISMATCH,
                      "richeta_sweep_merge: sweep %s has different configurations in '%s' and"
                      " '%s'; nothing merged",
                      (const char *)sqlite3_column_text(q, 0), m->out_name, m->names[idx]);
      continue;
    }
    if (fr != SQLITE_DONE) {
      st = db_fail(m, m->out, m->out_name, "look up sweep");
      break;
    }
    sqlite3_reset(ins);
    for (int j = 0; j < 3; j++)
      sqlite3_bind_value(ins, j + 1, sqlite3_column_value(q, j));
    if (sqlite3_step(ins) != SQLITE_DONE)
      st = db_fail(m, m->out, m->out_name, "write sweep");
  }
  if (st == RICHETA_OK && rc != SQLITE_DONE)
    st = db_fail(m, in, m->names[idx], "read sweeps");
  sqlite3_finalize(q);
  sqlite3_finalize(f);
  sqlite3_finalize(ins);
  return st;
}

static richeta_status merge_plans(merger *m, sqlite3 *in, int64_t idx) {
  static const char cols[] =
      "config_hash, mode, decades_below, gamma_grid, eta0_grid, seeds, shard_index, shard_count";
  sqlite3_stmt *t = NULL;
  bool has = sqlite3_prepare_v2(in, "SELECT 1 FROM sqlite_master WHERE name = 'plans'", -1, &t,
                                NULL) == SQLITE_OK &&
             sqlite3_step(t) == SQLITE_ROW;
  sqlite3_finalize(t);
  if (!has)
    return RICHETA_OK;
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT %s FROM plans ORDER BY id", cols);
  sqlite3_stmt *q = NULL, *ins = NULL;
  if (sqlite3_prepare_v2(in, sql, -1, &q, NULL) != SQLITE_OK)
    return db_fail(m, in, m->names[idx], "read plans");
  snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO plans(%s) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
           cols);
  richeta_status st = RICHETA_OK;
  if (sqlite3_prepare_v2(m->out, sql, -1, &ins, NULL) != SQLITE_OK)
    st = db_fail(m, m->out, m->out_name, "prepare");
  int rc = SQLITE_DONE;
  while (st == RICHETA_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
    sqlite3_reset(ins);
    for (int j = 0; j < 8; j++)
      sqlite3_bind_value(ins, j + 1, sqlite3_column_value(q, j));
    if (sqlite3_step(ins) != SQLITE_DONE)
      st = db_fail(m, m->out, m->out_name, "write plan");
  }
  if (st == RICHETA_OK && rc != SQLITE_DONE)
    st = db_fail(m, in, m->names[idx], "read plans");
  sqlite3_finalize(q);
  sqlite3_finalize(ins);
  return st;
}

static richeta_status merge_input(merger *m, int64_t idx, const rlz_alloc *a) {
  rlz_store *s = NULL;
  richeta_status st = rlz_store_open(&s, m->names[idx], 1, a, &m->err);
  if (st != RICHETA_OK)
    return st;
  sqlite3 *in = rlz_store_db(s);
  st = rlz_store_verify_hash(s, NULL, &m->err); /* a damaged input is not merged */
  if (st == RICHETA_OK)
    st = merge_sweeps(m, in, idx);
  if (st == RICHETA_OK)
    st = merge_plans(m, in, idx);
  sqlite3_stmt *q = NULL;
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT id, %s FROM runs ORDER BY id", run_cols);
  if (st == RICHETA_OK && sqlite3_prepare_v2(in, sql, -1, &q, NULL) != SQLITE_OK)
    st = db_fail(m, in, m->names[idx], "read runs");
  int rc = SQLITE_DONE;
  while (st == RICHETA_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
    st = merge_run(m, in, idx, q);
  if (st == RICHETA_OK && rc != SQLITE_DONE)
    st = db_fail(m, in, m->names[idx], "read runs");
  sqlite3_finalize(q);
  rlz_store_close(s);
  return st;
}

static richeta_status prepare_all(merger *m) {
  char find[512], ins[512];
  snprintf(find, sizeof find,
           "SELECT id, %s FROM runs WHERE config_hash = ?1 AND gamma = ?2 AND eta0 = ?3"
           " AND seed = ?4",
           run_cols);
  snprintf(ins, sizeof ins,
           "INSERT INTO runs(%s) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
           "?17)",
           run_cols);
  if (sqlite3_exec(m->out, "CREATE TEMP TABLE merge_origin(run_id INTEGER PRIMARY KEY, input INT)",
                   NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(m->out, find, -1, &m->find, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(m->out, ins, -1, &m->insert, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(m->out,
                         "INSERT INTO curves(run_id, step, loss, test_loss, test_accuracy, eta)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         -1, &m->curve_ins, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(m->out, "INSERT INTO merge_origin(run_id, input) VALUES (?1, ?2)", -1,
                         &m->origin_ins, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(m->out, "SELECT input FROM merge_origin WHERE run_id = ?1", -1,
                         &m->origin_find, NULL) != SQLITE_OK)
    return db_fail(m, m->out, m->out_name, "prepare");
  return RICHETA_OK;
}

static bool same_file(const struct stat *a, const char *path) {
  struct stat b;
  return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

richeta_status richeta_sweep_merge(const char *out_db, const char *const *in_dbs, int64_t n,
                                   int journal, int64_t *added, int64_t *identical) {
  if (added)
    *added = 0;
  if (identical)
    *identical = 0;
  if (!out_db || !in_dbs)
    return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_merge: out_db or in_dbs is NULL");
  if (n < 1 || n > 100000)
    return rlz_fail(NULL, RICHETA_ERR_RANGE, "richeta_sweep_merge: %lld inputs (need 1..100000)",
                    (long long)n);
  if (journal != RICHETA_SWEEP_JOURNAL_WAL && journal != RICHETA_SWEEP_JOURNAL_DELETE)
    return rlz_fail(NULL, RICHETA_ERR_INVALID, "richeta_sweep_merge: unknown journal %d", journal);
  struct stat os;
  bool out_exists = stat(out_db, &os) == 0;
  for (int64_t i = 0; i < n; i++) {
    if (!in_dbs[i])
      return rlz_fail(NULL, RICHETA_ERR_NULL, "richeta_sweep_merge: input %lld is NULL",
                      (long long)i);
    if (!strcmp(in_dbs[i], out_db) || (out_exists && same_file(&os, in_dbs[i])))
      return rlz_fail(NULL, RICHETA_ERR_INVALID,
                      "richeta_sweep_merge: the output '%s' is also an input", out_db);
  }
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  merger m = {.out_name = out_db, .names = in_dbs};
  rlz_store *out = NULL;
  richeta_status st = rlz_store_open_journal(&out, out_db, journal, &a, &m.err);
  if (st != RICHETA_OK)
    return rlz_fail(NULL, st, "%s", m.err.msg);
  m.out = rlz_store_db(out);
  st = rlz_progress_prepare(out, &m.err);
  if (st == RICHETA_OK && sqlite3_exec(m.out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    st = db_fail(&m, m.out, out_db, "begin");
  bool in_tx = st == RICHETA_OK;
  if (st == RICHETA_OK)
    st = prepare_all(&m);
  for (int64_t i = 0; i < n && st == RICHETA_OK; i++)
    st = merge_input(&m, i, &a);
  sqlite3_finalize(m.find);
  sqlite3_finalize(m.insert);
  sqlite3_finalize(m.curve_ins);
  sqlite3_finalize(m.origin_ins);
  sqlite3_finalize(m.origin_find);
  if (st == RICHETA_OK && sqlite3_exec(m.out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    st = db_fail(&m, m.out, out_db, "commit");
  if (st != RICHETA_OK && in_tx)
    sqlite3_exec(m.out, "ROLLBACK", NULL, NULL, NULL);
  rlz_store_close(out);
  if (st != RICHETA_OK)
    return rlz_fail(NULL, st, "%s", m.err.msg);
  if (added)
    *added = m.added;
  if (identical)
    *identical = m.identical;
  return RICHETA_OK;
}
