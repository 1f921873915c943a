# TAP helpers of the CLI test scripts, sourced by them: a scratch directory
# $tmp removed on exit, and ok / notok / check printing one TAP line per
# case (the scripts end with: echo "1..$n"; [ $fails -eq 0 ]).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # check NAME COMMAND...: the command's exit status decides
  name=$1
  shift
  if "$@" >"$tmp/check.out" 2>&1; then ok "$name"; else notok "$name"; sed 's/^/# /' "$tmp/check.out"; fi
}
