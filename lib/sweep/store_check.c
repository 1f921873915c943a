/* The results store's defences: vetting a file before it is opened, the
 * per-run checksums, and the full check (see store_check.h). */
#include "store_check.h"

#include "core/fileio.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the file, before SQLite sees it ----------------------------------- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Size of path+suffix (0 when absent). */
static long long side_file_size(const char *path, const char *suffix) {
  char p[4200];
  if (snprintf(p, sizeof p, "%s%s", path, suffix) >= (int)sizeof p)
    return 0;
  struct stat sb;
  return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

richeta_status rlz_store_vet_file(const char *path, int creating, rlz_err *e) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (errno == ENOENT && creating)
      return RICHETA_OK;
    return rlz_fail(e, RICHETA_ERR_DATABASE, "results store: cannot open '%s': %s", path,
                    strerror(errno));
  }
  int fd;
  rlz_err oe;
  if (rlz_open_regular(&oe, path, &fd, &sb) != RICHETA_OK)
    return rlz_fail(e, RICHETA_ERR_DATABASE, "results store: %s", oe.msg);
  unsigned char h[100];
  ssize_t got = 0;
  while (got < (ssize_t)sizeof h) {
    ssize_t r = read(fd, h + got, sizeof h - (size_t)got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += r;
  }
  close(fd);
  if (sb.st_size == 0) {
    if (creating)
      return RICHETA_OK; /* SQLite makes a new database in an empty file */
    return rlz_fail(e, RICHETA_ERR_DATABASE, "results store: '%s' is empty, not a sweep database",
                    path);
  }
  if (got < (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' is not an SQLite database (so not a sweep database); "
                    "it is left as it is",
                    path);
  unsigned ps = (unsigned)h[16] << 8 | h[17];
  if (ps == 1)
    ps = 65536;
  if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' has a damaged header (page size %u)", path, ps);
  /* A pending journal may hold the rest of the file: SQLite recovers it. */
  if (side_file_size(path, "-wal") > 0 || side_file_size(path, "-journal") > 0)
    return RICHETA_OK;
  long long size = (long long)sb.st_size;
  if (size % ps != 0)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' is truncated or damaged: %lld bytes is not a whole "
                    "number of %u-byte pages",
                    path, size, ps);
  uint32_t pages = be32(h + 28);
  /* the header's page count is valid when its change counter matches */
  if (pages > 0 && be32(h + 24) == be32(h + 92) && (long long)pages * ps > size)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' is truncated: its header declares %lld bytes, the file "
                    "has %lld",
                    path, (long long)pages * ps, size);
  return RICHETA_OK;
}

/* ---- the schema, before anything is written ----------------------------- */

static richeta_status sql_fail(rlz_err *e, sqlite3 *db, const char *path) {
  int rc = sqlite3_errcode(db);
  richeta_status st =
      (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) ? RICHETA_ERR_DATABASE : RICHETA_ERR_DATABASE;
  return rlz_fail(e, st, "results store: '%s': %s", path, sqlite3_errmsg(db));
}

richeta_status rlz_store_vet_schema(sqlite3 *db, const char *path, int creating, int *fresh,
                                    rlz_err *e) {
  *fresh = 0;
  const char *verb = creating ? "write into" : "read";
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL) != SQLITE_OK ||
      sqlite3_step(q) != SQLITE_ROW) {
    sqlite3_finalize(q);
    return sql_fail(e, db, path);
  }
  uint32_t app = (uint32_t)sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  if (app != 0 && app != RLZ_STORE_APP_ID)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' belongs to another application (SQLite application_id "
                    "0x%08x); refusing to %s it",
                    path, (unsigned)app, verb);
  if (sqlite3_prepare_v2(db,
                         "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                         "'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                         -1, &q, NULL) != SQLITE_OK)
    return sql_fail(e, db, path);
  char names[256] = "";
  int ntables = 0, rc;
  unsigned have = 0; /* bits: meta, sweeps, runs, curves */
  static const char *const need[] = {"meta", "sweeps", "runs", "curves"};
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    const char *n = (const char *)sqlite3_column_text(q, 0);
    if (!n)
      continue;
    for (unsigned k = 0; k < 4; k++)
      if (!strcmp(n, need[k]))
        have |= 1u << k;
    if (ntables < 6) {
      size_t len = strlen(names);
      snprintf(names + len, sizeof names - len, "%s%s", ntables ? ", " : "", n);
    }
    ntables++;
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE)
    return sql_fail(e, db, path);
  if (ntables == 0) {
    *fresh = 1;
    if (creating)
      return RICHETA_OK;
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' is an SQLite database without tables, not a sweep "
                    "database",
                    path);
  }
  if (!(have & 1u))
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' is an SQLite database but not a sweep database (its "
                    "tables: %s%s); refusing to %s it",
                    path, names, ntables > 6 ? ", ..." : "", verb);
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q, NULL) !=
      SQLITE_OK)
    return sql_fail(e, db, path);
  rc = sqlite3_step(q);
  char ver[32] = "";
  if (rc == SQLITE_ROW && sqlite3_column_text(q, 0))
    snprintf(ver, sizeof ver, "%s", (const char *)sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(e, db, path);
  char *end = NULL;
  long v = ver[0] ? strtol(ver, &end, 10) : -1;
  if (!ver[0] || *end != '\0' || v < 1)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' has a meta table without a valid schema_version "
                    "('%s'); refusing to %s it",
                    path, ver, verb);
  if (v != RLZ_STORE_SCHEMA_VERSION)
    return rlz_fail(e, RICHETA_ERR_VERSION,
                    "results store: '%s' has schema version %ld, this build of richeta knows "
                    "version %d only (written by a newer richeta?); refusing to %s it",
                    path, v, RLZ_STORE_SCHEMA_VERSION, verb);
  for (unsigned k = 1; k < 4; k++)
    if (!(have & (1u << k)))
      return rlz_fail(e, RICHETA_ERR_DATABASE,
                      "results store: '%s' is an incomplete sweep database (no table '%s'); "
                      "refusing to %s it",
                      path, need[k], verb);
  return RICHETA_OK;
}

richeta_status rlz_store_claim(sqlite3 *db, const char *path, rlz_err *e) {
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL) != SQLITE_OK ||
      sqlite3_step(q) != SQLITE_ROW) {
    sqlite3_finalize(q);
    return sql_fail(e, db, path);
  }
  int64_t app = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  if (app != 0)
    return RICHETA_OK;
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA application_id=%d", RLZ_STORE_APP_ID);
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_fail(e, db, path);
  return RICHETA_OK;
}

/* ---- read-only connections --------------------------------------------- */

/* "file:" URI of path with everything but unreserved characters and '/'
 * percent-encoded, then "?immutable=1". */
static int immutable_uri(const char *path, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t k = 0;
  const char *pre = "file:";
  for (const char *p = pre; *p; p++)
    out[k++] = *p;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if (k + 4 >= cap)
      return -1;
    unsigned char c = *p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
        c == '-' || c == '_' || c == '.' || c == '~') {
      out[k++] = (char)c;
    } else {
      out[k++] = '%';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    }
  }
  const char *post = "?immutable=1";
  if (k + strlen(post) + 1 > cap)
    return -1;
  strcpy(out + k, post);
  return 0;
}

/* 1 when a read of the database works (it needs the -shm file in WAL mode). */
static int first_read(sqlite3 *db, int *code) {
  int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  *code = rc;
  return rc == SQLITE_OK;
}

richeta_status rlz_store_connect_readonly(sqlite3 **db, const char *path, rlz_err *e) {
  *db = NULL;
  sqlite3 *h = NULL;
  /* Read through a read-write connection that refuses writes where the file
   * allows: the last connection to close then checkpoints and removes the
   * -wal and -shm files, which a READONLY connection cannot (a reader would
   * leave them behind). */
  int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  int code = rc;
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(h, 10000);
    if (sqlite3_exec(h, "PRAGMA query_only=1", NULL, NULL, NULL) == SQLITE_OK &&
        first_read(h, &code)) {
      *db = h;
      return RICHETA_OK;
    }
  }
  sqlite3_close(h);
  h = NULL;
  rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  code = rc;
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(h, 10000);
    if (first_read(h, &code)) {
      *db = h;
      return RICHETA_OK;
    }
  }
  int prim = code & 0xff;
  if (prim != SQLITE_READONLY && prim != SQLITE_CANTOPEN) {
    richeta_status st =
        h ? sql_fail(e, h, path) : rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
    sqlite3_close(h);
    return st;
  }
  sqlite3_close(h);
  h = NULL;
  /* No write access where SQLite wants its -shm file. Without a pending
   * log the main file is the whole database: read it as immutable. */
  if (side_file_size(path, "-wal") > 0)
    return rlz_fail(e, RICHETA_ERR_DATABASE,
                    "results store: '%s' has a pending write-ahead log and this process cannot "
                    "write its directory (SQLite needs the -shm file): copy the database with "
                    "its -wal file somewhere writable, or open it as its owner",
                    path);
  char uri[8500];
  if (immutable_uri(path, uri, sizeof uri) != 0)
    return rlz_fail(e, RICHETA_ERR_RANGE, "results store: path too long: '%s'", path);
  rc = sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
  if (rc != SQLITE_OK || !first_read(h, &code)) {
    richeta_status st =
        h ? sql_fail(e, h, path) : rlz_fail(e, RICHETA_ERR_NOMEM, "results store: out of memory");
    sqlite3_close(h);
    return st;
  }
  *db = h;
  return RICHETA_OK;
}

/* ---- checksums ----------------------------------------------------------- */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static void h_bytes(uint64_t *h, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) {
    *h ^= c[i];
    *h *= FNV_PRIME;
  }
}

static void h_u64(uint64_t *h, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  h_bytes(h, b, 8);
}

/* Columns [first, first + n) of the current row, each with its type. */
static void h_columns(uint64_t *h, sqlite3_stmt *q, int first, int n) {
  for (int c = first; c < first + n; c++) {
    int t = sqlite3_column_type(q, c);
    unsigned char tag = (unsigned char)t;
    h_bytes(h, &tag, 1);
    if (t == SQLITE_INTEGER) {
      h_u64(h, (uint64_t)sqlite3_column_int64(q, c));
    } else if (t == SQLITE_FLOAT) {
      double d = sqlite3_column_double(q, c);
      uint64_t bits;
      memcpy(&bits, &d, sizeof bits);
      h_u64(h, bits);
    } else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
      const void *p =
          t == SQLITE_TEXT ? (const void *)sqlite3_column_text(q, c) : sqlite3_column_blob(q, c);
      int len = sqlite3_column_bytes(q, c);
      h_u64(h, (uint64_t)len);
      if (p && len > 0)
        h_bytes(h, p, (size_t)len);
    }
  }
}

/* The columns each digest covers, in this order. */
#define SWEEP_COLS "config, depth"
#define NSWEEP_COLS 2
#define RUN_COLS                                                                                   \
  "config_hash, gamma, eta0, seed, eta, status, steps, initial_loss, final_loss, best_loss,"       \
  " test_initial_loss, test_final_loss, test_best_loss, test_accuracy, wall_time, message,"        \
  " config"
#define NRUN_COLS 17
#define POINT_COLS "step, loss, test_loss, test_accuracy, eta"
#define NPOINT_COLS 5

static const char sweep_sql[] = "SELECT " SWEEP_COLS " FROM sweeps WHERE config_hash = ?1";

/* Fold the sweep row of hash into h (a missing row hashes as a marker, so
 * that a run whose sweep is gone fails its checksum). */
static int h_sweep(uint64_t *h, sqlite3_stmt *qs, const unsigned char *hash, int hlen) {
  sqlite3_reset(qs);
  sqlite3_bind_text(qs, 1, (const char *)hash, hlen, SQLITE_TRANSIENT);
  int rc = sqlite3_step(qs);
  if (rc == SQLITE_ROW)
    h_columns(h, qs, 0, NSWEEP_COLS);
  else
    h_bytes(h, "no sweep", 8);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

richeta_status rlz_store_seal_run(sqlite3 *db, int64_t run_id, rlz_err *e) {
  sqlite3_stmt *qr = NULL, *qs = NULL, *qc = NULL, *qi = NULL;
  richeta_status st = RICHETA_OK;
  uint64_t h = FNV_OFFSET;
  int64_t points = 0;
  if (sqlite3_prepare_v2(db, "SELECT " RUN_COLS " FROM runs WHERE id = ?1", -1, &qr, NULL) ||
      sqlite3_prepare_v2(db, sweep_sql, -1, &qs, NULL) ||
      sqlite3_prepare_v2(db, "SELECT " POINT_COLS " FROM curves WHERE run_id = ?1 ORDER BY step",
                         -1, &qc, NULL) ||
      sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO run_checksums(run_id, points, digest)"
                         " VALUES (?1, ?2, ?3)",
                         -1, &qi, NULL))
    goto db_error;
  sqlite3_bind_int64(qr, 1, run_id);
  if (sqlite3_step(qr) != SQLITE_ROW)
    goto db_error;
  if (h_sweep(&h, qs, sqlite3_column_text(qr, 0), sqlite3_column_bytes(qr, 0)) != 0)
    goto db_error;
  h_columns(&h, qr, 0, NRUN_COLS);
  sqlite3_bind_int64(qc, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(qc)) == SQLITE_ROW) {
    h_columns(&h, qc, 0, NPOINT_COLS);
    points++;
  }
  if (rc != SQLITE_DONE)
    goto db_error;
  sqlite3_bind_int64(qi, 1, run_id);
  sqlite3_bind_int64(qi, 2, points);
  sqlite3_bind_int64(qi, 3, (sqlite3_int64)h);
  if (sqlite3_step(qi) != SQLITE_DONE)
    goto db_error;
  goto out;
db_error:
  st = rlz_fail(e, RICHETA_ERR_DATABASE, "results store: checksum of run %lld: %s",
                (long long)run_id, sqlite3_errmsg(db));
out:
  sqlite3_finalize(qr);
  sqlite3_finalize(qs);
  sqlite3_finalize(qc);
  sqlite3_finalize(qi);
  return st;
}

/* ---- the walk over every run ------------------------------------------- */

typedef struct walk {
  sqlite3 *db;
  const char *path;
  rlz_store_report *r;     /* NULL: stop at the first problem (verify) */
  rlz_store_problem_fn fn; /* the check's reporter (may be NULL) */
  void *ctx;
  rlz_err *e;
  richeta_status first; /* verify: the first problem's status */
} walk;

/* Record a problem; returns 1 when the walk must stop. */
static int problem(walk *w, richeta_status st, const char *kind, int64_t id, double gamma,
                   double eta0, int64_t seed, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 8, 9)))
#endif
    ;
static int problem(walk *w, richeta_status st, const char *kind, int64_t id, double gamma,
                   double eta0, int64_t seed, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (w->r) { /* the check: report and go on */
    if (w->fn)
      w->fn(w->ctx, kind, id, gamma, eta0, seed, msg);
    return 0;
  }
  w->first = rlz_fail(w->e, st,
                      "results store: '%s' is damaged: %s (run `richeta check --db` for a full "
                      "report)",
                      w->path, msg);
  return 1;
}

static int table_exists(sqlite3 *db, const char *name) {
  sqlite3_stmt *q = NULL;
  int yes = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1,
                         &q, NULL) == SQLITE_OK) {
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    yes = sqlite3_step(q) == SQLITE_ROW;
  }
  sqlite3_finalize(q);
  return yes;
}

/* Curve rules by status: converged and stalled runs end at their last step
 * T; a diverged run's last point is the step it stopped at (taken or not);
 * failed runs may have no curve. Returns NULL when the curve is complete. */
static const char *curve_fault(const char *status, int64_t steps, int64_t points, int64_t first,
                               int64_t last, int ordered) {
  /* ordered: the steps came in increasing order (the walk checks the key
   * order of the whole table) */
  int failed = status && !strcmp(status, "failed");
  if (points == 0)
    return failed ? NULL : "no loss curve";
  if (!ordered)
    return "curve steps out of order";
  if (first != 0)
    return "curve does not start at step 0";
  if (failed)
    return NULL;
  int diverged = status && !strcmp(status, "diverged");
  if (diverged ? (last != steps && last != steps - 1) : last != steps)
    return "curve ends before the run's last step";
  return NULL;
}

/* A scan in the b-tree's own order (no ORDER BY, no index): every row the
 * file holds is seen once, and a key out of order is damage. */
typedef struct scan {
  sqlite3_stmt *q;
  int rc;            /* of the last step */
  int64_t key, key2; /* the current row's key (run_id, step for curves) */
} scan;

static int scan_next(scan *c, int keys) {
  if (!c->q) {
    c->rc = SQLITE_DONE;
    return 0;
  }
  c->rc = sqlite3_step(c->q);
  if (c->rc != SQLITE_ROW)
    return 0;
  c->key = sqlite3_column_int64(c->q, 0);
  c->key2 = keys > 1 ? sqlite3_column_int64(c->q, 1) : 0;
  return 1;
}

/* The runs of hash (all when NULL) next to their curves and checksums,
 * three scans merged by run id. */
static richeta_status walk_runs(walk *w, const char *hash) {
  sqlite3 *db = w->db;
  int have_sums = table_exists(db, "run_checksums");
  sqlite3_stmt *qs = NULL;
  scan R = {0}, C = {0}, K = {0};
  richeta_status st = RICHETA_OK;
  if (sqlite3_prepare_v2(db, "SELECT id, " RUN_COLS " FROM runs NOT INDEXED", -1, &R.q, NULL) ||
      sqlite3_prepare_v2(db, sweep_sql, -1, &qs, NULL) ||
      sqlite3_prepare_v2(db, "SELECT run_id, " POINT_COLS " FROM curves", -1, &C.q, NULL) ||
      (have_sums &&
       sqlite3_prepare_v2(db, "SELECT run_id, points, digest FROM run_checksums", -1, &K.q, NULL)))
    goto db_error;
  int64_t last_run = INT64_MIN, last_c1 = INT64_MIN, last_c2 = INT64_MIN, last_k = INT64_MIN;
  int order_told = 0;
  scan_next(&C, 2);
  scan_next(&K, 1);
#define OUT_OF_ORDER(what)                                                                         \
  do {                                                                                             \
    if (!order_told++ && problem(w, RICHETA_ERR_CHECKSUM, "integrity", -1, NAN, NAN, -1,           \
                                 "%s rows out of key order (a damaged b-tree)", what))             \
      goto out;                                                                                    \
  } while (0)
  while (scan_next(&R, 1)) {
    int64_t id = R.key;
    if (id <= last_run)
      OUT_OF_ORDER("run");
    last_run = id;
    const unsigned char *rh = sqlite3_column_text(R.q, 1);
    int mine = !hash || (rh && !strcmp((const char *)rh, hash));
    double gamma = sqlite3_column_double(R.q, 2), eta0 = sqlite3_column_double(R.q, 3);
    int64_t seed = sqlite3_column_int64(R.q, 4);
    const char *status = (const char *)sqlite3_column_text(R.q, 6);
    int64_t steps = sqlite3_column_int64(R.q, 7);
    uint64_t h = FNV_OFFSET;
    if (mine) {
      if (w->r)
        w->r->runs++;
      if (h_sweep(&h, qs, rh, sqlite3_column_bytes(R.q, 1)) != 0)
        goto db_error;
      h_columns(&h, R.q, 1, NRUN_COLS);
    }
    /* curve rows before this run belong to no run (counted by the check) */
    int64_t points = 0, first = -1, last = -1;
    for (; C.rc == SQLITE_ROW && C.key <= id; scan_next(&C, 2)) {
      if (C.key < last_c1 || (C.key == last_c1 && C.key2 <= last_c2))
        OUT_OF_ORDER("curve");
      last_c1 = C.key;
      last_c2 = C.key2;
      if (C.key < id || !mine)
        continue;
      if (points == 0)
        first = C.key2;
      last = C.key2;
      h_columns(&h, C.q, 1, NPOINT_COLS);
      points++;
    }
    if (C.rc != SQLITE_ROW && C.rc != SQLITE_DONE)
      goto db_error;
    int sealed = 0, match = 0;
    int64_t sealed_points = -1;
    for (; K.rc == SQLITE_ROW && K.key <= id; scan_next(&K, 1)) {
      if (K.key <= last_k)
        OUT_OF_ORDER("checksum");
      last_k = K.key;
      if (K.key == id) {
        sealed = 1;
        sealed_points = sqlite3_column_int64(K.q, 1);
        match = (uint64_t)sqlite3_column_int64(K.q, 2) == h;
      }
    }
    if (K.rc != SQLITE_ROW && K.rc != SQLITE_DONE)
      goto db_error;
    if (!mine)
      continue;
    const char *fault = curve_fault(status, steps, points, first, last, 1);
    if (!fault && sealed && sealed_points != points)
      fault = "curve has lost or gained points since it was stored";
    if (fault) {
      if (w->r)
        w->r->bad_curve++;
      if (problem(w, sealed ? RICHETA_ERR_CHECKSUM : RICHETA_ERR_DATABASE, "curve", id, gamma, eta0,
                  seed, "run %lld (gamma %.6g, eta0 %.6g, seed %lld): %s (%lld points)",
                  (long long)id, gamma, eta0, (long long)seed, fault, (long long)points))
        goto out;
    }
    if (sealed && !match) {
      if (w->r)
        w->r->bad_checksum++;
      if (problem(w, RICHETA_ERR_CHECKSUM, "checksum", id, gamma, eta0, seed,
                  "run %lld (gamma %.6g, eta0 %.6g, seed %lld) does not match its checksum "
                  "(a stored value changed)",
                  (long long)id, gamma, eta0, (long long)seed))
        goto out;
    } else if (w->r) {
      if (sealed)
        w->r->verified++;
      else
        w->r->unverified++;
    }
  }
  if (R.rc != SQLITE_DONE)
    goto db_error;
  /* what is left after the last run belongs to no run; still in order? */
  for (; C.rc == SQLITE_ROW; scan_next(&C, 2)) {
    if (C.key < last_c1 || (C.key == last_c1 && C.key2 <= last_c2))
      OUT_OF_ORDER("curve");
    last_c1 = C.key;
    last_c2 = C.key2;
  }
  for (; K.rc == SQLITE_ROW; scan_next(&K, 1)) {
    if (K.key <= last_k)
      OUT_OF_ORDER("checksum");
    last_k = K.key;
  }
  if (C.rc != SQLITE_DONE || K.rc != SQLITE_DONE)
    goto db_error;
#undef OUT_OF_ORDER
  goto out;
db_error:
  st = sql_fail(w->e, db, w->path);
out:
  sqlite3_finalize(R.q);
  sqlite3_finalize(qs);
  sqlite3_finalize(C.q);
  sqlite3_finalize(K.q);
  if (st == RICHETA_OK && !w->r && w->first != RICHETA_OK)
    st = w->first;
  return st;
}

richeta_status rlz_store_verify(sqlite3 *db, const char *path, const char *hash, rlz_err *e) {
  /* The b-trees first: with every key in order and in its parent's bounds,
   * lookups and scans see the same rows, so the rows the checksums cover
   * are the rows a reader gets, whatever its query plan. */
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK)
    return sql_fail(e, db, path);
  int rc = sqlite3_step(q);
  const char *m = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
  if (rc != SQLITE_ROW || !m || strcmp(m, "ok") != 0) {
    richeta_status st =
        rlz_fail(e, RICHETA_ERR_CHECKSUM,
                 "results store: '%s' is damaged: SQLite: %s (run `richeta check --db` for a "
                 "full report)",
                 path, m ? m : sqlite3_errmsg(db));
    sqlite3_finalize(q);
    return st;
  }
  sqlite3_finalize(q);
  walk w = {db, path, NULL, NULL, NULL, e, RICHETA_OK};
  return walk_runs(&w, hash);
}

/* Rows that belong to no run (or runs that belong to no sweep). */
static richeta_status check_orphans(walk *w) {
  static const struct {
    const char *sql, *what;
    int need_sums;
  } q[] = {
      {"SELECT count(*) FROM curves WHERE run_id NOT IN (SELECT id FROM runs)",
       "curve points of no run", 0},
      {"SELECT count(*) FROM run_checksums WHERE run_id NOT IN (SELECT id FROM runs)",
       "checksums of no run", 1},
      {"SELECT count(*) FROM runs WHERE config_hash NOT IN (SELECT config_hash FROM sweeps)",
       "runs of no registered sweep", 0},
  };
  int have_sums = table_exists(w->db, "run_checksums");
  for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
    if (q[i].need_sums && !have_sums)
      continue;
    sqlite3_stmt *s = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(w->db, q[i].sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
      sqlite3_finalize(s);
      return sql_fail(w->e, w->db, w->path);
    }
    n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (n > 0) {
      w->r->orphans += n;
      problem(w, RICHETA_ERR_FORMAT, "orphan", -1, NAN, NAN, -1, "%lld %s", (long long)n,
              q[i].what);
    }
  }
  return RICHETA_OK;
}

richeta_status rlz_store_check(const char *path, rlz_store_report *r, rlz_store_problem_fn fn,
                               void *ctx, rlz_err *e) {
  memset(r, 0, sizeof *r);
  richeta_status st = rlz_store_vet_file(path, 0, e);
  if (st != RICHETA_OK)
    return st;
  sqlite3 *db = NULL;
  st = rlz_store_connect_readonly(&db, path, e);
  if (st != RICHETA_OK)
    return st;
  int fresh = 0;
  st = rlz_store_vet_schema(db, path, 0, &fresh, e);
  if (st == RICHETA_OK && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    st = sql_fail(e, db, path);
  if (st != RICHETA_OK) {
    sqlite3_close(db);
    return st;
  }
  r->schema_version = RLZ_STORE_SCHEMA_VERSION;
  walk w = {db, path, r, fn, ctx, e, RICHETA_OK};
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1000)", -1, &q, NULL) != SQLITE_OK) {
    st = sql_fail(e, db, path);
    goto out;
  }
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    const char *m = (const char *)sqlite3_column_text(q, 0);
    if (m && !strcmp(m, "ok")) {
      r->integrity_ok = 1;
      continue;
    }
    r->integrity_msgs++;
    problem(&w, RICHETA_ERR_FORMAT, "integrity", -1, NAN, NAN, -1, "sqlite: %s", m ? m : "?");
  }
  sqlite3_finalize(q);
  q = NULL;
  if (rc != SQLITE_DONE) { /* a damaged file may stop the check itself */
    r->integrity_ok = 0;
    r->integrity_msgs++;
    problem(&w, RICHETA_ERR_FORMAT, "integrity", -1, NAN, NAN, -1, "sqlite: %s",
            sqlite3_errmsg(db));
  }
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sweeps", -1, &q, NULL) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW)
    r->sweeps = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  /* A file SQLite itself finds damaged may fail the walk: report, not error */
  rlz_err we;
  w.e = &we;
  if (walk_runs(&w, NULL) != RICHETA_OK) {
    r->integrity_ok = 0;
    r->integrity_msgs++;
    problem(&w, RICHETA_ERR_FORMAT, "integrity", -1, NAN, NAN, -1, "%s", we.msg);
  } else if (check_orphans(&w) != RICHETA_OK) {
    r->integrity_ok = 0;
    r->integrity_msgs++;
    problem(&w, RICHETA_ERR_FORMAT, "integrity", -1, NAN, NAN, -1, "%s", we.msg);
  }
out:
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(db);
  return st;
}
