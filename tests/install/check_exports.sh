#!/bin/sh
# The shared library exports only richeta_* functions (plus the version-node
# symbols of lib/richeta.map), and every function declared RICHETA_API in a
# public header is exported, and nothing exported is undeclared.
# usage: check_exports.sh LIBRARY HEADER_DIR
set -eu
lib=$1 hdrs=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u >"$tmp/all"
[ -s "$tmp/all" ] || { echo "nm found no symbols in $lib"; exit 1; }
grep -v -E '^(richeta_[a-z0-9_]+|RICHETA_[0-9]+\.[0-9]+[A-Z_]*)$' "$tmp/all" >"$tmp/bad" || true
if [ -s "$tmp/bad" ]; then
  echo "symbols outside the richeta_ namespace are exported:"
  cat "$tmp/bad"
  exit 1
fi
grep -E '^richeta_' "$tmp/all" >"$tmp/exported" || true
# Names declared with RICHETA_API (the declaration may span lines: take the
# identifier right before the first '(' after RICHETA_API).
grep -h -v '^[[:space:]]*#' "$hdrs"/*.h | tr '\n' ' ' | grep -o 'RICHETA_API[^;(#]*(' |
  sed -E 's/.*[^a-zA-Z0-9_](richeta_[a-zA-Z0-9_]+)[[:space:]]*\($/\1/' |
  grep -E '^richeta_[a-z0-9_]+$' | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || { echo "no RICHETA_API declarations found in $hdrs"; exit 1; }
comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/missing"
comm -13 "$tmp/declared" "$tmp/exported" >"$tmp/extra"
status=0
if [ -s "$tmp/missing" ]; then
  echo "declared in a public header but not exported (lib/richeta.map? not implemented?):"
  cat "$tmp/missing"
  status=1
fi
if [ -s "$tmp/extra" ]; then
  echo "exported but declared in no public header:"
  cat "$tmp/extra"
  status=1
fi
[ $status -eq 0 ] && echo "$(wc -l <"$tmp/exported") exported symbols, all richeta_* and declared"
exit $status
