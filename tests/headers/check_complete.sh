#!/bin/sh
# Every header in include/richlazy must be checked by a headers test (and so
# be listed in tests/headers/meson.build): a new header cannot slip through.
# usage: check_complete.sh SRC_HEADER_DIR CHECKED_HEADER...
set -eu
dir=$1
shift
status=0
for f in "$dir"/*.h "$dir"/*.h.in; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .in)
  found=0
  for h in "$@"; do
    [ "$h" = "$name" ] && found=1
  done
  if [ $found -eq 0 ]; then
    echo "header $name is not compiled alone by the headers suite"
    status=1
  fi
done
[ $status -eq 0 ] && echo "all $# public headers are checked"
exit $status
