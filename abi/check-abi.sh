#!/bin/sh
# Compare a build's libricheta against the committed ABI baseline.
#   1. exported symbols (nm -D, with version nodes) against abi/symbols.txt:
#      a removed or re-versioned symbol is an incompatible change;
#   2. abidiff (libabigail) of abi/richeta-<arch>.abi against the library,
#      public types only: exit bit 8 (incompatible change) fails.
# Added symbols and compatible changes pass with a notice (record them with
# abi/update-baseline.sh); with --strict they fail, so that a release cannot
# ship an ABI different from its baseline.
# Usage: abi/check-abi.sh [--strict] BUILD_DIR
# Exit status: 0 compatible, 1 incompatible or error, 77 skipped (no debug
# info, libabigail missing, or no baseline committed yet).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
strict=0
if [ "${1:-}" = "--strict" ]; then
  strict=1
  shift
fi
build=${1:?usage: abi/check-abi.sh [--strict] BUILD_DIR}
say() { printf 'check-abi: %s\n' "$*"; }
lib=$(abi_find_lib "$build") || { say "FAIL: no libricheta.so.* in $build/lib"; exit 1; }
if [ ! -f "$abi_baseline" ] || [ ! -f "$abi_symbols" ]; then
  say "SKIP: no baseline for $abi_arch (run abi/update-baseline.sh)"
  exit 77
fi
status=0
notes=""

# ---- 1. symbol list ----
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$abi_symbols" | LC_ALL=C sort -u >"$tmp/base"
abi_list_symbols "$lib" >"$tmp/now"
cp "$tmp/now" "$tmp/exports"
if ! grep -q '@' "$tmp/base"; then
  # a baseline written without version nodes: compare names only
  say "note: $abi_symbols has no version nodes; comparing names only (regenerate with abi/update-baseline.sh)"
  sed 's/@.*//' "$tmp/exports" | LC_ALL=C sort -u >"$tmp/now"
fi
removed=$(LC_ALL=C comm -23 "$tmp/base" "$tmp/now")
added=$(LC_ALL=C comm -13 "$tmp/base" "$tmp/now")
if [ -n "$removed" ]; then
  say "INCOMPATIBLE: symbols removed or moved to another version node:"
  printf '  %s\n' $removed
  status=1
fi
if [ -n "$added" ]; then
  say "symbols added since the baseline (compatible; record with abi/update-baseline.sh):"
  printf '  %s\n' $added
  notes="$notes $(printf '%s\n' "$added" | wc -l) added symbols;"
  [ $strict = 1 ] && status=1
fi
# every export is a richeta_ function in a RICHETA_ version node
stray=$(grep -v '^richeta_[a-z0-9_]*@@\?RICHETA_[0-9.]*$' "$tmp/exports" || true)
if [ -n "$stray" ]; then
  say "INCOMPATIBLE: exports outside the richeta_ namespace or without a version node:"
  printf '  %s\n' $stray
  status=1
fi

# ---- 2. abidiff ----
if ! command -v abidiff >/dev/null 2>&1; then
  say "abidiff not found (Debian: abigail-tools): type-level check skipped"
  notes="$notes abidiff missing;"
  [ $strict = 1 ] && status=1
elif ! abi_has_debug_info "$lib"; then
  say "$lib has no DWARF (use buildtype debug or debugoptimized): type-level check skipped"
  notes="$notes no debug info;"
  [ $strict = 1 ] && status=1
else
  suppr=""
  [ -f "$abi_suppr" ] && suppr="--suppressions $abi_suppr"
  rc=0
  # shellcheck disable=SC2046,SC2086
  abidiff --drop-private-types --no-added-syms $suppr \
    $(abi_headers_args "$build" | sed 's/--headers-dir/--headers-dir2/g') \
    "$abi_baseline" "$lib" >"$tmp/abidiff.txt" 2>&1 || rc=$?
  if [ $((rc & 3)) -ne 0 ]; then
    cat "$tmp/abidiff.txt"
    say "FAIL: abidiff could not compare (exit $rc)"
    status=1
  elif [ $((rc & 8)) -ne 0 ]; then
    cat "$tmp/abidiff.txt"
    say "INCOMPATIBLE: abidiff found an incompatible ABI change (exit $rc)"
    status=1
  elif [ $((rc & 4)) -ne 0 ]; then
    cat "$tmp/abidiff.txt"
    # libabigail calls some changes that break our promises merely "ABI
    # changes": enumerator values are pinned (a changed or deleted value is
    # incompatible), and so are sizes, offsets and types. Appended
    # enumerators and added members at the end of callback tables are fine.
    if grep -Eq "from value|deletion|deleted|removed|size changed|offset changed|changed from|was replaced by|type name changed" \
      "$tmp/abidiff.txt"; then
      say "INCOMPATIBLE: pinned values, sizes, offsets or types changed (abidiff exit $rc)"
      status=1
    else
      say "compatible ABI change (abidiff exit $rc): review, then record with abi/update-baseline.sh"
      notes="$notes compatible type changes;"
      [ $strict = 1 ] && status=1
    fi
  fi
fi

n=$(wc -l <"$tmp/now")
if [ $status -ne 0 ]; then
  say "FAIL: $(basename "$lib") is not ABI-compatible with abi/$(basename "$abi_baseline") ($n exports;$notes)"
  exit 1
fi
say "OK: $(basename "$lib") matches abi/$(basename "$abi_baseline") ($n exports;${notes:- no changes})"
