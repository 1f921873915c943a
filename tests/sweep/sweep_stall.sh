#!/bin/sh
# The default stall test of `richeta sweep` (--stall 0.9) on the three kinds
# of task the issue names: networks that died at a large rate (their loss
# stays at the zero predictor's) are 'stalled', not converged, on the linear
# teacher, the random-MLP teacher and Fashion-MNIST; runs that learned are
# converged on all three, including the MLP teacher's lazy runs that the old
# README threshold (--progress 0.1) called stalled; on Fashion-MNIST a
# network that learned only the class frequencies (held-out MSE 0.09, 0.9 x
# the zero predictor's) stalls against the constant predictor's loss.
# --stall 0 keeps the 1.0 protocol. --blowup inf: only NaN/Inf diverge.
# Cells are the ones measured in the issue's setting (D=16, N=64, L=3,
# B=32, T=400). Prints TAP. usage: sweep_stall.sh RICHETA PYTHON3
set -u
R=$1
PY=${2:-python3}
. "$(dirname "$0")/../cli/tap.sh"

# status of each dense cell: "gamma eta0 status message" lines
cells() { # cells DB
  "$R" export --db "$1" --format jsonl | "$PY" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print("%g %g %s %s" % (r["gamma"], r["eta0"], r["status"], r["message"] or ""))'
}
status_of() { # status_of FILE GAMMA ETA0
  awk -v g="$2" -v e="$3" '$1 == g && $2 == e { print $3 }' "$1"
}
expect() { # expect NAME FILE GAMMA ETA0 STATUS
  got=$(status_of "$2" "$3" "$4")
  if [ "$got" = "$5" ]; then ok "$1"; else notok "$1 (got '$got')"; sed 's/^/# /' "$2"; fi
}
sweep() { # sweep DB FLAGS...
  db=$1
  shift
  "$R" sweep --db "$db" --mode dense --workers 2 --no-report "$@" >"$tmp/sweep.out" 2>&1 ||
    { sed 's/^/# /' "$tmp/sweep.out"; return 1; }
}

# linear teacher, L = 3, gamma = 1e3: eta0 126 kills the network (loss stays
# at 1.00 of the zero predictor's), 63.1 learns (0.00)
check "linear teacher sweep runs" sweep "$tmp/lin.db" --gamma-grid 1000 --eta-grid 63.09573444801933,125.89254117941675
cells "$tmp/lin.db" >"$tmp/lin"
expect "linear teacher: a dead network is stalled" "$tmp/lin" 1000 125.893 stalled
expect "linear teacher: a learning network converged" "$tmp/lin" 1000 63.0957 converged
check "a stalled run says why" grep -q "no progress: final held-out loss" "$tmp/lin"
check "--stall 0: the 1.0 protocol counts the dead network as converged" \
  sweep "$tmp/lin0.db" --stall 0 --gamma-grid 1000 --eta-grid 125.89254117941675
cells "$tmp/lin0.db" >"$tmp/lin0"
expect "--stall 0 keeps the dead network converged" "$tmp/lin0" 1000 125.893 converged
check "--progress is the old name of --stall" \
  sweep "$tmp/lin0.db" --progress 0 --gamma-grid 1000 --eta-grid 125.89254117941675
"$R" sweep --db "$tmp/lin.db" --mode dense --gamma-grid 1000 --eta-grid 125.89254117941675 \
  --stall 0 --no-report --json >"$tmp/again" 2>&1
check "the stall factor is part of the sweep: --stall 0 reruns the cell" grep -q '"cached":false' "$tmp/again"
"$R" sweep --db "$tmp/x.db" --stall -1 >"$tmp/out" 2>"$tmp/err"
check "--stall -1 is a usage error naming the flag" sh -c "[ $? -eq 2 ] && grep -q -- '--stall' '$tmp/err'"

# random-MLP teacher, L = 3: lazy runs at gamma 0.1 end at 0.11-0.41 of the
# zero predictor's loss (the old 0.1 threshold called them stalled); eta0
# 7.94 at gamma 10 kills the network (1.00)
check "MLP teacher sweep runs" sweep "$tmp/mlp.db" --task mlp --gamma-grid 0.1,10 \
  --eta-grid 0.012589254117941675,0.063095734448019331,7.9432823472428150
cells "$tmp/mlp.db" >"$tmp/mlp"
expect "MLP teacher: a lazy network that learned converged" "$tmp/mlp" 0.1 0.0125893 converged
expect "MLP teacher: a lazy run near the edge converged" "$tmp/mlp" 0.1 0.0630957 converged
expect "MLP teacher: a dead network is stalled" "$tmp/mlp" 10 7.94328 stalled
check "MLP teacher under --stall 0.1 (the old README threshold) stalls the learning runs" \
  sweep "$tmp/mlp1.db" --stall 0.1 --task mlp --gamma-grid 0.1 --eta-grid 0.063095734448019331
cells "$tmp/mlp1.db" >"$tmp/mlp1"
expect "--stall 0.1 misreads a learning lazy run" "$tmp/mlp1" 0.1 0.0630957 stalled

# Fashion-MNIST (MSE on one-hot targets), gamma = 100: eta0 631 ends at the
# class prior's loss (0.90 of the zero predictor's), 158 learns (0.35)
FM=/usr/share/datasets/fashion-mnist
if [ -r "$FM/train-images-idx3-ubyte.gz" ]; then
  check "Fashion-MNIST sweep runs" sweep "$tmp/fm.db" --task file --data fashion-mnist \
    --gamma-grid 100 --eta-grid 158.48931924611142,630.95734448019329
  cells "$tmp/fm.db" >"$tmp/fm"
  expect "Fashion-MNIST: a network that learned only the class frequencies is stalled" \
    "$tmp/fm" 100 630.957 stalled
  check "Fashion-MNIST: its baseline is the constant predictor's loss" \
    grep -q "x the constant predictor's" "$tmp/fm"
  expect "Fashion-MNIST: a learning network converged" "$tmp/fm" 100 158.489 converged
else
  notok "Fashion-MNIST is missing from $FM (scripts/deps.sh installs dataset-fashion-mnist)"
fi

# --blowup inf: a run whose loss grows a few thousand-fold but stays finite
# is diverged under the default rule and not under the paper's
check "--blowup inf is accepted" "$R" train --blowup inf --T 1 --show-config
check "--blowup -inf and nan are refused" \
  sh -c "! \"$R\" train --blowup -inf --T 1 >/dev/null 2>&1 && ! \"$R\" train --blowup nan --T 1 >/dev/null 2>&1"
# gamma = 0.01, eta0 6.31e-4: the loss grows over 1000-fold and stays finite
for b in 1000 inf; do
  check "sweep with --blowup $b runs" sweep "$tmp/b$b.db" --blowup $b --gamma-grid 0.01 \
    --eta-grid 6.3095734448019331e-4
  cells "$tmp/b$b.db" >"$tmp/b$b"
done
expect "--blowup 1000: a 1000-fold growth is divergence" "$tmp/b1000" 0.01 0.000630957 diverged
expect "--blowup inf: the same run is not diverged (it stalls)" "$tmp/binf" 0.01 0.000630957 stalled
check "--eta0 inf is still refused" sh -c "! \"$R\" train --eta0 inf --T 1 >/dev/null 2>&1"

# catapults (L = 3, linear teacher, gamma = 0.1): at eta0 0.0501 the loss
# rises 39-fold by step 2, then falls to 0.1 of its start; at 0.001 it
# does not rise
check "catapult sweep runs" sweep "$tmp/cat.db" --gamma-grid 0.1 --eta-grid 0.001,0.050118723362727228
cells "$tmp/cat.db" >"$tmp/cat"
check "the sweep stores the catapult in the run's message" \
  sh -c "grep '^0.1 0.0501187 converged' '$tmp/cat' | grep -q 'catapult x[0-9.]* at step [0-9]'"
check "a run without one has no catapult note" sh -c "! grep '^0.1 0.001 ' '$tmp/cat' | grep -q catapult"
"$R" export --db "$tmp/cat.db" --format jsonl >"$tmp/cat.jsonl"
check "export gives its peak ratio (null without one)" \
  sh -c "grep -q '\"catapult\":[0-9]' '$tmp/cat.jsonl' && grep -q '\"catapult\":null' '$tmp/cat.jsonl'"
"$R" train --gamma 0.1 --eta0 0.050118723362727228 --json | tail -1 >"$tmp/train.json"
check "train reports the catapult and its step" \
  sh -c "grep -q '\"catapult\":[0-9]' '$tmp/train.json' && grep -q '\"catapult_step\":[0-9]' '$tmp/train.json'"

echo "1..$n"
[ "$fails" -eq 0 ]
