#!/bin/sh
# The richeta program against hostile paths, foreign and damaged stores,
# BLAS limits and memory limits: nothing hangs, nothing crashes, nothing of
# the user's is destroyed. Special files live in a private temporary
# directory (the device node is made there, never the real /dev/null).
# Every command runs under `timeout`, so a hang is a failure (exit 124).
# Prints TAP. usage: test_hostile.sh RICHETA
set -u
R=$1
. "$(dirname "$0")/tap.sh"
T=$tmp
chmod 755 "$T" # the read-only media case reads it as another user
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
to() { timeout 60 "$@"; } # a hang becomes exit 124
SMALL="--input-dim 4 --width 8 --depth 2 --batch 4 --steps 20 --eval_n 16 --seed 1"
FAST="--D 8 --N 16 --L 2 --B 16 --T 40 --eval_n 32 --act identity"
GR="--gamma-grid 1e-3,1e-2,1,100,1000 --eta-grid 1e-8:1e3:2"

# ---- output paths: never replaced unless a regular file ----------------
fifo_checkpoint() {
  mkfifo "$T/ck.fifo"
  # shellcheck disable=SC2086
  to "$R" train $SMALL --checkpoint "$T/ck.fifo" >/dev/null 2>"$T/err"
  rc=$?
  [ $rc -eq 1 ] && [ -p "$T/ck.fifo" ] && grep -q "refusing to replace" "$T/err"
}
check "--checkpoint FIFO: refused (exit 1), the FIFO stays a FIFO" fifo_checkpoint

device_checkpoint() {
  if ! mknod "$T/null" c 1 3 2>/dev/null; then
    [ "$(id -u)" -ne 0 ] || return 1 # root must be able to
    echo "# not root: no device node to try"
    return 0
  fi
  # shellcheck disable=SC2086
  to "$R" train $SMALL --checkpoint "$T/null" >/dev/null 2>"$T/err"
  [ $? -eq 1 ] && [ -c "$T/null" ] && grep -q "character device" "$T/err" || return 1
  ln -s null "$T/to-null"
  # shellcheck disable=SC2086
  to "$R" train $SMALL --checkpoint "$T/to-null" >/dev/null 2>&1
  [ $? -eq 1 ] && [ -c "$T/null" ] && [ -L "$T/to-null" ]
}
check "--checkpoint on a device node (made in the temp dir) or a link to it: refused, kept" \
  device_checkpoint

symlink_checkpoint() {
  mkdir "$T/real"
  ln -s real/ck.bin "$T/ck.link"
  # shellcheck disable=SC2086
  to "$R" train $SMALL --checkpoint "$T/ck.link" >/dev/null 2>&1 || return 1
  [ -L "$T/ck.link" ] && [ -f "$T/real/ck.bin" ] &&
    to "$R" train --resume "$T/ck.link" >/dev/null 2>&1
}
check "--checkpoint through a symlink writes its target and keeps the link" symlink_checkpoint

dir_checkpoint() {
  mkdir "$T/adir"
  # shellcheck disable=SC2086
  to "$R" train $SMALL --checkpoint "$T/adir" >/dev/null 2>&1
  [ $? -eq 1 ] && [ -d "$T/adir" ]
}
check "--checkpoint on a directory: refused, kept" dir_checkpoint

stale_tmp_cleanup() {
  : >"$T/st.ckpt.tmp.AbC123"
  touch -d '1 hour ago' "$T/st.ckpt.tmp.AbC123"
  : >"$T/st.ckpt.tmp.Fresh1" # may belong to a live writer: kept
  # shellcheck disable=SC2086
  to "$R" train $SMALL --checkpoint "$T/st.ckpt" >/dev/null 2>&1 || return 1
  [ ! -e "$T/st.ckpt.tmp.AbC123" ] && [ -e "$T/st.ckpt.tmp.Fresh1" ] && [ -f "$T/st.ckpt" ]
}
check "a killed writer's old F.tmp.XXXXXX is removed by the next save, a fresh one kept" \
  stale_tmp_cleanup

# ---- input paths: FIFOs never block ------------------------------------
mkfifo "$T/in.fifo"
fifo_inputs() {
  to "$R" train --config "$T/in.fifo" >/dev/null 2>"$T/err"
  [ $? -eq 2 ] && grep -q "FIFO" "$T/err" || return 1
  to "$R" train --resume "$T/in.fifo" >/dev/null 2>&1
  [ $? -eq 1 ] || return 1
  for spec in "npz:$T/in.fifo" "cifar10:$T/in.fifo" "npy:$T/in.fifo,$T/in.fifo" \
    "idx:$T/in.fifo,$T/in.fifo"; do
    to "$R" train --task file --data "$spec" >/dev/null 2>&1
    rc=$?
    [ $rc -eq 1 ] || [ $rc -eq 2 ] || { echo "# $spec: exit $rc"; return 1; }
  done
  to "$R" align --csv "$T/in.fifo" >/dev/null 2>&1
  [ $? -eq 1 ] || return 1
  to "$R" export --db "$T/in.fifo" >/dev/null 2>&1
  [ $? -eq 1 ] || return 1
  to "$R" check --db "$T/in.fifo" >/dev/null 2>&1
  [ $? -eq 1 ]
}
check "FIFOs as --config, --resume, npz:, cifar10:, npy:, idx:, align --csv, --db: no hang" \
  fifo_inputs

proc_config() {
  to "$R" train --config /proc/self/status --steps 1 >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc -eq 2 ] && [ ! -s "$T/out" ]
}
check "--config /proc/self/status is parsed (and refused), not read as an empty spec" proc_config

# ---- stores ---------------------------------------------------------------
# shellcheck disable=SC2086
to "$R" sweep --db "$T/s.db" $FAST $GR --workers 2 --no-report >/dev/null 2>&1 ||
  notok "setup sweep"
cp "$T/s.db" "$T/pristine.db"

foreign_store() {
  python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute('create table mine(x)'); c.execute('insert into mine values (1)'); c.commit()" \
    "$T/user.db" || return 1
  cp "$T/user.db" "$T/user.orig"
  # shellcheck disable=SC2086
  to "$R" sweep --db "$T/user.db" $FAST --gamma-grid 1 --eta-grid 0.1 --no-report >/dev/null 2>"$T/err"
  [ $? -eq 1 ] && cmp -s "$T/user.db" "$T/user.orig" && [ ! -e "$T/user.db-wal" ] &&
    grep -q "not a sweep database" "$T/err"
}
check "a user's own SQLite file: sweep refuses (exit 1), file unchanged byte for byte" \
  foreign_store

future_store() {
  cp "$T/pristine.db" "$T/future.db"
  python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute(\"update meta set value='2' where key='schema_version'\"); c.commit()" \
    "$T/future.db" || return 1
  rows=$(python3 -c "
import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from runs').fetchone()[0])" \
    "$T/future.db")
  # shellcheck disable=SC2086
  to "$R" sweep --db "$T/future.db" $FAST --gamma-grid 1,2 --eta-grid 0.1 --no-report >/dev/null 2>&1
  [ $? -eq 1 ] || return 1
  for cmd in export fit check; do
    to "$R" $cmd --db "$T/future.db" >/dev/null 2>"$T/err"
    [ $? -eq 1 ] && grep -q "schema version 2" "$T/err" || { echo "# $cmd"; return 1; }
  done
  after=$(python3 -c "
import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from runs').fetchone()[0])" \
    "$T/future.db")
  [ "$rows" = "$after" ]
}
check "a schema-version-2 store: sweep, export, fit and check refuse it; nothing written" \
  future_store

truncated_store() {
  size=$(wc -c <"$T/pristine.db")
  for pct in 97 98 99; do
    head -c $((size * pct / 100)) "$T/pristine.db" >"$T/cut.db"
    to "$R" export --db "$T/cut.db" --curves >"$T/out" 2>"$T/err"
    [ $? -eq 1 ] && [ ! -s "$T/out" ] || { echo "# $pct%: exit or rows"; return 1; }
  done
}
check "stores truncated to 97-99%: export --curves exit 1, no partial rows" truncated_store

flipped_store() {
  cp "$T/pristine.db" "$T/flip.db"
  python3 - "$T/flip.db" <<'PY' || return 1
import sqlite3, struct, sys
p = sys.argv[1]
v = sqlite3.connect(p).execute("select final_loss from runs where final_loss is not null "
                               "order by id limit 1").fetchone()[0]
b = bytearray(open(p, "rb").read())
i = b.find(struct.pack(">d", v))
assert i >= 0
b[i + 7] ^= 1
open(p, "wb").write(b)
PY
  to "$R" export --db "$T/flip.db" >"$T/out" 2>"$T/err"
  [ $? -eq 1 ] && grep -q "checksum" "$T/err" || return 1
  to "$R" check --db "$T/flip.db" --json >"$T/out" 2>&1
  [ $? -eq 1 ] && grep -q '"verdict":"damaged"' "$T/out" && grep -q '"problem":"checksum"' "$T/out"
}
check "one flipped bit in a stored loss: export refuses, check reports the run" flipped_store

check_sound() {
  to "$R" check --db "$T/pristine.db" --json >"$T/out" 2>&1 || return 1
  for k in record db verdict schema_version integrity integrity_messages sweeps runs verified \
    unverified bad_checksum bad_curve orphans; do
    grep -q "\"$k\":" "$T/out" || { echo "# missing $k"; return 1; }
  done
  grep -q '"verdict":"ok"' "$T/out" && grep -q '"unverified":0' "$T/out" &&
    to "$R" check --db "$T/pristine.db" | grep -q ": ok ("
}
check "check --db on a sound store: exit 0, every key, every run verified" check_sound

special_outputs() {
  mkfifo "$T/out.fifo"
  to "$R" fit --db "$T/pristine.db" --save "$T/out.fifo" >/dev/null 2>&1
  [ $? -eq 1 ] && [ -p "$T/out.fifo" ] || { echo "# fit --save"; return 1; }
  to "$R" export --db "$T/pristine.db" --out "$T/out.fifo" >/dev/null 2>&1
  [ $? -eq 1 ] && [ -p "$T/out.fifo" ] || { echo "# export --out"; return 1; }
  to "$R" align --db "$T/pristine.db" --out "$T/out.fifo" >/dev/null 2>&1
  [ $? -eq 1 ] && [ -p "$T/out.fifo" ] || { echo "# align --out"; return 1; }
  # shellcheck disable=SC2086
  to "$R" sweep --db "$T/out.fifo" $FAST --gamma-grid 1 --eta-grid 0.1 --no-report >/dev/null 2>&1
  [ $? -eq 1 ] && [ -p "$T/out.fifo" ]
}
check "fit --save, export --out, align --out and sweep --db on a FIFO: refused, no hang" \
  special_outputs

export_out_atomic() {
  echo previous >"$T/exp.csv"
  to "$R" export --db "$T/flip.db" --out "$T/exp.csv" >/dev/null 2>&1
  [ $? -eq 1 ] && [ "$(cat "$T/exp.csv")" = previous ] || return 1
  to "$R" export --db "$T/future.db" --out "$T/new.csv" >/dev/null 2>&1
  [ $? -eq 1 ] && [ ! -e "$T/new.csv" ] && ! ls "$T"/new.csv.tmp.* >/dev/null 2>&1 || return 1
  to "$R" export --db "$T/pristine.db" --out "$T/exp.csv" >/dev/null 2>&1 &&
    head -1 "$T/exp.csv" | grep -q '^config_hash,gamma'
}
check "a failed export --out leaves no partial file and the old one intact" export_out_atomic

readers_next_to_writer() {
  # a writer that keeps opening and closing the store (a sweep per gamma:
  # the moments a reader without a busy timeout found it locked), readers
  # looping next to it until it is done
  rm -f "$T/live.db"* "$T/live.done"
  LIVE="--D 8 --N 16 --L 2 --B 16 --T 40 --eval_n 32 --act identity --workers 1 --no-report"
  # shellcheck disable=SC2086
  to "$R" sweep --db "$T/live.db" $LIVE --gamma-grid 1e-3 --eta-grid 1e-8:1e3:2 >/dev/null 2>&1 ||
    return 1
  (
    for g in 1e-2 1e-1 1 10 100 1000 2 3 4 5 6 7 8 9 11 12; do
      # shellcheck disable=SC2086
      to "$R" sweep --db "$T/live.db" $LIVE --gamma-grid $g --eta-grid 1e-8:1e3:2 >/dev/null 2>&1 ||
        echo "writer failed at gamma $g" >>"$T/live.err"
    done
    touch "$T/live.done"
  ) &
  wpid=$!
  bad=0
  tot=0
  while [ ! -e "$T/live.done" ]; do
    for cmd in export fit check; do
      tot=$((tot + 1))
      to "$R" $cmd --db "$T/live.db" >/dev/null 2>"$T/rerr" || {
        bad=$((bad + 1))
        sed 's/^/# /' "$T/rerr" | head -2
      }
    done
  done
  wait $wpid
  echo "# $bad of $tot reads failed"
  [ ! -e "$T/live.err" ] && [ $bad -eq 0 ] && [ $tot -ge 6 ]
}
check "export, fit and check looping next to a sweep that opens and closes: none fails" \
  readers_next_to_writer

read_only_media() {
  mkdir "$T/ro"
  cp "$T/pristine.db" "$T/ro/s.db"
  chmod 444 "$T/ro/s.db"
  chmod 555 "$T/ro"
  as=""
  rr=$R
  if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null || { echo "# no setpriv"; return 1; }
    as="setpriv --reuid=65534 --regid=65534 --clear-groups"
    # root ignores file modes, so the reader runs as nobody; nobody cannot
    # reach a build under /root (mode 700, as on a fresh machine): run a
    # copy of the program (it links libricheta statically) from the temp dir
    mkdir "$T/ro-bin" && cp "$R" "$T/ro-bin/richeta" && chmod 755 "$T/ro-bin" "$T/ro-bin/richeta" ||
      return 1
    rr=$T/ro-bin/richeta
  fi
  $as timeout 60 "$rr" export --db "$T/ro/s.db" >"$T/ro.out" 2>"$T/ro.err" || {
    sed 's/^/# /' "$T/ro.err"
    return 1
  }
  [ "$(wc -l <"$T/ro.out")" -gt 10 ] && $as timeout 60 "$rr" check --db "$T/ro/s.db" >/dev/null
}
check "a finished WAL store in a read-only directory exports and checks" read_only_media

# ---- BLAS limits and memory limits ---------------------------------------
many_workers() {
  rm -f "$T/w.db"*
  to "$R" sweep --db "$T/w.db" --D 32 --N 64 --L 2 --B 32 --T 30 --eval_n 32 --workers 200 \
    --mode dense --gamma-grid 1e-2:1e2:4 --eta-grid 1e-3:1e0:10 --no-report >/dev/null \
    2>"$T/w.err" || { sed 's/^/# /' "$T/w.err" | head -5; return 1; }
  ! grep -q "NUM_THREADS exceeded" "$T/w.err" || return 1
  rm -f "$T/w2.db"*
  to "$R" sweep --db "$T/w2.db" --D 32 --N 64 --L 2 --B 32 --T 30 --eval_n 32 --workers 2 \
    --mode dense --gamma-grid 1e-2:1e2:4 --eta-grid 1e-3:1e0:10 --no-report >/dev/null 2>&1 ||
    return 1
  # same table (wall times aside)
  to "$R" export --db "$T/w.db" | cut -d, -f1-14 >"$T/w.csv"
  to "$R" export --db "$T/w2.db" | cut -d, -f1-14 >"$T/w2.csv"
  cmp -s "$T/w.csv" "$T/w2.csv" && [ "$(wc -l <"$T/w.csv")" -gt 100 ]
}
check "--workers 200: no OpenBLAS overflow, no crash, the table of --workers 2" many_workers

memory_limit_train() {
  out=$( (ulimit -v 524288 && timeout 120 "$R" train --width 4096 --dtype f64 --steps 5 \
    --input-dim 64 --batch 32 >/dev/null) 2>&1)
  rc=$?
  echo "# $out"
  [ $rc -eq 1 ] && echo "$out" | grep -q "address-space limit"
}
check "ulimit -v 512 MiB, a 4096-wide f64 model: exit 1 with the reason, no hang" memory_limit_train

memory_limit_start() {
  out=$( (ulimit -v 131072 && OPENBLAS_NUM_THREADS=2 timeout 30 "$R" version) 2>&1)
  rc=$?
  echo "# $out"
  [ $rc -eq 1 ] && echo "$out" | grep -q "OPENBLAS_NUM_THREADS=1" || return 1
  (ulimit -v 131072 && OPENBLAS_NUM_THREADS=1 timeout 30 "$R" version >/dev/null)
}
check "ulimit -v 128 MiB: version exits 1 with the way out instead of hanging; works on 1 thread" \
  memory_limit_start

# ---- OpenBLAS kernels -------------------------------------------------------
coretype() {
  if ! grep -qw avx2 /proc/cpuinfo; then
    echo "# no AVX2 on this CPU: nothing better than OpenBLAS's choice to ask for"
    env -u OPENBLAS_CORETYPE "$R" version >/dev/null
    return
  fi
  core=$(env -u OPENBLAS_CORETYPE "$R" version | sed -n 's/^blas core: \([A-Za-z0-9]*\).*/\1/p')
  echo "# chosen: $core"
  case "$core" in Prescott | Core2 | Penryn | Dunnington | Nehalem | Sandybridge | "") return 1 ;; esac
  env OPENBLAS_CORETYPE=Haswell "$R" version | grep -q "^blas core: Haswell" || return 1
  own=$(env -u OPENBLAS_CORETYPE RICHETA_NO_CORETYPE_FIX=1 "$R" version |
    sed -n 's/.*blas_core=\([A-Za-z0-9]*\).*/\1/p')
  echo "# OpenBLAS alone: $own"
  [ -n "$own" ]
}
check "version under env -u OPENBLAS_CORETYPE reports a non-Prescott core on an AVX2 CPU" coretype

# ---- smaller checks --------------------------------------------------------
usage2() { to "$R" "$@" >/dev/null 2>&1; [ $? -eq 2 ]; }
check "--seed 2^53+1 is above its bound: usage error" usage2 train --seed 9007199254740993
check "--seeds 1,,2 is malformed: usage error" usage2 sweep --db "$T/x.db" --seeds 1,,2
check "--seeds 1, is malformed: usage error" usage2 sweep --db "$T/x.db" --seeds 1,
accepts_subnormal() {
  # shellcheck disable=SC2086
  to "$R" train $SMALL --gamma 1e-308 --dtype f64 >/dev/null 2>&1 &&
    to "$R" train $SMALL --set gamma=1e-308 --dtype f64 >/dev/null 2>&1
}
check "--gamma 1e-308 is accepted as --set gamma=1e-308 is" accepts_subnormal

show_config_resume() {
  # shellcheck disable=SC2086
  to "$R" train $SMALL --gamma 7 --checkpoint "$T/sc.ckpt" >/dev/null 2>&1 || return 1
  to "$R" train --show-config --resume "$T/sc.ckpt" | grep -q "gamma=7"
}
check "--show-config --resume F shows the checkpoint's configuration" show_config_resume

resume_threads() {
  # shellcheck disable=SC2086
  to "$R" train $SMALL --steps 40 --threads 1 --max-steps 10 --checkpoint "$T/th.ckpt" \
    >/dev/null 2>&1 || return 1
  to "$R" train --resume "$T/th.ckpt" --threads 2 >/dev/null 2>"$T/err" || return 1
  grep -q "saved with 1 BLAS thread" "$T/err" || return 1
  OPENBLAS_NUM_THREADS=2 to "$R" train --resume "$T/th.ckpt" >/dev/null 2>"$T/err" || return 1
  ! grep -q "warning" "$T/err"
}
check "a checkpoint records its BLAS thread count; --resume uses it, --threads N warns" \
  resume_threads

echo "1..$n"
[ $fails -eq 0 ]
