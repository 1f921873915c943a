/* The results store's defences (store_check.c): what a file must be before
 * the store reads or writes it, the per-run checksums, and the full check
 * behind `richeta check --db`.
 *
 * A run's checksum is a 64-bit FNV-1a digest of its sweep's row (config,
 * depth), its own row (every column but the row id) and its curve points in
 * step order, each value hashed with its SQLite type. It is computed from
 * the rows as stored, inside the transaction that stores them, and kept in
 * `run_checksums(run_id, points, digest)`. Runs without a checksum row
 * (stored by richeta 1.0) are "unverified": readers accept them, the check
 * counts them. */
#ifndef RLZ_STORE_CHECK_H
#define RLZ_STORE_CHECK_H

#include "core/core.h"

#include <sqlite3.h>

/* The schema version this build reads and writes (meta.schema_version). */
#define RLZ_STORE_SCHEMA_VERSION 1
/* PRAGMA application_id of stores made by richeta >= 1.1 ("RLZS"). */
#define RLZ_STORE_APP_ID 0x524c5a53

/* Before SQLite opens path. The file must be a regular file (a missing one
 * only when creating), an SQLite database by its header, and not shorter
 * than its header says (unless a journal holds the rest). Failures are
 * RICHETA_ERR_DATABASE, as SQLite's own open errors. */
richeta_status rlz_store_vet_file(const char *path, int creating, rlz_err *e);

/* After the open, before anything is written: the database must be a
 * richeta store of a known schema version, or (when creating) hold no
 * table at all. *fresh is set when it holds no table. A foreign database
 * gives RICHETA_ERR_DATABASE, a newer schema RICHETA_ERR_VERSION; the file
 * is left untouched. */
richeta_status rlz_store_vet_schema(sqlite3 *db, const char *path, int creating, int *fresh,
                                    rlz_err *e);

/* Mark a vetted store as richeta's (PRAGMA application_id) when it is not
 * marked yet (new stores, and stores of richeta 1.0). */
richeta_status rlz_store_claim(sqlite3 *db, const char *path, rlz_err *e);

/* A read-only connection (PRAGMA query_only on a read-write one where the
 * file is writable, so that closing it leaves no -wal or -shm file) that
 * also works where SQLite cannot make its shared-memory file (a finished
 * store on read-only media): open read-only,
 * and when the first read fails for lack of write access and no write-ahead
 * log is pending, reopen with immutable=1. *db is NULL on failure. */
richeta_status rlz_store_connect_readonly(sqlite3 **db, const char *path, rlz_err *e);

/* Compute and store the checksum of run run_id (inside the caller's write
 * transaction, after its curve is inserted). */
richeta_status rlz_store_seal_run(sqlite3 *db, int64_t run_id, rlz_err *e);

/* SQLite's quick check of the b-trees, then every run of hash (all runs
 * when hash is NULL): checksum and curve completeness. The first damaged run gives
 * RICHETA_ERR_CHECKSUM naming it (RICHETA_ERR_DATABASE for an unverified run whose curve is cut
 * short). */
richeta_status rlz_store_verify(sqlite3 *db, const char *path, const char *hash, rlz_err *e);

/* What the full check found. */
typedef struct rlz_store_report {
  int schema_version;
  int integrity_ok;       /* PRAGMA integrity_check said "ok" */
  int64_t integrity_msgs; /* its messages otherwise */
  int64_t sweeps, runs;
  int64_t verified;     /* runs whose checksum matches */
  int64_t unverified;   /* runs without a checksum (richeta 1.0) */
  int64_t bad_checksum; /* runs whose checksum does not match */
  int64_t bad_curve;    /* runs whose curve is missing points */
  int64_t orphans;      /* curve points or checksums of no run, runs of no sweep */
} rlz_store_report;

/* One problem: kind is "integrity", "checksum", "curve" or "orphan";
 * run_id is -1 (and gamma, eta0, seed NaN / -1) when it names no run. */
typedef void (*rlz_store_problem_fn)(void *ctx, const char *kind, int64_t run_id, double gamma,
                                     double eta0, int64_t seed, const char *message);

/* Open path read-only (every vetting above) and check all of it: SQLite's
 * integrity check, then each run's checksum and curve, and orphaned rows.
 * Returns RICHETA_OK when the check could run (read the report: damage is
 * not an error of this call), else the reason the file cannot be read as a
 * store. */
richeta_status rlz_store_check(const char *path, rlz_store_report *r, rlz_store_problem_fn fn,
                               void *ctx, rlz_err *e);

#endif
