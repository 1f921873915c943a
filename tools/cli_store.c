/* Sweep databases opened by the commands: see cli_store.h. */
#include "cli_store.h"

#include "cli_util.h"
#include "sweep/sweep_internal.h"

rlz_store *rlz_cli_store_open(const char *cmd, const char *path, const char *hash,
                              rlz_store **store) {
  *store = NULL;
  rlz_alloc a;
  rlz_err e = {{0}};
  if (rlz_alloc_resolve(&a, NULL) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s: cannot set up an allocator", path);
    return NULL;
  }
  richeta_status st = rlz_store_open(store, path, 1, &a, &e);
  if (st != RICHETA_OK) {
    rlz_cli_error(cmd, "%s (%s)", e.msg, richeta_status_string(st));
    return NULL;
  }
  if (rlz_store_begin_read(*store, &e) != RICHETA_OK) {
    rlz_cli_error(cmd, "%s: %s", path, e.msg);
    rlz_store_close(*store);
    *store = NULL;
    return NULL;
  }
  st = rlz_store_verify_hash(*store, hash, &e);
  if (st != RICHETA_OK) {
    rlz_cli_error(cmd, "%s (%s)", e.msg, richeta_status_string(st));
    rlz_cli_store_close(*store);
    *store = NULL;
    return NULL;
  }
  return *store;
}

void rlz_cli_store_close(rlz_store *store) {
  if (!store)
    return;
  rlz_store_end_read(store);
  rlz_store_close(store);
}
