/* Sweep databases opened by the commands for their own queries (export,
 * align, plot, check): through the library's store, so that every command
 * refuses what the library refuses (a foreign, newer or truncated file),
 * waits for a writer instead of failing with "database is locked", reads a
 * finished store on read-only media, and checks the runs it reads against
 * their checksums. */
#ifndef RLZ_TOOLS_CLI_STORE_H
#define RLZ_TOOLS_CLI_STORE_H

typedef struct rlz_store rlz_store;

/* Open path read-only, verify the runs of hash (all when NULL), and begin
 * a read transaction, so that what the command reads is the snapshot that
 * was verified; the commands read it through the store module's functions
 * (all SQL lives in lib/sweep). Returns the store (also in *store, the
 * handle to close), or NULL after printing one line
 * "richeta <cmd>: <reason>". */
rlz_store *rlz_cli_store_open(const char *cmd, const char *path, const char *hash,
                              rlz_store **store);
/* End the transaction and close (NULL is a no-op). */
void rlz_cli_store_close(rlz_store *store);

#endif
