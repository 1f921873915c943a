#!/usr/bin/env python3
"""Shards, merge and status from the command line: shards 0..3 of 4 merged
give the single-process table; merging again changes nothing; dense shards
are balanced; --shard auto reads a Slurm array; bad --shard values are
usage errors; conflicting stores make merge fail cleanly and leave the
output as it was; status tells done, interrupted and missing units; the
Slurm job-array example runs as written (with Slurm's variables set by hand).
usage: cluster_shards.py RICHETA_CLI SOURCE_ROOT"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterlib import SMALL, Tap, count, run, same_tables, tmpdir  # noqa: E402


def status_json(cli, db, *extra):
    r = run([cli, "status", "--db", db, "--json", *extra])
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return r.returncode, [l for l in lines if "units" in l], [l for l in lines if "state" in l]


def main():
    cli, root = sys.argv[1], sys.argv[2]
    t = Tap()
    tmp, cleanup = tmpdir("richeta-shards-")
    try:
        j = lambda name: os.path.join(tmp, name)  # noqa: E731
        sweep = lambda db, *a: run([cli, "sweep", "--db", db, "--no-report", *SMALL, *a])  # noqa

        r = sweep(j("full.db"), "--workers", "2")
        if not t.check(r.returncode == 0, "single-process reference sweep", r.stderr):
            return t.done()
        total = count(j("full.db"))

        # ---- shards 0..3 of 4, merged ----
        rcs = [sweep(j(f"s{k}.db"), "--shard", f"{k}/4", "--workers", "1") for k in range(4)]
        t.check(all(x.returncode == 0 for x in rcs), "shards 0..3 of 4 exit 0",
                "\n".join(x.stderr for x in rcs))
        sizes = [count(j(f"s{k}.db")) for k in range(4)]
        t.check(sum(sizes) == total and all(s > 0 for s in sizes),
                f"the shards partition the sweep's {total} runs ({sizes})")
        ins = [j(f"s{k}.db") for k in range(4)]
        r = run([cli, "merge", "--json", j("all.db"), *ins])
        m = json.loads(r.stdout) if r.returncode == 0 else {}
        t.check(r.returncode == 0 and m.get("runs_added") == total and m.get("runs_identical") == 0,
                "merge adds every run once", r.stdout + r.stderr)
        eq, diff = same_tables(j("full.db"), j("all.db"))
        t.check(eq, "merged shards give the single-process table (runs and curves)", diff)
        r = run([cli, "merge", "--json", j("all.db"), *ins])
        m = json.loads(r.stdout) if r.returncode == 0 else {}
        t.check(r.returncode == 0 and m.get("runs_added") == 0 and m.get("runs_identical") == total
                and count(j("all.db")) == total and same_tables(j("full.db"), j("all.db"))[0],
                "merging again changes nothing", r.stdout + r.stderr)
        rc, plans, _ = status_json(cli, j("all.db"))
        t.check(rc == 0 and len(plans) == 1 and plans[0]["complete"]
                and plans[0]["shards_in_store"] == [0, 1, 2, 3] and plans[0]["done"] == 5,
                "status of the merged store: 5 of 5 columns done, shards 0..3", plans)
        rc, plans, _ = status_json(cli, j("s2.db"))
        t.check(rc == 0 and plans and plans[0]["shards_in_store"] == [2]
                and plans[0]["done"] == 1 and plans[0]["absent"] == 4
                and plans[0]["shards_unfinished"] == [],
                "status of shard 2's store: its column done, the others absent", plans)

        # ---- a store resumed by the plain sweep finds every run ----
        r = run([cli, "sweep", "--db", j("all.db"), "--json", "--no-report", *SMALL])
        cached = r.stdout.count('"cached":true')
        t.check(r.returncode == 0 and cached == total and '"cached":false' not in r.stdout,
                "richeta sweep on the merged store finds every run stored", r.stderr)

        # ---- dense shards: same table, balanced cells ----
        dense = ["--mode", "dense", "--eta-grid", "1e-6:1e2:1"]
        r = sweep(j("dfull.db"), *dense)
        ds = [sweep(j(f"d{k}.db"), *dense, "--shard", f"{k}/3") for k in range(3)]
        r2 = run([cli, "merge", j("dall.db"), *[j(f"d{k}.db") for k in range(3)]])
        eq, diff = same_tables(j("dfull.db"), j("dall.db"))
        t.check(r.returncode == 0 and all(x.returncode == 0 for x in ds) and r2.returncode == 0
                and eq, "dense shards 0..2 of 3 merged give the dense table", diff + r2.stderr)
        _, _, units = status_json(cli, j("dall.db"), "--all")
        per = [sum(1 for u in units if u["shard"] == k) for k in range(3)]
        t.check(len(units) == 45 and max(per) - min(per) <= 1,
                f"dense cells spread over shards within one ({per} of 45)")
        rows = {}
        for u in units:  # every eta0 row is spread too (diverging rows are cheap)
            rows.setdefault(u["eta0"], []).append(u["shard"])
        t.check(all(max(s.count(k) for k in range(3)) - min(s.count(k) for k in range(3)) <= 1
                    for s in rows.values()), "each eta0 row of the dense grid is spread over shards")

        # ---- --shard auto (a Slurm array task) ----
        env = {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"}
        r = run([cli, "sweep", "--db", j("auto1.db"), "--no-report", *SMALL, "--shard", "auto"],
                env=env)
        t.check(r.returncode == 0 and same_tables(j("auto1.db"), j("s1.db"))[0],
                "--shard auto with SLURM_ARRAY_TASK_ID=1, COUNT=4 runs shard 1/4", r.stderr)
        env = {"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10",
               "SLURM_ARRAY_TASK_MAX": "16", "SLURM_ARRAY_TASK_STEP": "2"}
        r = run([cli, "sweep", "--db", j("auto2.db"), "--no-report", *SMALL, "--shard", "auto"],
                env=env)
        t.check(r.returncode == 0 and same_tables(j("auto2.db"), j("s1.db"))[0],
                "--shard auto from the array's min/max/step (task 12 of 10-16:2 is 1/4)",
                r.stderr)

        # ---- bad --shard values: usage errors, one line ----
        bad = ["4/4", "-1/4", "1/0", "0/0", "a/b", "1/", "/4", "1.5/4", "1/4/2", "", "1e0/4",
               "0x1/4", " 1/4", "0/100001", "3"]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        for v in bad:
            r = subprocess.run([cli, "sweep", "--db", j("bad.db"), *SMALL, "--shard", v],
                               capture_output=True, text=True, env=clean)
            t.check(r.returncode == 2 and len(r.stderr.splitlines()) == 1
                    and "--shard" in r.stderr, f"--shard '{v}' is a usage error",
                    f"rc {r.returncode}: {r.stderr}")
        for name, env in (("outside an array", {}),
                          ("task id missing", {"SLURM_ARRAY_TASK_COUNT": "4"}),
                          ("list array", {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3",
                                          "SLURM_ARRAY_TASK_MIN": "1",
                                          "SLURM_ARRAY_TASK_MAX": "9"}),
                          ("garbage", {"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"})):
            e = dict(clean)
            e.update(env)
            r = subprocess.run([cli, "sweep", "--db", j("bad.db"), *SMALL, "--shard", "auto"],
                               capture_output=True, text=True, env=e)
            t.check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
                    f"--shard auto {name} is a usage error", r.stderr)
        r = run([cli, "sweep", "--db", j("bad.db"), *SMALL, "--shard", "0/2", "--plot", j("p")])
        t.check(r.returncode == 2, "--shard with --plot is a usage error", r.stderr)
        t.check(not os.path.exists(j("bad.db")), "no usage error created a store")

        # ---- conflicting stores ----
        shutil.copy(j("s1.db"), j("evil.db"))
        con = sqlite3.connect(j("evil.db"))
        g, e, s = con.execute("SELECT gamma, eta0, seed FROM runs WHERE status = 'converged'"
                              " ORDER BY id LIMIT 1").fetchone()
        con.execute("UPDATE runs SET final_loss = final_loss * 1.5 WHERE gamma = ? AND eta0 = ?"
                    " AND seed = ?", (g, e, s))
        con.commit()
        con.close()
        before = count(j("all.db"))
        r = run([cli, "merge", j("all.db"), j("evil.db")])
        t.check(r.returncode == 1 and "checksum" in r.stderr and count(j("all.db")) == before,
                "a run changed behind its checksum: the damaged input is refused", r.stderr)
        # the same change in a run without a checksum (as a 1.0 store has):
        # valid, and in conflict with the other stores
        con = sqlite3.connect(j("evil.db"))
        con.execute("DELETE FROM run_checksums WHERE run_id = (SELECT id FROM runs WHERE"
                    " gamma = ? AND eta0 = ? AND seed = ?)", (g, e, s))
        con.commit()
        con.close()
        r = run([cli, "merge", j("all.db"), j("evil.db")])
        msg = r.stderr
        t.check(r.returncode == 1 and len(msg.splitlines()) == 1 and "all.db" in msg
                and "evil.db" in msg and "final_loss" in msg and f"seed {s}" in msg,
                "a conflicting run fails the merge, naming both files and the run", msg)
        t.check(count(j("all.db")) == before and same_tables(j("full.db"), j("all.db"))[0],
                "the output of a failed merge is unchanged")
        r = run([cli, "merge", j("pair.db"), j("s1.db"), j("s0.db"), j("evil.db")])
        t.check(r.returncode == 1 and "s1.db" in r.stderr and "evil.db" in r.stderr
                and count(j("pair.db")) == 0,
                "a conflict between two inputs names both inputs; nothing is merged", r.stderr)
        con = sqlite3.connect(j("evil.db"))  # a curve point differs, the row does not
        con.execute("UPDATE runs SET final_loss = final_loss / 1.5 WHERE gamma = ? AND eta0 = ?"
                    " AND seed = ?", (g, e, s))
        last = con.execute("SELECT max(run_id) FROM curves").fetchone()[0]
        con.execute("UPDATE curves SET loss = loss * 2 WHERE run_id = ? AND step ="
                    " (SELECT max(step) FROM curves WHERE run_id = ?)", (last, last))
        con.execute("DELETE FROM run_checksums WHERE run_id = ?", (last,))
        con.commit()
        con.close()
        r = run([cli, "merge", j("all.db"), j("evil.db")])
        t.check(r.returncode == 1 and "curve point" in r.stderr,
                "a run whose curve differs is a conflict too", r.stderr)
        r = run([cli, "merge", j("all.db"), j("all.db")])
        t.check(r.returncode == 2, "merging a store into itself is a usage error", r.stderr)
        r = run([cli, "merge", j("all.db")])
        t.check(r.returncode == 2, "merge without inputs is a usage error", r.stderr)
        with open(j("junk.db"), "w") as f:
            f.write("not a database, not even close, nothing like one at all\n" * 4)
        r = run([cli, "merge", j("x.db"), j("junk.db")])
        t.check(r.returncode == 1 and "junk.db" in r.stderr, "merging a non-database fails",
                r.stderr)
        r = run([cli, "status", "--db", j("junk.db")])
        t.check(r.returncode == 1, "status of a non-database fails", r.stderr)

        # ---- status after kill -9: interrupted, then missing after a rerun ----
        slow = ["--D", "8", "--N", "32", "--L", "3", "--B", "16", "--T", "400", "--eval_n", "32",
                "--act", "identity", "--gamma-grid", "1e-3:1e3:1", "--eta-grid", "1e-8:1e4:4",
                "--workers", "1", "--no-report"]
        # freeze the sweep (SIGSTOP) and kill it only while a run it marked
        # started is not stored: killed inside a run, whatever the timing
        unstored = ("SELECT count(*) FROM run_starts s WHERE NOT EXISTS (SELECT 1 FROM runs r"
                    " WHERE r.config_hash = s.config_hash AND r.gamma = s.gamma"
                    " AND r.eta0 = s.eta0 AND r.seed = s.seed)")
        p = subprocess.Popen([cli, "sweep", "--db", j("k.db"), *slow],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, killed = time.monotonic() + 60, False
        while p.poll() is None and time.monotonic() < deadline and not killed:
            time.sleep(0.01)
            if count(j("k.db")) < 20:
                continue
            p.send_signal(signal.SIGSTOP)
            time.sleep(0.05)
            if count(j("k.db"), unstored) > 0:
                p.send_signal(signal.SIGKILL)
                killed = True
            else:
                p.send_signal(signal.SIGCONT)
        if not killed:
            p.kill()
        p.wait()
        rc, plans, units = status_json(cli, j("k.db"))
        states = sorted({u["state"] for u in units})
        r = run([cli, "sweep", "--db", j("k.db"), *slow])
        rc, plans, units = status_json(cli, j("k.db"))
        t.check(r.returncode == 0 and plans and plans[0]["complete"] and not units,
                "after the rerun, status says complete", units)

        # ---- the Slurm job-array example, run with Slurm's variables ----
        ex = os.path.join(root, "examples", "slurm")
        flags = " ".join(SMALL)
        env = {"SWEEP_ENV": os.path.join(ex, "sweep.env"), "RICHETA": cli,
               "RESULTS": j("results"), "TMPDIR": tmp, "SWEEP_FLAGS": flags,
               "SLURM_ARRAY_JOB_ID": "42", "SLURM_ARRAY_TASK_COUNT": "4"}
        ok = True
        for k in range(4):
            env["SLURM_ARRAY_TASK_ID"] = str(k)
            r = run(["bash", os.path.join(ex, "sweep_array.sbatch")], env=env)
            ok = ok and r.returncode == 0
        t.check(ok and all(os.path.exists(j(f"results/shard-{k}.db")) for k in range(4)),
                "examples/slurm/sweep_array.sbatch runs each array task", r.stderr)
        r = run(["bash", os.path.join(ex, "merge.sbatch")], env=env)
        eq, diff = same_tables(j("full.db"), j("results/sweep.db"))
        t.check(r.returncode == 0 and eq and "complete" in r.stdout,
                "examples/slurm/merge.sbatch merges the shards into the reference table",
                diff + r.stderr)
        env["SLURM_ARRAY_TASK_ID"] = "2"  # a resubmitted task runs nothing new
        r = run(["bash", os.path.join(ex, "sweep_array.sbatch")], env=env)
        t.check(r.returncode == 0 and "0 runs added" in r.stdout,
                "a resubmitted array task starts from its published store", r.stdout + r.stderr)
    finally:
        cleanup()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
