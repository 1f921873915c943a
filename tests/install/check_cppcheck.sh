#!/bin/sh
# Static analysis of the library sources (DESIGN 2.7): cppcheck over lib/
# with the build's compile commands; any warning fails.
# usage: check_cppcheck.sh CPPCHECK BUILD_DIR SRC_DIR
set -eu
cppcheck=$1 build=$2 src=$3
exec "$cppcheck" --quiet --project="$build/compile_commands.json" --file-filter="$src/lib/*" \
  --enable=warning,portability --inline-suppr --error-exitcode=1 \
  --suppressions-list="$src/tests/install/cppcheck-suppressions.txt" -j2
