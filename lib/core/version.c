/* Version identity (the build description, which asks the BLAS, is in
 * lib/numeric/blas_info.c: lib/core calls nothing above it). */
#include "core.h"
#include <richlazy/version.h>

int richeta_version_number(void) { return RICHETA_VERSION_NUMBER; }

const char *richeta_version_string(void) { return RICHETA_VERSION_STRING; }

int richeta_abi_version(void) { return RICHETA_ABI_VERSION; }
