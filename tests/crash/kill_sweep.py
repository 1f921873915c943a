#!/usr/bin/env python3
"""kill -9 during a sweep loses no finished run.

Runs `richeta sweep` once uninterrupted (reference), then again into a second
database while killing it with SIGKILL several times at random moments and
restarting it. Every run stored before a kill must still be stored after it
(with the same values), and the finished interrupted sweep must hold exactly
the reference table (wall times and row ids aside).
(The sweep unit suite kills a forked sweep once in-process; this test kills
the real command line program repeatedly.)
usage: kill_sweep.py RICHETA_CLI [KILLS]"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

COLS = ("gamma, eta0, seed, eta, status, steps, initial_loss, final_loss, best_loss, "
        "test_initial_loss, test_final_loss, test_best_loss, message, config")


def args(cli, db):
    return [cli, "sweep", "--db", db, "--no-report", "--mode", "dense", "--workers", "2",
            "--gamma-grid", "0.1,1,10", "--eta-grid", "1e-3:10:2", "--seeds", "0,1",
            "--D", "8", "--N", "32", "--L", "2", "--B", "16", "--T", "300",
            "--eval_n", "32"]


def table(db):
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(f"SELECT {COLS} FROM runs ORDER BY gamma, eta0, seed").fetchall()
        curves = con.execute("SELECT count(*) FROM curves").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        rows, curves = [], 0
    finally:
        con.close()
    return rows, curves


def rows_of(db):
    t = table(db)
    return t[0] if t else []


def main():
    cli = sys.argv[1]
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = random.Random(int(os.environ.get("RICHETA_CRASH_SEED", "7")))
    tmp = tempfile.mkdtemp(prefix="richeta-crash-sweep-")
    try:
        ref_db = os.path.join(tmp, "ref.db")
        t0 = time.monotonic()
        r = subprocess.run(args(cli, ref_db), capture_output=True, text=True)
        full = time.monotonic() - t0
        if r.returncode != 0:
            print(f"reference sweep failed ({r.returncode}): {r.stderr}")
            return 1
        ref = rows_of(ref_db)
        if len(ref) != 3 * 9 * 2:
            print(f"reference sweep stored {len(ref)} runs, expected 54")
            return 1
        db = os.path.join(tmp, "killed.db")
        done_kills = 0
        landed = 0  # kills with some but not all runs finished
        for k in range(kills):
            before = rows_of(db)
            p = subprocess.Popen(args(cli, db), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            # kill at a random moment after this attempt stored a run (runs
            # of a worker's group tend to end together: a fixed delay would
            # often fall before the first one or after the last)
            deadline = time.monotonic() + 5 * full + 5
            while (p.poll() is None and len(rows_of(db)) <= len(before)
                   and time.monotonic() < deadline):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.3) * full)
            seen = rows_of(db)  # runs finished before the kill
            p.send_signal(signal.SIGKILL)
            _, err = p.communicate()
            if p.returncode != -signal.SIGKILL:
                if p.returncode == 0:  # finished before the kill: nothing more to test
                    break
                print(f"kill {k}: sweep failed by itself ({p.returncode}): {err}")
                return 1
            done_kills += 1
            after = rows_of(db)
            if 0 < len(after) < len(ref):
                landed += 1
            lost = set(seen) - set(after)
            if lost or not set(before) <= set(after):
                print(f"kill {k}: finished runs lost or changed after kill -9: {sorted(lost)[:3]}")
                return 1
        if landed == 0:
            print(f"no kill landed mid-sweep ({done_kills} kills): the test proved nothing")
            return 1
        r = subprocess.run(args(cli, db) + ["--json"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"resumed sweep failed ({r.returncode}): {r.stderr}")
            return 1
        cached = r.stdout.count('"cached":true') + r.stdout.count('"cached": true')
        got = rows_of(db)
        if got != ref:
            diff = [a for a, b in zip(got, ref) if a != b][:2]
            print(f"interrupted sweep differs from the reference: {len(got)} vs {len(ref)} "
                  f"rows; first differences {diff}")
            return 1
        if table(db)[1] != table(ref_db)[1]:
            print("curves table differs in size from the reference")
            return 1
        print(f"ok: {done_kills} kill -9 during a 54-run sweep ({landed} mid-sweep), no finished run lost, "
              f"{cached} runs reused on resume, final table identical to the reference")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
