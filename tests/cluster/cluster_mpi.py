#!/usr/bin/env python3
"""richeta-mpi: mpirun -np 1, 2 and 4 store the single-process table bit for
bit (runs and curves, wall times aside), dense sweeps too; the store is
resumable by `richeta sweep` (same hash); a worker rank killed with SIGKILL
ends the job without losing or changing a stored run, status names what it
was running, and rerunning the command finishes the sweep with nothing lost
or duplicated; --journal delete writes a rollback-journal store; bad flags
are usage errors; the mpirun example script runs.
Runs on one machine with shared-memory transport only (no network needed).
usage: cluster_mpi.py RICHETA_CLI RICHETA_MPI MPIRUN SOURCE_ROOT"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterlib import SMALL, Tap, count, run, same_tables, tmpdir  # noqa: E402


def launcher(mpirun):
    cmd = [mpirun, "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader",
           "--mca", "btl_vader_single_copy_mechanism", "none"]
    if os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    return cmd


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    cli, mpi, mpirun, root = sys.argv[1:5]
    t = Tap()
    tmp, cleanup = tmpdir("richeta-mpi-")
    launch = launcher(mpirun)
    j = lambda name: os.path.join(tmp, name)  # noqa: E731
    try:
        r = run([cli, "sweep", "--db", j("full.db"), "--no-report", *SMALL])
        if not t.check(r.returncode == 0, "single-process reference sweep", r.stderr):
            return t.done()
        total = count(j("full.db"))
        for np in (1, 2, 4):
            r = run([*launch, "-np", str(np), mpi, "--db", j(f"np{np}.db"), "--json", *SMALL])
            lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
            summary = lines[-1] if lines else {}
            eq, diff = same_tables(j("full.db"), j(f"np{np}.db"))
            t.check(r.returncode == 0 and eq and summary.get("runs_stored") == total
                    and summary.get("ranks") == np and len(lines) == total + 1,
                    f"mpirun -np {np}: the single-process table, bit for bit",
                    f"rc {r.returncode} {diff}\n{r.stderr}")
        ranks = {l.get("rank") for l in
                 (json.loads(x) for x in r.stdout.splitlines() if x.startswith("{"))} - {None}
        t.check(ranks == {1, 2, 3}, f"with 4 ranks, ranks 1..3 trained ({sorted(ranks)})")

        r = run([cli, "sweep", "--db", j("np2.db"), "--json", "--no-report", *SMALL])
        t.check(r.returncode == 0 and r.stdout.count('"cached":true') == total,
                "richeta sweep resumes an MPI store: every run found stored", r.stderr)

        dense = ["--mode", "dense", "--eta-grid", "1e-6:1e2:1"]
        r0 = run([cli, "sweep", "--db", j("dfull.db"), "--no-report", *SMALL, *dense])
        r = run([*launch, "-np", "3", mpi, "--db", j("dense.db"), *SMALL, *dense])
        eq, diff = same_tables(j("dfull.db"), j("dense.db"))
        t.check(r0.returncode == 0 and r.returncode == 0 and eq,
                "dense sweep on 3 ranks (cells as units): the single-process table",
                diff + r.stderr)

        r = run([*launch, "-np", "2", mpi, "--db", j("nfs.db"), "--journal", "delete", *SMALL])
        con = sqlite3.connect(j("nfs.db"))
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        con.close()
        t.check(r.returncode == 0 and mode == "delete" and same_tables(j("full.db"), j("nfs.db"))[0]
                and not os.path.exists(j("nfs.db-wal")),
                f"--journal delete: a rollback-journal store ({mode}), same table", r.stderr)

        for bad in (["--shard", "0/2"], ["--gamma-grid", "10:1:2"], ["--journal", "nfs"],
                    ["--workers", "2"]):
            r = run([*launch, "-np", "2", mpi, "--db", j("bad.db"), *SMALL, *bad])
            t.check(r.returncode == 2 and r.stderr.count("richeta mpi:") == 1,
                    f"richeta-mpi {' '.join(bad)}: usage error, said once", r.stderr)
        t.check(not os.path.exists(j("bad.db")), "no usage error created a store")

        # ---- a worker rank killed mid-sweep, then the same command again ----
        slow = ["--D", "8", "--N", "32", "--L", "3", "--B", "16", "--T", "1000", "--eval_n",
                "32", "--act", "identity", "--gamma-grid", "1e-3,1e-1,10,1e3", "--eta-grid",
                "1e-8:1e4:4", "--nseeds", "2"]
        r = run([cli, "sweep", "--db", j("slow_ref.db"), "--no-report", "--workers", "2", *slow])
        ref_total = count(j("slow_ref.db"))
        t.check(r.returncode == 0 and ref_total > 100, f"reference of the kill test ({ref_total})",
                r.stderr)
        cmd = [*launch, "-np", "3", mpi, "--db", j("kill.db"), *slow]
        key_sql = ("SELECT count(*) FROM runs WHERE config_hash = ? AND gamma = ? AND eta0 = ?"
                   " AND seed = ?")
        unstored = ("SELECT s.pid, s.config_hash, s.gamma, s.eta0, s.seed FROM run_starts s"
                    " LEFT JOIN runs r ON r.config_hash = s.config_hash AND r.gamma = s.gamma"
                    " AND r.eta0 = s.eta0 AND r.seed = s.seed WHERE s.rank = 1 AND r.id IS NULL")

        def query(sql, *args):
            try:  # the store may not exist yet
                con = sqlite3.connect(f"file:{j('kill.db')}?mode=ro", uri=True, timeout=30)
            except sqlite3.OperationalError:
                return []
            try:
                return con.execute(sql, args).fetchall()
            except sqlite3.OperationalError:
                return []
            finally:
                con.close()

        # Freeze rank 1 (SIGSTOP), let rank 0 store what it sent, and kill it
        # if it is frozen inside a run (started, not stored): that run is then
        # surely lost, whatever the machine's load. Frozen between two runs:
        # let it go on and look again.
        seen = victim = None
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < deadline and victim is None:
            time.sleep(0.02)
            rows = query("SELECT pid FROM run_starts WHERE rank = 1 LIMIT 1")
            if count(j("kill.db")) < 20 or not rows:
                continue
            pid = rows[0][0]
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                break
            time.sleep(0.3)
            inside = query(unstored)
            if inside:
                seen = set(query("SELECT config_hash, gamma, eta0, seed, final_loss, status"
                                 " FROM runs"))
                victim = inside[0]
                os.kill(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGCONT)
        try:
            _, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        lost = victim is not None and count(j("kill.db"), key_sql, victim[1:]) == 0
        stored = count(j("kill.db"))
        t.check(lost and p.returncode != 0 and 0 < stored < ref_total,
                f"killing rank 1 (pid {victim and victim[0]}) inside a run ends the job ({stored}"
                f" of {ref_total} runs stored)", err)
        victim = victim[0] if victim else None
        # mpirun may return while the other ranks are still being torn down
        con = sqlite3.connect(f"file:{j('kill.db')}?mode=ro", uri=True, timeout=30)
        pids = {r[0] for r in con.execute("SELECT DISTINCT pid FROM run_starts")}
        con.close()
        until = time.monotonic() + 30
        while time.monotonic() < until and any(alive(pid) for pid in pids):
            time.sleep(0.05)
        st = run([cli, "status", "--db", j("kill.db"), "--json"])
        units = [json.loads(l) for l in st.stdout.splitlines() if '"state"' in l]
        killed = [u for u in units if u["rank"] == 1 and u["state"] == "interrupted"]
        t.check(st.returncode == 0 and units and all(u["state"] != "running" for u in units)
                and killed and all(u["pid"] == victim for u in killed),
                "status names the killed rank's column as interrupted", st.stdout + st.stderr)
        r = run(cmd + ["--json"])
        summary = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")][-1:]
        con = sqlite3.connect(f"file:{j('kill.db')}?mode=ro", uri=True, timeout=30)
        after = set(con.execute("SELECT config_hash, gamma, eta0, seed, final_loss, status"
                                " FROM runs").fetchall())
        dup = con.execute("SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY config_hash, gamma,"
                          " eta0, seed HAVING count(*) > 1)").fetchone()[0]
        con.close()
        eq, diff = same_tables(j("slow_ref.db"), j("kill.db"))
        t.check(r.returncode == 0 and summary and summary[0]["runs_cached"] == stored
                and summary[0]["runs_stored"] == ref_total - stored,
                "the rerun stores exactly the missing runs", r.stdout[-300:] + r.stderr)
        t.check(seen is not None and seen <= after and dup == 0 and eq,
                "nothing lost, changed or duplicated: the table of an uninterrupted sweep", diff)

        # ---- the mpirun example script ----
        ex = os.path.join(root, "examples", "slurm")
        env = {"SWEEP_ENV": os.path.join(ex, "sweep.env"), "RICHETA": cli, "RICHETA_MPI": mpi,
               "RESULTS": j("results"), "TMPDIR": tmp, "SWEEP_FLAGS": " ".join(SMALL),
               "LAUNCH": " ".join(launch + ["-np", "3"])}
        r = run(["bash", os.path.join(ex, "mpi_sweep.sbatch")], env=env)
        eq, diff = same_tables(j("full.db"), j("results/mpi.db"))
        t.check(r.returncode == 0 and eq and "complete" in r.stdout,
                "examples/slurm/mpi_sweep.sbatch (through mpirun) stores the reference table",
                diff + r.stderr)
    finally:
        cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
