# Shared by abi/check-abi.sh and abi/update-baseline.sh (sourced, not run).
# Finds the shared library of a build directory and lists its exports.

abi_src=$(cd "$(dirname "$0")/.." && pwd)
abi_dir=$abi_src/abi
abi_arch=$(uname -m)
abi_baseline=$abi_dir/richeta-$abi_arch.abi
abi_symbols=$abi_dir/symbols.txt
abi_suppr=$abi_dir/richeta.abignore

# The versioned shared object of a build dir (lib/libricheta.so.MAJOR).
abi_find_lib() {
  for f in "$1"/lib/libricheta.so.[0-9]*; do
    case $f in
    *.so.[0-9]) echo "$f"; return 0 ;;
    esac
  done
  for f in "$1"/lib/libricheta.so.*.*.*; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

# Exported (defined, dynamic) symbols with their version node, sorted:
# "richeta_model_new@@RICHETA_1.0". Version definition symbols are skipped.
abi_list_symbols() {
  nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWi]$/ { print $3 }' |
    grep -v '^RICHETA_[0-9.]*@@\?RICHETA_[0-9.]*$' | LC_ALL=C sort -u
}

# Public headers: the source tree's, plus the generated version.h of the build.
abi_headers_args() {
  printf -- '--headers-dir %s/include/richlazy ' "$abi_src"
  [ -d "$1/include/richlazy" ] && printf -- '--headers-dir %s/include/richlazy ' "$1"
  return 0
}

# abidw needs DWARF: a debug or debugoptimized build.
abi_has_debug_info() {
  readelf -S "$1" 2>/dev/null | grep -q '\.debug_info'
}
