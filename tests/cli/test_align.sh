#!/bin/sh
# `richeta align`: the escape steps' power law in gamma with its error next
# to gamma/eta's (the theory), and the collapse Q over a tau window. The
# curves are made to collapse exactly in tau = eta t / gamma:
# loss = 0.05 + 1 / (1 + (tau / 2)^4) with eta = gamma^(2/4), so the
# escape step grows as gamma^(1 - 2/4) = gamma^0.5 and the theory mapping
# collapses them. Prints TAP. usage: test_align.sh RICHETA
set -u
R=$1
. "$(dirname "$0")/tap.sh"

awk 'BEGIN {
  print "curve,gamma,eta,step,loss"
  for (k = 2; k <= 5; k++) {
    g = 10 ^ k; eta = g ^ 0.5
    for (j = 0; j <= 160; j++) {
      t = int(10 ^ (j / 20) + 0.5)
      if (t == last) continue
      last = t
      tau = eta * t / g
      printf "g%d,%g,%.10g,%d,%.10g\n", k, g, eta, t, 0.05 + 1 / (1 + (tau / 2) ^ 4)
    }
    last = 0
  }
}' >"$tmp/c.csv"

"$R" align --csv "$tmp/c.csv" --json >"$tmp/a.jsonl" 2>"$tmp/err"
check "align exits 0" [ $? -eq 0 ]
summary() { grep '"record":"summary"' "$tmp/$1" | tr ',{}' '\n\n\n' | grep "\"$2\":" | cut -d: -f2; }
near() { awk -v x="$1" -v y="$2" -v t="$3" 'BEGIN { exit !(x != "null" && (x - y < t && y - x < t)) }'; }
check "the escape steps grow as gamma^0.5" near "$(summary a.jsonl escape_slope)" 0.5 0.02
check "the escape fit's theory is gamma/eta's exponent 0.5" near "$(summary a.jsonl escape_theory)" 0.5 1e-9
check "four curves escape, the fit has an error" \
  sh -c "[ '$(summary a.jsonl escape_curves)' = 4 ] && [ '$(summary a.jsonl escape_stderr)' != null ]"
check "default tau window is [0, 10]" \
  sh -c "[ '$(summary a.jsonl tau_window_lo)' = 0 ] && awk 'BEGIN { exit !($(summary a.jsonl tau_window_hi) == 10) }'"
check "curves that collapse in tau give Q ~ 0 over the window" \
  near "$(summary a.jsonl collapse_theory_window)" 0 0.01
"$R" align --csv "$tmp/c.csv" --json --tau-window 0.5:3 >"$tmp/b.jsonl"
check "--tau-window LO:HI is used" near "$(summary b.jsonl tau_window_hi)" 3 1e-9
"$R" align --csv "$tmp/c.csv" --json --tau-window all >"$tmp/n.jsonl"
check "--tau-window all: no window Q" sh -c "[ '$(summary n.jsonl collapse_theory_window)' = null ]"
"$R" align --csv "$tmp/c.csv" >"$tmp/h.txt"
check "the text report names the escape law and the window" \
  sh -c "grep -q 'escape step ~ gamma^0.49.* +- 0.0' '$tmp/h.txt' && grep -q 'over tau in \[0, 10\]' '$tmp/h.txt'"
for bad in "3:1" "x:2" "-1:2" "5"; do
  "$R" align --csv "$tmp/c.csv" --tau-window "$bad" >"$tmp/out" 2>"$tmp/err"
  check "--tau-window $bad is a usage error" sh -c "[ $? -eq 2 ] && grep -q tau-window '$tmp/err'"
done
echo "1..$n"
[ "$fails" -eq 0 ]
