#!/usr/bin/env python3
"""kill -9 during checkpoint writes leaves the previous checkpoint intact.

Starts `ckpt_writer write PATH` (resume, then save every 3 steps forever),
kills it with SIGKILL after a random delay, and checks with
`ckpt_writer verify` that PATH loads, is at least as far as the last save
the writer reported, and equals an uninterrupted run; the next round resumes
from it. Every file left in the directory besides PATH must not be named
like PATH (no half-written file took its place).
usage: kill_checkpoint.py CKPT_WRITER [ROUNDS]"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def main():
    writer = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    rng = random.Random(int(os.environ.get("RICHETA_CRASH_SEED", "20241004")))
    tmp = tempfile.mkdtemp(prefix="richeta-crash-ckpt-")
    path = os.path.join(tmp, "run.ckpt")
    last = 0
    kills_mid_write = 0
    try:
        for r in range(rounds):
            p = subprocess.Popen([writer, "write", path], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            # wait for the first save of this round so that the kill lands
            # among saves, then a random delay
            line = p.stdout.readline()
            if not line.startswith("saved "):
                p.kill()
                print(f"round {r}: writer failed: {line!r} {p.stderr.read()}")
                return 1
            time.sleep(rng.uniform(0.0, 0.25))
            p.send_signal(signal.SIGKILL)
            out, err = p.communicate()
            if p.returncode != -signal.SIGKILL:
                print(f"round {r}: writer ended by itself ({p.returncode}): {err}")
                return 1
            saved = [int(x.split()[1]) for x in ([line] + out.splitlines())
                     if x.startswith("saved ")]
            last = max([last] + saved)
            v = subprocess.run([writer, "verify", path, str(last)], capture_output=True,
                               text=True)
            if v.returncode != 0:
                print(f"round {r}: checkpoint after kill -9 is bad: {v.stderr.strip()}")
                return 1
            at = int(v.stdout.split()[1])
            if at > last:  # saved (renamed) but killed before printing
                kills_mid_write += 1
            last = at
            others = [f for f in os.listdir(tmp) if f != "run.ckpt"]
            if any(f == "run.ckpt" or f.endswith(".ckpt") for f in others):
                print(f"round {r}: unexpected checkpoint-named files {others}")
                return 1
        left = len(os.listdir(tmp)) - 1
        print(f"ok: {rounds} kill -9 rounds, checkpoint always loadable and equal to an "
              f"uninterrupted run (last step {last}; {kills_mid_write} kills between rename "
              f"and report; {left} temporary files left behind)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
