#!/bin/sh
# Slow suite: the gamma study recipe of docs/learning-rate.md on
# Fashion-MNIST, scaled down (gamma 0.1, 1, 10; 2 seeds; T = 300): richeta
# best tunes eta0 at every gamma (none at the grid's edge), reports
# held-out cross-entropy losses below ln 10 and accuracies well above
# chance (measured at full size: 0.73 - 0.80), with seed errors, and draws
# the plot when gnuplot is there. Prints TAP. usage: best_fashion.sh RICHETA
set -u
R=$1
. "$(dirname "$0")/../cli/tap.sh"
FM=/usr/share/datasets/fashion-mnist
if [ ! -r "$FM/train-images-idx3-ubyte.gz" ]; then
  notok "Fashion-MNIST is missing from $FM (scripts/deps.sh installs dataset-fashion-mnist)"
  echo "1..$n"
  exit 1
fi
check "the sweep runs" "$R" sweep --db "$tmp/fm.db" --task file --data fashion-mnist --loss ce \
  --L 3 --N 64 --T 300 --gamma-grid 0.1,1,10 --eta-grid 1e-4:1e4:4 --nseeds 2 --workers 2 \
  --no-report
"$R" best --db "$tmp/fm.db" --json >"$tmp/best.jsonl" 2>"$tmp/err"
check "best exits 0" [ $? -eq 0 ]
rows() { grep '"edge"' "$tmp/best.jsonl"; }
check "three gammas, every one tuned" \
  sh -c "[ \$(grep -c '\"edge\":false' '$tmp/best.jsonl') -eq 3 ]"
check "held-out losses below ln 10 with seed errors" \
  sh -c "grep '\"edge\"' '$tmp/best.jsonl' | grep '\"held_out\":true' | grep -v '\"loss_stderr\":null' | awk -F'\"test_final_loss\":' '{split(\$2, a, \",\"); if (a[1] >= 2.302) bad = 1; n++} END {exit bad || n != 3}'"
check "accuracies well above chance (0.1)" \
  sh -c "grep '\"edge\"' '$tmp/best.jsonl' | awk -F'\"test_accuracy\":' '{split(\$2, a, \",\"); if (!(a[1] > 0.6)) bad = 1; n++} END {exit bad || n != 3}'"
if command -v gnuplot >/dev/null 2>&1; then
  check "the plot is drawn" sh -c "\"$R\" best --db '$tmp/fm.db' --plot '$tmp/fm' >/dev/null && [ -s '$tmp/fm-best.png' ] && [ -s '$tmp/fm-best.svg' ]"
fi
echo "1..$n"
[ "$fails" -eq 0 ]
