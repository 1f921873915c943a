#!/bin/sh
# Issue 19 scale figures (a benchmark, not a test): one adaptive sweep run by
# richeta-mpi on 1, 2 and 4 ranks (wall time, speedup, efficiency, rank 0's
# idle share, the stored table checked bit-identical across rank counts),
# and the store's throughput as rank 0 drives it (bench/store_rate), from
# which: how many training ranks one writer can serve.
#
# usage: bench/cluster_scale.sh [BUILD_DIR] [OUT_DIR]
# Needs richeta-mpi (Open MPI found at configure time) and mpirun. Load
# averages are printed next to every timing: on a shared machine, quote
# ratios within one invocation only.
set -eu
B=${1:-build}
OUT=${2:-/tmp/richeta-cluster-scale}
R=$B/tools/richeta
M=$B/tools/mpi/richeta-mpi
SR=$B/bench/store_rate
[ -x "$M" ] || { echo "no $M: configure with Open MPI installed" >&2; exit 1; }
mkdir -p "$OUT"
# OpenBLAS 0.3.21 picks slow "Prescott" kernels on this CPU unless told
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
MPIRUN="mpirun --oversubscribe --bind-to none --mca btl self,vader --mca btl_vader_single_copy_mechanism none"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
# 17 gamma columns of a deep linear network, one seed: columns differ in
# cost (the lazy ones scan further down), as in real sweeps
SWEEP=${SWEEP:-"--D 16 --N 64 --L 3 --B 32 --T 400 --act identity
  --gamma-grid 1e-4:1e4:2 --eta-grid 1e-10:1e4:4 --nseeds 1"}

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
for np in ${RANKS:-1 2 4}; do
  rm -f "$OUT/np$np.db" "$OUT/np$np.db-wal" "$OUT/np$np.db-shm"
  echo "load before np=$np: $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2086
  $MPIRUN -np "$np" "$M" --db "$OUT/np$np.db" --json $SWEEP | tail -1 >"$OUT/np$np.json"
  echo "np=$np: $(cat "$OUT/np$np.json")"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== store throughput (run-start marker + commit per run, $OUT on $(df -T "$OUT" | awk 'NR==2 {print $2}'))"
: >"$OUT/store.jsonl"
for spec in "wal 2000 26" "wal 2000 200" "delete 200 26"; do
  set -- $spec
  "$SR" "$OUT/store.db" "$2" "$3" "$1" | tee -a "$OUT/store.jsonl"
  rm -f "$OUT/store.db" "$OUT/store.db-wal" "$OUT/store.db-shm" "$OUT/store.db-journal"
done

python3 - "$OUT" "$R" ${RANKS:-1 2 4} <<'PY'
import json, sqlite3, sys
out, cli, ranks = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]]
def table(db):
    con = sqlite3.connect(db)
    rows = sorted(con.execute("SELECT gamma, eta0, seed, eta, status, steps, initial_loss,"
                              " final_loss, best_loss, config FROM runs").fetchall())
    curves = con.execute("SELECT count(*), total(loss) FROM curves").fetchone()
    con.close()
    return rows, curves
s = {np: json.load(open(f"{out}/np{np}.json")) for np in ranks}
same = all(table(f"{out}/np{np}.db") == table(f"{out}/np{ranks[0]}.db") for np in ranks)
t1 = s[ranks[0]]["wall_time"]
print("\n| ranks | training ranks | wall s | speedup | eff./rank | eff./training rank |"
      " rank-0 idle | rank-0 store runs/s | runs |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for np in ranks:
    x = s[np]; w = max(np - 1, 1); sp = t1 / x["wall_time"]
    print(f"| {np} | {w} | {x['wall_time']:.2f} | {sp:.2f} | {sp / np:.2f} | {sp / w:.2f} |"
          f" {100 * x['rank0_idle_share']:.1f}% | {x['store_rate'] or float('nan'):.0f} |"
          f" {x['runs_stored']} |")
print(f"\ntables identical across rank counts (every column but wall time): {same}")
runs = s[ranks[0]]["runs_stored"]
t_run = s[ranks[0]]["worker_run_time"] / runs
print(f"mean training time per run (1 rank): {1e3 * t_run:.2f} ms")
for l in open(f"{out}/store.jsonl"):
    r = json.loads(l)
    print(f"store {r['journal']:6s} {r['curve_points']:4d} curve points: {r['runs_per_second']:8.1f}"
          f" runs/s -> one writer serves {r['runs_per_second'] * t_run:10.1f} ranks of these"
          f" {1e3 * t_run:.1f} ms runs, {r['runs_per_second'] * 36000:.3g} ranks of 10-hour runs")
PY
