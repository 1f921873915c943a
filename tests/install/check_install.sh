#!/bin/sh
# Stage `meson install` into a temporary DESTDIR, then build and run a C and
# a C++ program with nothing but `pkg-config --cflags --libs richeta`.
# usage: check_install.sh MESON BUILD_DIR SRC_DIR CC [CXX]
set -eu
meson=$1 build=$2 src=$3 cc=$4 cxx=${5:-}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
"$meson" install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest/install.log" 2>&1 ||
  { cat "$dest/install.log"; echo "meson install failed"; exit 1; }
pc=$(find "$dest" -name richeta.pc | head -n 1)
[ -n "$pc" ] || { echo "richeta.pc was not installed"; exit 1; }
[ -n "$(find "$dest" -path '*/include/richlazy/richeta.h')" ] || { echo "headers missing"; exit 1; }
[ -n "$(find "$dest" -path '*/include/richlazy/version.h')" ] || { echo "version.h missing"; exit 1; }
so=$(find "$dest" -name 'libricheta.so.*' -type f | head -n 1)
[ -n "$so" ] || { echo "libricheta.so.* was not installed"; exit 1; }
libdir=$(dirname "$so")
# The staged .pc names the final prefix: point that prefix into DESTDIR.
export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
prefix=$(pkg-config --variable=prefix richeta) || { echo "pkg-config cannot find richeta"; exit 1; }
flags=$(pkg-config --define-variable=prefix="$dest$prefix" --cflags --libs richeta) ||
  { echo "pkg-config cannot resolve richeta"; exit 1; }
echo "pkg-config: $flags"
case "$flags" in *"$src"*) echo "flags point into the source tree"; exit 1;; esac
# No public header includes BLAS or LAPACKE: their include paths must not
# reach a consumer's compile line.
cflags=$(pkg-config --define-variable=prefix="$dest$prefix" --cflags richeta)
for dep in openblas lapacke cblas blas lapack; do
  dflags=$(pkg-config --cflags-only-I "$dep" 2>/dev/null || true)
  for f in $dflags; do
    case " $cflags " in *" $f "*) echo "pkg-config --cflags richeta leaks $dep's $f"; exit 1;; esac
  done
done
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/consumer.c" -o "$dest/consumer" $flags
LD_LIBRARY_PATH="$libdir" "$dest/consumer"
# Static linking: the installed archive plus `pkg-config --static --libs`
# (Requires.private / Libs.private must name every dependency).
a=$(find "$dest" -name libricheta.a | head -n 1)
if [ -n "$a" ]; then
  static_libs=$(pkg-config --define-variable=prefix="$dest$prefix" --static --libs richeta |
    sed 's/-lricheta//')
  # shellcheck disable=SC2086
  $cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/consumer.c" -o "$dest/consumer_static" \
    $(pkg-config --define-variable=prefix="$dest$prefix" --cflags richeta) "$a" $static_libs
  if ldd "$dest/consumer_static" | grep -q libricheta; then
    echo "static consumer still links libricheta.so"
    exit 1
  fi
  "$dest/consumer_static"
  # The archive exports nothing but the API: no global rlz_* internals.
  leaked=$(nm -g --defined-only "$a" | awk '$3 ~ /^rlz_/ {print $3}' | head -n 5)
  if [ -n "$leaked" ]; then
    echo "libricheta.a exports internal symbols: $leaked"
    exit 1
  fi
  # shellcheck disable=SC2086
  $cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/consumer_rlz.c" -o "$dest/consumer_rlz" \
    $(pkg-config --define-variable=prefix="$dest$prefix" --cflags richeta) "$a" $static_libs
  "$dest/consumer_rlz"
else
  echo "no libricheta.a installed (default_library=shared): static consumer skipped"
fi
if [ -n "$cxx" ]; then
  # shellcheck disable=SC2086
  $cxx -std=c++11 -Wall -Wextra -Werror "$src/tests/install/consumer.cpp" -o "$dest/consumer_cxx" $flags
  LD_LIBRARY_PATH="$libdir" "$dest/consumer_cxx"
else
  echo "no C++ compiler: C++ consumer skipped"
fi
# The installed command line program runs against the installed library.
bin=$(find "$dest" -path '*/bin/richeta' -type f | head -n 1)
if [ -n "$bin" ]; then
  LD_LIBRARY_PATH="$libdir" "$bin" version
fi
