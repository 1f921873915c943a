/* The results store against hostile files (lib/sweep/store_check.c):
 * foreign SQLite databases and newer schema versions are neither written
 * nor read, truncated and bit-flipped stores are refused with a message
 * instead of giving partial or changed rows, the full check reports what
 * is wrong, readers work next to a writer and on read-only media, and a
 * sweep never puts more threads into the BLAS than it takes. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <richlazy/richeta.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file_bytes.h"
#include "numeric/numeric.h"
#include "sweep/store_check.h"
#include "sweep/sweep_internal.h"

Suite *store_suite(void);

static char dir[200], db[320];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/check_store_%ld_XXXXXX", (long)getpid());
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(db, sizeof db, "%s/s.db", dir);
}

static void teardown(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir);
  ck_assert_int_eq(system(cmd), 0);
}

/* A runner without training: deterministic numbers per (gamma, eta0, seed)
 * and a two-point curve from step 0 to the last step. */
static int runner_sleep_us;
static int runner_now, runner_max;
static pthread_mutex_t runner_mu = PTHREAD_MUTEX_INITIALIZER;

static void fake_runner(void *user, const richeta_config *cfg, const rlz_alloc *a, rlz_run_out *o) {
  (void)user;
  pthread_mutex_lock(&runner_mu);
  if (++runner_now > runner_max)
    runner_max = runner_now;
  pthread_mutex_unlock(&runner_mu);
  if (runner_sleep_us)
    usleep((useconds_t)runner_sleep_us);
  double g, e;
  int64_t seed;
  richeta_config_get_double(cfg, RICHETA_PARAM_GAMMA, &g);
  richeta_config_get_double(cfg, RICHETA_PARAM_ETA0, &e);
  richeta_config_get_int(cfg, RICHETA_PARAM_SEED, &seed);
  o->r.status = RICHETA_SWEEP_RUN_CONVERGED;
  o->r.init_loss = 1;
  o->r.final_loss = 0.125 + 0.001 * g + 0.01 * e + 0.0001 * (double)seed;
  o->r.best_loss = o->r.final_loss;
  o->r.steps = 100;
  o->n = 2;
  o->step = rlz_calloc(a, 2, sizeof *o->step);
  o->loss = rlz_calloc(a, 2, sizeof *o->loss);
  o->test = rlz_calloc(a, 2, sizeof *o->test);
  o->eta = rlz_calloc(a, 2, sizeof *o->eta);
  o->step[1] = 100;
  o->loss[0] = 1;
  o->loss[1] = o->r.final_loss;
  o->test[0] = o->test[1] = NAN;
  o->eta[0] = o->eta[1] = e;
  pthread_mutex_lock(&runner_mu);
  runner_now--;
  pthread_mutex_unlock(&runner_mu);
}

static richeta_sweep *fake_sweep(const char *gammas, const char *etas, int workers) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, "D=2,N=4,L=2,B=2,T=100"), RICHETA_OK);
  richeta_sweep *sw = NULL;
  ck_assert_int_eq(richeta_sweep_new(&sw, cfg), RICHETA_OK);
  richeta_config_free(cfg);
  rlz_sweep_set_runner(sw, fake_runner, NULL);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, gammas), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_grid(sw, RICHETA_SWEEP_AXIS_ETA0, etas), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_MODE, RICHETA_SWEEP_DENSE),
                   RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_WORKERS, workers), RICHETA_OK);
  return sw;
}

/* A store of 3 x 4 runs. */
static void make_store(const char *path) {
  richeta_sweep *sw = fake_sweep("0.5,1,2", "0.001,0.01,0.1,1", 2);
  ck_assert_int_eq(richeta_sweep_run(sw, path, NULL), RICHETA_OK);
  richeta_sweep_free(sw);
}

static void sql(const char *path, const char *stmt) {
  sqlite3 *h = NULL;
  ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
  char *err = NULL;
  ck_assert_msg(sqlite3_exec(h, stmt, NULL, NULL, &err) == SQLITE_OK, "%s: %s", stmt,
                err ? err : "");
  sqlite3_close(h);
}

static int64_t count(const char *path, const char *q) {
  sqlite3 *h = NULL;
  sqlite3_stmt *s = NULL;
  ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(h, q, -1, &s, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return n;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static richeta_status open_status(const char *path) {
  richeta_sweep *sw = NULL;
  richeta_status st = richeta_sweep_open(&sw, path, NULL, NULL);
  richeta_sweep_free(sw);
  return st;
}

START_TEST(a_foreign_sqlite_database_is_neither_written_nor_changed) {
  /* a user's own database: one table, rollback journal */
  sql(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"
          "INSERT INTO notes(text) VALUES ('mine');");
  size_t n0, n1;
  unsigned char *before = slurp(db, &n0);
  richeta_sweep *sw = fake_sweep("1", "0.1", 1);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_ERR_DATABASE);
  ck_assert_ptr_nonnull(strstr(richeta_sweep_last_error(sw), "not a sweep database"));
  ck_assert_ptr_nonnull(strstr(richeta_sweep_last_error(sw), "notes"));
  richeta_sweep_free(sw);
  unsigned char *after = slurp(db, &n1);
  ck_assert_uint_eq(n0, n1);
  ck_assert_int_eq(memcmp(before, after, n0), 0); /* byte for byte: no table, no WAL switch */
  char wal[400];
  snprintf(wal, sizeof wal, "%s-wal", db);
  ck_assert(!exists(wal));
  ck_assert_int_eq(count(db, "SELECT count(*) FROM sqlite_schema"), 1);
  ck_assert_int_eq(open_status(db), RICHETA_ERR_DATABASE);
  free(before);
  free(after);
}
END_TEST

START_TEST(another_applications_database_and_non_databases_are_refused) {
  sql(db, "PRAGMA application_id=1234; CREATE TABLE meta(key TEXT, value TEXT);"
          "INSERT INTO meta VALUES ('schema_version', '1');");
  richeta_sweep *sw = fake_sweep("1", "0.1", 1);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_ERR_DATABASE);
  ck_assert_ptr_nonnull(strstr(richeta_sweep_last_error(sw), "another application"));
  /* text, an empty file, a short file */
  char p[400];
  snprintf(p, sizeof p, "%s/text.db", dir);
  spit(p, (const unsigned char *)"key=value\n", 10);
  ck_assert_int_eq(richeta_sweep_run(sw, p, NULL), RICHETA_ERR_DATABASE);
  size_t n;
  unsigned char *b = slurp(p, &n);
  ck_assert_uint_eq(n, 10);
  ck_assert_int_eq(memcmp(b, "key=value\n", 10), 0);
  free(b);
  snprintf(p, sizeof p, "%s/empty.db", dir);
  spit(p, (const unsigned char *)"", 0);
  ck_assert_int_eq(open_status(p), RICHETA_ERR_DATABASE);
  ck_assert_int_eq(richeta_sweep_run(sw, p, NULL), RICHETA_OK); /* an empty file is a new store */
  ck_assert_int_eq(open_status(p), RICHETA_OK);
  richeta_sweep_free(sw);
}
END_TEST

START_TEST(a_newer_schema_version_is_neither_written_nor_read) {
  make_store(db);
  sql(db, "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
  int64_t runs = count(db, "SELECT count(*) FROM runs");
  richeta_sweep *sw = fake_sweep("0.5,1,2,4", "0.001,0.01,0.1,1", 2);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_ERR_VERSION);
  ck_assert_ptr_nonnull(strstr(richeta_sweep_last_error(sw), "schema version 2"));
  ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), runs);
  ck_assert_int_eq(richeta_sweep_load(sw, db), RICHETA_ERR_VERSION);
  richeta_sweep_free(sw);
  ck_assert_int_eq(open_status(db), RICHETA_ERR_VERSION);
  rlz_store_report r;
  rlz_err e;
  ck_assert_int_eq(rlz_store_check(db, &r, NULL, NULL, &e), RICHETA_ERR_VERSION);
  sql(db, "UPDATE meta SET value = 'one' WHERE key = 'schema_version'");
  ck_assert_int_eq(open_status(db), RICHETA_ERR_DATABASE);
}
END_TEST

START_TEST(truncated_stores_are_refused_not_read_in_part) {
  make_store(db);
  sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  size_t n;
  unsigned char *full = slurp(db, &n);
  ck_assert_int_eq(open_status(db), RICHETA_OK);
  const double fracs[] = {0.5, 0.9, 0.97, 0.98, 0.99, 0.999};
  char p[400];
  snprintf(p, sizeof p, "%s/cut.db", dir);
  for (size_t i = 0; i < sizeof fracs / sizeof fracs[0]; i++) {
    spit(p, full, (size_t)((double)n * fracs[i]));
    richeta_status st = open_status(p);
    ck_assert_msg(st == RICHETA_ERR_DATABASE || st == RICHETA_ERR_CHECKSUM,
                  "a store cut to %.1f%% opened with status %d", 100 * fracs[i], (int)st);
    /* and the writer does not go on writing into it */
    richeta_sweep *sw = fake_sweep("0.5,1,2", "0.001,0.01,0.1,1", 1);
    ck_assert_int_ne(richeta_sweep_run(sw, p, NULL), RICHETA_OK);
    richeta_sweep_free(sw);
    unlink(p);
  }
  free(full);
}
END_TEST

/* Offset of the first big-endian copy of v in b (SQLite's REAL encoding). */
static long find_double(const unsigned char *b, size_t n, double v) {
  unsigned char be[8];
  uint64_t bits;
  memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; i++)
    be[i] = (unsigned char)(bits >> (56 - 8 * i));
  for (size_t i = 0; i + 8 <= n; i++)
    if (!memcmp(b + i, be, 8))
      return (long)i;
  return -1;
}

START_TEST(a_flipped_bit_in_a_stored_value_fails_its_checksum) {
  make_store(db);
  sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  size_t n;
  unsigned char *b = slurp(db, &n);
  /* gamma 2, eta0 0.1, seed 0: final_loss 0.125 + 0.002 + 0.001 */
  double v = 0.125 + 0.001 * 2 + 0.01 * 0.1 + 0.0001 * 0;
  long off = find_double(b, n, v);
  ck_assert_int_ge(off, 0);
  b[off + 7] ^= 1; /* the last mantissa bit: a value that still looks right */
  spit(db, b, n);
  ck_assert_int_eq(open_status(db), RICHETA_ERR_CHECKSUM);
  ck_assert_ptr_nonnull(strstr(richeta_last_error(), "does not match its checksum"));
  rlz_store_report r;
  rlz_err e;
  ck_assert_int_eq(rlz_store_check(db, &r, NULL, NULL, &e), RICHETA_OK);
  ck_assert_int_eq(r.runs, 12);
  ck_assert_int_eq(r.bad_checksum, 1);
  ck_assert_int_eq(r.verified, 11);
  /* the writer refuses to add to a damaged sweep */
  richeta_sweep *sw = fake_sweep("0.5,1,2,4", "0.001,0.01,0.1,1", 1);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_ERR_CHECKSUM);
  richeta_sweep_free(sw);
  free(b);
}
END_TEST

static int problems;
static void count_problem(void *ctx, const char *kind, int64_t run_id, double gamma, double eta0,
                          int64_t seed, const char *message) {
  (void)ctx;
  (void)kind;
  (void)run_id;
  (void)gamma;
  (void)eta0;
  (void)seed;
  (void)message;
  problems++;
}

START_TEST(the_check_reports_sound_legacy_and_damaged_stores) {
  make_store(db);
  rlz_store_report r;
  rlz_err e;
  problems = 0;
  ck_assert_int_eq(rlz_store_check(db, &r, count_problem, NULL, &e), RICHETA_OK);
  ck_assert(r.integrity_ok);
  ck_assert_int_eq(r.schema_version, 1);
  ck_assert_int_eq(r.sweeps, 1);
  ck_assert_int_eq(r.runs, 12);
  ck_assert_int_eq(r.verified, 12);
  ck_assert_int_eq(r.unverified + r.bad_checksum + r.bad_curve + r.orphans, 0);
  ck_assert_int_eq(problems, 0);
  /* a point lost from a curve: incomplete and no longer matching */
  sql(db, "DELETE FROM curves WHERE run_id = 3 AND step = 100");
  problems = 0;
  ck_assert_int_eq(rlz_store_check(db, &r, count_problem, NULL, &e), RICHETA_OK);
  ck_assert_int_eq(r.bad_curve, 1);
  ck_assert_int_eq(r.bad_checksum, 1);
  ck_assert_int_ge(problems, 2);
  ck_assert_int_eq(open_status(db), RICHETA_ERR_CHECKSUM);
  /* orphaned points */
  sql(db, "INSERT INTO curves(run_id, step, loss) VALUES (999, 0, 1.0)");
  ck_assert_int_eq(rlz_store_check(db, &r, NULL, NULL, &e), RICHETA_OK);
  ck_assert_int_eq(r.orphans, 1);
  /* a store of richeta 1.0 (no checksums): unverified, readable; its
   * curves are still checked */
  char p[400];
  snprintf(p, sizeof p, "%s/legacy.db", dir);
  make_store(p);
  sql(p, "DROP TABLE run_checksums; PRAGMA application_id=0;");
  ck_assert_int_eq(open_status(p), RICHETA_OK);
  ck_assert_int_eq(rlz_store_check(p, &r, NULL, NULL, &e), RICHETA_OK);
  ck_assert_int_eq(r.unverified, 12);
  ck_assert_int_eq(r.verified, 0);
  sql(p, "DELETE FROM curves WHERE run_id = 5");
  ck_assert_int_eq(open_status(p), RICHETA_ERR_DATABASE);
  /* resuming a 1.0 store adds checksummed runs next to the unverified ones */
  sql(p, "DELETE FROM runs WHERE id = 5");
  richeta_sweep *sw = fake_sweep("0.5,1,2,4", "0.001,0.01,0.1,1", 2);
  ck_assert_int_eq(richeta_sweep_run(sw, p, NULL), RICHETA_OK);
  richeta_sweep_free(sw);
  ck_assert_int_eq(rlz_store_check(p, &r, NULL, NULL, &e), RICHETA_OK);
  ck_assert_int_eq(r.runs, 16);
  ck_assert_int_eq(r.unverified, 11);
  ck_assert_int_eq(r.verified, 5);
  ck_assert_int_eq(count(p, "PRAGMA application_id"), RLZ_STORE_APP_ID);
}
END_TEST

/* ---- readers next to a writer ------------------------------------------ */

typedef struct reader_ctx {
  int rounds, failures;
  char last_error[512];
  volatile int stop;
} reader_ctx;

static void *reader_loop(void *arg) {
  reader_ctx *c = arg;
  while (!c->stop) {
    richeta_sweep *sw = NULL;
    richeta_status st = richeta_sweep_open(&sw, db, NULL, NULL);
    if (st != RICHETA_OK) {
      c->failures++;
      snprintf(c->last_error, sizeof c->last_error, "%s", richeta_last_error());
    }
    richeta_sweep_free(sw);
    c->rounds++;
  }
  return NULL;
}

START_TEST(readers_read_while_a_sweep_writes) {
  make_store(db); /* the sweep exists before the readers start */
  runner_sleep_us = 2000;
  reader_ctx c = {0};
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, reader_loop, &c), 0);
  richeta_sweep *sw = fake_sweep("0.5,1,2", "1e-6:1:20", 2);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  c.stop = 1;
  pthread_join(th, NULL);
  runner_sleep_us = 0;
  richeta_sweep_free(sw);
  ck_assert_int_gt(c.rounds, 5);
  ck_assert_msg(c.failures == 0, "%d of %d reads failed: %s", c.failures, c.rounds, c.last_error);
}
END_TEST

/* ---- read-only media --------------------------------------------------- */

START_TEST(a_finished_store_reads_from_a_read_only_directory) {
  make_store(db);
  char wal[400];
  snprintf(wal, sizeof wal, "%s-wal", db);
  ck_assert(!exists(wal)); /* the writer closed: no log pending */
  chmod(db, 0444);
  chmod(dir, 0555);
  /* root writes anywhere: read as another user then */
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
      _exit(90);
    richeta_sweep *sw = NULL;
    richeta_status st = richeta_sweep_open(&sw, db, NULL, NULL);
    int64_t n = 0;
    if (st == RICHETA_OK)
      richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n);
    richeta_sweep_free(sw);
    if (st != RICHETA_OK)
      fprintf(stderr, "%s\n", richeta_last_error());
    _exit(st != RICHETA_OK ? 10 + (int)st : n == 12 ? 0 : 91);
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_msg(WEXITSTATUS(status) == 0, "child exit %d", WEXITSTATUS(status));
  chmod(dir, 0700);
}
END_TEST

/* ---- BLAS limits ---------------------------------------------------------- */

START_TEST(a_sweep_never_puts_more_threads_into_the_blas_than_it_takes) {
  int limit = rlz_blas_max_callers();
  if (limit == 0) { /* a BLAS without a known limit: nothing to bound */
    fprintf(stderr, "# the linked BLAS states no thread limit\n");
    return;
  }
  runner_sleep_us = 3000;
  runner_max = 0;
  /* 200 workers (documented up to 1024), over 400 runs that overlap */
  richeta_sweep *sw = fake_sweep("1:1e4:5", "1e-3:1:8", 200);
  int64_t ng = 0, ne = 0, n = 0;
  richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_GAMMA, NULL, 0, &ng);
  richeta_sweep_get_grid(sw, RICHETA_SWEEP_AXIS_ETA0, NULL, 0, &ne);
  ck_assert_int_gt(ng * ne, 400);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  richeta_sweep_runs(sw, NULL, NULL, NULL, NULL, NULL, 0, &n);
  richeta_sweep_free(sw);
  runner_sleep_us = 0;
  ck_assert_int_eq(n, ng * ne);
  ck_assert_msg(runner_max <= limit, "%d runs trained at once, the BLAS takes %d", runner_max,
                limit);
  ck_assert_int_gt(runner_max, 1); /* still parallel */
}
END_TEST

START_TEST(the_durable_option_is_an_option_like_the_others) {
  richeta_sweep *sw = fake_sweep("1", "0.1", 1);
  double v = -1;
  ck_assert_int_eq(richeta_sweep_get_option(sw, RICHETA_SWEEP_OPT_DURABLE, &v), RICHETA_OK);
  ck_assert_double_eq(v, 0);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DURABLE, 2), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DURABLE, 0.5), RICHETA_ERR_RANGE);
  ck_assert_int_eq(richeta_sweep_set_option(sw, RICHETA_SWEEP_OPT_DURABLE, 1), RICHETA_OK);
  ck_assert_int_eq(richeta_sweep_run(sw, db, NULL), RICHETA_OK);
  ck_assert_int_eq(open_status(db), RICHETA_OK);
  richeta_sweep_free(sw);
}
END_TEST

Suite *store_suite(void) {
  Suite *su = suite_create("store");
  TCase *tc = tcase_create("hostile");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, a_foreign_sqlite_database_is_neither_written_nor_changed);
  tcase_add_test(tc, another_applications_database_and_non_databases_are_refused);
  tcase_add_test(tc, a_newer_schema_version_is_neither_written_nor_read);
  tcase_add_test(tc, truncated_stores_are_refused_not_read_in_part);
  tcase_add_test(tc, a_flipped_bit_in_a_stored_value_fails_its_checksum);
  tcase_add_test(tc, the_check_reports_sound_legacy_and_damaged_stores);
  tcase_add_test(tc, readers_read_while_a_sweep_writes);
  tcase_add_test(tc, a_finished_store_reads_from_a_read_only_directory);
  tcase_add_test(tc, a_sweep_never_puts_more_threads_into_the_blas_than_it_takes);
  tcase_add_test(tc, the_durable_option_is_an_option_like_the_others);
  suite_add_tcase(su, tc);
  return su;
}
