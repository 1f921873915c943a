/* Internal access to a configuration. */
#ifndef RLZ_CONFIG_INTERNAL_H
#define RLZ_CONFIG_INTERNAL_H

#include "core/core.h"
#include <richlazy/config.h>

/* Allocator every handle created from cfg copies. */
const rlz_alloc *rlz_config_alloc(const richeta_config *cfg);
/* Unchecked typed reads for handle constructors: the key must exist and
 * have that type (a bug otherwise, caught by tests). */
int64_t rlz_config_int(const richeta_config *cfg, richeta_param p);
double rlz_config_double(const richeta_config *cfg, richeta_param p);
const char *rlz_config_string(const richeta_config *cfg, richeta_param p);

/* The canonical spec string that names a configuration in stores: that of
 * richeta_config_to_string() without the keys added after 1.0 that are at
 * their default. Same buffer contract as richeta_config_to_string(). */
richeta_status rlz_config_hash_text(const richeta_config *cfg, char *buf, size_t cap,
                                    size_t *needed);

#endif
