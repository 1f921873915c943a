/* The parameter table: names, types, bounds and defaults of every
 * richeta_param (one row per key). */
#ifndef RLZ_PARAMS_H
#define RLZ_PARAMS_H

#include <richlazy/config.h>

typedef struct rlz_param_def {
  richeta_param id;
  const char *name;
  richeta_param_type type;
  double lo, hi; /* inclusive bounds (numeric types) */
  int lo_open;   /* 1: lo itself excluded */
  int64_t def_int;
  double def_double;
  const char *def_string;
  const char *const *values; /* enumeration names indexed by value, or NULL */
  int nvalues;
  const char *help; /* one line, for --help texts */
  /* Minor release that added the key (0: 1.0). Keys added later are left
   * out of the hashed text while at their default (rlz_config_hash_text),
   * so that stores written before they existed stay valid. */
  int since_minor;
} rlz_param_def;

extern const rlz_param_def rlz_param_table[];
extern const int rlz_param_count;

/* Row index of a key, or -1. */
int rlz_param_index(richeta_param p);
/* Readable aliases of spec names ("width" for N, "lr" for eta0): accepted
 * wherever a name is (spec strings, config files, --set, flags, Python);
 * canonical text always uses the spec names. */
typedef struct rlz_param_alias {
  const char *alias; /* '_' between words; '-' is read as '_' too */
  const char *name;  /* the spec name it stands for */
} rlz_param_alias;
extern const rlz_param_alias rlz_param_aliases[];
extern const int rlz_param_alias_count;

/* Row index of a spec name or alias (case-sensitive; '-' read as '_'), or -1. */
int rlz_param_index_by_name(const char *name);
/* Edit distance of two short names, case-insensitive (adjacent swaps count
 * one); 99 for names longer than 62 bytes. */
int rlz_name_distance(const char *a, const char *b);
/* The spec name or alias closest to an unknown name (at most two edits,
 * or a different case), or NULL: for "did you mean" hints. */
const char *rlz_param_closest_name(const char *name);

#endif
