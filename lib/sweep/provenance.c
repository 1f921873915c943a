/* Provenance of the runs in a store: one row per richeta_sweep_run() call,
 * with the library version, the process's command line, the host, and the
 * start and end times in Unix seconds (docs/store.md), so a store says where and how
 * its runs were made. */
#include "sweep_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char provenance_schema[] =
    "CREATE TABLE IF NOT EXISTS provenance("
    " id INTEGER PRIMARY KEY, config_hash TEXT NOT NULL, library_version TEXT NOT NULL,"
    " command_line TEXT, host TEXT, pid INTEGER, started_at REAL NOT NULL, finished_at REAL,"
    " outcome TEXT);";

static richeta_status db_fail(rlz_err *e, sqlite3 *db, const char *what) {
  return rlz_fail(e, RICHETA_ERR_DATABASE, "results store: %s: %s", what, sqlite3_errmsg(db));
}

/* Unix time in seconds (UTC), the unit of every time in the store. */
static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The process's arguments from /proc/self/cmdline, separated by spaces,
 * those holding a space or quote in single quotes ("" where unreadable). */
static void command_line(char *buf, size_t cap) {
  buf[0] = '\0';
  FILE *f = fopen("/proc/self/cmdline", "rb");
  if (!f)
    return;
  char raw[4096];
  size_t n = fread(raw, 1, sizeof raw - 1, f);
  fclose(f);
  raw[n] = '\0';
  size_t len = 0;
  for (size_t i = 0; i < n && len + 4 < cap;) {
    const char *arg = raw + i;
    size_t alen = strlen(arg);
    int quote = arg[0] == '\0' || strpbrk(arg, " \t\"'\\$") != NULL;
    len += (size_t)snprintf(buf + len, cap - len, "%s%s%s%s", len ? " " : "", quote ? "'" : "",
                            arg, quote ? "'" : "");
    if (len >= cap)
      len = cap - 1;
    i += alen + 1;
  }
}

richeta_status rlz_provenance_begin(rlz_store *s, const char *hash, int64_t *id, rlz_err *e) {
  sqlite3 *db = rlz_store_db(s);
  *id = -1;
  if (sqlite3_exec(db, provenance_schema, NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(e, db, "provenance table");
  char host[256] = "?", cmd[2048];
  if (gethostname(host, sizeof host - 1) != 0)
    snprintf(host, sizeof host, "?");
  host[sizeof host - 1] = '\0';
  command_line(cmd, sizeof cmd);
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO provenance(config_hash, library_version, command_line, host,"
                         " pid, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         -1, &q, NULL) != SQLITE_OK)
    return db_fail(e, db, "record provenance");
  sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, richeta_version_string(), -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 3, cmd, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 4, host, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 5, (sqlite3_int64)getpid());
  sqlite3_bind_double(q, 6, now_seconds());
  int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE)
    return db_fail(e, db, "record provenance");
  *id = (int64_t)sqlite3_last_insert_rowid(db);
  return RICHETA_OK;
}

richeta_status rlz_provenance_end(rlz_store *s, int64_t id, richeta_status outcome, rlz_err *e) {
  if (id < 0)
    return RICHETA_OK;
  sqlite3 *db = rlz_store_db(s);
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db, "UPDATE provenance SET finished_at = ?1, outcome = ?2 WHERE id = ?3",
                         -1, &q, NULL) != SQLITE_OK)
    return db_fail(e, db, "record provenance");
  sqlite3_bind_double(q, 1, now_seconds());
  sqlite3_bind_text(q, 2, outcome == RICHETA_OK ? "ok" : richeta_status_string(outcome), -1,
                    SQLITE_STATIC);
  sqlite3_bind_int64(q, 3, (sqlite3_int64)id);
  int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? RICHETA_OK : db_fail(e, db, "record provenance");
}
