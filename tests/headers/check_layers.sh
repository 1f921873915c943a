#!/bin/sh
# Layering (docs/internals.md): lib/core calls nothing above it, so its
# files include only headers of lib/core itself ("core.h", "core/fileio.h")
# and public or system headers, never another module's ("numeric/numeric.h");
# and the commands (tools/) leave SQL to the store module.
# usage: check_layers.sh SOURCE_DIR
set -u
src=$1
bad=$(grep -n '#include "[a-z_]*/' "$src"/lib/core/*.c "$src"/lib/core/*.h | grep -v '#include "core/')
if [ -n "$bad" ]; then
  echo "lib/core includes headers of the modules above it:"
  echo "$bad"
  exit 1
fi
# All SQL lives in the store module (lib/sweep): the commands read stores
# through its functions, so no file of tools/ includes SQLite's header.
bad=$(grep -rn '#include <sqlite3.h>' "$src"/tools)
if [ -n "$bad" ]; then
  echo "tools/ talks SQL itself instead of through lib/sweep's store functions:"
  echo "$bad"
  exit 1
fi
