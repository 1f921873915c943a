#!/bin/sh
# Compile one public header alone (twice, to test its include guard) as C99
# and as C++11 with every warning an error.
# usage: check_header.sh HEADER SRC_INCLUDE BUILD_INCLUDE CC [CXX]
# CC/CXX may hold several words ("ccache gcc"). Exit 77 (skip) without C++.
set -eu
header=$1 srcinc=$2 buildinc=$3 cc=$4 cxx=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <richlazy/%s>\n#include <richlazy/%s>\nint main(void) { return 0; }\n' \
  "$header" "$header" > "$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cpp"
# shellcheck disable=SC2086
$cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$srcinc" -I"$buildinc" -c "$tmp/t.c" -o "$tmp/c.o"
echo "C99: <richlazy/$header> ok"
if [ -z "$cxx" ]; then
  echo "no C++ compiler: C++ check skipped"
  exit 77
fi
# shellcheck disable=SC2086
$cxx -std=c++11 -Wall -Wextra -pedantic -Werror -I"$srcinc" -I"$buildinc" -c "$tmp/t.cpp" -o "$tmp/cxx.o"
echo "C++11: <richlazy/$header> ok"
