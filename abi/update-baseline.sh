#!/bin/sh
# Regenerate the committed ABI baseline from a build: abi/richeta-<arch>.abi
# (abidw) and abi/symbols.txt (nm -D). Run it only when the public ABI changes
# on purpose (docs/abi-policy.md): before a release, after adding functions.
# Usage: abi/update-baseline.sh [BUILD_DIR]
#   without BUILD_DIR, a debugoptimized build is made in ${TMPDIR:-/tmp}/richeta-abi.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
build=${1:-}
if [ -z "$build" ]; then
  build=${TMPDIR:-/tmp}/richeta-abi
  [ -f "$build/build.ninja" ] ||
    meson setup "$build" "$abi_src" -Dbuildtype=debugoptimized -Ddocs=false -Dtests=false \
      -Dtools=false >/dev/null
  ninja -C "$build" >/dev/null
fi
lib=$(abi_find_lib "$build") || { echo "update-baseline: no libricheta.so.* in $build/lib" >&2; exit 1; }
abi_has_debug_info "$lib" ||
  { echo "update-baseline: $lib has no DWARF: use a debug or debugoptimized build" >&2; exit 1; }
# shellcheck disable=SC2046
abidw $(abi_headers_args "$build") --drop-private-types --no-corpus-path --no-comp-dir-path \
  --short-locs --type-id-style hash --out-file "$abi_baseline" "$lib"
abi_list_symbols "$lib" >"$abi_symbols"
echo "update-baseline: wrote $abi_baseline and $abi_symbols ($(wc -l <"$abi_symbols") symbols," \
  "soname $(basename "$lib"))"
