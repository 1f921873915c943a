#!/bin/sh
# kill -9 a running `richeta sweep`, run the same command again, and check
# that the exported table equals the one of an uninterrupted sweep (every
# column but the wall time).
set -u
R=${1:?usage: sweep_resume.sh path/to/richeta}
T=$(mktemp -d /tmp/sweep_resume.XXXXXX)
trap 'rm -rf "$T"' EXIT
ARGS="--D 8 --N 32 --L 3 --B 16 --T 400 --eval_n 32 --act identity --workers 1
      --gamma-grid 1e-3:1e3:2 --eta-grid 1e-8:1e4:4 --nseeds 2 --no-report"
table() { "$R" export --db "$1" | cut -d, -f1-13 | sort; }

"$R" sweep --db "$T/full.db" $ARGS || { echo "not ok 1 - uninterrupted sweep"; exit 1; }
total=$(($(table "$T/full.db" | wc -l) - 1))

"$R" sweep --db "$T/killed.db" $ARGS &
pid=$!
i=0
have=0
while [ $i -lt 3000 ]; do
  have=$("$R" export --db "$T/killed.db" 2>/dev/null | wc -l)
  [ "$have" -gt $((total / 3)) ] && break
  sleep 0.01
  i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
killed_rc=$?
before=$(($("$R" export --db "$T/killed.db" | wc -l) - 1))
n=0
fails=0
if [ $killed_rc -eq 137 ] && [ $before -gt 0 ] && [ $before -lt $total ]; then
  echo "ok 1 - killed mid-sweep with $before of $total runs stored"
else
  echo "not ok 1 - kill did not land mid-sweep (rc $killed_rc, $before of $total)"
  fails=1
fi
"$R" sweep --db "$T/killed.db" $ARGS
if [ $? -eq 0 ]; then echo "ok 2 - resumed sweep exits 0"; else echo "not ok 2 - resume failed"; fails=1; fi
if [ "$(table "$T/full.db")" = "$(table "$T/killed.db")" ]; then
  echo "ok 3 - resumed table equals the uninterrupted one ($total runs)"
else
  echo "not ok 3 - tables differ"
  fails=1
fi
echo "1..3"
[ $fails -eq 0 ]
