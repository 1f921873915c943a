#!/bin/sh
# Build the installed static archive from the internal one: link every
# object into one relocatable object (ld -r), make its hidden symbols local
# (objcopy --localize-hidden: the library's rlz_* internals are hidden, its
# richeta_* API has default visibility), and archive that one object.
# usage: prelink_static.sh IN.a OUT.a LD OBJCOPY AR
set -eu
in=$1 out=$2 ld=$3 objcopy=$4 ar=$5
tmp="$out.prelink.o"
rm -f "$tmp" "$out"
"$ld" -r -o "$tmp" --whole-archive "$in"
"$objcopy" --localize-hidden "$tmp"
"$ar" rcs "$out" "$tmp"
rm -f "$tmp"
